import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../../../src/kinds/resources.ts';
import { calicoBlock } from './allocations.ts';
import type { LiveAllocation } from './allocations.ts';
import { changesOf, useScenario } from './lifecycle.ts';
import type { NetBoxRef } from './lifecycle.ts';

/** Calico: a cluster-scoped projectcalico.org/v3 IPPool per prefix, an IPReservation for NetBox-held addresses. */
describe('e2e calico: NetBox prefix → projectcalico.org/v3 IPPool (+ IPReservation)', () => {
  const s = useScenario('calico');
  const pool = RESOURCES.calicoIpPool;
  const reservation = RESOURCES.calicoIpReservation;
  let prefix: NetBoxRef;
  let live: LiveAllocation;
  const name = () => s.name('pods');
  const others = () => s.name('others');
  const unmanagedNote = () => `unmanaged IPPool ${others()}`;

  it('1. create with an address NetBox already holds: IPReservation first, then the IPPool; then 0 writes', async () => {
    await s.unmanagedPool(pool, others(), {
      spec: { cidr: `${s.at(128)}/25`, blockSize: 26, ipipMode: 'Never', vxlanMode: 'Never', natOutgoing: true },
    });
    await s.address(`${s.at(10)}/24`, 'static server');
    prefix = await s.prefix(`${s.at(0)}/24`, 'k8s-pod', { k8s_pool_name: name() });

    const run = await s.cycle('create');
    // The reservation must exist before the pool can hand out anything, or .10 could go to a pod meanwhile.
    expect(run.actions).toEqual([`create IPReservation ${name()}`, `create IPPool ${name()}`, unmanagedNote()]);
    expect(changesOf(run, 'unmanaged')[0]?.reason).toContain(
      `overlaps projectcalico.org/v3 IPPool ${name()} in ${s.at(128)}/25`,
    );
    const stored = await s.owned(pool, name(), [['prefix', prefix]]);
    expect(stored.spec).toEqual({
      cidr: `${s.at(0)}/24`,
      blockSize: 26,
      ipipMode: 'Never',
      vxlanMode: 'Always',
      natOutgoing: true,
      nodeSelector: 'all()',
      assignmentMode: 'Automatic', // the CRD's default, added by the apiserver
    });
    expect((await s.owned(reservation, name(), [['prefix', prefix]])).spec).toEqual({
      reservedCIDRs: [`${s.at(10)}/32`],
    });

    expect(await s.steady('steady after create')).toEqual([unmanagedNote()]);
  });

  it('2. a gateway in NetBox → the IPReservation grows in place; the IPPool stays as it is', async () => {
    const before = await s.stored(pool, name());
    await s.edit('prefix', prefix, { custom_fields: { k8s_gateway: s.at(1) } });

    const run = await s.cycle('gateway');
    expect(run.actions).toEqual([`update IPReservation ${name()}`, unmanagedNote()]);
    const stored = await s.owned(reservation, name(), [['prefix', prefix]]);
    expect(stored.spec).toEqual({ reservedCIDRs: [`${s.at(1)}/32`, `${s.at(10)}/32`] });
    expect((await s.stored(pool, name()))?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);

    await s.steady('steady after gateway');
  });

  it('3. resize /24 → /23 over a held address: reservation updated first, then the IPPool replaced', async () => {
    const before = await s.stored(pool, name());
    await s.address(`${s.at(300)}/23`, 'printer');
    await s.edit('prefix', prefix, { prefix: `${s.at(0)}/23` });

    const run = await s.cycle('resize');
    expect(run.actions).toEqual([`update IPReservation ${name()}`, `replace IPPool ${name()}`, unmanagedNote()]);
    expect(changesOf(run, 'replace')[0]?.reason).toBe(
      `spec.cidr ${s.at(0)}/24 → ${s.at(0)}/23 cannot change in place: replace`,
    );
    const stored = await s.owned(pool, name(), [['prefix', prefix]]);
    expect(stored.metadata.uid).not.toBe(before?.metadata.uid);
    expect(stored.spec).toMatchObject({ cidr: `${s.at(0)}/23`, blockSize: 26 });
    expect((await s.owned(reservation, name(), [['prefix', prefix]])).spec).toEqual({
      reservedCIDRs: [`${s.at(1)}/32`, `${s.at(10)}/32`, `${s.at(300)}/32`],
    });

    await s.steady('steady after resize');
  });

  it('4. status deprecated → drained: disabled: true, updated in place', async () => {
    await s.edit('prefix', prefix, { status: 'deprecated' });

    const run = await s.cycle('deprecated');
    expect(run.actions).toEqual([`update IPPool ${name()}`, unmanagedNote()]);
    const stored = await s.owned(pool, name(), [['prefix', prefix]]);
    expect(stored.spec).toMatchObject({ cidr: `${s.at(0)}/23`, disabled: true });
    expect((await s.stored(reservation, name()))?.spec).toEqual({
      reservedCIDRs: [`${s.at(1)}/32`, `${s.at(10)}/32`, `${s.at(300)}/32`],
    });
    await s.steady('steady while deprecated');

    await s.edit('prefix', prefix, { status: 'active' });
    expect((await s.cycle('active again')).actions).toEqual([`update IPPool ${name()}`, unmanagedNote()]);
    expect((await s.stored(pool, name()))?.spec).not.toHaveProperty('disabled');
  });

  it('5. with a node block in use: block size change and NetBox delete are drained and blocked; deleted once free', async () => {
    live = await s.hold(
      calicoBlock({
        cidr: `${s.at(64)}/26`,
        node: 'node-a',
        pods: [{ ordinal: 3, namespace: s.namespace, pod: 'web-0' }],
      }),
    );
    await s.steady('steady with allocations');

    // A block size change needs a replacement, which live allocations forbid: the old pool is drained instead.
    await s.edit('prefix', prefix, { custom_fields: { k8s_block_size: 27 } });
    const held = await s.cycle('block size with allocations');
    expect(held.actions).toEqual([`drain IPPool ${name()}`, `blocked IPPool ${name()}`, unmanagedNote()]);
    expect(changesOf(held, 'blocked')[0]).toMatchObject({ blockedAction: 'replace', allocations: 2 });
    expect(changesOf(held, 'blocked')[0]?.reason).toBe(
      `spec.blockSize 26 → 27 cannot change in place; blocked: 2 live allocations in ${s.at(0)}/23 — drained ` +
        'instead; replace is retried each cycle',
    );
    expect((await s.owned(pool, name(), [['prefix', prefix]])).spec).toMatchObject({ blockSize: 26, disabled: true });
    expect(await s.steady('steady while replace blocked')).toEqual([`blocked IPPool ${name()}`, unmanagedNote()]);
    await s.edit('prefix', prefix, { custom_fields: { k8s_block_size: null } });
    expect((await s.cycle('block size back')).actions).toEqual([`update IPPool ${name()}`, unmanagedNote()]);
    expect((await s.owned(pool, name(), [['prefix', prefix]])).spec).not.toHaveProperty('disabled');

    await s.remove('prefix', prefix);

    // This lab's only pool vanished from NetBox: the empty-source guard holds everything until told otherwise.
    const guarded = await s.cycle('NetBox delete (guarded)');
    expect(guarded.actions).toEqual([`blocked IPPool ${name()}`, `blocked IPReservation ${name()}`]);
    expect(guarded.plan.guards.map(g => g.guard)).toContain('empty-source');
    expect(guarded.writes).toBe(0);

    const run = await s.cycle('NetBox delete', { allowEmptySource: true });
    expect(run.actions).toEqual([
      `drain IPPool ${name()}`,
      `blocked IPPool ${name()}`,
      `blocked IPReservation ${name()}`,
    ]);
    expect(changesOf(run, 'blocked')[0]?.reason).toBe(
      `blocked: 2 live allocations in ${s.at(0)}/23 — drained instead; delete is retried each cycle`,
    );
    expect(changesOf(run, 'blocked')[1]?.reason).toContain(
      'kept while its calico pool with the same NetBox source stays',
    );
    expect((await s.owned(pool, name(), [['prefix', prefix]])).spec).toMatchObject({ disabled: true });
    expect(await s.stored(reservation, name())).toBeDefined();
    expect(await s.steady('steady while blocked')).toEqual([
      `blocked IPPool ${name()}`,
      `blocked IPReservation ${name()}`,
    ]);

    await s.deletedOnceFree(live, [
      [pool, name()],
      [reservation, name()],
    ]);
  });

  it('never touches the unmanaged IPPool that overlaps the NetBox prefix', async () => {
    await s.expectUnmanagedUntouched();
  });
});
