import type { NamespaceAssignment } from '../model/desired.ts';
import type { K8sObject, ObjectMeta } from '../model/k8s-object.ts';
import type { Issue } from '../model/issue.ts';
import type { FieldDiff } from '../model/plan.ts';
import { LEGACY_NAMESPACE_VALUES_ANNOTATION, namespaceValuesAnnotation } from '../model/ownership.ts';
import { formatPath } from './diff.ts';
import type { StepClass } from './policy.ts';
import { noteStep } from './rules.ts';
import type { Step } from './rules.ts';
import type { AnnotateChange, Change, NamespacePatch, NoteChange } from '../model/plan.ts';
import type { ObservedNamespace } from '../model/desired.ts';

/**
 * Namespace annotations from `k8s_namespaces` (e.g. Calico `cni.projectcalico.org/ipv4pools`). Several pools may
 * name one namespace, and people or other tools may put their own values in the same annotation, so:
 *   - values from all pools for one namespace and annotation merge into one sorted JSON array — except where the
 *     annotation holds one plain name (`format: 'single'`, Cilium's ip-pool): several pools there cannot be said;
 *   - other annotations are never touched;
 *   - we remove only values we set: a record annotation, one per cluster name (namespaceValuesAnnotation), holds
 *     per annotation key the values this cluster name's daemon added. A value that was already there when we first
 *     wanted it stays the other party's and is never removed by us; so are values another daemon (another cluster
 *     name on the same apiserver) set, which its own record holds.
 *   - the one shared record of older releases (LEGACY_NAMESPACE_VALUES_ANNOTATION) is taken over value by value:
 *     a value in it is ours unless a pool object of another cluster name carries that name; what is left stays
 *     there for the other daemons, and the record is removed once it is empty.
 * One change per namespace (one merge patch); it counts as a removal as soon as it takes any value away.
 */

type Values = Record<string, string[]>;
type Format = NonNullable<NamespaceAssignment['format']>;
type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

function parseJson(raw: string): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every(x => typeof x === 'string');
}

function parseValues(raw: string | undefined): Parsed<string[]> {
  if (raw === undefined) return { ok: true, value: [] };
  const p = parseJson(raw);
  if (!p.ok) return p;
  return isStringArray(p.value) ? { ok: true, value: p.value } : { ok: false, reason: 'not a JSON array of strings' };
}

/**
 * The values an annotation holds now and how it spells them. Plain text is one name where the annotation holds
 * one (an assignment says so), or where it is a value we set ourselves (its pool has left NetBox since).
 */
function readAnnotation(
  raw: string | undefined,
  single: boolean,
  owned: readonly string[],
): Parsed<[string[], Format]> {
  const text = raw?.trim();
  if (text !== undefined && !text.startsWith('[') && (single || owned.includes(text))) {
    return { ok: true, value: [text === '' ? [] : [text], 'single'] };
  }
  const p = parseValues(raw);
  return p.ok ? { ok: true, value: [p.value, single ? 'single' : 'json-array'] } : p;
}

function spell(values: readonly string[], format: Format): string | null {
  if (values.length === 0) return null;
  return format === 'single' ? (values[0] ?? null) : JSON.stringify(values);
}

/** Our record of what we set; unreadable means "we own nothing", so nothing is ever removed on a guess. */
function parseOwned(raw: string | undefined): Values {
  if (raw === undefined) return {};
  const p = parseJson(raw);
  if (!p.ok || typeof p.value !== 'object' || p.value === null || Array.isArray(p.value)) return {};
  const out: Values = {};
  for (const [k, v] of Object.entries(p.value)) if (isStringArray(v)) out[k] = v;
  return out;
}

const sortedUnique = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();
const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  sortedUnique(a).join('\n') === sortedUnique(b).join('\n');

function wanted(assignments: readonly NamespaceAssignment[]): Map<string, Map<string, Set<string>>> {
  const byNs = new Map<string, Map<string, Set<string>>>();
  for (const a of assignments) {
    const keys = byNs.get(a.namespace) ?? new Map<string, Set<string>>();
    byNs.set(a.namespace, keys);
    const set = keys.get(a.annotation) ?? new Set<string>();
    keys.set(a.annotation, set);
    for (const v of a.values) set.add(v);
  }
  return byNs;
}

function annotationChange(name: string, reason: string, patch: NamespacePatch): AnnotateChange {
  return { action: 'annotate', apiVersion: 'v1', kind: 'Namespace', name, reason, sources: [], patch };
}

export interface NamespacePlanOptions {
  /** Cluster name from config: whose record of set values is read and written. */
  cluster: string;
  /** Pools that stay as they are this cycle (bad input in NetBox); values of theirs we set are not removed. */
  kept?: ReadonlySet<string>;
  /** Names of pool objects labelled for other cluster names: their values in the legacy record are not ours. */
  otherClusters?: ReadonlySet<string>;
}

interface Scope {
  record: string;
  kept: ReadonlySet<string>;
  otherClusters: ReadonlySet<string>;
}

export function planNamespaces(
  assignments: readonly NamespaceAssignment[],
  namespaces: readonly ObservedNamespace[] | undefined,
  opts: NamespacePlanOptions,
): Step[] {
  const scope: Scope = {
    record: namespaceValuesAnnotation(opts.cluster),
    kept: opts.kept ?? new Set(),
    otherClusters: opts.otherClusters ?? new Set(),
  };
  const want = wanted(assignments);
  const single = new Set(assignments.filter(a => a.format === 'single').map(a => a.annotation));
  const seen = new Map((namespaces ?? []).map(n => [n.name, n]));
  const names = new Set([...want.keys()]);
  for (const n of seen.values()) {
    const a = n.annotations;
    if (a[scope.record] !== undefined || a[LEGACY_NAMESPACE_VALUES_ANNOTATION] !== undefined) names.add(n.name);
  }
  const steps: Step[] = [];
  for (const name of [...names].sort()) {
    const keys = want.get(name) ?? new Map<string, Set<string>>();
    const ns = seen.get(name);
    if (ns === undefined) {
      const list = [...keys.keys()].sort().join(', ');
      steps.push(blockedAnnotation(name, `namespace ${name} does not exist; cannot set ${list}`));
      continue;
    }
    steps.push(...planNamespace(ns, keys, single, scope));
  }
  return steps;
}

/** Values of the shared record of older releases: the ones to take over as ours, and the ones left to others. */
function takeOverLegacy(raw: string | undefined, otherClusters: ReadonlySet<string>): { ours: Values; left: Values } {
  const ours: Values = {};
  const left: Values = {};
  for (const [key, values] of Object.entries(parseOwned(raw))) {
    const theirs = values.filter(v => otherClusters.has(v));
    const mine = values.filter(v => !otherClusters.has(v));
    if (mine.length > 0) ours[key] = mine;
    if (theirs.length > 0) left[key] = theirs;
  }
  return { ours, left };
}

/** Writes a record of set values (ours, or the legacy shared one) when it changes; an empty record is removed. */
function recordValues(
  patch: Record<string, string | null>,
  diff: FieldDiff[],
  r: { key: string; raw: string | undefined; next: Values; always: boolean },
): void {
  const next = Object.keys(r.next).length > 0 ? JSON.stringify(r.next) : null;
  if (!r.always && r.raw === undefined) return;
  if ((next ?? undefined) === r.raw) return;
  patch[r.key] = next;
  diff.push(fieldDiff(r.key, r.raw, next));
}

function planNamespace(
  ns: ObservedNamespace,
  want: Map<string, Set<string>>,
  single: ReadonlySet<string>,
  { record, kept, otherClusters }: Scope,
): Step[] {
  const ownedRaw = ns.annotations[record];
  const owned = parseOwned(ownedRaw);
  const legacyRaw = ns.annotations[LEGACY_NAMESPACE_VALUES_ANNOTATION];
  const legacy = takeOverLegacy(legacyRaw, otherClusters);
  for (const [key, values] of Object.entries(legacy.ours))
    owned[key] = sortedUnique([...(owned[key] ?? []), ...values]);
  const patch: Record<string, string | null> = {};
  const diff: FieldDiff[] = [];
  const said: string[] = [];
  const notes: Step[] = [];
  const nextOwned: Values = {};
  let removes = false;
  let allNew = true;
  for (const key of sortedUnique([...want.keys(), ...Object.keys(owned)])) {
    const plan = planAnnotation(ns, key, { want, single, kept }, owned[key] ?? []);
    if (plan.owned.length > 0) nextOwned[key] = plan.owned;
    if ('blocked' in plan) {
      notes.push(blockedAnnotation(ns.name, plan.blocked));
      continue;
    }
    const { edit } = plan;
    if (edit === undefined) continue;
    const added = edit.next.filter(v => !edit.current.includes(v));
    const removed = edit.current.filter(v => !edit.next.includes(v));
    removes ||= removed.length > 0;
    allNew &&= edit.raw === undefined;
    patch[key] = spell(edit.next, edit.format);
    diff.push(fieldDiff(key, edit.raw, patch[key]));
    said.push(describeEdit(key, added, removed));
  }
  recordValues(patch, diff, { key: record, raw: ownedRaw, next: nextOwned, always: true });
  recordValues(patch, diff, {
    key: LEGACY_NAMESPACE_VALUES_ANNOTATION,
    raw: legacyRaw,
    next: legacy.left,
    always: false,
  });
  if (Object.keys(patch).length === 0) return notes;
  const reason =
    said.length > 0
      ? `pools assigned in NetBox (k8s_namespaces): ${said.join('; ')}`
      : 'records which annotation values netbox-ippool-sync set';
  const change: Change = { ...annotationChange(ns.name, reason, { metadata: { annotations: patch } }), diff };
  const cls: StepClass = removes ? 'removal' : allNew && said.length > 0 ? 'create' : 'update';
  const step: Step = {
    cls,
    intent: 'annotate',
    subject: `v1 Namespace ${ns.name}`,
    changes: [change],
    budgeted: false,
    why: reason,
  };
  return [step, ...notes];
}

/** What the pools want of one namespace: values per annotation key, and which keys hold a single name. */
interface NamespaceWants {
  want: Map<string, Set<string>>;
  single: ReadonlySet<string>;
  kept: ReadonlySet<string>;
}

/**
 * One annotation key of one namespace. `owned`: the values we own afterwards. Either the annotation is left
 * alone with a reason (unreadable, or a single-name annotation several pools want), or it needs an edit, or not.
 */
type AnnotationPlan =
  | { owned: string[]; blocked: string }
  | { owned: string[]; edit?: { raw: string | undefined; current: string[]; next: string[]; format: Format } };

function planAnnotation(
  ns: ObservedNamespace,
  key: string,
  { want, single, kept }: NamespaceWants,
  before: string[],
): AnnotationPlan {
  const raw = ns.annotations[key];
  const read = readAnnotation(raw, single.has(key), before);
  if (!read.ok) return { owned: before, blocked: `annotation ${key} is unreadable (${read.reason}); left alone` };
  const [current, format] = read.value;
  const stays = before.filter(v => kept.has(v) && current.includes(v));
  const ours = sortedUnique([...(want.get(key) ?? []), ...stays]);
  const theirs = current.filter(v => !before.includes(v));
  const next = sortedUnique([...theirs, ...ours]);
  if (format === 'single' && next.length > 1) {
    const why = `annotation ${key} holds one pool name but would need ${next.join(', ')}; left alone`;
    return { owned: before, blocked: `${why} — assign at most one such pool per namespace (k8s_namespaces)` };
  }
  // A value already there when we first wanted it stays the other party's.
  const owned = ours.filter(v => before.includes(v) || !current.includes(v));
  if (sameSet(next, current)) return { owned };
  return { owned, edit: { raw, current, next, format } };
}

function blockedAnnotation(name: string, reason: string): Step {
  const c: NoteChange = { action: 'blocked', apiVersion: 'v1', kind: 'Namespace', name, reason, sources: [] };
  return noteStep({ ...c, blockedAction: 'annotate' }, 'annotate');
}

/** `cni.projectcalico.org/ipv4pools adds a, b and removes c`. */
function describeEdit(key: string, added: string[], removed: string[]): string {
  const parts = [
    added.length > 0 ? `adds ${added.join(', ')}` : '',
    removed.length > 0 ? `removes ${removed.join(', ')}` : '',
  ];
  return `${key} ${parts.filter(p => p !== '').join(' and ')}`;
}

function fieldDiff(key: string, from: string | undefined, to: string | null): FieldDiff {
  const d: FieldDiff = { path: formatPath(['metadata', 'annotations', key]) };
  if (from !== undefined) d.from = from;
  if (to !== null) d.to = to;
  return d;
}

/** A rendered namespace file (`render --out`): the Namespace's identity and our annotations only. */
export interface NamespaceManifests {
  objects: K8sObject[];
  /** What could not be said in the files (an annotation that holds one name but would need several, …). */
  issues: Issue[];
}

/**
 * The Namespace manifests `render --out` writes for `k8s_namespaces`, for a GitOps tool to apply with server-side
 * apply: the same annotation values, merged the same way, with the same ownership record as `apply` would leave on
 * the namespace. `previous` are the namespace files the last render wrote (they stand for the cluster: they are
 * what the GitOps tool applied). With `prune` false (bad NetBox input, or a policy that never removes) no value is
 * taken away. A namespace that had a file keeps one, with no annotations once nothing is assigned to it any more:
 * its server-side apply then removes our annotations, while removing the file would make a pruning GitOps tool
 * delete the namespace itself.
 */
export function renderNamespaces(
  assignments: readonly NamespaceAssignment[],
  previous: readonly ObservedNamespace[],
  opts: { cluster: string; prune: boolean },
): NamespaceManifests {
  const namespaces = new Map(previous.map(n => [n.name, { name: n.name, annotations: { ...n.annotations } }]));
  for (const a of assignments) {
    if (!namespaces.has(a.namespace)) namespaces.set(a.namespace, { name: a.namespace, annotations: {} });
  }
  const kept = opts.prune
    ? new Set<string>()
    : new Set(
        previous.flatMap(n => Object.values(parseOwned(n.annotations[namespaceValuesAnnotation(opts.cluster)])).flat()),
      );
  const issues: Issue[] = [];
  for (const step of planNamespaces(assignments, [...namespaces.values()], { cluster: opts.cluster, kept })) {
    for (const change of step.changes) {
      const annotations = namespaces.get(change.name)?.annotations;
      if (change.action === 'annotate' && annotations !== undefined) {
        for (const [key, value] of Object.entries(change.patch.metadata.annotations)) {
          if (value === null) delete annotations[key];
          else annotations[key] = value;
        }
      } else if (change.action === 'blocked') {
        const subject = { type: 'k8s' as const, apiVersion: 'v1', kind: 'Namespace', name: change.name };
        issues.push({ severity: 'warning', subject, reason: change.reason });
      }
    }
  }
  const objects = [...namespaces.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(({ name, annotations }): K8sObject => {
      const metadata: ObjectMeta = { name };
      if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
      return { apiVersion: 'v1', kind: 'Namespace', metadata };
    });
  return { objects, issues };
}
