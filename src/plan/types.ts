import type { PoolKindAdapter } from '../kinds/adapter.ts';
import type { Allocation } from '../model/allocation.ts';
import type { DesiredObject, NamespaceAssignment, ObservedNamespace } from '../model/desired.ts';
import type { Issue } from '../model/issue.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import type { PolicyName, SourceHealth } from '../model/plan.ts';

/** Shapes the plan stage takes in and hands out. The rules live in plan.ts. */

/** Per-cycle limit on removals; over either limit nothing is removed at all this cycle. Absent: no limit. */
export interface DeleteBudget {
  maxCount?: number;
  /** Percent of the managed objects of this cluster. */
  maxPercent?: number;
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
