import type { Issue } from './issue.ts';
import type { NetBoxObjectRef, PoolKind } from './intent.ts';
import type { K8sObject } from './k8s-object.ts';

/** The plan as every later stage sees it: changes, guards, source health. The rules that make it live in plan/. */

export const POLICY_NAMES = ['sync', 'upsert-only', 'create-only'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** One leaf that differs. `from` / `to` are absent when the field is absent on that side. */
export interface FieldDiff {
  /** Dotted and indexed: `spec.blocks[0].cidr`, `metadata.labels["app.kubernetes.io/managed-by"]`. */
  path: string;
  from?: unknown;
  to?: unknown;
}

export interface SourceHealth {
  healthy: boolean;
  /** Why the source is unhealthy, e.g. `NetBox timed out after 30s`. */
  reason?: string;
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
}
