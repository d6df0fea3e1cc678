import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  IpParseError,
  addressAtOffset,
  cidrContainsAddress,
  cidrRange,
  cidrSize,
  formatCidr,
  formatRange,
  maxPrefixLength,
  offsetInCidr,
  parseAddress,
  parseCidr,
  parseInterface,
  parseRange,
  smallestCidrContaining,
  tryParseCidr,
  tryParseInterface,
  usableRange,
} from './index.ts';
import type { Cidr, Family } from './index.ts';

describe('parseCidr', () => {
  it.each([
    ['10.20.0.0/24', '10.20.0.0/24', 256n],
    ['0.0.0.0/0', '0.0.0.0/0', 1n << 32n],
    ['10.0.0.7/32', '10.0.0.7/32', 1n],
    ['2001:DB8:0::/32', '2001:db8::/32', 1n << 96n],
    ['::/0', '::/0', 1n << 128n],
    ['fd00::1/128', 'fd00::1/128', 1n],
  ])('%s → %s', (input, canonical, size) => {
    const cidr = parseCidr(input);
    expect(formatCidr(cidr)).toBe(canonical);
    expect(cidrSize(cidr)).toBe(size);
  });

  it.each([
    ['10.0.0.5/24', 'host bits set; did you mean 10.0.0.0/24?'],
    ['2001:db8::1/64', 'host bits set; did you mean 2001:db8::/64?'],
    ['10.0.0.0/33', 'prefix length 33 out of range 0-32'],
    ['::/129', 'prefix length 129 out of range 0-128'],
    ['10.0.0.0/024', 'leading zero in prefix length "024"'],
    ['10.0.0.0/', 'empty prefix length'],
    ['10.0.0.0/2a', 'prefix length "2a" is not a decimal number'],
    ['10.0.0.0/-1', 'prefix length "-1" is not a decimal number'],
    ['10.0.0.0/255.255.255.0', 'prefix length "255.255.255.0" is not a decimal number'],
    ['10.0.0.0', 'missing prefix length (expected "address/length")'],
    ['10.0.0.0/24/24', 'more than one "/"'],
    ['10.0.00.0/24', 'leading zero in octet 3'],
    ['10.0/16', 'expected 4 decimal octets, got 2'],
    [' 10.0.0.0/24', 'leading or trailing whitespace'],
    ['10.0.0.0/ 24', 'contains whitespace'],
    ['fe80::%eth0/64', 'zone identifier ("%...") not allowed'],
    ['/24', 'empty address before "/"'],
  ])('rejects %j: %s', (input, reason) => {
    expect(tryParseCidr(input)).toEqual({ ok: false, reason });
    expect(() => parseCidr(input)).toThrow(new IpParseError(input, reason));
  });

  it('masks host bits only when asked', () => {
    expect(formatCidr(parseCidr('10.0.0.5/24', { allowHostBits: true }))).toBe('10.0.0.0/24');
    expect(formatCidr(parseCidr('2001:db8::1/64', { allowHostBits: true }))).toBe('2001:db8::/64');
  });
});

describe('parseInterface', () => {
  it('keeps the host address and the mask', () => {
    expect(parseInterface('10.0.0.5/24')).toEqual({ address: parseAddress('10.0.0.5'), prefixLength: 24 });
    expect(parseInterface('2001:db8::1/64')).toEqual({ address: parseAddress('2001:db8::1'), prefixLength: 64 });
  });

  it.each([
    ['10.0.0.5', 'missing prefix length (expected "address/length")'],
    ['10.0.0.5/40', 'prefix length 40 out of range 0-32'],
    ['10.0.0.05/24', 'leading zero in octet 4'],
  ])('rejects %j: %s', (input, reason) => {
    expect(tryParseInterface(input)).toEqual({ ok: false, reason });
  });
});

describe('usableRange', () => {
  it.each([
    ['10.0.0.0/24', '10.0.0.1-10.0.0.254'],
    ['10.0.0.0/30', '10.0.0.1-10.0.0.2'],
    ['10.0.0.0/31', '10.0.0.0-10.0.0.1'],
    ['10.0.0.9/32', '10.0.0.9-10.0.0.9'],
    ['2001:db8::/64', '2001:db8::1-2001:db8::ffff:ffff:ffff:ffff'],
    ['2001:db8::/126', '2001:db8::1-2001:db8::3'],
    ['2001:db8::/127', '2001:db8::-2001:db8::1'],
    ['2001:db8::1/128', '2001:db8::1-2001:db8::1'],
  ])('%s → %s', (cidr, usable) => {
    expect(formatRange(usableRange(parseCidr(cidr)))).toBe(usable);
  });
});

describe('smallestCidrContaining', () => {
  it.each([
    ['10.0.0.1-10.0.0.254', '10.0.0.0/24'],
    ['10.0.0.255-10.0.1.0', '10.0.0.0/23'],
    ['10.0.0.4-10.0.0.4', '10.0.0.4/32'],
    ['0.0.0.0-255.255.255.255', '0.0.0.0/0'],
    ['127.255.255.255-128.0.0.0', '0.0.0.0/0'],
    ['2001:db8::1-2001:db8::ff', '2001:db8::/120'],
    ['::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::/0'],
  ])('%s → %s', (range, cidr) => {
    expect(formatCidr(smallestCidrContaining(parseRange(range)))).toBe(cidr);
  });
});

describe('offsets', () => {
  const cidr = parseCidr('10.20.0.0/24');

  it('counts from the network address (Whereabouts allocation keys)', () => {
    expect(offsetInCidr(cidr, parseAddress('10.20.0.0'))).toBe(0n);
    expect(offsetInCidr(cidr, parseAddress('10.20.0.17'))).toBe(17n);
    expect(addressAtOffset(cidr, 255n)).toEqual(parseAddress('10.20.0.255'));
  });

  it('refuses addresses and offsets outside the CIDR', () => {
    expect(() => offsetInCidr(cidr, parseAddress('10.20.1.0'))).toThrow(
      'IPv4 address 10.20.1.0 is outside 10.20.0.0/24',
    );
    expect(() => offsetInCidr(cidr, parseAddress('::a14:1'))).toThrow(RangeError);
    expect(() => addressAtOffset(cidr, 256n)).toThrow('offset 256 is outside 10.20.0.0/24 (valid offsets 0-255)');
    expect(() => addressAtOffset(cidr, -1n)).toThrow(RangeError);
  });

  it('refuses hand-built CIDRs with host bits or impossible prefix lengths', () => {
    expect(() => cidrRange({ family: 4, network: 5n, prefixLength: 24 })).toThrow('CIDR 0.0.0.5/24 has host bits set');
    expect(() => cidrSize({ family: 6, network: 0n, prefixLength: 129 })).toThrow(/prefix length 129 out of range/);
  });

  const anyCidr = fc
    .tuple(fc.constantFrom<Family>(4, 6), fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.nat(128))
    .map(([family, bits, length]): Cidr => {
      const max = maxPrefixLength(family);
      const prefixLength = length % (max + 1);
      const hostBits = BigInt(max - prefixLength);
      const network = ((bits & ((1n << BigInt(max)) - 1n)) >> hostBits) << hostBits;
      return { family, network, prefixLength };
    });

  it('offset and addressAtOffset round-trip, and containment agrees with the range', () => {
    fc.assert(
      fc.property(anyCidr, fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (cidr, raw) => {
        const offset = raw % cidrSize(cidr);
        const address = addressAtOffset(cidr, offset);
        expect(cidrContainsAddress(cidr, address)).toBe(true);
        expect(offsetInCidr(cidr, address)).toBe(offset);
        const { start, end } = cidrRange(cidr);
        expect(end - start + 1n).toBe(cidrSize(cidr));
        expect(parseCidr(formatCidr(cidr))).toEqual(cidr);
        if (end < (1n << BigInt(maxPrefixLength(cidr.family))) - 1n) {
          expect(cidrContainsAddress(cidr, { family: cidr.family, value: end + 1n })).toBe(false);
        }
      }),
    );
  });

  it('smallestCidrContaining covers the range and no child of it does', () => {
    fc.assert(
      fc.property(anyCidr, fc.bigInt({ min: 0n }), fc.bigInt({ min: 0n }), (outer, x, y) => {
        const size = cidrSize(outer);
        const [a, b] = [outer.network + (x % size), outer.network + (y % size)];
        const range = { family: outer.family, start: a < b ? a : b, end: a < b ? b : a };
        const cidr = smallestCidrContaining(range);
        const covered = cidrRange(cidr);
        expect(covered.start <= range.start && range.end <= covered.end).toBe(true);
        if (cidr.prefixLength < maxPrefixLength(cidr.family)) {
          const half = cidrSize(cidr) / 2n;
          // Both halves of the block are needed: start is in the lower half, end in the upper.
          expect(range.start < cidr.network + half && range.end >= cidr.network + half).toBe(true);
        }
      }),
    );
  });
});
