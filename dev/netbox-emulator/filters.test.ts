import { beforeAll, describe, expect, it } from 'vitest';
import { directWriteContext } from './direct.ts';
import { applyFilters } from './filters.ts';
import { Store } from './store.ts';
import { ApiError } from './types.ts';
import type { Endpoint } from './types.ts';
import { writeObject } from './write.ts';

const store = new Store();

function create(ep: Endpoint, body: Record<string, unknown>): number {
  const out = writeObject(directWriteContext(store, { enforceGlobalUnique: false }), ep, body, undefined, 'create');
  if (!out.ok) throw new Error(`setup ${ep} ${JSON.stringify(body)} rejected: ${JSON.stringify(out.errors)}`);
  return out.value.id;
}

/** Ids NetBox would return for a query string. */
function ids(ep: Endpoint, query: string): number[] {
  return applyFilters(store, ep, store.all(ep), new URLSearchParams(query)).map(r => r.id);
}

function errorsOf(ep: Endpoint, query: string): unknown {
  try {
    applyFilters(store, ep, store.all(ep), new URLSearchParams(query));
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, body: err.body };
    throw err;
  }
  throw new Error(`expected ${query} to be refused`);
}

let early = '';

beforeAll(async () => {
  for (const slug of ['lab', 'sync', 'other']) create('extras/tags', { name: slug, slug });
  for (const slug of ['pod', 'lb']) create('ipam/roles', { name: slug, slug });
  create('ipam/vrfs', { name: 'blue', rd: '65000:1' });
  create('extras/custom-fields', { name: 'kind', type: 'text', object_types: ['ipam.prefix'] });
  create('extras/custom-fields', { name: 'pool', type: 'text', filter_logic: 'exact', object_types: ['ipam.prefix'] });
  create('extras/custom-fields', { name: 'size', type: 'integer', object_types: ['ipam.prefix'] });
  // 1: global, pod, lab+sync     2: global, lb, lab     3: vrf blue, pod, sync     4: global container
  create('ipam/prefixes', {
    prefix: '10.0.0.0/24',
    role: 1,
    tags: [1, 2],
    custom_fields: { kind: 'calico', pool: 'pods-a', size: 26 },
    description: 'Pods A',
  });
  early = store.get('ipam/prefixes', 1)?.last_updated ?? '';
  await new Promise(r => setTimeout(r, 5));
  create('ipam/prefixes', {
    prefix: '10.0.1.0/24',
    role: 2,
    tags: [1],
    status: 'reserved',
    custom_fields: { size: 30 },
  });
  create('ipam/prefixes', { prefix: '10.0.0.0/24', role: 1, vrf: 1, tags: [2], custom_fields: { pool: 'pods' } });
  create('ipam/prefixes', { prefix: '10.0.0.0/16', status: 'container' });
  create('ipam/prefixes', { prefix: 'fd00::/64', role: 1, tags: [1] });
  create('ipam/ip-ranges', { start_address: '10.0.0.10/24', end_address: '10.0.0.20/24', role: 1 });
  create('ipam/ip-ranges', { start_address: '10.0.1.10/24', end_address: '10.0.1.20/24', vrf: 1 });
  create('ipam/ip-addresses', { address: '10.0.0.1/24' });
  create('ipam/ip-addresses', { address: '10.0.0.15/32', dns_name: 'gw.example' });
  create('ipam/ip-addresses', { address: '10.0.1.1/24', vrf: 1 });
});

describe('tag filters', () => {
  it.each([
    ['tag=lab', [1, 2, 5]],
    ['tag=lab&tag=sync', [1]],
    ['tag__n=lab', [3, 4]],
    ['tag__any=lab&tag__any=sync', [1, 2, 3, 5]],
    ['tag_id=2', [1, 3]],
    ['tag_id__n=1&tag_id__n=2', [4]],
  ])('%s → %j', (q, want) => {
    expect(ids('ipam/prefixes', q)).toEqual(want);
  });

  it('refuses unknown slugs with NetBox’s message under the parameter name', () => {
    expect(errorsOf('ipam/prefixes', 'tag=lab&tag=missing')).toEqual({
      status: 400,
      body: { tag: ['Select a valid choice. missing is not one of the available choices.'] },
    });
  });
});

describe('object and choice filters', () => {
  it.each([
    ['role=pod', [1, 3, 5]],
    ['role=pod&role=lb', [1, 2, 3, 5]],
    ['role_id=2', [2]],
    ['role__n=pod', [2, 4]],
    ['role=null', [4]],
    ['vrf_id=null', [1, 2, 4, 5]],
    ['vrf_id=1', [3]],
    ['vrf=65000:1', [3]],
    ['status=reserved&status=container', [2, 4]],
    ['status__n=active', [2, 4]],
    ['family=6', [5]],
    ['id=1&id=3', [1, 3]],
    ['id__gt=3', [4, 5]],
    ['id__lte=2', [1, 2]],
    ['unknown_filter=1', [1, 2, 3, 4, 5]],
    ['description__ic=pods', [1]],
    ['q=Pods', [1]],
  ])('%s → %j', (q, want) => {
    expect(ids('ipam/prefixes', q)).toEqual(want);
  });

  it.each([
    ['role=nope', { role: ['Select a valid choice. nope is not one of the available choices.'] }],
    ['role_id=99', { role_id: ['Select a valid choice. 99 is not one of the available choices.'] }],
    ['status=gone', { status: ['Select a valid choice. gone is not one of the available choices.'] }],
    ['id__gt=x', { id__gt: ['Enter a number.'] }],
    ['last_updated__gte=yesterday', { last_updated__gte: ['Enter a valid date/time.'] }],
  ])('%s is a 400', (q, body) => {
    expect(errorsOf('ipam/prefixes', q)).toEqual({ status: 400, body });
  });

  it('filters on last_updated with date-time lookups', () => {
    expect(ids('ipam/prefixes', `last_updated__gte=${encodeURIComponent(early)}`)).toEqual([1, 2, 3, 4, 5]);
    expect(ids('ipam/prefixes', `last_updated__gt=${encodeURIComponent(early)}`)).toEqual([2, 3, 4, 5]);
  });
});

describe('address filters', () => {
  it.each([
    ['ipam/prefixes', 'prefix=10.0.0.0/24', [1, 3]],
    ['ipam/prefixes', 'within=10.0.0.0/16', [1, 2, 3]],
    ['ipam/prefixes', 'within_include=10.0.0.0/16', [1, 2, 3, 4]],
    ['ipam/prefixes', 'contains=10.0.1.7', [2, 4]],
    ['ipam/prefixes', 'contains=10.0.0.0/24', [1, 3, 4]],
    ['ipam/prefixes', 'mask_length=16', [4]],
    ['ipam/prefixes', 'within=garbage', []],
    ['ipam/ip-ranges', 'parent=10.0.0.0/24', [1]],
    ['ipam/ip-ranges', 'parent=10.0.0.0/24&parent=10.0.1.0/24', [1, 2]],
    // NetBox compares inet values mask and all: a bare address misses ranges stored with a /24 mask.
    ['ipam/ip-ranges', 'contains=10.0.0.15', []],
    ['ipam/ip-ranges', 'contains=10.0.0.15/24', [1]],
    ['ipam/ip-ranges', 'contains=10.0.0.25/24', []],
    ['ipam/ip-ranges', 'start_address=10.0.1.10', [2]],
    ['ipam/ip-ranges', 'role=pod', [1]],
    ['ipam/ip-addresses', 'parent=10.0.0.0/24', [1, 2]],
    ['ipam/ip-addresses', 'parent=10.0.0.0/24&vrf_id=null', [1, 2]],
    ['ipam/ip-addresses', 'address=10.0.0.15', [2]],
    ['ipam/ip-addresses', 'address=10.0.0.15/24', []],
    // Answered from the host index: several values, the same host twice, with other filters, unparsable.
    ['ipam/ip-addresses', 'address=10.0.1.1&address=10.0.0.1', [1, 3]],
    ['ipam/ip-addresses', 'address=10.0.0.1&address=10.0.0.1/24', [1]],
    ['ipam/ip-addresses', 'address=10.0.0.1&vrf_id=null', [1]],
    ['ipam/ip-addresses', 'address=10.0.1.1&vrf_id=null', []],
    ['ipam/ip-addresses', 'address=garbage', []],
    ['ipam/ip-addresses', 'q=gw', [2]],
  ] as const)('%s %s → %j', (ep, q, want) => {
    expect(ids(ep, q)).toEqual(want);
  });
});

describe('custom field filters', () => {
  it.each([
    ['cf_kind=CAL', [1]],
    ['cf_pool=pods', [3]],
    ['cf_pool=pod', []],
    ['cf_size=26&cf_size=30', [1, 2]],
    ['cf_size__gte=27', [2]],
    ['cf_missing=1', [1, 2, 3, 4, 5]],
  ])('%s → %j', (q, want) => {
    expect(ids('ipam/prefixes', q)).toEqual(want);
  });
});
