import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCES } from '../../src/kinds/resources.ts';
import { prefixBody, startLab } from '../support/e2e.ts';
import type { Lab } from '../support/e2e.ts';
import { createObject, deleteObject, ensureNamespace, getStored } from './e2e/kube.ts';

/**
 * Two Whereabouts networks on different VLANs reuse one subnet, each in its own NetBox VRF (so each NAD has its own
 * network_name and the plugin keeps its allocations in its own IPPool). A network leaving NetBox is held by its own
 * live allocations only: the other network's, at the same addresses, must not count.
 */
describe('live allocations count for their own pool only (Whereabouts, two VRFs, one subnet)', () => {
  let lab: Lab;
  let ns: string;
  const ippools: string[] = [];
  beforeAll(async () => {
    lab = await startLab();
    ns = `vrf-${lab.cluster}`;
    await ensureNamespace(ns);
  });
  afterAll(async () => {
    for (const name of ippools) await deleteObject(RESOURCES.whereaboutsIpPool, name, 'kube-system');
    await lab.close();
  });

  const holds = async (name: string, range: string, offsets: number[]) => {
    const allocations = Object.fromEntries(
      offsets.map(o => [String(o), { id: `c-${o}`, podref: `${ns}/pod-${o}`, ifname: 'net1' }]),
    );
    await createObject(
      RESOURCES.whereaboutsIpPool,
      { name, namespace: 'kube-system' },
      { spec: { range, allocations } },
    );
    ippools.push(name);
  };

  it('blocked by its own 2 allocations, not "6 live allocations"', async () => {
    const c = lab.cluster;
    const [red, blue] = [`red-${c}`, `blue-${c}`];
    const vrf = async (name: string) => (await lab.client.create<{ id: number }>('ipam/vrfs', { name })).id;
    const [redVrf, blueVrf] = [await vrf(red), await vrf(blue)];
    const network = (name: string, id: number) =>
      lab.client.create<{ id: number }>(
        'ipam/prefixes',
        prefixBody(lab, '100.98.0.0/24', 'k8s-secondary', { k8s_pool_name: name, k8s_namespace: ns }, { vrf: id }),
      );
    const redPrefix = await network(`net-${red}`, redVrf);
    await network(`net-${blue}`, blueVrf);

    const first = await lab.cycle();
    expect(first.actions.filter(a => a.startsWith('create')).sort()).toEqual(
      [`create NetworkAttachmentDefinition net-${blue}`, `create NetworkAttachmentDefinition net-${red}`].sort(),
    );
    const config = async (name: string) => {
      const nad = await getStored(RESOURCES.networkAttachmentDefinition, name, ns);
      return JSON.parse(String((nad?.spec as { config?: string }).config)) as { ipam: { network_name?: string } };
    };
    expect((await config(`net-${red}`)).ipam.network_name).toBe(red);
    expect((await config(`net-${blue}`)).ipam.network_name).toBe(blue);

    // The plugin's IPPools, named after network_name and range: 2 pods on red, 4 on blue, at the same addresses.
    await holds(`${red}-100.98.0.0-24`, '100.98.0.0/24', [5, 6]);
    await holds(`${blue}-100.98.0.0-24`, '100.98.0.0/24', [5, 6, 7, 8]);

    await lab.client.delete('ipam/prefixes', redPrefix.id);
    const run = await lab.cycle();
    const blocked = run.plan.changes.filter(ch => ch.action === 'blocked');
    expect(blocked.map(ch => `${ch.name}: ${ch.reason}`)).toEqual([
      expect.stringMatching(new RegExp(`^net-${red}: blocked: 2 live allocations in `)),
    ]);
    expect(blocked[0]?.allocations).toBe(2);
    expect(run.allocations.filter(a => a.pool?.name === `net-${blue}`)).toHaveLength(4);
  });
});
