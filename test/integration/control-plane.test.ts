import {
  ApiException,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { loadCrds, servedGroupVersions } from '../../dev/crds/index.ts';
import { kubeRequest } from '../../dev/control-plane/index.ts';
import type { KubeCredentials } from '../../dev/control-plane/index.ts';

/**
 * Proves the integration environment is a real kube-apiserver serving our CRDs: schema validation rejects bad
 * pools (422), CEL immutability rules hold, server-side apply tracks field managers (409 on conflict), and
 * optimistic concurrency rejects stale writes (409).
 */

const suffix = randomBytes(3).toString('hex');
let kc: KubeConfig;
let custom: CustomObjectsApi;
let objects: KubernetesObjectApi;
let admin: KubeCredentials;

beforeAll(() => {
  kc = new KubeConfig();
  kc.loadFromFile(inject('kubeconfigPath'));
  custom = kc.makeApiClient(CustomObjectsApi);
  objects = KubernetesObjectApi.makeApiClient(kc);
  admin = {
    server: inject('kubeServer'),
    ca: inject('kubeCa'),
    cert: inject('kubeAdminCert'),
    key: inject('kubeAdminKey'),
  };
});

async function statusOf(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
    return { code: 200, message: '' };
  } catch (err) {
    if (err instanceof ApiException) {
      const body = typeof err.body === 'string' ? (JSON.parse(err.body) as { message?: string }) : {};
      return { code: err.code, message: body.message ?? '' };
    }
    throw err;
  }
}

function calicoPool(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name }, spec };
}

describe('the control plane', () => {
  it('is a real kube-apiserver of the version we built', async () => {
    const res = await kubeRequest(admin, 'GET', '/version');
    expect(res.status).toBe(200);
    expect(res.json<{ gitVersion: string }>().gitVersion).toBe(inject('kubeVersions').kubernetes);
  });

  it('serves every CRD of dev/crds in discovery', async () => {
    const expected = servedGroupVersions(loadCrds());
    expect(expected.map(gv => `${gv.group}/${gv.version}`)).toEqual([
      'cilium.io/v2',
      'cilium.io/v2alpha1',
      'crd.projectcalico.org/v1',
      'k8s.cni.cncf.io/v1',
      'metallb.io/v1beta1',
      'nv-ipam.nvidia.com/v1alpha1',
      'projectcalico.org/v3',
      'whereabouts.cni.cncf.io/v1alpha1',
    ]);
    for (const gv of expected) {
      const res = await kubeRequest(admin, 'GET', `/apis/${gv.group}/${gv.version}`);
      expect(res.status, `${gv.group}/${gv.version}`).toBe(200);
      const served = res.json<{ resources: { name: string }[] }>().resources.map(r => r.name);
      expect(served).toEqual(expect.arrayContaining(gv.plurals));
    }
  });
});

describe('schema validation (422)', () => {
  it.each([
    ['Calico blockSize out of range', calicoPool(`bad-bs-${suffix}`, { cidr: '10.20.0.0/16', blockSize: 40 })],
    [
      'Calico IPIP together with VXLAN',
      calicoPool(`bad-encap-${suffix}`, { cidr: '10.21.0.0/16', ipipMode: 'Always', vxlanMode: 'Always' }),
    ],
    ['Calico unknown ipipMode', calicoPool(`bad-mode-${suffix}`, { cidr: '10.22.0.0/16', ipipMode: 'Sometimes' })],
    ['Calico IPIP on an IPv6 pool', calicoPool(`bad-v6-${suffix}`, { cidr: 'fd00:10::/64', ipipMode: 'Always' })],
  ])('rejects %s', async (_what, body) => {
    const res = await statusOf(
      custom.createClusterCustomObject({ group: 'projectcalico.org', version: 'v3', plural: 'ippools', body }),
    );
    expect(res.code).toBe(422);
  });

  it('rejects a MetalLB IPAddressPool without addresses', async () => {
    const res = await statusOf(
      custom.createNamespacedCustomObject({
        group: 'metallb.io',
        version: 'v1beta1',
        namespace: 'default',
        plural: 'ipaddresspools',
        body: {
          apiVersion: 'metallb.io/v1beta1',
          kind: 'IPAddressPool',
          metadata: { name: `no-addr-${suffix}` },
          spec: {},
        },
      }),
    );
    expect(res.code).toBe(422);
    expect(res.message).toMatch(/addresses/);
  });

  it('rejects a change of an immutable Calico cidr (CEL rule)', async () => {
    const name = `immutable-${suffix}`;
    await custom.createClusterCustomObject({
      group: 'projectcalico.org',
      version: 'v3',
      plural: 'ippools',
      body: calicoPool(name, { cidr: '10.30.0.0/16', blockSize: 26 }),
    });
    const res = await kubeRequest(
      admin,
      'PATCH',
      `/apis/projectcalico.org/v3/ippools/${name}`,
      { spec: { cidr: '10.31.0.0/16' } },
      'application/merge-patch+json',
    );
    expect(res.status).toBe(422);
    expect(res.body).toMatch(/immutable|cidr/i);
  });
});

describe('server-side apply and concurrency (409)', () => {
  const pool = (autoAssign: boolean): Record<string, unknown> => ({
    apiVersion: 'metallb.io/v1beta1',
    kind: 'IPAddressPool',
    metadata: { name: `ssa-${suffix}`, namespace: 'default' },
    spec: { addresses: ['192.0.2.0/28'], autoAssign },
  });

  it('conflicts when a second field manager applies a field the first one owns', async () => {
    await objects.patch(
      pool(false) as never,
      undefined,
      undefined,
      'netbox-ippool-sync',
      true,
      PatchStrategy.ServerSideApply,
    );
    const res = await statusOf(
      objects.patch(pool(true) as never, undefined, undefined, 'someone-else', false, PatchStrategy.ServerSideApply),
    );
    expect(res.code).toBe(409);
    expect(res.message).toMatch(/conflict/i);
  });

  it('rejects an update carrying a stale resourceVersion', async () => {
    const path = `/apis/metallb.io/v1beta1/namespaces/default/ipaddresspools/ssa-${suffix}`;
    const current = (await kubeRequest(admin, 'GET', path)).json<{ metadata: { resourceVersion: string } }>();
    const stale = {
      ...pool(false),
      metadata: { name: `ssa-${suffix}`, namespace: 'default', resourceVersion: current.metadata.resourceVersion },
    };
    const first = await kubeRequest(admin, 'PUT', path, { ...stale, spec: { addresses: ['192.0.2.0/27'] } });
    expect(first.status).toBe(200);
    const second = await kubeRequest(admin, 'PUT', path, stale);
    expect(second.status).toBe(409);
  });
});
