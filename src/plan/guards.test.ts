import { describe, expect, it } from 'vitest';
import { namespaceValuesAnnotation } from '../model/ownership.ts';
import { budgetProblem, emptySourceProblem } from './guards.ts';
import { calculatePlan } from './plan.ts';
import { POLICIES, isPolicyName } from './policy.ts';
import { POLICY_NAMES } from '../model/plan.ts';
import type { StepClass } from './policy.ts';
import type { PolicyName } from '../model/plan.ts';
import {
  CALICO_POOL,
  CLUSTER,
  METALLB_POOL,
  input,
  obj,
  pods,
  prefix,
  want,
} from '../../test/support/plan-fixtures.ts';
import type { PlanInput } from './types.ts';
import type { Plan } from '../model/plan.ts';

const pool = (name: string, cidr: string, id: number, spec: Record<string, unknown> = {}) =>
  obj('calico', CALICO_POOL, name, { cidr, blockSize: 26, ...spec }, { from: `prefix/${id}`, hash: 'h1' });
const gone = pool('gone', '10.80.0.0/24', 80);
const gone2 = pool('gone2', '10.81.0.0/24', 81);
const busy = pool('busy', '10.90.0.0/24', 90);
const busyDrained = pool('busy', '10.90.0.0/24', 90, { disabled: true });
const BUSY = { kind: 'calico', name: 'busy' } as const;
const resized = want('calico', pool('pods-a', '10.20.0.0/24', 12, { blockSize: 24 }), [prefix(12, '10.20.0.0/24')]);
const lb = obj(
  'metallb',
  METALLB_POOL,
  'lb',
  { addresses: ['10.30.0.0/24'] },
  { namespace: 'metallb-system', hash: 'h1' },
);
const lbWider = want(
  'metallb',
  obj('metallb', METALLB_POOL, 'lb', { addresses: ['10.30.0.0/23'] }, { namespace: 'metallb-system', hash: 'h2' }),
  [prefix(30, '10.30.0.0/23')],
);
const fresh = want('calico', pool('new', '10.70.0.0/24', 70), [prefix(70, '10.70.0.0/24')]);

const lines = (p: Plan): string[] => p.changes.map(c => `${c.action} ${c.name}`);

describe('policies', () => {
  it.each<[PolicyName, StepClass, boolean]>(
    POLICY_NAMES.flatMap(name =>
      (['create', 'update', 'removal', 'note'] as const).map((cls): [PolicyName, StepClass, boolean] => [
        name,
        cls,
        { sync: true, 'upsert-only': cls !== 'removal', 'create-only': cls === 'create' || cls === 'note' }[name],
      ]),
    ),
  )('%s allows %s: %s', (name, cls, allowed) => {
    expect(POLICIES[name].allows(cls)).toBe(allowed);
  });

  it.each([
    ['sync', true],
    ['upsert-only', true],
    ['create-only', true],
    ['delete-all', false],
  ])('isPolicyName(%j) is %s', (name, ok) => {
    expect(isPolicyName(name)).toBe(ok);
  });

  const scenario: Partial<PlanInput> = {
    desired: [fresh, resized, lbWider],
    observed: [pool('pods-a', '10.20.0.0/24', 12), lb, gone, busy],
    allocations: pods('10.90.0.1', 3, BUSY),
    namespaceAssignments: [{ namespace: 'apps', annotation: 'cni.projectcalico.org/ipv4pools', values: ['new'] }],
    namespaces: [{ name: 'apps', annotations: {} }],
  };

  it.each<[PolicyName, string[]]>([
    [
      'sync',
      ['create new', 'replace pods-a', 'update lb', 'annotate apps', 'drain busy', 'delete gone', 'blocked busy'],
    ],
    ['upsert-only', ['create new', 'update lb', 'annotate apps', 'blocked busy', 'blocked gone', 'blocked pods-a']],
    ['create-only', ['create new', 'annotate apps', 'blocked lb', 'blocked busy', 'blocked gone', 'blocked pods-a']],
  ])('%s', (policy, expected) => {
    const plan = calculatePlan(input({ ...scenario, policy }));
    expect(lines(plan)).toEqual(expected);
    for (const c of plan.changes.filter(x => x.action === 'blocked' && x.name !== 'busy')) {
      expect(c.reason).toMatch(new RegExp(`^blocked by policy ${policy} \\(.+\\) — planned (update|delete|replace): `));
    }
    if (policy !== 'sync') {
      expect(plan.guards.find(g => g.guard === 'policy')?.objects).toContain('projectcalico.org/v3 IPPool gone');
    }
  });

  it('a refused drain and its blocked note become one note that keeps the allocation count', () => {
    const plan = calculatePlan(
      input({ observed: [busy], allocations: pods('10.90.0.1', 3, BUSY), policy: 'upsert-only' }),
    );
    expect(plan.changes).toHaveLength(1);
    expect(plan.changes[0]).toMatchObject({ action: 'blocked', blockedAction: 'delete', allocations: 3 });
    expect(plan.changes[0]?.reason).toContain('planned delete: no NetBox object selects it any more');
  });
});

describe('empty-source guard', () => {
  it.each<[string, Partial<PlanInput>, boolean, string | undefined]>([
    [
      'NetBox failed',
      { source: { healthy: false, reason: 'timeout after 30s' } },
      true,
      'NetBox source failed (timeout after 30s)',
    ],
    ['no pools, previous run had pools', { previousPoolCount: 4 }, false, 'NetBox returned no pools'],
    ['no pools, previous run unknown', { previousPoolCount: undefined }, false, 'NetBox returned no pools'],
    ['no pools, previous run had none', { previousPoolCount: 0 }, false, undefined],
    ['no pools, operator allows it', { allowEmptySource: true }, false, undefined],
    [
      'allowEmptySource never overrides a failed source',
      { allowEmptySource: true, source: { healthy: false } },
      false,
      'NetBox source failed (no reason given)',
    ],
  ])('%s', (_name, over, steady, problem) => {
    const plan = calculatePlan(input({ observed: [gone, gone2], ...over }, { steady }));
    if (problem === undefined) {
      expect(lines(plan)).toEqual(['delete gone', 'delete gone2']);
      expect(plan.guards).toEqual([]);
    } else {
      const reason = `${problem}; refusing to delete 2 pools (empty-source guard)`;
      expect(lines(plan)).toEqual(['blocked gone', 'blocked gone2']);
      expect(plan.changes[0]?.reason).toMatch(new RegExp(`^${reason.replace(/[()]/g, '\\$&')} — planned delete: `));
      expect(plan.guards).toEqual([
        {
          guard: 'empty-source',
          reason,
          objects: ['projectcalico.org/v3 IPPool gone', 'projectcalico.org/v3 IPPool gone2'],
        },
      ]);
    }
  });

  it('still creates and updates; refuses drains and namespace value removals too', () => {
    const plan = calculatePlan(
      input({
        desired: [fresh],
        observed: [busy],
        allocations: pods('10.90.0.1', 1, BUSY),
        source: { healthy: false, reason: 'HTTP 503' },
        namespaces: [
          {
            name: 'apps',
            annotations: { 'x/pools': '["busy"]', [namespaceValuesAnnotation(CLUSTER)]: '{"x/pools":["busy"]}' },
          },
        ],
      }),
    );
    expect(lines(plan)).toEqual(['create new', 'blocked busy', 'blocked apps']);
    expect(plan.changes.every(c => c.action !== 'blocked' || c.reason.includes('empty-source guard'))).toBe(true);
  });

  it('emptySourceProblem counts pools, not companions', () => {
    expect(emptySourceProblem({ source: { healthy: true }, desiredPools: 0, managedPools: 0 })).toBeUndefined();
    expect(emptySourceProblem({ source: { healthy: true }, desiredPools: 1, managedPools: 5 })).toBeUndefined();
  });
});

describe('delete budget', () => {
  // Managed objects: steady, gone, gone2 → 3.
  it.each<[string, PlanInput['deleteBudget'], boolean]>([
    ['no budget', undefined, false],
    ['count within', { maxCount: 2 }, false],
    ['count over', { maxCount: 1 }, true],
    ['percent within', { maxPercent: 70 }, false],
    ['percent over', { maxPercent: 50 }, true],
    ['either limit over stops all', { maxCount: 10, maxPercent: 10 }, true],
  ])('%s', (_name, deleteBudget, blocked) => {
    const plan = calculatePlan(input({ observed: [gone, gone2], deleteBudget }));
    expect(lines(plan)).toEqual(blocked ? ['blocked gone', 'blocked gone2'] : ['delete gone', 'delete gone2']);
    expect(plan.guards.some(g => g.guard === 'delete-budget')).toBe(blocked);
  });

  it('says the numbers', () => {
    const plan = calculatePlan(input({ observed: [gone, gone2], deleteBudget: { maxCount: 1, maxPercent: 50 } }));
    expect(plan.changes[0]?.reason).toContain(
      'delete budget exceeded: 2 removals planned (66.7%), allowed at most 1 per cycle and at most 50% of 3 managed objects; nothing is removed this cycle',
    );
  });

  it('counts replaces and drains, not pools that are only waiting for allocations to go', () => {
    const waiting = calculatePlan(
      input({ observed: [gone, busyDrained], allocations: pods('10.90.0.1', 1, BUSY), deleteBudget: { maxCount: 1 } }),
    );
    expect(lines(waiting)).toEqual(['delete gone', 'blocked busy']);
    const draining = calculatePlan(
      input({ observed: [gone, busy], allocations: pods('10.90.0.1', 1, BUSY), deleteBudget: { maxCount: 1 } }),
    );
    expect(lines(draining)).toEqual(['blocked busy', 'blocked gone']);
    const replacing = calculatePlan(
      input({
        desired: [resized],
        observed: [pool('pods-a', '10.20.0.0/24', 12), gone],
        deleteBudget: { maxCount: 1 },
      }),
    );
    expect(lines(replacing)).toEqual(['blocked gone', 'blocked pods-a']);
  });

  it('budgetProblem is quiet when nothing is removed', () => {
    expect(budgetProblem({ maxCount: 0 }, 0, 10)).toBeUndefined();
    expect(budgetProblem({ maxCount: 0 }, 1, 10)).toContain('1 removals planned (10%)');
  });
});
