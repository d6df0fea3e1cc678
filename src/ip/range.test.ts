import { describe, expect, it } from 'vitest';
import {
  IpParseError,
  formatCidr,
  formatRange,
  mergeRanges,
  parseRange,
  parseRangeOrCidr,
  rangeAsCidr,
  rangeContainsAddress,
  rangeOfAddress,
  rangeSize,
  rangeToCidrs,
  parseAddress,
  subtractRanges,
  tryParseRange,
  tryParseRangeOrCidr,
} from './index.ts';

const ranges = (...texts: string[]) => texts.map(parseRange);

describe('parseRange', () => {
  it.each([
    ['10.0.0.1-10.0.0.9', '10.0.0.1-10.0.0.9', 9n],
    ['10.0.0.1 - 10.0.0.9', '10.0.0.1-10.0.0.9', 9n],
    ['  10.0.0.5-10.0.0.5 ', '10.0.0.5-10.0.0.5', 1n],
    ['2001:DB8::10-2001:db8::1f', '2001:db8::10-2001:db8::1f', 16n],
    ['::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 1n << 128n],
  ])('%j → %s', (input, canonical, size) => {
    const range = parseRange(input);
    expect(formatRange(range)).toBe(canonical);
    expect(rangeSize(range)).toBe(size);
  });

  it.each([
    ['10.0.0.1', 'missing "-" (expected "start-end")'],
    ['10.0.0.1-10.0.0.2-10.0.0.3', 'more than one "-"'],
    ['-10.0.0.2', 'empty start address'],
    ['10.0.0.1- ', 'empty end address'],
    ['10.0.0.01-10.0.0.9', 'start address: leading zero in octet 4'],
    ['10.0.0.1-10.0.9', 'end address: expected 4 decimal octets, got 3'],
    ['10.0.0.1-10.0.0.0/24', 'end address: unexpected "/": expected an address without prefix length'],
    ['10.0.0.1-::a00:9', 'start is IPv4 but end is IPv6'],
    ['10.0.0.9-10.0.0.1', 'start 10.0.0.9 is after end 10.0.0.1'],
    ['fe80::1%eth0-fe80::9', 'start address: zone identifier ("%...") not allowed'],
  ])('rejects %j: %s', (input, reason) => {
    expect(tryParseRange(input)).toEqual({ ok: false, reason });
    expect(() => parseRange(input)).toThrow(new IpParseError(input, reason));
  });
});

describe('parseRangeOrCidr (MetalLB / Cilium LB entries)', () => {
  it.each([
    ['192.168.10.0/24', '192.168.10.0-192.168.10.255'],
    ['192.168.9.1-192.168.9.5', '192.168.9.1-192.168.9.5'],
    ['fc00:f853:ccd:e799::/124', 'fc00:f853:ccd:e799::-fc00:f853:ccd:e799::f'],
  ])('%s → %s', (input, range) => {
    expect(formatRange(parseRangeOrCidr(input))).toBe(range);
  });

  it.each([
    ['192.168.10.1', 'expected a range "start-end" or a CIDR "address/length"'],
    ['192.168.10.1/24', 'host bits set; did you mean 192.168.10.0/24?'],
    ['', 'empty string'],
  ])('rejects %j: %s', (input, reason) => {
    expect(tryParseRangeOrCidr(input)).toEqual({ ok: false, reason });
  });
});

describe('rangeToCidrs', () => {
  it.each([
    ['10.0.0.0-10.0.0.255', ['10.0.0.0/24']],
    ['10.0.0.1-10.0.0.6', ['10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/31', '10.0.0.6/32']],
    ['10.0.0.255-10.0.1.0', ['10.0.0.255/32', '10.0.1.0/32']],
    ['0.0.0.0-255.255.255.255', ['0.0.0.0/0']],
    ['2001:db8::ff-2001:db8::100', ['2001:db8::ff/128', '2001:db8::100/128']],
    ['2001:db8::-2001:db8::ffff:ffff:ffff:ffff', ['2001:db8::/64']],
  ])('%s', (input, expected) => {
    expect(rangeToCidrs(parseRange(input)).map(formatCidr)).toEqual(expected);
  });

  it('covers everything but 0.0.0.0 with 32 blocks, one per prefix length', () => {
    const cidrs = rangeToCidrs(parseRange('0.0.0.1-255.255.255.255'));
    expect(cidrs.map(c => c.prefixLength)).toEqual(Array.from({ length: 32 }, (_, i) => 32 - i));
    expect(formatCidr(cidrs.at(-1)!)).toBe('128.0.0.0/1');
  });

  it('handles the whole IPv6 space and its ends', () => {
    expect(rangeToCidrs(parseRange('::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).map(formatCidr)).toEqual(['::/0']);
    expect(rangeToCidrs(parseRange('::1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe'))).toHaveLength(254);
  });

  it('rangeAsCidr recognises exact CIDRs only', () => {
    expect(formatCidr(rangeAsCidr(parseRange('10.0.4.0-10.0.7.255'))!)).toBe('10.0.4.0/22');
    expect(rangeAsCidr(parseRange('10.0.4.0-10.0.7.254'))).toBeUndefined();
  });

  it('refuses a hand-built range with start after end', () => {
    expect(() => rangeToCidrs({ family: 4, start: 9n, end: 1n })).toThrow('range 0.0.0.9-0.0.0.1 has start after end');
  });
});

describe('range sets', () => {
  it('merges overlapping and adjacent ranges per family, IPv4 first, without touching the input', () => {
    const input = ranges('2001:db8::5-2001:db8::9', '10.0.0.10-10.0.0.20', '10.0.0.1-10.0.0.9', '::a00:1-::a00:9');
    const snapshot = structuredClone(input);
    expect(mergeRanges(input).map(formatRange)).toEqual([
      '10.0.0.1-10.0.0.20',
      '::a00:1-::a00:9',
      '2001:db8::5-2001:db8::9',
    ]);
    expect(input).toEqual(snapshot);
  });

  it('subtracts NetBox-held addresses from a pool', () => {
    const pool = ranges('10.20.0.1-10.20.0.254');
    const held = [rangeOfAddress(parseAddress('10.20.0.1')), ...ranges('10.20.0.100-10.20.0.109')];
    expect(subtractRanges(pool, held).map(formatRange)).toEqual(['10.20.0.2-10.20.0.99', '10.20.0.110-10.20.0.254']);
    expect(subtractRanges(pool, [])).toEqual(pool);
    expect(subtractRanges(pool, ranges('::-::ffff'))).toEqual(pool);
  });

  it('rangeContainsAddress respects families', () => {
    const range = parseRange('0.0.0.0-0.0.0.255');
    expect(rangeContainsAddress(range, parseAddress('0.0.0.7'))).toBe(true);
    expect(rangeContainsAddress(range, parseAddress('::7'))).toBe(false);
  });
});
