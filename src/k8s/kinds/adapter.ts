import type { z } from 'zod';
import type { IpRange } from '../../ip/index.ts';
import type { Issue } from '../../mapping/issue.ts';
import type { PoolIntent, PoolKind } from '../../mapping/intent.ts';
import type { K8sObject, ResourceType } from '../object.ts';

/**
 * One adapter per pool kind, behind this interface: a new pool kind is one new file implementing it plus tests.
 * Everything here is pure: adapters see plain objects, never the network.
 */

/** Settings every render needs besides the intent. */
export interface RenderContext {
  cluster: string;
  /** Kind defaults from config (`kinds.<kind>` in the YAML), already validated by the config schema. */
  defaults: Record<string, unknown>;
}

/** An annotation value the pool wants on a namespace (`k8s_namespaces`); merged across pools before apply. */
export interface NamespaceAssignment {
  namespace: string;
  annotation: string;
  /** Pool names (or CIDRs) to list in the annotation's JSON array. */
  values: string[];
  /** `single`: the annotation holds one plain name, not a JSON array (Cilium's `ipam.cilium.io/ip-pool`). */
  format?: 'json-array' | 'single';
}

export interface RenderResult {
  /** Objects we own, ownership labels and annotations included; empty when the intent is invalid. */
  objects: K8sObject[];
  namespaceAssignments: NamespaceAssignment[];
  /** Errors (nothing rendered), warnings, and conflicts (rendered, but NetBox and the kind disagree). */
  issues: Issue[];
}

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

/** Everything observed in the cluster, grouped by `apiVersion/kind`. */
export type ObservedObjects = ReadonlyMap<string, readonly K8sObject[]>;

export interface PoolKindAdapter {
  readonly kind: PoolKind;
  /** Resource types written for this kind; the first is the pool object the plan diffs and drains. */
  readonly owns: readonly ResourceType[];
  /** Resource types only read (allocation sources, plugin-made pools). */
  readonly reads: readonly ResourceType[];
  /**
   * Schema of this kind's defaults in config (`kinds.<kind>`), with every default filled in by `parse`.
   * Config validation runs it; `RenderContext.defaults` is its output.
   */
  readonly defaults: z.ZodType<Record<string, unknown>>;
  /** Validate and render an intent. Invalid intents yield error issues and no objects. */
  render(intent: PoolIntent, ctx: RenderContext): RenderResult;
  /** Drop values the apiserver or a controller fills in, so desired and observed compare equal. */
  normalise(obj: K8sObject): K8sObject;
  /** Spec paths that cannot change in place for this object; a change there plans as a replacement. */
  immutablePaths(obj: K8sObject): readonly (readonly string[])[];
  /** The object as it should be while draining (no new allocations), or null when the kind cannot drain. */
  drain(obj: K8sObject): K8sObject | null;
  /** Address space an observed pool object covers: for live-allocation containment and overlap checks. */
  coveredRanges(obj: K8sObject): IpRange[];
  /** Live allocations read out of the observed objects (pools, services, pods, nodes...). */
  allocations(observed: ObservedObjects): Allocation[];
}
