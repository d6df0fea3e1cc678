import type { Allocation, NamespaceAssignment, PoolKindAdapter } from '../k8s/kinds/adapter.ts';
import type { K8sObject } from '../k8s/object.ts';
import type { NetBoxObjectRef, PoolKind } from '../mapping/intent.ts';
import type { Issue } from '../mapping/issue.ts';
import type { FieldDiff } from './diff.ts';
import type { PolicyName } from './policy.ts';

/** Shapes the plan stage takes in and hands out. The rules live in plan.ts. */

/** One object rendered from NetBox for this cluster. */
export interface DesiredObject {
  object: K8sObject;
  poolKind: PoolKind;
  /** NetBox objects behind it, sorted by model then id. */
  sources: NetBoxObjectRef[];
  /** True for the kind's pool object (`adapter.owns[0]`): the one that holds allocations and drains. */
  primary: boolean;
}

/** A namespace as observed, for planning `k8s_namespaces` annotations. */
export interface ObservedNamespace {
  name: string;
  annotations: Readonly<Record<string, string>>;
}

/** Per-cycle limit on removals; over either limit nothing is removed at all this cycle. Absent: no limit. */
export interface DeleteBudget {
  maxCount?: number;
  /** Percent of the managed objects of this cluster. */
  maxPercent?: number;
}

export interface SourceHealth {
  healthy: boolean;
  /** Why the source is unhealthy, e.g. `NetBox timed out after 30s`. */
  reason?: string;
}

export interface PlanInput {
  /** Cluster name from config; objects labelled for another cluster are not ours. */
  cluster: string;
  desired: readonly DesiredObject[];
  /** Every object of the owned resource types, ours and not ours. */
  observed: readonly K8sObject[];
  allocations: readonly Allocation[];
  /** From mapping and render; errors become `invalid` changes and protect the pools they name. */
  issues: readonly Issue[];
  namespaceAssignments?: readonly NamespaceAssignment[];
  /** Needed when there are namespace assignments, or were any before. */
  namespaces?: readonly ObservedNamespace[];
  policy: PolicyName;
  deleteBudget?: DeleteBudget;
  source: SourceHealth;
  /**
   * Pool count of the last run whose source was trusted (no empty-source guard). Unknown counts as "had pools".
   * Callers must not record the count of a run in which the guard tripped, or the next run would delete everything.
   */
  previousPoolCount?: number;
  /** Operator override: NetBox really is meant to be empty for this cluster now. Never overrides an unhealthy source. */
  allowEmptySource?: boolean;
  adapters: readonly PoolKindAdapter[];
}

export const CHANGE_ACTIONS = [
  'create',
  'replace',
  'update',
  'annotate',
  'drain',
  'delete',
  'blocked',
  'invalid',
  'unmanaged',
] as const;
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];

/** Actions the apply stage carries out; the others are notes for people and the drift report. */
export const APPLIED_ACTIONS: readonly ChangeAction[] = ['create', 'replace', 'update', 'annotate', 'drain', 'delete'];

/** JSON merge patch for a Namespace; `null` removes an annotation. */
export interface NamespacePatch {
  metadata: { annotations: Record<string, string | null> };
}

export interface Change {
  action: ChangeAction;
  /** Absent on notes that are not about one pool kind (a NetBox object, a namespace, config). */
  poolKind?: PoolKind;
  /** Absent on `invalid` changes about a NetBox object or config: `name` then describes the subject. */
  apiVersion?: string;
  kind?: string;
  name: string;
  namespace?: string;
  /** One sentence, why. */
  reason: string;
  diff?: FieldDiff[];
  /** What apply sends (create, update, replace, drain). */
  desired?: K8sObject;
  observed?: K8sObject;
  /** `annotate` only: the merge patch for the namespace. */
  patch?: NamespacePatch;
  sources: NetBoxObjectRef[];
  /** Live allocations that block (or would have blocked) the change. */
  allocations?: number;
  issue?: Issue;
  /** `blocked` only: what would have happened. */
  blockedAction?: ChangeAction;
}

export type GuardName =
  'policy' | 'empty-source' | 'delete-budget' | 'invalid-source' | 'live-allocations' | 'kept-with-pool';

/** What held back which changes, and why. */
export interface GuardNote {
  guard: GuardName;
  reason: string;
  /** `apiVersion Kind namespace/name` of each object held back, sorted. */
  objects: string[];
}

export interface Plan {
  /**
   * Ordered: companions' creates and updates, then create, replace, update, annotate, drain, delete (pools before
   * companions), then blocked, invalid, unmanaged notes. Apply carries them out in this order.
   */
  changes: Change[];
  summary: Record<ChangeAction, number>;
  guards: GuardNote[];
  /** Desired pool objects this run: what the caller records as `previousPoolCount` when no empty-source guard tripped. */
  desiredPools: number;
  /**
   * Whether NetBox could be read. When it could not, nothing was planned from it: the changes are only the
   * removals the guards held back, and the plan's headline says NetBox was not read (format.ts).
   */
  source: SourceHealth;
}
