import * as ip from '../ip/index.ts';
import type { IpRange } from '../ip/index.ts';
import type { Allocation } from '../model/allocation.ts';
import type { PoolBlock, PoolIntent } from '../model/intent.ts';
import { compareText } from '../model/values.ts';
import type { DesiredRecord, RecordModel, WritebackConflict, WritebackSettings } from './types.ts';

/**
 * Live allocations → the records NetBox should hold. Pure. Each allocation is tied to the pool its own system
 * names (Allocation.pool), then to the NetBox prefix or IP range of that pool containing it: that object gives
 * the VRF and the mask. An allocation outside every pool of this cluster, or outside its pool's NetBox space, is
 * a conflict for the drift report and is never written.
 */

export interface DesiredRecords {
  records: DesiredRecord[];
  conflicts: WritebackConflict[];
}

export function recordKey(model: RecordModel, vrf: number | null, space: string): string {
  return `${model}|${vrf ?? 'global'}|${space}`;
}

function poolName(kind: string, name: string, namespace: string | undefined): string {
  return `${kind}:${namespace === undefined ? '' : `${namespace}/`}${name}`;
}

function ownerText(a: Allocation): string {
  const o = a.owner;
  if (o.kind === 'Node') return `node/${o.name}`;
  return o.namespace === undefined ? o.name : `${o.namespace}/${o.name}`;
}

function intentKey(kind: string, name: string, namespace: string | undefined): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

/** `{name}.{namespace}.lb.example.com` → a valid DNS name, or undefined when the template makes none. */
export function serviceDnsName(template: string, a: Allocation): string | undefined {
  const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const name = template
    .replaceAll('{name}', clean(a.owner.name))
    .replaceAll('{namespace}', clean(a.owner.namespace ?? ''));
  return /^([0-9A-Za-z_-]+)(\.[0-9A-Za-z_-]+)*\.?$/.test(name) && name.length <= 255 ? name : undefined;
}

function isSingleAddress(r: IpRange): boolean {
  return r.start === r.end;
}

function wanted(grain: string, single: boolean): boolean {
  if (grain === 'all') return true;
  return single ? grain === 'addresses' : grain === 'blocks';
}

function location(
  model: RecordModel,
  range: IpRange,
  mask: number,
): { space: string; location: Record<string, string> } {
  const start = ip.formatAddress(ip.addressOf(range.family, range.start));
  const end = ip.formatAddress(ip.addressOf(range.family, range.end));
  if (model === 'ip-address') return { space: start, location: { address: `${start}/${mask}` } };
  if (model === 'prefix') {
    const cidr = ip.formatCidr(ip.smallestCidrContaining(range));
    return { space: cidr, location: { prefix: cidr } };
  }
  return { space: `${start}-${end}`, location: { start_address: `${start}/${mask}`, end_address: `${end}/${mask}` } };
}

function modelFor(range: IpRange, blocksAs: WritebackSettings['blocksAs']): RecordModel {
  if (isSingleAddress(range)) return 'ip-address';
  return blocksAs === 'prefix' && ip.rangeAsCidr(range) !== undefined ? 'prefix' : 'ip-range';
}

function describe(a: Allocation, pool: string): string {
  const who = a.owner.kind === 'Node' ? `node ${a.owner.name} block` : `${a.owner.kind.toLowerCase()} ${ownerText(a)}`;
  const nic = a.interface === undefined ? '' : ` (${a.interface})`;
  return `${who}${nic} · ${pool} · netbox-ippool-sync`.slice(0, 200);
}

export function desiredRecords(
  allocations: readonly Allocation[],
  intents: readonly PoolIntent[],
  settings: WritebackSettings,
): DesiredRecords {
  const byPool = new Map(intents.map(i => [intentKey(i.kind, i.name, i.namespace), i]));
  const records = new Map<string, DesiredRecord>();
  const conflicts: WritebackConflict[] = [];
  const sorted = [...allocations].sort((x, y) => ip.compareRanges(x.range, y.range) || compareText(x.via, y.via));
  for (const a of sorted) {
    const ref = a.pool ?? undefined;
    const single = isSingleAddress(a.range);
    const grain = ref === undefined ? 'all' : (settings.grain[ref.kind] ?? 'none');
    if (!wanted(grain, single)) continue;
    const intent = ref === undefined ? undefined : byPool.get(intentKey(ref.kind, ref.name, ref.namespace));
    const block = intent?.blocks.find(b => ip.rangeContains(b.range, a.range));
    if (ref === undefined || intent === undefined || block === undefined) {
      conflicts.push(outside(a, ref === undefined ? undefined : poolName(ref.kind, ref.name, ref.namespace), intent));
      continue;
    }
    const record = toRecord(a, intent, block, settings);
    const earlier = records.get(record.key);
    if (earlier !== undefined) {
      if (earlier.owner !== record.owner || earlier.pool !== record.pool) {
        conflicts.push({
          kind: 'duplicate-allocation',
          space: record.space,
          vrf: record.vrf,
          owner: record.owner,
          pool: record.pool,
          reason: `${record.space} is allocated twice: to ${earlier.owner} (${earlier.via}) and to ${record.owner} (${record.via}); NetBox records the first`,
        });
      }
      continue;
    }
    records.set(record.key, record);
  }
  return { records: [...records.values()].sort((x, y) => compareText(x.key, y.key)), conflicts };
}

function toRecord(a: Allocation, intent: PoolIntent, block: PoolBlock, settings: WritebackSettings): DesiredRecord {
  const model = modelFor(a.range, settings.blocksAs);
  const vrf = intent.vrf?.id ?? null;
  const { space, location: where } = location(model, a.range, block.network.prefixLength);
  const pool = poolName(intent.kind, intent.name, intent.namespace);
  const record: DesiredRecord = {
    model,
    vrf,
    space,
    key: recordKey(model, vrf, space),
    kind: intent.kind,
    location: where,
    status: model === 'ip-address' ? settings.addressStatus : settings.blockStatus,
    description: describe(a, pool),
    owner: ownerText(a),
    pool,
    via: a.via,
  };
  if (model === 'ip-address' && a.owner.kind === 'Service' && settings.serviceDnsName !== undefined) {
    const dns = serviceDnsName(settings.serviceDnsName, a);
    if (dns !== undefined) record.dnsName = dns;
  }
  return record;
}

function outside(a: Allocation, pool: string | undefined, intent: PoolIntent | undefined): WritebackConflict {
  const space = isSingleAddress(a.range)
    ? ip.formatAddress(ip.addressOf(a.range.family, a.range.start))
    : ip.formatRange(a.range);
  const where =
    pool === undefined
      ? 'belongs to no pool of this cluster'
      : intent === undefined
        ? `belongs to ${pool}, which no NetBox prefix or IP range of this cluster selects`
        : `lies outside the NetBox space of ${pool}`;
  return {
    kind: 'outside-netbox-space',
    space,
    vrf: intent?.vrf?.id ?? null,
    owner: ownerText(a),
    ...(pool === undefined ? {} : { pool }),
    reason: `${space} held by ${ownerText(a)} (${a.via}) ${where}: not recorded in NetBox`,
  };
}
