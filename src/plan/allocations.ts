import { formatCidr, formatRange, mergeRanges, rangeAsCidr, rangesOverlap } from '../ip/index.ts';
import type { IpRange } from '../ip/index.ts';
import type { Allocation } from '../model/allocation.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import type { PoolKind } from '../model/intent.ts';

/**
 * Which live allocations hold a pool. An allocation belongs to a pool when its source names the pool, or when it
 * lies (even partly) in the pool's address space and was not attributed to a pool of another kind. Overlap rather
 * than containment: a node block that straddles a removed range still pins it. Attribution by kind keeps a Calico
 * pod address from pinning a Whereabouts range in another VRF with the same numbers.
 *
 * Whereabouts is the case containment exists for: our object is the NetworkAttachmentDefinition, while the
 * allocations name the plugin's IPPool (`kube-system/10.20.0.0-24`), so they reach the NAD through its ranges.
 */

function namesPool(a: Allocation, kind: PoolKind, obj: K8sObject): boolean {
  return (
    a.pool !== undefined &&
    a.pool.kind === kind &&
    a.pool.name === obj.metadata.name &&
    (a.pool.namespace ?? '') === (obj.metadata.namespace ?? '')
  );
}

function mayBelongTo(a: Allocation, kind: PoolKind): boolean {
  return a.pool === undefined || a.pool.kind === kind;
}

function overlapsAny(r: IpRange, ranges: readonly IpRange[]): boolean {
  return ranges.some(x => rangesOverlap(r, x));
}

/** Allocations that hold the pool `obj` of `kind`, which covers `ranges`. */
export function allocationsOfPool(
  allocations: readonly Allocation[],
  kind: PoolKind,
  obj: K8sObject,
  ranges: readonly IpRange[],
): Allocation[] {
  return allocations.filter(a => namesPool(a, kind, obj) || (mayBelongTo(a, kind) && overlapsAny(a.range, ranges)));
}

/** Allocations of the pool that lie in `removed`: what a shrink would take away from under its users. */
export function allocationsInRemovedSpace(
  allocations: readonly Allocation[],
  kind: PoolKind,
  obj: K8sObject,
  removed: readonly IpRange[],
): Allocation[] {
  return allocations.filter(a => (namesPool(a, kind, obj) || mayBelongTo(a, kind)) && overlapsAny(a.range, removed));
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
