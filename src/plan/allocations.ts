import { formatCidr, formatRange, mergeRanges, rangeAsCidr, rangesOverlap } from '../ip/index.ts';
import type { IpRange } from '../ip/index.ts';
import type { Allocation } from '../model/allocation.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import type { PoolKind } from '../model/intent.ts';

/**
 * Which live allocations hold a pool: those attributed to it (Allocation.pool), and no others. Each adapter ties an
 * allocation to its pool the way the kind's own software does (adapter.ts, AllocationPool), so an allocation never
 * holds a pool that merely shares its addresses: the same numbers in another VRF (two Whereabouts networks with their
 * own `network_name`), or a pool of another kind.
 */

function namesPool(a: Allocation, kind: PoolKind, obj: K8sObject): boolean {
  return (
    a.pool !== null &&
    a.pool.kind === kind &&
    a.pool.name === obj.metadata.name &&
    (a.pool.namespace ?? '') === (obj.metadata.namespace ?? '')
  );
}

function overlapsAny(r: IpRange, ranges: readonly IpRange[]): boolean {
  return ranges.some(x => rangesOverlap(r, x));
}

/** Allocations that hold the pool `obj` of `kind`. */
export function allocationsOfPool(allocations: readonly Allocation[], kind: PoolKind, obj: K8sObject): Allocation[] {
  return allocations.filter(a => namesPool(a, kind, obj));
}

/**
 * Allocations of the pool that lie (even partly) in `removed`: what a shrink would take away from under its users.
 * Overlap rather than containment: a node block that straddles a removed range still pins it.
 */
export function allocationsInRemovedSpace(
  allocations: readonly Allocation[],
  kind: PoolKind,
  obj: K8sObject,
  removed: readonly IpRange[],
): Allocation[] {
  return allocationsOfPool(allocations, kind, obj).filter(a => overlapsAny(a.range, removed));
}

const SHOWN_RANGES = 4;

/** `10.20.0.0/24, 10.30.0.10-10.30.0.20` (CIDR where exact), at most four then `and N more`. */
export function describeRanges(ranges: readonly IpRange[]): string {
  const merged = mergeRanges([...ranges]);
  if (merged.length === 0) return 'no address space';
  const text = merged.map(r => {
    const cidr = rangeAsCidr(r);
    return cidr === undefined ? formatRange(r) : formatCidr(cidr);
  });
  const shown = text.slice(0, SHOWN_RANGES).join(', ');
  return text.length > SHOWN_RANGES ? `${shown} and ${text.length - SHOWN_RANGES} more` : shown;
}

export function countPhrase(n: number): string {
  return `${n} live allocation${n === 1 ? '' : 's'}`;
}
