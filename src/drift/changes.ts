import type { DriftCategory, DriftEntry, FieldDrift, K8sRef, NetBoxLink } from '../model/drift.ts';
import type { Issue } from '../model/issue.ts';
import type { PoolKindAdapter } from '../kinds/adapter.ts';
import { describeSubject } from '../model/issue.ts';
import { apiVersionOf } from '../model/k8s-object.ts';
import { observedOf } from '../model/plan.ts';
import type { Change, ChangeAction, FieldDiff, NoteChange } from '../model/plan.ts';
import { describeK8s, linkOf, linkOfSubject } from './links.ts';

/** Plan changes → drift entries: what the plan would do is exactly where the cluster differs from NetBox. */

const CATEGORY: Readonly<Record<ChangeAction, DriftCategory>> = {
  create: 'missing',
  delete: 'unexpected',
  drain: 'unexpected',
  update: 'changed',
  replace: 'changed',
  annotate: 'changed',
  blocked: 'blocked',
  invalid: 'invalid',
  unmanaged: 'unmanaged',
};

const HINT: Partial<Record<ChangeAction, string>> = {
  create: 'run apply (or let the daemon sync) to create it',
  delete: 'run apply to delete it, or put the NetBox object back if it went by mistake',
  drain: 'move the workloads off; the pool is deleted once it is free',
  update: 'run apply to restore what NetBox says, or change NetBox if the cluster is right',
  replace: 'run apply: the field cannot change in place, so the object is replaced',
  annotate: 'run apply to set the namespace annotations NetBox assigns',
  unmanaged: 'adopt the pool explicitly, or move its space out of the NetBox prefix',
};

/** Compact JSON text of a field value, for "NetBox says / the cluster has". */
export function valueText(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function fieldsOf(diff: readonly FieldDiff[]): FieldDrift[] {
  return diff.map(d => {
    const f: FieldDrift = { path: d.path };
    const netbox = valueText(d.to);
    const cluster = valueText(d.from);
    if (netbox !== undefined) f.netbox = netbox;
    if (cluster !== undefined) f.cluster = cluster;
    return f;
  });
}

function k8sOf(c: Change, adapters: readonly PoolKindAdapter[]): K8sRef | undefined {
  if (c.kind === undefined) {
    // An invalid note about a pool names the pool, not its object type: the kind's pool object is the one held.
    const type = c.poolKind === undefined ? undefined : adapters.find(a => a.kind === c.poolKind)?.owns[0];
    if (type === undefined) return undefined;
    const ref: K8sRef = { apiVersion: apiVersionOf(type), kind: type.kind, name: c.name };
    if (c.namespace !== undefined) ref.namespace = c.namespace;
    return ref;
  }
  const ref: K8sRef = { kind: c.kind, name: c.name };
  if (c.apiVersion !== undefined) ref.apiVersion = c.apiVersion;
  if (c.namespace !== undefined) ref.namespace = c.namespace;
  // An unmanaged note names our desired object; the object in the way is the observed one (same identity).
  const o = observedOf(c);
  if (c.action === 'unmanaged' && o !== undefined) {
    ref.apiVersion = o.apiVersion;
    ref.kind = o.kind;
  }
  return ref;
}

/** The note fields (issue, blockedAction) where the change is a note. */
function noteOf(c: Change): Pick<NoteChange, 'issue' | 'blockedAction'> {
  return c.action === 'blocked' || c.action === 'invalid' || c.action === 'unmanaged' ? c : {};
}

function summaryOf(c: Change, category: DriftCategory, k8s: K8sRef | undefined): string {
  const what = k8s === undefined ? c.name : describeK8s(k8s);
  switch (category) {
    case 'missing':
      return `${what} is missing in the cluster`;
    case 'unexpected':
      return c.action === 'drain' ? `${what} is gone from NetBox and draining` : `${what} is gone from NetBox`;
    case 'changed':
      return `${what} differs from NetBox${c.diff ? ` in ${c.diff.length} field${c.diff.length === 1 ? '' : 's'}` : ''}`;
    case 'blocked':
      return `${noteOf(c).blockedAction ?? 'change'} of ${what} is blocked`;
    case 'invalid':
      return `${what} is invalid`;
    default:
      return `${what} is not managed by netbox-ippool-sync and overlaps NetBox space`;
  }
}

function linksOf(c: Change, issue: Issue | undefined, netboxUrl: string): NetBoxLink[] {
  const netbox = c.sources.map(s => linkOf(s, netboxUrl));
  const subjectLink = issue === undefined ? undefined : linkOfSubject(issue.subject, netboxUrl);
  if (subjectLink !== undefined && !netbox.some(l => l.model === subjectLink.model && l.id === subjectLink.id)) {
    netbox.push(subjectLink);
  }
  return netbox;
}

/** Stable while the drift lasts; an object can be invalid for several reasons at once, each its own entry. */
function idOf(c: Change, category: DriftCategory, k8s: K8sRef | undefined, note: ReturnType<typeof noteOf>): string {
  const subject =
    k8s !== undefined
      ? `${k8s.apiVersion ?? ''}/${k8s.kind}/${k8s.namespace ?? ''}/${k8s.name}`
      : note.issue !== undefined
        ? describeSubject(note.issue.subject)
        : c.name;
  if (c.action === 'blocked') return `${category}:${note.blockedAction ?? ''}:${subject}`;
  if (c.action === 'invalid') return `${category}:${subject}:${note.issue?.reason ?? c.reason}`;
  return `${category}:${subject}`;
}

export function entryOfChange(c: Change, netboxUrl: string, adapters: readonly PoolKindAdapter[]): DriftEntry {
  const category = CATEGORY[c.action];
  const note = noteOf(c);
  const { issue, blockedAction } = note;
  const k8s = k8sOf(c, adapters);
  const entry: DriftEntry = {
    id: idOf(c, category, k8s, note),
    category,
    summary: summaryOf(c, category, k8s),
    reason: issue?.reason ?? c.reason,
    netbox: linksOf(c, issue, netboxUrl),
  };
  const hint = issue?.hint ?? HINT[c.action];
  if (hint !== undefined) entry.hint = hint;
  if (c.poolKind !== undefined) entry.poolKind = c.poolKind;
  if (k8s !== undefined) entry.k8s = k8s;
  if (c.diff !== undefined && c.diff.length > 0) entry.fields = fieldsOf(c.diff);
  if (blockedAction !== undefined) entry.blockedAction = blockedAction;
  if (c.allocations !== undefined) entry.allocations = c.allocations;
  return entry;
}
