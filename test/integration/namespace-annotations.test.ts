import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMESPACE_TYPE } from '../../src/k8s/observe.ts';
import { prefixBody, startLab } from '../support/e2e.ts';
import type { Lab } from '../support/e2e.ts';
import { ensureNamespace, getStored } from './e2e/kube.ts';

/**
 * Namespace annotations from k8s_namespaces. A change to one annotation of a namespace must leave the
 * other annotations we set (and others' values) as they are.
 */
describe('namespace annotations survive a change to another annotation', () => {
  let lab: Lab;
  let ns: string;
  beforeAll(async () => {
    lab = await startLab();
    ns = `rv-ns-${lab.cluster}`;
    await ensureNamespace(ns);
  });
  afterAll(async () => lab.close());

  const annotations = async (): Promise<Record<string, string>> =>
    (await getStored(NAMESPACE_TYPE, ns))?.metadata.annotations ?? {};

  it('adding an IPv6 pool to a namespace keeps its ipv4pools annotation', async () => {
    const v4 = `v4-${lab.cluster}`;
    const v6 = `v6-${lab.cluster}`;
    await lab.client.create(
      'ipam/prefixes',
      prefixBody(lab, '100.93.0.0/24', 'k8s-pod', { k8s_pool_name: v4, k8s_namespaces: ns }),
    );
    const first = await lab.cycle();
    expect(first.actions).toContain(`annotate Namespace ${ns}`);
    expect(JSON.parse((await annotations())['cni.projectcalico.org/ipv4pools'] ?? '[]')).toEqual([v4]);

    await lab.client.create(
      'ipam/prefixes',
      prefixBody(lab, 'fd00:93::/64', 'k8s-pod', { k8s_pool_name: v6, k8s_namespaces: ns }),
    );
    const second = await lab.cycle();
    expect(second.actions).toContain(`annotate Namespace ${ns}`);
    const after = await annotations();
    expect(JSON.parse(after['cni.projectcalico.org/ipv6pools'] ?? '[]')).toEqual([v6]);
    expect(JSON.parse(after['cni.projectcalico.org/ipv4pools'] ?? '[]')).toEqual([v4]);

    const third = await lab.cycle();
    expect(third.actions.filter(a => a.startsWith('annotate'))).toEqual([]);
    expect(third.writes).toBe(0);
  });
});
