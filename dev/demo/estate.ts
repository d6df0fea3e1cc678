import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { calicoBlock, ciliumNode, loadBalancerService, nvIpamNodeBlocks, whereaboutsPool } from '../cni/index.ts';
import type { KubeAdmin, LiveAllocation } from '../cni/index.ts';
import { RESOURCES } from '../../src/kinds/resources.ts';

/**
 * The demo's cluster "lab": its config file, the namespaces its workloads live in, the pool a Calico install
 * leaves behind, and the addresses each CNI and load-balancer controller hands out once the pools exist. The
 * NetBox side of the estate is dev/seed/demo.json.
 */

export const CLUSTER = 'lab';
export const SEED_FILE = new URL('../seed/demo.json', import.meta.url).pathname;

export interface DemoConfigInput {
  dir: string;
  netboxUrl: string;
  port: number;
}

/** The config the demo runs with: defaults, but quick schedules so one round takes seconds. */
export function writeDemoConfig(input: DemoConfigInput): string {
  const file = join(input.dir, 'config.yaml');
  const config = {
    cluster: CLUSTER,
    netbox: { url: input.netboxUrl, tokenEnv: 'NETBOX_TOKEN', timeoutMs: 60_000 },
    kinds: {
      whereabouts: { template: { type: 'macvlan', master: 'eth1', mode: 'bridge' } },
      'nv-ipam': { namespace: 'nvidia-network-operator' },
    },
    writeback: { serviceDnsName: '{name}.{namespace}.lb.lab.example' },
    schedule: {
      sync: { every: '1m' },
      writeback: { every: '1m' },
      drift: { every: '15s' },
      debounce: '1s',
      shutdownTimeout: '30s',
    },
    server: { address: '127.0.0.1', port: input.port },
  };
  writeFileSync(
    file,
    `# netbox-ippool-sync config of the demo (npm run demo); every key: config/README.md\n${stringify(config)}`,
  );
  return file;
}

const NAMESPACES = ['shop', 'legacy', 'team-a', 'team-b', 'metallb-system', 'nvidia-network-operator'];

/** What a cluster has before the daemon arrives: namespaces, and the default pool a Calico install creates. */
export async function prepareCluster(kube: KubeAdmin): Promise<string[]> {
  for (const ns of NAMESPACES) await kube.ensureNamespace(ns);
  await kube.create(
    RESOURCES.calicoIpPool,
    { name: 'default-ipv4-ippool' },
    { spec: { cidr: '192.168.0.0/16', blockSize: 26, ipipMode: 'Always', natOutgoing: true, nodeSelector: 'all()' } },
  );
  return [
    `namespaces ${NAMESPACES.join(', ')}`,
    'Calico IPPool default-ipv4-ippool 192.168.0.0/16, written by the Calico installer (not ours: left alone)',
  ];
}

/**
 * The CNIs at work once the pools exist: pods get addresses from Calico blocks, Cilium node CIDRs and Whereabouts
 * ranges, the NV-IPAM controller cuts node blocks, MetalLB and Cilium LB-IPAM give Services their IPs — each
 * written the way that component writes it (dev/cni).
 */
export async function playCnis(kube: KubeAdmin): Promise<LiveAllocation[]> {
  return [
    await calicoBlock(kube, {
      cidr: '10.20.0.64/26',
      node: 'node-a',
      pods: [
        { ordinal: 2, namespace: 'shop', pod: 'storefront-7d9f4-x2k4q' },
        { ordinal: 3, namespace: 'shop', pod: 'cart-5c6b8-pq8zt' },
      ],
    }),
    await calicoBlock(kube, {
      cidr: '10.20.1.0/26',
      node: 'node-b',
      pods: [{ ordinal: 1, namespace: 'shop', pod: 'checkout-6f7d9-m4n2b' }],
    }),
    await ciliumNode(kube, { name: 'node-c', pool: 'lab-cilium-pods', cidrs: ['10.40.0.0/24'] }),
    await ciliumNode(kube, { name: 'node-d', pool: 'lab-cilium-pods', cidrs: ['10.40.1.0/24'] }),
    await whereaboutsPool(kube, {
      namespace: 'kube-system',
      range: '10.20.16.0/24',
      pods: [
        { offset: 20, pod: 'team-a/trainer-0' },
        { offset: 21, pod: 'team-a/trainer-1' },
      ],
    }),
    await whereaboutsPool(kube, {
      namespace: 'kube-system',
      range: '10.20.17.0/24',
      pods: [{ offset: 100, pod: 'team-b/postgres-0' }],
    }),
    await nvIpamNodeBlocks(kube, {
      namespace: 'nvidia-network-operator',
      pool: 'lab-rdma',
      blocks: [
        { node: 'node-a', startIP: '10.30.0.1', endIP: '10.30.0.64' },
        { node: 'node-b', startIP: '10.30.0.65', endIP: '10.30.0.128' },
      ],
    }),
    await loadBalancerService(kube, { namespace: 'shop', name: 'storefront', ip: '192.0.2.10', pool: 'lab-lb' }),
    await loadBalancerService(kube, { namespace: 'legacy', name: 'reports', ip: '203.0.113.12', pool: 'lab-lb-old' }),
    await loadBalancerService(kube, { namespace: 'shop', name: 'checkout', ip: '198.51.100.10' }),
  ];
}
