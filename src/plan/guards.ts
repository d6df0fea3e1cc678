import { POLICIES } from './policy.ts';
import type { PolicyName } from '../model/plan.ts';
import type { Step } from './rules.ts';
import type { DeleteBudget } from './types.ts';
import type { Change, GuardName, GuardNote, SourceHealth } from '../model/plan.ts';

/**
 * Post-filters over the planned steps, in this order: policy, empty-source guard, delete budget, companions.
 * Each turns a refused step into one `blocked` note (a drain and its note are refused together) and says so in a
 * GuardNote. None of them ever adds a change.
 */

export interface Guarded {
  steps: Step[];
  note?: GuardNote;
}

/** The step replaced by one `blocked` note; `blockedAction` keeps what it was for. */
export function blockStep(step: Step, reason: string, guard: GuardName): Step {
  const lead = step.changes.at(-1);
  if (lead === undefined) throw new Error(`plan step for ${step.subject} has no changes; this is a bug in plan`);
  const allocations = Math.max(0, ...step.changes.map(c => c.allocations ?? 0));
  const blocked: Change = { ...lead, action: 'blocked', reason, blockedAction: step.intent };
  if (allocations > 0) blocked.allocations = allocations;
  return { ...step, cls: 'note', changes: [blocked], budgeted: false, guard };
}

function refuse(steps: Step[], which: (s: Step) => boolean, guard: GuardName, reason: (s: Step) => string): Guarded {
  const objects: string[] = [];
  const out = steps.map(s => {
    if (!which(s)) return s;
    objects.push(s.subject);
    return blockStep(s, reason(s), guard);
  });
  return { steps: out, note: objects.length === 0 ? undefined : { guard, reason: '', objects: objects.sort() } };
}

function withReason(g: Guarded, reason: string): Guarded {
  return g.note === undefined ? g : { steps: g.steps, note: { ...g.note, reason } };
}

export function applyPolicy(steps: Step[], name: PolicyName): Guarded {
  const policy = POLICIES[name];
  const head = `blocked by policy ${policy.name} (${policy.description})`;
  const g = refuse(
    steps,
    s => !policy.allows(s.cls),
    'policy',
    s => `${head} — planned ${s.intent}: ${s.why}`,
  );
  return withReason(g, `${head}: these changes are reported, not applied`);
}

export interface EmptySourceFacts {
  source: SourceHealth;
  desiredPools: number;
  managedPools: number;
  previousPoolCount?: number;
  allowEmptySource?: boolean;
}

/** Why NetBox's answer cannot be trusted for removals this cycle, or undefined when it can. */
export function emptySourceProblem(f: EmptySourceFacts): string | undefined {
  if (!f.source.healthy) return `NetBox source failed (${f.source.reason ?? 'no reason given'})`;
  const hadPools = f.previousPoolCount === undefined || f.previousPoolCount > 0;
  if (f.desiredPools === 0 && f.managedPools > 0 && hadPools && f.allowEmptySource !== true) {
    return 'NetBox returned no pools';
  }
  return undefined;
}

export function applyEmptySourceGuard(steps: Step[], facts: EmptySourceFacts): Guarded {
  const problem = emptySourceProblem(facts);
  if (problem === undefined) return { steps };
  const n = steps.filter(s => s.cls === 'removal' && s.budgeted).length;
  const reason = `${problem}; refusing to delete ${n} pool${n === 1 ? '' : 's'} (empty-source guard)`;
  return refuseRemovals(steps, 'empty-source', reason);
}

/** Every removal held back by one guard, each step's note naming what was planned. */
function refuseRemovals(steps: Step[], guard: 'empty-source' | 'delete-budget', reason: string): Guarded {
  const g = refuse(
    steps,
    s => s.cls === 'removal',
    guard,
    s => `${reason} — planned ${s.intent}: ${s.why}`,
  );
  return withReason(g, reason);
}

/** Over budget: a sentence with the numbers; within budget: undefined. */
export function budgetProblem(budget: DeleteBudget | undefined, planned: number, managed: number): string | undefined {
  if (budget === undefined || planned === 0) return undefined;
  const overCount = budget.maxCount !== undefined && planned > budget.maxCount;
  const overPercent = budget.maxPercent !== undefined && planned * 100 > budget.maxPercent * managed;
  if (!overCount && !overPercent) return undefined;
  const limits: string[] = [];
  if (budget.maxCount !== undefined) limits.push(`at most ${budget.maxCount} per cycle`);
  if (budget.maxPercent !== undefined) limits.push(`at most ${budget.maxPercent}% of ${managed} managed objects`);
  const pct = managed === 0 ? '' : ` (${Math.round((planned * 1000) / managed) / 10}%)`;
  return `delete budget exceeded: ${planned} removals planned${pct}, allowed ${limits.join(' and ')}; nothing is removed this cycle`;
}

export function applyDeleteBudget(steps: Step[], budget: DeleteBudget | undefined, managed: number): Guarded {
  const planned = steps.filter(s => s.cls === 'removal' && s.budgeted).length;
  const problem = budgetProblem(budget, planned, managed);
  if (problem === undefined) return { steps };
  return refuseRemovals(steps, 'delete-budget', problem);
}

/**
 * A companion (e.g. a Calico IPReservation) outlives its pool's NetBox object only as long as the pool does: while
 * a pool of the same kind and source stays (live allocations, a policy, a guard), its companions stay too.
 */
export function holdCompanions(steps: Step[]): Guarded {
  const staying = new Set<string>();
  for (const s of steps) {
    if (s.orphan?.primary === true && !s.changes.some(c => c.action === 'delete')) {
      for (const src of s.orphan.sources) staying.add(`${s.orphan.poolKind}|${src}`);
    }
  }
  const g = refuse(
    steps,
    s =>
      s.orphan !== undefined &&
      !s.orphan.primary &&
      s.changes.some(c => c.action === 'delete') &&
      s.orphan.sources.some(src => staying.has(`${s.orphan?.poolKind ?? ''}|${src}`)),
    'kept-with-pool',
    s =>
      `kept while its ${s.orphan?.poolKind ?? ''} pool with the same NetBox source stays — planned ${s.intent}: ${s.why}`,
  );
  return withReason(g, 'companion objects stay as long as the pool they belong to');
}
