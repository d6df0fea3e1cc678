import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyPhases, applyPlan } from '../../src/k8s/apply.ts';
import { KubeClient } from '../../src/k8s/client.ts';
import type { CreateOptions, ApplyOptions as KubeApplyOptions, DeleteOptions } from '../../src/k8s/client.ts';
import type { K8sObject, ResourceType } from '../../src/model/k8s-object.ts';
import { fieldManagerFor } from '../../src/model/ownership.ts';
import type { Plan } from '../../src/model/plan.ts';
import type { DesiredObject } from '../../src/model/desired.ts';
import { calculatePlan } from '../../src/plan/plan.ts';
import {
  ADAPTERS,
  CALICO_POOL,
  CALICO_RESERVATION,
  CLUSTER,
  input,
  obj,
  pods,
  prefix,
  refOf,
  want,
} from '../support/plan-fixtures.ts';

/**
 * Apply against the real apiserver: a create is one POST and a name someone else took meanwhile (409
 * AlreadyExists) is left alone; writes go out concurrently inside a phase of the plan, never across phases; the
 * fields of our create pass to our server-side apply, so a later update can drop them.
 */

const run = randomBytes(3).toString('hex');
const FM = fieldManagerFor(CLUSTER);
const ADMIN_FM = 'someone-else';

/** Every write's start and end, in the order they happened (a counter, not a clock). */
class RecordingKube extends KubeClient {
  readonly events: { at: 'start' | 'end'; verb: string; name: string }[] = [];
  inFlight = 0;
  maxInFlight = 0;

  async #track<T>(verb: string, name: string, send: () => Promise<T>): Promise<T> {
    this.events.push({ at: 'start', verb, name });
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      return await send();
    } finally {
      this.inFlight--;
      this.events.push({ at: 'end', verb, name });
    }
  }

  override create(rt: ResourceType, o: K8sObject, opts?: CreateOptions): Promise<K8sObject> {
    return this.#track('create', o.metadata.name, () => super.create(rt, o, opts));
  }
  override apply(rt: ResourceType, o: K8sObject, opts?: KubeApplyOptions): Promise<K8sObject> {
    return this.#track('apply', o.metadata.name, () => super.apply(rt, o, opts));
  }
  override delete(
    rt: ResourceType,
    name: string,
    namespace: string | undefined,
    opts?: DeleteOptions,
  ): Promise<'deleted' | 'absent'> {
    return this.#track('delete', name, () => super.delete(rt, name, namespace, opts));
  }
}

const poolName = (i: number): string => `ac-${run}-${i}`;
const net = (i: number): string => `10.${100 + (i >> 8)}.${i & 255}`;
const meta = (i: number) => ({ from: `prefix/${i + 1}`, labels: { 'test-run': run } });
const pool = (i: number, spec: Record<string, unknown> = {}): K8sObject =>
  obj(
    'calico',
    CALICO_POOL,
    poolName(i),
    { cidr: `${net(i)}.0/24`, blockSize: 26, allowedUses: ['Workload', 'Tunnel'], ...spec },
    meta(i),
  );
const reservation = (i: number): K8sObject =>
  obj('calico', CALICO_RESERVATION, `${poolName(i)}-held`, { reservedCIDRs: [`${net(i)}.1/32`] }, meta(i));
/** Desired objects of pool i (its pool object, optionally its companion), from NetBox prefix i + 1. */
const wanted = (i: number, o: { spec?: Record<string, unknown>; companion?: boolean } = {}): DesiredObject[] => [
  want('calico', pool(i, o.spec), [prefix(i + 1, `${net(i)}.0/24`)]),
  ...(o.companion ? [want('calico', reservation(i), [prefix(i + 1, `${net(i)}.0/24`)], false)] : []),
];

async function ours(kube: KubeClient): Promise<K8sObject[]> {
  const lists = await Promise.all(
    [CALICO_POOL, CALICO_RESERVATION].map(t => kube.list(t, { labelSelector: `test-run=${run}` })),
  );
  return lists.flat();
}

/** Every write of one phase ended before the first write of the next started. */
function expectPhasesInOrder(plan: Plan, events: RecordingKube['events']): void {
  const phases = applyPhases(plan.changes).map(p => new Set(p.map(c => c.name)));
  expect(phases.length).toBeGreaterThan(1);
  for (let i = 1; i < phases.length; i++) {
    const before = phases[i - 1] ?? new Set<string>();
    const after = phases[i] ?? new Set<string>();
    const lastEnd = events.findLastIndex(e => e.at === 'end' && before.has(e.name));
    const firstStart = events.findIndex(e => e.at === 'start' && after.has(e.name));
    expect(lastEnd, `phase ${i - 1} ends before phase ${i} starts`).toBeLessThan(firstStart);
  }
}

describe('apply on the real apiserver', () => {
  let kube: RecordingKube;
  let admin: KubeClient;
  beforeAll(() => {
    kube = new RecordingKube({ kubeconfig: inject('kubeconfigPath') });
    admin = new KubeClient({ kubeconfig: inject('kubeconfigPath') });
  });
  afterAll(async () => {
    for (const i of [...Array.from({ length: 12 }, (_, j) => j), 40, 41, 50, 60]) {
      await admin.delete(CALICO_POOL, poolName(i), undefined);
      await admin.delete(CALICO_RESERVATION, `${poolName(i)}-held`, undefined);
    }
    kube.close();
    admin.close();
  });

  it('runs a phase concurrently and the phases one after the other (companions before pools, drains before deletes)', async () => {
    const n = 12;
    const all = (count: number): DesiredObject[] =>
      Array.from({ length: count }, (_, i) => wanted(i, { companion: true })).flat();
    const first = calculatePlan(input({ desired: all(n), previousPoolCount: n }, { steady: false }));
    expect(first.changes.filter(c => c.action === 'create')).toHaveLength(2 * n);
    const created = await applyPlan(kube, first, ADAPTERS, { fieldManager: FM, concurrency: 4 });
    expect(created.results.map(r => r.outcome)).toEqual(Array(2 * n).fill('applied'));
    expect(kube.requestCounts()).toEqual({ create: 2 * n }); // one request per create, no GET before it
    expect(kube.maxInFlight).toBe(4);
    expectPhasesInOrder(first, kube.events);

    // Keep half the pools; of the other half two hold live addresses (drained), four go (deleted, with companions).
    const observed = await ours(admin);
    const observedPool = (i: number): K8sObject => {
      const found = observed.find(o => o.kind === 'IPPool' && o.metadata.name === poolName(i));
      if (!found) throw new Error(`pool ${i} not observed`);
      return found;
    };
    const allocations = [6, 7].flatMap(i => pods(`${net(i)}.10`, 2, refOf('calico', observedPool(i))));
    const second = calculatePlan(
      input(
        {
          desired: all(n / 2),
          observed,
          allocations,
          previousPoolCount: n,
          deleteBudget: { maxCount: 100, maxPercent: 100 },
        },
        { steady: false },
      ),
    );
    const actions = new Set(second.changes.map(c => c.action));
    expect([...actions]).toEqual(expect.arrayContaining(['drain', 'delete']));
    kube.events.length = 0;
    kube.maxInFlight = 0;
    const removed = await applyPlan(kube, second, ADAPTERS, { fieldManager: FM, concurrency: 4 });
    expect(removed.results.every(r => r.outcome === 'applied')).toBe(true);
    expectPhasesInOrder(second, kube.events);
    const drained = await Promise.all([6, 7].map(i => admin.get(CALICO_POOL, poolName(i))));
    expect(drained.map(o => (o?.spec as { disabled?: boolean } | undefined)?.disabled)).toEqual([true, true]);
    expect(await admin.get(CALICO_POOL, poolName(8))).toBeNull();
    expect(await admin.get(CALICO_RESERVATION, `${poolName(8)}-held`)).toBeNull();
  });

  it('a create whose name someone else took meanwhile is skipped as foreign and leaves that object alone', async () => {
    const foreign = pool(40, { blockSize: 28 });
    const foreignObj: K8sObject = {
      ...foreign,
      metadata: { name: foreign.metadata.name, labels: { 'test-run': run } }, // no managed-by label
    };
    const plan = calculatePlan(
      input({ desired: [...wanted(40), ...wanted(41)], previousPoolCount: 2 }, { steady: false }),
    );
    await admin.apply(CALICO_POOL, foreignObj, { fieldManager: ADMIN_FM });
    const before = kube.requestCounts();
    const report = await applyPlan(kube, plan, ADAPTERS, { fieldManager: FM });
    const outcomes = report.results.map(r => [r.change.name, r.outcome, r.cause]);
    expect(outcomes).toEqual([
      [poolName(40), 'skipped', 'foreign'],
      [poolName(41), 'applied', undefined],
    ]);
    expect(report.results[0]?.message).toMatch(/\(someone else's\); it is left alone/);
    const after = kube.requestCounts();
    expect((after['create'] ?? 0) - (before['create'] ?? 0)).toBe(2);
    expect((after['apply'] ?? 0) - (before['apply'] ?? 0)).toBe(0);
    const stored = await admin.get(CALICO_POOL, poolName(40));
    expect((stored?.spec as { blockSize?: number }).blockSize).toBe(28);
    expect(stored?.metadata.labels?.['app.kubernetes.io/managed-by']).toBeUndefined();
  });

  it('a create whose name one of ours took meanwhile converges with an apply', async () => {
    const plan = calculatePlan(input({ desired: wanted(50), previousPoolCount: 1 }, { steady: false }));
    await admin.apply(CALICO_POOL, pool(50, { natOutgoing: true }), { fieldManager: FM, force: true }); // another replica
    const report = await applyPlan(kube, plan, ADAPTERS, { fieldManager: FM });
    expect(report.results.map(r => `${r.outcome} ${r.message ?? ''}`)).toEqual(['applied ']);
    expect(
      ((await admin.get(CALICO_POOL, poolName(50)))?.spec as { natOutgoing?: boolean }).natOutgoing,
    ).toBeUndefined();
  });

  it('an update after our create can drop a value the create set (the create is handed to our apply)', async () => {
    const plan = calculatePlan(input({ desired: wanted(60), previousPoolCount: 1 }, { steady: false }));
    await applyPlan(kube, plan, ADAPTERS, { fieldManager: FM });
    const observed = await admin.get(CALICO_POOL, poolName(60));
    if (!observed) throw new Error('pool 60 was not created');
    const managers = (m: K8sObject | null): string[] =>
      (m?.metadata.managedFields ?? []).map(e => {
        const entry = e as { manager: string; operation: string };
        return `${entry.manager}:${entry.operation}`;
      });
    expect(managers(observed)).toContain(`${FM}:Update`);
    const update = calculatePlan(
      input(
        { desired: wanted(60, { spec: { allowedUses: ['Workload'] } }), observed: [observed], previousPoolCount: 1 },
        { steady: false },
      ),
    );
    expect(update.changes.map(c => c.action)).toEqual(['update']);
    const report = await applyPlan(kube, update, ADAPTERS, { fieldManager: FM });
    expect(report.results.map(r => r.outcome)).toEqual(['applied']);
    const stored = await admin.get(CALICO_POOL, poolName(60));
    expect((stored?.spec as { allowedUses?: string[] }).allowedUses).toEqual(['Workload']);
    expect(managers(stored)).toContain(`${FM}:Apply`);
    expect(managers(stored)).not.toContain(`${FM}:Update`);
  });
});
