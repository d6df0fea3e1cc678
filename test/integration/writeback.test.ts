import { describe, expect, inject, it } from 'vitest';
import { runWriteback } from '../../src/cycle.ts';
import type { WritebackCycleResult } from '../../src/cycle.ts';
import { KubeClient } from '../../src/k8s/client.ts';
import { liveCluster } from '../../src/k8s/cluster.ts';
import { RESOURCES } from '../../src/kinds/resources.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import type { RecordsApi } from '../../src/netbox/records.ts';
import type { NbIpAddress, NbIpRange, NbPrefix } from '../../src/model/netbox.ts';
import type { BulkEndpoint } from '../../src/netbox/client/client.ts';
import { calicoBlock, ciliumNode, loadBalancerService, nvIpamNodeBlocks } from './e2e/allocations.ts';
import { createObject, deleteObject } from './e2e/kube.ts';
import { useScenario } from './e2e/lifecycle.ts';

/**
 * Writeback end to end: the real apiserver with allocations written the way each system's own components write
 * them, the NetBox of the integration environment, and the real writeback cycle. Each step checks the records
 * NetBox holds afterwards, exactly.
 */
describe('writeback: live allocations of all six kinds recorded in NetBox', () => {
  const s = useScenario('whereabouts');
  const HOUR = 3_600_000;
  let clock = Date.parse('2026-12-02T12:00:00Z');
  const counts = { reads: 0, writes: 0 };

  /** The lab's client, counting requests, optionally failing the way a killed process would. */
  function api(kill?: { model: 'ip-address' | 'prefix'; when: 'before-send' | 'after-landing' }): RecordsApi {
    const c = s.lab.client;
    const wrap = <W extends object, T>(model: string, ep: BulkEndpoint<W, T>): BulkEndpoint<W, T> => ({
      create: async (items, opts) => {
        counts.writes++;
        if (kill?.model === model && kill.when === 'before-send') throw new Error('killed before the create was sent');
        const result = await ep.create(items, opts);
        if (kill?.model === model) throw new Error('killed after the create landed, before its answer was read');
        return result;
      },
      update: (items, opts) => (counts.writes++, ep.update(items, opts)),
      delete: (ids, opts) => (counts.writes++, ep.delete(ids, opts)),
    });
    return {
      listPrefixes: q => (counts.reads++, c.listPrefixes(q)),
      listIpRanges: q => (counts.reads++, c.listIpRanges(q)),
      listIpAddresses: q => (counts.reads++, c.listIpAddresses(q)),
      count: (endpoint, q) => (counts.reads++, c.count(endpoint, q)),
      ipAddresses: wrap('ip-address', c.ipAddresses),
      prefixes: wrap('prefix', c.prefixes),
      ipRanges: wrap('ip-range', c.ipRanges),
    };
  }

  async function writeback(
    o: { dryRun?: boolean; kill?: Parameters<typeof api>[0]; advance?: number } = {},
  ): Promise<WritebackCycleResult & { reads: number; writes: number }> {
    clock += o.advance ?? 0;
    counts.reads = 0;
    counts.writes = 0;
    const kube = new KubeClient({ kubeconfig: inject('kubeconfigPath') });
    try {
      const deps = { config: s.lab.config, netbox: api(o.kill), adapters: ADAPTERS, ...liveCluster(kube) };
      const result = await runWriteback(deps, { dryRun: o.dryRun ?? false, now: new Date(clock) });
      expect(result.source.healthy).toBe(true);
      const failed = (result.report?.results ?? []).filter(r => r.outcome !== 'applied');
      expect(failed.map(f => `${f.change.action}: ${f.message ?? ''}`)).toEqual([]);
      return { ...result, ...counts };
    } finally {
      kube.close();
    }
  }

  /** Every record NetBox holds with our two tags, as `model space owner pool [stale]` lines. */
  async function records(): Promise<string[]> {
    const tag = [s.lab.config.selection.managedTag, s.lab.clusterTag];
    const [addresses, prefixes, ranges] = await Promise.all([
      s.lab.client.listIpAddresses({ tag }),
      s.lab.client.listPrefixes({ tag }),
      s.lab.client.listIpRanges({ tag }),
    ]);
    const line = (what: string, r: NbIpAddress | NbPrefix | NbIpRange) => {
      const cf = r.custom_fields;
      const stale = typeof cf['k8s_stale_since'] === 'string' ? ' stale' : '';
      return `${what} ${String(cf['k8s_owner'])} ${String(cf['k8s_pool'])}${stale}`;
    };
    return [
      ...addresses.map(a => line(`ip-address ${a.address} ${a.status.value}`, a)),
      ...prefixes.map(p => line(`prefix ${p.prefix}`, p)),
      ...ranges.map(r => line(`ip-range ${r.start_address}-${r.end_address}`, r)),
    ].sort();
  }

  const ns = () => s.namespace;
  const wb = () => s.name('wb');
  const ippool = () => `${s.at(0)}-26`;
  const podsAt = (offsets: number[]) =>
    Object.fromEntries(offsets.map(o => [String(o), { id: `c-${o}`, podref: `${ns()}/pod-${o}`, ifname: 'net1' }]));
  async function setPods(offsets: number[]): Promise<void> {
    await deleteObject(RESOURCES.whereaboutsIpPool, ippool(), ns());
    await createObject(
      RESOURCES.whereaboutsIpPool,
      { name: ippool(), namespace: ns() },
      { spec: { range: `${s.at(0)}/26`, allocations: podsAt(offsets) } },
    );
  }
  const pod = (o: number) => `ip-address ${s.at(o)}/26 reserved ${ns()}/pod-${o} whereabouts:${ns()}/${wb()}`;

  it('1. first writeback: one exact record per allocation, every kind at its default grain', async () => {
    await s.prefix(`${s.at(0)}/26`, 'k8s-secondary', { k8s_pool_name: wb(), k8s_namespace: ns() });
    await s.prefix(`${s.at(64)}/28`, 'k8s-loadbalancer', { k8s_pool_name: s.name('lb') });
    await s.prefix(`${s.at(80)}/28`, 'k8s-loadbalancer', { k8s_pool_kind: 'cilium-lb', k8s_pool_name: s.name('clb') });
    await s.prefix(`${s.at(128)}/26`, 'k8s-rdma', { k8s_pool_name: s.name('rdma'), k8s_namespace: ns() });
    await s.prefix(`${s.at(256)}/24`, 'k8s-pod', { k8s_pool_name: s.name('pods') });
    await s.prefix(`${s.at(512)}/23`, 'k8s-pod', { k8s_pool_kind: 'cilium-pod', k8s_pool_name: s.name('cpod') });
    await s.cycle('pools');

    await setPods([5, 6, 7]);
    await s.hold(loadBalancerService({ namespace: ns(), name: 'web', ip: s.at(66), pool: s.name('lb') }));
    await s.hold(loadBalancerService({ namespace: ns(), name: 'api', ip: s.at(82) }));
    await s.hold(
      nvIpamNodeBlocks({
        namespace: ns(),
        pool: s.name('rdma'),
        blocks: [{ node: s.name('node-a'), startIP: s.at(130), endIP: s.at(137) }],
      }),
    );
    await s.hold(
      calicoBlock({
        cidr: `${s.at(256)}/26`,
        node: s.name('node-a'),
        pods: [{ ordinal: 3, namespace: ns(), pod: 'p' }],
      }),
    );
    await s.hold(ciliumNode({ name: s.name('node-b'), pool: s.name('cpod'), cidrs: [`${s.at(512)}/27`] }));

    const dry = await writeback({ dryRun: true });
    expect(dry.plan?.summary.create).toBe(8);
    expect(dry.writes).toBe(0);
    expect(await records()).toEqual([]);

    const first = await writeback();
    expect(first.writes).toBe(3); // one bulk create per model
    expect(await records()).toEqual(
      [
        pod(5),
        pod(6),
        pod(7),
        `ip-address ${s.at(66)}/28 reserved ${ns()}/web metallb:metallb-system/${s.name('lb')}`,
        `ip-address ${s.at(82)}/28 reserved ${ns()}/api cilium-lb:${s.name('clb')}`,
        `ip-range ${s.at(130)}/26-${s.at(137)}/26 node/${s.name('node-a')} nv-ipam:${ns()}/${s.name('rdma')}`,
        `prefix ${s.at(256)}/26 node/${s.name('node-a')} calico:${s.name('pods')}`,
        `prefix ${s.at(512)}/27 node/${s.name('node-b')} cilium-pod:${s.name('cpod')}`,
      ].sort(),
    );
  });

  it('2. a second run writes nothing: three counts of our records (found in the source) plus the source, zero writes', async () => {
    const second = await writeback();
    expect(second.plan?.changes).toEqual([]);
    expect(second.plan?.summary.unchanged).toBe(8);
    expect(second.writes).toBe(0);
  });

  it('3. a pod gone: its record is marked stale, kept through the grace period, deleted after it', async () => {
    await setPods([5, 6]);
    const marked = await writeback();
    expect(marked.plan?.changes.map(c => c.action)).toEqual(['mark-stale']);
    expect(await records()).toContain(`${pod(7)} stale`);

    const inGrace = await writeback({ advance: HOUR - 60_000 });
    expect(inGrace.plan?.changes).toEqual([]);
    expect(inGrace.writes).toBe(0);
    expect(await records()).toContain(`${pod(7)} stale`);

    const after = await writeback({ advance: 2 * 60_000 });
    expect(after.plan?.changes.map(c => c.action)).toEqual(['delete']);
    expect((await records()).filter(r => r.includes('pod-7'))).toEqual([]);
  });

  it('4. an address NetBox records for someone else, or for another cluster, is a conflict and left alone', async () => {
    const server = await s.address(`${s.at(8)}/26`, 'static server');
    const otherTag = 'k8s-other-cluster';
    await s.lab.client.create('extras/tags', { name: otherTag, slug: otherTag });
    const managed = s.lab.config.selection.managedTag;
    const theirs = await s.lab.client.create<{ id: number }>('ipam/ip-addresses', {
      address: `${s.at(9)}/26`,
      status: 'reserved',
      description: 'other cluster pod',
      tags: [{ slug: managed }, { slug: otherTag }],
      custom_fields: { k8s_cluster: 'other', k8s_owner: 'x/y', k8s_pool: 'whereabouts:x/net' },
    });
    await setPods([5, 6, 8, 9]);

    const run = await writeback();
    expect(run.plan?.changes).toEqual([]);
    expect(
      run.plan?.conflicts
        .filter(c => c.space !== undefined && c.kind !== 'outside-netbox-space')
        .map(c => [c.kind, c.space]),
    ).toEqual([
      ['held-by-other-record', s.at(8)],
      ['held-by-other-cluster', s.at(9)],
    ]);
    const serverNow = await s.lab.client.get<NbIpAddress>('ipam/ip-addresses', server.id);
    expect([serverNow.description, serverNow.tags]).toEqual(['static server', []]);
    const theirsNow = await s.lab.client.get<NbIpAddress>('ipam/ip-addresses', theirs.id);
    expect([theirsNow.description, theirsNow.custom_fields['k8s_cluster']]).toEqual(['other cluster pod', 'other']);
    expect(await records()).not.toContain(expect.stringContaining(s.at(8)));
  });

  it.each([
    ['before the create was sent', { model: 'ip-address' as const, when: 'before-send' as const }, [20, 21, 22]],
    [
      'after the create landed, its answer lost',
      { model: 'ip-address' as const, when: 'after-landing' as const },
      [30, 31, 32],
    ],
    [
      'between models: addresses written, the block prefix not',
      { model: 'prefix' as const, when: 'before-send' as const },
      [40, 41, 42],
    ],
  ])('5. killed %s, then run again: exactly the expected records, none twice', async (_when, kill, offsets) => {
    await setPods([5, 6, 8, 9, ...offsets]);
    const block = `${s.at(256 + 64 * (offsets[0]! / 10 - 1))}/26`;
    await s.hold(calicoBlock({ cidr: block, node: s.name(`node-${offsets[0]!}`), pods: [] }));
    await expect(writeback({ kill })).rejects.toThrow(/killed/);
    const again = await writeback();
    expect(again.plan?.summary.conflict).toBeGreaterThanOrEqual(2); // the two held addresses of step 4
    const after = await records();
    for (const o of offsets) expect(after.filter(r => r.startsWith(`ip-address ${s.at(o)}/`))).toEqual([pod(o)]);
    expect(after.filter(r => r.startsWith(`prefix ${block} `))).toHaveLength(1);
    const steady = await writeback();
    expect(steady.plan?.changes).toEqual([]);
  });
});
