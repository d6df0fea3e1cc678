import type { WritebackPlan } from '../writeback/types.ts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ADAPTERS } from '../kinds/registry.ts';
import type { Allocation } from '../model/allocation.ts';
import { DRIFT_CATEGORIES } from '../model/drift.ts';
import type { PoolIntent } from '../model/intent.ts';
import type { Issue } from '../model/issue.ts';
import type { Change } from '../model/plan.ts';
import { addresses, poolIntent, prefixBlock } from '../../test/support/kind-fixtures.ts';
import { buildDriftReport } from './report.ts';
import type { DriftInput } from './report.ts';
import { renderDriftJson } from './json.ts';
import { percentOf } from './space.ts';

const NB = 'https://netbox.example.net';
const PREFIX_API = `${NB}/api/ipam/prefixes/7/`;
const PREFIX_PAGE = `${NB}/ipam/prefixes/7/`;
const src = { model: 'prefix' as const, id: 7, url: PREFIX_API, display: '10.1.0.0/24' };
const META = {
  apiVersion: 'metallb.io/v1beta1',
  kind: 'IPAddressPool',
  poolKind: 'metallb',
  namespace: 'metallb-system',
};
const obj = (name: string, spec: unknown) => ({
  apiVersion: META.apiVersion,
  kind: META.kind,
  metadata: { name, namespace: META.namespace },
  spec,
});

function input(over: Partial<DriftInput> = {}): DriftInput {
  return {
    cluster: 'lab',
    netboxUrl: NB,
    source: { healthy: true },
    intents: [],
    issues: [],
    allocations: [],
    plan: { changes: [] },
    adapters: ADAPTERS,
    ...over,
  };
}

const netboxIssue: Issue = {
  severity: 'error',
  subject: { type: 'netbox', model: 'prefix', id: 7, display: '10.1.0.0/24', url: PREFIX_API },
  field: 'custom_fields.k8s_block_size',
  reason: 'k8s_block_size 99 is not a block size',
  hint: 'set 20-32',
};

describe('buildDriftReport: plan changes → entries', () => {
  const base = { ...META, sources: [src], reason: 'why' };
  it.each<[string, Change, Record<string, unknown>]>([
    [
      'create → missing',
      { ...base, action: 'create', name: 'a', desired: obj('a', {}) },
      { category: 'missing', summary: 'IPAddressPool metallb-system/a is missing in the cluster' },
    ],
    [
      'delete → unexpected',
      { ...base, action: 'delete', name: 'b', observed: obj('b', {}) },
      { category: 'unexpected', summary: 'IPAddressPool metallb-system/b is gone from NetBox' },
    ],
    [
      'drain → unexpected',
      { ...base, action: 'drain', name: 'c', desired: obj('c', {}), observed: obj('c', {}) },
      { category: 'unexpected', summary: 'IPAddressPool metallb-system/c is gone from NetBox and draining' },
    ],
    [
      'update → changed, field by field',
      {
        ...base,
        action: 'update',
        name: 'd',
        desired: obj('d', {}),
        observed: obj('d', {}),
        diff: [
          { path: 'spec.addresses[0]', from: '10.1.0.0/25', to: '10.1.0.0/24' },
          { path: 'spec.autoAssign', to: false },
        ],
      },
      {
        category: 'changed',
        fields: [
          { path: 'spec.addresses[0]', netbox: '10.1.0.0/24', cluster: '10.1.0.0/25' },
          { path: 'spec.autoAssign', netbox: 'false' },
        ],
      },
    ],
    [
      'blocked → blocked, with what and how many',
      {
        ...base,
        action: 'blocked',
        blockedAction: 'delete',
        allocations: 3,
        name: 'e',
        reason: 'blocked: 3 live allocations',
      },
      { category: 'blocked', blockedAction: 'delete', allocations: 3, reason: 'blocked: 3 live allocations' },
    ],
    [
      'invalid → invalid, with the issue and its NetBox page',
      { action: 'invalid', name: 'NetBox prefix 10.1.0.0/24 (id 7)', reason: 'x', sources: [src], issue: netboxIssue },
      {
        category: 'invalid',
        summary: 'NetBox prefix 10.1.0.0/24 (id 7) is invalid',
        reason: netboxIssue.reason,
        hint: 'set 20-32',
      },
    ],
    [
      'unmanaged → unmanaged, naming the object in the way',
      { ...base, action: 'unmanaged', name: 'f', desired: obj('f', {}), observed: obj('f', {}) },
      {
        category: 'unmanaged',
        k8s: { apiVersion: META.apiVersion, kind: META.kind, namespace: META.namespace, name: 'f' },
      },
    ],
  ])('%s', (_name, change, expected) => {
    const report = buildDriftReport(input({ plan: { changes: [change] } }));
    expect(report.entries).toHaveLength(1);
    expect(report.entries[0]).toMatchObject({ ...expected, netbox: [{ model: 'prefix', id: 7, url: PREFIX_PAGE }] });
    expect(report.status).toBe('drift');
  });
});

const lbPool = (name: string, cidr: string, over: Partial<PoolIntent> = {}, held: [string, string][] = []) =>
  poolIntent('metallb', [prefixBlock(7, cidr, { held })], { name, namespace: 'metallb-system', ...over });

const services = (first: string, count: number, pool: { name: string } | null): Allocation[] => {
  const start = addresses(first).start;
  return Array.from({ length: count }, (_, i) => ({
    range: { family: 4, start: start + BigInt(i), end: start + BigInt(i) },
    owner: { kind: 'Service', name: `svc-${i}`, namespace: 'apps' },
    pool: pool === null ? null : { by: 'record', kind: 'metallb', namespace: 'metallb-system', ...pool },
    via: 'test',
  }));
};

describe('buildDriftReport: address space', () => {
  it('utilisation: used / (blocks minus held), flagged at the threshold, not below', () => {
    // /28 = 16 addresses, 1 held → 15 assignable; 12 used = 80%.
    const intents = [lbPool('lb', '10.1.0.0/28', {}, [['10.1.0.1', 'ip-address 10.1.0.1/28 (gateway)']])];
    const allocations = services('10.1.0.2', 12, { name: 'lb' });
    const at80 = buildDriftReport(input({ intents, allocations }));
    expect(at80.utilisation).toEqual([
      expect.objectContaining({ used: '12', size: '15', percent: 80, overThreshold: true, nodeBlocks: [] }),
    ]);
    expect(at80.entries.map(e => e.id)).toEqual(['utilisation:metallb/metallb-system/lb']);
    expect(at80.entries[0]?.k8s).toEqual({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      namespace: 'metallb-system',
      name: 'lb',
    });
    const at90 = buildDriftReport(input({ intents, allocations, threshold: 90 }));
    expect(at90.utilisation[0]?.overThreshold).toBe(false);
    expect(at90.status).toBe('clean');
  });

  it('per-node blocks: addresses in each block, pool counts merged space once', () => {
    const intent = poolIntent('nv-ipam', [prefixBlock(7, '10.2.0.0/24')], { name: 'rdma', namespace: 'kube-system' });
    const pool = { by: 'record' as const, kind: 'nv-ipam', namespace: 'kube-system', name: 'rdma' };
    const node = (name: string, cidr: string): Allocation => ({
      range: addresses(cidr),
      owner: { kind: 'Node', name },
      node: name,
      pool,
      via: 'test',
    });
    const pod = (a: string): Allocation => ({
      range: addresses(a),
      owner: { kind: 'Pod', name: a },
      pool,
      via: 'test',
    });
    const report = buildDriftReport(
      input({
        intents: [intent],
        allocations: [node('n1', '10.2.0.0/26'), node('n2', '10.2.0.64/26'), pod('10.2.0.5')],
      }),
    );
    expect(report.utilisation[0]).toMatchObject({
      used: '128',
      size: '256',
      percent: 50,
      nodeBlocks: [
        { node: 'n1', block: '10.2.0.0/26', used: '1', size: '64', percent: 1.6 },
        { node: 'n2', block: '10.2.0.64/26', used: '0', size: '64', percent: 0 },
      ],
    });
  });

  it.each([
    ['same VRF → conflict', { id: 1, name: 'blue', rd: null, slug: 'blue' }, 1],
    ['other VRF → none', { id: 2, name: 'red', rd: null, slug: 'red' }, 0],
  ])('pools overlapping each other: %s', (_n, vrf, expected) => {
    const blue = { id: 1, name: 'blue', rd: null, slug: 'blue' };
    const intents = [lbPool('a', '10.3.0.0/24', { vrf: blue }), lbPool('b', '10.3.0.128/25', { vrf })];
    const overlaps = buildDriftReport(input({ intents })).entries.filter(e => e.id.startsWith('conflict:overlap'));
    expect(overlaps).toHaveLength(expected);
    if (expected) expect(overlaps[0]?.summary).toContain('overlap in 10.3.0.128/25');
  });

  it('allocations: outside their pool, outside every pool, on a NetBox-held address', () => {
    const intents = [lbPool('lb', '10.4.0.0/24', {}, [['10.4.0.10', 'ip-address 10.4.0.10/24 (static server)']])];
    const allocations = [
      ...services('10.9.0.1', 1, { name: 'lb' }),
      ...services('10.8.0.1', 1, null),
      ...services('10.4.0.10', 1, { name: 'lb' }),
    ];
    const entries = buildDriftReport(input({ intents, allocations })).entries;
    expect(entries.map(e => [e.id, e.k8s?.kind])).toEqual([
      ['conflict:held-by-other-record:global:10.4.0.10', 'Service'],
      ['conflict:outside-netbox-space:global:10.8.0.1', 'Service'],
      ['conflict:outside-netbox-space:global:10.9.0.1', 'Service'],
    ]);
    expect(entries[0]?.reason).toContain('static server');
  });

  it("writeback's conflict about an address wins over the same one found here", () => {
    const intents = [lbPool('lb', '10.4.0.0/24', {}, [['10.4.0.10', 'ip-address 10.4.0.10/24']])];
    const report = buildDriftReport(
      input({
        intents,
        allocations: services('10.4.0.10', 1, { name: 'lb' }),
        writeback: {
          conflicts: [
            {
              kind: 'held-by-other-record',
              space: '10.4.0.10',
              vrf: null,
              owner: 'apps/svc-0',
              pool: 'metallb:metallb-system/lb',
              reason: 'NetBox holds 10.4.0.10/24 (id 55) for something else',
              netbox: { model: 'ip-address', id: 55, url: `${NB}/api/ipam/ip-addresses/55/`, display: '10.4.0.10/24' },
            },
          ],
        },
      }),
    );
    expect(report.entries).toHaveLength(1);
    expect(report.entries[0]).toMatchObject({
      reason: 'NetBox holds 10.4.0.10/24 (id 55) for something else',
      k8s: { kind: 'Service', namespace: 'apps', name: 'svc-0' },
      netbox: [{ url: `${NB}/ipam/ip-addresses/55/` }],
    });
  });
});

describe('buildDriftReport: issues, writeback, source', () => {
  it('conflict issues → unexcludable, naming the pool of the prefix', () => {
    const intent = poolIntent('cilium-pod', [prefixBlock(7, '10.5.0.0/23')], { name: 'pods' });
    const issue: Issue = {
      severity: 'conflict',
      subject: { type: 'netbox', model: 'prefix', id: 7, display: '10.5.0.0/23' },
      reason: 'Cilium pod pools cannot exclude addresses: 10.5.0.10 (ip-address) may be given to a pod',
    };
    const [entry] = buildDriftReport(input({ intents: [intent], issues: [issue] })).entries;
    expect(entry).toMatchObject({
      category: 'unexcludable',
      k8s: { kind: 'CiliumPodIPPool', name: 'pods' },
      netbox: [{ url: `${NB}/ipam/prefixes/7/` }],
    });
  });

  it('stale: only kept records in their grace period, linked by id', () => {
    const kept: WritebackPlan['kept'] = [
      {
        key: 'ip-address|global|10.6.0.5',
        id: 31,
        why: 'stale',
        reason: 'stale since 2026-01-01T00:00:00.000Z, in its grace period',
      },
      {
        key: 'ip-address|global|10.6.0.6',
        id: 32,
        why: 'not-read',
        reason: 'metallb allocations were not fully read this cycle',
      },
    ];
    const entries = buildDriftReport(input({ writeback: { kept } })).entries;
    expect(entries).toEqual([
      expect.objectContaining({
        id: 'stale:ip-address|global|10.6.0.5',
        category: 'stale',
        netbox: [{ model: 'ip-address', id: 31, display: '10.6.0.5', url: `${NB}/ipam/ip-addresses/31/` }],
      }),
    ]);
  });

  it('NetBox unreadable → unknown, and the headline says so; never "no drift"', () => {
    const report = buildDriftReport(input({ source: { healthy: false, reason: 'NetBox timed out after 30s' } }));
    expect(report.status).toBe('unknown');
    expect(report.headline).toBe(
      'Drift unknown for cluster lab: NetBox could not be read (NetBox timed out after 30s); nothing in this report rules drift out.',
    );
    expect(report.headline).not.toMatch(/no drift/i);
  });

  it('clean', () => {
    const r = buildDriftReport(input({ kinds: [{ kind: 'calico', installed: false, note: 'CRD absent' }] }));
    expect([r.status, r.headline, r.notes]).toEqual([
      'clean',
      'No drift for cluster lab: the cluster matches NetBox.',
      ['calico: not installed in the cluster (CRD absent)'],
    ]);
  });
});

describe('buildDriftReport: properties', () => {
  const cidrs = fc.integer({ min: 0, max: 15 }).map(n => `10.7.${n * 16}.0/28`);
  const intentArb = fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 40 }), cidrs), {
    selector: ([n]) => n,
    maxLength: 6,
  });
  const allocArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 40 })), {
    maxLength: 30,
  });
  const scenario = fc.tuple(intentArb, allocArb).map(([pools, allocs]) => {
    const intents = pools.map(([n, cidr]) => lbPool(`p${n}`, cidr));
    const allocations = allocs.map(([host, n], i): Allocation => ({
      range: addresses(`10.7.${host}.${i % 250}`),
      owner: { kind: 'Service', name: `s${i}`, namespace: 'apps' },
      pool: { by: 'record', kind: 'metallb', namespace: 'metallb-system', name: `p${n}` },
      via: 'test',
    }));
    return { intents, allocations };
  });

  it('is deterministic: the order of the input does not change a byte of the JSON', () => {
    fc.assert(
      fc.property(scenario, fc.integer(), ({ intents, allocations }, seed) => {
        const shuffle = <T>(xs: T[]): T[] =>
          xs
            .map((x, i) => ({ x, k: (i * 7919 + seed) % 104729 }))
            .sort((a, b) => a.k - b.k)
            .map(p => p.x);
        const a = renderDriftJson(buildDriftReport(input({ intents, allocations })));
        const b = renderDriftJson(
          buildDriftReport(input({ intents: shuffle(intents), allocations: shuffle(allocations) })),
        );
        expect(b).toBe(a);
      }),
    );
  });

  it('counts match the entries; percent stays within 0-100; used never exceeds size', () => {
    fc.assert(
      fc.property(scenario, ({ intents, allocations }) => {
        const r = buildDriftReport(input({ intents, allocations }));
        for (const c of DRIFT_CATEGORIES) expect(r.counts[c]).toBe(r.entries.filter(e => e.category === c).length);
        expect(new Set(r.entries.map(e => e.id)).size).toBe(r.entries.length);
        for (const p of r.utilisation) {
          expect(BigInt(p.used) <= BigInt(p.size)).toBe(true);
          expect(p.percent).toBeGreaterThanOrEqual(0);
          expect(p.percent).toBeLessThanOrEqual(100);
        }
      }),
    );
  });

  it('percentOf rounds to one decimal exactly, for sizes beyond 2^53', () => {
    expect(percentOf(1n, 3n)).toBe(33.3);
    expect(percentOf(2n, 3n)).toBe(66.7);
    expect(percentOf(2n ** 63n, 2n ** 64n)).toBe(50);
    expect(percentOf(0n, 0n)).toBe(0);
  });
});
