/**
 * Set semantics checked against brute force: every range lives inside an IPv4 /24 or an IPv6 /120 (256 addresses
 * each), so the expected result can be computed by enumerating addresses.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cidrRange,
  cidrSize,
  intersectRanges,
  maxPrefixLength,
  mergeRanges,
  parseAddress,
  rangeAsCidr,
  rangeContains,
  rangeToCidrs,
  rangesOverlap,
  subtractRanges,
} from './index.ts';
import type { Cidr, Family, IpRange } from './index.ts';

const SPACE = 256;
// The same numbers in both families, so any operation that forgets to compare families gets caught.
const BASE: Record<Family, bigint> = {
  4: parseAddress('10.20.30.0').value,
  6: parseAddress('::a14:1e00').value,
};

/** Members are "family:offset" so both families share one set. */
type AddressSet = Set<string>;

const smallRange = fc
  .tuple(fc.constantFrom<Family>(4, 6), fc.nat(SPACE - 1), fc.nat(SPACE - 1))
  .map(([family, a, b]): IpRange => ({
    family,
    start: BASE[family] + BigInt(Math.min(a, b)),
    end: BASE[family] + BigInt(Math.max(a, b)),
  }));
const rangeList = fc.array(smallRange, { maxLength: 8 });

function members(rs: IpRange[]): AddressSet {
  const set: AddressSet = new Set();
  for (const r of rs) for (let v = r.start; v <= r.end; v++) set.add(`${r.family}:${v - BASE[r.family]}`);
  return set;
}

const union = (a: AddressSet, b: AddressSet) => new Set([...a, ...b]);
const minus = (a: AddressSet, b: AddressSet) => new Set([...a].filter(x => !b.has(x)));
const both = (a: AddressSet, b: AddressSet) => new Set([...a].filter(x => b.has(x)));

/** Sorted IPv4 first, each range non-empty, neighbours of one family separated by at least one address. */
function expectNormalised(rs: IpRange[]): void {
  rs.forEach((r, i) => {
    expect(r.start <= r.end).toBe(true);
    const previous = rs[i - 1];
    if (previous === undefined) return;
    expect(previous.family <= r.family).toBe(true);
    if (previous.family === r.family) expect(r.start > previous.end + 1n).toBe(true);
  });
}

/**
 * Greedy oracle for the minimal exact cover: an aligned block wholly inside the set is taken whole, otherwise
 * both halves are tried. Any exact cover by aligned blocks refines this one, so it is the unique minimum.
 */
function buddyCover(family: Family, set: AddressSet, offset = 0, size = SPACE): Cidr[] {
  let inside = 0;
  for (let i = offset; i < offset + size; i++) if (set.has(`${family}:${i}`)) inside++;
  if (inside === 0) return [];
  if (inside === size) {
    return [
      { family, network: BASE[family] + BigInt(offset), prefixLength: maxPrefixLength(family) - Math.log2(size) },
    ];
  }
  const half = size / 2;
  return [...buddyCover(family, set, offset, half), ...buddyCover(family, set, offset + half, half)];
}

/** Two blocks that are the two halves of one bigger aligned block could have been written as one. */
function mergeable(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family || a.prefixLength !== b.prefixLength || a.prefixLength === 0) return false;
  const size = cidrSize(a);
  return b.network === a.network + size && a.network % (size * 2n) === 0n;
}

describe('rangeToCidrs against brute force', () => {
  it('is the exact, minimal, ascending aligned cover', () => {
    fc.assert(
      fc.property(smallRange, range => {
        const cidrs = rangeToCidrs(range);
        expect(cidrs).toEqual(buddyCover(range.family, members([range])));
        expect(members(cidrs.map(cidrRange))).toEqual(members([range]));
        cidrs.slice(1).forEach((c, i) => expect(mergeable(cidrs[i]!, c)).toBe(false));
        expect(rangeAsCidr(range)).toEqual(cidrs.length === 1 ? cidrs[0] : undefined);
      }),
      { numRuns: 300 },
    );
  });

  it('tiles any full-width range with contiguous aligned blocks, at most two per bit', () => {
    const wide = fc
      .tuple(fc.constantFrom<Family>(4, 6), fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.bigInt({ min: 0n }))
      .map(([family, x, y]): IpRange => {
        const mask = (1n << BigInt(maxPrefixLength(family))) - 1n;
        const [a, b] = [x & mask, (x + (y & mask)) & mask];
        return { family, start: a < b ? a : b, end: a < b ? b : a };
      });
    fc.assert(
      fc.property(wide, range => {
        const cidrs = rangeToCidrs(range);
        expect(cidrs.length).toBeLessThanOrEqual(2 * maxPrefixLength(range.family));
        let next = range.start;
        cidrs.forEach((c, i) => {
          const block = cidrRange(c); // throws if the block is not aligned
          expect(block.start).toBe(next);
          next = block.end + 1n;
          const previous = cidrs[i - 1];
          if (previous !== undefined) expect(mergeable(previous, c)).toBe(false);
        });
        expect(next - 1n).toBe(range.end);
      }),
    );
  });
});

describe('range set operations against brute force', () => {
  it('mergeRanges is the union, normalised', () => {
    fc.assert(
      fc.property(rangeList, rs => {
        const merged = mergeRanges(rs);
        expectNormalised(merged);
        expect(members(merged)).toEqual(members(rs));
        expect(mergeRanges(merged)).toEqual(merged);
      }),
    );
  });

  it('subtractRanges is the set difference, normalised', () => {
    fc.assert(
      fc.property(rangeList, rangeList, (base, remove) => {
        const result = subtractRanges(base, remove);
        expectNormalised(result);
        expect(members(result)).toEqual(minus(members(base), members(remove)));
      }),
    );
  });

  it('intersectRanges is the set intersection, normalised', () => {
    fc.assert(
      fc.property(rangeList, rangeList, (a, b) => {
        const result = intersectRanges(a, b);
        expectNormalised(result);
        expect(members(result)).toEqual(both(members(a), members(b)));
        expect(mergeRanges([...result, ...subtractRanges(a, b)])).toEqual(mergeRanges(a));
      }),
    );
  });

  it('rangesOverlap and rangeContains agree with the address sets', () => {
    fc.assert(
      fc.property(smallRange, smallRange, (a, b) => {
        const [setA, setB] = [members([a]), members([b])];
        expect(rangesOverlap(a, b)).toBe(both(setA, setB).size > 0);
        expect(rangeContains(a, b)).toBe(union(setA, setB).size === setA.size);
      }),
    );
  });
});
