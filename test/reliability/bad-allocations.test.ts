import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubeRequest } from '../../dev/control-plane/index.ts';
import { runWriteback } from '../../src/cycle.ts';
import type { WritebackCycleResult } from '../../src/cycle.ts';
import { KubeClient } from '../../src/k8s/client.ts';
import { liveCluster } from '../../src/k8s/cluster.ts';
import { resourcePath } from '../../src/k8s/client.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import { RESOURCES } from '../../src/kinds/resources.ts';
import { formatIssue } from '../../src/model/issue.ts';
import type { ResourceType } from '../../src/model/k8s-object.ts';
import { apiVersionOf } from '../../src/model/k8s-object.ts';
import { prefixBody, startLab } from '../support/e2e.ts';
import type { Lab } from '../support/e2e.ts';
import { loadBalancerService, whereaboutsPool } from '../integration/e2e/allocations.ts';
import { adminCreds, ensureNamespace } from '../integration/sync-support.ts';
import { recordFigures } from './figures.ts';
import type { FigureRow } from './figures.ts';
import { runs, SEED } from './bad-support.ts';

/**
 * Issue 15, allocation sources on the real apiserver (records on real NetBox by default): garbage Whereabouts
 * IPPool allocations, Calico IPAMBlocks with impossible ordinals, CiliumNode and NV-IPAM statuses with junk,
 * Services with non-address ingress. Writeback reports one warning per bad object, writes the good allocations,
 * and marks or deletes no record because its source became unreadable: that kind counts as not fully read. What
 * the apiserver itself refuses (its schema validates some fields) is counted as refused. Address space
 * 100.79.0.0/16 (data only).
 */

let lab: Lab;
const rows: FigureRow[] = [];
const HOUR = 3_600_000;
let clock = Date.parse('2026-12-02T12:00:00Z');
const ns = () => lab.cluster;
const range = '100.79.0.0/24';
const ippool = '100.79.0.0-24';

beforeAll(async () => {
  lab = await startLab();
  await ensureNamespace(ns());
  const c = lab.cluster;
  const create = (cidr: string, role: string, cf: Record<string, unknown>) =>
    lab.client.create('ipam/prefixes', prefixBody(lab, cidr, role, cf));
  await create(range, 'k8s-secondary', { k8s_pool_name: `wb-${c}`, k8s_namespace: c });
  await create('100.79.1.0/28', 'k8s-loadbalancer', { k8s_pool_name: `lb-${c}` });
  await create('100.79.4.0/24', 'k8s-pod', { k8s_pool_name: `pods-${c}` });
  await create('100.79.8.0/24', 'k8s-rdma', { k8s_pool_name: `rdma-${c}`, k8s_namespace: c });
  await create('100.79.16.0/22', 'k8s-pod', { k8s_pool_name: `cpod-${c}`, k8s_pool_kind: 'cilium-pod' });
  const run = await lab.cycle();
  expect(run.apply?.results.filter(r => r.outcome !== 'applied').map(r => r.message)).toEqual([]);
});

afterAll(async () => {
  recordFigures(inject('reliabilityFigures'), rows);
  await lab.close();
});

async function send(
  method: string,
  rt: ResourceType,
  name: string | undefined,
  namespace: string | undefined,
  body?: unknown,
  sub = '',
) {
  const path = `${resourcePath(rt, namespace, name)}${sub}`;
  const type = method === 'PATCH' ? 'application/merge-patch+json' : undefined;
  return kubeRequest(adminCreds(), method, path, body, type);
}

/** Creates (or replaces) an object as a CNI or controller would; false when the apiserver refuses it. */
async function put(
  rt: ResourceType,
  name: string,
  namespace: string | undefined,
  content: Record<string, unknown>,
  status?: unknown,
): Promise<boolean> {
  const metadata = namespace === undefined ? { name } : { name, namespace };
  const res = await send('POST', rt, undefined, namespace, {
    apiVersion: apiVersionOf(rt),
    kind: rt.kind,
    metadata,
    ...content,
  });
  if (res.status === 422 || res.status === 400) return false;
  if (res.status !== 201) throw new Error(`create ${rt.kind} ${name}: ${res.status} ${res.body.slice(0, 300)}`);
  if (status === undefined) return true;
  const st = await send('PATCH', rt, name, namespace, { status }, '/status');
  if (st.status === 422 || st.status === 400) return false;
  if (st.status !== 200) throw new Error(`status of ${rt.kind} ${name}: ${st.status} ${st.body.slice(0, 300)}`);
  return true;
}

/** Sets the IPPool's allocations to exactly `allocations` (a merge patch, as the plugin updates it); false when refused. */
async function setAllocations(allocations: Record<string, unknown>): Promise<boolean> {
  const current = await send('GET', RESOURCES.whereaboutsIpPool, ippool, ns());
  if (current.status !== 200) throw new Error(`IPPool ${ippool}: ${current.status}`);
  const old = current.json<{ spec?: { allocations?: Record<string, unknown> } }>().spec?.allocations ?? {};
  const patch: Record<string, unknown> = { ...allocations };
  for (const k of Object.keys(old)) if (!(k in allocations)) patch[k] = null;
  const res = await send('PATCH', RESOURCES.whereaboutsIpPool, ippool, ns(), { spec: { allocations: patch } });
  if (res.status === 422 || res.status === 400) return false;
  if (res.status !== 200) throw new Error(`patch IPPool ${ippool}: ${res.status} ${res.body.slice(0, 300)}`);
  return true;
}

async function writeback(advance = 0): Promise<WritebackCycleResult> {
  clock += advance;
  const kube = new KubeClient({ kubeconfig: inject('kubeconfigPath') });
  try {
    const result = await runWriteback(
      { config: lab.config, netbox: lab.client, adapters: ADAPTERS, ...liveCluster(kube) },
      { dryRun: false, now: new Date(clock) },
    );
    expect(result.source.healthy).toBe(true);
    expect((result.report?.results ?? []).filter(r => r.outcome !== 'applied').map(r => r.message)).toEqual([]);
    return result;
  } finally {
    kube.close();
  }
}

/** The records we own in NetBox, as `address owner [stale]` lines. */
async function records(): Promise<string[]> {
  const tag = [lab.config.selection.managedTag, lab.clusterTag];
  const [addresses, prefixes, ranges] = await Promise.all([
    lab.client.listIpAddresses({ tag }),
    lab.client.listPrefixes({ tag }),
    lab.client.listIpRanges({ tag }),
  ]);
  const stale = (cf: Record<string, unknown>) => (typeof cf['k8s_stale_since'] === 'string' ? ' stale' : '');
  return [
    ...addresses.map(a => `${a.address} ${String(a.custom_fields['k8s_owner'])}${stale(a.custom_fields)}`),
    ...prefixes.map(p => `${p.prefix} ${String(p.custom_fields['k8s_owner'])}${stale(p.custom_fields)}`),
    ...ranges.map(
      r => `${r.start_address}-${r.end_address} ${String(r.custom_fields['k8s_owner'])}${stale(r.custom_fields)}`,
    ),
  ].sort();
}

const pod = (n: number) => ({ id: `c-${n}`, podref: `${ns()}/pod-${n}`, ifname: 'net1' });

/** Garbage a CNI plugin or a broken controller could leave; each entry says what it damages. */
const GARBAGE_OFFSETS: [string, () => unknown][] = [
  ['x1', () => pod(91)],
  ['-3', () => pod(92)],
  ['99999', () => pod(93)],
  ['1e2', () => pod(94)],
  ['12', () => ({ id: 'c-12', podref: 'no-slash', ifname: 'net1' })],
  ['13', () => ({ id: 'c-13', podref: '/', ifname: 'net1' })],
  ['14', () => ({ id: 'c-14', podref: 42 })],
];

describe('garbage in live allocation sources', () => {
  it('warns once per bad object, writes the good allocations, and marks or deletes nothing because of it', async () => {
    // The good state: two pods on the Whereabouts pool, one Service on MetalLB; written back.
    const wb = await whereaboutsPool({
      namespace: ns(),
      range,
      pods: [5, 6].map(o => ({ offset: o, pod: `${ns()}/pod-${o}` })),
    });
    const svc = await loadBalancerService({
      namespace: ns(),
      name: 'web',
      ip: '100.79.1.5',
      pool: `lb-${lab.cluster}`,
    });
    try {
      await writeback();
      const good = await records();
      expect(good).toEqual([`100.79.0.5/24 ${ns()}/pod-5`, `100.79.0.6/24 ${ns()}/pod-6`, `100.79.1.5/28 ${ns()}/web`]);

      const trials = fc.sample(
        fc.record({
          offsets: fc.subarray(GARBAGE_OFFSETS, { minLength: 1 }),
          hideSix: fc.constantFrom('6x', '06a', ' 6', '6.0'),
          extra: fc.integer({ min: 20, max: 200 }),
        }),
        { seed: SEED, numRuns: runs(3) },
      );
      const f = { trials: 0, badObjects: 0, refused: 0, warnings: 0, written: 0, wronglyMarked: 0, wronglyDeleted: 0 };
      for (const [n, t] of trials.entries()) {
        f.trials++;
        // Whereabouts: pod-6's entry becomes unreadable, garbage beside it, and a new good pod (t.extra).
        const allocations: Record<string, unknown> = {
          '5': pod(5),
          [t.hideSix]: pod(6),
          [String(t.extra)]: pod(t.extra),
        };
        for (const [k, v] of t.offsets) allocations[k] = v();
        const bad: { what: string; accepted: boolean }[] = [];
        bad.push({
          what: `IPPool ${ns()}/${ippool}`,
          accepted: await setAllocations(allocations),
        });
        // Calico: an IPAMBlock whose ordinals run past its /30 and whose attribute indexes point nowhere.
        bad.push({
          what: `IPAMBlock 100-79-4-${4 * n}-30`,
          accepted: await put(RESOURCES.calicoIpamBlockV1, `100-79-4-${4 * n}-30`, undefined, {
            spec: {
              cidr: `100.79.4.${4 * n}/30`,
              affinity: `host:node-${n}`,
              allocations: [0, 7, null, null, 0, 0],
              attributes: [{ handle_id: 'h', secondary: { namespace: ns(), pod: 'p' } }],
              unallocated: [2, 3],
              strictAffinity: false,
            },
          }),
        });
        // CiliumNode: a CIDR that is not one, and an entry naming no pool.
        bad.push({
          what: `CiliumNode junk-${n}-${lab.cluster}`,
          accepted: await put(RESOURCES.ciliumNode, `junk-${n}-${lab.cluster}`, undefined, {
            spec: {
              ipam: {
                pools: {
                  allocated: [
                    { pool: `cpod-${lab.cluster}`, cidrs: ['100.79.16.0/33'] },
                    { cidrs: ['100.79.17.0/26'] },
                  ],
                },
              },
            },
          }),
        });
        // NV-IPAM: a node block with addresses that are not addresses.
        const nvName = `rdma-${lab.cluster}`;
        const nv = await send(
          'PATCH',
          RESOURCES.nvIpamIpPool,
          nvName,
          ns(),
          { status: { allocations: [{ nodeName: `n-${n}`, startIP: 'zzz', endIP: '100.79.8.7' }] } },
          '/status',
        );
        bad.push({ what: `IPPool ${ns()}/${nvName}`, accepted: nv.status === 200 });
        // A Service whose ingress address is no address: the apiserver validates it, so it is expected to refuse.
        const junkSvc = await send(
          'PATCH',
          RESOURCES.service,
          'web',
          ns(),
          { status: { loadBalancer: { ingress: [{ ip: '100.79.1.5' }, { ip: 'not-an-ip' }] } } },
          '/status',
        );
        bad.push({ what: `Service ${ns()}/web`, accepted: junkSvc.status === 200 });

        const accepted = bad.filter(b => b.accepted);
        f.badObjects += bad.length;
        f.refused += bad.length - accepted.length;
        const before = await records();
        const result = await writeback(2 * HOUR); // past the grace period: a wrong mark would also be a deletion
        const warnings = result.issues.filter(i => i.severity === 'warning' && i.subject.type === 'k8s');
        f.warnings += warnings.length;
        const text = warnings.map(formatIssue);
        for (const b of accepted) {
          const named = text.filter(w => w.includes(b.what));
          expect({ object: b.what, warnings: named.length }).toEqual({ object: b.what, warnings: 1 });
        }
        if (bad[0]?.accepted === true) expect(result.fullyRead).not.toContain('whereabouts');
        console.log(
          `[bad-allocations] trial ${n}: ${bad.map(b => `${b.what} ${b.accepted ? 'accepted' : 'refused'}`).join('; ')}`,
        );
        const after = await records();
        // The new good pod is written; nothing that was there is marked or gone.
        const added = after.filter(r => !before.includes(r));
        f.written += added.length;
        if (bad[0]?.accepted === true) expect(added).toContain(`100.79.0.${t.extra}/24 ${ns()}/pod-${t.extra}`);
        const lost = before.filter(r => !after.some(a => a === r || a === `${r} stale`));
        const marked = after.filter(r => r.endsWith(' stale'));
        f.wronglyDeleted += lost.length;
        f.wronglyMarked += marked.length;
        expect({ lost, marked }).toEqual({ lost: [], marked: [] });
        // Clean the objects of this trial that are not repaired by the next one.
        await send('DELETE', RESOURCES.calicoIpamBlockV1, `100-79-4-${4 * n}-30`, undefined);
        await send('DELETE', RESOURCES.ciliumNode, `junk-${n}-${lab.cluster}`, undefined);
        await send('PATCH', RESOURCES.nvIpamIpPool, nvName, ns(), { status: { allocations: [] } }, '/status');
      }

      // Repaired: the sources read clean again, every kind is fully read, and the records stay as they are.
      expect(await setAllocations({ '5': pod(5), '6': pod(6) })).toBe(true);
      const repaired = await writeback(HOUR);
      expect(repaired.issues.filter(i => i.subject.type === 'k8s').map(formatIssue)).toEqual([]);
      expect(repaired.fullyRead).toContain('whereabouts');
      const final = await records();
      expect(final.filter(r => /\/(pod-5|pod-6|web)$/.test(r))).toEqual(good);
      rows.push({
        suite: 'bad-input',
        scenario: 'allocation sources (writeback)',
        trials: f.trials,
        faults: f.badObjects,
        lost: 0,
        duplicated: 0,
        wronglyDeleted: f.wronglyDeleted,
        seed: SEED,
        extra: {
          refusedByApiserver: f.refused,
          warnings: f.warnings,
          goodWritten: f.written,
          wronglyMarked: f.wronglyMarked,
          crashes: 0,
        },
      });
    } finally {
      await wb.remove();
      await svc.remove();
    }
  });
});
