import { describe, expect, it } from 'vitest';
import { cidrRange, formatRange, mergeRanges, subtractRanges } from '../ip/index.ts';
import type { IpRange } from '../ip/index.ts';
import { POOL_KINDS } from './registry.ts';
import type { PoolBlock, PoolIntent } from '../model/intent.ts';
import { apiVersionOf } from '../model/k8s-object.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import type { PoolKindAdapter } from './adapter.ts';
import type { ObservedObjects } from '../model/k8s-object.ts';
import { ADAPTERS, adapterFor } from './registry.ts';
import * as kit from '../../test/support/kind-fixtures.ts';

/**
 * One contract, every adapter: what the plan, the apply and the writeback rely on regardless of kind.
 * Fixtures are chosen so that every kind can render them.
 */

const v4 = kit.prefixBlock(1, '10.20.0.0/24', {
  held: [
    ['10.20.0.1', 'gateway'],
    ['10.20.0.200-10.20.0.250', 'dhcp'],
  ],
  gateway: '10.20.0.1',
});
const v6 = kit.prefixBlock(2, 'fd00:20::/120', { held: [['fd00:20::1', 'gateway']] });
const v4Range = kit.rangeBlock(3, '10.30.1.0-10.30.1.255', '10.30.0.0/16', { held: [['10.30.1.9', 'server']] });
const v6Range = kit.rangeBlock(4, 'fd00:30::100-fd00:30::1ff', 'fd00:30::/112');

const fixtures: { name: string; blocks: PoolBlock[]; extra?: Partial<PoolIntent> }[] = [
  { name: 'IPv4 prefix', blocks: [v4] },
  { name: 'IPv6 prefix', blocks: [v6] },
  { name: 'IPv4 IP range', blocks: [v4Range] },
  { name: 'IPv6 IP range', blocks: [v6Range] },
  { name: 'dual stack', blocks: [v4, v6] },
  { name: 'draining', blocks: [v4, v6], extra: { state: 'draining' } },
  { name: 'namespaces', blocks: [v6Range], extra: { namespaces: ['team-a', 'team-b'] } },
];

const matrix = ADAPTERS.flatMap(adapter =>
  fixtures.map(f => ({
    kind: adapter.kind,
    adapter,
    fixture: f.name,
    intent: kit.poolIntent(adapter.kind, f.blocks, f.extra),
  })),
);

function owns(adapter: PoolKindAdapter, obj: K8sObject): boolean {
  return adapter.owns.some(t => apiVersionOf(t) === obj.apiVersion && t.kind === obj.kind);
}

function shuffled(intent: PoolIntent): PoolIntent {
  const copy = structuredClone(intent);
  copy.blocks.reverse();
  copy.sources.reverse();
  for (const b of copy.blocks) b.exclusions.reverse();
  return copy;
}

describe('registry', () => {
  it('has one adapter per pool kind, in POOL_KINDS order', () => {
    expect(ADAPTERS.map(a => a.kind)).toEqual([...POOL_KINDS]);
    for (const kind of POOL_KINDS) expect(adapterFor(kind).kind).toBe(kind);
  });
});

describe.each(ADAPTERS.map(a => ({ kind: a.kind, adapter: a })))('$kind adapter contract', ({ adapter }) => {
  it('fills every default from an empty config, and parsing its own output changes nothing', () => {
    const defaults = adapter.defaults.parse({});
    expect(adapter.defaults.parse(defaults)).toEqual(defaults);
  });

  it('turns an unknown k8s_options key into an error naming it, renders nothing, and renders the next pool', () => {
    const bad = kit.render(adapter, kit.poolIntent(adapter.kind, [v4], { options: { notAnOption: true } }));
    expect(bad.objects).toEqual([]);
    expect(kit.errorsOf(bad).map(e => e.field)).toEqual(['custom_fields.k8s_options.notAnOption']);
    expect(kit.render(adapter, kit.poolIntent(adapter.kind, [v4])).objects.length).toBeGreaterThan(0);
  });

  it('refuses a pool name Kubernetes would refuse', () => {
    const result = kit.render(adapter, kit.poolIntent(adapter.kind, [v4], { name: 'Pool_A' }));
    expect(kit.rejection(result).objects).toEqual([]);
    expect(kit.errorsOf(result).map(e => e.reason)).toContain('object name "Pool_A" is not a valid Kubernetes name');
  });

  it('reads no allocations from an empty cluster and never throws on malformed observed objects', () => {
    expect(adapter.allocations(new Map())).toEqual([]);
    const junk: K8sObject[] = [
      { apiVersion: 'x', kind: 'y', metadata: { name: 'a' }, spec: 'not an object', status: 42 },
      { apiVersion: 'x', kind: 'y', metadata: { name: 'b' }, spec: { allocations: { '1': null }, cidr: 7 } },
      {
        apiVersion: 'x',
        kind: 'y',
        metadata: { name: 'c', annotations: { 'k8s.v1.cni.cncf.io/network-status': '[' } },
      },
      { apiVersion: 'x', kind: 'y', metadata: undefined as unknown as K8sObject['metadata'] },
    ];
    const observed: ObservedObjects = new Map(
      [...adapter.owns, ...adapter.reads].map(t => [
        `${apiVersionOf(t)}/${t.kind}`,
        junk.map(j => ({ ...j, apiVersion: apiVersionOf(t), kind: t.kind })),
      ]),
    );
    expect(() => adapter.allocations(observed)).not.toThrow();
    for (const obj of junk.slice(0, 2)) expect(() => adapter.coveredRanges(obj)).not.toThrow();
  });
});

describe.each(matrix)('$kind × $fixture', ({ adapter, intent }) => {
  const result = kit.render(adapter, intent);

  it('renders without errors', () => {
    expect(kit.errorsOf(result)).toEqual([]);
    expect(result.objects.length).toBeGreaterThan(0);
  });

  it('writes only types it owns, each carrying the ownership labels and annotations', () => {
    const sources = intent.sources.map(s => `${s.model}/${s.id}`).join(',');
    for (const obj of result.objects) {
      expect(owns(adapter, obj)).toBe(true);
      expect(obj.metadata.labels).toEqual({
        'app.kubernetes.io/managed-by': 'netbox-ippool-sync',
        'netbox-ippool-sync/cluster': kit.CLUSTER,
        'netbox-ippool-sync/pool-kind': adapter.kind,
      });
      expect(obj.metadata.annotations).toEqual({
        'netbox-ippool-sync/netbox-objects': sources,
        'netbox-ippool-sync/netbox-urls': intent.sources.map(s => s.url).join(','),
        'netbox-ippool-sync/spec-hash': kit.sha256Hex(kit.canonical(obj.spec)),
      });
    }
  });

  it('is byte-stable: same bytes on every run, whatever the input order, keys sorted', () => {
    const again = JSON.stringify(kit.render(adapter, shuffled(intent)));
    expect(again).toBe(JSON.stringify(result));
    for (const obj of result.objects) expect(JSON.stringify(obj)).toBe(kit.canonical(obj));
  });

  it('normalises idempotently, and an observed copy with server fields compares equal', () => {
    for (const obj of result.objects) {
      const once = adapter.normalise(obj);
      expect(adapter.normalise(once)).toEqual(once);
      const observed = kit.asObserved(obj, spec => spec, { observedGeneration: 3 });
      expect(adapter.normalise(observed)).toEqual(once);
    }
  });

  it('drains stably, or says it cannot', () => {
    const [pool] = result.objects;
    const drained = adapter.drain(pool!);
    if (drained === null) {
      for (const obj of result.objects) expect(adapter.drain(obj)).toBeNull();
      return;
    }
    expect(adapter.drain(drained)).toEqual(drained);
    expect(owns(adapter, drained)).toBe(true);
    if (intent.state === 'active') {
      const rendered = kit.render(adapter, { ...intent, state: 'draining' }).objects;
      expect(result.objects.map(o => adapter.drain(o))).toEqual(rendered);
    }
  });

  it('names immutable spec paths only', () => {
    for (const obj of result.objects) {
      for (const path of adapter.immutablePaths(obj)) expect(path[0]).toBe('spec');
    }
  });

  it('covers every address the blocks allow, and nothing outside their networks', () => {
    const covered = mergeRanges(result.objects.flatMap(o => adapter.coveredRanges(o)));
    const allowed = subtractRanges(
      intent.blocks.map(b => b.range),
      intent.blocks.flatMap(b => [...b.exclusions.map(e => e.range), ...edges(b)]),
    );
    expect(subtractRanges(allowed, covered).map(formatRange)).toEqual([]);
    const networks = intent.blocks.map(b => cidrRange(b.network));
    expect(subtractRanges(covered, networks).map(formatRange)).toEqual([]);
  });
});

/** IPv4 network and broadcast addresses, which kinds may keep out of a pool on their own. */
function edges(b: PoolBlock): IpRange[] {
  if (b.network.family !== 4 || b.network.prefixLength >= 31) return [];
  const { start, end } = cidrRange(b.network);
  return [
    { family: 4, start, end: start },
    { family: 4, start: end, end },
  ];
}
