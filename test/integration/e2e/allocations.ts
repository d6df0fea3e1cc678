import { RESOURCES } from '../../../src/kinds/resources.ts';
import { createObject, deleteObject, patchStatus } from './kube.ts';

/**
 * Live allocation sources written into the apiserver the way each kind's own components write them (the CNI
 * plugin, the IPAM controller, the load-balancer controller, the Cilium operator). The daemon only ever reads them.
 * Each writer returns a handle whose `remove()` frees the allocations again, as the component would once the last
 * workload is gone.
 */

export interface LiveAllocation {
  /** What was written, for failure messages. */
  what: string;
  remove(): Promise<void>;
}

const SERVICE_POOL_ANNOTATION = 'metallb.io/ip-allocated-from-pool';

/** The IPPool the Whereabouts plugin makes on first use: `spec.allocations` maps offsets to pods. */
export async function whereaboutsPool(opts: {
  namespace: string;
  /** The NAD's `range`; the pool is named after it (`10.20.0.0-24`), with no network_name in front. */
  range: string;
  pods: { offset: number; pod: string }[];
}): Promise<LiveAllocation> {
  const rt = RESOURCES.whereaboutsIpPool;
  const name = opts.range.replace(/[:/]/g, '-');
  const allocations = Object.fromEntries(
    opts.pods.map(p => [String(p.offset), { id: `container-${p.offset}`, podref: p.pod, ifname: 'net1' }]),
  );
  await createObject(rt, { name, namespace: opts.namespace }, { spec: { range: opts.range, allocations } });
  return {
    what: `whereabouts IPPool ${opts.namespace}/${name}`,
    remove: () => deleteObject(rt, name, opts.namespace),
  };
}

/** Node blocks the NV-IPAM controller records in the pool's `status.allocations` (through /status). */
export async function nvIpamNodeBlocks(opts: {
  namespace: string;
  pool: string;
  blocks: { node: string; startIP: string; endIP: string }[];
}): Promise<LiveAllocation> {
  const rt = RESOURCES.nvIpamIpPool;
  const allocations = opts.blocks.map(b => ({ nodeName: b.node, startIP: b.startIP, endIP: b.endIP }));
  await patchStatus(rt, opts.pool, opts.namespace, { allocations });
  return {
    what: `nv-ipam IPPool ${opts.namespace}/${opts.pool} status.allocations`,
    // The controller frees the blocks by writing an empty list, not by dropping the status.
    remove: () => patchStatus(rt, opts.pool, opts.namespace, { allocations: [] }),
  };
}

/** A Calico IPAMBlock (crd.projectcalico.org/v1) affine to a node, with pods at the given ordinals. */
export async function calicoBlock(opts: {
  cidr: string;
  node: string;
  pods: { ordinal: number; namespace: string; pod: string }[];
}): Promise<LiveAllocation> {
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
  await createObject(rt, { name }, { spec });
  return { what: `calico IPAMBlock ${name}`, remove: () => deleteObject(rt, name) };
}

/**
 * A Service of type LoadBalancer whose controller has handed it `ip` (status through /status, as controllers do).
 * `pool` adds MetalLB's annotation naming the pool; Cilium LB-IPAM names none.
 */
export async function loadBalancerService(opts: {
  namespace: string;
  name: string;
  ip: string;
  pool?: string;
}): Promise<LiveAllocation> {
  const rt = RESOURCES.service;
  const annotations = opts.pool === undefined ? undefined : { [SERVICE_POOL_ANNOTATION]: opts.pool };
  await createObject(
    rt,
    { name: opts.name, namespace: opts.namespace, ...(annotations ? { annotations } : {}) },
    { spec: { type: 'LoadBalancer', selector: { app: opts.name }, ports: [{ port: 80, protocol: 'TCP' }] } },
  );
  await patchStatus(rt, opts.name, opts.namespace, { loadBalancer: { ingress: [{ ip: opts.ip }] } });
  return {
    what: `Service ${opts.namespace}/${opts.name} (${opts.ip})`,
    remove: () => deleteObject(rt, opts.name, opts.namespace),
  };
}

/** A CiliumNode holding per-node CIDRs of a multi-pool IPAM pool (`spec.ipam.pools.allocated`). */
export async function ciliumNode(opts: { name: string; pool: string; cidrs: string[] }): Promise<LiveAllocation> {
  const rt = RESOURCES.ciliumNode;
  const spec = { ipam: { pools: { allocated: [{ pool: opts.pool, cidrs: opts.cidrs }] } } };
  await createObject(rt, { name: opts.name }, { spec });
  return { what: `CiliumNode ${opts.name}`, remove: () => deleteObject(rt, opts.name) };
}
