import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCycle } from '../../src/cycle.ts';
import type { CycleResult } from '../../src/cycle.ts';
import { KubeClient } from '../../src/k8s/client.ts';
import { liveCluster } from '../../src/k8s/cluster.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import { APPLIED_ACTIONS } from '../../src/model/plan.ts';
import { NetBoxClient } from '../../src/netbox/client/index.ts';
import { prefixBody, startLab } from '../support/e2e.ts';
import type { Lab } from '../support/e2e.ts';
import { ensureNamespace, storedObjects } from '../integration/sync-support.ts';
import { recordFigures } from './figures.ts';
import type { FigureRow } from './figures.ts';
import { prefixDefect, runs, SEED, startRewritingProxy } from './bad-support.ts';
import type { RewritingProxy } from './bad-support.ts';

/**
 * Issue 15 through real cycles: pools synced from good NetBox objects on the real apiserver (real NetBox by
 * default), then their source turns to garbage on the way from NetBox (a rewriting proxy in front of it stands for
 * a plugin or proxy that damages answers: wrong custom-field types, malformed CIDRs, missing fields). The pools are
 * held, neither changed nor deleted, and the plan names every damaged object; the other objects still sync; when
 * the source is repaired the cycle converges with nothing to do. A listing where everything is invalid, or where
 * everything has become unpublished, does not fool the delete guards. Address space 100.78.0.0/16 (data only).
 */

let lab: Lab;
let proxy: RewritingProxy;
let viaProxy: NetBoxClient;
const ids: number[] = [];
/** k8s_pool_name of each seeded prefix, by index in `ids`. */
const names: string[] = [];
const rows: FigureRow[] = [];
let previousPoolCount: number | undefined;

beforeAll(async () => {
  lab = await startLab({ deleteBudget: { maxCount: 50, maxPercent: 100 } });
  await ensureNamespace(lab.cluster);
  const c = lab.cluster;
  const pools: [string, string, Record<string, unknown>][] = [
    ['100.78.0.0/24', 'k8s-pod', { k8s_pool_name: `pods-a-${c}` }],
    ['100.78.1.0/24', 'k8s-pod', { k8s_pool_name: `pods-b-${c}`, k8s_block_size: 28 }],
    ['100.78.2.0/24', 'k8s-secondary', { k8s_pool_name: `sec-a-${c}`, k8s_namespace: c }],
    ['100.78.3.0/24', 'k8s-secondary', { k8s_pool_name: `sec-b-${c}`, k8s_namespace: c, k8s_gateway: '100.78.3.1' }],
    ['100.78.4.0/28', 'k8s-loadbalancer', { k8s_pool_name: `lb-a-${c}` }],
    ['100.78.4.16/28', 'k8s-loadbalancer', { k8s_pool_name: `lb-b-${c}`, k8s_pool_kind: 'cilium-lb' }],
  ];
  for (const [cidr, role, cf] of pools) {
    ids.push((await lab.client.create<{ id: number }>('ipam/prefixes', prefixBody(lab, cidr, role, cf))).id);
    names.push(String(cf['k8s_pool_name']));
  }
  proxy = await startRewritingProxy(lab.netbox.url);
  viaProxy = new NetBoxClient({
    url: proxy.url,
    token: lab.netbox.tokens.v1,
    maxRetries: 1,
    retryBaseMs: 10,
    timeoutMs: 60_000,
  });
});

afterAll(async () => {
  recordFigures(inject('reliabilityFigures'), rows);
  await proxy.close();
  await lab.close();
});

/** One real cycle, NetBox read through the proxy; returns the result and the write requests it sent. */
async function cycle(): Promise<CycleResult & { writes: number }> {
  const kube = new KubeClient({ kubeconfig: inject('kubeconfigPath') });
  try {
    const result = await runCycle(
      { config: lab.config, netbox: viaProxy, adapters: ADAPTERS, ...liveCluster(kube) },
      { apply: true, previousPoolCount },
    );
    previousPoolCount = result.nextPoolCount;
    return { ...result, writes: kube.writeCount() };
  } finally {
    kube.close();
  }
}

const applied = (r: CycleResult) =>
  r.plan.changes
    .filter(ch => APPLIED_ACTIONS.includes(ch.action))
    .map(ch => `${ch.action} ${ch.kind ?? '-'} ${ch.name}`);

/** Stored objects that vanished or changed since `before`. */
function compare(before: Map<string, string>, after: Map<string, string>): { deleted: string[]; changed: string[] } {
  const deleted = [...before.keys()].filter(k => !after.has(k));
  const changed = [...before].filter(([k, v]) => after.has(k) && after.get(k) !== v).map(([k]) => k);
  return { deleted, changed };
}

describe('garbage source on real cycles', () => {
  it('pools synced from good objects are held while their source is garbage, and converge once it is repaired', async () => {
    proxy.rewrite = undefined;
    const first = await cycle();
    expect(first.source.healthy).toBe(true);
    expect(first.apply?.results.filter(r => r.outcome !== 'applied').map(r => r.message)).toEqual([]);
    const synced = await storedObjects(lab.cluster);
    expect(synced.size).toBeGreaterThanOrEqual(ids.length);
    expect((await cycle()).writes).toBe(0);

    const trials = fc.sample(
      fc.tuple(
        fc.subarray(ids, { minLength: 1 }),
        fc.array(prefixDefect, { minLength: ids.length, maxLength: ids.length }),
      ),
      { seed: SEED, numRuns: runs(6) },
    );
    const figures = { trials: 0, bad: 0, named: 0, deleted: 0, changed: 0, writes: 0, crashes: 0, newPoolsSynced: 0 };
    for (const [n, [broken, damage]] of trials.entries()) {
      figures.trials++;
      const defects = new Map<number, string>();
      proxy.rewrite = (path, row) => {
        const id = row['id'];
        if (path !== '/api/ipam/prefixes/' || typeof id !== 'number' || !broken.includes(id)) return row;
        const copy = structuredClone(row);
        const at = ids.indexOf(id);
        defects.set(id, (damage[at] as (r: Record<string, unknown>) => string)(copy));
        return copy;
      };
      // The others sync meanwhile: a new good prefix in NetBox is created in the same cycle.
      await lab.client.create<{ id: number }>(
        'ipam/prefixes',
        prefixBody(lab, `100.78.${100 + n}.0/24`, 'k8s-pod', { k8s_pool_name: `fresh-${n}-${lab.cluster}` }),
      );
      const before = await storedObjects(lab.cluster);
      let run: CycleResult & { writes: number };
      try {
        run = await cycle();
      } catch (err) {
        figures.crashes++;
        throw err;
      }
      figures.bad += broken.length;
      const invalid = run.plan.changes.filter(ch => ch.action === 'invalid');
      for (const id of broken) {
        // On the object, or (a k8s_options value only the kind can judge) on its pool, by the render.
        const pool = names[ids.indexOf(id)];
        const named = invalid.filter(ch => ch.sources.some(s => s.id === id) || ch.name === pool);
        if (named.length > 0) figures.named++;
        expect({ id, defect: defects.get(id), named: named.length > 0 }).toEqual({
          id,
          defect: defects.get(id),
          named: true,
        });
      }
      const created = applied(run);
      expect(created).toEqual([`create IPPool fresh-${n}-${lab.cluster}`]);
      figures.newPoolsSynced += created.length;
      const after = await storedObjects(lab.cluster);
      const diff = compare(before, after);
      figures.deleted += diff.deleted.length;
      figures.changed += diff.changed.length;
      expect(diff).toEqual({ deleted: [], changed: [] });
      figures.writes += run.writes;
      expect(run.writes).toBe(1);
    }

    proxy.rewrite = undefined;
    const repaired = await cycle();
    expect(applied(repaired)).toEqual([]);
    expect(repaired.plan.changes.filter(ch => ch.action === 'invalid')).toEqual([]);
    expect(repaired.writes).toBe(0);
    rows.push({
      suite: 'bad-input',
      scenario: 'garbage source, real cycles',
      trials: figures.trials,
      faults: figures.bad,
      lost: 0,
      duplicated: 0,
      wronglyDeleted: figures.deleted,
      seed: SEED,
      extra: {
        namedInPlan: figures.named,
        poolsChanged: figures.changed,
        otherPoolsSynced: figures.newPoolsSynced,
        crashes: figures.crashes,
        convergedWrites: repaired.writes,
      },
    });
  });

  it('a listing where every object is invalid, or every object unpublished, deletes nothing', async () => {
    proxy.rewrite = undefined;
    await cycle();
    const before = await storedObjects(lab.cluster);
    const scenarios: [string, (row: Record<string, unknown>) => unknown][] = [
      ['every prefix malformed', row => ({ ...row, prefix: 'garbage' })],
      [
        'every custom field of the wrong type',
        row => ({ ...row, custom_fields: { ...(row['custom_fields'] as object), k8s_pool_kind: 42 } }),
      ],
      ['every object without status', row => ({ ...row, status: undefined })],
      [
        'every object unpublished (status container)',
        row => ({ ...row, status: { value: 'container', label: 'Container' } }),
      ],
    ];
    let deleted = 0;
    const guards: string[] = [];
    for (const [name, damage] of scenarios) {
      proxy.rewrite = (path, row) => (path === '/api/ipam/prefixes/' && row['role'] !== null ? damage(row) : row);
      const run = await cycle();
      const deletes = run.plan.changes.filter(ch => ch.action === 'delete');
      const diff = compare(before, await storedObjects(lab.cluster));
      deleted += diff.deleted.length;
      guards.push(`${name}: ${run.plan.guards.map(g => g.guard).join('+') || 'none'}`);
      expect({ name, deletes: deletes.map(d => d.name), diff, writes: run.writes }).toEqual({
        name,
        deletes: [],
        diff: { deleted: [], changed: [] },
        writes: 0,
      });
    }
    console.log(`[bad-cycle] guards: ${guards.join('; ')}`);
    proxy.rewrite = undefined;
    const repaired = await cycle();
    expect(applied(repaired)).toEqual([]);
    rows.push({
      suite: 'bad-input',
      scenario: 'all-invalid / all-unpublished listing',
      trials: scenarios.length,
      faults: scenarios.length,
      lost: 0,
      duplicated: 0,
      wronglyDeleted: deleted,
      seed: SEED,
      extra: { guardsTripped: guards.filter(g => !g.endsWith('none')).length },
    });
  });
});
