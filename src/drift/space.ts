import * as ip from '../ip/index.ts';
import type { IpRange } from '../ip/index.ts';
import { availableRanges, blockRanges, rangeText } from '../kinds/kit/address-space.ts';
import type { PoolKindAdapter } from '../kinds/adapter.ts';
import type { Allocation } from '../model/allocation.ts';
import type { DriftEntry, K8sRef, NodeBlockUtilisation, PoolUtilisation } from '../model/drift.ts';
import type { PoolIntent } from '../model/intent.ts';
import { compareText } from '../model/values.ts';
import { describeRanges } from '../plan/allocations.ts';
import { describeK8s, linkOf, poolKey, poolObjectOf } from './links.ts';

/** Address-space findings: utilisation per pool and per node block, pools overlapping, allocations out of place. */

export interface SpaceInput {
  intents: readonly PoolIntent[];
  allocations: readonly Allocation[];
  adapters: readonly PoolKindAdapter[];
  netboxUrl: string;
  /** Percent. */
  threshold: number;
}

const sizeOf = (ranges: readonly IpRange[]): bigint =>
  ip.mergeRanges([...ranges]).reduce((n, r) => n + ip.rangeSize(r), 0n);

/** 0-100 with one decimal; exact for any size (BigInt until the last step). */
export function percentOf(used: bigint, size: bigint): number {
  if (size === 0n) return used > 0n ? 100 : 0;
  return Number((used * 1000n + size / 2n) / size) / 10;
}

/** Allocations by the pool they belong to. */
function byPool(allocations: readonly Allocation[]): Map<string, Allocation[]> {
  const out = new Map<string, Allocation[]>();
  for (const a of allocations) {
    if (a.pool === null) continue;
    const key = poolKey(a.pool.kind, a.pool.namespace, a.pool.name);
    out.set(key, [...(out.get(key) ?? []), a]);
  }
  return out;
}

const intentKey = (i: PoolIntent): string => poolKey(i.kind, i.namespace, i.name);

function nodeBlocksOf(allocations: readonly Allocation[]): NodeBlockUtilisation[] {
  const addresses = allocations.filter(a => a.owner.kind !== 'Node').map(a => a.range);
  return allocations
    .filter(a => a.owner.kind === 'Node')
    .map(block => {
      const used = sizeOf(ip.intersectRanges(addresses, [block.range]));
      const size = ip.rangeSize(block.range);
      return {
        node: block.node ?? block.owner.name,
        block: rangeText(block.range),
        used: used.toString(),
        size: size.toString(),
        percent: percentOf(used, size),
      };
    })
    .sort((a, b) => compareText(a.node, b.node) || compareText(a.block, b.block));
}

export function utilisationOf(input: SpaceInput): PoolUtilisation[] {
  const attributed = byPool(input.allocations);
  return input.intents
    .map(intent => {
      const mine = attributed.get(intentKey(intent)) ?? [];
      const available = availableRanges(intent.blocks);
      const used = sizeOf(
        ip.intersectRanges(
          mine.map(a => a.range),
          available,
        ),
      );
      const size = sizeOf(available);
      const percent = percentOf(used, size);
      return {
        poolKind: intent.kind,
        k8s: poolObjectOf(intent, input.adapters),
        netbox: intent.sources.map(s => linkOf(s, input.netboxUrl)),
        used: used.toString(),
        size: size.toString(),
        percent,
        overThreshold: percent >= input.threshold,
        nodeBlocks: nodeBlocksOf(mine),
      };
    })
    .sort((a, b) =>
      compareText(poolKey(a.poolKind, a.k8s.namespace, a.k8s.name), poolKey(b.poolKind, b.k8s.namespace, b.k8s.name)),
    );
}

export function utilisationEntries(pools: readonly PoolUtilisation[], threshold: number): DriftEntry[] {
  return pools
    .filter(p => p.overThreshold)
    .map(p => ({
      id: `utilisation:${poolKey(p.poolKind, p.k8s.namespace, p.k8s.name)}`,
      category: 'utilisation' as const,
      summary: `${describeK8s(p.k8s)} is ${p.percent}% used (${p.used} of ${p.size} addresses)`,
      reason: `at or above the ${threshold}% threshold`,
      hint: 'add space in NetBox (a prefix or range with the same k8s_pool_name) before the pool runs out',
      poolKind: p.poolKind,
      k8s: p.k8s,
      netbox: p.netbox,
    }));
}

/** Pools whose assignable space overlaps in one VRF: two pools can hand out the same address. */
export function overlapEntries(input: SpaceInput): DriftEntry[] {
  const out: DriftEntry[] = [];
  const pools = [...input.intents].sort((a, b) => compareText(intentKey(a), intentKey(b)));
  const space = pools.map(p => availableRanges(p.blocks));
  for (let i = 0; i < pools.length; i++) {
    for (let j = i + 1; j < pools.length; j++) {
      const a = pools[i] as PoolIntent;
      const b = pools[j] as PoolIntent;
      if ((a.vrf?.id ?? null) !== (b.vrf?.id ?? null)) continue;
      const shared = ip.intersectRanges(space[i] ?? [], space[j] ?? []);
      if (shared.length === 0) continue;
      const ra = poolObjectOf(a, input.adapters);
      const rb = poolObjectOf(b, input.adapters);
      const where = describeRanges(shared);
      out.push({
        id: `conflict:overlap:${intentKey(a)}|${intentKey(b)}`,
        category: 'conflict',
        summary: `${describeK8s(ra)} and ${describeK8s(rb)} overlap in ${where}`,
        reason: `two pools in ${a.vrf ? `VRF ${a.vrf.name}` : 'the global table'} may hand out the same addresses`,
        hint: 'give each pool its own space in NetBox, or put one of them in another VRF',
        poolKind: a.kind,
        k8s: ra,
        netbox: [...a.sources, ...b.sources].map(s => linkOf(s, input.netboxUrl)),
        space: where,
      });
    }
  }
  return out;
}

function ownerRef(a: Allocation): K8sRef {
  const ref: K8sRef = { kind: a.owner.kind, name: a.owner.name };
  if (a.owner.namespace !== undefined) ref.namespace = a.owner.namespace;
  return ref;
}

/** The address or range as writeback names its space: a host address, a CIDR, or `start-end`. */
export function spaceText(r: IpRange): string {
  return r.start === r.end ? ip.formatAddress({ family: r.family, value: r.start }) : rangeText(r);
}

function outsideEntry(a: Allocation, intent: PoolIntent | undefined, input: SpaceInput): DriftEntry {
  const where = spaceText(a.range);
  const vrf = intent?.vrf?.id ?? null;
  const pool = intent === undefined ? undefined : poolObjectOf(intent, input.adapters);
  return {
    id: `conflict:outside-netbox-space:${vrf ?? 'global'}:${where}`,
    category: 'conflict',
    summary: `${describeK8s(ownerRef(a))} holds ${where} outside ${pool ? `the NetBox space of ${describeK8s(pool)}` : 'every NetBox space'}`,
    reason: `read from ${a.via}; NetBox selects no space for it${pool ? ' in that pool' : ''}`,
    hint: 'record the space in NetBox (prefix or IP range for this cluster), or free the address',
    ...(intent ? { poolKind: intent.kind } : {}),
    k8s: ownerRef(a),
    netbox: intent ? intent.sources.map(s => linkOf(s, input.netboxUrl)) : [],
    space: where,
  };
}

function heldEntry(a: Allocation, intent: PoolIntent, input: SpaceInput): DriftEntry | undefined {
  for (const block of intent.blocks) {
    const hit = block.exclusions.find(e => ip.intersectRanges([e.range], [a.range]).length > 0);
    if (hit === undefined) continue;
    const where = spaceText(a.range);
    return {
      id: `conflict:held-by-other-record:${intent.vrf?.id ?? 'global'}:${where}`,
      category: 'conflict',
      summary: `${describeK8s(ownerRef(a))} holds ${where}, which NetBox records for something else`,
      reason: `NetBox holds ${rangeText(hit.range)} (${hit.heldBy}); the cluster gave it out (${a.via})`,
      hint: 'free the address in the cluster, or move the NetBox record if the cluster is right',
      poolKind: intent.kind,
      k8s: ownerRef(a),
      netbox: [linkOf(block.source, input.netboxUrl)],
      space: where,
    };
  }
  return undefined;
}

/**
 * Allocations where NetBox says they cannot be: outside their pool's NetBox space (or outside every one, for those
 * that belong to no pool), or on an address NetBox records for something else. A per-node block that merely
 * contains a held address is not one: the kind holds those back itself, or reports them as unexcludable.
 */
export function allocationEntries(input: SpaceInput): DriftEntry[] {
  const intents = new Map(input.intents.map(i => [intentKey(i), i]));
  const everywhere = input.intents.flatMap(i => blockRanges(i.blocks));
  const out: DriftEntry[] = [];
  for (const a of input.allocations) {
    if (a.pool === null) {
      if (!everywhere.some(r => ip.rangeContains(r, a.range))) out.push(outsideEntry(a, undefined, input));
      continue;
    }
    const intent = intents.get(poolKey(a.pool.kind, a.pool.namespace, a.pool.name));
    if (intent === undefined) continue; // an unmanaged pool, or one leaving NetBox (reported as unexpected)
    if (!blockRanges(intent.blocks).some(r => ip.rangeContains(r, a.range))) {
      out.push(outsideEntry(a, intent, input));
      continue;
    }
    if (a.owner.kind === 'Node') continue;
    const held = heldEntry(a, intent, input);
    if (held !== undefined) out.push(held);
  }
  return out;
}
