/**
 * The plan: objects rendered from NetBox (desired) against objects listed from the cluster (observed) → changes,
 * each with a reason. Pure: no I/O, no clock; the same input gives the same plan, byte for byte.
 *
 * Rows are keyed by object identity (apiVersion/kind/namespace/name), as external-dns keys its planTable by DNS
 * name. Each row becomes at most one *step* (one or two changes that stand or fall together):
 *
 *   desired │ observed                              │ outcome
 *   ────────┼───────────────────────────────────────┼──────────────────────────────────────────────────────────
 *   D       │ –                                     │ create
 *   D       │ same identity, without our label      │ unmanaged: conflict, D is not applied
 *   D       │ ours, but labelled for another cluster│ unmanaged: conflict, D is not applied
 *   D       │ ours, being deleted                   │ blocked: created again once it is gone
 *   D       │ ours, equal after adapter.normalise   │ nothing
 *   D       │ ours, differs, a NetBox source invalid│ blocked: kept as is
 *   D       │ ours, an immutable path differs       │ replace (apply deletes, then creates: one name cannot hold both)
 *           │   … and the pool has N allocations    │ drain the old + blocked "N live allocations"; retried each cycle
 *   D       │ ours, differs, takes space away that  │ blocked "N live allocations in <removed space>": not applied
 *           │   live allocations sit in             │
 *   D       │ ours, differs                         │ update, with the field diff
 *   –       │ ours                                  │ delete
 *   –       │ ours, the pool has N allocations      │ drain + blocked "N live allocations"; delete retried each cycle
 *   –       │ ours, a NetBox source invalid         │ blocked: kept
 *   –       │ ours, being deleted                   │ nothing
 *   –       │ labelled for another cluster          │ nothing: never ours to touch
 *   –       │ without our label, overlaps a D pool  │ unmanaged: reported, never touched
 *   NetBox error issue (from mapping/render)        │ invalid (+ the pool it names is kept, rows above)
 *   namespace assignments (k8s_namespaces)          │ annotate (see namespaces.ts); a kept pool (rows above) keeps
 *                                                   │   the values it had
 *
 * "Allocations of a pool" are those attributed to it, as the kind's own software ties them (allocations.ts); only the
 * kind's pool object (adapter.owns[0]) holds allocations and drains. Draining uses adapter.drain; a kind that
 * cannot drain is only reported blocked. Drained already → only the blocked note: nothing to apply.
 *
 * Then steps pass, in order, through (guards.ts):
 *   1. policy       sync: everything · upsert-only: no removals (delete, replace, drain of a leaving pool, removing
 *                   namespace values) · create-only: creates only. Refused steps become `blocked`, never vanish.
 *   2. empty-source NetBox failed, or returned no pools where managed pools exist and the last trusted run had some
 *                   (unknown counts as yes): every removal is blocked.
 *   3. delete budget removals this cycle over maxCount or over maxPercent of our managed objects: all blocked.
 *   4. companions   a companion (Calico IPReservation, …) of a pool that stays, stays too.
 *
 * Output order, which apply follows: companions' creates, replaces and updates first (a pool must never be able to
 * hand out an address its Calico IPReservation is about to hold back); then create, replace, update, annotate,
 * drain, delete (a pool's delete before its companions'); then blocked, invalid, unmanaged notes. Within a group
 * by apiVersion, kind, namespace, name.
 */
import type { PoolKindAdapter } from '../kinds/adapter.ts';
import { objectKey } from '../model/k8s-object.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import type { PoolKind } from '../model/intent.ts';
import { intersectRanges } from '../ip/index.ts';
import type { IpRange } from '../ip/index.ts';
import { describeRanges } from './allocations.ts';
import { deepEqual } from './diff.ts';
import { applyDeleteBudget, applyEmptySourceGuard, applyPolicy, holdCompanions } from './guards.ts';
import type { Guarded } from './guards.ts';
import { invalidSteps, issueHolds } from './invalid.ts';
import { planNamespaces } from './namespaces.ts';
import { adapterForObject, describeObject, describeSources, isPoolObject, ownershipOf } from './ownership.ts';
import { noteFor, heldReason, noteStep, planDesired, planOrphan } from './rules.ts';
import type { Step, StepContext } from './rules.ts';
import { CHANGE_ACTIONS } from '../model/plan.ts';
import type { PlanInput } from './types.ts';
import type { Change, ChangeAction, GuardName, GuardNote, NoteChange, Plan } from '../model/plan.ts';
import type { DesiredObject } from '../model/desired.ts';

export function calculatePlan(input: PlanInput): Plan {
  const byKind = new Map<PoolKind, PoolKindAdapter>(input.adapters.map(a => [a.kind, a]));
  const { desired, duplicates } = dedupe(input.desired);
  const holds = issueHolds(input.issues);
  const ctx: StepContext = { cluster: input.cluster, allocations: input.allocations, ...holds };
  let steps: Step[] = [...invalidSteps(input.issues), ...duplicates];

  const observed = new Map(input.observed.map(o => [objectKey(o), o]));
  const conflicted = new Set<string>();
  for (const [key, d] of desired) {
    const adapter = byKind.get(d.poolKind);
    const o = observed.get(key);
    if (o !== undefined && ownershipOf(o, input.cluster) !== 'ours') conflicted.add(key);
    const onError = (why: string): NoteChange => noteFor('blocked', d.poolKind, d.object, d.sources, why);
    if (adapter === undefined) steps.push(noteStep(onError(`no adapter for pool kind ${d.poolKind}`), 'create'));
    else steps.push(...safely(onError, () => planDesired(ctx, adapter, d, o)));
  }
  const ours = input.observed.filter(o => ownershipOf(o, input.cluster) === 'ours');
  for (const o of ours) {
    if (desired.has(objectKey(o))) continue;
    const adapter = adapterForObject(input.adapters, o);
    if (adapter === undefined) continue; // listed by an owned type, so unreachable; nothing safe to do anyway
    const onError = (why: string): NoteChange => ({ ...noteFor('blocked', adapter.kind, o, [], why), observed: o });
    steps.push(...safely(onError, () => planOrphan(ctx, adapter, o)));
  }
  steps.push(...unmanagedOverlaps(input, desired, byKind, conflicted));
  if (input.namespaceAssignments !== undefined || input.namespaces !== undefined) {
    // A pool kept because of bad input keeps its namespaces too: it did not render, so nothing assigns them now.
    const kept = ours.filter(o => {
      const a = adapterForObject(input.adapters, o);
      return a !== undefined && isPoolObject(a, o) && heldReason(ctx, a.kind, o) !== undefined;
    });
    const keptNames = new Set(kept.map(o => o.metadata.name));
    const otherClusters = new Set(
      input.observed.filter(o => ownershipOf(o, input.cluster) === 'other-cluster').map(o => o.metadata.name),
    );
    steps.push(
      ...planNamespaces(input.namespaceAssignments ?? [], input.namespaces, {
        cluster: input.cluster,
        kept: keptNames,
        otherClusters,
      }),
    );
  }

  const desiredPools = [...desired.values()].filter(d => d.primary).length;
  const managedPools = ours.filter(o => {
    const a = adapterForObject(input.adapters, o);
    return a !== undefined && isPoolObject(a, o);
  }).length;
  const guards: GuardNote[] = [];
  const pass = (g: Guarded): void => {
    steps = g.steps;
    if (g.note !== undefined) guards.push(g.note);
  };
  pass(applyPolicy(steps, input.policy));
  pass(applyEmptySourceGuard(steps, { ...input, desiredPools, managedPools }));
  pass(applyDeleteBudget(steps, input.deleteBudget, ours.length));
  pass(holdCompanions(steps));
  guards.push(...stepGuards(steps));

  const companion = (c: Change): boolean => {
    const adapter = c.poolKind === undefined ? undefined : byKind.get(c.poolKind);
    if (adapter === undefined || c.apiVersion === undefined || c.kind === undefined) return false;
    return !isPoolObject(adapter, { apiVersion: c.apiVersion, kind: c.kind, metadata: { name: c.name } });
  };
  const changes = steps.flatMap(s => s.changes).sort((a, b) => compareChanges(a, b, companion));
  const summary = Object.fromEntries(CHANGE_ACTIONS.map(a => [a, 0])) as Plan['summary'];
  for (const c of changes) summary[c.action]++;
  return { changes, summary, guards, desiredPools, source: input.source };
}

/** One bad object (an adapter throwing on odd content) yields a blocked note for it, never a failed plan. */
function safely(onError: (why: string) => NoteChange, plan: () => Step | undefined): Step[] {
  try {
    const step = plan();
    return step === undefined ? [] : [step];
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const c = onError(`could not plan this object (${message}); left as is`);
    return [noteStep(c, c.blockedAction ?? 'update')];
  }
}

function sourceKey(d: DesiredObject): string {
  return d.sources.map(s => `${s.model}/${String(s.id).padStart(12, '0')}`).join(',');
}

/** Two NetBox pools rendering one object: the one with the lowest sources wins, stably; the other is invalid. */
function dedupe(all: readonly DesiredObject[]): { desired: Map<string, DesiredObject>; duplicates: Step[] } {
  const desired = new Map<string, DesiredObject>();
  const duplicates: Step[] = [];
  const sorted = [...all].sort((a, b) => (sourceKey(a) < sourceKey(b) ? -1 : sourceKey(a) > sourceKey(b) ? 1 : 0));
  for (const d of sorted) {
    const key = objectKey(d.object);
    const kept = desired.get(key);
    if (kept === undefined) {
      desired.set(key, d);
    } else if (!deepEqual(kept, d)) {
      const reason =
        `${describeSources(d.sources)} renders the same object as ${describeSources(kept.sources)}; ` +
        'only one NetBox pool may own a name — give one of them another k8s_pool_name';
      const c = noteFor('invalid', d.poolKind, d.object, d.sources, reason);
      duplicates.push(noteStep(c, 'create'));
    }
  }
  return { desired, duplicates };
}

/** Objects without our label whose address space overlaps a desired pool: reported, never touched. */
function unmanagedOverlaps(
  input: PlanInput,
  desired: ReadonlyMap<string, DesiredObject>,
  byKind: ReadonlyMap<PoolKind, PoolKindAdapter>,
  conflicted: ReadonlySet<string>,
): Step[] {
  const pools: { d: DesiredObject; ranges: IpRange[] }[] = [];
  const steps: Step[] = [];
  for (const d of desired.values()) {
    const adapter = byKind.get(d.poolKind);
    if (!d.primary || adapter === undefined) continue;
    const onError = (why: string): NoteChange => noteFor('blocked', d.poolKind, d.object, d.sources, why);
    steps.push(
      ...safely(onError, () => {
        pools.push({ d, ranges: adapter.coveredRanges(d.object) });
        return undefined;
      }),
    );
  }
  for (const o of input.observed) {
    if (ownershipOf(o, input.cluster) !== 'unmanaged' || conflicted.has(objectKey(o))) continue;
    const adapter = adapterForObject(input.adapters, o);
    if (adapter === undefined || !isPoolObject(adapter, o)) continue;
    const onError = (why: string): NoteChange => noteFor('unmanaged', adapter.kind, o, [], why);
    steps.push(...safely(onError, () => overlapNote(adapter, o, pools)));
  }
  return steps;
}

function overlapNote(
  adapter: PoolKindAdapter,
  o: K8sObject,
  pools: readonly { d: DesiredObject; ranges: IpRange[] }[],
): Step | undefined {
  const ranges = adapter.coveredRanges(o);
  const hits = pools.map(p => ({ p, shared: intersectRanges(p.ranges, ranges) })).filter(h => h.shared.length > 0);
  if (hits.length === 0) return undefined;
  const names = hits.map(h => describeObject(h.p.d.object)).join(', ');
  const shared = describeRanges(hits.flatMap(h => h.shared));
  const reason = `not managed by netbox-ippool-sync and overlaps ${names} in ${shared}: reported, never touched`;
  const c = noteFor(
    'unmanaged',
    adapter.kind,
    o,
    hits.flatMap(h => h.p.d.sources),
    reason,
  );
  c.observed = o;
  return noteStep(c, 'create');
}

const STEP_GUARD_REASONS: Partial<Record<GuardName, string>> = {
  'live-allocations': 'pools with live allocations are drained, not deleted, replaced or shrunk',
  'invalid-source': 'pools whose NetBox source is invalid this cycle are kept as they are',
};

function stepGuards(steps: readonly Step[]): GuardNote[] {
  const notes: GuardNote[] = [];
  for (const [guard, reason] of Object.entries(STEP_GUARD_REASONS) as [GuardName, string][]) {
    const objects = steps.filter(s => s.guard === guard).map(s => s.subject);
    if (objects.length > 0) notes.push({ guard, reason, objects: objects.sort() });
  }
  return notes;
}

const ORDER = new Map(CHANGE_ACTIONS.map((a, i) => [a, i]));
const ADDITIVE: ReadonlySet<ChangeAction> = new Set(['create', 'replace', 'update']);

function compareChanges(a: Change, b: Change, companion: (c: Change) => boolean): number {
  // Companions first in (before every pool change), last out (after the pools' deletes).
  const rank = (c: Change): number[] => [
    ADDITIVE.has(c.action) && companion(c) ? 0 : 1,
    ORDER.get(c.action) ?? 0,
    c.action === 'delete' && companion(c) ? 1 : 0,
  ];
  const [ra, rb] = [rank(a), rank(b)];
  for (let i = 0; i < ra.length; i++) {
    const d = (ra[i] ?? 0) - (rb[i] ?? 0);
    if (d !== 0) return d;
  }
  const ka = [a.apiVersion ?? '', a.kind ?? '', a.namespace ?? '', a.name, a.reason];
  const kb = [b.apiVersion ?? '', b.kind ?? '', b.namespace ?? '', b.name, b.reason];
  for (let i = 0; i < ka.length; i++) {
    const x = ka[i] ?? '';
    const y = kb[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
