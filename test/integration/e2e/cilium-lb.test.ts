import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../../../src/kinds/resources.ts';
import { loadBalancerService } from './allocations.ts';
import { editInCluster } from './kube.ts';
import { changesOf, useScenario } from './lifecycle.ts';
import type { NetBoxRef } from './lifecycle.ts';

/** Cilium LB-IPAM: a cluster-scoped CiliumLoadBalancerIPPool; k8s_pool_kind picks it over the role's MetalLB. */
describe('e2e cilium-lb: NetBox prefix → cilium.io/v2 CiliumLoadBalancerIPPool', () => {
  const s = useScenario('cilium-lb');
  const pool = RESOURCES.ciliumLbPool;
  let prefix: NetBoxRef;
  const name = () => s.name('lb');
  const others = () => s.name('others');
  const unmanagedNote = () => `unmanaged CiliumLoadBalancerIPPool ${others()}`;

  it('1. create: the pool appears with one cidr block; a second cycle writes nothing', async () => {
    await s.unmanagedPool(pool, others(), { spec: { blocks: [{ start: s.at(40), stop: s.at(80) }] } });
    prefix = await s.prefix(`${s.at(0)}/26`, 'k8s-loadbalancer', { k8s_pool_kind: 'cilium-lb', k8s_pool_name: name() });

    const run = await s.cycle('create');
    expect(run.actions).toEqual([`create CiliumLoadBalancerIPPool ${name()}`, unmanagedNote()]);
    expect(changesOf(run, 'unmanaged')[0]?.reason).toContain(`in ${s.at(40)}-${s.at(63)}`);
    const stored = await s.owned(pool, name(), [['prefix', prefix]]);
    // disabled: false is the CRD's default, added by the apiserver.
    expect(stored.spec).toEqual({ blocks: [{ cidr: `${s.at(0)}/26` }], disabled: false });

    expect(await s.steady('steady after create')).toEqual([unmanagedNote()]);
  });

  it('2. a static address and a gateway → blocks split around them, updated in place', async () => {
    const before = await s.stored(pool, name());
    await s.address(`${s.at(10)}/24`, 'static VIP');
    await s.edit('prefix', prefix, { custom_fields: { k8s_gateway: s.at(1) } });

    const run = await s.cycle('address + gateway');
    expect(run.actions).toEqual([`update CiliumLoadBalancerIPPool ${name()}`, unmanagedNote()]);
    const stored = await s.owned(pool, name(), [['prefix', prefix]]);
    expect(stored.metadata.uid).toBe(before?.metadata.uid);
    expect(stored.spec).toEqual({
      blocks: [{ cidr: `${s.at(0)}/32` }, { start: s.at(2), stop: s.at(9) }, { start: s.at(11), stop: s.at(63) }],
      disabled: false,
    });
    await s.steady('steady after address + gateway');
  });

  it('3. resize /26 → /25 → updated in place', async () => {
    await s.edit('prefix', prefix, { prefix: `${s.at(0)}/25` });

    const run = await s.cycle('resize');
    expect(run.actions).toEqual([`update CiliumLoadBalancerIPPool ${name()}`, unmanagedNote()]);
    const stored = await s.owned(pool, name(), [['prefix', prefix]]);
    expect(stored.spec).toEqual({
      blocks: [{ cidr: `${s.at(0)}/32` }, { start: s.at(2), stop: s.at(9) }, { start: s.at(11), stop: s.at(127) }],
      disabled: false,
    });
    await s.steady('steady after resize');
  });

  it('3b. edited in the cluster (disabled, allowFirstLastIPs added by hand) → put back, then 0 writes', async () => {
    await editInCluster(pool, name(), undefined, { spec: { disabled: true, allowFirstLastIPs: 'No' } });

    const run = await s.cycle('hand edit');
    expect(run.actions).toEqual([`update CiliumLoadBalancerIPPool ${name()}`, unmanagedNote()]);
    expect(changesOf(run, 'update')[0]?.reason).toMatch(
      /^drifted from NetBox .*: spec\.allowFirstLastIPs, spec\.disabled$/,
    );
    // Apply alone cannot drop fields another manager owns: a merge patch removes them first.
    expect(run.requests).toMatchObject({ patch: 1, apply: 1 });
    const stored = await s.owned(pool, name(), [['prefix', prefix]]);
    expect(stored.spec).not.toHaveProperty('allowFirstLastIPs');
    expect(stored.spec).toMatchObject({ disabled: false });
    await s.steady('steady after hand edit');
  });

  it('4. status deprecated → drained: disabled: true; active again → enabled', async () => {
    await s.edit('prefix', prefix, { status: 'deprecated' });
    expect((await s.cycle('deprecated')).actions).toEqual([
      `update CiliumLoadBalancerIPPool ${name()}`,
      unmanagedNote(),
    ]);
    expect((await s.owned(pool, name(), [['prefix', prefix]])).spec).toMatchObject({ disabled: true });
    await s.steady('steady while deprecated');

    await s.edit('prefix', prefix, { status: 'active' });
    expect((await s.cycle('active again')).actions).toEqual([
      `update CiliumLoadBalancerIPPool ${name()}`,
      unmanagedNote(),
    ]);
    // We no longer set it: the CRD default applies again.
    expect((await s.owned(pool, name(), [['prefix', prefix]])).spec).toMatchObject({ disabled: false });
  });

  it('5. NetBox delete while a Service holds an address → drained and blocked; deleted once free', async () => {
    // No annotation: Cilium LB-IPAM names no pool, so the address is attributed by containment.
    const live = await s.hold(loadBalancerService({ namespace: s.namespace, name: 'ingress', ip: s.at(20) }));
    await s.steady('steady with allocations');
    await s.remove('prefix', prefix);

    const run = await s.cycle('NetBox delete', { allowEmptySource: true });
    expect(run.actions).toEqual([
      `drain CiliumLoadBalancerIPPool ${name()}`,
      `blocked CiliumLoadBalancerIPPool ${name()}`,
    ]);
    expect(changesOf(run, 'blocked')[0]?.reason).toBe(
      `blocked: 1 live allocation in ${s.at(0)}/32, ${s.at(2)}-${s.at(9)}, ${s.at(11)}-${s.at(127)} — drained ` +
        'instead; delete is retried each cycle',
    );
    expect((await s.owned(pool, name(), [['prefix', prefix]])).spec).toMatchObject({ disabled: true });
    expect(await s.steady('steady while blocked')).toEqual([`blocked CiliumLoadBalancerIPPool ${name()}`]);

    await s.deletedOnceFree(live, [[pool, name()]]);
  });

  it('never touches the unmanaged pool that overlaps the NetBox prefix', async () => {
    await s.expectUnmanagedUntouched();
  });
});
