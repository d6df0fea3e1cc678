import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../../src/k8s/client.ts';
import { KubeApiError } from '../../src/k8s/errors.ts';
import type { K8sObject, ResourceType } from '../../src/model/k8s-object.ts';
import { kubeRequest } from '../../dev/control-plane/index.ts';

const LBPOOL: ResourceType = {
  group: 'cilium.io',
  version: 'v2',
  kind: 'CiliumLoadBalancerIPPool',
  plural: 'ciliumloadbalancerippools',
  namespaced: false,
};
const NAMESPACE: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  namespaced: false,
};
const run = randomBytes(3).toString('hex');

function lbPool(i: number, disabled = false): K8sObject {
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumLoadBalancerIPPool',
    metadata: { name: `kc-${run}-${i}`, labels: { 'test-run': run } },
    spec: { blocks: [{ cidr: `198.51.100.${i * 8}/29` }], disabled },
  };
}

describe('KubeClient against the real apiserver', () => {
  let kube: KubeClient;
  beforeAll(() => {
    kube = new KubeClient({ kubeconfig: inject('kubeconfigPath'), pageSize: 3 });
  });
  afterAll(() => kube.close());

  it('creates with server-side apply and lists every page', async () => {
    for (let i = 0; i < 7; i++) await kube.apply(LBPOOL, lbPool(i));
    const before = kube.requestCounts()['list'] ?? 0;
    const all = await kube.list(LBPOOL, { labelSelector: `test-run=${run}` });
    expect(all.map(o => o.metadata.name).sort()).toEqual([0, 1, 2, 3, 4, 5, 6].map(i => `kc-${run}-${i}`));
    expect(all.every(o => o.apiVersion === 'cilium.io/v2' && o.kind === 'CiliumLoadBalancerIPPool')).toBe(true);
    expect((kube.requestCounts()['list'] ?? 0) - before).toBe(3); // 3 + 3 + 1 with limit=3
  });

  it('records the field manager and stores nothing on a server dry-run', async () => {
    const dry = await kube.apply(LBPOOL, lbPool(0, true), { serverDryRun: true });
    expect((dry.spec as { disabled: boolean }).disabled).toBe(true);
    const stored = await kube.get(LBPOOL, `kc-${run}-0`);
    expect((stored?.spec as { disabled: boolean }).disabled).toBe(false);
    const managers = (stored?.metadata.managedFields as { manager: string; operation: string }[]).map(
      m => `${m.manager}:${m.operation}`,
    );
    expect(managers).toContain('netbox-ippool-sync:Apply');
  });

  it('reports a missing API group as absent, not as an error', async () => {
    expect(await kube.discover('no-such.example.com', 'v1')).toBeNull();
    expect(await kube.discover('cilium.io', 'v2')).toContain('ciliumloadbalancerippools');
  });

  it('refuses a delete whose precondition no longer holds, and deletes otherwise', async () => {
    const obj = await kube.get(LBPOOL, `kc-${run}-1`);
    await kube.apply(LBPOOL, lbPool(1, true));
    const stale = kube.delete(LBPOOL, `kc-${run}-1`, undefined, {
      preconditions: { resourceVersion: obj?.metadata.resourceVersion },
    });
    await expect(stale).rejects.toSatisfy(err => err instanceof KubeApiError && err.isConflict);
    expect(await kube.delete(LBPOOL, `kc-${run}-1`, undefined)).toBe('deleted');
    expect(await kube.delete(LBPOOL, `kc-${run}-1`, undefined)).toBe('absent');
  });

  it.each([
    [
      'an enum violation (422)',
      { blocks: [{ cidr: '198.51.100.72/29' }], allowFirstLastIPs: 'Maybe' },
      422,
      /allowFirstLastIPs/,
    ],
    // SSA answers 500 for a type mismatch; it is still the object's fault, not an outage.
    ['a type mismatch in an apply patch (500)', { blocks: 'not-a-list' }, 500, /spec\.blocks: expected list/],
  ])('reports %s against the object, with the field', async (_what, spec, status, field) => {
    const err = await kube.apply(LBPOOL, { ...lbPool(9), spec }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(status);
    expect((err as KubeApiError).reason).toBe('Invalid');
    expect((err as Error).message).toContain(`apply ciliumloadbalancerippools.cilium.io kc-${run}-9 failed`);
    expect((err as Error).message).toMatch(field);
  });
});

describe('KubeClient in-cluster configuration', () => {
  it('authenticates with a mounted ServiceAccount token, as the daemon does in a pod', async () => {
    const admin = {
      server: inject('kubeServer'),
      ca: inject('kubeCa'),
      cert: inject('kubeAdminCert'),
      key: inject('kubeAdminKey'),
    };
    await kubeRequest(admin, 'POST', '/api/v1/namespaces/default/serviceaccounts', {
      metadata: { name: `incluster-${run}` },
    });
    const token = (
      await kubeRequest(admin, 'POST', `/api/v1/namespaces/default/serviceaccounts/incluster-${run}/token`, {
        spec: { expirationSeconds: 600 },
      })
    ).json<{ status: { token: string } }>().status.token;
    const root = mkdtempSync(join(tmpdir(), 'nbsync-incluster-'));
    const saDir = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(saDir, { recursive: true });
    writeFileSync(join(saDir, 'token'), token);
    writeFileSync(join(saDir, 'ca.crt'), inject('kubeCa'));
    writeFileSync(join(saDir, 'namespace'), 'default');
    const url = new URL(inject('kubeServer'));
    const saved = { host: process.env['KUBERNETES_SERVICE_HOST'], port: process.env['KUBERNETES_SERVICE_PORT'] };
    process.env['KUBERNETES_SERVICE_HOST'] = url.hostname;
    process.env['KUBERNETES_SERVICE_PORT'] = url.port;
    try {
      const kube = new KubeClient({ inClusterRoot: root });
      // No RBAC grants this ServiceAccount anything: authenticated (403, not 401) is the proof.
      const err = await kube.list(NAMESPACE).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeApiError);
      expect((err as KubeApiError).status).toBe(403);
      expect((err as Error).message).toContain(`system:serviceaccount:default:incluster-${run}`);
      kube.close();
    } finally {
      process.env['KUBERNETES_SERVICE_HOST'] = saved.host;
      process.env['KUBERNETES_SERVICE_PORT'] = saved.port;
      if (saved.host === undefined) delete process.env['KUBERNETES_SERVICE_HOST'];
      if (saved.port === undefined) delete process.env['KUBERNETES_SERVICE_PORT'];
      rmSync(root, { recursive: true, force: true });
    }
  });
});
