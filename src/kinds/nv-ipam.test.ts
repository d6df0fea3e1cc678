import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../model/k8s-object.ts';
import { nvIpamAdapter } from './nv-ipam.ts';
import * as kit from '../../test/support/kind-fixtures.ts';

function ipPool(sources: string, spec: Record<string, unknown>, name = 'pool-a', namespace = 'kube-system'): K8sObject {
  return kit.expected({
    apiVersion: 'nv-ipam.nvidia.com/v1alpha1',
    kind: 'IPPool',
    name,
    namespace,
    poolKind: 'nv-ipam',
    sources,
    spec,
  });
}

const cases: kit.RenderCase[] = [
  {
    name: 'IPv4 prefix: held addresses as exclusions, gateway, node selector',
    intent: kit.poolIntent(
      'nv-ipam',
      [
        kit.prefixBlock(1, '10.50.0.0/24', {
          held: [
            ['10.50.0.1', 'gateway'],
            ['10.50.0.240-10.50.0.255', 'dhcp'],
          ],
          gateway: '10.50.0.1',
        }),
      ],
      {
        nodeSelector: {
          syntax: 'labels',
          raw: 'rack in (r2,r1),gpu',
          requirements: [
            { key: 'rack', operator: 'In', values: ['r2', 'r1'] },
            { key: 'gpu', operator: 'Exists', values: [] },
          ],
        },
      },
    ),
    objects: [
      ipPool('prefix/1', {
        exclusions: [
          { endIP: '10.50.0.1', startIP: '10.50.0.1' },
          { endIP: '10.50.0.255', startIP: '10.50.0.240' },
        ],
        gateway: '10.50.0.1',
        nodeSelector: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: 'gpu', operator: 'Exists' },
                { key: 'rack', operator: 'In', values: ['r1', 'r2'] },
              ],
            },
          ],
        },
        perNodeBlockSize: 32,
        subnet: '10.50.0.0/24',
      }),
    ],
  },
  {
    name: 'IPv6 prefix with k8s_block_size',
    intent: kit.poolIntent('nv-ipam', [kit.prefixBlock(2, 'fd00:50::/112')], { blockSize: 64 }),
    objects: [ipPool('prefix/2', { perNodeBlockSize: 64, subnet: 'fd00:50::/112' })],
  },
  {
    name: 'IPv4 IP range: parent subnet with the complement excluded, gateway routes from options',
    intent: kit.poolIntent(
      'nv-ipam',
      [kit.rangeBlock(3, '10.60.0.100-10.60.0.199', '10.60.0.0/24', { gateway: '10.60.0.1' })],
      { blockSize: 25, options: { defaultGateway: true, routes: [{ dst: '10.0.0.0/8' }] } },
    ),
    objects: [
      ipPool('ip-range/3', {
        defaultGateway: true,
        exclusions: [
          { endIP: '10.60.0.99', startIP: '10.60.0.0' },
          { endIP: '10.60.0.255', startIP: '10.60.0.200' },
        ],
        gateway: '10.60.0.1',
        perNodeBlockSize: 25,
        routes: [{ dst: '10.0.0.0/8' }],
        subnet: '10.60.0.0/24',
      }),
    ],
  },
  {
    name: 'IPv6 IP range',
    intent: kit.poolIntent('nv-ipam', [kit.rangeBlock(4, 'fd00:60::1000-fd00:60::1fff', 'fd00:60::/112')]),
    objects: [
      ipPool('ip-range/4', {
        exclusions: [
          { endIP: 'fd00:60::fff', startIP: 'fd00:60::' },
          { endIP: 'fd00:60::ffff', startIP: 'fd00:60::2000' },
        ],
        perNodeBlockSize: 32,
        subnet: 'fd00:60::/112',
      }),
    ],
  },
  {
    name: 'several IPv4 IP ranges in one subnet: one IPPool, gaps and held addresses excluded',
    intent: kit.poolIntent('nv-ipam', [
      kit.rangeBlock(5, '10.70.0.10-10.70.0.49', '10.70.0.0/24', { held: [['10.70.0.20', 'printer']] }),
      kit.rangeBlock(6, '10.70.0.100-10.70.0.149', '10.70.0.0/24'),
    ]),
    objects: [
      ipPool('ip-range/5,ip-range/6', {
        exclusions: [
          { endIP: '10.70.0.9', startIP: '10.70.0.0' },
          { endIP: '10.70.0.20', startIP: '10.70.0.20' },
          { endIP: '10.70.0.99', startIP: '10.70.0.50' },
          { endIP: '10.70.0.255', startIP: '10.70.0.150' },
        ],
        perNodeBlockSize: 32,
        subnet: '10.70.0.0/24',
      }),
    ],
  },
  {
    name: 'several IPv6 subnets: one IPPool per subnet, named by CIDR, with a warning',
    intent: kit.poolIntent('nv-ipam', [kit.prefixBlock(7, 'fd00:70::/120'), kit.prefixBlock(8, 'fd00:71::/120')], {
      namespace: 'sriov',
    }),
    objects: [
      ipPool('prefix/7,prefix/8', { perNodeBlockSize: 32, subnet: 'fd00:70::/120' }, 'pool-a-fd00-70---120', 'sriov'),
      ipPool('prefix/7,prefix/8', { perNodeBlockSize: 32, subnet: 'fd00:71::/120' }, 'pool-a-fd00-71---120', 'sriov'),
    ],
    issues: [
      {
        severity: 'warning',
        subject: { type: 'pool', kind: 'nv-ipam', name: 'pool-a', namespace: 'sriov' },
        reason:
          'an NV-IPAM IPPool holds one subnet, so this pool renders as pool-a-fd00-70---120, pool-a-fd00-71---120',
        hint: 'list all of them in the CNI config poolName',
      },
    ],
  },
];

describe('nv-ipam render', () => {
  it.each(cases)('$name', c => {
    expect(kit.render(nvIpamAdapter, c.intent, c.defaults)).toEqual(kit.expectedResult(c));
  });

  it('warns when exclusions leave less than one node block', () => {
    const result = kit.render(
      nvIpamAdapter,
      kit.poolIntent('nv-ipam', [kit.rangeBlock(3, '10.60.0.10-10.60.0.19', '10.60.0.0/24')]),
    );
    expect(result.objects).toHaveLength(1);
    expect(result.issues.map(i => [i.severity, i.reason])).toEqual([
      ['warning', 'only 10 addresses of 10.60.0.0/24 are left after exclusions, fewer than one node block (32)'],
    ]);
  });

  it('renders a draining pool as is, warns that NV-IPAM cannot drain, and that namespaces do not apply', () => {
    const intent = kit.poolIntent('nv-ipam', [kit.prefixBlock(2, 'fd00:50::/112')], {
      state: 'draining',
      namespaces: ['a'],
    });
    const result = kit.render(nvIpamAdapter, intent);
    expect(result.objects).toEqual([ipPool('prefix/2', { perNodeBlockSize: 32, subnet: 'fd00:50::/112' })]);
    expect(result.issues.map(i => [i.severity, i.reason])).toEqual([
      ['warning', 'k8s_namespaces is ignored: NV-IPAM pools are chosen by the CNI config poolName, not by namespace'],
      [
        'warning',
        'cannot drain: an NV-IPAM IPPool has no disabled flag; nodes keep their blocks and pods keep getting addresses',
      ],
    ]);
  });
});

/**
 * perNodeBlockSize as current upstream validates it (IPPool.Validate since nvidia-k8s-ipam added /32 and /128
 * subnets and single-address blocks): at least 1, and at most the subnet's host addresses — all but the network
 * and broadcast address for IPv4, all but the subnet address for IPv6, both for /31 and /127, the one for /32, /128.
 */
describe('nv-ipam perNodeBlockSize follows upstream validation', () => {
  it.each([
    ['10.50.0.0/24', 1, true],
    ['10.50.0.0/24', 254, true],
    ['10.50.0.0/24', 255, false],
    ['10.50.0.0/30', 2, true],
    ['10.50.0.0/30', 3, false],
    ['10.50.0.0/31', 2, true],
    ['10.50.0.0/31', 3, false],
    ['10.50.0.7/32', 1, true],
    ['10.50.0.7/32', 2, false],
    ['fd00:50::/120', 255, true],
    ['fd00:50::/120', 256, false],
    ['fd00:50::/127', 2, true],
    ['fd00:50::/127', 3, false],
    ['fd00:50::7/128', 1, true],
    ['fd00:50::7/128', 2, false],
    ['10.50.0.0/24', 0, false],
    ['10.50.0.0/24', -1, false],
  ] as const)('%s with perNodeBlockSize %d: accepted %s', (subnet, size, accepted) => {
    const intent = kit.poolIntent('nv-ipam', [kit.prefixBlock(1, subnet)], { blockSize: size });
    const result = kit.render(nvIpamAdapter, intent);
    expect(kit.errorsOf(result).length === 0).toBe(accepted);
    if (accepted) expect(result.objects[0]?.spec).toMatchObject({ subnet, perNodeBlockSize: size });
  });

  it('config check refuses a perNodeBlockSize below 1 and takes 1', () => {
    expect(nvIpamAdapter.defaults.safeParse({ perNodeBlockSize: 0 }).success).toBe(false);
    expect(nvIpamAdapter.defaults.safeParse({ perNodeBlockSize: 1 }).success).toBe(true);
  });

  it('names where a perNodeBlockSize that does not fit came from', () => {
    const fromConfig = kit.render(nvIpamAdapter, kit.poolIntent('nv-ipam', [kit.prefixBlock(1, '10.50.0.0/28')]), {
      perNodeBlockSize: 20,
    });
    expect(kit.errorsOf(fromConfig).map(e => e.field)).toEqual(['kinds.nv-ipam.perNodeBlockSize']);
    const fromOptions = kit.render(
      nvIpamAdapter,
      kit.poolIntent('nv-ipam', [kit.prefixBlock(1, '10.50.0.0/28')], { options: { perNodeBlockSize: 20 } }),
    );
    expect(kit.errorsOf(fromOptions).map(e => e.field)).toEqual(['custom_fields.k8s_options.perNodeBlockSize']);
  });
});

describe('nv-ipam invalid input (what the optional webhook would reject)', () => {
  const prefix = (opts = {}) => kit.prefixBlock(1, '10.50.0.0/24', opts);
  it.each([
    {
      name: 'perNodeBlockSize larger than the usable addresses',
      intent: kit.poolIntent('nv-ipam', [prefix()], { blockSize: 300 }),
      error: {
        subject: 'NetBox prefix 10.50.0.0/24 (id 1)',
        field: 'custom_fields.k8s_block_size',
        reason: 'perNodeBlockSize 300 must be between 1 and the 254 usable addresses of 10.50.0.0/24',
      },
    },
    {
      name: 'perNodeBlockSize zero',
      intent: kit.poolIntent('nv-ipam', [prefix()], { blockSize: 0 }),
      error: {
        subject: 'NetBox prefix 10.50.0.0/24 (id 1)',
        field: 'custom_fields.k8s_block_size',
        reason: 'perNodeBlockSize 0 must be between 1 and the 254 usable addresses of 10.50.0.0/24',
      },
    },
    {
      name: 'gateway outside the subnet',
      intent: kit.poolIntent('nv-ipam', [prefix({ gateway: '10.51.0.1' })]),
      error: {
        subject: 'NetBox prefix 10.50.0.0/24 (id 1)',
        field: 'custom_fields.k8s_gateway',
        reason: 'gateway 10.51.0.1 is outside the subnet 10.50.0.0/24',
      },
    },
    {
      name: 'routes without a gateway',
      intent: kit.poolIntent('nv-ipam', [prefix()], { options: { routes: [{ dst: '10.0.0.0/8' }] } }),
      error: {
        subject: 'NetBox prefix 10.50.0.0/24 (id 1)',
        field: 'custom_fields.k8s_options.routes',
        reason: 'routes needs a gateway, and 10.50.0.0/24 has none',
      },
    },
    {
      name: 'per-node exclusion beyond the node block',
      intent: kit.poolIntent('nv-ipam', [prefix()], {
        options: { perNodeExclusions: [{ startIndex: 0, endIndex: 40 }] },
      }),
      error: {
        subject: 'nv-ipam pool pool-a',
        field: 'custom_fields.k8s_options.perNodeExclusions',
        reason: 'perNodeExclusions index 40 is outside a node block of 32',
      },
    },
    {
      name: 'per-node exclusion ending before it starts',
      intent: kit.poolIntent('nv-ipam', [prefix()], {
        options: { perNodeExclusions: [{ startIndex: 5, endIndex: 4 }] },
      }),
      error: {
        subject: 'nv-ipam pool pool-a',
        field: 'custom_fields.k8s_options.perNodeExclusions.0',
        reason:
          'invalid value for nv-ipam option "perNodeExclusions.0": endIndex must be greater than or equal to startIndex',
      },
    },
    {
      name: 'a Calico selector expression',
      intent: kit.poolIntent('nv-ipam', [prefix()], { nodeSelector: { syntax: 'calico-expression', raw: 'has(gpu)' } }),
      error: {
        subject: 'nv-ipam pool pool-a',
        field: 'custom_fields.k8s_node_selector',
        reason: 'nv-ipam pools need a Kubernetes label selector, got a Calico expression',
      },
    },
  ])('$name', ({ intent, error }) => {
    expect(kit.rejection(kit.render(nvIpamAdapter, intent))).toEqual({ objects: [], assignments: 0, errors: [error] });
  });
});

describe('nv-ipam normalise, immutable fields, covered ranges', () => {
  const status = { allocations: [{ nodeName: 'node-1', startIP: '10.0.0.1', endIP: '10.0.0.32' }] };
  it.each(kit.roundTrips(nvIpamAdapter, cases, spec => spec, status))('an observed copy compares equal: $name', rt => {
    expect(rt.observed).toEqual(rt.desired);
  });

  it('treats subnet and perNodeBlockSize as immutable while nodes hold blocks, and has no drain', () => {
    const [pool] = kit.render(nvIpamAdapter, cases[0]!.intent).objects;
    const holding = kit.asObserved(pool!, spec => spec, {
      allocations: [{ nodeName: 'node-1', startIP: '10.50.0.2', endIP: '10.50.0.33' }],
    });
    const idle = kit.asObserved(pool!, spec => spec, { allocations: [] });
    expect(nvIpamAdapter.immutablePaths(holding)).toEqual([
      ['spec', 'subnet'],
      ['spec', 'perNodeBlockSize'],
    ]);
    expect(nvIpamAdapter.immutablePaths(idle)).toEqual([]);
    expect(nvIpamAdapter.immutablePaths(pool!)).toEqual([]);
    expect(nvIpamAdapter.drain(pool!)).toBeNull();
  });

  it('covers the subnet minus its exclusions, skipping malformed exclusions', () => {
    const pool = kit.observedObject({
      apiVersion: 'nv-ipam.nvidia.com/v1alpha1',
      kind: 'IPPool',
      name: 'x',
      namespace: 'kube-system',
      spec: {
        subnet: '10.0.0.0/28',
        exclusions: [
          { startIP: '10.0.0.0', endIP: '10.0.0.3' },
          { startIP: '10.0.0.9', endIP: '10.0.0.8' },
          { startIP: 'x' },
        ],
      },
    });
    expect(nvIpamAdapter.coveredRanges(pool).map(kit.describeRange)).toEqual(['10.0.0.4-10.0.0.15']);
  });
});

describe('nv-ipam allocations', () => {
  const [rendered] = kit.render(nvIpamAdapter, cases[0]!.intent).objects;
  const pool = kit.asObserved(rendered!, spec => spec, {
    allocations: [
      { nodeName: 'node-1', startIP: '10.50.0.2', endIP: '10.50.0.33' },
      { nodeName: 'node-2', startIP: '10.50.0.34', endIP: '10.50.0.65' },
      { nodeName: 'node-3', startIP: 'bad', endIP: '10.50.0.70' },
    ],
  });
  const pod = (name: string, networkStatus: string | undefined) => {
    const p = kit.observedObject({
      apiVersion: 'v1',
      kind: 'Pod',
      name,
      namespace: 'team-a',
      spec: { nodeName: 'node-1' },
    });
    if (networkStatus !== undefined) p.metadata.annotations = { 'k8s.v1.cni.cncf.io/network-status': networkStatus };
    return p;
  };
  const observed = kit.observedMap([
    pool,
    pod(
      'app-0',
      JSON.stringify([
        { name: 'default/k8s-pod-network', interface: 'eth0', ips: ['10.244.1.5'], default: true },
        { name: 'team-a/pool-a', interface: 'net1', ips: ['10.50.0.7', 'not-an-ip'] },
      ]),
    ),
    pod('app-1', '{broken json'),
    pod('app-2', undefined),
  ]);

  it('reads per-node blocks from status and pod IPs from the network-status annotation', () => {
    expect(nvIpamAdapter.allocations(observed).map(kit.describeAllocation)).toEqual([
      '10.50.0.2-10.50.0.33 Node node-1 pool=nv-ipam:kube-system/pool-a node=node-1',
      '10.50.0.34-10.50.0.65 Node node-2 pool=nv-ipam:kube-system/pool-a node=node-2',
      '10.50.0.7 Pod team-a/app-0 pool=nv-ipam:kube-system/pool-a node=node-1 if=net1',
    ]);
    expect(nvIpamAdapter.allocations(observed).map(a => a.via)).toEqual([
      'nv-ipam IPPool kube-system/pool-a status.allocations',
      'nv-ipam IPPool kube-system/pool-a status.allocations',
      'nv-ipam Pod team-a/app-0 k8s.v1.cni.cncf.io/network-status',
    ]);
  });

  const twin = (name: string, blocks: unknown[]) =>
    kit.observedObject({
      apiVersion: 'nv-ipam.nvidia.com/v1alpha1',
      kind: 'IPPool',
      name,
      namespace: 'kube-system',
      spec: { subnet: '10.60.0.0/24', perNodeBlockSize: 32 },
      status: { allocations: blocks },
    });
  const on = (node: string, name: string, ip: string) => {
    const p = kit.observedObject({ apiVersion: 'v1', kind: 'Pod', name, namespace: 'apps', spec: { nodeName: node } });
    p.metadata.annotations = {
      'k8s.v1.cni.cncf.io/network-status': JSON.stringify([{ name: 'apps/net', interface: 'net1', ips: [ip] }]),
    };
    return p;
  };

  it.each<[string, K8sObject[], string[]]>([
    [
      'two pools with one subnet (two networks): a pod IP belongs to the pool of its node’s block that holds it',
      [
        twin('a-red', [{ nodeName: 'node-1', startIP: '10.60.0.1', endIP: '10.60.0.32' }]),
        twin('b-blue', [{ nodeName: 'node-1', startIP: '10.60.0.33', endIP: '10.60.0.64' }]),
        on('node-1', 'web-0', '10.60.0.40'),
      ],
      [
        '10.60.0.1-10.60.0.32 Node node-1 pool=nv-ipam:kube-system/a-red node=node-1',
        '10.60.0.33-10.60.0.64 Node node-1 pool=nv-ipam:kube-system/b-blue node=node-1',
        '10.60.0.40 Pod apps/web-0 pool=nv-ipam:kube-system/b-blue node=node-1 if=net1',
      ],
    ],
    [
      'a pod IP in no node block (status cleared): placed by the pools’ subnets',
      [twin('a-red', []), on('node-1', 'web-0', '10.60.0.40')],
      ['10.60.0.40 Pod apps/web-0 pool=nv-ipam:kube-system/a-red (containment) node=node-1 if=net1'],
    ],
  ])('%s', (_name, objects, expected) => {
    expect(nvIpamAdapter.allocations(kit.observedMap(objects)).map(kit.describeAllocation)).toEqual(expected);
  });
});
