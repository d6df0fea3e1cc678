import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../../../src/kinds/resources.ts';
import type { K8sObject } from '../../../src/model/k8s-object.ts';
import { whereaboutsPool } from './allocations.ts';
import { changesOf, issueLines, useScenario } from './lifecycle.ts';
import type { NetBoxRef } from './lifecycle.ts';

/** Whereabouts: a NetworkAttachmentDefinition whose CNI config carries the IPAM range; the plugin makes the IPPool. */
describe('e2e whereabouts: NetBox prefix → k8s.cni.cncf.io/v1 NetworkAttachmentDefinition', () => {
  const s = useScenario('whereabouts');
  const nad = RESOURCES.networkAttachmentDefinition;
  let prefix: NetBoxRef;
  const name = () => s.name('wb');
  const others = () => s.name('others');
  const unmanagedNote = () => `unmanaged NetworkAttachmentDefinition ${others()}`;
  const config = (o: K8sObject | undefined): unknown => JSON.parse(String((o?.spec as { config?: string }).config));
  const network = (ipam: Record<string, unknown>) => ({
    cniVersion: '1.0.0',
    name: name(),
    type: 'macvlan',
    mode: 'bridge',
    ipam: { type: 'whereabouts', ...ipam },
  });

  it('1. create: the NAD appears with the range and network/broadcast excluded; a second cycle writes nothing', async () => {
    const othersConfig = { cniVersion: '0.3.1', name: 'others', type: 'macvlan', ipam: { type: 'whereabouts' } };
    const range = { ...othersConfig.ipam, range: `${s.at(128)}/25` };
    await s.unmanagedPool(
      nad,
      others(),
      { spec: { config: JSON.stringify({ ...othersConfig, ipam: range }) } },
      s.namespace,
    );
    prefix = await s.prefix(`${s.at(0)}/24`, 'k8s-secondary', { k8s_pool_name: name(), k8s_namespace: s.namespace });

    const run = await s.cycle('create');
    expect(run.actions).toEqual([`create NetworkAttachmentDefinition ${name()}`, unmanagedNote()]);
    const stored = await s.owned(nad, name(), [['prefix', prefix]], s.namespace);
    expect(config(stored)).toEqual(network({ range: `${s.at(0)}/24`, exclude: [`${s.at(0)}/32`, `${s.at(255)}/32`] }));

    expect(await s.steady('steady after create')).toEqual([unmanagedNote()]);
  });

  it('2. a static address and a gateway → exclude and gateway in the CNI config, updated in place', async () => {
    const before = await s.stored(nad, name(), s.namespace);
    await s.address(`${s.at(10)}/24`, 'static server');
    await s.edit('prefix', prefix, { custom_fields: { k8s_gateway: s.at(1) } });

    const run = await s.cycle('address + gateway');
    expect(run.actions).toEqual([`update NetworkAttachmentDefinition ${name()}`, unmanagedNote()]);
    const stored = await s.owned(nad, name(), [['prefix', prefix]], s.namespace);
    expect(stored.metadata.uid).toBe(before?.metadata.uid);
    // Network address and gateway are adjacent: one /31.
    const exclude = [`${s.at(0)}/31`, `${s.at(10)}/32`, `${s.at(255)}/32`];
    expect(config(stored)).toEqual(network({ range: `${s.at(0)}/24`, exclude, gateway: s.at(1) }));
    await s.steady('steady after address + gateway');
  });

  it('3. resize /24 → /23: the range grows in place', async () => {
    await s.edit('prefix', prefix, { prefix: `${s.at(0)}/23` });

    const run = await s.cycle('resize');
    expect(run.actions).toEqual([`update NetworkAttachmentDefinition ${name()}`, unmanagedNote()]);
    const stored = await s.owned(nad, name(), [['prefix', prefix]], s.namespace);
    const exclude = [`${s.at(0)}/31`, `${s.at(10)}/32`, `${s.at(511)}/32`];
    expect(config(stored)).toEqual(network({ range: `${s.at(0)}/23`, exclude, gateway: s.at(1) }));
    await s.steady('steady after resize');
  });

  it('4. status deprecated → Whereabouts cannot drain: a warning, the NAD stays as it is', async () => {
    await s.edit('prefix', prefix, { status: 'deprecated' });
    await s.untouched(nad, name(), s.namespace, async () => {
      const run = await s.cycle('deprecated');
      expect(run.actions).toEqual([unmanagedNote()]);
      expect(issueLines(run)).toContainEqual(
        expect.stringMatching(/^warning: cannot drain: Whereabouts has no way to stop allocating/),
      );
    });
  });

  it('5. NetBox delete while the plugin IPPool holds pods → blocked, kept; deleted once free', async () => {
    const live = await s.hold(
      whereaboutsPool({
        namespace: 'kube-system',
        range: `${s.at(0)}/23`,
        pods: [
          { offset: 20, pod: `${s.namespace}/db-0` },
          { offset: 300, pod: `${s.namespace}/db-1` },
        ],
      }),
    );
    await s.steady('steady with allocations');
    await s.remove('prefix', prefix);

    await s.untouched(nad, name(), s.namespace, async () => {
      const run = await s.cycle('NetBox delete', { allowEmptySource: true });
      expect(run.actions).toEqual([`blocked NetworkAttachmentDefinition ${name()}`]);
      expect(changesOf(run, 'blocked')[0]?.reason).toBe(
        `blocked: 2 live allocations in ${s.at(2)}-${s.at(9)}, ${s.at(11)}-${s.at(510)} — whereabouts pools cannot ` +
          'be drained, move the workloads off; delete is retried each cycle',
      );
    });

    await s.deletedOnceFree(live, [[nad, name(), s.namespace]]);
  });

  it('never touches the unmanaged NAD that overlaps the NetBox prefix', async () => {
    await s.expectUnmanagedUntouched();
  });
});
