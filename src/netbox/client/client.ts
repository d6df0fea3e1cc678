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

/** Create, update and delete of one object type, in bulk. */
export interface BulkEndpoint<W extends object, T> {
  create(items: W[], opts?: CreateOptions<W, T>): Promise<BulkResult<W, T>>;
  /** Bulk PATCH: each item is the object id plus only the fields to change. */
  update(items: (W & Identified)[], opts?: WriteOptions): Promise<BulkResult<W & Identified, T>>;
  delete(ids: number[], opts?: WriteOptions): Promise<BulkResult<Identified, Identified>>;
}

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

  /** Bulk writes of the records writeback and adoption keep: one request per batch, per-object errors kept. */
  readonly ipAddresses: BulkEndpoint<NbIpAddressWrite, NbIpAddress> = this.bulkEndpoint('ipam/ip-addresses');
  readonly prefixes: BulkEndpoint<NbPrefixWrite, NbPrefix> = this.bulkEndpoint('ipam/prefixes');
  readonly ipRanges: BulkEndpoint<NbIpRangeWrite, NbIpRange> = this.bulkEndpoint('ipam/ip-ranges');

  private bulkEndpoint<W extends object, T>(path: string): BulkEndpoint<W, T> {
    return {
      create: (items, opts) => this.bulkCreate(path, items, opts),
      update: (items, opts) => this.bulkUpdate(path, items, opts),
      delete: (ids, opts) => this.bulkDelete(path, ids, opts),
    };
  }
}
