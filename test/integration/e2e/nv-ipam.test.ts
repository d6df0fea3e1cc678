import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../../../src/kinds/resources.ts';
import { nvIpamNodeBlocks } from './allocations.ts';
import { changesOf, issueLines, useScenario } from './lifecycle.ts';
import type { NetBoxRef } from './lifecycle.ts';

/** NV-IPAM: a namespaced nv-ipam.nvidia.com/v1alpha1 IPPool per subnet; the controller cuts per-node blocks. */
describe('e2e nv-ipam: NetBox prefix → nv-ipam.nvidia.com/v1alpha1 IPPool', () => {
  const s = useScenario('nv-ipam');
  const pool = RESOURCES.nvIpamIpPool;
  let prefix: NetBoxRef;
  const name = () => s.name('rdma');
  const others = () => s.name('others');
  const unmanagedNote = () => `unmanaged IPPool ${others()}`;
  const nodeBlock = (node: string, first: number) => ({ node, startIP: s.at(first), endIP: s.at(first + 31) });

  it('1. create: the IPPool appears in its namespace; a second cycle writes nothing', async () => {
    await s.unmanagedPool(pool, others(), { spec: { subnet: `${s.at(0)}/25`, perNodeBlockSize: 16 } }, s.namespace);
    prefix = await s.prefix(`${s.at(0)}/24`, 'k8s-rdma', { k8s_pool_name: name(), k8s_namespace: s.namespace });

    const run = await s.cycle('create');
    expect(run.actions).toEqual([`create IPPool ${name()}`, unmanagedNote()]);
    const stored = await s.owned(pool, name(), [['prefix', prefix]], s.namespace);
    expect(stored.spec).toEqual({ subnet: `${s.at(0)}/24`, perNodeBlockSize: 32 });

    expect(await s.steady('steady after create')).toEqual([unmanagedNote()]);
  });

  it('2. a static address and a gateway → gateway and exclusions, updated in place', async () => {
    const before = await s.stored(pool, name(), s.namespace);
    await s.address(`${s.at(10)}/24`, 'storage target');
    await s.edit('prefix', prefix, { custom_fields: { k8s_gateway: s.at(1) } });

    const run = await s.cycle('address + gateway');
    expect(run.actions).toEqual([`update IPPool ${name()}`, unmanagedNote()]);
    const stored = await s.owned(pool, name(), [['prefix', prefix]], s.namespace);
    expect(stored.metadata.uid).toBe(before?.metadata.uid);
    expect(stored.spec).toEqual({
      subnet: `${s.at(0)}/24`,
      perNodeBlockSize: 32,
      gateway: s.at(1),
      exclusions: [
        { startIP: s.at(1), endIP: s.at(1) },
        { startIP: s.at(10), endIP: s.at(10) },
      ],
    });
    await s.steady('steady after address + gateway');
  });

  it('3. resize while nodes hold blocks → replace, blocked; once the blocks are gone → updated in place', async () => {
    const blocks = await s.hold(
      nvIpamNodeBlocks({ namespace: s.namespace, pool: name(), blocks: [nodeBlock('node-a', 32)] }),
    );
    await s.steady('steady with node blocks');
    const before = await s.stored(pool, name(), s.namespace);
    await s.edit('prefix', prefix, { prefix: `${s.at(0)}/23` });

    const blocked = await s.cycle('resize with node blocks');
    expect(blocked.actions).toEqual([`blocked IPPool ${name()}`, unmanagedNote()]);
    expect(changesOf(blocked, 'blocked')[0]).toMatchObject({ blockedAction: 'replace', allocations: 1 });
    expect(changesOf(blocked, 'blocked')[0]?.reason).toBe(
      `spec.subnet ${s.at(0)}/24 → ${s.at(0)}/23 cannot change in place; blocked: 1 live allocation in ` +
        `${s.at(0)}/32, ${s.at(2)}-${s.at(9)}, ${s.at(11)}-${s.at(255)} — nv-ipam pools cannot be drained, move the ` +
        'workloads off; replace is retried each cycle',
    );
    expect(blocked.writes).toBe(0);
    expect((await s.stored(pool, name(), s.namespace))?.metadata.resourceVersion).toBe(
      before?.metadata.resourceVersion,
    );

    await s.free(blocks);
    const run = await s.cycle('resize, blocks gone');
    expect(run.actions).toEqual([`update IPPool ${name()}`, unmanagedNote()]);
    const stored = await s.owned(pool, name(), [['prefix', prefix]], s.namespace);
    expect(stored.metadata.uid).toBe(before?.metadata.uid);
    expect(stored.spec).toMatchObject({ subnet: `${s.at(0)}/23`, perNodeBlockSize: 32 });
    await s.steady('steady after resize');
  });

  it('4. status deprecated → NV-IPAM cannot drain: a warning, the IPPool stays as it is', async () => {
    await s.edit('prefix', prefix, { status: 'deprecated' });
    await s.untouched(pool, name(), s.namespace, async () => {
      const deprecated = await s.cycle('deprecated');
      expect(deprecated.actions).toEqual([unmanagedNote()]);
      const warning = 'warning: cannot drain: an NV-IPAM IPPool has no disabled flag; nodes keep their blocks';
      expect(issueLines(deprecated).filter(l => l.startsWith(warning))).toHaveLength(1);
    });
  });

  it('5. NetBox delete while nodes hold blocks → blocked, kept; deleted once free', async () => {
    const blocks = await s.hold(
      nvIpamNodeBlocks({
        namespace: s.namespace,
        pool: name(),
        blocks: [nodeBlock('node-a', 32), nodeBlock('node-b', 288)],
      }),
    );
    await s.steady('steady with node blocks');
    await s.remove('prefix', prefix);

    await s.untouched(pool, name(), s.namespace, async () => {
      const run = await s.cycle('NetBox delete', { allowEmptySource: true });
      expect(run.actions).toEqual([`blocked IPPool ${name()}`]);
      const where = `${s.at(0)}/32, ${s.at(2)}-${s.at(9)}, ${s.at(11)}-${s.at(511)}`;
      expect(changesOf(run, 'blocked')[0]?.reason).toBe(
        `blocked: 2 live allocations in ${where} — nv-ipam pools cannot be drained, move the workloads off; ` +
          'delete is retried each cycle',
      );
    });

    await s.deletedOnceFree(blocks, [[pool, name(), s.namespace]]);
  });

  it('never touches the unmanaged IPPool that overlaps the NetBox prefix', async () => {
    await s.expectUnmanagedUntouched();
  });
});
