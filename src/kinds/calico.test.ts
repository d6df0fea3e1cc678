import { describe, expect, it } from 'vitest';
import { parseAddress } from '../ip/index.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import { calicoAdapter } from './calico.ts';
import * as kit from '../../test/support/kind-fixtures.ts';

function calico(kind: 'IPPool' | 'IPReservation', name: string, sources: string, spec: Record<string, unknown>) {
  return kit.expected({ apiVersion: 'projectcalico.org/v3', kind, name, poolKind: 'calico', sources, spec });
}

/** The spec fields every pool carries from the kind defaults (VXLAN always, NAT outgoing, all nodes). */
const V4 = { blockSize: 26, ipipMode: 'Never', natOutgoing: true, nodeSelector: 'all()', vxlanMode: 'Always' };
const V6 = { ...V4, blockSize: 122 };

const cases: kit.RenderCase[] = [
  {
    name: 'IPv4 prefix: held addresses reserved, label node selector in Calico syntax',
    intent: kit.poolIntent(
      'calico',
      [
        kit.prefixBlock(1, '10.80.0.0/24', {
          held: [
            ['10.80.0.1', 'gateway'],
            ['10.80.0.250-10.80.0.255', 'dhcp'],
          ],
        }),
      ],
      {
        nodeSelector: {
          syntax: 'labels',
          raw: 'zone in (b,a),gpu,kind notin (old),!x',
          requirements: [
            { key: 'zone', operator: 'In', values: ['b', 'a'] },
            { key: 'gpu', operator: 'Exists', values: [] },
            { key: 'kind', operator: 'NotIn', values: ['old'] },
            { key: 'x', operator: 'DoesNotExist', values: [] },
          ],
        },
      },
    ),
    objects: [
      calico('IPPool', 'pool-a', 'prefix/1', {
        ...V4,
        cidr: '10.80.0.0/24',
        nodeSelector: "has(gpu) && kind not in {'old'} && !has(x) && zone in {'a', 'b'}",
      }),
      calico('IPReservation', 'pool-a', 'prefix/1', {
        reservedCIDRs: ['10.80.0.1/32', '10.80.0.250/31', '10.80.0.252/30'],
      }),
    ],
  },
  {
    name: 'IPv6 prefix assigned to namespaces',
    intent: kit.poolIntent('calico', [kit.prefixBlock(2, 'fd00:80::/64')], { namespaces: ['team-a', 'team-b'] }),
    objects: [calico('IPPool', 'pool-a', 'prefix/2', { ...V6, cidr: 'fd00:80::/64' })],
    namespaceAssignments: [
      { namespace: 'team-a', annotation: 'cni.projectcalico.org/ipv6pools', values: ['pool-a'] },
      { namespace: 'team-b', annotation: 'cni.projectcalico.org/ipv6pools', values: ['pool-a'] },
    ],
  },
  {
    name: 'IPv4 IP range widened to whole blocks, the surplus reserved',
    intent: kit.poolIntent('calico', [kit.rangeBlock(3, '10.90.0.10-10.90.0.100', '10.90.0.0/24')]),
    objects: [
      calico('IPPool', 'pool-a', 'ip-range/3', { ...V4, cidr: '10.90.0.0/25' }),
      calico('IPReservation', 'pool-a', 'ip-range/3', {
        reservedCIDRs: [
          '10.90.0.0/29',
          '10.90.0.8/31',
          '10.90.0.101/32',
          '10.90.0.102/31',
          '10.90.0.104/29',
          '10.90.0.112/28',
        ],
      }),
    ],
  },
  {
    name: 'IPv6 IP range widened to whole blocks',
    intent: kit.poolIntent('calico', [kit.rangeBlock(4, 'fd00:90::10-fd00:90::7f', 'fd00:90::/120')]),
    objects: [
      calico('IPPool', 'pool-a', 'ip-range/4', { ...V6, cidr: 'fd00:90::/121' }),
      calico('IPReservation', 'pool-a', 'ip-range/4', { reservedCIDRs: ['fd00:90::/124'] }),
    ],
  },
  {
    name: 'several IPv4 prefixes: one IPPool per block, names suffixed by CIDR',
    intent: kit.poolIntent('calico', [kit.prefixBlock(5, '10.91.0.0/24'), kit.prefixBlock(6, '10.92.0.0/24')], {
      namespaces: ['team-a'],
    }),
    objects: [
      calico('IPPool', 'pool-a-10-91-0-0-24', 'prefix/5,prefix/6', { ...V4, cidr: '10.91.0.0/24' }),
      calico('IPPool', 'pool-a-10-92-0-0-24', 'prefix/5,prefix/6', { ...V4, cidr: '10.92.0.0/24' }),
    ],
    namespaceAssignments: [
      {
        namespace: 'team-a',
        annotation: 'cni.projectcalico.org/ipv4pools',
        values: ['pool-a-10-91-0-0-24', 'pool-a-10-92-0-0-24'],
      },
    ],
  },
  {
    name: 'several IPv6 blocks: a prefix and a block-aligned IP range',
    intent: kit.poolIntent('calico', [
      kit.prefixBlock(7, 'fd00:91::/120'),
      kit.rangeBlock(8, 'fd00:92::40-fd00:92::7f', 'fd00:92::/120'),
    ]),
    objects: [
      calico('IPPool', 'pool-a-fd00-91---120', 'ip-range/8,prefix/7', { ...V6, cidr: 'fd00:91::/120' }),
      calico('IPPool', 'pool-a-fd00-92--40-122', 'ip-range/8,prefix/7', { ...V6, cidr: 'fd00:92::40/122' }),
    ],
  },
  {
    name: 'two IP ranges in one block share one IPPool; everything else in the block is reserved',
    intent: kit.poolIntent('calico', [
      kit.rangeBlock(9, '10.93.0.10-10.93.0.20', '10.93.0.0/24'),
      kit.rangeBlock(10, '10.93.0.30-10.93.0.40', '10.93.0.0/24'),
    ]),
    objects: [
      calico('IPPool', 'pool-a', 'ip-range/9,ip-range/10', { ...V4, cidr: '10.93.0.0/26' }),
      calico('IPReservation', 'pool-a', 'ip-range/9,ip-range/10', {
        reservedCIDRs: [
          '10.93.0.0/29',
          '10.93.0.8/31',
          '10.93.0.21/32',
          '10.93.0.22/31',
          '10.93.0.24/30',
          '10.93.0.28/31',
          '10.93.0.41/32',
          '10.93.0.42/31',
          '10.93.0.44/30',
          '10.93.0.48/28',
        ],
      }),
    ],
  },
  {
    name: 'a LoadBalancer pool from options; a Calico selector expression kept verbatim elsewhere',
    intent: kit.poolIntent('calico', [kit.prefixBlock(11, '10.94.0.0/26')], {
      options: { allowedUses: ['LoadBalancer'], vxlanMode: 'Never', natOutgoing: false },
    }),
    objects: [
      calico('IPPool', 'pool-a', 'prefix/11', {
        ...V4,
        allowedUses: ['LoadBalancer'],
        cidr: '10.94.0.0/26',
        natOutgoing: false,
        vxlanMode: 'Never',
      }),
    ],
  },
  {
    name: 'Calico-native selector, assignmentMode and namespaceSelector on a release that has them',
    intent: kit.poolIntent('calico', [kit.prefixBlock(12, '10.95.0.0/24')], {
      nodeSelector: { syntax: 'calico-expression', raw: "rack == 'r1' || all()" },
      options: { assignmentMode: 'Manual', namespaceSelector: "tenant == 'a'", allowedUses: ['Workload'] },
    }),
    defaults: { calicoVersion: '3.31' },
    objects: [
      calico('IPPool', 'pool-a', 'prefix/12', {
        ...V4,
        allowedUses: ['Workload'],
        assignmentMode: 'Manual',
        cidr: '10.95.0.0/24',
        namespaceSelector: "tenant == 'a'",
        nodeSelector: "rack == 'r1' || all()",
      }),
    ],
  },
];

/**
 * Encapsulation is one choice: a settings layer (kinds.calico, then k8s_options) that names one mode turns the other
 * off unless it names both, so `ipipMode: CrossSubnet` never meets the built-in `vxlanMode: Always`.
 */
describe('calico encapsulation', () => {
  const v4 = kit.prefixBlock(1, '10.80.0.0/24');
  const modes = (spec: unknown) => {
    const { ipipMode, vxlanMode } = spec as Record<string, unknown>;
    return { ipipMode, vxlanMode };
  };
  it.each([
    { name: 'built-in defaults: VXLAN', expected: { ipipMode: 'Never', vxlanMode: 'Always' } },
    {
      name: 'k8s_options ipipMode CrossSubnet: IPIP instead of VXLAN',
      options: { ipipMode: 'CrossSubnet' },
      expected: { ipipMode: 'CrossSubnet', vxlanMode: 'Never' },
    },
    {
      name: 'k8s_options vxlanMode CrossSubnet',
      options: { vxlanMode: 'CrossSubnet' },
      expected: { ipipMode: 'Never', vxlanMode: 'CrossSubnet' },
    },
    {
      name: 'k8s_options vxlanMode Never alone: no encapsulation',
      options: { vxlanMode: 'Never' },
      expected: { ipipMode: 'Never', vxlanMode: 'Never' },
    },
    {
      name: 'k8s_options naming both modes: taken as written',
      options: { ipipMode: 'Always', vxlanMode: 'Never' },
      expected: { ipipMode: 'Always', vxlanMode: 'Never' },
    },
    {
      name: 'kinds.calico ipipMode Always: IPIP for every pool',
      defaults: { ipipMode: 'Always' },
      expected: { ipipMode: 'Always', vxlanMode: 'Never' },
    },
    {
      name: 'kinds.calico ipipMode Always, k8s_options vxlanMode CrossSubnet: the object’s choice',
      defaults: { ipipMode: 'Always' },
      options: { vxlanMode: 'CrossSubnet' },
      expected: { ipipMode: 'Never', vxlanMode: 'CrossSubnet' },
    },
    {
      name: 'kinds.calico vxlanMode Never, k8s_options ipipMode CrossSubnet',
      defaults: { vxlanMode: 'Never' },
      options: { ipipMode: 'CrossSubnet' },
      expected: { ipipMode: 'CrossSubnet', vxlanMode: 'Never' },
    },
    {
      name: 'k8s_options unrelated to encapsulation keep the config’s choice',
      defaults: { ipipMode: 'CrossSubnet' },
      options: { natOutgoing: false },
      expected: { ipipMode: 'CrossSubnet', vxlanMode: 'Never' },
    },
  ])('$name', ({ options, defaults, expected }) => {
    const result = kit.render(calicoAdapter, kit.poolIntent('calico', [v4], { options: options ?? {} }), defaults);
    expect(kit.errorsOf(result)).toEqual([]);
    expect(result.objects.map(o => modes(o.spec))).toEqual([expected]);
  });

  it('the config layer is read the same way by config validation', () => {
    expect(calicoAdapter.defaults.parse({ ipipMode: 'CrossSubnet' })).toMatchObject({
      ipipMode: 'CrossSubnet',
      vxlanMode: 'Never',
    });
    expect(calicoAdapter.defaults.parse({ vxlanMode: 'CrossSubnet' })).toMatchObject({
      ipipMode: 'Never',
      vxlanMode: 'CrossSubnet',
    });
  });
});

describe('calico render', () => {
  it.each(cases)('$name', c => {
    expect(kit.render(calicoAdapter, c.intent, c.defaults)).toEqual(kit.expectedResult(c));
  });

  it('drains by disabling every IPPool; the reservation stays', () => {
    const intent = kit.poolIntent('calico', [kit.rangeBlock(4, 'fd00:90::10-fd00:90::7f', 'fd00:90::/120')], {
      state: 'draining',
    });
    expect(kit.render(calicoAdapter, intent).objects).toEqual([
      calico('IPPool', 'pool-a', 'ip-range/4', { ...V6, cidr: 'fd00:90::/121', disabled: true }),
      calico('IPReservation', 'pool-a', 'ip-range/4', { reservedCIDRs: ['fd00:90::/124'] }),
    ]);
  });
});

function hostBitsBlock() {
  const block = kit.prefixBlock(1, '10.80.0.0/24');
  block.network = { ...block.network, network: parseAddress('10.80.0.5').value };
  return block;
}

describe('calico invalid input: rejected before the cluster sees it', () => {
  const pool = 'calico pool pool-a';
  const v4 = kit.prefixBlock(1, '10.80.0.0/24');
  const v6 = kit.prefixBlock(2, 'fd00:80::/64');
  it.each([
    {
      name: 'unaligned network',
      intent: kit.poolIntent('calico', [hostBitsBlock()]),
      error: ['NetBox prefix 10.80.0.0/24 (id 1)', undefined, 'cannot publish: network 10.80.0.5/24 has host bits set'],
    },
    {
      name: 'block size out of range',
      intent: kit.poolIntent('calico', [v4], { blockSize: 19 }),
      error: [pool, 'custom_fields.k8s_block_size', 'blockSize 19 is out of range for IPv4 pools (20–32)'],
    },
    {
      name: 'IPv6 block size from k8s_options out of range',
      intent: kit.poolIntent('calico', [v6], { options: { blockSizeV6: 112 } }),
      error: [
        pool,
        'custom_fields.k8s_options.blockSizeV6',
        'invalid value for calico option "blockSizeV6": expected 116-128',
      ],
    },
    {
      name: 'block larger than the pool',
      intent: kit.poolIntent('calico', [kit.prefixBlock(3, '10.80.0.0/28')]),
      error: [
        'NetBox prefix 10.80.0.0/28 (id 3)',
        'custom_fields.k8s_block_size',
        'prefix 10.80.0.0/28 is smaller than one Calico block (/26)',
      ],
    },
    {
      name: 'IPIP on IPv6',
      intent: kit.poolIntent('calico', [v6], { options: { ipipMode: 'Always', vxlanMode: 'Never' } }),
      error: [
        'NetBox prefix fd00:80::/64 (id 2)',
        'custom_fields.k8s_options.ipipMode',
        'IPIP is not supported on IPv6 pools (fd00:80::/64)',
      ],
    },
    {
      name: 'IPIP together with VXLAN, both named in k8s_options',
      intent: kit.poolIntent('calico', [v4], { options: { ipipMode: 'CrossSubnet', vxlanMode: 'Always' } }),
      error: [pool, 'custom_fields.k8s_options.ipipMode', 'ipipMode and vxlanMode cannot both be enabled'],
    },
    {
      name: 'IPIP together with VXLAN, both named in kinds.calico',
      intent: kit.poolIntent('calico', [v4]),
      defaults: { ipipMode: 'Always', vxlanMode: 'CrossSubnet' },
      error: [pool, 'kinds.calico.ipipMode', 'ipipMode and vxlanMode cannot both be enabled'],
    },
    {
      name: 'LoadBalancer with Workload',
      intent: kit.poolIntent('calico', [v4], {
        options: { allowedUses: ['LoadBalancer', 'Workload'], vxlanMode: 'Never' },
      }),
      error: [
        pool,
        'custom_fields.k8s_options.allowedUses',
        'LoadBalancer cannot be combined with Workload or Tunnel allowed uses',
      ],
    },
    {
      name: 'LoadBalancer with encapsulation',
      intent: kit.poolIntent('calico', [v4], { options: { allowedUses: ['LoadBalancer'] } }),
      error: [
        pool,
        'custom_fields.k8s_options.allowedUses',
        'a LoadBalancer pool cannot use IPIP or VXLAN; set ipipMode and vxlanMode to Never',
      ],
    },
    {
      name: 'LoadBalancer with a node selector',
      intent: kit.poolIntent('calico', [v4], {
        options: { allowedUses: ['LoadBalancer'], vxlanMode: 'Never' },
        nodeSelector: { syntax: 'calico-expression', raw: 'has(lb)' },
      }),
      error: [
        pool,
        'custom_fields.k8s_node_selector',
        'a LoadBalancer pool must select all nodes (nodeSelector all())',
      ],
    },
    {
      name: 'LoadBalancer without BGP export',
      intent: kit.poolIntent('calico', [v4], {
        options: { allowedUses: ['LoadBalancer'], vxlanMode: 'Never', disableBGPExport: true },
      }),
      error: [pool, 'custom_fields.k8s_options.disableBGPExport', 'a LoadBalancer pool cannot disable BGP export'],
    },
    {
      name: 'namespaceSelector on a Tunnel pool',
      intent: kit.poolIntent('calico', [v4], { options: { allowedUses: ['Tunnel'], namespaceSelector: 'all()' } }),
      defaults: { calicoVersion: '3.32' },
      error: [
        pool,
        'custom_fields.k8s_options.namespaceSelector',
        'a pool with allowed use Tunnel cannot have a namespaceSelector',
      ],
    },
    {
      name: 'global() selector',
      intent: kit.poolIntent('calico', [v4], { nodeSelector: { syntax: 'calico-expression', raw: 'global()' } }),
      error: [pool, 'custom_fields.k8s_node_selector', 'global() is not valid in an IPPool nodeSelector'],
    },
    {
      name: 'assignmentMode on a release without it',
      intent: kit.poolIntent('calico', [v4], { options: { assignmentMode: 'Manual' } }),
      defaults: { calicoVersion: '3.29' },
      error: [
        pool,
        'custom_fields.k8s_options.assignmentMode',
        'assignmentMode needs Calico 3.30 or newer (calicoVersion is 3.29)',
      ],
    },
    {
      name: 'link-local prefix',
      intent: kit.poolIntent('calico', [kit.prefixBlock(4, '169.254.10.0/24')]),
      error: [
        'NetBox prefix 169.254.10.0/24 (id 4)',
        undefined,
        '169.254.10.0/24 overlaps the link-local range 169.254.0.0/16',
      ],
    },
    {
      name: 'IP range whose aligned CIDR would take addresses outside its network',
      intent: kit.poolIntent('calico', [kit.rangeBlock(5, '10.80.0.10-10.80.0.12', '10.80.0.8/29')]),
      error: [
        'NetBox ip-range 10.80.0.10-10.80.0.12/29 (id 5)',
        undefined,
        'IP range 10.80.0.10-10.80.0.12 needs Calico pool CIDRs 10.80.0.0/26 aligned to /26, which reach outside its network 10.80.0.8/29 into addresses owned by others',
      ],
    },
  ])('$name', ({ intent, defaults, error: [subject, field, reason] }) => {
    const errors = [{ subject, field, reason }];
    expect(kit.rejection(kit.render(calicoAdapter, intent, defaults))).toEqual({ objects: [], assignments: 0, errors });
  });
});

describe('calico normalise, immutable fields, drain, covered ranges', () => {
  // The apiserver fills defaults in; the set-typed reservedCIDRs comes back in another order.
  const serverSide = (spec: Record<string, unknown>, desired: K8sObject) =>
    desired.kind === 'IPReservation'
      ? { reservedCIDRs: [...(spec.reservedCIDRs as string[])].reverse() }
      : {
          assignmentMode: 'Automatic',
          disabled: false,
          disableBGPExport: false,
          allowedUses: ['Workload', 'Tunnel'],
          ...spec,
        };
  it.each(kit.roundTrips(calicoAdapter, cases, serverSide))('an observed copy compares equal: $name', rt => {
    expect(rt.observed).toEqual(rt.desired);
  });

  it('compares a pool the apiserver stored without the fields that were default', () => {
    const [desired] = kit.render(calicoAdapter, cases[2]!.intent, { vxlanMode: 'Never' }).objects;
    const observed = kit.asObserved(desired!, () => ({ cidr: '10.90.0.0/25', natOutgoing: true }));
    expect(calicoAdapter.normalise(observed)).toEqual(calicoAdapter.normalise(desired!));
  });

  it('sees a changed field', () => {
    const [desired] = kit.render(calicoAdapter, cases[2]!.intent).objects;
    const observed = kit.asObserved(desired!, spec => ({ ...spec, natOutgoing: false }));
    expect(calicoAdapter.normalise(observed)).not.toEqual(calicoAdapter.normalise(desired!));
  });

  it('treats cidr and blockSize as immutable, drains by disabled, covers the CIDR', () => {
    const [pool, reservation] = kit.render(calicoAdapter, cases[0]!.intent).objects;
    expect(calicoAdapter.immutablePaths(pool!)).toEqual([
      ['spec', 'cidr'],
      ['spec', 'blockSize'],
    ]);
    expect(calicoAdapter.immutablePaths(reservation!)).toEqual([]);
    expect(calicoAdapter.drain(pool!)?.spec).toEqual({ ...(pool!.spec as object), disabled: true });
    expect(calicoAdapter.drain(reservation!)).toEqual(reservation);
    expect(calicoAdapter.coveredRanges(pool!).map(r => [r.start, r.end])).toEqual([
      [parseAddress('10.80.0.0').value, parseAddress('10.80.0.255').value],
    ]);
    expect(calicoAdapter.coveredRanges(reservation!)).toEqual([]);
  });
});

describe('calico allocations', () => {
  const [pool] = kit.render(calicoAdapter, cases[0]!.intent).objects;
  const crd = (
    version: 'crd.projectcalico.org/v1' | 'projectcalico.org/v3',
    kind: string,
    name: string,
    spec: unknown,
  ) => kit.observedObject({ apiVersion: version, kind, name, spec });
  const observed = kit.observedMap([
    pool!,
    crd('crd.projectcalico.org/v1', 'BlockAffinity', 'node-1-10-80-0-0-26', {
      state: 'confirmed',
      node: 'node-1',
      type: 'host',
      cidr: '10.80.0.0/26',
      deleted: 'false',
    }),
    crd('crd.projectcalico.org/v1', 'BlockAffinity', 'node-2-10-80-0-64-26', {
      state: 'confirmed',
      node: 'node-2',
      cidr: '10.80.0.64/26',
      deleted: 'true',
    }),
    crd('crd.projectcalico.org/v1', 'BlockAffinity', 'node-3-10-80-0-128-26', {
      state: 'pending',
      node: 'node-3',
      cidr: '10.80.0.128/26',
    }),
    crd('crd.projectcalico.org/v1', 'IPAMBlock', '10-80-0-0-26', {
      cidr: '10.80.0.0/26',
      affinity: 'host:node-1',
      allocations: [0, null, 1, 2, 3, 'x', 99],
      attributes: [
        { handle_id: 'vxlan-tunnel-addr-node-1', secondary: { node: 'node-1', type: 'vxlanTunnelAddress' } },
        { handle_id: 'k8s-pod-network.abc', secondary: { namespace: 'shop', pod: 'cart-0', node: 'node-1' } },
        {
          handle_id: 'k8s-pod-network.def',
          secondary: { namespace: 'shop', pod: 'cart-1', node: 'node-1' },
          releasedAt: '2026-01-01T00:00:00Z',
        },
        { handle_id: 'lb-1234', secondary: { namespace: 'shop', service: 'front' } },
      ],
    }),
    crd('projectcalico.org/v3', 'IPAMBlock', 'fd00-80---122', {
      cidr: 'fd00:80::/122',
      affinity: 'host:node-2',
      allocations: [null, 0],
      attributes: [{ handle_id: 'h', secondary: {} }],
    }),
    crd('crd.projectcalico.org/v1', 'IPAMBlock', 'broken', 'not a spec'),
  ]);

  it('reads per-node blocks and per-address attributes, skipping free, released and malformed entries', () => {
    expect(calicoAdapter.allocations(observed).map(kit.describeAllocation)).toEqual([
      '10.80.0.0-10.80.0.63 Node node-1 pool=calico:/pool-a (containment) node=node-1',
      'fd00:80::-fd00:80::3f Node node-2 pool=none node=node-2',
      '10.80.0.0 Node node-1 pool=calico:/pool-a (containment) node=node-1',
      '10.80.0.2 Pod shop/cart-0 pool=calico:/pool-a (containment) node=node-1',
      '10.80.0.4 Service shop/front pool=calico:/pool-a (containment) node=node-1',
      'fd00:80::1 Other h pool=none node=node-2',
    ]);
    expect(calicoAdapter.allocations(observed).map(a => a.via)).toEqual([
      'calico BlockAffinity node-1-10-80-0-0-26',
      'calico IPAMBlock fd00-80---122 spec.affinity',
      'calico IPAMBlock 10-80-0-0-26 spec.allocations[0]',
      'calico IPAMBlock 10-80-0-0-26 spec.allocations[2]',
      'calico IPAMBlock 10-80-0-0-26 spec.allocations[4]',
      'calico IPAMBlock fd00-80---122 spec.allocations[1]',
    ]);
  });

  const ippool = (name: string, cidr: string, status?: unknown) =>
    kit.observedObject({ apiVersion: 'projectcalico.org/v3', kind: 'IPPool', name, spec: { cidr }, status });
  const block = (cidr: string, allocations: unknown[]) =>
    crd('crd.projectcalico.org/v1', 'IPAMBlock', cidr.replace(/[./]/g, '-'), {
      cidr,
      affinity: 'host:node-1',
      allocations,
      attributes: [{ handle_id: 'k8s-pod-network.a', secondary: { namespace: 'shop', pod: 'p', node: 'node-1' } }],
    });
  const overlap = { conditions: [{ type: 'Allocatable', status: 'False', reason: 'CIDROverlap' }] };

  it.each<[string, K8sObject[], string[]]>([
    [
      'a block and its addresses belong to the pool holding the whole block, not to any pool holding an address',
      [ippool('narrow', '10.90.0.0/28'), ippool('wide', '10.90.0.0/16'), block('10.90.0.0/26', [0])],
      [
        '10.90.0.0-10.90.0.63 Node node-1 pool=calico:/wide (containment) node=node-1',
        '10.90.0.0 Pod shop/p pool=calico:/wide (containment) node=node-1',
      ],
    ],
    [
      'overlapping pools (v3-CRD mode): the one marked CIDROverlap is not the one Calico allocates from',
      [ippool('a-newer', '10.90.0.0/24', overlap), ippool('b-older', '10.90.0.0/24'), block('10.90.0.0/26', [0])],
      [
        '10.90.0.0-10.90.0.63 Node node-1 pool=calico:/b-older (containment) node=node-1',
        '10.90.0.0 Pod shop/p pool=calico:/b-older (containment) node=node-1',
      ],
    ],
    [
      'a block of a deleted pool belongs to no pool',
      [ippool('other', '10.91.0.0/24'), block('10.90.0.0/26', [0])],
      ['10.90.0.0-10.90.0.63 Node node-1 pool=none node=node-1', '10.90.0.0 Pod shop/p pool=none node=node-1'],
    ],
  ])('%s', (_name, objects, expected) => {
    expect(calicoAdapter.allocations(kit.observedMap(objects)).map(kit.describeAllocation)).toEqual(expected);
  });
});
