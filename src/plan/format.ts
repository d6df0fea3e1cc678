import { diffValues, formatValue } from './diff.ts';
import { sortKeysDeep } from '../model/values.ts';
import type { FieldDiff } from '../model/plan.ts';
import { subjectOf } from './rules.ts';
import { APPLIED_ACTIONS } from '../model/plan.ts';
import type { Change, ChangeAction, Plan } from '../model/plan.ts';

/** Plan output for people (terraform-plan style), for tools (stable JSON), and for the CLI exit code. Pure. */

const SYMBOL: Record<ChangeAction, string> = {
  create: '+',
  replace: '-/+',
  update: '~',
  annotate: '~',
  drain: '~',
  delete: '-',
  blocked: '!',
  invalid: '✗',
  unmanaged: '?',
};

const INDENT = '      ';

function diffLines(d: readonly FieldDiff[]): string[] {
  return d.map(x => `${INDENT}${x.path}: ${formatValue(x.from)} → ${formatValue(x.to)}`);
}

/** What a create shows: the spec's top-level fields and their values. */
function createdLines(c: Change): string[] {
  if (!('desired' in c) || c.desired === undefined) return [];
  return diffValues({ spec: {} }, { spec: c.desired.spec ?? {} }).map(x => `${INDENT}${x.path}: ${formatValue(x.to)}`);
}

export function formatChange(c: Change): string {
  const would = c.action === 'blocked' && c.blockedAction !== undefined ? `  (${c.blockedAction})` : '';
  const lines = [
    `${SYMBOL[c.action].padStart(3)} ${c.action.padEnd(9)} ${subjectOf(c)}${would}`,
    `${INDENT}${c.reason}`,
  ];
  if (c.action === 'create') lines.push(...createdLines(c));
  else if (c.diff !== undefined) lines.push(...diffLines(c.diff));
  return lines.join('\n');
}

function plural(n: number, what: string): string {
  return `${n} ${what}`;
}

export function formatSummary(plan: Plan): string {
  const s = plan.summary;
  if (!plan.source.healthy) {
    // Nothing was compared: an empty NetBox answer must never read as "the cluster matches NetBox".
    const reason = plan.source.reason ?? 'no reason given';
    return `NetBox could not be read, so nothing was planned: the cluster is left as it is.\n  ${reason}`;
  }
  const applied = APPLIED_ACTIONS.reduce((n, a) => n + s[a], 0);
  const notes = `${plural(s.blocked, 'blocked')}, ${plural(s.invalid, 'invalid')}, ${plural(s.unmanaged, 'unmanaged')}`;
  if (applied === 0) {
    return s.blocked + s.invalid + s.unmanaged === 0
      ? 'No changes. The cluster matches NetBox.'
      : `No changes to apply. Notes: ${notes}.`;
  }
  const todo = APPLIED_ACTIONS.map(a => `${s[a]} to ${a}`).join(', ');
  return `Plan: ${todo}. Notes: ${notes}.`;
}

/** The whole plan as text: changes, guard notes, summary line. */
export function formatPlan(plan: Plan): string {
  const parts = plan.changes.map(formatChange);
  if (plan.guards.length > 0) {
    const guardLines = ['Guards:'];
    for (const g of plan.guards) {
      guardLines.push(`  ${g.guard}: ${g.reason}`, ...g.objects.map(o => `    ${o}`));
    }
    parts.push(guardLines.join('\n'));
  }
  parts.push(formatSummary(plan));
  return `${parts.join('\n\n')}\n`;
}

/** Server-filled bookkeeping that only makes the JSON long and unstable. */
const DROPPED_KEYS = new Set(['managedFields']);

/** Stable JSON (sorted keys, changes in plan order); BigInt as decimal strings. */
export function planToJson(plan: Plan): string {
  const text = JSON.stringify(
    sortKeysDeep(plan),
    (key, v: unknown) => (DROPPED_KEYS.has(key) ? undefined : typeof v === 'bigint' ? v.toString() : v),
    2,
  );
  return `${text}\n`;
}

/** `plan` exit code: 0 when apply would do nothing, 2 when changes are pending (notes alone are not changes). */
export function planExitCode(plan: Plan): 0 | 2 {
  return APPLIED_ACTIONS.some(a => plan.summary[a] > 0) ? 2 : 0;
}
