import type { z } from 'zod';
import type { Cidr, IpAddress, IpRange } from '../ip/index.ts';
import type { Allocation, ReportUnreadable } from '../model/allocation.ts';
import type { NamespaceAssignment } from '../model/desired.ts';
import type { Issue } from '../model/issue.ts';
import type { PoolIntent, PoolKind } from '../model/intent.ts';
import type { K8sObject, ObservedObjects, ResourceType } from '../model/k8s-object.ts';

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

export interface RenderResult {
  /** Objects we own, ownership labels and annotations included; empty when the intent is invalid. */
  objects: K8sObject[];
  namespaceAssignments: NamespaceAssignment[];
  /** Errors (nothing rendered), warnings, and conflicts (rendered, but NetBox and the kind disagree). */
  issues: Issue[];
}

/** One NetBox prefix or IP range a hand-written pool would be recorded as: `range` inside its subnet `network`. */
export interface AdoptedSpace {
  range: IpRange;
  network: Cidr;
}

/**
 * A live pool object read back into NetBox terms (adoption): the space, the holes, the custom-field parameters and
 * the kind settings its spec spells. The adopt core turns it into NetBox objects and proves that the render of those
 * gives the same pool back; a shape the kind cannot spell in NetBox terms is `{ ok: false, reason }`.
 */
export interface PoolShape {
  /** One NetBox prefix (range = whole network) or IP range each, in spec order. */
  spaces: AdoptedSpace[];
  /** Addresses inside the spaces the pool must not hand out: NetBox IP addresses or ranges, not ours. */
  held: IpRange[];
  /** `k8s_block_size` (single-family pools). */
  blockSize?: number;
  /** `k8s_node_selector` text: Kubernetes label-selector syntax, or a Calico expression. */
  nodeSelector?: string;
  gateway?: IpAddress;
  /** `k8s_namespaces`: namespaces the pool serves (MetalLB serviceAllocation, Cilium LB service selector). */
  namespaces?: string[];
  /** The pool is disabled / not auto-assigned: NetBox status `deprecated` drains it the same way. */
  draining?: boolean;
  /** Every setting the spec spells, as `kinds.<kind>` keys; the core keeps those that differ from the config. */
  settings: Record<string, unknown>;
}

export type ReadBack = { ok: true; shape: PoolShape } | { ok: false; reason: string };

export interface PoolKindAdapter {
  readonly kind: PoolKind;
  /** Human name: NetBox's choice label for `k8s_pool_kind`, docs. */
  readonly label: string;
  /** Namespace of pools of this kind when neither NetBox nor config names one; absent: cluster-scoped kind. */
  readonly defaultNamespace?: string;
  /** The spec carries the subnet itself (mask, gateway): an IP range whose subnet NetBox does not know is an error. */
  readonly needsSubnet: boolean;
  /** NetBox role that maps to this kind when config does not say otherwise (`k8s-pod` → calico). */
  readonly defaultRole?: string;
  /** What writeback records by default: single addresses (pods, services) or per-node blocks (pod networks). */
  readonly writebackGrain: 'addresses' | 'blocks';
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
  /**
   * Live allocations read out of the observed objects (pools, services, pods, nodes...). Malformed parts of a source
   * are skipped, and told to `unreadable` when given, so the caller knows the kind was not fully read.
   */
  allocations(observed: ObservedObjects, unreadable?: ReportUnreadable): Allocation[];
  /** A live pool object (of the pool type) read back into NetBox terms for adoption; `observed` for companions. */
  readBack(pool: K8sObject, observed: ObservedObjects): ReadBack;
}
