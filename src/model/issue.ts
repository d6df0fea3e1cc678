/**
 * A problem found with one object, kept as a value so one bad NetBox object never stops the sync of the others.
 * Issues travel from mapping through the plan into the report.
 */
export type IssueSeverity = 'error' | 'warning' | 'conflict';

/** Which object an issue is about: a NetBox object, a pool, or a Kubernetes object. */
export type IssueSubject =
  | { type: 'netbox'; model: NetBoxModel; id: number; display: string; url?: string }
  | { type: 'pool'; kind: string; name: string; namespace?: string }
  | { type: 'k8s'; apiVersion: string; kind: string; name: string; namespace?: string }
  | { type: 'config'; path: string };

export type NetBoxModel = 'prefix' | 'ip-range' | 'ip-address';

export interface Issue {
  severity: IssueSeverity;
  subject: IssueSubject;
  /** The field at fault, in the subject's own terms (e.g. `custom_fields.k8s_block_size`, `spec.cidr`). */
  field?: string;
  /** What is wrong, as a sentence a network engineer understands. */
  reason: string;
  /** What to do about it. */
  hint?: string;
}

export function describeSubject(s: IssueSubject): string {
  switch (s.type) {
    case 'netbox':
      return `NetBox ${s.model} ${s.display} (id ${s.id})`;
    case 'pool':
      return `${s.kind} pool ${s.namespace ? `${s.namespace}/` : ''}${s.name}`;
    case 'k8s':
      return `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`;
    case 'config':
      return `config ${s.path}`;
  }
}

export function formatIssue(i: Issue): string {
  const field = i.field ? ` [${i.field}]` : '';
  const hint = i.hint ? ` — ${i.hint}` : '';
  return `${i.severity}: ${describeSubject(i.subject)}${field}: ${i.reason}${hint}`;
}

/** Longest reason, hint, field and object name an issue keeps: NetBox text can be megabytes, a message must not. */
export const ISSUE_LIMITS = { reason: 600, hint: 300, field: 120, display: 120 } as const;

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The issue with every text bounded (ISSUE_LIMITS): a 200 kB pool name or prefix quoted in a reason would otherwise
 * travel whole into the plan, logs, the drift page and events.
 */
export function boundedIssue(i: Issue): Issue {
  const out: Issue = { ...i, reason: cut(i.reason, ISSUE_LIMITS.reason) };
  if (i.hint !== undefined) out.hint = cut(i.hint, ISSUE_LIMITS.hint);
  if (i.field !== undefined) out.field = cut(i.field, ISSUE_LIMITS.field);
  const s = i.subject;
  if (s.type === 'netbox') out.subject = { ...s, display: cut(s.display, ISSUE_LIMITS.display) };
  if (s.type === 'pool') out.subject = { ...s, name: cut(s.name, ISSUE_LIMITS.display) };
  if (s.type === 'config') out.subject = { ...s, path: cut(s.path, ISSUE_LIMITS.display) };
  return out;
}
