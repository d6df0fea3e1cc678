import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCrds, kubeRequest, startControlPlane } from '../../dev/control-plane/index.ts';
import type { ControlPlane } from '../../dev/control-plane/index.ts';
import { loadCrds } from '../../dev/crds/index.ts';
import { prefixBody, rangeBody, startLab } from '../support/e2e.ts';
import type { Lab } from '../support/e2e.ts';

/**
 * A cluster that runs only some of the IPAM systems: its own control plane with just MetalLB's CRDs. A kind whose
 * CRDs are not served is reported as not installed and skipped; it never stops the kinds that are there.
 */
describe('a cluster with only MetalLB installed', () => {
  let cp: ControlPlane;
  let lab: Lab;
  let kubeconfigYaml: string;

  beforeAll(async () => {
    cp = await startControlPlane({ installCrds: false });
    await installCrds(
      cp.admin,
      loadCrds().filter(c => c.spec.group === 'metallb.io'),
    );
    const ns = await kubeRequest(cp.admin, 'POST', '/api/v1/namespaces', { metadata: { name: 'metallb-system' } });
    expect(ns.status).toBe(201);
    kubeconfigYaml = readFileSync(cp.kubeconfigPath, 'utf8');
    lab = await startLab({ roles: { 'k8s-pod': 'calico', 'k8s-loadbalancer': 'metallb' } });
    await lab.client.create('ipam/prefixes', prefixBody(lab, '10.91.0.0/24', 'k8s-pod', { k8s_pool_name: 'pods' }));
    await lab.client.create(
      'ipam/ip-ranges',
      rangeBody(lab, '192.0.2.100/24', '192.0.2.120/24', 'k8s-loadbalancer', { k8s_pool_name: 'lb' }),
    );
  }, 120_000);
  afterAll(async () => {
    await lab.close();
    await cp.stop();
  });

  it('syncs MetalLB and reports Calico as not installed', async () => {
    const run = await lab.cycle({ kubeconfigYaml });
    const calico = run.kinds.find(k => k.kind === 'calico');
    expect(calico?.installed).toBe(false);
    expect(calico?.note).toMatch(/projectcalico\.org\/v3 ippools is not served/);
    expect(run.kinds.find(k => k.kind === 'metallb')?.installed).toBe(true);
    expect(run.issues.map(i => `${i.severity} ${i.reason}`)).toContain(
      'warning calico is not installed in this cluster; the pool is not published',
    );
    expect(run.actions.filter(a => a.startsWith('create'))).toEqual([
      'create L2Advertisement lb',
      'create IPAddressPool lb',
    ]);
    expect(run.apply?.results.map(r => r.outcome)).toEqual(['applied', 'applied']);
    const second = await lab.cycle({ kubeconfigYaml });
    expect(second.writes).toBe(0);
  });
});
