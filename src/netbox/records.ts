import * as ip from '../ip/index.ts';
import type {
  NbIpAddress,
  NbIpAddressWrite,
  NbIpRange,
  NbIpRangeWrite,
  NbPrefix,
  NbPrefixWrite,
  NbQuery,
  NbTag,
  NetBoxReader,
  NetBoxSnapshot,
} from '../model/netbox.ts';
import { recordKey } from '../writeback/desired.ts';
import type {
  DesiredRecord,
  ForeignRecord,
  OwnedRecord,
  RecordModel,
  WritebackChange,
  WritebackPlan,
  WritebackSettings,
} from '../writeback/types.ts';
import type { BulkEndpoint } from './client/client.ts';
import type { BulkResult } from './client/bulk.ts';

/**
 * The writeback repository: the records we own in NetBox (managed tag + this cluster's tag), what else NetBox
 * holds where the cluster allocates, and the bulk writes that carry a writeback plan out.
 *
 * Crash safety: a record's identity is (model, VRF, address or space) plus our two tags, found by reading before
 * creating. A bulk create whose outcome is unknown (timeout, connection reset) is resolved by reading our records
 * again (the client's `recheck`), never by sending it blindly a second time; a writeback killed at any point and run
 * again reads what landed and sends only the rest.
 */

export interface RecordsApi extends NetBoxReader {
  ipAddresses: BulkEndpoint<NbIpAddressWrite, NbIpAddress>;
  prefixes: BulkEndpoint<NbPrefixWrite, NbPrefix>;
  ipRanges: BulkEndpoint<NbIpRangeWrite, NbIpRange>;
  /** How many objects of a list endpoint match (NetBox's `count`, one request). */
  count?(endpoint: string, query: NbQuery): Promise<number>;
}

/** The list endpoint of each model, for `count`. */
const LIST_ENDPOINTS: Record<RecordModel, string> = {
  'ip-address': 'ipam/ip-addresses',
  prefix: 'ipam/prefixes',
  'ip-range': 'ipam/ip-ranges',
};

type NbRecord = NbIpAddress | NbPrefix | NbIpRange;

const slugs = (tags: readonly NbTag[]): string[] => tags.map(t => t.slug);

function hostOf(address: string): string | undefined {
  const parsed = ip.tryParseInterface(address);
  return parsed.ok ? ip.formatAddress(parsed.value.address) : undefined;
}

/** Identity of a NetBox row as writeback sees it; undefined when NetBox holds something we cannot read. */
export function identityOf(
  model: RecordModel,
  row: NbRecord,
): { space: string; location: Record<string, string> } | undefined {
  if (model === 'ip-address') {
    const address = (row as NbIpAddress).address;
    const host = hostOf(address);
    return host === undefined ? undefined : { space: host, location: { address } };
  }
  if (model === 'prefix') {
    const prefix = (row as NbPrefix).prefix;
    const cidr = ip.tryParseCidr(prefix);
    return cidr.ok ? { space: ip.formatCidr(cidr.value), location: { prefix } } : undefined;
  }
  const r = row as NbIpRange;
  const start = hostOf(r.start_address);
  const end = hostOf(r.end_address);
  if (start === undefined || end === undefined) return undefined;
  return { space: `${start}-${end}`, location: { start_address: r.start_address, end_address: r.end_address } };
}

/** The fields every record view shares: identity, key, where NetBox keeps it, its tags. */
function recordView(model: RecordModel, row: NbRecord) {
  const id = identityOf(model, row);
  if (id === undefined) return undefined;
  const vrf = row.vrf?.id ?? null;
  const key = recordKey(model, vrf, id.space);
  return { model, vrf, space: id.space, key, id: row.id, url: row.url, tags: slugs(row.tags), location: id.location };
}

function toOwned(model: RecordModel, row: NbRecord): OwnedRecord | undefined {
  const view = recordView(model, row);
  if (view === undefined) return undefined;
  return {
    ...view,
    customFields: { ...row.custom_fields },
    description: row.description ?? '',
    dnsName: model === 'ip-address' ? ((row as NbIpAddress).dns_name ?? '') : '',
  };
}

/**
 * Every record we own for this cluster, of all three models, wherever it is. With the source's snapshot (what
 * NetBox holds inside the selected space, already read this cycle) and a `count`, a model costs one request when
 * the snapshot holds all of our records of it — the usual case, since we record inside the selected pools — and
 * a tag-filtered listing only when some lie outside (a pool that left the selection, a record moved by hand).
 * Reading them twice would double the cost of every cycle: real NetBox serves about 500 rows a second.
 */
export async function readOwnedRecords(
  api: NetBoxReader & Pick<RecordsApi, 'count'>,
  s: WritebackSettings,
  snapshot?: NetBoxSnapshot,
): Promise<OwnedRecord[]> {
  const query = { tag: [s.managedTag, s.clusterTag] };
  const isOurs = (row: NbRecord): boolean => {
    const tags = slugs(row.tags);
    return tags.includes(s.managedTag) && tags.includes(s.clusterTag);
  };
  const read = async (
    model: RecordModel,
    list: () => Promise<NbRecord[]>,
    held: readonly NbRecord[] | undefined,
  ): Promise<[RecordModel, NbRecord[]]> => {
    if (held !== undefined && api.count !== undefined) {
      const ours = held.filter(isOurs);
      if ((await api.count(LIST_ENDPOINTS[model], query)) === ours.length) return [model, ours];
    }
    return [model, await list()];
  };
  const rows = await Promise.all([
    read('ip-address', () => api.listIpAddresses(query), snapshot?.recorded.ipAddresses),
    read('prefix', () => api.listPrefixes(query), snapshot?.recorded.prefixes),
    read('ip-range', () => api.listIpRanges(query), snapshot?.recorded.ipRanges),
  ]);
  return rows.flatMap(([model, list]) => list.flatMap(row => toOwned(model, row) ?? []));
}

/**
 * What NetBox records inside the selected space that is not ours: the source already read it for exclusions, so
 * this costs no request. Our own records are left out by id.
 */
export function foreignRecords(snapshot: NetBoxSnapshot, owned: readonly OwnedRecord[]): ForeignRecord[] {
  const ours = new Set(owned.map(r => `${r.model}#${r.id}`));
  const rows: [RecordModel, NbRecord[]][] = [
    ['ip-address', snapshot.recorded.ipAddresses],
    ['prefix', snapshot.recorded.prefixes],
    ['ip-range', snapshot.recorded.ipRanges],
  ];
  const out = new Map<string, ForeignRecord>();
  for (const [model, list] of rows) {
    for (const row of list) {
      if (ours.has(`${model}#${row.id}`)) continue;
      const view = recordView(model, row);
      if (view === undefined) continue;
      const { location: _location, ...identity } = view;
      out.set(`${model}#${row.id}`, { ...identity, display: row.display });
    }
  }
  return [...out.values()];
}

/** The NetBox body of a new record. */
export function createBody(d: DesiredRecord, s: WritebackSettings): NbIpAddressWrite & NbPrefixWrite & NbIpRangeWrite {
  const body: NbIpAddressWrite & NbPrefixWrite & NbIpRangeWrite = {
    ...d.location,
    vrf: d.vrf,
    status: d.status,
    description: d.description,
    tags: [{ slug: s.managedTag }, { slug: s.clusterTag }],
    custom_fields: {
      [s.fields.cluster]: s.cluster,
      [s.fields.owner]: d.owner,
      [s.fields.pool]: d.pool,
      [s.fields.staleSince]: null,
    },
  };
  if (d.dnsName !== undefined) body.dns_name = d.dnsName;
  return body;
}

export type WriteOutcome = 'applied' | 'rejected' | 'unknown' | 'not-attempted';

export interface WritebackResult {
  change: WritebackChange;
  outcome: WriteOutcome;
  message?: string;
}

export interface WritebackReport {
  results: WritebackResult[];
  /** Set when a failure that is not about one object (auth, NetBox down) stopped the run. */
  aborted?: string;
}

function endpointOf(api: RecordsApi, model: RecordModel): BulkEndpoint<object, NbRecord> {
  const map: Record<RecordModel, unknown> = {
    'ip-address': api.ipAddresses,
    prefix: api.prefixes,
    'ip-range': api.ipRanges,
  };
  return map[model] as BulkEndpoint<object, NbRecord>;
}

const MODELS: readonly RecordModel[] = ['ip-address', 'prefix', 'ip-range'];

function modelOf(c: WritebackChange): RecordModel {
  return c.action === 'create' || c.action === 'update' ? c.record.model : c.model;
}

function collect<W>(changes: readonly WritebackChange[], result: BulkResult<W, unknown>, out: WritebackResult[]): void {
  const failed = new Map(result.failed.map(f => [f.index, f]));
  changes.forEach((change, index) => {
    const f = failed.get(index);
    out.push(f === undefined ? { change, outcome: 'applied' } : { change, outcome: f.outcome, message: f.message });
  });
}

type Phase = (
  ep: BulkEndpoint<object, NbRecord>,
  changes: WritebackChange[],
  model: RecordModel,
) => Promise<BulkResult<object, unknown>>;

/**
 * Carries a writeback plan out in bulk: deletes, then marks and updates, then creates, one model at a time. One bad
 * object is reported and the rest still land; a failure that is not about one object stops the run.
 */
export async function applyWriteback(
  api: RecordsApi,
  plan: WritebackPlan,
  s: WritebackSettings,
): Promise<WritebackReport> {
  const deletes: Phase = (ep, cs) => ep.delete(cs.flatMap(c => (c.action === 'delete' ? [c.id] : [])));
  const updates: Phase = (ep, cs) =>
    ep.update(cs.flatMap(c => (c.action === 'update' || c.action === 'mark-stale' ? [{ ...c.patch, id: c.id }] : [])));
  const creates: Phase = (ep, cs, model) =>
    ep.create(
      cs.flatMap(c => (c.action === 'create' ? [createBody(c.record, s)] : [])),
      { recheck: recheckOwned(api, s, model) },
    );
  const phases: [readonly WritebackChange['action'][], Phase][] = [
    [['delete'], deletes],
    [['mark-stale', 'update'], updates],
    [['create'], creates],
  ];
  const results: WritebackResult[] = [];
  let aborted: string | undefined;
  for (const [actions, send] of phases) {
    for (const model of MODELS) {
      const changes = plan.changes.filter(c => actions.includes(c.action) && modelOf(c) === model);
      if (changes.length === 0) continue;
      if (aborted !== undefined) {
        for (const change of changes) results.push({ change, outcome: 'not-attempted', message: aborted });
        continue;
      }
      const result = await send(endpointOf(api, model), changes, model);
      collect(changes, result, results);
      if (result.aborted !== undefined) aborted = result.aborted.message;
    }
  }
  return aborted === undefined ? { results } : { results, aborted };
}

/** After a create failed in transit: which of the bodies NetBox now holds, by our identity (read again). */
function recheckOwned(api: RecordsApi, s: WritebackSettings, model: RecordModel) {
  return async (items: object[]): Promise<(NbRecord | undefined)[]> => {
    const owned = (await readOwnedRecords(api, s)).filter(r => r.model === model);
    const byKey = new Map(owned.map(r => [r.key, r]));
    return items.map(item => {
      const body = item as NbIpAddressWrite & NbPrefixWrite & NbIpRangeWrite;
      const id = identityOf(model, body as unknown as NbRecord);
      const found = id === undefined ? undefined : byKey.get(recordKey(model, body.vrf ?? null, id.space));
      return found === undefined ? undefined : ({ id: found.id, url: found.url } as NbRecord);
    });
  };
}
