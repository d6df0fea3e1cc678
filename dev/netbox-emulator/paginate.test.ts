import { describe, expect, it } from 'vitest';
import { effectiveLimit, paginate, selectFields, sortRows } from './paginate.ts';
import { Store } from './store.ts';
import { ApiError } from './types.ts';
import type { Row } from './types.ts';

const rows: Row[] = Array.from({ length: 120 }, (_, i) => ({ id: i + 1, created: '', last_updated: '' }));
const limits = { paginateCount: 50, maxPageSize: 100 };
const page = (query: string, l = limits) => paginate(rows, new URL(`http://nb.test/api/ipam/prefixes/?${query}`), l);

describe('limit', () => {
  it.each([
    ['', 50],
    ['limit=10', 10],
    ['limit=500', 100],
    ['limit=0', 100],
    ['limit=-3', 50],
    ['limit=abc', 50],
  ])('"%s" → %d', (query, want) => {
    expect(effectiveLimit(new URLSearchParams(query), limits)).toBe(want);
  });

  it('returns everything for limit=0 when MAX_PAGE_SIZE is disabled', () => {
    const p = page('limit=0', { paginateCount: 50, maxPageSize: 0 });
    expect([p.rows.length, p.next, p.previous]).toEqual([120, null, null]);
  });
});

describe('offset pagination', () => {
  it('builds DRF links: keys sorted, filters kept, offset dropped on the first page', () => {
    const p = page('tag=lab&limit=10&offset=10');
    expect(p.count).toBe(120);
    expect(p.rows.map(r => r.id)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(p.next).toBe('http://nb.test/api/ipam/prefixes/?limit=10&offset=20&tag=lab');
    expect(p.previous).toBe('http://nb.test/api/ipam/prefixes/?limit=10&tag=lab');
  });

  it('ends with next null and returns nothing past the end', () => {
    expect(page('limit=50&offset=100').next).toBeNull();
    expect(page('limit=50&offset=100').rows).toHaveLength(20);
    expect(page('offset=500').rows).toEqual([]);
  });

  it('caps limit=0 at MAX_PAGE_SIZE and links the next page', () => {
    const p = page('limit=0');
    expect(p.rows).toHaveLength(100);
    expect(p.next).toBe('http://nb.test/api/ipam/prefixes/?limit=100&offset=100');
  });

  it('encodes values like Python quote_plus', () => {
    expect(page('q=a b/c&limit=1').next).toBe('http://nb.test/api/ipam/prefixes/?limit=1&offset=1&q=a+b%2Fc');
  });
});

describe('cursor pagination', () => {
  it('returns ids from start upwards with a null count and no previous link', () => {
    const p = page('start=115&limit=3');
    expect([p.count, p.previous, p.rows.map(r => r.id)]).toEqual([null, null, [115, 116, 117]]);
    expect(p.next).toBe('http://nb.test/api/ipam/prefixes/?limit=3&start=118');
    // NetBox does not look ahead: a full last page still links a (then empty) next page.
    expect(page('start=118&limit=3').next).toBe('http://nb.test/api/ipam/prefixes/?limit=3&start=121');
    expect(page('start=119&limit=3').next).toBeNull();
  });

  it('refuses start together with offset or ordering, and a start that is not a number', () => {
    expect(() => page('start=1&offset=5')).toThrow(ApiError);
    expect(() => page('start=1&ordering=prefix')).toThrow(ApiError);
    expect(() => page('start=x')).toThrow(ApiError);
  });
});

describe('ordering and field selection', () => {
  const store = new Store();
  const p = (id: number, prefix: string, vrf: number | null): Row => ({
    id,
    created: '',
    last_updated: '',
    prefix,
    vrf,
  });
  const list = [p(1, '10.0.0.0/24', 1), p(2, '10.0.0.0/16', null), p(3, '9.0.0.0/8', null), p(4, '10.0.0.0/24', null)];

  it('orders prefixes by VRF (global first), then network, then mask, then id', () => {
    expect(sortRows(store, 'ipam/prefixes', list).map(r => r.id)).toEqual([3, 2, 4, 1]);
  });

  it('applies ordering= terms first and ignores unknown ones', () => {
    expect(sortRows(store, 'ipam/prefixes', list, '-id,bogus').map(r => r.id)).toEqual([4, 3, 2, 1]);
  });

  it('keeps only fields= (with sub-fields) or drops omit=', () => {
    const obj = { id: 1, prefix: 'x', vrf: { id: 2, name: 'v' }, tags: [] };
    expect(selectFields(obj, new URLSearchParams('fields=id,vrf.name'))).toEqual({ id: 1, vrf: { name: 'v' } });
    expect(selectFields(obj, new URLSearchParams('omit=tags,vrf'))).toEqual({ id: 1, prefix: 'x' });
    expect(selectFields(obj, new URLSearchParams('fields=id&omit=id'))).toEqual({ id: 1 });
  });
});
