import type { IpRange } from '../ip/index.ts';
import type { PoolKind } from './intent.ts';

/** A pool object of ours, by identity: the kind's pool object (`owns[0]`), e.g. a Whereabouts NAD. */
export interface PoolRef {
  kind: PoolKind;
  name: string;
  namespace?: string;
}

/**
 * The pool an allocation belongs to, and how that was found:
 * - `record`: the kind's own software records the link, and we follow it as it does: a Whereabouts IPPool is the
 *   one of the NAD with the same `network_name` and range (the plugin names IPPools after both); MetalLB's
 *   `metallb.io/ip-allocated-from-pool` annotation; NV-IPAM's and Cilium's per-node blocks, which name their pool.
 * - `containment`: the software keeps no record and goes by address itself, so we do too, among its observed pools:
 *   Calico (a block belongs to the IPPool whose CIDR holds the whole block; its addresses to the block's pool),
 *   Cilium LB-IPAM (no annotation names the pool), MetalLB releases without the annotation.
 */
export interface AllocationPool extends PoolRef {
  by: 'record' | 'containment';
}

/** Who holds a live address (or block) in the cluster. */
export interface Allocation {
  range: IpRange;
  owner: { kind: 'Pod' | 'Service' | 'Node' | 'Other'; name: string; namespace?: string };
  /**
   * The one pool this allocation belongs to, attributed the way the kind's software does it; null when that leads to
   * no pool object of the kind (a Whereabouts IPPool no NAD uses any more, a Calico block outside every IPPool). An
   * allocation holds its own pool only, never another that happens to share its addresses (same numbers in another
   * VRF, or another kind): the plan counts it there, and writeback records it under this pool.
   */
  pool: AllocationPool | null;
  node?: string;
  /** Interface name for pod secondary networks (`net1`). */
  interface?: string;
  /** Where it was read: `whereabouts IPPool kube-system/10.20.0.0-24 spec.allocations`. */
  via: string;
}

/**
 * A live allocation source the kind's reader could not (fully) read: an IPPool offset that is not a number, an
 * IPAMBlock ordinal past its block, a Service ingress address that does not parse. Its allocations are unknown, so
 * the kind counts as not fully read (writeback marks and deletes none of its records) and the object is reported.
 */
export interface UnreadableSource {
  object: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
  /** Path of the unreadable part inside the object, e.g. `spec.allocations["x1"]`. */
  field: string;
  reason: string;
}

/** Where an allocation reader reports what it could not read; readers that are not asked simply skip it. */
export type ReportUnreadable = (problem: UnreadableSource) => void;
