import { liveCluster } from '../../src/k8s/cluster.ts';
import { inject } from 'vitest';
import { kubeRequest } from '../../dev/control-plane/index.ts';
import type { KubeCredentials, KubeResponse } from '../../dev/control-plane/index.ts';
import { KubeClient } from '../../src/k8s/client.ts';
import type { ApplyOptions, DeleteOptions, KubeClientOptions, ListOptions } from '../../src/k8s/client.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import { RESOURCES } from '../../src/kinds/resources.ts';
import type { K8sObject, ResourceType } from '../../src/model/k8s-object.ts';
import { CLUSTER_LABEL } from '../../src/model/ownership.ts';
import type { NetBoxReader } from '../../src/model/netbox.ts';
import { runCycle } from '../../src/cycle.ts';
import type { CycleOptions, CycleResult } from '../../src/cycle.ts';
import { prefixBody, rangeBody } from '../support/e2e.ts';
import type { Lab } from '../support/e2e.ts';

/**
 * Shared by rbac.test.ts and safety.test.ts: raw admin access to the integration apiserver, a KubeClient that
 * records which resource and verb every request used, and a NetBox seed with a pool of every kind.
 */

export function adminCreds(): KubeCredentials {
  return {
    server: inject('kubeServer'),
    ca: inject('kubeCa'),
    cert: inject('kubeAdminCert'),
    key: inject('kubeAdminKey'),
  };
}

/** An admin request that must answer one of `ok` (default 2xx); otherwise throws with the apiserver's answer. */
export async function admin(
  method: string,
  path: string,
  body?: unknown,
  opts: { contentType?: string; ok?: number[] } = {},
): Promise<KubeResponse> {
  const res = await kubeRequest(adminCreds(), method, path, body, opts.contentType);
  const fine = opts.ok ? opts.ok.includes(res.status) : res.status >= 200 && res.status < 300;
  if (!fine) throw new Error(`admin ${method} ${path} answered ${res.status}: ${res.body.slice(0, 400)}`);
  return res;
}

/** Server-side apply as the test (field manager `nbsync-test`), forcing conflicts. */
export async function adminApply(path: string, obj: unknown): Promise<KubeResponse> {
  return admin('PATCH', `${path}?fieldManager=nbsync-test&force=true`, obj, {
    contentType: 'application/apply-patch+yaml',
  });
}

/** Creates a namespace; one left over from an earlier file in the same apiserver is fine. */
export async function ensureNamespace(name: string): Promise<void> {
  await admin(
    'POST',
    '/api/v1/namespaces',
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    {
      ok: [201, 409],
    },
  );
}

export function typePath(rt: ResourceType, namespace?: string, name?: string): string {
  const base = rt.group === '' ? `/api/${rt.version}` : `/apis/${rt.group}/${rt.version}`;
  const ns = rt.namespaced && namespace ? `/namespaces/${namespace}` : '';
  return `${base}${ns}/${rt.plural}${name ? `/${name}` : ''}`;
}

/** Every type a pool kind writes, once. */
export const OWNED_TYPES: readonly ResourceType[] = [
  ...new Map(ADAPTERS.flatMap(a => a.owns).map(rt => [`${rt.group}/${rt.plural}`, rt])).values(),
];

/** `Kind namespace/name` → resourceVersion of everything labelled for `cluster`, read as admin. */
export async function storedObjects(cluster: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const rt of OWNED_TYPES) {
    const res = await admin(
      'GET',
      `${typePath(rt)}?labelSelector=${encodeURIComponent(`${CLUSTER_LABEL}=${cluster}`)}`,
    );
    for (const item of res.json<{ items: K8sObject[] }>().items) {
      const ns = item.metadata.namespace ? `${item.metadata.namespace}/` : '';
      out.set(`${rt.kind} ${ns}${item.metadata.name}`, item.metadata.resourceVersion ?? '');
    }
  }
  return out;
}

/** One object as admin, or null when absent. */
export async function adminGet(rt: ResourceType, name: string, namespace?: string): Promise<K8sObject | null> {
  const res = await admin('GET', typePath(rt, namespace, name), undefined, { ok: [200, 404] });
  return res.status === 404 ? null : res.json<K8sObject>();
}

/** A kubeconfig that authenticates with a bearer token (the shape dev/control-plane writes). */
export function tokenKubeconfig(token: string, server = inject('kubeServer')): string {
  const ca = Buffer.from(inject('kubeCa')).toString('base64');
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'nbsync-test', cluster: { server, 'certificate-authority-data': ca } }],
    users: [{ name: 'nbsync-sa', user: { token } }],
    contexts: [{ name: 'nbsync-sa', context: { cluster: 'nbsync-test', user: 'nbsync-sa' } }],
    'current-context': 'nbsync-sa',
  });
}

/** The admin's client certificate in a kubeconfig for `server` (e.g. a proxy in front of the apiserver). */
export function adminKubeconfig(server: string): string {
  const b64 = (text: string): string => Buffer.from(text).toString('base64');
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'nbsync-test', cluster: { server, 'certificate-authority-data': b64(inject('kubeCa')) } }],
    users: [
      {
        name: 'admin',
        user: {
          'client-certificate-data': b64(inject('kubeAdminCert')),
          'client-key-data': b64(inject('kubeAdminKey')),
        },
      },
    ],
    contexts: [{ name: 'admin', context: { cluster: 'nbsync-test', user: 'admin' } }],
    'current-context': 'admin',
  });
}

/** One request as the RBAC authorizer sees it. */
export interface RecordedCall {
  group: string;
  resource: string;
  verb: 'get' | 'list' | 'watch' | 'create' | 'patch' | 'delete';
  namespace?: string;
  name?: string;
  dryRun: boolean;
}

/** A KubeClient that remembers the resource and RBAC verb of every request it sends (discovery is unauthorised). */
export class RecordingKubeClient extends KubeClient {
  readonly calls: RecordedCall[] = [];

  constructor(opts: KubeClientOptions) {
    super(opts);
  }

  #record(rt: ResourceType, verb: RecordedCall['verb'], extra: Partial<RecordedCall> = {}): void {
    this.calls.push({ group: rt.group, resource: rt.plural, verb, dryRun: false, ...extra });
  }

  override async get(rt: ResourceType, name: string, namespace?: string): Promise<K8sObject | null> {
    this.#record(rt, 'get', { name, namespace });
    return super.get(rt, name, namespace);
  }

  override async list(rt: ResourceType, opts: ListOptions = {}): Promise<K8sObject[]> {
    this.#record(rt, 'list', { namespace: opts.namespace });
    return super.list(rt, opts);
  }

  override async watch(...args: Parameters<KubeClient['watch']>): Promise<string> {
    this.#record(args[0], 'watch');
    return super.watch(...args);
  }

  override async apply(rt: ResourceType, obj: K8sObject, opts: ApplyOptions = {}): Promise<K8sObject> {
    const { name, namespace } = obj.metadata;
    this.#record(rt, 'patch', { name, namespace, dryRun: opts.serverDryRun === true });
    return super.apply(rt, obj, opts);
  }

  override async create(rt: ResourceType, obj: K8sObject, opts: ApplyOptions = {}): Promise<K8sObject> {
    const { name, namespace } = obj.metadata;
    this.#record(rt, 'create', { name, namespace, dryRun: opts.serverDryRun === true });
    return super.create(rt, obj, opts);
  }

  override async mergePatch(...args: Parameters<KubeClient['mergePatch']>): Promise<K8sObject> {
    const [rt, name, namespace, , opts] = args;
    this.#record(rt, 'patch', { name, namespace, dryRun: opts?.serverDryRun === true });
    return super.mergePatch(...args);
  }

  override async delete(
    rt: ResourceType,
    name: string,
    namespace: string | undefined,
    opts: DeleteOptions = {},
  ): Promise<'deleted' | 'absent'> {
    this.#record(rt, 'delete', { name, namespace, dryRun: opts.serverDryRun === true });
    return super.delete(rt, name, namespace, opts);
  }
}

export interface RecordedRun extends CycleResult {
  writes: number;
  actions: string[];
}

/** One cycle through the real pipeline with the given client (which the caller closes). */
export async function cycleWith(
  lab: Lab,
  kube: KubeClient,
  opts: Partial<CycleOptions> = {},
  netbox: NetBoxReader = lab.client,
): Promise<RecordedRun> {
  const before = kube.writeCount();
  const result = await runCycle(
    { config: lab.config, netbox, adapters: ADAPTERS, ...liveCluster(kube) },
    { apply: true, ...opts },
  );
  const actions = result.plan.changes.map(c => `${c.action} ${c.kind ?? '-'} ${c.name}`);
  return { ...result, writes: kube.writeCount() - before, actions };
}

/** Failed or otherwise not applied results, as readable lines (empty when every change went through). */
export function notApplied(run: CycleResult): string[] {
  return (run.apply?.results ?? [])
    .filter(r => r.outcome !== 'applied')
    .map(r => `${r.outcome} ${r.change.action} ${r.change.kind ?? '-'} ${r.change.name}: ${r.message ?? ''}`);
}

export interface SixKinds {
  /** NetBox ids of every seeded prefix and range, keyed by pool. */
  netbox: Record<PoolName, { endpoint: 'ipam/prefixes' | 'ipam/ip-ranges'; id: number }>;
  names: Record<PoolName, string>;
  /** `action Kind name` lines the first cycle must plan. */
  creates: string[];
}

type PoolName = 'calico' | 'whereabouts' | 'nvIpam' | 'metallbL2' | 'metallbBgp' | 'ciliumLb' | 'ciliumPod';

/**
 * A pool of every kind under `base` (e.g. `100.71`, only ever data): Calico with a NetBox-held address (so an
 * IPReservation) and `k8s_namespaces` (so a namespace annotation), Whereabouts and NV-IPAM in `namespace`, MetalLB
 * twice (L2 and BGP advertisement), Cilium LB and Cilium pod pools (with `k8s_namespaces` too).
 */
export async function seedSixKinds(lab: Lab, base: string, namespace: string, assigned: string): Promise<SixKinds> {
  const c = lab.cluster;
  const names: Record<PoolName, string> = {
    calico: `pods-${c}`,
    whereabouts: `sec-${c}`,
    nvIpam: `rdma-${c}`,
    metallbL2: `lb-${c}`,
    metallbBgp: `bgp-${c}`,
    ciliumLb: `clb-${c}`,
    ciliumPod: `cpod-${c}`,
  };
  const prefix = async (name: PoolName, cidr: string, role: string, cf: Record<string, unknown>) => {
    const body = prefixBody(lab, cidr, role, { k8s_pool_name: names[name], ...cf });
    const created = await lab.client.create<{ id: number }>('ipam/prefixes', body);
    return { endpoint: 'ipam/prefixes' as const, id: created.id };
  };
  const netbox = {
    calico: await prefix('calico', `${base}.0.0/24`, 'k8s-pod', { k8s_namespaces: assigned }),
    whereabouts: await prefix('whereabouts', `${base}.1.0/24`, 'k8s-secondary', {
      k8s_namespace: namespace,
      k8s_gateway: `${base}.1.1`,
    }),
    nvIpam: await prefix('nvIpam', `${base}.2.0/24`, 'k8s-rdma', { k8s_namespace: namespace }),
    metallbL2: {
      endpoint: 'ipam/ip-ranges' as const,
      id: (
        await lab.client.create<{ id: number }>(
          'ipam/ip-ranges',
          rangeBody(lab, `${base}.3.10/24`, `${base}.3.20/24`, 'k8s-loadbalancer', { k8s_pool_name: names.metallbL2 }),
        )
      ).id,
    },
    metallbBgp: await prefix('metallbBgp', `${base}.3.32/28`, 'k8s-loadbalancer', {
      k8s_options: { advertisement: 'bgp' },
    }),
    ciliumLb: await prefix('ciliumLb', `${base}.4.0/28`, 'k8s-loadbalancer', { k8s_pool_kind: 'cilium-lb' }),
    ciliumPod: await prefix('ciliumPod', `${base}.8.0/22`, 'k8s-pod', {
      k8s_pool_kind: 'cilium-pod',
      k8s_namespaces: assigned,
    }),
  };
  // An address NetBox already holds inside the Calico prefix: Calico must never hand it out.
  await lab.client.create('ipam/ip-addresses', {
    address: `${base}.0.10/24`,
    status: 'active',
    description: 'static server',
  });
  const creates = [
    `create CiliumPodIPPool ${names.ciliumPod}`,
    `create CiliumLoadBalancerIPPool ${names.ciliumLb}`,
    `create NetworkAttachmentDefinition ${names.whereabouts}`,
    `create BGPAdvertisement ${names.metallbBgp}`,
    `create IPAddressPool ${names.metallbBgp}`,
    `create IPAddressPool ${names.metallbL2}`,
    `create L2Advertisement ${names.metallbL2}`,
    `create IPPool ${names.nvIpam}`,
    `create IPPool ${names.calico}`,
    `create IPReservation ${names.calico}`,
    `annotate Namespace ${assigned}`,
  ];
  return { netbox, names, creates };
}

export const POOL_TYPES: Record<PoolName, ResourceType> = {
  calico: RESOURCES.calicoIpPool,
  whereabouts: RESOURCES.networkAttachmentDefinition,
  nvIpam: RESOURCES.nvIpamIpPool,
  metallbL2: RESOURCES.metallbIpAddressPool,
  metallbBgp: RESOURCES.metallbIpAddressPool,
  ciliumLb: RESOURCES.ciliumLbPool,
  ciliumPod: RESOURCES.ciliumPodPool,
};
