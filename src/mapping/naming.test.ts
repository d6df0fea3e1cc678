import { describe, expect, it } from 'vitest';
import { parseCidr, parseRange } from '../ip/index.ts';
import { findCollisions, isDns1123Label, prefixName, rangeName, slugify, vrfSlug } from './naming.ts';

describe('prefixName', () => {
  it.each([
    ['10.20.0.0/24', undefined, '10-20-0-0-24'],
    ['10.20.0.0/24', 'blue', 'blue-10-20-0-0-24'],
    ['192.168.10.7/32', undefined, '192-168-10-7-32'],
    ['2001:db8:1::/64', undefined, '2001-db8-1--64'],
    ['fd00:10:244::/56', 'prod', 'prod-fd00-10-244--56'],
    ['2001:db8:1:2:3:4:5:0/112', 'a-rather-long-vrf-name-of-forty-chars-xx', 'nb-prefix-12'],
    ['::/64', undefined, 'nb-prefix-12'],
    ['2001:db8::1/128', undefined, '2001-db8--1-128'],
  ])('%s in VRF %s → %s', (cidr, vrf, expected) => {
    const name = prefixName(parseCidr(cidr), 12, vrf);
    expect(name).toBe(expected);
    expect(isDns1123Label(name)).toBe(true);
  });
});

describe('rangeName', () => {
  it.each([
    ['10.20.0.100-10.20.0.200', undefined, '10-20-0-100-200'],
    ['10.20.0.250-10.20.1.5', undefined, '10-20-0-250-1-5'],
    ['10.20.0.10-10.20.0.10', 'blue', 'blue-10-20-0-10-10'],
    ['10.0.0.0-11.0.0.0', undefined, '10-0-0-0-11-0-0-0'],
    ['2001:db8::10-2001:db8::20', undefined, '2001-db8--10-2001-db8--20'],
    ['2001:db8:aaaa:bbbb:cccc:dddd:eeee:10-2001:db8:aaaa:bbbb:cccc:dddd:eeee:20', undefined, 'nb-iprange-7'],
  ])('%s in VRF %s → %s', (range, vrf, expected) => {
    expect(rangeName(parseRange(range), 7, vrf)).toBe(expected);
  });
});

describe('slugify and vrfSlug', () => {
  it.each([
    ['Blue Net', 'blue-net'],
    ['  --Prod__A--  ', 'prod-a'],
    ['Ünïcode', 'n-code'],
  ])('slugify(%j) → %s', (text, expected) => {
    expect(slugify(text)).toBe(expected);
  });

  it('caps VRF slugs at 40 characters without a trailing dash', () => {
    const slug = vrfSlug({ id: 3, name: `${'a'.repeat(39)} b` });
    expect(slug).toBe('a'.repeat(39));
  });

  it('falls back to the VRF id when the name has no usable characters', () => {
    expect(vrfSlug({ id: 3, name: '***' })).toBe('vrf-3');
  });
});

describe('isDns1123Label', () => {
  it.each([
    ['a', true],
    ['10-20-0-0-24', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['A', false],
    ['-a', false],
    ['a-', false],
    ['a.b', false],
    ['', false],
  ])('%s → %s', (s, expected) => {
    expect(isDns1123Label(s)).toBe(expected);
  });
});

describe('findCollisions', () => {
  const pool = (key: string, name: string, namespace?: string, kind: 'metallb' | 'calico' = 'metallb') =>
    namespace === undefined ? { key, kind, name } : { key, kind, name, namespace };

  it.each([
    ['same name, same kind and namespace', [pool('a', 'x', 'ns'), pool('b', 'x', 'ns')], [['a', 'b']]],
    ['different namespaces', [pool('a', 'x', 'ns1'), pool('b', 'x', 'ns2')], []],
    ['different kinds', [pool('a', 'x', undefined, 'calico'), pool('b', 'x')], []],
    ['one pool, two entries', [pool('a', 'x', 'ns'), pool('a', 'x', 'ns')], []],
    ['three-way', [pool('a', 'x'), pool('b', 'x'), pool('c', 'x'), pool('d', 'y')], [['a', 'b', 'c']]],
  ])('%s', (_name, pools, expected) => {
    expect(findCollisions(pools).map(g => g.map(p => p.key))).toEqual(expected);
  });
});
