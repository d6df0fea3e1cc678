import { describe, expect, it } from 'vitest';
import { formatAddress, formatCidr, formatRange } from '../ip/index.ts';
import { parseConfig } from '../config/config.ts';
import type { Config } from '../config/config.ts';
import { nbIpAddress, nbIpRange, nbPrefix, nbVrf } from '../../test/support/fake-netbox-reader.ts';
import type { NbIpAddress, NbIpRange, NbPrefix } from '../model/netbox.ts';
import type { NetBoxSnapshot } from '../model/netbox.ts';
import { buildIntents } from './intents.ts';
import type { PoolIntent } from '../model/intent.ts';
import { formatIssue } from '../model/issue.ts';

function testConfig(extra: Record<string, unknown> = {}): Config {
  const r = parseConfig({ cluster: 'lab', netbox: { url: 'https://nb' }, ...extra }, {});
  if (!r.ok) throw new Error(r.issues.map(formatIssue).join('; '));
  return r.config;
}

const config = testConfig();
const tag = ['k8s-lab'];
const blue = nbVrf(7, 'Blue Net', '65000:7');
const red = nbVrf(8, 'Red');
const choice = (value: string) => ({ value, label: value });

interface Input {
  prefixes?: NbPrefix[];
  ipRanges?: NbIpRange[];
  recorded?: { prefixes?: NbPrefix[]; ipRanges?: NbIpRange[]; ipAddresses?: NbIpAddress[] };
}

function snapshot(i: Input): NetBoxSnapshot {
  return {
    prefixes: i.prefixes ?? [],
    ipRanges: i.ipRanges ?? [],
    recorded: { prefixes: [], ipRanges: [], ipAddresses: [], ...i.recorded },
  };
}

function run(i: Input, c: Config = config) {
  const { intents, issues } = buildIntents(snapshot(i), c);
  return { intents, issues: issues.map(formatIssue), byName: new Map(intents.map(x => [x.name, x])) };
}

/** A compact, readable view of an intent for table assertions. */
function view(p: PoolIntent | undefined) {
  if (!p) return undefined;
  return {
    id: `${p.kind} ${p.namespace ? `${p.namespace}/` : ''}${p.name}`,
    state: p.state,
    blocks: p.blocks.map(b => ({
      range: formatRange(b.range),
      network: formatCidr(b.network),
      ...(b.gateway ? { gateway: formatAddress(b.gateway) } : {}),
      ...(b.exclusions.length ? { exclusions: b.exclusions.map(e => `${formatRange(e.range)} ${e.heldBy}`) } : {}),
    })),
    sources: p.sources.map(s => `${s.model}:${s.id}`),
  };
}

describe('one NetBox object, one pool', () => {
  it.each<[string, Input, ReturnType<typeof view>]>([
    [
      'Calico pod prefix (cluster-scoped)',
      { prefixes: [nbPrefix(1, '10.244.0.0/16', { role: 'k8s-pod', tags: tag })] },
      {
        id: 'calico 10-244-0-0-16',
        state: 'active',
        blocks: [{ range: '10.244.0.0-10.244.255.255', network: '10.244.0.0/16' }],
        sources: ['prefix:1'],
      },
    ],
    [
      'Whereabouts prefix with a tagged gateway and a static server',
      {
        prefixes: [nbPrefix(2, '10.20.0.0/24', { role: 'k8s-secondary', tags: tag })],
        recorded: {
          ipAddresses: [nbIpAddress(10, '10.20.0.1/24', { tags: ['gateway'] }), nbIpAddress(11, '10.20.0.10/24')],
        },
      },
      {
        id: 'whereabouts default/10-20-0-0-24',
        state: 'active',
        blocks: [
          {
            range: '10.20.0.0-10.20.0.255',
            network: '10.20.0.0/24',
            gateway: '10.20.0.1',
            exclusions: [
              '10.20.0.1-10.20.0.1 ip-address 10.20.0.1/24 (gateway)',
              '10.20.0.10-10.20.0.10 ip-address 10.20.0.10/24',
            ],
          },
        ],
        sources: ['prefix:2'],
      },
    ],
    [
      'NV-IPAM IPv6 prefix in a VRF: VRF-aware name',
      { prefixes: [nbPrefix(3, '2001:db8:1::/64', { role: 'k8s-rdma', tags: tag, vrf: blue })] },
      {
        id: 'nv-ipam kube-system/blue-net-2001-db8-1--64',
        state: 'active',
        blocks: [{ range: '2001:db8:1::-2001:db8:1:0:ffff:ffff:ffff:ffff', network: '2001:db8:1::/64' }],
        sources: ['prefix:3'],
      },
    ],
    [
      'MetalLB IP range: network from its mask, VRRP gateway found in the network',
      {
        ipRanges: [nbIpRange(4, '192.168.10.100/24', '192.168.10.120/24', { role: 'k8s-loadbalancer', tags: tag })],
        recorded: { ipAddresses: [nbIpAddress(12, '192.168.10.254/24', { role: 'vrrp' })] },
      },
      {
        id: 'metallb metallb-system/192-168-10-100-120',
        state: 'active',
        blocks: [{ range: '192.168.10.100-192.168.10.120', network: '192.168.10.0/24', gateway: '192.168.10.254' }],
        sources: ['ip-range:4'],
      },
    ],
    [
      'IP range entered with /32 masks: network from the recorded parent prefix',
      {
        ipRanges: [nbIpRange(5, '10.30.0.10/32', '10.30.0.20/32', { role: 'k8s-secondary', tags: tag })],
        recorded: { prefixes: [nbPrefix(20, '10.0.0.0/8'), nbPrefix(21, '10.30.0.0/24')] },
      },
      {
        id: 'whereabouts default/10-30-0-10-20',
        state: 'active',
        blocks: [{ range: '10.30.0.10-10.30.0.20', network: '10.30.0.0/24' }],
        sources: ['ip-range:5'],
      },
    ],
    [
      'deprecated prefix: draining',
      { prefixes: [nbPrefix(6, '10.245.0.0/16', { role: 'k8s-pod', tags: tag, status: 'deprecated' })] },
      {
        id: 'calico 10-245-0-0-16',
        state: 'draining',
        blocks: [{ range: '10.245.0.0-10.245.255.255', network: '10.245.0.0/16' }],
        sources: ['prefix:6'],
      },
    ],
    [
      'k8s_pool_kind (4.7 select shape) overrides the role; k8s_pool_name names it',
      {
        prefixes: [
          nbPrefix(7, '10.40.0.0/24', {
            role: 'k8s-loadbalancer',
            tags: tag,
            cf: { k8s_pool_kind: choice('cilium-lb'), k8s_pool_name: 'edge' },
          }),
        ],
      },
      {
        id: 'cilium-lb edge',
        state: 'active',
        blocks: [{ range: '10.40.0.0-10.40.0.255', network: '10.40.0.0/24' }],
        sources: ['prefix:7'],
      },
    ],
  ])('%s', (_name, input, expected) => {
    const r = run(input);
    expect(r.issues).toEqual([]);
    expect(r.intents.map(view)).toEqual([expected]);
  });

  it.each([['reserved'], ['container'], ['planned-by-admin']])(
    'status %s is not published and not an error',
    status => {
      const r = run({ prefixes: [nbPrefix(1, '10.244.0.0/16', { role: 'k8s-pod', tags: tag, status })] });
      expect(r).toMatchObject({ intents: [], issues: [] });
    },
  );

  it('an unreadable status is an error on the object (its pool is kept), not a quiet unpublish', () => {
    const nb = { ...nbPrefix(1, '10.244.0.0/16', { role: 'k8s-pod', tags: tag }), status: null } as unknown as NbPrefix;
    const r = run({ prefixes: [nb] });
    expect(r.intents).toEqual([]);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatch(/^error: NetBox prefix 10\.244\.0\.0\/16 .*status/);
  });

  it('carries VRF, tenant, block size, node selector, namespaces and options', () => {
    const r = run({
      prefixes: [
        nbPrefix(1, '10.50.0.0/24', {
          role: 'k8s-rdma',
          tags: tag,
          vrf: blue,
          tenant: { id: 3, name: 'Team A', slug: 'team-a' },
          cf: {
            k8s_block_size: 28,
            k8s_node_selector: 'nvidia.com/gpu.present=true',
            k8s_namespaces: 'ml, training',
            k8s_options: { defaultGateway: false },
            k8s_namespace: 'rdma',
          },
        }),
      ],
    });
    expect(r.issues).toEqual([]);
    expect(r.intents[0]).toMatchObject({
      namespace: 'rdma',
      vrf: { id: 7, name: 'Blue Net', rd: '65000:7', slug: 'blue-net' },
      tenant: { id: 3, name: 'Team A', slug: 'team-a' },
      blockSize: 28,
      nodeSelector: {
        syntax: 'labels',
        requirements: [{ key: 'nvidia.com/gpu.present', operator: 'In', values: ['true'] }],
      },
      namespaces: ['ml', 'training'],
      options: { defaultGateway: false },
    });
  });

  it.each<[string, Config, string]>([
    ['config kind default', testConfig({ kinds: { whereabouts: { namespace: 'multus' } } }), 'multus'],
    ['built-in default', config, 'default'],
  ])('namespace from the %s', (_name, c, ns) => {
    const r = run({ prefixes: [nbPrefix(1, '10.20.0.0/24', { role: 'k8s-secondary', tags: tag })] }, c);
    expect(r.intents[0]?.namespace).toBe(ns);
  });

  it('warns that a namespace on a cluster-scoped kind is ignored', () => {
    const r = run({
      prefixes: [nbPrefix(1, '10.244.0.0/16', { role: 'k8s-pod', tags: tag, cf: { k8s_namespace: 'x' } })],
    });
    expect(r.intents[0]?.namespace).toBeUndefined();
    expect(r.issues).toEqual([
      'warning: NetBox prefix 10.244.0.0/16 (id 1) [custom_fields.k8s_namespace]: calico pools are cluster-scoped; the namespace "x" is ignored',
    ]);
  });

  it('honours renamed custom fields and role tables', () => {
    const c = testConfig({ selection: { roles: { lb: 'cilium-lb' }, customFields: { poolName: 'pool' } } });
    const r = run(
      {
        prefixes: [
          nbPrefix(1, '10.60.0.0/28', { role: 'lb', tags: tag, cf: { pool: 'vip', k8s_pool_name: 'ignored' } }),
        ],
      },
      c,
    );
    expect(r.intents.map(i => `${i.kind} ${i.name}`)).toEqual(['cilium-lb vip']);
  });
});

describe('several NetBox objects, one pool', () => {
  it('MetalLB pool from an IP range plus a single /32', () => {
    const lb = { role: 'k8s-loadbalancer', tags: tag, cf: { k8s_pool_name: 'public' } };
    const r = run({
      prefixes: [nbPrefix(30, '203.0.113.77/32', lb)],
      ipRanges: [nbIpRange(31, '203.0.113.10/24', '203.0.113.20/24', lb)],
      recorded: { ipAddresses: [nbIpAddress(40, '203.0.113.15/24')] },
    });
    expect(r.issues).toEqual([]);
    expect(r.intents.map(view)).toEqual([
      {
        id: 'metallb metallb-system/public',
        state: 'active',
        blocks: [
          {
            range: '203.0.113.10-203.0.113.20',
            network: '203.0.113.0/24',
            exclusions: ['203.0.113.15-203.0.113.15 ip-address 203.0.113.15/24'],
          },
          { range: '203.0.113.77-203.0.113.77', network: '203.0.113.77/32' },
        ],
        sources: ['ip-range:31', 'prefix:30'],
      },
    ]);
  });

  it('Whereabouts NAD with several ranges in one network shares the gateway; members do not exclude each other', () => {
    const nad = { role: 'k8s-secondary', tags: tag, cf: { k8s_pool_name: 'storage', k8s_namespace: 'storage' } };
    const r = run({
      ipRanges: [
        nbIpRange(51, '10.70.0.150/24', '10.70.0.199/24', nad),
        nbIpRange(50, '10.70.0.100/24', '10.70.0.149/24', nad),
      ],
      recorded: {
        ipAddresses: [nbIpAddress(60, '10.70.0.1/24', { tags: ['gateway'] }), nbIpAddress(61, '10.70.0.120/24')],
        ipRanges: [nbIpRange(52, '10.70.0.200/24', '10.70.0.250/24')],
      },
    });
    expect(r.issues).toEqual([]);
    expect(r.intents.map(view)).toEqual([
      {
        id: 'whereabouts storage/storage',
        state: 'active',
        blocks: [
          {
            range: '10.70.0.100-10.70.0.149',
            network: '10.70.0.0/24',
            gateway: '10.70.0.1',
            exclusions: ['10.70.0.120-10.70.0.120 ip-address 10.70.0.120/24'],
          },
          { range: '10.70.0.150-10.70.0.199', network: '10.70.0.0/24', gateway: '10.70.0.1' },
        ],
        sources: ['ip-range:50', 'ip-range:51'],
      },
    ]);
  });

  it('dual-stack Calico pool: IPv4 block before IPv6', () => {
    const pod = { role: 'k8s-pod', tags: tag, cf: { k8s_pool_name: 'pods', k8s_block_size: '26' } };
    const r = run({
      prefixes: [
        nbPrefix(71, 'fd00:10:244::/56', { ...pod, cf: { k8s_pool_name: 'pods' } }),
        nbPrefix(70, '10.244.0.0/16', pod),
      ],
    });
    expect(r.issues).toEqual([]);
    expect(r.intents).toHaveLength(1);
    expect(r.intents[0]?.blocks.map(b => formatCidr(b.network))).toEqual(['10.244.0.0/16', 'fd00:10:244::/56']);
    expect(r.intents[0]?.blockSize).toBe(26);
  });

  it('unites namespaces and merges options', () => {
    const base = { role: 'k8s-loadbalancer', tags: tag };
    const r = run({
      prefixes: [
        nbPrefix(1, '10.1.0.0/28', {
          ...base,
          cf: { k8s_pool_name: 'p', k8s_namespaces: ['b', 'a'], k8s_options: { autoAssign: false } },
        }),
        nbPrefix(2, '10.1.1.0/28', {
          ...base,
          cf: { k8s_pool_name: 'p', k8s_namespaces: 'c,a', k8s_options: '{"avoidBuggyIPs":true,"autoAssign":false}' },
        }),
      ],
    });
    expect(r.intents[0]).toMatchObject({
      namespaces: ['a', 'b', 'c'],
      options: { autoAssign: false, avoidBuggyIPs: true },
    });
  });

  it('mixed statuses: active with the deprecated member left out, and a warning', () => {
    const m = { role: 'k8s-loadbalancer', tags: tag, cf: { k8s_pool_name: 'p' } };
    const r = run({
      prefixes: [nbPrefix(1, '10.1.0.0/28', m), nbPrefix(2, '10.1.1.0/28', { ...m, status: 'deprecated' })],
    });
    expect(r.intents.map(i => [i.state, i.sources.map(s => s.id)])).toEqual([['active', [1]]]);
    expect(r.issues).toEqual([
      'warning: metallb pool metallb-system/p: deprecated member(s) 10.1.1.0/28 left out; the pool stays active with the others — deprecate every member to drain the whole pool',
    ]);
  });

  it('all members deprecated: the whole pool drains', () => {
    const m = { role: 'k8s-loadbalancer', tags: tag, status: 'deprecated', cf: { k8s_pool_name: 'p' } };
    const r = run({ prefixes: [nbPrefix(1, '10.1.0.0/28', m), nbPrefix(2, '10.1.1.0/28', m)] });
    expect(r.intents.map(i => [i.state, i.blocks.length])).toEqual([['draining', 2]]);
  });

  it.each<[string, Input, string]>([
    [
      'different VRFs',
      {
        prefixes: [
          nbPrefix(1, '10.1.0.0/28', { role: 'k8s-loadbalancer', tags: tag, vrf: blue, cf: { k8s_pool_name: 'p' } }),
          nbPrefix(2, '10.1.1.0/28', { role: 'k8s-loadbalancer', tags: tag, vrf: red, cf: { k8s_pool_name: 'p' } }),
        ],
      },
      'error: metallb pool metallb-system/p [vrf]: not rendered: members are in different VRFs (10.1.0.0/28 in VRF Blue Net, 10.1.1.0/28 in VRF Red)',
    ],
    [
      'overlapping members',
      {
        prefixes: [nbPrefix(1, '10.1.0.0/24', { role: 'k8s-loadbalancer', tags: tag, cf: { k8s_pool_name: 'p' } })],
        ipRanges: [
          nbIpRange(2, '10.1.0.10/24', '10.1.0.20/24', {
            role: 'k8s-loadbalancer',
            tags: tag,
            cf: { k8s_pool_name: 'p' },
          }),
        ],
      },
      'error: metallb pool metallb-system/p [custom_fields.k8s_pool_name]: not rendered: members 10.1.0.0/24 and 10.1.0.10-10.1.0.20/24 overlap',
    ],
    [
      'conflicting block sizes',
      {
        prefixes: [
          nbPrefix(1, '10.244.0.0/16', { role: 'k8s-pod', tags: tag, cf: { k8s_pool_name: 'p', k8s_block_size: 26 } }),
          nbPrefix(2, '10.245.0.0/16', { role: 'k8s-pod', tags: tag, cf: { k8s_pool_name: 'p', k8s_block_size: 24 } }),
        ],
      },
      'error: calico pool p [custom_fields.k8s_block_size]: not rendered: members ask for different block sizes (24 vs 26)',
    ],
    [
      'conflicting node selectors',
      {
        prefixes: [
          nbPrefix(1, '10.244.0.0/16', {
            role: 'k8s-pod',
            tags: tag,
            cf: { k8s_pool_name: 'p', k8s_node_selector: 'a=b' },
          }),
          nbPrefix(2, '10.245.0.0/16', {
            role: 'k8s-pod',
            tags: tag,
            cf: { k8s_pool_name: 'p', k8s_node_selector: 'all()' },
          }),
        ],
      },
      'error: calico pool p [custom_fields.k8s_node_selector]: not rendered: members ask for different node selectors ("a=b" vs "all()")',
    ],
    [
      'conflicting option values',
      {
        prefixes: [
          nbPrefix(1, '10.244.0.0/16', {
            role: 'k8s-pod',
            tags: tag,
            cf: { k8s_pool_name: 'p', k8s_options: { natOutgoing: true } },
          }),
          nbPrefix(2, '10.245.0.0/16', {
            role: 'k8s-pod',
            tags: tag,
            cf: { k8s_pool_name: 'p', k8s_options: { natOutgoing: false } },
          }),
        ],
      },
      'error: calico pool p [custom_fields.k8s_options.natOutgoing]: not rendered: members set option natOutgoing to different values',
    ],
  ])('%s: the pool is withheld', (_name, input, expected) => {
    const r = run(input);
    expect(r.intents).toEqual([]);
    expect(r.issues).toContain(`${expected} — the pool in the cluster is left as it is until this is fixed in NetBox`);
  });

  it('members agreeing where set, silent where not, is fine', () => {
    const r = run({
      prefixes: [
        nbPrefix(1, '10.244.0.0/16', {
          role: 'k8s-pod',
          tags: tag,
          cf: { k8s_pool_name: 'p', k8s_node_selector: 'zone in (b,a)' },
        }),
        nbPrefix(2, '10.245.0.0/16', {
          role: 'k8s-pod',
          tags: tag,
          cf: { k8s_pool_name: 'p', k8s_node_selector: 'zone in (a,b)' },
        }),
        nbPrefix(3, '10.246.0.0/16', { role: 'k8s-pod', tags: tag, cf: { k8s_pool_name: 'p' } }),
      ],
    });
    expect(r.issues).toEqual([]);
    expect(r.intents[0]?.blocks).toHaveLength(3);
  });

  it('objects with one pool name in different namespaces are different pools', () => {
    const m = (ns: string) => ({ role: 'k8s-secondary', tags: tag, cf: { k8s_pool_name: 'net1', k8s_namespace: ns } });
    const r = run({ prefixes: [nbPrefix(1, '10.1.0.0/24', m('a')), nbPrefix(2, '10.1.1.0/24', m('b'))] });
    expect(r.intents.map(i => `${i.namespace}/${i.name}`)).toEqual(['a/net1', 'b/net1']);
  });
});

describe('bad input is contained', () => {
  const good = nbPrefix(99, '10.99.0.0/16', { role: 'k8s-pod', tags: tag });

  it.each<[string, Input, string[]]>([
    [
      'unknown kind',
      { prefixes: [nbPrefix(1, '10.1.0.0/24', { role: 'k8s-pod', tags: tag, cf: { k8s_pool_kind: 'flannel' } })] },
      [
        'error: NetBox prefix 10.1.0.0/24 (id 1) [custom_fields.k8s_pool_kind]: unknown pool kind "flannel"; expected one of whereabouts, nv-ipam, calico, metallb, cilium-lb, cilium-pod',
      ],
    ],
    [
      'role not mapped',
      { prefixes: [nbPrefix(1, '10.1.0.0/24', { role: 'k8s-storage', tags: tag })] },
      [
        'error: NetBox prefix 10.1.0.0/24 (id 1) [custom_fields.k8s_pool_kind]: role k8s-storage is not mapped to a pool kind in selection.roles — set custom field k8s_pool_kind or map the role in the config',
      ],
    ],
    [
      'malformed prefix',
      { prefixes: [nbPrefix(1, '10.1.0.0/33', { role: 'k8s-pod', tags: tag })] },
      [
        'error: NetBox prefix 10.1.0.0/33 (id 1) [prefix]: invalid prefix "10.1.0.0/33": prefix length 33 out of range 0-32',
      ],
    ],
    [
      'malformed IP range',
      { ipRanges: [nbIpRange(1, '10.1.0.20/24', '10.1.0.10/24', { role: 'k8s-loadbalancer', tags: tag })] },
      [
        'error: NetBox ip-range 10.1.0.20-10.1.0.10/24 (id 1) [start_address]: invalid IP range: start 10.1.0.20 is after end 10.1.0.10',
      ],
    ],
    [
      'Whereabouts range whose subnet is unknown',
      { ipRanges: [nbIpRange(1, '10.1.0.10/32', '10.1.0.20/32', { role: 'k8s-secondary', tags: tag })] },
      [
        "error: NetBox ip-range 10.1.0.10-10.1.0.20/32 (id 1) [start_address]: no NetBox prefix contains this IP range and its /32 mask does not cover it, so its subnet is unknown — enter the range with its subnet's mask (e.g. /24) or record the parent prefix in NetBox",
        'error: whereabouts pool default/10-1-0-10-20: not rendered: NetBox ip-range 10.1.0.10-10.1.0.20/32 (id 1) has errors — the pool in the cluster is left as it is until this is fixed in NetBox',
      ],
    ],
    [
      'bad block size: the object and its pool both get an error',
      { prefixes: [nbPrefix(1, '10.1.0.0/24', { role: 'k8s-pod', tags: tag, cf: { k8s_block_size: 'x' } })] },
      [
        'error: NetBox prefix 10.1.0.0/24 (id 1) [custom_fields.k8s_block_size]: expected a prefix length 1-128, got "x"',
        'error: calico pool 10-1-0-0-24: not rendered: NetBox prefix 10.1.0.0/24 (id 1) has errors — the pool in the cluster is left as it is until this is fixed in NetBox',
      ],
    ],
    [
      'gateway outside the network',
      { prefixes: [nbPrefix(1, '10.1.0.0/24', { role: 'k8s-secondary', tags: tag, cf: { k8s_gateway: '10.2.0.1' } })] },
      [
        "error: NetBox prefix 10.1.0.0/24 (id 1) [custom_fields.k8s_gateway]: gateway is outside the object's network 10.1.0.0/24 — set a gateway inside the network, or clear the field to use the address tagged as gateway",
        'error: whereabouts pool default/10-1-0-0-24: not rendered: NetBox prefix 10.1.0.0/24 (id 1) has errors — the pool in the cluster is left as it is until this is fixed in NetBox',
      ],
    ],
    [
      'tags that are not a list (a proxy or plugin changed the API)',
      { prefixes: [{ ...nbPrefix(1, '10.1.0.0/24', { role: 'k8s-pod' }), tags: {} } as unknown as NbPrefix] },
      [
        'error: NetBox prefix 10.1.0.0/24 (id 1) [tags]: cannot be read: expected a list of tags with slugs, got an object of another shape — check the NetBox API version and the object in NetBox',
      ],
    ],
    [
      'a VRF given as text',
      {
        ipRanges: [
          {
            ...nbIpRange(1, '10.1.0.10/24', '10.1.0.20/24', { role: 'k8s-loadbalancer', tags: tag }),
            vrf: 'Blue',
          } as unknown as NbIpRange,
        ],
      },
      [
        'error: NetBox ip-range 10.1.0.10-10.1.0.20/24 (id 1) [vrf]: cannot be read: expected a VRF with id and name, or none, got text "Blue" — check the NetBox API version and the object in NetBox',
      ],
    ],
    [
      'a prefix that is not text',
      {
        prefixes: [
          { ...nbPrefix(1, '10.1.0.0/24', { role: 'k8s-pod', tags: tag }), prefix: null } as unknown as NbPrefix,
        ],
      },
      [
        'error: NetBox prefix 10.1.0.0/24 (id 1) [prefix]: cannot be read: expected prefix as text, got null — check the NetBox API version and the object in NetBox',
      ],
    ],
    [
      'a recorded address with unreadable tags: a warning, since it cannot be excluded',
      { recorded: { ipAddresses: [{ ...nbIpAddress(5, '10.99.0.9/16'), tags: 'gateway' } as unknown as NbIpAddress] } },
      [
        'warning: NetBox ip-address 10.99.0.9/16 (id 5): cannot read its address space, so it cannot be excluded from pools: expected a list of tags with slugs, got text "gateway" — fix the object in NetBox',
      ],
    ],
  ])('%s: an error for that object, the other pools still render', (_name, input, expected) => {
    const r = run({ ...input, prefixes: [...(input.prefixes ?? []), good] });
    expect(r.issues).toEqual(expected);
    expect(r.intents.map(i => i.name)).toEqual(['10-99-0-0-16']);
  });

  it('a malformed member with a pool name withholds that pool', () => {
    const m = { role: 'k8s-loadbalancer', tags: tag, cf: { k8s_pool_name: 'p' } };
    const r = run({
      prefixes: [
        nbPrefix(1, '10.1.0.0/28', m),
        { ...nbPrefix(2, '10.1.1.0/28', m), tenant: 'acme' } as unknown as NbPrefix,
      ],
    });
    expect(r.intents).toEqual([]);
    expect(r.issues).toEqual([
      'error: NetBox prefix 10.1.1.0/28 (id 2) [tenant]: cannot be read: expected a tenant with an id, or none, got text "acme" — check the NetBox API version and the object in NetBox',
      'error: metallb pool metallb-system/p: not rendered: another NetBox object with k8s_pool_name "p" has errors — the pool in the cluster is left as it is until this is fixed in NetBox',
    ]);
  });

  it('one prefix recorded twice in one VRF for two pools: neither is rendered, both objects told', () => {
    // Each holds the other's whole block, so neither would be excluded from the other: the same addresses twice.
    const r = run({
      prefixes: [
        nbPrefix(1, '10.1.0.0/24', { role: 'k8s-pod', tags: tag }),
        nbPrefix(2, '10.1.0.0/24', { role: 'k8s-secondary', tags: tag }),
        nbPrefix(3, '10.1.0.0/24', { role: 'k8s-secondary', tags: tag, vrf: red }),
        good,
      ],
    });
    expect(r.intents.map(i => i.name)).toEqual(['10-99-0-0-16', 'red-10-1-0-0-24']);
    expect(r.issues).toEqual([
      'error: NetBox prefix 10.1.0.0/24 (id 1) [prefix]: the same prefix is also selected for whereabouts pool 10-1-0-0-24, id 2; both pools would hand out the same addresses — remove the duplicate prefix in NetBox, or give both the same k8s_pool_name if they are one pool',
      'error: NetBox prefix 10.1.0.0/24 (id 2) [prefix]: the same prefix is also selected for calico pool 10-1-0-0-24, id 1; both pools would hand out the same addresses — remove the duplicate prefix in NetBox, or give both the same k8s_pool_name if they are one pool',
      'error: calico pool 10-1-0-0-24: not rendered: NetBox prefix 10.1.0.0/24 (id 1) has errors — the pool in the cluster is left as it is until this is fixed in NetBox',
      'error: whereabouts pool default/10-1-0-0-24: not rendered: NetBox prefix 10.1.0.0/24 (id 2) has errors — the pool in the cluster is left as it is until this is fixed in NetBox',
    ]);
  });

  it('one IP range recorded twice in one VRF for two pools: neither is rendered, each object names the other and why', () => {
    // Each range is held out of the other pool in full: neither pool would have an address left.
    const lb = { role: 'k8s-loadbalancer', tags: tag };
    const r = run({
      prefixes: [good],
      ipRanges: [
        nbIpRange(1, '10.1.0.10/24', '10.1.0.20/24', { ...lb, cf: { k8s_pool_name: 'lb-a' } }),
        nbIpRange(2, '10.1.0.10/24', '10.1.0.20/24', { ...lb, cf: { k8s_pool_name: 'lb-b' } }),
        nbIpRange(3, '10.1.0.10/24', '10.1.0.20/24', { ...lb, cf: { k8s_pool_name: 'lb-c' }, vrf: red }),
      ],
    });
    expect(r.intents.map(i => i.name)).toEqual(['10-99-0-0-16', 'lb-c']);
    expect(r.issues).toEqual([
      'error: NetBox ip-range 10.1.0.10-10.1.0.20/24 (id 1): the same IP range is also selected for metallb pool lb-b (NetBox IP range 10.1.0.10-10.1.0.20/24, id 2); each range would be held out of the other pool in full, leaving neither pool an address to hand out — remove the duplicate IP range in NetBox, or give both the same k8s_pool_name if they are one pool',
      'error: NetBox ip-range 10.1.0.10-10.1.0.20/24 (id 2): the same IP range is also selected for metallb pool lb-a (NetBox IP range 10.1.0.10-10.1.0.20/24, id 1); each range would be held out of the other pool in full, leaving neither pool an address to hand out — remove the duplicate IP range in NetBox, or give both the same k8s_pool_name if they are one pool',
      'error: metallb pool metallb-system/lb-a: not rendered: NetBox ip-range 10.1.0.10-10.1.0.20/24 (id 1) has errors — the pool in the cluster is left as it is until this is fixed in NetBox',
      'error: metallb pool metallb-system/lb-b: not rendered: NetBox ip-range 10.1.0.10-10.1.0.20/24 (id 2) has errors — the pool in the cluster is left as it is until this is fixed in NetBox',
    ]);
  });

  it('a prefix and an IP range with the same addresses in two pools: both told, naming the other', () => {
    const r = run({
      prefixes: [nbPrefix(1, '10.1.0.0/28', { role: 'k8s-secondary', tags: tag })],
      ipRanges: [nbIpRange(2, '10.1.0.0/28', '10.1.0.15/28', { role: 'k8s-loadbalancer', tags: tag })],
    });
    expect(r.intents).toEqual([]);
    expect(r.issues.slice(0, 2)).toEqual([
      'error: NetBox ip-range 10.1.0.0-10.1.0.15/28 (id 2): the same addresses are also selected for whereabouts pool 10-1-0-0-28 (NetBox prefix 10.1.0.0/28, id 1); two pools must not hand out the same addresses — remove the duplicate object in NetBox, or give both the same k8s_pool_name if they are one pool',
      'error: NetBox prefix 10.1.0.0/28 (id 1) [prefix]: the same addresses are also selected for metallb pool 10-1-0-0-15 (NetBox IP range 10.1.0.0-10.1.0.15/28, id 2); two pools must not hand out the same addresses — remove the duplicate object in NetBox, or give both the same k8s_pool_name if they are one pool',
    ]);
  });

  it('one bad member withholds its whole pool rather than shrinking it', () => {
    const m = { role: 'k8s-loadbalancer', tags: tag };
    const r = run({
      prefixes: [
        nbPrefix(1, '10.1.0.0/28', { ...m, cf: { k8s_pool_name: 'p' } }),
        nbPrefix(2, '10.1.1.0/28', { ...m, cf: { k8s_pool_name: 'p', k8s_node_selector: 'a in (' } }),
      ],
    });
    expect(r.intents).toEqual([]);
    expect(r.issues.filter(i => i.includes('metallb pool metallb-system/p: not rendered'))).toHaveLength(1);
  });

  it('a member whose kind cannot be read withholds every pool of that name', () => {
    const r = run({
      prefixes: [
        nbPrefix(1, '10.1.0.0/28', { role: 'k8s-loadbalancer', tags: tag, cf: { k8s_pool_name: 'p' } }),
        nbPrefix(2, '10.1.1.0/28', {
          role: 'k8s-loadbalancer',
          tags: tag,
          cf: { k8s_pool_name: 'p', k8s_pool_kind: 'metal' },
        }),
      ],
    });
    expect(r.intents).toEqual([]);
    expect(r.issues).toContain(
      'error: metallb pool metallb-system/p: not rendered: another NetBox object with k8s_pool_name "p" has errors — the pool in the cluster is left as it is until this is fixed in NetBox',
    );
  });
});

describe('name collisions', () => {
  it('an explicit name equal to another pool’s derived name: both withheld, every object told', () => {
    const r = run({
      prefixes: [
        nbPrefix(1, '10.1.0.0/24', { role: 'k8s-pod', tags: tag }),
        nbPrefix(2, '10.2.0.0/24', { role: 'k8s-pod', tags: tag, cf: { k8s_pool_name: '10-1-0-0-24' } }),
        nbPrefix(3, '10.3.0.0/24', { role: 'k8s-pod', tags: tag }),
      ],
    });
    expect(r.intents.map(i => i.name)).toEqual(['10-3-0-0-24']);
    expect(r.issues).toEqual([
      'error: NetBox prefix 10.1.0.0/24 (id 1) [custom_fields.k8s_pool_name]: pool name 10-1-0-0-24 is also claimed by another pool (NetBox 10.1.0.0/24, 10.2.0.0/24); none of them is rendered — give the pools distinct k8s_pool_name values, or the same one if they are meant to be one pool',
      'error: NetBox prefix 10.2.0.0/24 (id 2) [custom_fields.k8s_pool_name]: pool name 10-1-0-0-24 is also claimed by another pool (NetBox 10.1.0.0/24, 10.2.0.0/24); none of them is rendered — give the pools distinct k8s_pool_name values, or the same one if they are meant to be one pool',
      'error: calico pool 10-1-0-0-24: not rendered: 2 different pools map to this name (NetBox 10.1.0.0/24, 10.2.0.0/24) — the pool in the cluster is left as it is until this is fixed in NetBox',
    ]);
  });

  it('VRFs with names that slug alike collide; equal space in different VRFs does not', () => {
    const r = run({
      prefixes: [
        nbPrefix(1, '10.1.0.0/24', { role: 'k8s-pod', tags: tag, vrf: nbVrf(1, 'Blue') }),
        nbPrefix(2, '10.1.0.0/24', { role: 'k8s-pod', tags: tag, vrf: nbVrf(2, 'blue') }),
        nbPrefix(3, '10.1.0.0/24', { role: 'k8s-pod', tags: tag, vrf: red }),
        nbPrefix(4, '10.1.0.0/24', { role: 'k8s-pod', tags: tag }),
      ],
    });
    expect(r.intents.map(i => i.name)).toEqual(['10-1-0-0-24', 'red-10-1-0-0-24']);
    expect(r.issues.filter(i => i.startsWith('error: NetBox'))).toHaveLength(2);
  });
});

describe('pools inside pools and determinism', () => {
  it('a selected range inside a selected prefix of another pool is excluded from it', () => {
    const r = run({
      prefixes: [nbPrefix(1, '10.80.0.0/24', { role: 'k8s-secondary', tags: tag })],
      ipRanges: [nbIpRange(2, '10.80.0.200/24', '10.80.0.220/24', { role: 'k8s-loadbalancer', tags: tag })],
    });
    expect(r.byName.get('10-80-0-0-24')?.blocks[0]?.exclusions.map(e => `${formatRange(e.range)} ${e.heldBy}`)).toEqual(
      ['10.80.0.200-10.80.0.220 ip-range 10.80.0.200-10.80.0.220/24'],
    );
    expect(r.byName.get('10-80-0-200-220')?.blocks[0]?.exclusions).toEqual([]);
  });

  it('the same input in any order gives the same output', () => {
    const input: Input = {
      prefixes: [
        nbPrefix(3, 'fd00::/64', { role: 'k8s-pod', tags: tag, cf: { k8s_pool_name: 'pods' } }),
        nbPrefix(1, '10.244.0.0/16', { role: 'k8s-pod', tags: tag, cf: { k8s_pool_name: 'pods' } }),
        nbPrefix(2, '10.20.0.0/24', { role: 'k8s-secondary', tags: tag }),
        nbPrefix(4, '10.21.0.0/24', { role: 'k8s-pod', tags: tag, cf: { k8s_block_size: 'bad' } }),
      ],
      ipRanges: [
        nbIpRange(6, '192.168.1.10/24', '192.168.1.20/24', { role: 'k8s-loadbalancer', tags: tag }),
        nbIpRange(5, '192.168.1.30/24', '192.168.1.40/24', { role: 'k8s-loadbalancer', tags: tag }),
      ],
      recorded: {
        ipAddresses: [
          nbIpAddress(9, '10.20.0.9/24'),
          nbIpAddress(8, '10.20.0.8/24'),
          nbIpAddress(7, '10.20.0.1/24', { tags: ['gateway'] }),
        ],
      },
    };
    const reversed: Input = {
      prefixes: [...(input.prefixes ?? [])].reverse(),
      ipRanges: [...(input.ipRanges ?? [])].reverse(),
      recorded: { ipAddresses: [...(input.recorded?.ipAddresses ?? [])].reverse() },
    };
    const a = buildIntents(snapshot(input), config);
    expect(buildIntents(snapshot(reversed), config)).toEqual(a);
    expect(a.intents.map(i => `${i.kind}/${i.namespace ?? ''}/${i.name}`)).toEqual([
      'calico//pods',
      'metallb/metallb-system/192-168-1-10-20',
      'metallb/metallb-system/192-168-1-30-40',
      'whereabouts/default/10-20-0-0-24',
    ]);
  });
});
