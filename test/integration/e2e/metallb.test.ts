import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../../../src/kinds/resources.ts';
import { loadBalancerService } from './allocations.ts';
import { editInCluster, ensureNamespace } from './kube.ts';
import { changesOf, useScenario } from './lifecycle.ts';
import type { NetBoxRef } from './lifecycle.ts';

/** MetalLB: an IPAddressPool + L2Advertisement in metallb-system from a NetBox IP range. */
describe('e2e metallb: NetBox IP range → metallb.io/v1beta1 IPAddressPool + L2Advertisement', () => {
  const s = useScenario('metallb');
  const pool = RESOURCES.metallbIpAddressPool;
  const l2 = RESOURCES.metallbL2Advertisement;
  const ns = 'metallb-system';
  let range: NetBoxRef;
  const name = () => s.name('lb');
  const others = () => s.name('others');
  const unmanagedNote = () => `unmanaged IPAddressPool ${others()}`;

  it('1. create: the IPAddressPool and its L2Advertisement appear; a second cycle writes nothing', async () => {
    await ensureNamespace(ns);
    await s.unmanagedPool(pool, others(), { spec: { addresses: [`${s.net}.140-${s.net}.160`] } }, ns);
    range = await s.range(`${s.net}.100/24`, `${s.net}.150/24`, 'k8s-loadbalancer', { k8s_pool_name: name() });

    const run = await s.cycle('create');
    // Companions go in first: the advertisement waits for its pool, never the other way round.
    expect(run.actions).toEqual([
      `create L2Advertisement ${name()}`,
      `create IPAddressPool ${name()}`,
      unmanagedNote(),
    ]);
    expect(changesOf(run, 'unmanaged')[0]?.reason).toContain(`in ${s.net}.140-${s.net}.150`);
    const stored = await s.owned(pool, name(), [['range', range]], ns);
    expect(stored.spec).toEqual({ addresses: [`${s.net}.100-${s.net}.150`], autoAssign: true, avoidBuggyIPs: false });
    expect((await s.owned(l2, name(), [['range', range]], ns)).spec).toEqual({ ipAddressPools: [name()] });

    expect(await s.steady('steady after create')).toEqual([unmanagedNote()]);
  });

  it('2. a static address inside → the range is split around it, updated in place', async () => {
    const before = await s.stored(pool, name(), ns);
    await s.address(`${s.net}.120/24`, 'static VIP');

    const run = await s.cycle('address');
    expect(run.actions).toEqual([`update IPAddressPool ${name()}`, unmanagedNote()]);
    const stored = await s.owned(pool, name(), [['range', range]], ns);
    expect(stored.metadata.uid).toBe(before?.metadata.uid);
    expect(stored.spec).toMatchObject({ addresses: [`${s.net}.100-${s.net}.119`, `${s.net}.121-${s.net}.150`] });
    await s.steady('steady after address');
  });

  it('3. resize the range → updated in place', async () => {
    await s.edit('range', range, { end_address: `${s.net}.170/24` });

    const run = await s.cycle('resize');
    expect(run.actions).toEqual([`update IPAddressPool ${name()}`, unmanagedNote()]);
    const stored = await s.owned(pool, name(), [['range', range]], ns);
    expect(stored.spec).toMatchObject({ addresses: [`${s.net}.100-${s.net}.119`, `${s.net}.121-${s.net}.170`] });
    await s.steady('steady after resize');
  });

  it('3b. edited in the cluster (autoAssign turned off by hand) → apply takes the field back, then 0 writes', async () => {
    await editInCluster(pool, name(), ns, { spec: { autoAssign: false } });

    const run = await s.cycle('hand edit');
    expect(run.actions).toEqual([`update IPAddressPool ${name()}`, unmanagedNote()]);
    expect(changesOf(run, 'update')[0]?.reason).toMatch(/^drifted from NetBox .*: spec\.autoAssign$/);
    expect(run.requests).not.toHaveProperty('patch');
    expect((await s.owned(pool, name(), [['range', range]], ns)).spec).toMatchObject({ autoAssign: true });
    await s.steady('steady after hand edit');
  });

  it('4. status deprecated → drained: autoAssign false; active again → autoAssign true', async () => {
    await s.edit('range', range, { status: 'deprecated' });
    expect((await s.cycle('deprecated')).actions).toEqual([`update IPAddressPool ${name()}`, unmanagedNote()]);
    expect((await s.owned(pool, name(), [['range', range]], ns)).spec).toMatchObject({ autoAssign: false });
    await s.steady('steady while deprecated');

    await s.edit('range', range, { status: 'active' });
    expect((await s.cycle('active again')).actions).toEqual([`update IPAddressPool ${name()}`, unmanagedNote()]);
    expect((await s.owned(pool, name(), [['range', range]], ns)).spec).toMatchObject({ autoAssign: true });
  });

  it('5. NetBox delete while a Service holds an address → drained and blocked; deleted once free', async () => {
    const live = await s.hold(
      loadBalancerService({ namespace: s.namespace, name: 'web', ip: `${s.net}.105`, pool: name() }),
    );
    await s.steady('steady with allocations');
    await s.remove('range', range);

    const run = await s.cycle('NetBox delete', { allowEmptySource: true });
    expect(run.actions).toEqual([
      `drain IPAddressPool ${name()}`,
      `blocked IPAddressPool ${name()}`,
      `blocked L2Advertisement ${name()}`,
    ]);
    expect(changesOf(run, 'blocked')[0]?.reason).toBe(
      `blocked: 1 live allocation in ${s.net}.100-${s.net}.119, ${s.net}.121-${s.net}.170 — drained instead; delete is retried each cycle`,
    );
    expect((await s.owned(pool, name(), [['range', range]], ns)).spec).toMatchObject({ autoAssign: false });
    expect(await s.stored(l2, name(), ns)).toBeDefined();
    expect(await s.steady('steady while blocked')).toEqual([
      `blocked IPAddressPool ${name()}`,
      `blocked L2Advertisement ${name()}`,
    ]);

    await s.deletedOnceFree(live, [
      [pool, name(), ns],
      [l2, name(), ns],
    ]);
  });

  it('never touches the unmanaged IPAddressPool that overlaps the NetBox range', async () => {
    await s.expectUnmanagedUntouched();
  });
});
