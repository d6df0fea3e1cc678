import { describe, expect, it } from 'vitest';
import { formatChange, formatPlan, formatSummary, planExitCode, planToJson } from './format.ts';
import { calculatePlan } from './plan.ts';
import { CALICO_POOL, input, obj, pods, prefix, want } from '../../test/support/plan-fixtures.ts';
import { CHANGE_ACTIONS, desiredOf } from '../model/plan.ts';
import type { PlanInput } from './types.ts';
import type { Change, ChangeAction, Plan } from '../model/plan.ts';

const scenario = (): PlanInput =>
  input({
    desired: [
      want('calico', obj('calico', CALICO_POOL, 'new', { cidr: '10.70.0.0/24', blockSize: 26 }, { hash: 'n' }), [
        prefix(70, '10.70.0.0/24'),
      ]),
      want('calico', obj('calico', CALICO_POOL, 'pods-a', { cidr: '10.20.0.0/24', blockSize: 24 }, { hash: 'h2' }), [
        prefix(12, '10.20.0.0/24'),
      ]),
    ],
    observed: [
      obj('calico', CALICO_POOL, 'pods-a', { cidr: '10.20.0.0/24', blockSize: 26 }, { hash: 'h1' }),
      obj('calico', CALICO_POOL, 'busy', { cidr: '10.90.0.0/24' }, { from: 'prefix/90' }),
    ],
    allocations: pods('10.90.0.1', 3, { kind: 'calico', name: 'busy' }),
    issues: [
      { severity: 'error', subject: { type: 'netbox', model: 'prefix', id: 5, display: '10.5.0.0/24' }, reason: 'bad' },
    ],
  });

function emptyPlan(counts: Partial<Record<ChangeAction, number>> = {}): Plan {
  const summary = Object.fromEntries(CHANGE_ACTIONS.map(a => [a, counts[a] ?? 0])) as Plan['summary'];
  return { changes: [], summary, guards: [], desiredPools: 0, source: { healthy: true } };
}

describe('formatPlan', () => {
  it('reads like terraform plan', () => {
    expect(formatPlan(calculatePlan(scenario()))).toBe(
      [
        '  + create    projectcalico.org/v3 IPPool new',
        '      NetBox prefix 10.70.0.0/24 (id 70) is new',
        '      spec.blockSize: 26',
        '      spec.cidr: "10.70.0.0/24"',
        '',
        '-/+ replace   projectcalico.org/v3 IPPool pods-a',
        '      spec.blockSize 26 → 24 cannot change in place: replace',
        '      metadata.annotations["netbox-ippool-sync/spec-hash"]: "h1" → "h2"',
        '      spec.blockSize: 26 → 24',
        '',
        '  ~ drain     projectcalico.org/v3 IPPool busy',
        '      no NetBox object selects it any more (it came from prefix/90); no new allocations while 3 live allocations remain',
        '      spec.disabled: (none) → true',
        '',
        '  ! blocked   projectcalico.org/v3 IPPool busy  (delete)',
        '      blocked: 3 live allocations in 10.90.0.0/24 — drained instead; delete is retried each cycle',
        '',
        '  ✗ invalid   NetBox prefix 10.5.0.0/24 (id 5)',
        '      bad',
        '',
        'Guards:',
        '  live-allocations: pools with live allocations are drained, not deleted, replaced or shrunk',
        '    projectcalico.org/v3 IPPool busy',
        '',
        'Plan: 1 to create, 1 to replace, 0 to update, 0 to annotate, 1 to drain, 0 to delete. Notes: 1 blocked, 1 invalid, 0 unmanaged.',
        '',
      ].join('\n'),
    );
  });

  it.each<[string, Partial<Record<ChangeAction, number>>, string]>([
    ['nothing at all', {}, 'No changes. The cluster matches NetBox.'],
    ['only notes', { blocked: 2, unmanaged: 1 }, 'No changes to apply. Notes: 2 blocked, 0 invalid, 1 unmanaged.'],
    ['deletes', { delete: 3 }, 'Plan: 0 to create, 0 to replace, 0 to update, 0 to annotate, 0 to drain, 3 to delete.'],
  ])('summary: %s', (_name, counts, text) => {
    expect(formatSummary(emptyPlan(counts))).toContain(text);
  });

  it('an unreadable NetBox heads the plan as such, never as "the cluster matches NetBox"', () => {
    const reason = 'GET /api/status/ failed [HTTP 403]: NetBox refused the credentials';
    const text = formatPlan(calculatePlan(input({ source: { healthy: false, reason } }, { steady: false })));
    expect(text).toBe(`NetBox could not be read, so nothing was planned: the cluster is left as it is.\n  ${reason}\n`);
    expect(text).not.toMatch(/No changes|matches NetBox/);
  });

  it('an unreadable NetBox with pools in the cluster: their removal is held back, the headline still says why', () => {
    const busy = obj('calico', CALICO_POOL, 'busy', { cidr: '10.90.0.0/24' }, { from: 'prefix/90' });
    const plan = calculatePlan(input({ observed: [busy], source: { healthy: false, reason: 'connect ECONNREFUSED' } }));
    expect(plan.changes.map(c => c.action)).toEqual(['blocked']);
    const text = formatPlan(plan);
    expect(text.trimEnd().split('\n').slice(-2)).toEqual([
      'NetBox could not be read, so nothing was planned: the cluster is left as it is.',
      '  connect ECONNREFUSED',
    ]);
    expect(text).not.toMatch(/No changes/);
  });

  it.each<[ChangeAction, string]>([
    ['create', '  + create '],
    ['update', '  ~ update '],
    ['replace', '-/+ replace '],
    ['delete', '  - delete '],
    ['blocked', '  ! blocked '],
    ['invalid', '  ✗ invalid '],
    ['unmanaged', '  ? unmanaged '],
    ['annotate', '  ~ annotate '],
  ])('%s line', (action, head) => {
    const line = formatChange({ action, name: 'x', kind: 'K', apiVersion: 'v1', reason: 'r', sources: [] } as Change);
    expect(line.startsWith(`${head}`)).toBe(true);
  });
});

describe('planToJson', () => {
  it('is the same bytes whatever the input order', () => {
    const a = scenario();
    const b = { ...a, desired: [...a.desired].reverse(), observed: [...a.observed].reverse() };
    expect(planToJson(calculatePlan(b))).toBe(planToJson(calculatePlan(a)));
  });

  it('drops managedFields, writes BigInt as digits, sorts keys', () => {
    const plan = emptyPlan({ delete: 1 });
    plan.changes.push({
      action: 'delete',
      poolKind: 'k',
      apiVersion: 'v1',
      kind: 'K',
      name: 'x',
      reason: 'r',
      sources: [],
      observed: {
        apiVersion: 'v1',
        kind: 'K',
        metadata: { name: 'x', managedFields: [{ manager: 'm' }] },
        status: { size: 5n },
      },
    });
    const json = planToJson(plan);
    expect(json).not.toContain('managedFields');
    const parsed = JSON.parse(json) as { changes: { observed: { status: { size: string } } }[] };
    expect(parsed.changes[0]?.observed.status.size).toBe('5');
    expect(Object.keys(JSON.parse(json) as object)).toEqual(['changes', 'desiredPools', 'guards', 'source', 'summary']);
  });
});

describe('planExitCode', () => {
  it.each<[Partial<Record<ChangeAction, number>>, 0 | 2]>([
    [{}, 0],
    [{ blocked: 1, invalid: 1, unmanaged: 1 }, 0],
    [{ create: 1 }, 2],
    [{ update: 1 }, 2],
    [{ replace: 1 }, 2],
    [{ annotate: 1 }, 2],
    [{ drain: 1 }, 2],
    [{ delete: 1 }, 2],
  ])('%j → %i', (counts, code) => {
    expect(planExitCode(emptyPlan(counts))).toBe(code);
  });

  it('a second plan after the cluster matches NetBox is empty (idempotent)', () => {
    const first = calculatePlan(scenario());
    const applied = first.changes.filter(c => c.action === 'create' || c.action === 'replace').map(c => desiredOf(c)!);
    const untouched = scenario().observed.filter(o => o.metadata.name !== 'pods-a');
    const again = calculatePlan({ ...scenario(), observed: [...untouched, ...applied], allocations: [] });
    expect(again.changes.map(c => `${c.action} ${c.name}`)).toEqual([
      'delete busy',
      'invalid NetBox prefix 10.5.0.0/24 (id 5)',
    ]);
    const steady = untouched.filter(o => o.metadata.name !== 'busy');
    const settled = calculatePlan({ ...scenario(), observed: [...steady, ...applied], allocations: [], issues: [] });
    expect(planExitCode(settled)).toBe(0);
    expect(settled.changes).toEqual([]);
  });
});
