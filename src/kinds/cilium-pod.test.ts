import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../model/k8s-object.ts';
import { ciliumPodAdapter } from './cilium-pod.ts';
import * as kit from '../../test/support/kind-fixtures.ts';

function podPool(sources: string, spec: Record<string, unknown>): K8sObject {
  return kit.expected({
    apiVersion: 'cilium.io/v2alpha1',
    kind: 'CiliumPodIPPool',
    name: 'pool-a',
    poolKind: 'cilium-pod',
    sources,
    spec,
  });
}

const cases: kit.RenderCase[] = [
  {
    name: 'IPv4 prefix; a held address Cilium cannot exclude is a conflict, the network address is not',
    intent: kit.poolIntent('cilium-pod', [
      kit.prefixBlock(1, '10.200.0.0/16', {
        held: [
          ['10.200.0.0', 'network'],
          ['10.200.5.5', 'static server'],
        ],
      }),
    ]),
    objects: [podPool('prefix/1', { ipv4: { cidrs: ['10.200.0.0/16'], maskSize: 24 } })],
    issues: [
      {
        severity: 'conflict',
        subject: {
          type: 'netbox',
          model: 'prefix',
          id: 1,
          display: '10.200.0.0/16',
          url: 'https://netbox.example.net/api/ipam/prefixes/1/',
        },
        reason: 'Cilium pod pools cannot exclude addresses: 10.200.5.5 (static server) may be given to a pod',
        hint: 'move the address out of the prefix, or accept the risk (CiliumPodIPPool has no exclusion list)',
      },
    ],
  },
  {
    name: 'IPv6 prefix',
    intent: kit.poolIntent('cilium-pod', [kit.prefixBlock(2, 'fd00:200::/104')]),
    objects: [podPool('prefix/2', { ipv6: { cidrs: ['fd00:200::/104'], maskSize: 120 } })],
  },
  {
    name: 'IPv4 IP range that splits into CIDRs of at least one node block',
    intent: kit.poolIntent('cilium-pod', [kit.rangeBlock(3, '10.210.0.0-10.210.2.255', '10.210.0.0/16')]),
    objects: [podPool('ip-range/3', { ipv4: { cidrs: ['10.210.0.0/23', '10.210.2.0/24'], maskSize: 24 } })],
  },
  {
    name: 'IPv6 IP range that splits into CIDRs of at least one node block',
    intent: kit.poolIntent('cilium-pod', [kit.rangeBlock(4, 'fd00:210::-fd00:210::2ff', 'fd00:210::/112')]),
    objects: [podPool('ip-range/4', { ipv6: { cidrs: ['fd00:210::/119', 'fd00:210::200/120'], maskSize: 120 } })],
  },
  {
    name: 'several IPv4 prefixes assigned to a namespace',
    intent: kit.poolIntent('cilium-pod', [kit.prefixBlock(5, '10.220.0.0/20'), kit.prefixBlock(6, '10.221.0.0/20')], {
      namespaces: ['team-a'],
    }),
    objects: [podPool('prefix/5,prefix/6', { ipv4: { cidrs: ['10.220.0.0/20', '10.221.0.0/20'], maskSize: 24 } })],
    namespaceAssignments: [
      { namespace: 'team-a', annotation: 'ipam.cilium.io/ip-pool', values: ['pool-a'], format: 'single' },
    ],
  },
  {
    name: 'several IPv6 prefixes with k8s_block_size and a pod selector',
    intent: kit.poolIntent('cilium-pod', [kit.prefixBlock(7, 'fd00:220::/112'), kit.prefixBlock(8, 'fd00:221::/112')], {
      blockSize: 116,
      options: { podSelector: { matchLabels: { app: 'db' } } },
    }),
    objects: [
      podPool('prefix/7,prefix/8', {
        ipv6: { cidrs: ['fd00:220::/112', 'fd00:221::/112'], maskSize: 116 },
        podSelector: { matchLabels: { app: 'db' } },
      }),
    ],
  },
  {
    name: 'dual stack in one pool',
    intent: kit.poolIntent('cilium-pod', [kit.prefixBlock(9, '10.230.0.0/22'), kit.prefixBlock(10, 'fd00:230::/112')]),
    objects: [
      podPool('prefix/9,prefix/10', {
        ipv4: { cidrs: ['10.230.0.0/22'], maskSize: 24 },
        ipv6: { cidrs: ['fd00:230::/112'], maskSize: 120 },
      }),
    ],
  },
];

describe('cilium-pod render', () => {
  it.each(cases)('$name', c => {
    expect(kit.render(ciliumPodAdapter, c.intent, c.defaults)).toEqual(kit.expectedResult(c));
  });

  it('renders a draining pool unchanged and warns that it cannot drain', () => {
    const intent = kit.poolIntent('cilium-pod', [kit.prefixBlock(2, 'fd00:200::/104')], { state: 'draining' });
    const result = kit.render(ciliumPodAdapter, intent);
    expect(result.objects).toEqual([podPool('prefix/2', { ipv6: { cidrs: ['fd00:200::/104'], maskSize: 120 } })]);
    expect(result.issues.map(i => [i.severity, i.reason])).toEqual([
      ['warning', 'cannot drain: CiliumPodIPPool has no disabled flag; pods matching it keep getting addresses'],
    ]);
  });
});

describe('cilium-pod invalid input', () => {
  it.each([
    {
      name: 'IP range that is not expressible as node-block CIDRs',
      intent: kit.poolIntent('cilium-pod', [kit.rangeBlock(1, '10.240.0.10-10.240.0.20', '10.240.0.0/24')]),
      error: {
        subject: 'NetBox ip-range 10.240.0.10-10.240.0.20/24 (id 1)',
        field: undefined,
        reason:
          'IP range 10.240.0.10-10.240.0.20 splits into CIDRs (10.240.0.10/31, 10.240.0.12/30, 10.240.0.16/30, 10.240.0.20/32) that are smaller than one node block (/24)',
      },
    },
    {
      name: 'prefix smaller than a node block',
      intent: kit.poolIntent('cilium-pod', [kit.prefixBlock(2, '10.240.0.0/26')]),
      error: {
        subject: 'NetBox prefix 10.240.0.0/26 (id 2)',
        field: 'custom_fields.k8s_block_size',
        reason: 'prefix 10.240.0.0/26 is smaller than one node block (/24)',
      },
    },
    {
      name: 'mask size out of range from options',
      intent: kit.poolIntent('cilium-pod', [kit.prefixBlock(3, '10.240.0.0/16')], { options: { maskSizeV4: 33 } }),
      error: {
        subject: 'cilium-pod pool pool-a',
        field: 'custom_fields.k8s_options.maskSizeV4',
        reason: 'invalid value for cilium-pod option "maskSizeV4": expected 1-32',
      },
    },
    {
      name: 'mask size from k8s_block_size that does not fit IPv4',
      intent: kit.poolIntent('cilium-pod', [kit.prefixBlock(3, '10.240.0.0/16')], { blockSize: 120 }),
      error: {
        subject: 'cilium-pod pool pool-a',
        field: 'custom_fields.k8s_block_size',
        reason: 'maskSize 120 is out of range for IPv4 pools (1–32)',
      },
    },
  ])('$name', ({ intent, error }) => {
    expect(kit.rejection(kit.render(ciliumPodAdapter, intent))).toEqual({
      objects: [],
      assignments: 0,
      errors: [error],
    });
  });
});

describe('cilium-pod normalise, immutable fields, covered ranges', () => {
  it.each(kit.roundTrips(ciliumPodAdapter, cases, spec => spec))('an observed copy compares equal: $name', rt => {
    expect(rt.observed).toEqual(rt.desired);
  });

  it('treats both mask sizes as immutable and cannot drain', () => {
    const [desired] = kit.render(ciliumPodAdapter, cases[6]!.intent).objects;
    expect(ciliumPodAdapter.immutablePaths(desired!)).toEqual([
      ['spec', 'ipv4', 'maskSize'],
      ['spec', 'ipv6', 'maskSize'],
    ]);
    expect(ciliumPodAdapter.drain(desired!)).toBeNull();
  });

  it('covers the CIDRs of both the v2alpha1 and the v2 shape', () => {
    const pool = kit.observedObject({
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumPodIPPool',
      name: 'x',
      spec: {
        ipv4: { cidrs: ['10.0.0.0/24', { cidr: '10.0.2.0/24', reservedRange: 'x' }, 7], maskSize: 26 },
        ipv6: { cidrs: 'not a list', maskSize: 120 },
      },
    });
    expect(ciliumPodAdapter.coveredRanges(pool).map(kit.describeRange)).toEqual([
      '10.0.0.0-10.0.0.255',
      '10.0.2.0-10.0.2.255',
    ]);
  });
});

describe('cilium-pod allocations', () => {
  const [pool] = kit.render(ciliumPodAdapter, cases[0]!.intent).objects;
  const v2pool = kit.observedObject({
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumPodIPPool',
    name: 'v2pool',
    spec: { ipv4: { cidrs: [{ cidr: '10.250.0.0/16' }], maskSize: 24 } },
  });
  const node = (name: string, spec: unknown) =>
    kit.observedObject({ apiVersion: 'cilium.io/v2', kind: 'CiliumNode', name, spec });
  const endpoint = (namespace: string, name: string, addressing: unknown) =>
    kit.observedObject({
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumEndpoint',
      name,
      namespace,
      status: { networking: { addressing, node: '192.0.2.10' } },
    });
  const observed = kit.observedMap([
    pool!,
    v2pool,
    node('node-1', {
      ipam: {
        pools: {
          allocated: [
            { pool: 'pool-a', cidrs: ['10.200.1.0/24', 'fd00:200::100/120'] },
            { pool: 'default', cidrs: ['10.0.1.0/24'] },
            { cidrs: ['10.9.9.0/24'] },
            { pool: 'pool-a', cidrs: ['garbage'] },
          ],
        },
      },
    }),
    node('node-2', undefined),
    endpoint('team-a', 'db-0', [{ ipv4: '10.200.1.7', ipv6: 'fd00:200::107' }]),
    endpoint('team-b', 'other', [{ ipv4: '10.0.1.9' }]),
    endpoint('team-c', 'x', [{ ipv4: '10.250.3.3' }]),
    endpoint('team-d', 'broken', 'nope'),
  ]);

  it('reads per-node CIDRs from CiliumNode and pod IPs from CiliumEndpoint, each pod IP under its node CIDR’s pool', () => {
    expect(ciliumPodAdapter.allocations(observed).map(kit.describeAllocation)).toEqual([
      '10.200.1.0-10.200.1.255 Node node-1 pool=cilium-pod:/pool-a node=node-1',
      'fd00:200::100-fd00:200::1ff Node node-1 pool=cilium-pod:/pool-a node=node-1',
      '10.0.1.0-10.0.1.255 Node node-1 pool=cilium-pod:/default node=node-1',
      '10.200.1.7 Pod team-a/db-0 pool=cilium-pod:/pool-a node=node-1',
      'fd00:200::107 Pod team-a/db-0 pool=cilium-pod:/pool-a node=node-1',
      // The operator recorded the CIDR under "default": a pool not observed here is still the one it belongs to.
      '10.0.1.9 Pod team-b/other pool=cilium-pod:/default node=node-1',
      // In no recorded node CIDR: placed by the pools' CIDRs, as the operator places a CIDR.
      '10.250.3.3 Pod team-c/x pool=cilium-pod:/v2pool (containment)',
    ]);
    expect(ciliumPodAdapter.allocations(observed).map(a => a.via)[3]).toBe(
      'cilium-pod CiliumEndpoint team-a/db-0 status.networking.addressing',
    );
  });

  it.each<[string, () => ReturnType<typeof kit.observedMap>, string[]]>([
    [
      'two pools with the same CIDRs: a pod IP belongs to the pool its node CIDR was allocated from',
      () => {
        const twin = (name: string) =>
          kit.observedObject({
            apiVersion: 'cilium.io/v2alpha1',
            kind: 'CiliumPodIPPool',
            name,
            spec: { ipv4: { cidrs: ['10.70.0.0/16'], maskSize: 24 } },
          });
        return kit.observedMap([
          twin('blue'),
          twin('red'),
          node('node-1', { ipam: { pools: { allocated: [{ pool: 'red', cidrs: ['10.70.1.0/24'] }] } } }),
          endpoint('team-a', 'web-0', [{ ipv4: '10.70.1.5' }]),
        ]);
      },
      [
        '10.70.1.0-10.70.1.255 Node node-1 pool=cilium-pod:/red node=node-1',
        '10.70.1.5 Pod team-a/web-0 pool=cilium-pod:/red node=node-1',
      ],
    ],
    [
      'a pod IP in no node CIDR and no pool is not a Cilium pod pool allocation',
      () => kit.observedMap([pool!, endpoint('team-a', 'web-0', [{ ipv4: '192.0.2.99' }])]),
      [],
    ],
  ])('%s', (_name, make, expected) => {
    expect(ciliumPodAdapter.allocations(make()).map(kit.describeAllocation)).toEqual(expected);
  });
});
