/**
 * NetBoxClient: the NetBox API client of netbox-ippool-sync. NetBoxApi does the work on any endpoint; this class
 * names the endpoints and object types the daemon uses, and asks only for the fields those types hold.
 */
import type {
  NbCustomField,
  NbCustomFieldChoiceSet,
  NbIpAddress,
  NbIpAddressQuery,
  NbIpAddressWrite,
  NbIpRange,
  NbIpRangeQuery,
  NbIpRangeWrite,
  NbPrefix,
  NbPrefixQuery,
  NbPrefixWrite,
  NbQuery,
  NbRole,
  NbTag,
  NbVrf,
  NetBoxReader,
} from '../../model/netbox.ts';
import { NetBoxApi } from './api.ts';
import type { CreateOptions, Identified, WriteOptions } from './api.ts';
import type { BulkResult } from './bulk.ts';
import { SELECTIONS } from './capabilities.ts';
import type { FieldSelection } from './capabilities.ts';

/** Bulk PATCH items: the object id plus only the fields to change. */
export type IpAddressUpdate = NbIpAddressWrite & Identified;
export type PrefixUpdate = NbPrefixWrite & Identified;
export type IpRangeUpdate = NbIpRangeWrite & Identified;

export class NetBoxClient extends NetBoxApi implements NetBoxReader {
  listPrefixes(query: NbPrefixQuery = {}, selection: FieldSelection = SELECTIONS.prefixes): Promise<NbPrefix[]> {
    return this.list('ipam/prefixes', query, selection);
  }
  listIpRanges(query: NbIpRangeQuery = {}, selection: FieldSelection = SELECTIONS.ipRanges): Promise<NbIpRange[]> {
    return this.list('ipam/ip-ranges', query, selection);
  }
  listIpAddresses(
    query: NbIpAddressQuery = {},
    selection: FieldSelection = SELECTIONS.ipAddresses,
  ): Promise<NbIpAddress[]> {
    return this.list('ipam/ip-addresses', query, selection);
  }
  listRoles(query: NbQuery = {}): Promise<NbRole[]> {
    return this.list('ipam/roles', query, SELECTIONS.roles);
  }
  listVrfs(query: NbQuery = {}): Promise<NbVrf[]> {
    return this.list('ipam/vrfs', query, SELECTIONS.vrfs);
  }
  listTags(query: NbQuery = {}): Promise<NbTag[]> {
    return this.list('extras/tags', query, SELECTIONS.tags);
  }
  listCustomFields(query: NbQuery = {}): Promise<NbCustomField[]> {
    return this.list('extras/custom-fields', query, SELECTIONS.customFields);
  }
  listCustomFieldChoiceSets(query: NbQuery = {}): Promise<NbCustomFieldChoiceSet[]> {
    return this.list('extras/custom-field-choice-sets', query, SELECTIONS.customFieldChoiceSets);
  }

  createIpAddresses(
    items: NbIpAddressWrite[],
    opts?: CreateOptions<NbIpAddressWrite, NbIpAddress>,
  ): Promise<BulkResult<NbIpAddressWrite, NbIpAddress>> {
    return this.bulkCreate('ipam/ip-addresses', items, opts);
  }
  updateIpAddresses(items: IpAddressUpdate[], opts?: WriteOptions): Promise<BulkResult<IpAddressUpdate, NbIpAddress>> {
    return this.bulkUpdate('ipam/ip-addresses', items, opts);
  }
  deleteIpAddresses(ids: number[], opts?: WriteOptions): Promise<BulkResult<Identified, Identified>> {
    return this.bulkDelete('ipam/ip-addresses', ids, opts);
  }

  createPrefixes(
    items: NbPrefixWrite[],
    opts?: CreateOptions<NbPrefixWrite, NbPrefix>,
  ): Promise<BulkResult<NbPrefixWrite, NbPrefix>> {
    return this.bulkCreate('ipam/prefixes', items, opts);
  }
  updatePrefixes(items: PrefixUpdate[], opts?: WriteOptions): Promise<BulkResult<PrefixUpdate, NbPrefix>> {
    return this.bulkUpdate('ipam/prefixes', items, opts);
  }
  deletePrefixes(ids: number[], opts?: WriteOptions): Promise<BulkResult<Identified, Identified>> {
    return this.bulkDelete('ipam/prefixes', ids, opts);
  }

  createIpRanges(
    items: NbIpRangeWrite[],
    opts?: CreateOptions<NbIpRangeWrite, NbIpRange>,
  ): Promise<BulkResult<NbIpRangeWrite, NbIpRange>> {
    return this.bulkCreate('ipam/ip-ranges', items, opts);
  }
  updateIpRanges(items: IpRangeUpdate[], opts?: WriteOptions): Promise<BulkResult<IpRangeUpdate, NbIpRange>> {
    return this.bulkUpdate('ipam/ip-ranges', items, opts);
  }
  deleteIpRanges(ids: number[], opts?: WriteOptions): Promise<BulkResult<Identified, Identified>> {
    return this.bulkDelete('ipam/ip-ranges', ids, opts);
  }
}
