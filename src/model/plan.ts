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

/** What every change says: its subject, why, and the NetBox objects behind it. */
interface ChangeBase {
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
  sources: NetBoxObjectRef[];
  /** Live allocations that block (or would have blocked) the change. */
  allocations?: number;
}

/** A change to one Kubernetes object of one pool kind. */
export interface ObjectChange extends ChangeBase {
  poolKind: PoolKind;
  apiVersion: string;
  kind: string;
}

export interface CreateChange extends ObjectChange {
  action: 'create';
  /** What apply sends. */
  desired: K8sObject;
}

/** Update, replace (delete then create) and drain all send `desired` over what was `observed`. */
export interface RewriteChange extends ObjectChange {
  action: 'update' | 'replace' | 'drain';
  desired: K8sObject;
  observed: K8sObject;
}

export interface DeleteChange extends ObjectChange {
  action: 'delete';
  observed: K8sObject;
}

/** A namespace's `k8s_namespaces` annotations: one JSON merge patch. */
export interface AnnotateChange extends ChangeBase {
  action: 'annotate';
  apiVersion: 'v1';
  kind: 'Namespace';
  patch: NamespacePatch;
}

/** Notes for people and the drift report; apply carries none of them out. */
export interface NoteChange extends ChangeBase {
  action: 'blocked' | 'invalid' | 'unmanaged';
  /** `blocked` only: what would have happened. */
  blockedAction?: ChangeAction;
  desired?: K8sObject;
  observed?: K8sObject;
  patch?: NamespacePatch;
  issue?: Issue;
}

/** One row of a plan, keyed on `action`: the compiler knows what each action carries. */
export type Change = CreateChange | RewriteChange | DeleteChange | AnnotateChange | NoteChange;
/** The changes apply carries out. */
export type AppliedChange = Exclude<Change, NoteChange>;

/** The object a change sends, where it sends one. */
export function desiredOf(c: Change): K8sObject | undefined {
  return 'desired' in c ? c.desired : undefined;
}

/** The object as observed, where the change is about an existing one. */
export function observedOf(c: Change): K8sObject | undefined {
  return 'observed' in c ? c.observed : undefined;
}

/** The namespace merge patch, for an annotate (or a blocked annotate). */
export function patchOf(c: Change): NamespacePatch | undefined {
  return 'patch' in c ? c.patch : undefined;
}

export function isApplied(c: Change): c is AppliedChange {
  return (APPLIED_ACTIONS as readonly string[]).includes(c.action);
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
