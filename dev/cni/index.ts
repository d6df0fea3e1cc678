import { kubeRequest } from '../control-plane/http.ts';
import type { KubeCredentials } from '../control-plane/http.ts';
import { resourcePath } from '../../src/k8s/client.ts';
import { RESOURCES } from '../../src/kinds/resources.ts';
import type { K8sObject, ResourceType } from '../../src/model/k8s-object.ts';
import { apiVersionOf } from '../../src/model/k8s-object.ts';

/**
 * Live allocation sources written into an apiserver the way each kind's own components write them (the CNI
 * plugin, the IPAM controller, the load-balancer controller, the Cilium operator), for the end-to-end tests and
 * the demo. The daemon only ever reads them. Each writer returns a handle whose `remove()` frees the allocations
 * again, as the component would once the last workload is gone. Requests go as the given admin, through raw HTTP
 * rather than the product's KubeClient, so a bug there cannot hide behind a check.
 */

export interface LiveAllocation {
  /** What was written, for failure messages and the demo's transcript. */
  what: string;
  remove(): Promise<void>;
}

const SERVICE_POOL_ANNOTATION = 'metallb.io/ip-allocated-from-pool';
const MERGE_PATCH = 'application/merge-patch+json';

/** Raw admin access to an apiserver: what the CNI plugins, controllers and people do. */
export class KubeAdmin {
  readonly creds: KubeCredentials;

  constructor(creds: KubeCredentials) {
    this.creds = creds;
  }

  async send(method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> {
    const res = await kubeRequest(this.creds, method, path, body, contentType);
    if (res.status < 200 || res.status > 299) {
      throw new Error(`${method} ${path} failed with ${res.status}: ${res.body.slice(0, 500)}`);
    }
    return res.body === '' ? undefined : res.json();
  }

  /** Creates an object of `rt` as an admin would (`kubectl create`); returns it as stored. */
  async create(
    rt: ResourceType,
    metadata: K8sObject['metadata'],
    content: Record<string, unknown>,
  ): Promise<K8sObject> {
    const body = { apiVersion: apiVersionOf(rt), kind: rt.kind, metadata, ...content };
    return (await this.send('POST', resourcePath(rt, metadata.namespace), body)) as K8sObject;
  }

  /** Merge-patches the status subresource, as the controller that owns the status would. */
  async patchStatus(rt: ResourceType, name: string, namespace: string | undefined, status: unknown): Promise<void> {
    await this.send('PATCH', `${resourcePath(rt, namespace, name)}/status`, { status }, MERGE_PATCH);
  }

  async delete(rt: ResourceType, name: string, namespace?: string): Promise<void> {
    const res = await kubeRequest(this.creds, 'DELETE', resourcePath(rt, namespace, name));
    if (res.status !== 200 && res.status !== 202 && res.status !== 404) {
      throw new Error(
        `DELETE ${rt.kind} ${namespace ?? ''}/${name} failed with ${res.status}: ${res.body.slice(0, 500)}`,
      );
    }
  }

  /** Objects of `rt` (in `namespace`, or everywhere), optionally by label selector. */
  async list(rt: ResourceType, opts: { namespace?: string; labelSelector?: string } = {}): Promise<K8sObject[]> {
    const query = opts.labelSelector === undefined ? '' : `?labelSelector=${encodeURIComponent(opts.labelSelector)}`;
    const res = await kubeRequest(this.creds, 'GET', `${resourcePath(rt, opts.namespace)}${query}`);
    if (res.status === 404) return [];
    if (res.status !== 200) throw new Error(`GET ${rt.plural} failed with ${res.status}: ${res.body.slice(0, 500)}`);
    return res.json<{ items: K8sObject[] }>().items;
  }

  /** Creates the namespace unless it exists (no controller ever deletes one here). */
  async ensureNamespace(name: string): Promise<void> {
    const res = await kubeRequest(this.creds, 'POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    });
    if (res.status !== 201 && res.status !== 409) {
      throw new Error(`creating namespace ${name} failed with ${res.status}: ${res.body.slice(0, 500)}`);
    }
  }
}

/** The IPPool the Whereabouts plugin makes on first use: `spec.allocations` maps offsets to pods. */
export async function whereaboutsPool(
  kube: KubeAdmin,
  opts: {
    namespace: string;
    /** The NAD's `range`; the pool is named after it (`10.20.0.0-24`), with no network_name in front. */
    range: string;
    pods: { offset: number; pod: string }[];
  },
): Promise<LiveAllocation> {
  const rt = RESOURCES.whereaboutsIpPool;
  const name = opts.range.replace(/[:/]/g, '-');
  const allocations = Object.fromEntries(
    opts.pods.map(p => [String(p.offset), { id: `container-${p.offset}`, podref: p.pod, ifname: 'net1' }]),
  );
  await kube.create(rt, { name, namespace: opts.namespace }, { spec: { range: opts.range, allocations } });
  return {
    what: `whereabouts IPPool ${opts.namespace}/${name} (${opts.pods.map(p => p.pod).join(', ')})`,
    remove: () => kube.delete(rt, name, opts.namespace),
  };
}

/** Node blocks the NV-IPAM controller records in the pool's `status.allocations` (through /status). */
export async function nvIpamNodeBlocks(
  kube: KubeAdmin,
  opts: { namespace: string; pool: string; blocks: { node: string; startIP: string; endIP: string }[] },
): Promise<LiveAllocation> {
  const rt = RESOURCES.nvIpamIpPool;
  const allocations = opts.blocks.map(b => ({ nodeName: b.node, startIP: b.startIP, endIP: b.endIP }));
  await kube.patchStatus(rt, opts.pool, opts.namespace, { allocations });
  const blocks = opts.blocks.map(b => `${b.node} ${b.startIP}-${b.endIP}`).join(', ');
  return {
    what: `nv-ipam IPPool ${opts.namespace}/${opts.pool} status.allocations (${blocks})`,
    // The controller frees the blocks by writing an empty list, not by dropping the status.
    remove: () => kube.patchStatus(rt, opts.pool, opts.namespace, { allocations: [] }),
  };
}

/** A Calico IPAMBlock (crd.projectcalico.org/v1) affine to a node, with pods at the given ordinals. */
export async function calicoBlock(
  kube: KubeAdmin,
  opts: { cidr: string; node: string; pods: { ordinal: number; namespace: string; pod: string }[] },
): Promise<LiveAllocation> {
  const rt = RESOURCES.calicoIpamBlockV1;
  const name = opts.cidr.replace(/[.:/]/g, '-');
  const size = 2 ** (32 - Number(opts.cidr.split('/')[1]));
  const allocations: (number | null)[] = Array.from({ length: size }, () => null);
  opts.pods.forEach((p, i) => (allocations[p.ordinal] = i));
  const attributes = opts.pods.map(p => ({
    handle_id: `k8s-pod-network.${p.namespace}.${p.pod}`,
    secondary: { namespace: p.namespace, pod: p.pod, node: opts.node },
  }));
  const unallocated = allocations.flatMap((a, ordinal) => (a === null ? [ordinal] : []));
  const spec = {
    cidr: opts.cidr,
    affinity: `host:${opts.node}`,
    allocations,
    unallocated,
    attributes,
    strictAffinity: false,
  };
  await kube.create(rt, { name }, { spec });
  return {
    what: `calico IPAMBlock ${name} on ${opts.node} (${opts.pods.length} ${opts.pods.length === 1 ? 'pod' : 'pods'})`,
    remove: () => kube.delete(rt, name),
  };
}

/**
 * A Service of type LoadBalancer whose controller has handed it `ip` (status through /status, as controllers do).
 * `pool` adds MetalLB's annotation naming the pool; Cilium LB-IPAM names none.
 */
export async function loadBalancerService(
  kube: KubeAdmin,
  opts: { namespace: string; name: string; ip: string; pool?: string },
): Promise<LiveAllocation> {
  const rt = RESOURCES.service;
  const annotations = opts.pool === undefined ? undefined : { [SERVICE_POOL_ANNOTATION]: opts.pool };
  await kube.create(
    rt,
    { name: opts.name, namespace: opts.namespace, ...(annotations ? { annotations } : {}) },
    { spec: { type: 'LoadBalancer', selector: { app: opts.name }, ports: [{ port: 80, protocol: 'TCP' }] } },
  );
  await kube.patchStatus(rt, opts.name, opts.namespace, { loadBalancer: { ingress: [{ ip: opts.ip }] } });
  return {
    what: `Service ${opts.namespace}/${opts.name} (${opts.ip}${opts.pool === undefined ? '' : ` from ${opts.pool}`})`,
    remove: () => kube.delete(rt, opts.name, opts.namespace),
  };
}

/** A CiliumNode holding per-node CIDRs of a multi-pool IPAM pool (`spec.ipam.pools.allocated`). */
export async function ciliumNode(
  kube: KubeAdmin,
  opts: { name: string; pool: string; cidrs: string[] },
): Promise<LiveAllocation> {
  const rt = RESOURCES.ciliumNode;
  const spec = { ipam: { pools: { allocated: [{ pool: opts.pool, cidrs: opts.cidrs }] } } };
  await kube.create(rt, { name: opts.name }, { spec });
  return {
    what: `CiliumNode ${opts.name} (${opts.pool}: ${opts.cidrs.join(', ')})`,
    remove: () => kube.delete(rt, opts.name),
  };
}
