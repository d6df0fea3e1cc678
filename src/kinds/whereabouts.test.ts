import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../model/k8s-object.ts';
import * as kit from '../../test/support/kind-fixtures.ts';
import { whereaboutsAdapter } from './whereabouts.ts';

const TEMPLATE = { template: { type: 'macvlan', master: 'ens8f0', mode: 'bridge' } };
const VRF = { id: 7, name: 'Tenant A', rd: '65000:7', slug: 'tenant-a' };

/** The NAD as rendered; `config` is the CNI JSON with keys written in sorted order, as the adapter must emit. */
function nad(sources: string, config: Record<string, unknown>, namespace = 'default'): K8sObject {
  return kit.expected({
    apiVersion: 'k8s.cni.cncf.io/v1',
    kind: 'NetworkAttachmentDefinition',
    name: 'pool-a',
    namespace,
    poolKind: 'whereabouts',
    sources,
    spec: { config: JSON.stringify(config) },
  });
}

const cases: kit.RenderCase[] = [
  {
    name: 'IPv4 prefix: held addresses, network and broadcast excluded, gateway, VRF as network_name',
    intent: kit.poolIntent(
      'whereabouts',
      [
        kit.prefixBlock(1, '10.20.0.0/24', {
          held: [
            ['10.20.0.1', 'ip-address 10.20.0.1/24 (gateway)'],
            ['10.20.0.200-10.20.0.250', 'ip-range 10.20.0.200-250/24 (dhcp)'],
          ],
          gateway: '10.20.0.1',
        }),
      ],
      { vrf: VRF },
    ),
    objects: [
      nad('prefix/1', {
        cniVersion: '1.0.0',
        ipam: {
          exclude: [
            '10.20.0.0/31',
            '10.20.0.200/29',
            '10.20.0.208/28',
            '10.20.0.224/28',
            '10.20.0.240/29',
            '10.20.0.248/31',
            '10.20.0.250/32',
            '10.20.0.255/32',
          ],
          gateway: '10.20.0.1',
          network_name: 'tenant-a',
          range: '10.20.0.0/24',
          type: 'whereabouts',
        },
        master: 'ens8f0',
        mode: 'bridge',
        name: 'pool-a',
        type: 'macvlan',
      }),
    ],
  },
  {
    name: 'IPv6 prefix: no network or broadcast to exclude',
    intent: kit.poolIntent('whereabouts', [
      kit.prefixBlock(2, 'fd00:20::/120', { held: [['fd00:20::1', 'gateway']], gateway: 'fd00:20::1' }),
    ]),
    objects: [
      nad('prefix/2', {
        cniVersion: '1.0.0',
        ipam: { exclude: ['fd00:20::1/128'], gateway: 'fd00:20::1', range: 'fd00:20::/120', type: 'whereabouts' },
        master: 'ens8f0',
        mode: 'bridge',
        name: 'pool-a',
        type: 'macvlan',
      }),
    ],
  },
  {
    name: 'IPv4 IP range: parent network with range_start/range_end',
    intent: kit.poolIntent(
      'whereabouts',
      [kit.rangeBlock(3, '10.30.0.10-10.30.0.100', '10.30.0.0/24', { held: [['10.30.0.50', 'static server']] })],
      { namespace: 'team-a' },
    ),
    objects: [
      nad(
        'ip-range/3',
        {
          cniVersion: '1.0.0',
          ipam: {
            exclude: ['10.30.0.50/32'],
            range: '10.30.0.0/24',
            range_end: '10.30.0.100',
            range_start: '10.30.0.10',
            type: 'whereabouts',
          },
          master: 'ens8f0',
          mode: 'bridge',
          name: 'pool-a',
          type: 'macvlan',
        },
        'team-a',
      ),
    ],
  },
  {
    name: 'IPv6 IP range in a /64: rendered, with a warning that only the first /65 is reachable',
    intent: kit.poolIntent('whereabouts', [kit.rangeBlock(4, 'fd00:30::100-fd00:30::1ff', 'fd00:30::/64')]),
    objects: [
      nad('ip-range/4', {
        cniVersion: '1.0.0',
        ipam: { range: 'fd00:30::/64', range_end: 'fd00:30::1ff', range_start: 'fd00:30::100', type: 'whereabouts' },
        master: 'ens8f0',
        mode: 'bridge',
        name: 'pool-a',
        type: 'macvlan',
      }),
    ],
    issues: [
      {
        severity: 'warning',
        subject: {
          type: 'netbox',
          model: 'ip-range',
          id: 4,
          display: 'fd00:30::100-fd00:30::1ff/64',
          url: 'https://netbox.example.net/api/ipam/ip-ranges/4/',
        },
        reason: 'Whereabouts reaches only the first /65 of fd00:30::/64',
      },
    ],
  },
  {
    name: 'several IPv4 IP ranges in one network: one range, the gap between them excluded',
    intent: kit.poolIntent('whereabouts', [
      kit.rangeBlock(5, '10.40.0.10-10.40.0.19', '10.40.0.0/24'),
      kit.rangeBlock(6, '10.40.0.30-10.40.0.39', '10.40.0.0/24', { held: [['10.40.0.35', 'printer']] }),
    ]),
    objects: [
      nad('ip-range/5,ip-range/6', {
        cniVersion: '1.0.0',
        ipam: {
          exclude: ['10.40.0.20/30', '10.40.0.24/30', '10.40.0.28/31', '10.40.0.35/32'],
          range: '10.40.0.0/24',
          range_end: '10.40.0.39',
          range_start: '10.40.0.10',
          type: 'whereabouts',
        },
        master: 'ens8f0',
        mode: 'bridge',
        name: 'pool-a',
        type: 'macvlan',
      }),
    ],
  },
  {
    name: 'several IPv6 IP ranges in one network',
    intent: kit.poolIntent('whereabouts', [
      kit.rangeBlock(7, 'fd00:40::10-fd00:40::1f', 'fd00:40::/120'),
      kit.rangeBlock(8, 'fd00:40::40-fd00:40::4f', 'fd00:40::/120'),
    ]),
    objects: [
      nad('ip-range/7,ip-range/8', {
        cniVersion: '1.0.0',
        ipam: {
          exclude: ['fd00:40::20/123'],
          range: 'fd00:40::/120',
          range_end: 'fd00:40::4f',
          range_start: 'fd00:40::10',
          type: 'whereabouts',
        },
        master: 'ens8f0',
        mode: 'bridge',
        name: 'pool-a',
        type: 'macvlan',
      }),
    ],
  },
  {
    name: 'dual stack: one ipRanges entry per family, options laid over the defaults',
    intent: kit.poolIntent('whereabouts', [kit.prefixBlock(9, '10.50.0.0/30'), kit.prefixBlock(10, 'fd00:50::/126')], {
      options: { cniVersion: '0.3.1', excludeNetworkAndBroadcast: false, enable_overlapping_ranges: false },
    }),
    objects: [
      nad('prefix/9,prefix/10', {
        cniVersion: '0.3.1',
        ipam: {
          enable_overlapping_ranges: false,
          ipRanges: [{ range: '10.50.0.0/30' }, { range: 'fd00:50::/126' }],
          type: 'whereabouts',
        },
        master: 'ens8f0',
        mode: 'bridge',
        name: 'pool-a',
        type: 'macvlan',
      }),
    ],
  },
];

describe('whereabouts render', () => {
  it.each(cases)('$name', c => {
    expect(kit.render(whereaboutsAdapter, c.intent, c.defaults ?? TEMPLATE)).toEqual(kit.expectedResult(c));
  });

  it('renders a draining pool unchanged and warns that Whereabouts cannot drain', () => {
    const active = kit.render(
      whereaboutsAdapter,
      kit.poolIntent('whereabouts', [kit.prefixBlock(1, '10.20.0.0/24')]),
      TEMPLATE,
    );
    const draining = kit.render(
      whereaboutsAdapter,
      kit.poolIntent('whereabouts', [kit.prefixBlock(1, '10.20.0.0/24')], { state: 'draining' }),
      TEMPLATE,
    );
    expect(draining.objects).toEqual(active.objects);
    expect(draining.issues.map(i => [i.severity, i.reason])).toEqual([
      [
        'warning',
        'cannot drain: Whereabouts has no way to stop allocating from a range; pods using the network keep getting addresses',
      ],
    ]);
  });

  it('warns that namespaces, node selectors and block sizes do not apply, and still renders', () => {
    const result = kit.render(
      whereaboutsAdapter,
      kit.poolIntent('whereabouts', [kit.prefixBlock(1, '10.20.0.0/24')], {
        namespaces: ['team-a'],
        blockSize: 26,
        nodeSelector: { syntax: 'labels', raw: 'gpu', requirements: [{ key: 'gpu', operator: 'Exists', values: [] }] },
      }),
    );
    expect(result.objects).toHaveLength(1);
    expect(result.issues.map(i => [i.severity, i.field])).toEqual([
      ['warning', 'custom_fields.k8s_node_selector'],
      ['warning', 'custom_fields.k8s_block_size'],
      ['warning', 'custom_fields.k8s_namespaces'],
    ]);
  });
});

describe('whereabouts gateway', () => {
  it('passes one gateway, the IPv4 one in a dual-stack pool, and warns about the other', () => {
    const intent = kit.poolIntent('whereabouts', [
      kit.prefixBlock(2, 'fd00:50::/126', { gateway: 'fd00:50::1' }),
      kit.prefixBlock(1, '10.50.0.0/30', { gateway: '10.50.0.1' }),
    ]);
    const result = kit.render(whereaboutsAdapter, intent);
    const { ipam } = JSON.parse(String((result.objects[0]!.spec as { config: string }).config)) as {
      ipam: { gateway: string };
    };
    expect(ipam.gateway).toBe('10.50.0.1');
    expect(result.issues.map(i => i.reason)).toEqual([
      'Whereabouts takes one gateway: using 10.50.0.1, ignoring fd00:50::1',
    ]);
  });
});

describe('whereabouts CNI template', () => {
  it.each([
    { template: undefined, config: { mode: 'bridge', type: 'macvlan' } },
    { template: { master: 'ens8f1' }, config: { master: 'ens8f1', mode: 'bridge', type: 'macvlan' } },
    { template: { type: 'ipvlan', master: 'ens8f1' }, config: { master: 'ens8f1', type: 'ipvlan' } },
    { template: { type: 'macvlan', mode: 'vepa', mtu: 9000 }, config: { mode: 'vepa', mtu: 9000, type: 'macvlan' } },
  ])('config template $template', ({ template, config }) => {
    const defaults = template === undefined ? {} : { template };
    const [nad] = kit.render(
      whereaboutsAdapter,
      kit.poolIntent('whereabouts', [kit.prefixBlock(1, '10.0.0.0/31')]),
      defaults,
    ).objects;
    const {
      ipam: _ipam,
      cniVersion: _v,
      name: _n,
      ...plugin
    } = JSON.parse(String((nad!.spec as { config: string }).config)) as Record<string, unknown>;
    expect(plugin).toEqual(config);
  });
});

describe('whereabouts invalid input', () => {
  it.each([
    {
      name: 'two IPv4 networks in one pool (a pod would get an address from each)',
      intent: kit.poolIntent('whereabouts', [kit.prefixBlock(1, '10.20.0.0/24'), kit.prefixBlock(2, '10.21.0.0/24')]),
      issue: {
        subject: 'NetBox prefix 10.21.0.0/24 (id 2)',
        field: undefined,
        reason: 'a Whereabouts pool holds one network per address family, and this pool already has 10.20.0.0/24',
      },
    },
    {
      name: 'unknown option',
      intent: kit.poolIntent('whereabouts', [kit.prefixBlock(1, '10.20.0.0/24')], {
        options: { rangeStart: '10.20.0.5' },
      }),
      issue: {
        subject: 'whereabouts pool pool-a',
        field: 'custom_fields.k8s_options.rangeStart',
        reason: 'unknown whereabouts option "rangeStart"',
      },
    },
    {
      name: 'template that tries to set the IPAM block',
      intent: kit.poolIntent('whereabouts', [kit.prefixBlock(1, '10.20.0.0/24')], {
        options: { template: { type: 'macvlan', ipam: { type: 'static' } } },
      }),
      issue: {
        subject: 'whereabouts pool pool-a',
        field: 'custom_fields.k8s_options.template',
        reason: 'invalid value for whereabouts option "template": must not set cniVersion, name, ipam',
      },
    },
    {
      name: 'route that is not a CIDR',
      intent: kit.poolIntent('whereabouts', [kit.prefixBlock(1, '10.20.0.0/24')], {
        options: { routes: [{ dst: 'default' }] },
      }),
      issue: {
        subject: 'whereabouts pool pool-a',
        field: 'custom_fields.k8s_options.routes.0.dst',
        reason: 'invalid value for whereabouts option "routes.0.dst": expected a CIDR such as 10.0.0.0/8',
      },
    },
    {
      // Whereabouts silently drops a range_start/range_end outside its usable addresses and would then hand out
      // the whole network, NetBox-held addresses and all.
      name: 'IPv4 IP range that is only the broadcast address',
      intent: kit.poolIntent('whereabouts', [kit.rangeBlock(3, '10.60.0.255-10.60.0.255', '10.60.0.0/24')]),
      issue: {
        subject: 'NetBox ip-range 10.60.0.255-10.60.0.255/24 (id 3)',
        field: undefined,
        reason:
          'Whereabouts hands out only 10.60.0.1-10.60.0.254 of 10.60.0.0/24 and ignores a range_start/range_end outside it, so this pool would get the whole network',
      },
    },
    {
      name: 'IPv6 IP range that is only the network address',
      intent: kit.poolIntent('whereabouts', [kit.rangeBlock(4, 'fd00:60::-fd00:60::', 'fd00:60::/120')]),
      issue: {
        subject: 'NetBox ip-range fd00:60::-fd00:60::/120 (id 4)',
        field: undefined,
        reason:
          'Whereabouts hands out only fd00:60::1-fd00:60::fe of fd00:60::/120 and ignores a range_start/range_end outside it, so this pool would get the whole network',
      },
    },
  ])('$name', ({ intent, issue }) => {
    expect(kit.rejection(kit.render(whereaboutsAdapter, intent))).toEqual({
      objects: [],
      assignments: 0,
      errors: [issue],
    });
  });
});

describe('whereabouts normalise', () => {
  // Another writer: the same CNI config with reversed key order and indentation.
  const reformatted = (spec: Record<string, unknown>) => {
    const config = JSON.parse(String(spec.config)) as Record<string, unknown>;
    return { config: JSON.stringify(Object.fromEntries(Object.entries(config).reverse()), null, 2) };
  };
  const withTemplate = cases.map(c => ({ ...c, defaults: TEMPLATE }));
  it.each(kit.roundTrips(whereaboutsAdapter, withTemplate, reformatted))(
    'an observed copy compares equal: $name',
    rt => {
      expect(rt.observed).toEqual(rt.desired);
    },
  );

  it('has no immutable fields and no drain', () => {
    const [desired] = kit.render(
      whereaboutsAdapter,
      kit.poolIntent('whereabouts', [kit.prefixBlock(1, '10.20.0.0/24')]),
    ).objects;
    expect(whereaboutsAdapter.immutablePaths(desired!)).toEqual([]);
    expect(whereaboutsAdapter.drain(desired!)).toBeNull();
  });
});

describe('whereabouts coveredRanges', () => {
  it.each([
    {
      name: 'range minus excludes',
      config: { ipam: { type: 'whereabouts', range: '10.0.0.0/29', exclude: ['10.0.0.0/30'] } },
      covered: ['10.0.0.4-10.0.0.7'],
    },
    {
      name: 'host bits and limits',
      config: { ipam: { type: 'whereabouts', range: '10.0.0.5/29', range_start: '10.0.0.2', range_end: '10.0.0.3' } },
      covered: ['10.0.0.2-10.0.0.3'],
    },
    {
      name: 'legacy A-B/len form',
      config: { ipam: { type: 'whereabouts', range: '10.0.0.2-10.0.0.4/29' } },
      covered: ['10.0.0.2-10.0.0.4'],
    },
    {
      name: 'ipRanges',
      config: { ipam: { type: 'whereabouts', ipRanges: [{ range: 'fd00::/126' }, { range: '10.0.0.0/31' }] } },
      covered: ['10.0.0.0-10.0.0.1', 'fd00::-fd00::3'],
    },
    { name: 'another IPAM plugin', config: { ipam: { type: 'host-local', range: '10.0.0.0/29' } }, covered: [] },
    { name: 'unparsable config', config: '{not json', covered: [] },
  ])('$name', ({ config, covered }) => {
    const obj = kit.observedObject({
      apiVersion: 'k8s.cni.cncf.io/v1',
      kind: 'NetworkAttachmentDefinition',
      name: 'n',
      namespace: 'default',
      spec: { config: typeof config === 'string' ? config : JSON.stringify(config) },
    });
    expect(whereaboutsAdapter.coveredRanges(obj).map(r => kit.describeRange(r))).toEqual(covered);
  });
});

describe('whereabouts allocations', () => {
  const [tenantNad] = kit.render(
    whereaboutsAdapter,
    kit.poolIntent('whereabouts', [kit.prefixBlock(1, '10.20.0.0/24')], { namespace: 'team-a', vrf: VRF }),
  ).objects;
  const [plainNad] = kit.render(
    whereaboutsAdapter,
    kit.poolIntent('whereabouts', [kit.prefixBlock(2, 'fd00:20::/120')], { name: 'plain' }),
  ).objects;
  const ippool = (name: string, spec: unknown) =>
    kit.observedObject({
      apiVersion: 'whereabouts.cni.cncf.io/v1alpha1',
      kind: 'IPPool',
      name,
      namespace: 'kube-system',
      spec,
    });
  const reservation = (name: string, spec: unknown) =>
    kit.observedObject({
      apiVersion: 'whereabouts.cni.cncf.io/v1alpha1',
      kind: 'OverlappingRangeIPReservation',
      name,
      namespace: 'kube-system',
      spec,
    });
  const observed = kit.observedMap([
    tenantNad!,
    plainNad!,
    ippool('tenant-a-10.20.0.0-24', {
      range: '10.20.0.0/24',
      allocations: {
        '5': { id: 'c0ffee', podref: 'team-a/web-0', ifname: 'net1' },
        '300': { id: 'beyond', podref: 'team-a/web-9' },
        x: { id: 'not-an-offset', podref: 'team-a/web-9' },
        '7': { id: 'no-namespace', podref: 'web-7' },
      },
    }),
    ippool('fd00-20---120', { range: 'fd00:20::/120', allocations: { '16': { id: 'feed', podref: 'team-b/db-0' } } }),
    ippool('broken', 'not a spec'),
    reservation('tenant-a-10.20.0.5', { podref: 'team-a/web-0', ifname: 'net1' }),
    reservation('tenant-a-10.20.0.9', { podref: 'team-a/web-1', ifname: 'net1' }),
    reservation('fd00-20--11', { podref: 'team-b/db-1' }),
    reservation('garbage', { podref: 'team-b/x' }),
  ]);

  it('reads IPPool offsets and reservations, attributes them to our NADs, skips malformed entries', () => {
    expect(whereaboutsAdapter.allocations(observed).map(kit.describeAllocation)).toEqual([
      '10.20.0.5 Pod team-a/web-0 pool=whereabouts:team-a/pool-a if=net1',
      'fd00:20::10 Pod team-b/db-0 pool=whereabouts:default/plain',
      '10.20.0.9 Pod team-a/web-1 pool=whereabouts:team-a/pool-a if=net1',
      'fd00:20::11 Pod team-b/db-1 pool=whereabouts:default/plain',
    ]);
  });

  it('says where each allocation was read', () => {
    expect(whereaboutsAdapter.allocations(observed).map(a => a.via)).toEqual([
      'whereabouts IPPool kube-system/tenant-a-10.20.0.0-24 spec.allocations',
      'whereabouts IPPool kube-system/fd00-20---120 spec.allocations',
      'whereabouts OverlappingRangeIPReservation kube-system/tenant-a-10.20.0.9',
      'whereabouts OverlappingRangeIPReservation kube-system/fd00-20--11',
    ]);
  });

  it('counts offsets from the address written in spec.range, as Whereabouts does, even with host bits set', () => {
    const handMade = kit.observedMap([
      tenantNad!,
      ippool('tenant-a-10.20.0.0-24', {
        range: '10.20.0.3/24',
        allocations: {
          '2': { id: 'a', podref: 'team-a/web-2' },
          '250': { id: 'b', podref: 'team-a/web-3' },
          '253': { id: 'c', podref: 'team-a/web-4' },
        },
      }),
    ]);
    expect(whereaboutsAdapter.allocations(handMade).map(kit.describeAllocation)).toEqual([
      '10.20.0.5 Pod team-a/web-2 pool=whereabouts:team-a/pool-a',
      '10.20.0.253 Pod team-a/web-3 pool=whereabouts:team-a/pool-a',
    ]);
  });

  it('returns nothing for an empty cluster', () => {
    expect(whereaboutsAdapter.allocations(new Map())).toEqual([]);
  });

  const nad = (name: string, ipam: Record<string, unknown>, namespace = 'apps') =>
    kit.observedObject({
      apiVersion: 'k8s.cni.cncf.io/v1',
      kind: 'NetworkAttachmentDefinition',
      name,
      namespace,
      spec: {
        config: JSON.stringify({ cniVersion: '1.0.0', name, type: 'macvlan', ipam: { type: 'whereabouts', ...ipam } }),
      },
    });
  const holds = (...offsets: number[]) =>
    Object.fromEntries(offsets.map(o => [String(o), { id: `c${o}`, podref: `apps/pod-${o}` }]));

  it.each<[string, K8sObject[], string[]]>([
    [
      'the same range under two network names (two VRFs): each IPPool belongs to its own NAD only',
      [
        nad('red', { range: '10.40.0.0/24', network_name: 'red' }),
        nad('blue', { range: '10.40.0.0/24', network_name: 'blue' }),
        ippool('red-10.40.0.0-24', { range: '10.40.0.0/24', allocations: holds(5, 6) }),
        ippool('blue-10.40.0.0-24', { range: '10.40.0.0/24', allocations: holds(5, 6, 7, 8) }),
      ],
      [
        '10.40.0.5 Pod apps/pod-5 pool=whereabouts:apps/red',
        '10.40.0.6 Pod apps/pod-6 pool=whereabouts:apps/red',
        '10.40.0.5 Pod apps/pod-5 pool=whereabouts:apps/blue',
        '10.40.0.6 Pod apps/pod-6 pool=whereabouts:apps/blue',
        '10.40.0.7 Pod apps/pod-7 pool=whereabouts:apps/blue',
        '10.40.0.8 Pod apps/pod-8 pool=whereabouts:apps/blue',
      ],
    ],
    [
      'an IPPool named for the range alone is not a network-named NAD’s, though it holds its addresses',
      [
        nad('red', { range: '10.40.0.0/24', network_name: 'red' }),
        ippool('10.40.0.0-24', { range: '10.40.0.0/24', allocations: holds(5) }),
      ],
      ['10.40.0.5 Pod apps/pod-5 pool=none'],
    ],
    [
      'an IPPool of a range no NAD has any more (the range changed) holds no NAD',
      [
        nad('red', { range: '10.40.0.0/23', network_name: 'red' }),
        ippool('red-10.40.0.0-24', { range: '10.40.0.0/24', allocations: holds(5) }),
      ],
      ['10.40.0.5 Pod apps/pod-5 pool=none'],
    ],
    [
      'two NADs sharing one IPPool (one network name and range): each address to the NAD whose span hands it out',
      [
        nad('low', { range: '10.40.0.0/24', range_start: '10.40.0.10', range_end: '10.40.0.49' }),
        nad('high', { range: '10.40.0.0/24', range_start: '10.40.0.50', range_end: '10.40.0.99' }, 'other'),
        ippool('10.40.0.0-24', { range: '10.40.0.0/24', allocations: holds(10, 60) }),
      ],
      [
        '10.40.0.10 Pod apps/pod-10 pool=whereabouts:apps/low',
        '10.40.0.60 Pod apps/pod-60 pool=whereabouts:other/high',
      ],
    ],
    [
      'dual-stack ipRanges: each family’s IPPool belongs to the NAD',
      [
        nad('dual', { ipRanges: [{ range: '10.40.0.0/24' }, { range: 'fd00:40::/120' }], network_name: 'red' }),
        ippool('red-10.40.0.0-24', { range: '10.40.0.0/24', allocations: holds(5) }),
        ippool('red-fd00-40---120', { range: 'fd00:40::/120', allocations: holds(5) }),
      ],
      ['10.40.0.5 Pod apps/pod-5 pool=whereabouts:apps/dual', 'fd00:40::5 Pod apps/pod-5 pool=whereabouts:apps/dual'],
    ],
    [
      'reservations: under their network name only',
      [
        nad('red', { range: '10.40.0.0/24', network_name: 'red' }),
        nad('blue', { range: '10.40.0.0/24', network_name: 'blue' }),
        reservation('blue-10.40.0.9', { podref: 'apps/b' }),
        reservation('red-10.40.0.9', { podref: 'apps/r' }),
      ],
      ['10.40.0.9 Pod apps/b pool=whereabouts:apps/blue', '10.40.0.9 Pod apps/r pool=whereabouts:apps/red'],
    ],
  ])('%s', (_name, objects, expected) => {
    expect(whereaboutsAdapter.allocations(kit.observedMap(objects)).map(kit.describeAllocation)).toEqual(expected);
  });
});
