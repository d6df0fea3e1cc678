import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../model/k8s-object.ts';
import { ciliumLbAdapter } from './cilium-lb.ts';
import * as kit from '../../test/support/kind-fixtures.ts';

function lbPool(sources: string, spec: Record<string, unknown>): K8sObject {
  return kit.expected({
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumLoadBalancerIPPool',
    name: 'pool-a',
    poolKind: 'cilium-lb',
    sources,
    spec,
  });
}

const cases: kit.RenderCase[] = [
  {
    name: 'IPv4 prefix split around held addresses: cidr where a piece is one, start/stop otherwise',
    intent: kit.poolIntent('cilium-lb', [
      kit.prefixBlock(1, '10.130.0.0/24', {
        held: [
          ['10.130.0.1', 'gateway'],
          ['10.130.0.128/25', 'ip-range for servers'],
        ],
      }),
    ]),
    objects: [
      lbPool('prefix/1', {
        blocks: [{ cidr: '10.130.0.0/32' }, { start: '10.130.0.2', stop: '10.130.0.127' }],
      }),
    ],
  },
  {
    name: 'IPv6 prefix',
    intent: kit.poolIntent('cilium-lb', [kit.prefixBlock(2, 'fd00:130::/120')]),
    objects: [lbPool('prefix/2', { blocks: [{ cidr: 'fd00:130::/120' }] })],
  },
  {
    name: 'IPv4 IP range as start/stop',
    intent: kit.poolIntent('cilium-lb', [kit.rangeBlock(3, '10.140.0.10-10.140.0.20', '10.140.0.0/24')]),
    objects: [lbPool('ip-range/3', { blocks: [{ start: '10.140.0.10', stop: '10.140.0.20' }] })],
  },
  {
    name: 'IPv6 IP range that is exactly one CIDR',
    intent: kit.poolIntent('cilium-lb', [kit.rangeBlock(4, 'fd00:140::10-fd00:140::1f', 'fd00:140::/64')]),
    objects: [lbPool('ip-range/4', { blocks: [{ cidr: 'fd00:140::10/124' }] })],
  },
  {
    name: 'several IPv4 objects; namespaces become a service selector',
    intent: kit.poolIntent(
      'cilium-lb',
      [kit.prefixBlock(5, '10.150.0.0/28'), kit.rangeBlock(6, '10.150.1.5-10.150.1.9', '10.150.1.0/24')],
      { namespaces: ['team-a', 'team-b'] },
    ),
    objects: [
      lbPool('ip-range/6,prefix/5', {
        blocks: [{ cidr: '10.150.0.0/28' }, { start: '10.150.1.5', stop: '10.150.1.9' }],
        serviceSelector: {
          matchExpressions: [{ key: 'io.kubernetes.service.namespace', operator: 'In', values: ['team-a', 'team-b'] }],
        },
      }),
    ],
  },
  {
    name: 'several IPv6 prefixes with options: allowFirstLastIPs and a service selector',
    intent: kit.poolIntent('cilium-lb', [kit.prefixBlock(7, 'fd00:150::/124'), kit.prefixBlock(8, 'fd00:151::/124')], {
      options: {
        allowFirstLastIPs: 'No',
        serviceSelector: {
          matchLabels: { color: 'blue' },
          matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }],
        },
      },
    }),
    objects: [
      lbPool('prefix/7,prefix/8', {
        blocks: [
          { start: 'fd00:150::1', stop: 'fd00:150::e' },
          { start: 'fd00:151::1', stop: 'fd00:151::e' },
        ],
        serviceSelector: {
          matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }],
          matchLabels: { color: 'blue' },
        },
      }),
    ],
  },
];

/**
 * `allowFirstLastIPs: No`: Cilium reserves the first and last address of `cidr` blocks only, so we leave out each
 * NetBox prefix's own first and last address ourselves and write `start`/`stop` blocks only.
 */
const firstLast = (allow: 'Yes' | 'No', blocks: ReturnType<typeof kit.prefixBlock>[]) =>
  kit.poolIntent('cilium-lb', blocks, { options: { allowFirstLastIPs: allow } });

const firstLastCases: {
  name: string;
  intent: ReturnType<typeof kit.poolIntent>;
  sources: string;
  blocks: unknown[];
}[] = [
  {
    name: 'No, held space splits the prefix into a CIDR piece and a start/stop piece',
    intent: firstLast('No', [
      kit.prefixBlock(1, '10.130.0.0/24', { held: [['10.130.0.64-10.130.0.70', 'ip-range for servers']] }),
    ]),
    sources: 'prefix/1',
    // Not {cidr: 10.130.0.0/26} (Cilium would lose .63) and {start: .71, stop: .255} (it would hand out .255).
    blocks: [
      { start: '10.130.0.1', stop: '10.130.0.63' },
      { start: '10.130.0.71', stop: '10.130.0.254' },
    ],
  },
  {
    name: 'No, the piece left at the network address was a one-address CIDR',
    intent: firstLast('No', [
      kit.prefixBlock(1, '10.130.0.0/24', {
        held: [
          ['10.130.0.1', 'gateway'],
          ['10.130.0.128/25', 'ip-range for servers'],
        ],
      }),
    ]),
    sources: 'prefix/1',
    blocks: [{ start: '10.130.0.2', stop: '10.130.0.127' }],
  },
  {
    name: 'No, a whole prefix',
    intent: firstLast('No', [kit.prefixBlock(2, '10.131.0.0/28')]),
    sources: 'prefix/2',
    blocks: [{ start: '10.131.0.1', stop: '10.131.0.14' }],
  },
  {
    name: 'No, two adjacent prefixes keep apart: each loses its own first and last address',
    intent: firstLast('No', [kit.prefixBlock(3, '10.132.0.0/25'), kit.prefixBlock(4, '10.132.0.128/25')]),
    sources: 'prefix/3,prefix/4',
    blocks: [
      { start: '10.132.0.1', stop: '10.132.0.126' },
      { start: '10.132.0.129', stop: '10.132.0.254' },
    ],
  },
  {
    name: 'No, an IPv6 prefix',
    intent: firstLast('No', [kit.prefixBlock(5, 'fd00:130::/120', { held: [['fd00:130::80/121', 'servers']] })]),
    sources: 'prefix/5',
    blocks: [{ start: 'fd00:130::1', stop: 'fd00:130::7f' }],
  },
  {
    name: 'No, IP ranges: only an address that is the prefix’s own first or last is left out',
    intent: firstLast('No', [
      kit.rangeBlock(6, '10.140.0.0-10.140.0.20', '10.140.0.0/24'),
      kit.rangeBlock(7, '10.140.1.10-10.140.1.20', '10.140.1.0/24'),
      kit.rangeBlock(8, '10.140.2.240-10.140.2.255', '10.140.2.0/24'),
    ]),
    sources: 'ip-range/6,ip-range/7,ip-range/8',
    blocks: [
      { start: '10.140.0.1', stop: '10.140.0.20' },
      { start: '10.140.1.10', stop: '10.140.1.20' },
      { start: '10.140.2.240', stop: '10.140.2.254' },
    ],
  },
  {
    name: 'No, /31 and /32 (and /127, /128) have no first and last address to leave out, as in Cilium',
    intent: firstLast('No', [
      kit.prefixBlock(9, '10.150.0.0/31'),
      kit.prefixBlock(10, '10.150.0.5/32'),
      kit.prefixBlock(11, 'fd00:150::/127'),
      kit.prefixBlock(12, 'fd00:150::5/128'),
    ]),
    sources: 'prefix/9,prefix/10,prefix/11,prefix/12',
    blocks: [
      { start: '10.150.0.0', stop: '10.150.0.1' },
      { start: '10.150.0.5', stop: '10.150.0.5' },
      { start: 'fd00:150::', stop: 'fd00:150::1' },
      { start: 'fd00:150::5', stop: 'fd00:150::5' },
    ],
  },
];

describe('cilium-lb allowFirstLastIPs', () => {
  it.each(firstLastCases)('$name', c => {
    expect(kit.render(ciliumLbAdapter, c.intent)).toEqual({
      objects: [lbPool(c.sources, { blocks: c.blocks })],
      namespaceAssignments: [],
      issues: [],
    });
  });

  it('Yes (Cilium’s default) passes the setting on and keeps CIDR blocks', () => {
    const intent = firstLast('Yes', [
      kit.prefixBlock(1, '10.130.0.0/24', { held: [['10.130.0.64-10.130.0.70', 'servers']] }),
    ]);
    expect(kit.render(ciliumLbAdapter, intent).objects).toEqual([
      lbPool('prefix/1', {
        allowFirstLastIPs: 'Yes',
        blocks: [{ cidr: '10.130.0.0/26' }, { start: '10.130.0.71', stop: '10.130.0.255' }],
      }),
    ]);
  });

  it('No from the config defaults works as from k8s_options', () => {
    const intent = kit.poolIntent('cilium-lb', [kit.prefixBlock(2, '10.131.0.0/28')]);
    expect(kit.render(ciliumLbAdapter, intent, { allowFirstLastIPs: 'No' }).objects).toEqual([
      lbPool('prefix/2', { blocks: [{ start: '10.131.0.1', stop: '10.131.0.14' }] }),
    ]);
  });

  it('No on a pool whose only free addresses are its first and last is refused, saying why', () => {
    const intent = firstLast('No', [
      kit.prefixBlock(1, '10.130.0.0/30', { held: [['10.130.0.1-10.130.0.2', 'routers']] }),
    ]);
    expect(kit.errorsOf(kit.render(ciliumLbAdapter, intent))).toEqual([
      {
        subject: 'cilium-lb pool pool-a',
        field: undefined,
        reason:
          "every address of the pool is held in NetBox: nothing left to hand out (allowFirstLastIPs: No leaves out each prefix's first and last address)",
      },
    ]);
  });
});

describe('cilium-lb render', () => {
  it.each(cases)('$name', c => {
    expect(kit.render(ciliumLbAdapter, c.intent, c.defaults)).toEqual(kit.expectedResult(c));
  });

  it('drains by disabled: true', () => {
    const intent = kit.poolIntent('cilium-lb', [kit.prefixBlock(2, 'fd00:130::/120')], { state: 'draining' });
    expect(kit.render(ciliumLbAdapter, intent)).toEqual({
      objects: [lbPool('prefix/2', { blocks: [{ cidr: 'fd00:130::/120' }], disabled: true })],
      namespaceAssignments: [],
      issues: [],
    });
  });

  it('warns about a node selector and block size it cannot use', () => {
    const intent = kit.poolIntent('cilium-lb', [kit.prefixBlock(2, 'fd00:130::/120')], {
      blockSize: 24,
      nodeSelector: { syntax: 'labels', raw: 'lb', requirements: [{ key: 'lb', operator: 'Exists', values: [] }] },
    });
    const result = kit.render(ciliumLbAdapter, intent);
    expect(result.objects).toHaveLength(1);
    expect(result.issues.map(i => [i.severity, i.field])).toEqual([
      ['warning', 'custom_fields.k8s_node_selector'],
      ['warning', 'custom_fields.k8s_block_size'],
    ]);
  });
});

describe('cilium-lb invalid input', () => {
  it.each([
    {
      name: 'allowFirstLastIPs outside Yes/No',
      options: { allowFirstLastIPs: 'maybe' },
      field: 'custom_fields.k8s_options.allowFirstLastIPs',
      reason: 'invalid value for cilium-lb option "allowFirstLastIPs": Invalid option: expected one of "Yes"|"No"',
    },
    {
      name: 'blocks given as an option',
      options: { blocks: [{ cidr: '192.0.2.0/24' }] },
      field: 'custom_fields.k8s_options.blocks',
      reason: 'unknown cilium-lb option "blocks"',
    },
    {
      name: 'service selector with an operator Kubernetes does not know',
      options: { serviceSelector: { matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] } },
      field: 'custom_fields.k8s_options.serviceSelector.matchExpressions.0.operator',
      reason:
        'invalid value for cilium-lb option "serviceSelector.matchExpressions.0.operator": Invalid option: expected one of "In"|"NotIn"|"Exists"|"DoesNotExist"',
    },
    {
      name: 'service selector with a label value Kubernetes would refuse',
      options: { serviceSelector: { matchLabels: { app: 'not a label value!' } } },
      field: 'custom_fields.k8s_options.serviceSelector.matchLabels.app',
      reason:
        'invalid value for cilium-lb option "serviceSelector.matchLabels.app": label value "not a label value!" is invalid: at most 63 letters, digits, "-", "_" or ".", starting and ending alphanumeric',
    },
    {
      name: 'service selector with a malformed label key',
      options: { serviceSelector: { matchExpressions: [{ key: 'Bad Key', operator: 'Exists' }] } },
      field: 'custom_fields.k8s_options.serviceSelector.matchExpressions.0.key',
      reason:
        'invalid value for cilium-lb option "serviceSelector.matchExpressions.0.key": label key "Bad Key" is invalid: the name part must be 1-63 letters, digits, "-", "_" or ".", starting and ending alphanumeric',
    },
  ])('$name', ({ options, field, reason }) => {
    const intent = kit.poolIntent('cilium-lb', [kit.prefixBlock(1, '10.130.0.0/24')], { options });
    const errors = [{ subject: 'cilium-lb pool pool-a', field, reason }];
    expect(kit.rejection(kit.render(ciliumLbAdapter, intent))).toEqual({ objects: [], assignments: 0, errors });
  });

  it('refuses a pool whose every address is held', () => {
    const intent = kit.poolIntent('cilium-lb', [
      kit.rangeBlock(1, '10.140.0.10-10.140.0.11', '10.140.0.0/24', { held: [['10.140.0.10-10.140.0.11', 'static']] }),
    ]);
    expect(kit.errorsOf(kit.render(ciliumLbAdapter, intent))).toEqual([
      {
        subject: 'cilium-lb pool pool-a',
        field: undefined,
        reason: 'every address of the pool is held in NetBox: nothing left to hand out',
      },
    ]);
  });
});

describe('cilium-lb normalise, drain, covered ranges', () => {
  const status = { conditions: [{ type: 'cilium.io/IPsAvailable', status: 'Unknown', message: '3' }] };
  it.each(kit.roundTrips(ciliumLbAdapter, cases, spec => ({ ...spec, disabled: false }), status))(
    'an observed copy compares equal: $name',
    rt => {
      expect(rt.observed).toEqual(rt.desired);
    },
  );

  it('drain is stable and nothing is immutable', () => {
    const [desired] = kit.render(ciliumLbAdapter, cases[0]!.intent).objects;
    const drained = ciliumLbAdapter.drain(desired!)!;
    expect(drained.spec).toMatchObject({ disabled: true });
    expect(ciliumLbAdapter.drain(drained)).toEqual(drained);
    expect(ciliumLbAdapter.immutablePaths(desired!)).toEqual([]);
  });

  it('covers cidr, start/stop and lone-start blocks, skipping malformed ones', () => {
    const pool = kit.observedObject({
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumLoadBalancerIPPool',
      name: 'x',
      spec: {
        blocks: [
          { cidr: '10.0.0.0/30' },
          { start: '10.0.1.1', stop: '10.0.1.3' },
          { start: '10.0.2.9' },
          { start: '10.0.3.9', stop: '10.0.3.1' },
          'junk',
        ],
      },
    });
    expect(ciliumLbAdapter.coveredRanges(pool).map(kit.describeRange)).toEqual([
      '10.0.0.0-10.0.0.3',
      '10.0.1.1-10.0.1.3',
      '10.0.2.9',
    ]);
  });
});

describe('cilium-lb allocations', () => {
  const [pool] = kit.render(ciliumLbAdapter, cases[0]!.intent).objects;
  const legacy = kit.observedObject({
    apiVersion: 'cilium.io/v2alpha1',
    kind: 'CiliumLoadBalancerIPPool',
    name: 'legacy',
    spec: { blocks: [{ cidr: '10.160.0.0/24' }] },
  });
  const service = (namespace: string, name: string, ips: string[]) =>
    kit.observedObject({
      apiVersion: 'v1',
      kind: 'Service',
      name,
      namespace,
      status: { loadBalancer: { ingress: ips.map(ip => ({ ip })) } },
    });
  const observed = kit.observedMap([
    pool!,
    legacy,
    service('team-a', 'web', ['10.130.0.5']),
    service('team-b', 'old', ['10.160.0.9']),
    service('team-c', 'elsewhere', ['192.0.2.1']),
    service('team-d', 'held', ['10.130.0.1']),
  ]);

  it('finds the pool of each service IP by containment', () => {
    expect(ciliumLbAdapter.allocations(observed).map(kit.describeAllocation)).toEqual([
      '10.130.0.5 Service team-a/web pool=cilium-lb:/pool-a (containment)',
      '10.160.0.9 Service team-b/old pool=cilium-lb:/legacy (containment)',
    ]);
    expect(ciliumLbAdapter.allocations(observed)[0]!.via).toBe(
      'cilium-lb Service team-a/web status.loadBalancer.ingress (pool by containment)',
    );
  });

  const lbPool = (name: string, cidr: string, status?: unknown) =>
    kit.observedObject({
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumLoadBalancerIPPool',
      name,
      spec: { blocks: [{ cidr }] },
      status,
    });
  const conflict = { conditions: [{ type: 'cilium.io/PoolConflict', status: 'True' }] };
  const classed = (lbClass: string) => {
    const s = service('team-e', 'classed', ['10.170.0.5']);
    s.spec = { type: 'LoadBalancer', loadBalancerClass: lbClass };
    return s;
  };

  it.each<[string, K8sObject[], string[]]>([
    [
      'overlapping pools: the one LB-IPAM marked conflicting is not the one it allocates from',
      [
        lbPool('a-newer', '10.170.0.0/24', conflict),
        lbPool('b-older', '10.170.0.0/24'),
        service('x', 'web', ['10.170.0.5']),
      ],
      ['10.170.0.5 Service x/web pool=cilium-lb:/b-older (containment)'],
    ],
    [
      'a Service of Cilium’s own load-balancer class is Cilium’s',
      [lbPool('p', '10.170.0.0/24'), classed('io.cilium/l2-announcer')],
      ['10.170.0.5 Service team-e/classed pool=cilium-lb:/p (containment)'],
    ],
    ['a Service of another load-balancer class is not', [lbPool('p', '10.170.0.0/24'), classed('metallb')], []],
  ])('%s', (_name, objects, expected) => {
    expect(ciliumLbAdapter.allocations(kit.observedMap(objects)).map(kit.describeAllocation)).toEqual(expected);
  });
});
