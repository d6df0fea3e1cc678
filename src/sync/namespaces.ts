import type { NamespaceAssignment } from '../k8s/kinds/adapter.ts';
import { LEGACY_NAMESPACE_VALUES_ANNOTATION, namespaceValuesAnnotation } from '../k8s/ownership.ts';
import type { FieldDiff } from './diff.ts';
import { formatPath } from './diff.ts';
import type { StepClass } from './policy.ts';
import { noteStep } from './steps.ts';
import type { Step } from './steps.ts';
import type { Change, ObservedNamespace } from './types.ts';

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

function annotationChange(name: string, reason: string): Change {
  return { action: 'annotate', apiVersion: 'v1', kind: 'Namespace', name, reason, sources: [] };
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
      const c = annotationChange(name, `namespace ${name} does not exist; cannot set ${list}`);
      steps.push(noteStep({ ...c, action: 'blocked', blockedAction: 'annotate' }, 'annotate'));
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
    const before = owned[key] ?? [];
    const raw = ns.annotations[key];
    const read = readAnnotation(raw, single.has(key), before);
    if (!read.ok) {
      if (before.length > 0) nextOwned[key] = before;
      const c = annotationChange(ns.name, `annotation ${key} is unreadable (${read.reason}); left alone`);
      notes.push(noteStep({ ...c, action: 'blocked', blockedAction: 'annotate' }, 'annotate'));
      continue;
    }
    const [current, format] = read.value;
    const stays = before.filter(v => kept.has(v) && current.includes(v));
    const ours = sortedUnique([...(want.get(key) ?? []), ...stays]);
    const theirs = current.filter(v => !before.includes(v));
    const next = sortedUnique([...theirs, ...ours]);
    if (format === 'single' && next.length > 1) {
      if (before.length > 0) nextOwned[key] = before;
      const why = `annotation ${key} holds one pool name but would need ${next.join(', ')}; left alone`;
      const c = annotationChange(ns.name, `${why} — assign at most one such pool per namespace (k8s_namespaces)`);
      notes.push(noteStep({ ...c, action: 'blocked', blockedAction: 'annotate' }, 'annotate'));
      continue;
    }
    const claimed = ours.filter(v => before.includes(v) || !current.includes(v));
    if (claimed.length > 0) nextOwned[key] = claimed;
    if (sameSet(next, current)) continue;
    const added = next.filter(v => !current.includes(v));
    const removed = current.filter(v => !next.includes(v));
    removes ||= removed.length > 0;
    allNew &&= raw === undefined;
    patch[key] = spell(next, format);
    diff.push(fieldDiff(key, raw, patch[key]));
    const parts = [
      added.length > 0 ? `adds ${added.join(', ')}` : '',
      removed.length > 0 ? `removes ${removed.join(', ')}` : '',
    ];
    said.push(`${key} ${parts.filter(p => p !== '').join(' and ')}`);
  }
  const ownedNext = Object.keys(nextOwned).length > 0 ? JSON.stringify(nextOwned) : null;
  if ((ownedNext ?? undefined) !== ownedRaw) {
    patch[record] = ownedNext;
    diff.push(fieldDiff(record, ownedRaw, ownedNext));
  }
  const legacyNext = Object.keys(legacy.left).length > 0 ? JSON.stringify(legacy.left) : null;
  if (legacyRaw !== undefined && legacyNext !== legacyRaw) {
    patch[LEGACY_NAMESPACE_VALUES_ANNOTATION] = legacyNext;
    diff.push(fieldDiff(LEGACY_NAMESPACE_VALUES_ANNOTATION, legacyRaw, legacyNext));
  }
  if (Object.keys(patch).length === 0) return notes;
  const reason =
    said.length > 0
      ? `pools assigned in NetBox (k8s_namespaces): ${said.join('; ')}`
      : 'records which annotation values netbox-ippool-sync set';
  const change: Change = { ...annotationChange(ns.name, reason), diff, patch: { metadata: { annotations: patch } } };
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

function fieldDiff(key: string, from: string | undefined, to: string | null): FieldDiff {
  const d: FieldDiff = { path: formatPath(['metadata', 'annotations', key]) };
  if (from !== undefined) d.from = from;
  if (to !== null) d.to = to;
  return d;
}
