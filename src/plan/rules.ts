import { intersectRanges, subtractRanges } from '../ip/index.ts';
import type { PoolKindAdapter } from '../kinds/adapter.ts';
import type { Allocation } from '../model/allocation.ts';
import { objectKey } from '../model/k8s-object.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import { CLUSTER_LABEL, SPEC_HASH_ANNOTATION } from '../model/ownership.ts';
import type { NetBoxObjectRef, PoolKind } from '../model/intent.ts';
import { allocationsInRemovedSpace, allocationsOfPool, countPhrase, describeRanges } from './allocations.ts';
import { formatValue } from './diff.ts';
import { describeObject, describeSources, isPoolObject, ownershipOf, refKey, sourcesOf } from './ownership.ts';
import { specHashChanged } from './compare.ts';
import { immutableChanges } from './compare.ts';
import { compareObjects } from './compare.ts';
import { applyable } from './compare.ts';
import type { Comparison } from './compare.ts';
import type { StepClass } from './policy.ts';
import type { Change, ChangeAction, GuardName, NoteChange, ObjectChange } from '../model/plan.ts';
import type { DesiredObject } from '../model/desired.ts';

/**
 * The outcome for one object, before policies and guards: a step is what policies allow or refuse as a whole
 * (a drain and its "blocked" note travel together).
 */
export interface Step {
  cls: StepClass;
  /** What the step is ultimately for; becomes `blockedAction` when a policy or guard refuses it. */
  intent: ChangeAction;
  subject: string;
  changes: Change[];
  /** Counts toward the delete budget: it removes or drains an object this cycle. */
  budgeted: boolean;
  /** Why it is planned; quoted when a policy or guard refuses it. */
  why: string;
  /** Set on notes that a guard of the plan produced, for the guard summary. */
  guard?: GuardName;
  /** Orphans only: a companion's delete waits while a pool with the same NetBox sources stays. */
  orphan?: { poolKind: PoolKind; primary: boolean; sources: string[] };
}

export interface StepContext {
  cluster: string;
  allocations: readonly Allocation[];
  /** `prefix/12` keys of NetBox objects with error issues this cycle. */
  invalidSources: ReadonlySet<string>;
  /** `poolKey`s of pools whose render failed this cycle. */
  heldPools: ReadonlySet<string>;
  /** `objectKey`s of Kubernetes objects named by error issues. */
  heldObjects: ReadonlySet<string>;
}

export function poolKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

/** What a change about one object says before its action: the object, its kind, its NetBox sources, why. */
export function aboutObject(
  poolKind: PoolKind,
  obj: K8sObject,
  sources: readonly NetBoxObjectRef[],
  reason: string,
): ObjectChange {
  const c: ObjectChange = {
    poolKind,
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name: obj.metadata.name,
    reason,
    sources: [...sources],
  };
  if (obj.metadata.namespace !== undefined) c.namespace = obj.metadata.namespace;
  return c;
}

/** An update or replace: the desired object sent over the observed one, with the field diff. */
function rewrite(
  action: 'update' | 'replace',
  adapter: PoolKindAdapter,
  pair: { d: DesiredObject; o: K8sObject; cmp: Comparison },
  why: string,
): Change {
  const { d, o, cmp } = pair;
  return {
    ...aboutObject(adapter.kind, d.object, d.sources, why),
    action,
    desired: d.object,
    observed: o,
    diff: cmp.diff,
  };
}

/** A note (blocked, invalid, unmanaged) about one object. */
export function noteFor(
  action: NoteChange['action'],
  poolKind: PoolKind,
  obj: K8sObject,
  sources: readonly NetBoxObjectRef[],
  reason: string,
): NoteChange {
  return { ...aboutObject(poolKind, obj, sources, reason), action };
}

/** `projectcalico.org/v3 IPPool pods-a`; `calico pool pods-a` for a pool that did not render; else the name. */
export function subjectOf(c: Change): string {
  const ns = c.namespace === undefined ? '' : `${c.namespace}/`;
  if (c.apiVersion !== undefined && c.kind !== undefined) return `${c.apiVersion} ${c.kind} ${ns}${c.name}`;
  if (c.poolKind !== undefined) return `${c.poolKind} pool ${ns}${c.name}`;
  return c.name;
}

export function noteStep(change: Change, intent: ChangeAction, guard?: GuardName): Step {
  const step: Step = {
    cls: 'note',
    intent,
    subject: subjectOf(change),
    changes: [change],
    budgeted: false,
    why: change.reason,
  };
  if (guard !== undefined) step.guard = guard;
  return step;
}

function blockedNote(
  poolKind: PoolKind,
  obj: K8sObject,
  sources: readonly NetBoxObjectRef[],
  reason: string,
  intent: ChangeAction,
): NoteChange {
  return { ...aboutObject(poolKind, obj, sources, reason), action: 'blocked', blockedAction: intent };
}

function short(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : formatValue(v);
}

const SHOWN_PATHS = 3;

function listPaths(c: Comparison): string {
  const paths = c.diff.map(d => d.path).filter(p => !p.includes(SPEC_HASH_ANNOTATION));
  if (paths.length === 0) return 'spec hash';
  const head = paths.slice(0, SHOWN_PATHS).join(', ');
  return paths.length > SHOWN_PATHS ? `${head} and ${paths.length - SHOWN_PATHS} more` : head;
}

/**
 * Whether a pool whose render failed holds this object. Kinds that split a pool into one object per CIDR name
 * them `<pool>-<cidr>`, so a held pool holds every object named with its prefix too: holding too much only
 * delays a change by a cycle, holding too little could delete a pool because of bad input.
 */
function heldByPool(held: ReadonlySet<string>, kind: PoolKind, o: K8sObject): boolean {
  const name = o.metadata.name;
  for (let cut = name.length; cut > 0; cut = name.lastIndexOf('-', cut - 1)) {
    if (held.has(poolKey(kind, o.metadata.namespace, name.slice(0, cut)))) return true;
  }
  return false;
}

/** Why an observed object must stay as it is this cycle, if it must. */
export function heldReason(ctx: StepContext, kind: PoolKind, o: K8sObject): string | undefined {
  const bad = sourcesOf(o).filter(r => ctx.invalidSources.has(refKey(r)));
  if (bad.length > 0)
    return `its NetBox source ${bad.map(refKey).join(', ')} is invalid this cycle (see the invalid entry)`;
  if (heldByPool(ctx.heldPools, kind, o)) {
    return 'its pool could not be rendered this cycle (see the invalid entry)';
  }
  if (ctx.heldObjects.has(objectKey(o))) return 'an error was reported for it this cycle (see the invalid entry)';
  return undefined;
}

/** A delete or replace of a pool object that live allocations stop this cycle. */
interface BlockedRemoval {
  intent: ChangeAction;
  sources: readonly NetBoxObjectRef[];
  /** Live allocations in the pool. */
  held: number;
  /** Why it cannot go ahead, e.g. `blocked: 3 live allocations in 10.0.0.0/24`. */
  blockedText: string;
  /** Why the removal is planned; the drain quotes it. */
  drainWhy: string;
}

/** Drain `o` if the kind can and it is not drained yet; either way a `blocked` note carries the count. */
function drainOrBlock(adapter: PoolKindAdapter, o: K8sObject, removal: BlockedRemoval): Step {
  const { intent, sources, held, blockedText, drainWhy } = removal;
  const changes: Change[] = [];
  const drained = adapter.drain(o);
  let tail: string;
  if (drained === null) {
    tail = `${adapter.kind} pools cannot be drained, move the workloads off`;
  } else {
    const cmp = compareObjects(adapter, drained, o);
    if (cmp.diff.length === 0) {
      tail = 'already drained';
    } else {
      const why = `${drainWhy}; no new allocations while ${countPhrase(held)} remain`;
      changes.push({
        ...aboutObject(adapter.kind, o, sources, why),
        action: 'drain',
        desired: applyable(drained),
        observed: o,
        diff: cmp.diff,
        allocations: held,
      });
      tail = 'drained instead';
    }
  }
  const retry = intent === 'replace' ? 'replace is retried each cycle' : 'delete is retried each cycle';
  const blocked = blockedNote(adapter.kind, o, sources, `${blockedText} — ${tail}; ${retry}`, intent);
  blocked.allocations = held;
  blocked.observed = o;
  changes.push(blocked);
  const draining = changes.length > 1;
  return {
    cls: draining ? 'removal' : 'note',
    intent,
    subject: describeObject(o),
    changes,
    budgeted: draining,
    why: draining ? `${drainWhy}; ${blocked.reason}` : blocked.reason,
    guard: 'live-allocations',
  };
}

/**
 * A change to fields the cluster will not edit in place (Calico blockSize, Cilium maskSize) plans as a
 * replacement, or as a drain while live allocations hold the pool; undefined when every changed field is mutable.
 */
function replaceStep(
  ctx: StepContext,
  adapter: PoolKindAdapter,
  d: DesiredObject,
  o: K8sObject,
  cmp: Comparison,
): Step | undefined {
  const imm = immutableChanges(adapter, o, cmp, d.object);
  if (imm.length === 0) return undefined;
  const what = imm.map(i => `${i.path} ${short(i.from)} → ${short(i.to)}`).join('; ');
  if (d.primary) {
    const ranges = adapter.coveredRanges(o);
    const held = allocationsOfPool(ctx.allocations, adapter.kind, o).length;
    if (held > 0) {
      const text = `${what} cannot change in place; blocked: ${countPhrase(held)} in ${describeRanges(ranges)}`;
      return drainOrBlock(adapter, o, {
        intent: 'replace',
        sources: d.sources,
        held,
        blockedText: text,
        drainWhy: `${what} needs a replacement`,
      });
    }
  }
  const why = `${what} cannot change in place: replace`;
  const c = rewrite('replace', adapter, { d, o, cmp }, why);
  return { cls: 'removal', intent: 'replace', subject: describeObject(o), changes: [c], budgeted: true, why };
}

/** A desired object and its observed counterpart (if any) → at most one step. */
export function planDesired(
  ctx: StepContext,
  adapter: PoolKindAdapter,
  d: DesiredObject,
  o: K8sObject | undefined,
): Step | undefined {
  const subject = describeObject(d.object);
  if (o === undefined) {
    const why = d.primary
      ? `${describeSources(d.sources)} ${d.sources.length > 1 ? 'are' : 'is'} new`
      : `${describeSources(d.sources)} needs this ${d.object.kind}`;
    const c: Change = { ...aboutObject(adapter.kind, d.object, d.sources, why), action: 'create', desired: d.object };
    return { cls: 'create', intent: 'create', subject, changes: [c], budgeted: false, why };
  }
  const owner = ownershipOf(o, ctx.cluster);
  if (owner !== 'ours') {
    const whose =
      owner === 'unmanaged'
        ? 'is not managed by netbox-ippool-sync'
        : `is managed by netbox-ippool-sync for cluster "${o.metadata.labels?.[CLUSTER_LABEL] ?? ''}", not "${ctx.cluster}"`;
    const why = `exists but ${whose}; adopt it explicitly or rename the NetBox pool`;
    const c: Change = {
      ...aboutObject(adapter.kind, d.object, d.sources, why),
      action: 'unmanaged',
      desired: d.object,
      observed: o,
    };
    return noteStep(c, 'create');
  }
  if (o.metadata.deletionTimestamp !== undefined) {
    const reason = `is being deleted (since ${o.metadata.deletionTimestamp}); it is created again once it is gone`;
    return noteStep(blockedNote(adapter.kind, d.object, d.sources, reason, 'create'), 'create');
  }
  const cmp = compareObjects(adapter, d.object, o);
  if (cmp.diff.length === 0) return undefined;
  const held = heldReason(ctx, adapter.kind, o);
  if (held !== undefined) {
    const c = blockedNote(adapter.kind, o, sourcesOf(o), `kept as is: ${held}; not updated`, 'update');
    c.diff = cmp.diff;
    return noteStep(c, 'update', 'invalid-source');
  }
  const replacement = replaceStep(ctx, adapter, d, o, cmp);
  if (replacement !== undefined) return replacement;
  if (d.primary) {
    const removed = subtractRanges(adapter.coveredRanges(o), adapter.coveredRanges(d.object));
    const hit = allocationsInRemovedSpace(ctx.allocations, adapter.kind, o, removed);
    if (hit.length > 0) {
      const where = describeRanges(
        intersectRanges(
          hit.map(a => a.range),
          removed,
        ),
      );
      const reason =
        `blocked: ${countPhrase(hit.length)} in ${where}; the update would take ` +
        `${describeRanges(removed)} out of the pool — not applied, retried each cycle`;
      const c = blockedNote(adapter.kind, d.object, d.sources, reason, 'update');
      Object.assign(c, { desired: d.object, observed: o, diff: cmp.diff, allocations: hit.length });
      return noteStep(c, 'update', 'live-allocations');
    }
  }
  const why = specHashChanged(d.object, o)
    ? `${describeSources(d.sources)} changed: ${listPaths(cmp)}`
    : `drifted from ${describeSources(d.sources)} (edited in the cluster?): ${listPaths(cmp)}`;
  const c = rewrite('update', adapter, { d, o, cmp }, why);
  return { cls: 'update', intent: 'update', subject, changes: [c], budgeted: false, why };
}

/** An observed object of ours that nothing desired matches → delete, drain, or keep. */
export function planOrphan(ctx: StepContext, adapter: PoolKindAdapter, o: K8sObject): Step | undefined {
  if (o.metadata.deletionTimestamp !== undefined) return undefined;
  const sources = sourcesOf(o);
  const primary = isPoolObject(adapter, o);
  const orphan = { poolKind: adapter.kind, primary, sources: sources.map(refKey) };
  const held = heldReason(ctx, adapter.kind, o);
  if (held !== undefined) {
    const c = blockedNote(adapter.kind, o, sources, `kept: ${held}; not deleted`, 'delete');
    c.observed = o;
    return { ...noteStep(c, 'delete', 'invalid-source'), orphan };
  }
  const from = sources.length > 0 ? ` (it came from ${sources.map(refKey).join(', ')})` : '';
  const gone = `no NetBox object selects it any more${from}`;
  if (primary) {
    const ranges = adapter.coveredRanges(o);
    const n = allocationsOfPool(ctx.allocations, adapter.kind, o).length;
    if (n > 0) {
      const text = `blocked: ${countPhrase(n)} in ${describeRanges(ranges)}`;
      const step = drainOrBlock(adapter, o, { intent: 'delete', sources, held: n, blockedText: text, drainWhy: gone });
      return { ...step, orphan };
    }
  }
  const c: Change = { ...aboutObject(adapter.kind, o, sources, gone), action: 'delete', observed: o };
  return {
    cls: 'removal',
    intent: 'delete',
    subject: describeObject(o),
    changes: [c],
    budgeted: true,
    why: gone,
    orphan,
  };
}
