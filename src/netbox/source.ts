import {
  cidrRange,
  cidrSize,
  compareRanges,
  formatCidr,
  mergeRanges,
  rangeContains,
  rangeToCidrs,
  smallestCidrContaining,
} from '../ip/index.ts';
import type { Cidr } from '../ip/index.ts';
import type { SelectionConfig } from '../config/config.ts';
import { candidateParents, ipRangeSpan, prefixCidr, rangeNetwork, vrfIdOf } from '../mapping/space.ts';
import type { RangeSpan, VrfId } from '../mapping/space.ts';
import type { NbIpAddress, NbIpRange, NbPrefix, NbQuery, NetBoxReader, NetBoxSnapshot } from '../model/netbox.ts';

/**
 * The source: everything the mapping needs from NetBox for one cluster, read in as few requests as the API
 * allows. I/O only — no judgement about what is valid; a failed read throws, and the caller then treats NetBox
 * as unavailable (and deletes nothing).
 *
 * Requests (B = filterBatchSize; an area is a selected prefix or the network of a selected IP range):
 *   2        selected prefixes and IP ranges: role=<each role>, tag=<cluster tag>, status=active|deprecated
 *   ≥0       prefixes that may hold an IP range whose own mask does not cover it: prefix=<candidate> × B
 *   ~N/B     IP addresses inside the N areas (nested areas count once, neighbours joined into their exact
 *            aggregate): parent=<area> per VRF, as many per request as B IPv6 CIDRs' length allows (chunksByLength);
 *            `parent` ORs repeated values
 *   ≥1       IP ranges of the VRFs involved, all of them (vrf_id=<each VRF>, or unfiltered when the global table
 *            is involved); the mapping keeps those that overlap a pool
 *   ≤N       prefixes inside the areas: within=<area>&mask_length__gte=<shortest area + 1> — NetBox takes a single
 *            `within` value, so neighbouring areas of one VRF share one query on their common supernet when that
 *            is at most 4× their size; the mask filter leaves out the selected pools (read already) and anything
 *            as large as an area, which cannot sit inside one
 * Held objects are read whatever their status or tags: the mapping decides what counts as an exclusion. For a
 * VRF the reads filter by vrf_id; for the global table they do not (the mapping matches VRFs itself).
 */

export interface SnapshotOptions {
  /** Values per repeated filter parameter (URL length stays under ~4 kB at 50 IPv6 prefixes). Default 50. */
  filterBatchSize?: number;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
}

export const SELECTED_STATUSES = ['active', 'deprecated'] as const;

/** A supernet query may cover at most this many times the address space of the areas it stands for. */
const SUPERNET_SLACK = 4n;

export async function readSnapshot(
  reader: NetBoxReader,
  sel: SelectionConfig,
  opts: SnapshotOptions = {},
): Promise<NetBoxSnapshot> {
  const batch = Math.max(1, opts.filterBatchSize ?? 50);
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const selector: NbQuery = {
    role: Object.keys(sel.roles).sort(),
    tag: sel.clusterTag,
    status: [...SELECTED_STATUSES],
  };
  const [prefixes, ipRanges] = await Promise.all([reader.listPrefixes(selector), reader.listIpRanges(selector)]);

  const areas = new VrfCidrs();
  for (const p of prefixes) {
    const cidr = prefixCidr(p);
    if (cidr.ok) areas.add(vrfIdOf(p), cidr.value);
  }
  const uncovered: { vrf: VrfId; span: RangeSpan }[] = [];
  for (const r of ipRanges) {
    const span = ipRangeSpan(r);
    if (!span.ok) continue;
    if (rangeContains(cidrRange(span.value.maskNetwork), span.value.range))
      areas.add(vrfIdOf(r), span.value.maskNetwork);
    else uncovered.push({ vrf: vrfIdOf(r), span: span.value });
  }

  const containers = await readContainers(reader, uncovered, batch, concurrency);
  for (const { vrf, span } of uncovered) {
    const recorded = [...prefixes, ...containers]
      .filter(p => vrfIdOf(p) === vrf)
      .flatMap(p => {
        const c = prefixCidr(p);
        return c.ok ? [c.value] : [];
      });
    areas.add(vrf, rangeNetwork(span, recorded).network);
  }

  const tasks: (() => Promise<
    { kind: 'prefix'; rows: NbPrefix[] } | { kind: 'range'; rows: NbIpRange[] } | { kind: 'ip'; rows: NbIpAddress[] }
  >)[] = [];
  for (const [vrf, cidrs] of areas.maximal()) {
    const scope: NbQuery = vrf === null ? {} : { vrf_id: vrf };
    for (const parent of chunksByLength(cidrs.map(formatCidr), batch)) {
      tasks.push(async () => ({ kind: 'ip', rows: await reader.listIpAddresses({ ...scope, parent }) }));
    }
    for (const within of supernets(cidrs)) {
      // Only prefixes longer than the shortest area under this cover can sit inside an area; the selected pools
      // themselves (already read) and the containers above them are left out, so the read is the held rows alone.
      const shortest = Math.min(
        ...areas.originals(vrf).flatMap(a => (rangeContains(cidrRange(within), cidrRange(a)) ? [a.prefixLength] : [])),
      );
      const longer = Number.isFinite(shortest) ? { mask_length__gte: shortest + 1 } : {};
      tasks.push(async () => ({
        kind: 'prefix',
        rows: await reader.listPrefixes({ ...scope, within: formatCidr(within), ...longer }),
      }));
    }
  }
  // IP ranges: all of them for the VRFs involved, in one paginated query. A held range may reach over a pool's
  // edge (a DHCP scope of the /24 running into a /25 pool); `parent` finds only ranges with both ends inside, and
  // NetBox's `contains` compares inet values mask and all, so a bare address misses ranges stored with a shorter
  // mask. NetBox holds few ranges next to its addresses, and the mapping picks the ones that overlap.
  const vrfs = areas.maximal().map(([vrf]) => vrf);
  if (vrfs.length > 0) {
    const rangeScope: NbQuery = vrfs.includes(null)
      ? {}
      : { vrf_id: vrfs.filter(v => v !== null).sort((a, b) => a - b) };
    tasks.push(async () => ({ kind: 'range', rows: await reader.listIpRanges(rangeScope) }));
  }
  const results = await mapLimit(tasks, concurrency, t => t());
  return {
    prefixes: byId(prefixes),
    ipRanges: byId(ipRanges),
    recorded: {
      prefixes: byId([...containers, ...results.flatMap(r => (r.kind === 'prefix' ? r.rows : []))]),
      ipRanges: byId(results.flatMap(r => (r.kind === 'range' ? r.rows : []))),
      ipAddresses: byId(results.flatMap(r => (r.kind === 'ip' ? r.rows : []))),
    },
  };
}

/** Prefixes that may hold IP ranges entered with host masks: exact-match lookups of every candidate parent. */
async function readContainers(
  reader: NetBoxReader,
  uncovered: readonly { vrf: VrfId; span: RangeSpan }[],
  batch: number,
  concurrency: number,
): Promise<NbPrefix[]> {
  const byVrf = new Map<VrfId, Set<string>>();
  for (const { vrf, span } of uncovered) {
    const set = byVrf.get(vrf) ?? new Set<string>();
    for (const c of candidateParents(span.range)) set.add(formatCidr(c));
    byVrf.set(vrf, set);
  }
  const tasks: (() => Promise<NbPrefix[]>)[] = [];
  for (const [vrf, set] of [...byVrf].sort(([a], [b]) => (a ?? -1) - (b ?? -1))) {
    for (const prefix of chunks([...set].sort(), batch)) {
      tasks.push(() => reader.listPrefixes(vrf === null ? { prefix } : { vrf_id: vrf, prefix }));
    }
  }
  return (await mapLimit(tasks, concurrency, t => t())).flat();
}

/**
 * CIDRs per VRF; `maximal()` drops duplicates and CIDRs inside another one (their contents come with it) and joins
 * neighbours into their exact aggregate, so the reads below cover exactly the selected space in fewer filter values.
 */
class VrfCidrs {
  private readonly byVrf = new Map<VrfId, Cidr[]>();

  add(vrf: VrfId, c: Cidr): void {
    this.byVrf.set(vrf, [...(this.byVrf.get(vrf) ?? []), c]);
  }

  /** The CIDRs added for a VRF, as added. */
  originals(vrf: VrfId): readonly Cidr[] {
    return this.byVrf.get(vrf) ?? [];
  }

  maximal(): [VrfId, Cidr[]][] {
    const out: [VrfId, Cidr[]][] = [];
    for (const [vrf, cidrs] of [...this.byVrf].sort(([a], [b]) => (a ?? -1) - (b ?? -1))) {
      const sorted = [...cidrs].sort(
        (a, b) => compareRanges(cidrRange(a), cidrRange(b)) || a.prefixLength - b.prefixLength,
      );
      const kept: Cidr[] = [];
      for (const c of sorted) {
        const last = kept.at(-1);
        if (last !== undefined && rangeContains(cidrRange(last), cidrRange(c))) continue;
        kept.push(c);
      }
      // Neighbours become the CIDRs that hold exactly their addresses (10.0.0.0/24 + 10.0.1.0/24 = 10.0.0.0/23):
      // the same rows, far fewer filter values — pools are usually carved side by side out of one block.
      out.push([vrf, mergeRanges(kept.map(cidrRange)).flatMap(rangeToCidrs)]);
    }
    return out;
  }
}

/** Sorted, disjoint CIDRs grouped into as few `within` queries as the slack allows. */
export function supernets(sorted: readonly Cidr[]): Cidr[] {
  const out: Cidr[] = [];
  let group: Cidr[] = [];
  let cover: Cidr | undefined;
  let size = 0n;
  for (const c of sorted) {
    const first = group[0];
    if (first !== undefined && cover !== undefined && first.family === c.family) {
      const candidate = smallestCidrContaining({
        family: c.family,
        start: cidrRange(first).start,
        end: cidrRange(c).end,
      });
      if (candidate.prefixLength >= 1 && cidrSize(candidate) <= SUPERNET_SLACK * (size + cidrSize(c))) {
        group.push(c);
        cover = candidate;
        size += cidrSize(c);
        continue;
      }
    }
    if (cover !== undefined) out.push(cover);
    group = [c];
    cover = c;
    size = cidrSize(c);
  }
  if (cover !== undefined) out.push(cover);
  return out;
}

/** The longest filter value: an IPv6 CIDR (`ffff:…:ffff/128`); `filterBatchSize` of them bound a URL's length. */
const LONGEST_VALUE = 43;

/**
 * Filter values in chunks that keep the URL as short as `batch` IPv6 CIDRs would: the bound is on length, so short
 * IPv4 values go about twice as many to a request (`parent=10.16.1.0/24` is a third of an IPv6 one).
 */
export function chunksByLength(values: readonly string[], batch: number): string[][] {
  const budget = batch * LONGEST_VALUE;
  const out: string[][] = [];
  let chunk: string[] = [];
  let used = 0;
  for (const v of values) {
    if (chunk.length > 0 && used + v.length > budget) {
      out.push(chunk);
      chunk = [];
      used = 0;
    }
    chunk.push(v);
    used += v.length;
  }
  if (chunk.length > 0) out.push(chunk);
  return out;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function byId<T extends { id: number }>(rows: readonly T[]): T[] {
  const seen = new Map<number, T>();
  for (const r of rows) if (!seen.has(r.id)) seen.set(r.id, r);
  return [...seen.values()].sort((a, b) => a.id - b.id);
}

/** Runs `fn` over the items with at most `limit` in flight; the first failure rejects the whole read. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
