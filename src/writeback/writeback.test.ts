import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Allocation } from '../model/allocation.ts';
import type { PoolIntent } from '../model/intent.ts';
import { addresses, poolIntent, prefixBlock, rangeBlock } from '../../test/support/kind-fixtures.ts';
import { desiredRecords, recordKey } from './desired.ts';
import { calculateWriteback } from './plan.ts';
import type { WritebackInput } from './plan.ts';
import type { DesiredRecord, ForeignRecord, OwnedRecord, WritebackSettings } from './types.ts';

const SETTINGS: WritebackSettings = {
  cluster: 'lab',
  managedTag: 'k8s-ippool-sync',
  clusterTag: 'k8s-lab',
  fields: { cluster: 'k8s_cluster', owner: 'k8s_owner', pool: 'k8s_pool', staleSince: 'k8s_stale_since' },
  addressStatus: 'reserved',
  blockStatus: 'reserved',
  blocksAs: 'prefix',
  grain: { whereabouts: 'addresses', calico: 'blocks', 'nv-ipam': 'blocks', metallb: 'addresses', other: 'none' },
  graceMs: 3_600_000,
};

const VRF_RED = { id: 7, name: 'red', rd: null, slug: 'red' };
const VRF_BLUE = { id: 8, name: 'blue', rd: null, slug: 'blue' };

function pod(address: string, name: string, pool: Allocation['pool'], extras: Partial<Allocation> = {}): Allocation {
  return { range: addresses(address), owner: { kind: 'Pod', name, namespace: 'apps' }, pool, via: 'test', ...extras };
}
function nodeBlock(range: string, node: string, pool: Allocation['pool']): Allocation {
  return { range: addresses(range), owner: { kind: 'Node', name: node }, pool, node, via: 'test' };
}
const ref = (kind: string, name: string, namespace?: string): Allocation['pool'] =>
  namespace === undefined ? { kind, name, by: 'record' } : { kind, name, namespace, by: 'record' };

const secondary: PoolIntent = poolIntent('whereabouts', [prefixBlock(11, '10.20.0.0/24')], {
  name: 'net-a',
  namespace: 'apps',
  vrf: VRF_RED,
});
const secondaryBlue: PoolIntent = poolIntent('whereabouts', [prefixBlock(12, '10.20.0.0/24')], {
  name: 'net-b',
  namespace: 'apps',
  vrf: VRF_BLUE,
});
const pods: PoolIntent = poolIntent('calico', [prefixBlock(13, '10.40.0.0/16')], { name: 'pods' });
const rdma: PoolIntent = poolIntent('nv-ipam', [rangeBlock(14, '10.50.0.10-10.50.0.209', '10.50.0.0/24')], {
  name: 'rdma',
  namespace: 'kube-system',
});
const lb: PoolIntent = poolIntent('metallb', [prefixBlock(15, '192.0.2.0/28')], {
  name: 'lb',
  namespace: 'metallb-system',
});
const INTENTS = [secondary, secondaryBlue, pods, rdma, lb];

describe('desiredRecords', () => {
  it('records a pod address in its pool VRF with the mask of its NetBox prefix, owner and pool named', () => {
    const { records, conflicts } = desiredRecords(
      [pod('10.20.0.5', 'web-1', ref('whereabouts', 'net-a', 'apps'), { interface: 'net1' })],
      INTENTS,
      SETTINGS,
    );
    expect(conflicts).toEqual([]);
    expect(records).toEqual([
      {
        model: 'ip-address',
        vrf: 7,
        space: '10.20.0.5',
        key: 'ip-address|7|10.20.0.5',
        kind: 'whereabouts',
        location: { address: '10.20.0.5/24' },
        status: 'reserved',
        description: 'pod apps/web-1 (net1) · whereabouts:apps/net-a · netbox-ippool-sync',
        owner: 'apps/web-1',
        pool: 'whereabouts:apps/net-a',
        via: 'test',
      },
    ]);
  });

  it('the same address in two VRFs is two records', () => {
    const { records } = desiredRecords(
      [
        pod('10.20.0.5', 'a', ref('whereabouts', 'net-a', 'apps')),
        pod('10.20.0.5', 'b', ref('whereabouts', 'net-b', 'apps')),
      ],
      INTENTS,
      SETTINGS,
    );
    expect(records.map(r => r.key)).toEqual(['ip-address|7|10.20.0.5', 'ip-address|8|10.20.0.5']);
  });

  it.each<[string, Allocation, WritebackSettings['blocksAs'], string | undefined, Record<string, string> | undefined]>([
    [
      'a Calico block as a child prefix',
      nodeBlock('10.40.1.0/26', 'n1', ref('calico', 'pods')),
      'prefix',
      'prefix',
      { prefix: '10.40.1.0/26' },
    ],
    [
      'a Calico block as an IP range when configured',
      nodeBlock('10.40.1.0/26', 'n1', ref('calico', 'pods')),
      'ip-range',
      'ip-range',
      { start_address: '10.40.1.0/16', end_address: '10.40.1.63/16' },
    ],
    [
      'an NV-IPAM block that is no CIDR as an IP range',
      nodeBlock('10.50.0.10-10.50.0.59', 'n2', ref('nv-ipam', 'rdma', 'kube-system')),
      'prefix',
      'ip-range',
      { start_address: '10.50.0.10/24', end_address: '10.50.0.59/24' },
    ],
    [
      'no pod address of a block-grained kind',
      pod('10.40.1.7', 'p', ref('calico', 'pods')),
      'prefix',
      undefined,
      undefined,
    ],
    [
      'no block of an address-grained kind',
      nodeBlock('10.20.0.0/28', 'n1', ref('whereabouts', 'net-a', 'apps')),
      'prefix',
      undefined,
      undefined,
    ],
  ])('%s', (_name, allocation, blocksAs, model, location) => {
    const { records, conflicts } = desiredRecords([allocation], INTENTS, { ...SETTINGS, blocksAs });
    expect(conflicts).toEqual([]);
    expect(records.map(r => r.model)).toEqual(model === undefined ? [] : [model]);
    if (location !== undefined) expect(records[0]?.location).toEqual(location);
  });

  it.each<[string, Allocation, string]>([
    ['no pool', pod('10.99.0.1', 'p', null), 'belongs to no pool of this cluster'],
    [
      'a pool NetBox does not select',
      pod('10.20.0.9', 'p', ref('whereabouts', 'gone', 'apps')),
      'which no NetBox prefix or IP range',
    ],
    [
      'outside its pool space',
      pod('10.21.0.9', 'p', ref('whereabouts', 'net-a', 'apps')),
      'lies outside the NetBox space of whereabouts:apps/net-a',
    ],
  ])('an allocation with %s is a conflict, never a record', (_name, allocation, reason) => {
    const { records, conflicts } = desiredRecords([allocation], INTENTS, SETTINGS);
    expect(records).toEqual([]);
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]?.kind).toBe('outside-netbox-space');
    expect(conflicts[0]?.reason).toContain(reason);
  });

  it('one address allocated to two owners records the first and reports the second', () => {
    const { records, conflicts } = desiredRecords(
      [
        pod('10.20.0.5', 'a', ref('whereabouts', 'net-a', 'apps')),
        pod('10.20.0.5', 'b', ref('whereabouts', 'net-a', 'apps')),
      ],
      INTENTS,
      SETTINGS,
    );
    expect(records.map(r => r.owner)).toEqual(['apps/a']);
    expect(conflicts.map(c => c.kind)).toEqual(['duplicate-allocation']);
  });

  it('names Service records by the DNS template, made valid', () => {
    const svc: Allocation = {
      range: addresses('192.0.2.3'),
      owner: { kind: 'Service', name: 'Web_Front', namespace: 'shop' },
      pool: ref('metallb', 'lb', 'metallb-system'),
      via: 'test',
    };
    const { records } = desiredRecords([svc], INTENTS, {
      ...SETTINGS,
      serviceDnsName: '{name}.{namespace}.lb.example.com',
    });
    expect(records[0]?.dnsName).toBe('web-front.shop.lb.example.com');
  });
});

const NOW = new Date('2026-12-02T12:00:00Z');

function ownedFrom(d: DesiredRecord, id: number, extra: Partial<OwnedRecord> = {}): OwnedRecord {
  return {
    model: d.model,
    vrf: d.vrf,
    space: d.space,
    key: d.key,
    id,
    url: `https://nb/api/ipam/x/${id}/`,
    location: { ...d.location },
    tags: [SETTINGS.managedTag, SETTINGS.clusterTag],
    customFields: { k8s_cluster: 'lab', k8s_owner: d.owner, k8s_pool: d.pool, k8s_stale_since: null },
    description: d.description,
    dnsName: d.dnsName ?? '',
    ...extra,
  };
}

const ALL_READ = new Set(['whereabouts', 'calico', 'nv-ipam', 'metallb']);
function plan(over: Partial<WritebackInput>) {
  return calculateWriteback({
    desired: [],
    owned: [],
    foreign: [],
    readKinds: ALL_READ,
    settings: SETTINGS,
    now: NOW,
    ...over,
  });
}
const web = desiredRecords([pod('10.20.0.5', 'web-1', ref('whereabouts', 'net-a', 'apps'))], INTENTS, SETTINGS).records;

describe('calculateWriteback', () => {
  it('creates what is missing', () => {
    const p = plan({ desired: web });
    expect(p.changes.map(c => c.action)).toEqual(['create']);
  });

  it('writes nothing when NetBox already matches (a second run is a no-op)', () => {
    const p = plan({ desired: web, owned: [ownedFrom(web[0]!, 1)] });
    expect(p.changes).toEqual([]);
    expect(p.summary.unchanged).toBe(1);
  });

  it('leaves a description a person edited alone while the owner is the same', () => {
    const p = plan({
      desired: web,
      owned: [
        ownedFrom(web[0]!, 1, { description: 'front door, ask Ana', tags: ['k8s-ippool-sync', 'k8s-lab', 'vip'] }),
      ],
    });
    expect(p.changes).toEqual([]);
  });

  it('rewrites owner and description when the address changed hands, keeping tags a person added', () => {
    const before = ownedFrom(web[0]!, 1, {
      customFields: { k8s_cluster: 'lab', k8s_owner: 'apps/old', k8s_pool: web[0]!.pool },
      tags: ['k8s-ippool-sync', 'vip'],
      description: 'pod apps/old · whereabouts:apps/net-a · netbox-ippool-sync',
    });
    const p = plan({ desired: web, owned: [before] });
    expect(p.changes).toEqual([
      {
        action: 'update',
        record: web[0],
        id: 1,
        patch: {
          custom_fields: { k8s_owner: 'apps/web-1' },
          tags: [{ slug: 'k8s-ippool-sync' }, { slug: 'vip' }, { slug: 'k8s-lab' }],
          description: 'pod apps/web-1 · whereabouts:apps/net-a · netbox-ippool-sync',
        },
        why: 'changed: description, k8s_owner, tags',
      },
    ]);
  });

  it('marks a record whose allocation is gone, keeps it through the grace period, then deletes it', () => {
    const owned = ownedFrom(web[0]!, 1);
    expect(plan({ owned: [owned] }).changes).toEqual([
      expect.objectContaining({
        action: 'mark-stale',
        id: 1,
        patch: { custom_fields: { k8s_stale_since: NOW.toISOString() } },
      }),
    ]);
    const marked = { ...owned, customFields: { ...owned.customFields, k8s_stale_since: '2026-12-02T11:30:00.000Z' } };
    const inGrace = plan({ owned: [marked] });
    expect(inGrace.changes).toEqual([]);
    expect(inGrace.kept.map(k => k.reason)).toEqual(['stale since 2026-12-02T11:30:00.000Z, in its grace period']);
    const old = { ...owned, customFields: { ...owned.customFields, k8s_stale_since: '2026-12-02T10:59:59.000Z' } };
    expect(plan({ owned: [old] }).changes.map(c => c.action)).toEqual(['delete']);
  });

  it('keeps one record of a key held twice (two runs raced) and marks, then deletes, the duplicate', () => {
    const first = ownedFrom(web[0]!, 5);
    const second = ownedFrom(web[0]!, 9);
    const p = plan({ desired: web, owned: [second, first] });
    expect(p.changes).toEqual([
      expect.objectContaining({
        action: 'mark-stale',
        id: 9,
        why: `duplicate of record #5, which is kept for 10.20.0.5`,
      }),
    ]);
    expect(p.summary.unchanged).toBe(1);
    const marked = { ...second, customFields: { ...second.customFields, k8s_stale_since: '2026-12-02T10:00:00.000Z' } };
    // The marked duplicate is not taken for the record to keep, even though the other one is newer.
    const later = plan({ desired: web, owned: [ownedFrom(web[0]!, 3, { customFields: marked.customFields }), first] });
    expect(later.changes).toEqual([expect.objectContaining({ action: 'delete', id: 3 })]);
    expect(later.summary.unchanged).toBe(1);
  });

  it('unmarks a stale record whose allocation came back', () => {
    const owned = ownedFrom(web[0]!, 1);
    const marked = { ...owned, customFields: { ...owned.customFields, k8s_stale_since: '2026-12-02T11:30:00.000Z' } };
    const p = plan({ desired: web, owned: [marked] });
    expect(p.changes).toEqual([
      expect.objectContaining({
        action: 'update',
        patch: { custom_fields: { k8s_stale_since: null } },
        why: 'the allocation is back: no longer stale',
      }),
    ]);
  });

  it('marks and deletes nothing of a kind whose allocations were not fully read', () => {
    const owned = ownedFrom(web[0]!, 1, {
      customFields: {
        k8s_cluster: 'lab',
        k8s_owner: 'apps/web-1',
        k8s_pool: web[0]!.pool,
        k8s_stale_since: '2020-01-01T00:00:00Z',
      },
    });
    const p = plan({ owned: [owned], readKinds: new Set(['calico']) });
    expect(p.changes).toEqual([]);
    expect(p.kept).toEqual([
      { key: owned.key, id: 1, why: 'not-read', reason: 'whereabouts allocations were not fully read this cycle' },
    ]);
  });

  it.each<[string, string[], string]>([
    ['a record nobody tagged', ['dns'], 'held-by-other-record'],
    ['another cluster', ['k8s-ippool-sync', 'k8s-east'], 'held-by-other-cluster'],
  ])('reports an address NetBox records for %s as a conflict and writes nothing', (_name, tags, kind) => {
    const other: ForeignRecord = {
      model: 'ip-address',
      vrf: 7,
      space: '10.20.0.5',
      key: recordKey('ip-address', 7, '10.20.0.5'),
      id: 99,
      url: 'https://nb/99',
      display: '10.20.0.5/24',
      tags,
    };
    const p = plan({ desired: web, foreign: [other] });
    expect(p.changes).toEqual([]);
    expect(p.conflicts.map(c => [c.kind, c.netbox?.id])).toEqual([[kind, 99]]);
  });

  it('is idempotent: after applying a plan, the next plan changes nothing', () => {
    const pools = ['net-a', 'net-b'] as const;
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.tuple(fc.integer({ min: 1, max: 254 }), fc.constantFrom(...pools), fc.integer({ min: 0, max: 3 })),
          {
            selector: ([host, pool]) => `${host}|${pool}`,
            maxLength: 30,
          },
        ),
        fc.uniqueArray(fc.integer({ min: 1, max: 254 }), { maxLength: 10 }),
        (live, recorded) => {
          const allocations = live.map(([host, pool, owner]) =>
            pod(`10.20.0.${host}`, `p${owner}`, ref('whereabouts', pool, 'apps')),
          );
          const { records } = desiredRecords(allocations, INTENTS, SETTINGS);
          const stale = desiredRecords(
            recorded.map(h => pod(`10.20.0.${h}`, 'old', ref('whereabouts', 'net-a', 'apps'))),
            INTENTS,
            SETTINGS,
          ).records.map((d, i) => ownedFrom(d, 1000 + i));
          const first = plan({ desired: records, owned: stale });
          const after = applyToOwned(stale, first);
          const second = plan({ desired: records, owned: after });
          expect(second.changes).toEqual([]);
        },
      ),
    );
  });
});

/** What NetBox holds after a plan: creates added, patches merged, marked records stay (grace), deletes gone. */
function applyToOwned(owned: OwnedRecord[], p: ReturnType<typeof calculateWriteback>): OwnedRecord[] {
  const byId = new Map(owned.map(r => [r.id, structuredClone(r)]));
  let next = 1;
  for (const c of p.changes) {
    if (c.action === 'create') byId.set(next, ownedFrom(c.record, next++));
    else if (c.action === 'delete') byId.delete(c.id);
    else {
      const r = byId.get(c.id)!;
      const patch = c.patch;
      Object.assign(r.customFields, patch['custom_fields'] ?? {});
      for (const k of ['address', 'prefix', 'start_address', 'end_address'])
        if (typeof patch[k] === 'string') r.location[k] = patch[k];
      if (Array.isArray(patch['tags'])) r.tags = (patch['tags'] as { slug: string }[]).map(t => t.slug);
      if (typeof patch['description'] === 'string') r.description = patch['description'];
    }
  }
  return [...byId.values()];
}
