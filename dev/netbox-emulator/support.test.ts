import { describe, expect, it } from 'vitest';
import { bulkCreate } from './bulk.ts';
import { conditionsHold } from './conditions.ts';
import { prefixPositions, rangeName } from './derived.ts';
import { directWriteContext } from './direct.ts';
import { pyJsonDumps, pyRepr, quotePlus } from './pyfmt.ts';
import { Store } from './store.ts';

describe('Python text forms', () => {
  it.each([
    [
      { slug: "o'k", n: 1, f: 1.5, t: true, z: null, l: ['a'] },
      `{'slug': "o'k", 'n': 1, 'f': 1.5, 't': True, 'z': None, 'l': ['a']}`,
    ],
    ['tab\there', "'tab\\there'"],
  ])('repr(%j) = %s', (value, want) => {
    expect(pyRepr(value)).toBe(want);
  });

  it('dumps JSON like json.dumps: spaced separators, ASCII escapes', () => {
    expect(pyJsonDumps({ a: [1, 'é'], b: { c: null } })).toBe('{"a": [1, "\\u00e9"], "b": {"c": null}}');
    expect(JSON.parse(pyJsonDumps({ a: [1, 'é'] }))).toEqual({ a: [1, 'é'] });
  });

  it('quotes like quote_plus', () => {
    expect(quotePlus("a b/c:d~e.f_g-h!'()*é")).toBe('a+b%2Fc%3Ad~e.f_g-h%21%27%28%29%2A%C3%A9');
  });
});

describe('derived values', () => {
  it.each([
    ['10.0.0.10/24', '10.0.0.99/24', '10.0.0.10-99/24'],
    ['10.0.1.0/16', '10.0.2.255/16', '10.0.1.0-2.255/16'],
    // NetBox keeps every equal chunk, not only leading ones.
    ['10.0.1.0/8', '10.1.1.255/8', '10.1.1.0-1.255/8'],
    ['fd00::100/64', 'fd00::1ff/64', 'fd00::100-1ff/64'],
  ])('names the range %s-%s %s', (start, end, want) => {
    expect(rangeName(start, end)).toBe(want);
  });

  it('computes prefix depth and children per VRF', () => {
    const store = new Store();
    const ctx = directWriteContext(store, { enforceGlobalUnique: true });
    const out = bulkCreate(
      ctx,
      'ipam/prefixes',
      [{ prefix: '10.0.0.0/8' }, { prefix: '10.1.0.0/16' }, { prefix: '10.1.2.0/24' }, { prefix: '10.2.0.0/16' }],
      '4.7',
    );
    expect(out.ok).toBe(true);
    const pos = prefixPositions(store);
    expect([1, 2, 3, 4].map(id => pos.get(id))).toEqual([
      { depth: 0, children: 3 },
      { depth: 1, children: 1 },
      { depth: 2, children: 0 },
      { depth: 1, children: 0 },
    ]);
  });

  it('forgets rolled-back objects: a failed bulk create leaves no duplicate behind', () => {
    const store = new Store();
    const ctx = directWriteContext(store, { enforceGlobalUnique: true });
    expect(bulkCreate(ctx, 'ipam/prefixes', [{ prefix: '10.9.0.0/24' }, { prefix: 'x' }], '4.7').ok).toBe(false);
    expect(bulkCreate(ctx, 'ipam/prefixes', [{ prefix: '10.9.0.0/24' }], '4.7').ok).toBe(true);
    // Id 1 went to the rolled-back object; sequences are not rolled back.
    expect(store.all('ipam/prefixes').map(r => r.id)).toEqual([2]);
  });
});

describe('event rule conditions', () => {
  const data = { status: { value: 'active' }, prefix: '10.0.0.0/24', tags: [{ slug: 'a' }] };
  it.each([
    [null, true],
    [{ attr: 'status.value', value: 'active' }, true],
    [{ attr: 'status.value', value: 'active', negate: true }, false],
    [
      {
        and: [
          { attr: 'status.value', value: 'active' },
          { attr: 'prefix', op: 'regex', value: '^10\\.' },
        ],
      },
      true,
    ],
    [
      {
        or: [
          { attr: 'status.value', value: 'x' },
          { attr: 'prefix', op: 'contains', value: '/25' },
        ],
      },
      false,
    ],
    [{ attr: 'status.value', op: 'in', value: ['reserved', 'active'] }, true],
  ])('%j → %s', (conditions, want) => {
    expect(conditionsHold(conditions, data)).toBe(want);
  });
});
