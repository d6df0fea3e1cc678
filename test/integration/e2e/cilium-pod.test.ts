import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../../../src/kinds/resources.ts';
import { ciliumNode } from './allocations.ts';
import { changesOf, issueLines, useScenario } from './lifecycle.ts';
import type { NetBoxRef } from './lifecycle.ts';

/** Cilium multi-pool IPAM: a cluster-scoped CiliumPodIPPool; k8s_pool_kind picks it over the role's Calico. */
describe('e2e cilium-pod: NetBox prefix → cilium.io/v2alpha1 CiliumPodIPPool', () => {
  const s = useScenario('cilium-pod');
  const pool = RESOURCES.ciliumPodPool;
  let prefix: NetBoxRef;
  const name = () => s.name('pods');
  const others = () => s.name('others');
  const unmanagedNote = () => `unmanaged CiliumPodIPPool ${others()}`;

  it('1. create: the pool appears with the prefix and the default mask size; a second cycle writes nothing', async () => {
    await s.unmanagedPool(pool, others(), { spec: { ipv4: { cidrs: [`${s.at(256)}/24`], maskSize: 26 } } });
    prefix = await s.prefix(`${s.at(0)}/23`, 'k8s-pod', { k8s_pool_kind: 'cilium-pod', k8s_pool_name: name() });

    const run = await s.cycle('create');
    expect(run.actions).toEqual([`create CiliumPodIPPool ${name()}`, unmanagedNote()]);
    const stored = await s.owned(pool, name(), [['prefix', prefix]]);
    expect(stored.spec).toEqual({ ipv4: { cidrs: [`${s.at(0)}/23`], maskSize: 24 } });

    expect(await s.steady('steady after create')).toEqual([unmanagedNote()]);
  });

  it('2a. a static address inside → a conflict (the kind cannot exclude it), nothing written', async () => {
    await s.address(`${s.at(10)}/23`, 'static server');

    const run = await s.cycle('address');
    expect(run.actions).toEqual([unmanagedNote()]);
    expect(run.writes).toBe(0);
    expect(issueLines(run)).toContainEqual(
      expect.stringMatching(
        /^conflict: Cilium pod pools cannot exclude addresses: [\d.]+ \(ip-address .*\) may be given/,
      ),
    );
  });

  it('2b. block size 24 → 25: maskSize cannot change in place, so the pool is replaced', async () => {
    const before = await s.stored(pool, name());
    await s.edit('prefix', prefix, { custom_fields: { k8s_block_size: 25 } });

    const run = await s.cycle('block size');
    expect(run.actions).toEqual([`replace CiliumPodIPPool ${name()}`, unmanagedNote()]);
    expect(changesOf(run, 'replace')[0]?.reason).toBe('spec.ipv4.maskSize 24 → 25 cannot change in place: replace');
    const stored = await s.owned(pool, name(), [['prefix', prefix]]);
    expect(stored.metadata.uid).not.toBe(before?.metadata.uid);
    expect(stored.spec).toEqual({ ipv4: { cidrs: [`${s.at(0)}/23`], maskSize: 25 } });
    await s.steady('steady after block size');
  });

  it('2c. resize /23 → /22 → the CIDR list is updated in place', async () => {
    const before = await s.stored(pool, name());
    await s.edit('prefix', prefix, { prefix: `${s.at(0)}/22` });

    const run = await s.cycle('resize');
    expect(run.actions).toEqual([`update CiliumPodIPPool ${name()}`, unmanagedNote()]);
    const stored = await s.owned(pool, name(), [['prefix', prefix]]);
    expect(stored.metadata.uid).toBe(before?.metadata.uid);
    expect(stored.spec).toEqual({ ipv4: { cidrs: [`${s.at(0)}/22`], maskSize: 25 } });
    await s.steady('steady after resize');
  });

  it('3. status deprecated → CiliumPodIPPool cannot drain: a warning, the pool stays as it is', async () => {
    await s.edit('prefix', prefix, { status: 'deprecated' });
    const run = await s.cycle('deprecated');
    expect(run.actions).toEqual([unmanagedNote()]);
    expect(run.plan.summary.update).toBe(0);
    expect(issueLines(run)).toContain(
      'warning: cannot drain: CiliumPodIPPool has no disabled flag; pods matching it keep getting addresses',
    );
    expect(await s.steady('steady while deprecated')).toEqual([unmanagedNote()]);
  });

  it('4. NetBox delete while a node holds a block → blocked, kept; deleted once free', async () => {
    const live = await s.hold(ciliumNode({ name: s.name('node-a'), pool: name(), cidrs: [`${s.at(128)}/25`] }));
    await s.steady('steady with allocations');
    await s.remove('prefix', prefix);

    await s.untouched(pool, name(), undefined, async () => {
      const run = await s.cycle('NetBox delete', { allowEmptySource: true });
      expect(run.actions).toEqual([`blocked CiliumPodIPPool ${name()}`]);
      expect(changesOf(run, 'blocked')[0]).toMatchObject({
        blockedAction: 'delete',
        allocations: 1,
        reason:
          `blocked: 1 live allocation in ${s.at(0)}/22 — cilium-pod pools cannot be drained, move the workloads ` +
          'off; delete is retried each cycle',
      });
    });

    await s.deletedOnceFree(live, [[pool, name()]]);
  });

  it('never touches the unmanaged pool that overlaps the NetBox prefix', async () => {
    await s.expectUnmanagedUntouched();
  });
});
