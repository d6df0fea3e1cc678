import type { Issue, IssueSeverity, IssueSubject } from '../../model/issue.ts';
import type { NetBoxObjectRef, PoolIntent } from '../../model/intent.ts';

/** The pool as a whole: for problems with options, selectors or settings shared by every block. */
export function poolSubject(intent: PoolIntent): IssueSubject {
  const base = { type: 'pool' as const, kind: intent.kind, name: intent.name };
  return intent.namespace === undefined ? base : { ...base, namespace: intent.namespace };
}

/** One NetBox prefix or IP range: for problems a network engineer fixes on that object. */
export function netboxSubject(ref: NetBoxObjectRef): IssueSubject {
  return { type: 'netbox', model: ref.model, id: ref.id, display: ref.display, url: ref.url };
}

export interface IssueDetail {
  field?: string;
  hint?: string;
}

/** Collects issues while an adapter renders one intent; any error means nothing of that intent is rendered. */
export class Issues {
  readonly list: Issue[] = [];

  error(subject: IssueSubject, reason: string, detail: IssueDetail = {}): void {
    this.add('error', subject, reason, detail);
  }

  warning(subject: IssueSubject, reason: string, detail: IssueDetail = {}): void {
    this.add('warning', subject, reason, detail);
  }

  conflict(subject: IssueSubject, reason: string, detail: IssueDetail = {}): void {
    this.add('conflict', subject, reason, detail);
  }

  hasErrors(): boolean {
    return this.list.some(i => i.severity === 'error');
  }

  private add(severity: IssueSeverity, subject: IssueSubject, reason: string, detail: IssueDetail): void {
    const issue: Issue = { severity, subject, reason };
    if (detail.field !== undefined) issue.field = detail.field;
    if (detail.hint !== undefined) issue.hint = detail.hint;
    this.list.push(issue);
  }
}

/** Custom-field paths, in NetBox's own terms, that issues point at. */
export const FIELDS = {
  options: 'custom_fields.k8s_options',
  blockSize: 'custom_fields.k8s_block_size',
  nodeSelector: 'custom_fields.k8s_node_selector',
  namespaces: 'custom_fields.k8s_namespaces',
  namespace: 'custom_fields.k8s_namespace',
  poolName: 'custom_fields.k8s_pool_name',
  gateway: 'custom_fields.k8s_gateway',
} as const;

export function optionField(path: readonly PropertyKey[]): string {
  return [FIELDS.options, ...path.map(String)].join('.');
}

/** Where a setting came from: the NetBox object's k8s_options when set there, else the kind defaults in config. */
export function settingField(intent: PoolIntent, path: readonly PropertyKey[]): string {
  const [top] = path;
  if (typeof top === 'string' && Object.hasOwn(intent.options, top)) return optionField(path);
  return ['kinds', intent.kind, ...path.map(String)].join('.');
}

/** Per-pool settings a kind has no field for, with the reason shown to the user. */
export interface NotApplicable {
  nodeSelector?: string;
  blockSize?: string;
  namespaces?: string;
}

/** Warns about NetBox settings the kind ignores, so a value set in NetBox never vanishes silently. */
export function warnNotApplicable(intent: PoolIntent, issues: Issues, why: NotApplicable): void {
  const set = {
    nodeSelector: intent.nodeSelector !== undefined,
    blockSize: intent.blockSize !== undefined,
    namespaces: intent.namespaces.length > 0,
  };
  for (const key of ['nodeSelector', 'blockSize', 'namespaces'] as const) {
    const reason = why[key];
    if (reason !== undefined && set[key]) {
      issues.warning(poolSubject(intent), `${FIELDS[key].replace('custom_fields.', '')} is ignored: ${reason}`, {
        field: FIELDS[key],
      });
    }
  }
}

/**
 * A per-family size (Calico blockSize, Cilium maskSize): k8s_block_size when set, else the family's config value,
 * checked against the kind's bounds. Undefined (after reporting) when out of range.
 */
export function familySize(
  intent: PoolIntent,
  issues: Issues,
  family: 4 | 6,
  setting: { key: string; value: number; label: string; min: number; max: number },
): number | undefined {
  const size = intent.blockSize ?? setting.value;
  if (size >= setting.min && size <= setting.max) return size;
  const fromNetBox = intent.blockSize !== undefined;
  issues.error(
    poolSubject(intent),
    `${setting.label} ${size} is out of range for IPv${family} pools (${setting.min}–${setting.max})`,
    fromNetBox
      ? { field: FIELDS.blockSize, hint: `in a dual-stack pool set ${setting.key} in k8s_options instead` }
      : { field: settingField(intent, [setting.key]) },
  );
  return undefined;
}
