import { describe, expect, it } from 'vitest';
import { parseConfig, validateKindDefaults } from '../config/config.ts';
import type { Config } from '../config/config.ts';
import { ADAPTERS } from '../kinds/registry.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import type { NbPrefix } from '../model/netbox.ts';
import { adoptPool, adoptionCandidates } from './adopt.ts';
import type { AdoptContext, Neighbourhood } from './types.ts';

/** Adoption proposals per kind: the NetBox side of hand-written pools, proven by the real mapping and render. */

function config(): Config {
  const parsed = parseConfig(
    {
      cluster: 'lab',
      netbox: { url: 'http://127.0.0.1:1', tokenEnv: 'UNUSED' },
      selection: {
        roles: {
          'k8s-pod': 'calico',
          'k8s-secondary': 'whereabouts',
          'k8s-rdma': 'nv-ipam',
          'k8s-loadbalancer': 'metallb',
        },
      },
    },
    {},
  );
  if (!parsed.ok) throw new Error('test config invalid');
  return parsed.config;
}

const CONFIG = config();
const EMPTY: Neighbourhood = { prefixes: [], ipRanges: [], ipAddresses: [] };

function ctx(objects: K8sObject[], netbox: Neighbourhood = EMPTY): AdoptContext {
  const observed = new Map<string, K8sObject[]>();
  for (const o of objects)
    observed.set(`${o.apiVersion}/${o.kind}`, [...(observed.get(`${o.apiVersion}/${o.kind}`) ?? []), o]);
  return { config: CONFIG, defaults: validateKindDefaults(CONFIG, ADAPTERS).defaults, observed, netbox };
}

function obj(apiVersion: string, kind: string, name: string, namespace: string | undefined, spec: unknown): K8sObject {
  return { apiVersion, kind, metadata: { name, ...(namespace === undefined ? {} : { namespace }) }, spec };
}

const nad = (name: string, ipam: Record<string, unknown>) =>
  obj('k8s.cni.cncf.io/v1', 'NetworkAttachmentDefinition', name, 'default', {
    config: JSON.stringify({ cniVersion: '1.0.0', name, type: 'macvlan', master: 'eth1', mode: 'bridge', ipam }),
  });
const nvPool = (name: string, spec: unknown) => obj('nv-ipam.nvidia.com/v1alpha1', 'IPPool', name, 'kube-system', spec);
const calicoPool = (name: string, spec: unknown) => obj('projectcalico.org/v3', 'IPPool', name, undefined, spec);
const reservation = (name: string, cidrs: string[]) =>
  obj('projectcalico.org/v3', 'IPReservation', name, undefined, { reservedCIDRs: cidrs });
const metallbPool = (name: string, addresses: string[]) =>
  obj('metallb.io/v1beta1', 'IPAddressPool', name, 'metallb-system', { addresses });
const ciliumLb = (name: string, spec: unknown) =>
  obj('cilium.io/v2', 'CiliumLoadBalancerIPPool', name, undefined, spec);
const ciliumPod = (name: string, spec: unknown) => obj('cilium.io/v2alpha1', 'CiliumPodIPPool', name, undefined, spec);

/** The seed guide's shapes and a few more: adoptable, with the NetBox side each needs. */
const ADOPTABLE: [string, K8sObject[], { spaces: string[]; held: string[]; fields: Record<string, unknown> }][] = [
  [
    'Whereabouts NAD with excludes and a gateway',
    [
      nad('macvlan-a', {
        type: 'whereabouts',
        range: '192.168.10.0/24',
        exclude: ['192.168.10.0/30', '192.168.10.255/32'],
        gateway: '192.168.10.1',
      }),
    ],
    {
      spaces: ['prefix 192.168.10.0/24'],
      held: ['ip-range 192.168.10.1/24-192.168.10.3/24'],
      fields: {
        k8s_pool_name: 'macvlan-a',
        k8s_namespace: 'default',
        k8s_gateway: '192.168.10.1',
        k8s_options: { template: { master: 'eth1', mode: 'bridge', type: 'macvlan' } },
      },
    },
  ],
  [
    'Whereabouts NAD with range_start/range_end',
    [
      nad('macvlan-b', {
        type: 'whereabouts',
        range: '192.168.20.0/24',
        range_start: '192.168.20.100',
        range_end: '192.168.20.199',
        exclude: ['192.168.20.128/32'],
      }),
    ],
    {
      spaces: ['ip-range 192.168.20.100/24-192.168.20.199/24'],
      held: ['ip-address 192.168.20.128/24'],
      fields: {
        k8s_pool_name: 'macvlan-b',
        k8s_namespace: 'default',
        k8s_options: { template: { master: 'eth1', mode: 'bridge', type: 'macvlan' } },
      },
    },
  ],
  [
    'NV-IPAM pool with a node selector and its gateway excluded',
    [
      nvPool('rdma-a', {
        subnet: '10.30.0.0/24',
        perNodeBlockSize: 64,
        gateway: '10.30.0.1',
        exclusions: [{ startIP: '10.30.0.1', endIP: '10.30.0.9' }],
        nodeSelector: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: 'feature.node.kubernetes.io/rdma', operator: 'Exists' },
                { key: 'zone', operator: 'In', values: ['a', 'b'] },
              ],
            },
          ],
        },
      }),
    ],
    {
      spaces: ['prefix 10.30.0.0/24'],
      held: ['ip-range 10.30.0.1/24-10.30.0.9/24'],
      fields: {
        k8s_pool_name: 'rdma-a',
        k8s_namespace: 'kube-system',
        k8s_block_size: 64,
        k8s_gateway: '10.30.0.1',
        k8s_node_selector: 'feature.node.kubernetes.io/rdma,zone in (a,b)',
      },
    },
  ],
  [
    'Calico pool with IPIP and a node selector',
    [
      calicoPool('pods-ipip', {
        cidr: '10.244.0.0/16',
        blockSize: 26,
        ipipMode: 'Always',
        vxlanMode: 'Never',
        natOutgoing: true,
        nodeSelector: "zone == 'a'",
      }),
    ],
    {
      spaces: ['prefix 10.244.0.0/16'],
      held: [],
      fields: {
        k8s_pool_name: 'pods-ipip',
        k8s_block_size: 26,
        k8s_node_selector: "zone == 'a'",
        k8s_options: { ipipMode: 'Always', vxlanMode: 'Never' },
      },
    },
  ],
  [
    'Calico pool with its IPReservation',
    [
      calicoPool('pods-vx', { cidr: '10.245.0.0/24', blockSize: 28, vxlanMode: 'Always', natOutgoing: true }),
      reservation('pods-vx', ['10.245.0.0/29']),
    ],
    {
      spaces: ['prefix 10.245.0.0/24'],
      held: ['ip-range 10.245.0.0/24-10.245.0.7/24'],
      fields: { k8s_pool_name: 'pods-vx', k8s_block_size: 28 },
    },
  ],
  [
    'MetalLB pool of a range plus a /32',
    [metallbPool('lb-a', ['192.168.50.10-192.168.50.20', '192.168.50.100/32'])],
    {
      spaces: ['ip-range 192.168.50.10/27-192.168.50.20/27', 'prefix 192.168.50.100/32'],
      held: [],
      fields: { k8s_pool_name: 'lb-a', k8s_namespace: 'metallb-system', k8s_options: { advertisement: 'none' } },
    },
  ],
  [
    'MetalLB range split around a held address',
    [metallbPool('lb-b', ['192.168.60.10-192.168.60.19', '192.168.60.21-192.168.60.40'])],
    {
      spaces: ['ip-range 192.168.60.10/26-192.168.60.40/26'],
      held: ['ip-address 192.168.60.20/26'],
      fields: { k8s_pool_name: 'lb-b', k8s_namespace: 'metallb-system', k8s_options: { advertisement: 'none' } },
    },
  ],
  [
    'Cilium LB pool of a CIDR and a range',
    [ciliumLb('cilium-lb-a', { blocks: [{ cidr: '10.0.10.0/28' }, { start: '10.0.20.10', stop: '10.0.20.20' }] })],
    {
      spaces: ['prefix 10.0.10.0/28', 'ip-range 10.0.20.10/27-10.0.20.20/27'],
      held: [],
      fields: { k8s_pool_name: 'cilium-lb-a', k8s_pool_kind: 'cilium-lb' },
    },
  ],
  [
    'Cilium pod pool',
    [ciliumPod('cilium-pods', { ipv4: { cidrs: ['10.50.0.0/16'], maskSize: 24 } })],
    {
      spaces: ['prefix 10.50.0.0/16'],
      held: [],
      fields: { k8s_pool_name: 'cilium-pods', k8s_pool_kind: 'cilium-pod', k8s_block_size: 24 },
    },
  ],
];

function spaceText(s: { model: string; prefix?: string; startAddress?: string; endAddress?: string }): string {
  return s.prefix === undefined ? `${s.model} ${s.startAddress ?? ''}-${s.endAddress ?? ''}` : `${s.model} ${s.prefix}`;
}

describe('adoption proposals', () => {
  it.each(ADOPTABLE)('%s', (_name, objects, want) => {
    const pool = objects[0] as K8sObject;
    const adoption = adoptPool(pool, ctx(objects));
    expect({ outcome: adoption.outcome, reasons: adoption.reasons, differences: adoption.differences }).toEqual({
      outcome: 'adoptable',
      reasons: [],
      differences: [],
    });
    expect(adoption.spaces.map(spaceText)).toEqual(want.spaces);
    expect(adoption.held.map(h => (h.address === undefined ? spaceText(h) : `${h.model} ${h.address}`))).toEqual(
      want.held,
    );
    for (const s of adoption.spaces) {
      expect(s.customFields).toEqual(want.fields);
      expect(s.addTags).toEqual(['k8s-lab']);
      expect(s.existing).toBeUndefined();
    }
    expect(adoption.objects.map(o => `${o.kind} ${o.metadata.name}`)).toEqual(
      objects.map(o => `${o.kind} ${o.metadata.name}`),
    );
  });

  it('reports what differs and leaves a pool alone when the render would change it', () => {
    // The daemon always excludes the gateway; this hand-written pool hands it out.
    const pool = nvPool('rdma-b', { subnet: '10.31.0.0/24', perNodeBlockSize: 32, gateway: '10.31.0.1' });
    const adoption = adoptPool(pool, ctx([pool]));
    expect(adoption.outcome).toBe('differs');
    expect(adoption.objects).toEqual([]);
    expect(adoption.differences).toEqual([
      {
        object: 'IPPool kube-system/rdma-b',
        path: 'spec.exclusions',
        to: [{ startIP: '10.31.0.1', endIP: '10.31.0.1' }],
      },
    ]);
  });

  it("names the IPReservation the render would create when the pool's holes are reserved under another name", () => {
    const objects = [calicoPool('pods-c', { cidr: '10.246.0.0/24' }), reservation('infra', ['10.246.0.0/30'])];
    const adoption = adoptPool(objects[0] as K8sObject, ctx(objects));
    expect(adoption.outcome).toBe('differs');
    expect(adoption.differences).toEqual([
      { object: 'IPReservation pods-c', path: '(object)', to: 'would be created beside the pool' },
    ]);
  });

  it('refuses unreadable shapes with the reason', () => {
    const pool = nvPool('rdma-c', {
      subnet: '10.32.0.0/24',
      nodeSelector: { nodeSelectorTerms: [{ matchExpressions: [] }, { matchExpressions: [] }] },
    });
    expect(adoptPool(pool, ctx([pool]))).toMatchObject({
      outcome: 'unreadable',
      reasons: ['its nodeSelector has several terms (OR), which k8s_node_selector cannot spell'],
    });
  });

  const existing = (over: Partial<NbPrefix>): NbPrefix => ({
    id: 7,
    url: 'http://nb/api/ipam/prefixes/7/',
    display: '10.244.0.0/16',
    family: { value: 4, label: 'IPv4' },
    prefix: '10.244.0.0/16',
    vrf: null,
    tenant: null,
    status: { value: 'active', label: 'Active' },
    role: null,
    tags: [],
    custom_fields: { k8s_pool_name: null },
    ...over,
  });
  const calico = calicoPool('pods-r', { cidr: '10.244.0.0/16', vxlanMode: 'Always', natOutgoing: true });

  it('reuses a NetBox prefix of the same space and VRF, adding only what it lacks', () => {
    const adoption = adoptPool(
      calico,
      ctx([calico], { ...EMPTY, prefixes: [existing({ tags: [{ id: 3, name: 'infra', slug: 'infra' }] })] }),
    );
    expect(adoption.outcome).toBe('adoptable');
    expect(adoption.spaces).toEqual([
      {
        model: 'prefix',
        prefix: '10.244.0.0/16',
        existing: { id: 7, display: '10.244.0.0/16' },
        role: 'k8s-pod',
        addTags: ['k8s-lab'],
        customFields: { k8s_pool_name: 'pods-r' },
      },
    ]);
  });

  it.each([
    [{ tags: [{ id: 4, name: 'k8s-other', slug: 'k8s-other' }] }, "carries another cluster's tag k8s-other"],
    [{ custom_fields: { k8s_pool_name: 'other' } }, 'has k8s_pool_name = "other"; the pool needs "pods-r"'],
    [{ role: { id: 1, slug: 'servers', name: 'servers' } }, 'has role servers, which selection.roles does not map'],
    [{ status: { value: 'reserved', label: 'Reserved' } }, 'has status reserved; the pool needs active'],
  ] as [Partial<NbPrefix>, string][])('refuses to change an existing prefix: %j', (over, reason) => {
    const adoption = adoptPool(calico, ctx([calico], { ...EMPTY, prefixes: [existing(over)] }));
    expect(adoption.outcome).toBe('refused');
    expect(adoption.reasons[0]).toContain('NetBox prefix 10.244.0.0/16 (id 7)');
    expect(adoption.reasons[0]).toContain(reason);
  });

  it('offers only unmanaged pool objects of the asked kind and names', () => {
    const managed = calicoPool('ours', { cidr: '10.1.0.0/16' });
    managed.metadata.labels = { 'app.kubernetes.io/managed-by': 'netbox-ippool-sync' };
    const all = [calico, managed, reservation('pods-r', []), metallbPool('lb-a', ['10.9.0.0/30'])];
    expect(adoptionCandidates(all).map(o => o.metadata.name)).toEqual(['pods-r', 'lb-a']);
    expect(adoptionCandidates(all, { kind: 'metallb' }).map(o => o.metadata.name)).toEqual(['lb-a']);
    expect(adoptionCandidates(all, { names: ['pods-r'] }).map(o => o.metadata.name)).toEqual(['pods-r']);
  });
});
