import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../model/k8s-object.ts';
import { metallbAdapter } from './metallb.ts';
import * as kit from '../../test/support/kind-fixtures.ts';

function metallb(kind: string, sources: string, spec: Record<string, unknown>): K8sObject {
  return kit.expected({
    apiVersion: 'metallb.io/v1beta1',
    kind,
    name: 'pool-a',
    namespace: 'metallb-system',
    poolKind: 'metallb',
    sources,
    spec,
  });
}

const cases: kit.RenderCase[] = [
  {
    name: 'IPv4 prefix split around a DHCP scope, with its L2Advertisement',
    intent: kit.poolIntent('metallb', [
      kit.prefixBlock(1, '10.100.0.0/27', { held: [['10.100.0.8-10.100.0.11', 'dhcp']] }),
    ]),
    objects: [
      metallb('IPAddressPool', 'prefix/1', {
        addresses: ['10.100.0.0/29', '10.100.0.12-10.100.0.31'],
        autoAssign: true,
        avoidBuggyIPs: false,
      }),
      metallb('L2Advertisement', 'prefix/1', { ipAddressPools: ['pool-a'] }),
    ],
  },
  {
    name: 'IPv6 prefix without advertisement',
    intent: kit.poolIntent('metallb', [kit.prefixBlock(2, 'fd00:100::/120')], { options: { advertisement: 'none' } }),
    objects: [
      metallb('IPAddressPool', 'prefix/2', { addresses: ['fd00:100::/120'], autoAssign: true, avoidBuggyIPs: false }),
    ],
  },
  {
    name: 'IPv4 IP range as a start-end entry',
    intent: kit.poolIntent('metallb', [kit.rangeBlock(3, '10.110.0.10-10.110.0.20', '10.110.0.0/24')]),
    objects: [
      metallb('IPAddressPool', 'ip-range/3', {
        addresses: ['10.110.0.10-10.110.0.20'],
        autoAssign: true,
        avoidBuggyIPs: false,
      }),
      metallb('L2Advertisement', 'ip-range/3', { ipAddressPools: ['pool-a'] }),
    ],
  },
  {
    name: 'IPv6 IP range split around a held address',
    intent: kit.poolIntent('metallb', [
      kit.rangeBlock(4, 'fd00:110::10-fd00:110::1f', 'fd00:110::/64', { held: [['fd00:110::15', 'router']] }),
    ]),
    objects: [
      metallb('IPAddressPool', 'ip-range/4', {
        addresses: ['fd00:110::10-fd00:110::14', 'fd00:110::16-fd00:110::1f'],
        autoAssign: true,
        avoidBuggyIPs: false,
      }),
      metallb('L2Advertisement', 'ip-range/4', { ipAddressPools: ['pool-a'] }),
    ],
  },
  {
    name: 'several IPv4 objects: namespaces, priority, node selector and interfaces',
    intent: kit.poolIntent(
      'metallb',
      [kit.prefixBlock(5, '10.120.0.0/28'), kit.rangeBlock(6, '10.120.1.10-10.120.1.20', '10.120.1.0/24')],
      {
        namespaces: ['team-a', 'team-b'],
        nodeSelector: {
          syntax: 'labels',
          raw: 'zone in (a)',
          requirements: [{ key: 'zone', operator: 'In', values: ['a'] }],
        },
        options: { serviceAllocation: { priority: 10 }, l2Advertisement: { interfaces: ['eth1'] } },
      },
    ),
    objects: [
      metallb('IPAddressPool', 'ip-range/6,prefix/5', {
        addresses: ['10.120.0.0/28', '10.120.1.10-10.120.1.20'],
        autoAssign: true,
        avoidBuggyIPs: false,
        serviceAllocation: { namespaces: ['team-a', 'team-b'], priority: 10 },
      }),
      metallb('L2Advertisement', 'ip-range/6,prefix/5', {
        interfaces: ['eth1'],
        ipAddressPools: ['pool-a'],
        nodeSelectors: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }],
      }),
    ],
  },
  {
    name: 'several IPv6 prefixes announced over BGP',
    intent: kit.poolIntent('metallb', [kit.prefixBlock(7, 'fd00:120::/124'), kit.prefixBlock(8, 'fd00:121::/124')], {
      options: {
        advertisement: 'bgp',
        bgpAdvertisement: { aggregationLengthV6: 124, communities: ['65000:100'], localPref: 100 },
      },
    }),
    objects: [
      metallb('IPAddressPool', 'prefix/7,prefix/8', {
        addresses: ['fd00:120::/124', 'fd00:121::/124'],
        autoAssign: true,
        avoidBuggyIPs: false,
      }),
      metallb('BGPAdvertisement', 'prefix/7,prefix/8', {
        aggregationLengthV6: 124,
        communities: ['65000:100'],
        ipAddressPools: ['pool-a'],
        localPref: 100,
      }),
    ],
  },
];

describe('metallb render', () => {
  it.each(cases)('$name', c => {
    expect(kit.render(metallbAdapter, c.intent, c.defaults)).toEqual(kit.expectedResult(c));
  });

  it('drains by turning autoAssign off and leaves the advertisement alone', () => {
    const intent = kit.poolIntent('metallb', [kit.prefixBlock(1, '10.100.0.0/28')], { state: 'draining' });
    expect(kit.render(metallbAdapter, intent)).toEqual({
      objects: [
        metallb('IPAddressPool', 'prefix/1', {
          addresses: ['10.100.0.0/28'],
          autoAssign: false,
          avoidBuggyIPs: false,
        }),
        metallb('L2Advertisement', 'prefix/1', { ipAddressPools: ['pool-a'] }),
      ],
      namespaceAssignments: [],
      issues: [],
    });
  });

  it('takes avoidBuggyIPs and autoAssign from config defaults', () => {
    const result = kit.render(metallbAdapter, kit.poolIntent('metallb', [kit.prefixBlock(1, '10.100.0.0/28')]), {
      autoAssign: false,
      avoidBuggyIPs: true,
      advertisement: 'none',
    });
    expect(result.objects.map(o => o.spec)).toEqual([
      { addresses: ['10.100.0.0/28'], autoAssign: false, avoidBuggyIPs: true },
    ]);
  });
});

describe('metallb invalid input', () => {
  it.each([
    {
      name: 'a namespace other than MetalLB’s own',
      intent: kit.poolIntent('metallb', [kit.prefixBlock(1, '10.100.0.0/28')], { namespace: 'default' }),
      error: {
        subject: 'metallb pool default/pool-a',
        field: 'custom_fields.k8s_namespace',
        reason: 'MetalLB only accepts pools in its own namespace metallb-system',
      },
    },
    {
      name: 'BGP settings on an L2 pool',
      intent: kit.poolIntent('metallb', [kit.prefixBlock(1, '10.100.0.0/28')], {
        options: { bgpAdvertisement: { localPref: 50 } },
      }),
      error: {
        subject: 'metallb pool pool-a',
        field: 'custom_fields.k8s_options.bgpAdvertisement',
        reason: 'bgpAdvertisement is set but advertisement is "l2"',
      },
    },
    {
      name: 'every address held in NetBox',
      intent: kit.poolIntent('metallb', [kit.prefixBlock(1, '10.100.0.0/30', { held: [['10.100.0.0/30', 'static']] })]),
      error: {
        subject: 'metallb pool pool-a',
        field: undefined,
        reason: 'every address of the pool is held in NetBox: nothing left to hand out',
      },
    },
    {
      name: 'a Calico selector expression',
      intent: kit.poolIntent('metallb', [kit.prefixBlock(1, '10.100.0.0/28')], {
        nodeSelector: { syntax: 'calico-expression', raw: "zone == 'a'" },
      }),
      error: {
        subject: 'metallb pool pool-a',
        field: 'custom_fields.k8s_node_selector',
        reason: 'metallb pools need a Kubernetes label selector, got a Calico expression',
      },
    },
    {
      name: 'namespaces given as an option instead of k8s_namespaces',
      intent: kit.poolIntent('metallb', [kit.prefixBlock(1, '10.100.0.0/28')], {
        options: { serviceAllocation: { namespaces: ['team-a'] } },
      }),
      error: {
        subject: 'metallb pool pool-a',
        field: 'custom_fields.k8s_options.serviceAllocation.namespaces',
        reason: 'unknown metallb option "serviceAllocation.namespaces"',
      },
    },
    {
      name: 'a wrongly typed option',
      intent: kit.poolIntent('metallb', [kit.prefixBlock(1, '10.100.0.0/28')], { options: { autoAssign: 'yes' } }),
      error: {
        subject: 'metallb pool pool-a',
        field: 'custom_fields.k8s_options.autoAssign',
        reason: 'invalid value for metallb option "autoAssign": Invalid input: expected boolean, received string',
      },
    },
  ])('$name', ({ intent, error }) => {
    expect(kit.rejection(kit.render(metallbAdapter, intent))).toEqual({ objects: [], assignments: 0, errors: [error] });
  });
});

describe('metallb normalise, drain, covered ranges', () => {
  const [pool, advertisement] = kit.render(metallbAdapter, cases[5]!.intent).objects;

  it('strips server fields and MetalLB defaults so the observed objects compare equal', () => {
    const observedPool = kit.asObserved(pool!, spec => ({ ...spec, autoAssign: true, avoidBuggyIPs: false }), {
      assignedIPv4: 0,
      assignedIPv6: 1,
      availableIPv4: 0,
      availableIPv6: 31,
    });
    const observedAdvertisement = kit.asObserved(advertisement!, spec => ({ aggregationLength: 32, ...spec }));
    expect(metallbAdapter.normalise(observedPool)).toEqual(metallbAdapter.normalise(pool!));
    expect(metallbAdapter.normalise(observedAdvertisement)).toEqual(metallbAdapter.normalise(advertisement!));
  });

  it('compares a pool stored without the defaulted fields (written by an older or other client) as equal', () => {
    const bare = kit.asObserved(pool!, spec => ({ addresses: spec.addresses }));
    expect(metallbAdapter.normalise(bare)).toEqual(metallbAdapter.normalise(pool!));
  });

  it('keeps a non-default value', () => {
    const drained = metallbAdapter.drain(pool!)!;
    expect(drained.spec).toMatchObject({ autoAssign: false });
    expect(metallbAdapter.normalise(drained).spec).toEqual({
      addresses: ['fd00:120::/124', 'fd00:121::/124'],
      autoAssign: false,
    });
    expect(metallbAdapter.drain(advertisement!)).toEqual(advertisement);
  });

  it('has nothing immutable', () => {
    expect(metallbAdapter.immutablePaths(pool!)).toEqual([]);
  });

  it('reads CIDRs with host bits and spaced ranges as MetalLB does', () => {
    const observed = kit.observedObject({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      name: 'x',
      namespace: 'metallb-system',
      spec: { addresses: ['10.0.0.5/30', '10.0.1.1 - 10.0.1.3', 'nonsense', 42] },
    });
    expect(metallbAdapter.coveredRanges(observed).map(kit.describeRange)).toEqual([
      '10.0.0.4-10.0.0.7',
      '10.0.1.1-10.0.1.3',
    ]);
  });
});

describe('metallb allocations', () => {
  const [pool] = kit.render(metallbAdapter, kit.poolIntent('metallb', [kit.prefixBlock(1, '10.100.0.0/28')])).objects;
  const service = (namespace: string, name: string, annotations: Record<string, string>, status: unknown) => {
    const s = kit.observedObject({ apiVersion: 'v1', kind: 'Service', name, namespace, status });
    s.metadata.annotations = annotations;
    return s;
  };
  const observed = kit.observedMap([
    pool!,
    service(
      'team-a',
      'web',
      { 'metallb.io/ip-allocated-from-pool': 'pool-a' },
      { loadBalancer: { ingress: [{ ip: '10.100.0.5' }, { ip: 'fd00:100::5' }, { hostname: 'lb.example.net' }] } },
    ),
    service(
      'team-b',
      'legacy',
      { 'metallb.universe.tf/ip-allocated-from-pool': 'other' },
      { loadBalancer: { ingress: [{ ip: '192.0.2.7' }] } },
    ),
    service('team-c', 'unannotated', {}, { loadBalancer: { ingress: [{ ip: '10.100.0.6' }] } }),
    service('team-c', 'outside', {}, { loadBalancer: { ingress: [{ ip: '10.200.0.6' }] } }),
    service('team-d', 'broken', { 'metallb.io/ip-allocated-from-pool': 'pool-a' }, 'not a status'),
  ]);
  const otherClass = service('team-e', 'cilium-lb', {}, { loadBalancer: { ingress: [{ ip: '10.100.0.7' }] } });
  otherClass.spec = { type: 'LoadBalancer', loadBalancerClass: 'io.cilium/l2-announcer' };

  it('reads ingress IPs of services MetalLB annotated, under either annotation prefix', () => {
    expect(metallbAdapter.allocations(observed).map(kit.describeAllocation)).toEqual([
      '10.100.0.5 Service team-a/web pool=metallb:metallb-system/pool-a',
      'fd00:100::5 Service team-a/web pool=metallb:metallb-system/pool-a',
      '192.0.2.7 Service team-b/legacy pool=metallb:/other',
      '10.100.0.6 Service team-c/unannotated pool=metallb:metallb-system/pool-a (containment)',
    ]);
    expect(metallbAdapter.allocations(observed)[2]!.via).toBe(
      'metallb Service team-b/legacy status.loadBalancer.ingress (metallb.universe.tf/ip-allocated-from-pool)',
    );
  });

  it('finds the pool of an unannotated service by containment, so a pool in use never looks free', () => {
    const found = metallbAdapter.allocations(observed).find(a => a.owner.name === 'unannotated');
    expect(found?.via).toBe(
      'metallb Service team-c/unannotated status.loadBalancer.ingress (no pool annotation; pool by containment)',
    );
  });

  it("leaves a service of another load-balancer class alone, even inside a MetalLB pool's range", () => {
    const withOther = kit.observedMap([pool!, otherClass]);
    expect(metallbAdapter.allocations(withOther)).toEqual([]);
  });

  const lbPool = (name: string, namespace: string, addresses: string[]) =>
    kit.observedObject({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      name,
      namespace,
      spec: { addresses },
    });
  const annotated = (name: string, pool: string, ip: string) =>
    service('apps', name, { 'metallb.io/ip-allocated-from-pool': pool }, { loadBalancer: { ingress: [{ ip }] } });

  it.each<[string, K8sObject[], string[]]>([
    [
      'the annotation decides, not the addresses: two pools with the same addresses (two VRFs) stay apart',
      [
        lbPool('red', 'metallb-system', ['192.0.2.0/28']),
        lbPool('blue', 'metallb-system', ['192.0.2.0/28']),
        annotated('a', 'blue', '192.0.2.5'),
        annotated('b', 'red', '192.0.2.5'),
        annotated('c', 'blue', '192.0.2.6'),
      ],
      [
        '192.0.2.5 Service apps/a pool=metallb:metallb-system/blue',
        '192.0.2.5 Service apps/b pool=metallb:metallb-system/red',
        '192.0.2.6 Service apps/c pool=metallb:metallb-system/blue',
      ],
    ],
    [
      'a pool name in two namespaces: the one holding the address',
      [
        lbPool('lb', 'elsewhere', ['198.51.100.0/28']),
        lbPool('lb', 'metallb-system', ['192.0.2.0/28']),
        annotated('a', 'lb', '192.0.2.5'),
      ],
      ['192.0.2.5 Service apps/a pool=metallb:metallb-system/lb'],
    ],
  ])('%s', (_name, objects, expected) => {
    expect(metallbAdapter.allocations(kit.observedMap(objects)).map(kit.describeAllocation)).toEqual(expected);
  });
});
