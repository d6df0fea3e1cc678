import { describe, expect, it } from 'vitest';
import type { NbIpAddress, NbPrefix } from '../model/netbox.ts';
import type { DesiredRecord, WritebackPlan, WritebackSettings } from '../writeback/types.ts';
import { applyWriteback, createBody, foreignRecords, identityOf, readOwnedRecords } from './records.ts';
import type { RecordsApi } from './records.ts';

const S: WritebackSettings = {
  cluster: 'lab',
  managedTag: 'k8s-ippool-sync',
  clusterTag: 'k8s-lab',
  fields: { cluster: 'k8s_cluster', owner: 'k8s_owner', pool: 'k8s_pool', staleSince: 'k8s_stale_since' },
  addressStatus: 'reserved',
  blockStatus: 'reserved',
  blocksAs: 'prefix',
  grain: {},
  graceMs: 0,
};

function address(id: number, text: string, tags: string[], vrf: number | null = null): NbIpAddress {
  return {
    id,
    url: `https://nb/api/ipam/ip-addresses/${id}/`,
    display: text,
    family: { value: 4, label: 'IPv4' },
    address: text,
    vrf: vrf === null ? null : { id: vrf, name: `vrf${vrf}` },
    tenant: null,
    status: { value: 'active', label: 'Active' },
    role: null,
    tags: tags.map((slug, i) => ({ id: i + 1, name: slug, slug })),
    custom_fields: {},
  };
}

describe('identityOf', () => {
  it.each<[string, 'ip-address' | 'prefix' | 'ip-range', object, string | undefined]>([
    ['an address, mask aside', 'ip-address', { address: '10.0.0.5/24' }, '10.0.0.5'],
    ['an IPv6 address in canonical form', 'ip-address', { address: '2001:DB8::0:5/64' }, '2001:db8::5'],
    ['a prefix', 'prefix', { prefix: '10.0.1.0/26' }, '10.0.1.0/26'],
    ['a range', 'ip-range', { start_address: '10.0.0.10/24', end_address: '10.0.0.19/24' }, '10.0.0.10-10.0.0.19'],
    ['garbage', 'ip-address', { address: 'ten dot zero' }, undefined],
  ])('%s', (_name, model, row, space) => {
    expect(identityOf(model, row as NbIpAddress)?.space).toBe(space);
  });
});

describe('foreignRecords', () => {
  it('keeps what is not ours by id, whatever its tags, keyed by VRF and host', () => {
    const snapshot = {
      prefixes: [],
      ipRanges: [],
      recorded: {
        prefixes: [] as NbPrefix[],
        ipRanges: [],
        ipAddresses: [
          address(1, '10.0.0.1/24', []),
          address(2, '10.0.0.2/24', ['k8s-ippool-sync', 'k8s-lab']),
          address(3, '10.0.0.3/24', ['k8s-ippool-sync', 'k8s-east'], 7),
        ],
      },
    };
    const owned = [{ model: 'ip-address' as const, id: 2 }] as unknown as Parameters<typeof foreignRecords>[1];
    expect(foreignRecords(snapshot, owned).map(r => [r.key, r.tags])).toEqual([
      ['ip-address|global|10.0.0.1', []],
      ['ip-address|7|10.0.0.3', ['k8s-ippool-sync', 'k8s-east']],
    ]);
  });
});

describe('createBody', () => {
  it('carries the location, VRF, our tags and every custom field, stale-since cleared', () => {
    const d: DesiredRecord = {
      model: 'ip-address',
      vrf: 7,
      space: '10.0.0.5',
      key: 'ip-address|7|10.0.0.5',
      kind: 'metallb',
      location: { address: '10.0.0.5/24' },
      status: 'reserved',
      description: 'service shop/web · metallb:metallb-system/lb · netbox-ippool-sync',
      dnsName: 'web.shop.lb.example.com',
      owner: 'shop/web',
      pool: 'metallb:metallb-system/lb',
      via: 'test',
    };
    expect(createBody(d, S)).toEqual({
      address: '10.0.0.5/24',
      vrf: 7,
      status: 'reserved',
      description: d.description,
      dns_name: 'web.shop.lb.example.com',
      tags: [{ slug: 'k8s-ippool-sync' }, { slug: 'k8s-lab' }],
      custom_fields: {
        k8s_cluster: 'lab',
        k8s_owner: 'shop/web',
        k8s_pool: 'metallb:metallb-system/lb',
        k8s_stale_since: null,
      },
    });
  });
});

describe('applyWriteback', () => {
  it('deletes, then marks and updates, then creates, model by model; stops at a failure that is not about one object', async () => {
    const calls: string[] = [];
    const endpoint = (model: string) => ({
      create: (items: object[]) => {
        calls.push(`create ${model} ${items.length}`);
        if (model === 'prefix') {
          const err = new Error('NetBox unavailable');
          return Promise.resolve({
            succeeded: [],
            failed: items.map((item, index) => ({
              item,
              index,
              fieldErrors: {},
              message: err.message,
              outcome: 'unknown' as const,
            })),
            aborted: Object.assign(err, { kind: 'unavailable' }),
          });
        }
        return Promise.resolve({ succeeded: items, failed: [] });
      },
      update: (items: object[]) => (
        calls.push(`update ${model} ${items.length}`),
        Promise.resolve({ succeeded: items, failed: [] })
      ),
      delete: (ids: number[]) => (
        calls.push(`delete ${model} ${ids.length}`),
        Promise.resolve({ succeeded: ids.map(id => ({ id })), failed: [] })
      ),
    });
    const api = {
      listIpAddresses: () => Promise.resolve([]),
      listPrefixes: () => Promise.resolve([]),
      listIpRanges: () => Promise.resolve([]),
      ipAddresses: endpoint('ip-address'),
      prefixes: endpoint('prefix'),
      ipRanges: endpoint('ip-range'),
    } as unknown as RecordsApi;
    const rec = (model: 'ip-address' | 'prefix' | 'ip-range', space: string): DesiredRecord => ({
      model,
      vrf: null,
      space,
      key: `${model}|global|${space}`,
      kind: 'k',
      location: {},
      status: 'reserved',
      description: '',
      owner: 'o',
      pool: 'p',
      via: 'v',
    });
    const plan: WritebackPlan = {
      changes: [
        { action: 'delete', id: 1, model: 'ip-address', key: 'a', why: '' },
        { action: 'mark-stale', id: 2, model: 'prefix', key: 'b', patch: {}, why: '' },
        { action: 'update', record: rec('ip-address', '10.0.0.9'), id: 3, patch: {}, why: '' },
        { action: 'create', record: rec('ip-address', '10.0.0.5') },
        { action: 'create', record: rec('prefix', '10.0.1.0/26') },
        { action: 'create', record: rec('ip-range', '10.0.2.1-10.0.2.9') },
      ],
      conflicts: [],
      kept: [],
      summary: { create: 3, update: 1, 'mark-stale': 1, delete: 1, conflict: 0, unchanged: 0, kept: 0 },
    };
    const report = await applyWriteback(api, plan, S);
    expect(calls).toEqual([
      'delete ip-address 1',
      'update ip-address 1',
      'update prefix 1',
      'create ip-address 1',
      'create prefix 1',
    ]);
    expect(report.results.map(r => `${r.change.action} ${r.outcome}`)).toEqual([
      'delete applied',
      'update applied',
      'mark-stale applied',
      'create applied',
      'create unknown',
      'create not-attempted',
    ]);
    expect(report.aborted).toBe('NetBox unavailable');
  });
});

describe('readOwnedRecords', () => {
  const ours = ['k8s-ippool-sync', 'k8s-lab'];
  const snapshot = {
    prefixes: [],
    ipRanges: [],
    recorded: {
      prefixes: [] as NbPrefix[],
      ipRanges: [],
      ipAddresses: [
        address(1, '10.0.0.1/24', []),
        address(2, '10.0.0.2/24', ours),
        address(3, '10.0.0.3/24', ['k8s-ippool-sync', 'k8s-east']),
        address(4, '10.0.0.4/24', ours),
      ],
    },
  };
  /** A reader that answers listings with `listed` and counts with `counts`, recording every request. */
  function reader(counts: Record<string, number> | undefined, listed: NbIpAddress[] = []) {
    const calls: string[] = [];
    const api = {
      listIpAddresses: (q: object) => (calls.push(`list ip-addresses ${JSON.stringify(q)}`), Promise.resolve(listed)),
      listPrefixes: (q: object) => (calls.push(`list prefixes ${JSON.stringify(q)}`), Promise.resolve([])),
      listIpRanges: (q: object) => (calls.push(`list ip-ranges ${JSON.stringify(q)}`), Promise.resolve([])),
      ...(counts === undefined
        ? {}
        : {
            count: (endpoint: string) => (calls.push(`count ${endpoint}`), Promise.resolve(counts[endpoint] ?? 0)),
          }),
    };
    return { api, calls };
  }

  it('takes our records from the snapshot when NetBox counts no more of them: one request per model', async () => {
    const { api, calls } = reader({ 'ipam/ip-addresses': 2 });
    const owned = await readOwnedRecords(api, S, snapshot);
    expect(owned.map(r => [r.id, r.space])).toEqual([
      [2, '10.0.0.2'],
      [4, '10.0.0.4'],
    ]);
    expect(calls.sort()).toEqual(['count ipam/ip-addresses', 'count ipam/ip-ranges', 'count ipam/prefixes']);
  });

  it('lists a model by our tags when NetBox holds records of ours outside the snapshot', async () => {
    const outside = address(9, '10.9.0.9/24', ours);
    const { api, calls } = reader({ 'ipam/ip-addresses': 3 }, [snapshot.recorded.ipAddresses[1]!, outside]);
    const owned = await readOwnedRecords(api, S, snapshot);
    expect(owned.map(r => r.id)).toEqual([2, 9]);
    expect(calls.sort()).toEqual([
      'count ipam/ip-addresses',
      'count ipam/ip-ranges',
      'count ipam/prefixes',
      'list ip-addresses {"tag":["k8s-ippool-sync","k8s-lab"]}',
    ]);
  });

  it('without a snapshot or a count it lists all three models by our tags', async () => {
    const { api, calls } = reader(undefined);
    await readOwnedRecords(api, S, snapshot);
    expect(calls).toHaveLength(3);
    const counted = reader({});
    await readOwnedRecords(counted.api, S);
    expect(counted.calls.filter(c => c.startsWith('list'))).toHaveLength(3);
  });
});
