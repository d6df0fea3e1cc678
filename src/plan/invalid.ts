import { objectKey } from '../model/k8s-object.ts';
import { isPoolKind } from '../kinds/registry.ts';
import type { NetBoxObjectRef } from '../model/intent.ts';
import { describeSubject } from '../model/issue.ts';
import type { Issue } from '../model/issue.ts';
import { noteStep, poolKey } from './rules.ts';
import type { Step } from './rules.ts';
import type { Change } from '../model/plan.ts';

/**
 * Error issues from mapping and render. Each becomes an `invalid` change naming the object and what is wrong; and
 * whatever it names (a NetBox prefix or range, a pool, a Kubernetes object) is held: its existing pool is neither
 * changed nor deleted this cycle (DESIGN.md §5: bad input never deletes a pool). Warnings and conflicts are for the
 * drift report, not the plan.
 */

export interface IssueHolds {
  invalidSources: Set<string>;
  heldPools: Set<string>;
  heldObjects: Set<string>;
}

const errors = (issues: readonly Issue[]): Issue[] => issues.filter(i => i.severity === 'error');

export function issueHolds(issues: readonly Issue[]): IssueHolds {
  const holds: IssueHolds = { invalidSources: new Set(), heldPools: new Set(), heldObjects: new Set() };
  for (const { subject: s } of errors(issues)) {
    if (s.type === 'netbox') holds.invalidSources.add(`${s.model}/${s.id}`);
    if (s.type === 'pool') holds.heldPools.add(poolKey(s.kind, s.namespace, s.name));
    if (s.type === 'k8s') {
      holds.heldObjects.add(objectKey({ apiVersion: s.apiVersion, kind: s.kind, metadata: s }));
    }
  }
  return holds;
}

function invalidChange(issue: Issue): Change {
  const field = issue.field === undefined ? '' : ` [${issue.field}]`;
  const hint = issue.hint === undefined ? '' : ` — ${issue.hint}`;
  const c: Change = {
    action: 'invalid',
    name: describeSubject(issue.subject),
    reason: `${issue.reason}${field}${hint}`,
    sources: [],
    issue,
  };
  const s = issue.subject;
  if (s.type === 'netbox' && s.model !== 'ip-address') {
    const ref: NetBoxObjectRef = { model: s.model, id: s.id, url: s.url ?? '', display: s.display };
    c.sources = [ref];
  } else if (s.type === 'pool') {
    if (isPoolKind(s.kind)) c.poolKind = s.kind;
    c.name = s.name;
    if (s.namespace !== undefined) c.namespace = s.namespace;
  } else if (s.type === 'k8s') {
    Object.assign(c, { apiVersion: s.apiVersion, kind: s.kind, name: s.name });
    if (s.namespace !== undefined) c.namespace = s.namespace;
  }
  return c;
}

export function invalidSteps(issues: readonly Issue[]): Step[] {
  return errors(issues).map(i => noteStep(invalidChange(i), 'invalid'));
}
