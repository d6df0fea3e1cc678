import { z } from 'zod';
import { compareText } from '../../model/values.ts';
import type { LabelRequirement, PoolIntent } from '../../model/intent.ts';
import { checkKey, checkValue } from './labels.ts';
import { FIELDS, poolSubject } from './issues.ts';
import type { Issues } from './issues.ts';

/**
 * One label requirement list, three spellings: Calico selector expressions, core NodeSelector (NV-IPAM) and
 * metav1.LabelSelector (MetalLB, Cilium). Requirements are sorted so equal selectors render equal bytes.
 */

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

// Label keys and values are checked here, before the apiserver would refuse the whole object with a 422.
const labelKey = z.string().superRefine((k, ctx) => {
  const problem = checkKey(k);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});
const labelValue = z.string().superRefine((v, ctx) => {
  const problem = checkValue(v);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const requirementSchema = z
  .strictObject({
    key: labelKey,
    operator: z.enum(OPERATORS),
    values: z.array(labelValue).optional(),
  })
  .refine(r => (r.operator === 'In' || r.operator === 'NotIn') === (r.values ?? []).length > 0, {
    message: 'In and NotIn need at least one value; Exists and DoesNotExist take none',
  });

/** metav1.LabelSelector as k8s_options may spell it. */
export const labelSelectorSchema = z.strictObject({
  matchLabels: z.record(labelKey, labelValue).optional(),
  matchExpressions: z.array(requirementSchema).optional(),
});
export type LabelSelector = z.output<typeof labelSelectorSchema>;

export interface SelectorRequirement {
  key: string;
  operator: LabelRequirement['operator'];
  values?: string[];
}

/** Sorted by key then operator, values sorted and deduplicated; Exists/DoesNotExist carry no values. */
export function canonicalRequirements(reqs: readonly LabelRequirement[]): SelectorRequirement[] {
  return reqs
    .map(r => {
      const values = [...new Set(r.values)].sort();
      const takesValues = r.operator === 'In' || r.operator === 'NotIn';
      return takesValues ? { key: r.key, operator: r.operator, values } : { key: r.key, operator: r.operator };
    })
    .sort((a, b) => compareText(a.key, b.key) || compareText(a.operator, b.operator));
}

/**
 * The node selector's requirements for kinds that speak Kubernetes label selectors; a Calico expression there is
 * an error because it cannot be translated back. Undefined (after reporting) when unusable.
 */
export function labelRequirements(intent: PoolIntent, issues: Issues): LabelRequirement[] | undefined {
  const selector = intent.nodeSelector;
  if (selector === undefined) return [];
  if (selector.syntax === 'labels') return selector.requirements;
  issues.error(poolSubject(intent), `${intent.kind} pools need a Kubernetes label selector, got a Calico expression`, {
    field: FIELDS.nodeSelector,
    hint: `write it as labels, e.g. "rack in (r1,r2),gpu" instead of "${selector.raw}"`,
  });
  return undefined;
}

function quoted(value: string): string {
  return value.includes("'") ? `"${value}"` : `'${value}'`;
}

/** Calico selector expression; no requirement selects every node (`all()`). */
export function calicoSelector(reqs: readonly LabelRequirement[]): string {
  const parts = canonicalRequirements(reqs).map(r => {
    const set = `{${(r.values ?? []).map(quoted).join(', ')}}`;
    switch (r.operator) {
      case 'In':
        return `${r.key} in ${set}`;
      case 'NotIn':
        return `${r.key} not in ${set}`;
      case 'Exists':
        return `has(${r.key})`;
      case 'DoesNotExist':
        return `!has(${r.key})`;
    }
  });
  return parts.length === 0 ? 'all()' : parts.join(' && ');
}

/** core/v1 NodeSelector with one term (requirements ANDed); undefined selects every node. */
export function nodeSelector(reqs: readonly LabelRequirement[]): Record<string, unknown> | undefined {
  if (reqs.length === 0) return undefined;
  return { nodeSelectorTerms: [{ matchExpressions: canonicalRequirements(reqs) }] };
}

/** metav1.LabelSelector from requirements plus an optional selector from k8s_options; undefined when empty. */
export function labelSelector(reqs: readonly LabelRequirement[], base?: LabelSelector): LabelSelector | undefined {
  const fromOptions = (base?.matchExpressions ?? []).map(r => ({ ...r, values: r.values ?? [] }));
  const matchExpressions = canonicalRequirements([...fromOptions, ...reqs]);
  const selector: LabelSelector = {};
  if (base?.matchLabels !== undefined && Object.keys(base.matchLabels).length > 0) {
    selector.matchLabels = base.matchLabels;
  }
  if (matchExpressions.length > 0) selector.matchExpressions = matchExpressions;
  return Object.keys(selector).length === 0 ? undefined : selector;
}
