import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IpParseError, addressOf, compareAddresses, formatAddress, parseAddress, tryParseAddress } from './index.ts';
import type { Family } from './index.ts';

const MAX_V6 = (1n << 128n) - 1n;

/** WHATWG URL host parsing is an independent, strict RFC 4291 parser and an RFC 5952 serializer (no mixed form). */
function whatwgIpv6(s: string): string | undefined {
  try {
    return new URL(`http://[${s}]/`).hostname.slice(1, -1);
  } catch {
    return undefined; // URL throws TypeError for every invalid host; "rejected" is the answer we compare.
  }
}

describe('parseAddress accepts', () => {
  it.each<[string, Family, bigint]>([
    ['0.0.0.0', 4, 0n],
    ['255.255.255.255', 4, 0xffffffffn],
    ['10.20.0.1', 4, 0x0a140001n],
    ['100.64.0.0', 4, 0x64400000n],
    ['::', 6, 0n],
    ['::1', 6, 1n],
    ['1::', 6, 1n << 112n],
    ['2001:db8::1', 6, 0x20010db8000000000000000000000001n],
    ['2001:DB8:0:0:0:0:0:1', 6, 0x20010db8000000000000000000000001n],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', 6, 0x20010db8000000000000000000000001n],
    ['1:2:3:4:5:6:7::', 6, 0x00010002000300040005000600070000n],
    ['::2:3:4:5:6:7:8', 6, 0x00000002000300040005000600070008n],
    ['::ffff:1.2.3.4', 6, 0xffff01020304n],
    ['::FFFF:10.0.0.1', 6, 0xffff0a000001n],
    ['::1.2.3.4', 6, 0x01020304n],
    ['64:ff9b::192.0.2.33', 6, 0x0064ff9b0000000000000000c0000221n],
    ['1:2:3:4:5:6:1.2.3.4', 6, 0x00010002000300040005000601020304n],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 6, MAX_V6],
  ])('%s', (input, family, value) => {
    expect(parseAddress(input)).toEqual({ family, value });
  });
});

describe('parseAddress rejects with a specific reason', () => {
  it.each([
    ['', 'empty string'],
    ['10.1', 'expected 4 decimal octets, got 2'],
    ['10.0.1', 'expected 4 decimal octets, got 3'],
    ['1.2.3.4.5', 'expected 4 decimal octets, got 5'],
    ['167772161', 'not an IPv4 or IPv6 address (contains neither "." nor ":")'],
    ['010.0.0.1', 'leading zero in octet 1'],
    ['10.00.0.1', 'leading zero in octet 2'],
    ['10.0.0.01', 'leading zero in octet 4'],
    ['10.0..1', 'empty octet 3'],
    ['10.0.0.', 'empty octet 4'],
    ['0x0a.0.0.1', 'octet 1 "0x0a" is not a decimal number'],
    ['10.0.0.-1', 'octet 4 "-1" is not a decimal number'],
    ['1.2.3.256', 'octet 4 value 256 out of range 0-255'],
    ['1.2.3.99999999999999999999', 'octet 4 value 99999999999999999999 out of range 0-255'],
    [' 1.2.3.4', 'leading or trailing whitespace'],
    ['1.2.3.4\n', 'leading or trailing whitespace'],
    ['1.2. 3.4', 'contains whitespace'],
    ['10.0.0.1/24', 'unexpected "/": expected an address without prefix length'],
    ['fe80::1%eth0', 'zone identifier ("%...") not allowed'],
    ['fe80::1%25eth0', 'zone identifier ("%...") not allowed'],
    ['[::1]', 'invalid character "["'],
    ['2001:db8::g', 'invalid character "g"'],
    ['1::2::3', 'more than one "::"'],
    ['1:::2', '":::" is not valid'],
    [':1:2:3:4:5:6:7', 'starts with a single ":"'],
    [':', 'starts with a single ":"'],
    ['1:2:3:4:5:6:7:', 'ends with a single ":"'],
    ['::1:', 'ends with a single ":"'],
    [':1::', 'starts with a single ":"'],
    ['1:2:3:4:5:6:7', 'expected 8 groups, got 7'],
    ['1:2:3:4:5:6:7:8:9', 'expected 8 groups, got 9'],
    ['1:2:3:4:5:6:7:1.2.3.4', 'expected 8 groups, got 9 (an embedded IPv4 address counts as 2)'],
    ['1:2:3:4:5:6:7:8::', '"::" must stand for at least one zero group, but 8 groups are present'],
    [
      '::1:2:3:4:5:6:1.2.3.4',
      '"::" must stand for at least one zero group, but 8 groups are present (an embedded IPv4 address counts as 2)',
    ],
    ['2001:db8::12345', 'group "12345" has more than 4 hex digits'],
    ['::ffff:1.2.3', 'embedded IPv4 "1.2.3": expected 4 decimal octets, got 3'],
    ['::ffff:01.2.3.4', 'embedded IPv4 "01.2.3.4": leading zero in octet 1'],
    ['::ffff:1.2.3.400', 'embedded IPv4 "1.2.3.400": octet 4 value 400 out of range 0-255'],
    ['::1.2.3.4:5', 'an embedded IPv4 address may only form the last 32 bits'],
    [':1.2.3.4', 'starts with a single ":"'],
  ])('%j: %s', (input, reason) => {
    expect(tryParseAddress(input)).toEqual({ ok: false, reason });
    const thrown = (() => {
      try {
        parseAddress(input);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(IpParseError);
    expect(thrown).toMatchObject({ input, reason, message: `invalid IP address ${JSON.stringify(input)}: ${reason}` });
  });

  it('keeps the message short for huge inputs but the full input on the error', () => {
    const input = '1'.repeat(500);
    const error = new IpParseError(input, 'too long');
    expect(error.input).toBe(input);
    expect(error.message.length).toBeLessThan(150);
  });
});

describe('formatAddress', () => {
  it.each<[Family, bigint, string]>([
    [4, 0n, '0.0.0.0'],
    [4, 0x0a140001n, '10.20.0.1'],
    [4, 0xffffffffn, '255.255.255.255'],
    [6, 0n, '::'],
    [6, 1n, '::1'],
    [6, 0x20010db8000000000000000000000001n, '2001:db8::1'],
    // A single zero group is written out, never "::" (RFC 5952 §4.2.2).
    [6, 0x20010db8000000010001000100010001n, '2001:db8:0:1:1:1:1:1'],
    // The longest run wins; on a tie the first one (§4.2.3).
    [6, 0x20010000000000010000000000010001n, '2001::1:0:0:1:1'],
    [6, 0x20010db8000000010000000000000001n, '2001:db8:0:1::1'],
    [6, 0x20010db8000000000001000000000001n, '2001:db8::1:0:0:1'],
    [6, 0x00010000000000000000000000000000n, '1::'],
    [6, 0xabcd0000000000000000000000000000n, 'abcd::'],
    // IPv4-mapped addresses use mixed notation (§5); other embeddings stay hex.
    [6, 0xffff0a000001n, '::ffff:10.0.0.1'],
    [6, 0x01020304n, '::102:304'],
    [6, MAX_V6, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ])('IPv%i %s → %s', (family, value, text) => {
    expect(formatAddress({ family, value })).toBe(text);
  });

  it('refuses values outside the family', () => {
    expect(() => formatAddress({ family: 4, value: 1n << 32n })).toThrow(RangeError);
    expect(() => addressOf(6, -1n)).toThrow(/does not fit an IPv6 address/);
  });
});

describe('properties', () => {
  const v6 = fc.bigInt({ min: 0n, max: MAX_V6 });
  // Few distinct group values so zero runs of every length actually occur.
  const groupsV6 = fc.array(fc.constantFrom(0, 0, 0, 1, 0xffff, 0xdb8), { minLength: 8, maxLength: 8 });
  const toValue = (groups: number[]) => groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);

  it('IPv6 format/parse round-trips and matches the WHATWG serializer outside ::ffff:0:0/96', () => {
    fc.assert(
      fc.property(fc.oneof(v6, groupsV6.map(toValue)), value => {
        const text = formatAddress({ family: 6, value });
        expect(parseAddress(text)).toEqual({ family: 6, value });
        if (value >> 32n !== 0xffffn) expect(text).toBe(whatwgIpv6(text));
      }),
    );
  });

  it('IPv4 format/parse round-trips and matches the WHATWG serializer', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 0xffffffffn }), value => {
        const text = formatAddress({ family: 4, value });
        expect(parseAddress(text)).toEqual({ family: 4, value });
        expect(new URL(`http://${text}/`).hostname).toBe(text);
      }),
    );
  });

  it('accepts any valid spelling (leading zeros, upper case, any zero run compressed)', () => {
    fc.assert(
      fc.property(groupsV6, fc.nat(8), fc.nat(8), fc.boolean(), fc.boolean(), (groups, a, b, padded, upper) => {
        const spelled = groups.map(g => {
          const hex = padded ? g.toString(16).padStart(4, '0') : g.toString(16);
          return upper ? hex.toUpperCase() : hex;
        });
        const [from, to] = a <= b ? [a, b] : [b, a];
        const runIsZero = from < to && groups.slice(from, to).every(g => g === 0);
        const text = runIsZero
          ? `${spelled.slice(0, from).join(':')}::${spelled.slice(to).join(':')}`
          : spelled.join(':');
        expect(parseAddress(text).value).toBe(toValue(groups));
      }),
    );
  });

  it('agrees with the WHATWG IPv6 parser on accept/reject and value for noisy inputs', () => {
    const group = fc.oneof(
      { arbitrary: fc.stringMatching(/^[0-9a-fA-F]{1,4}$/), weight: 12 },
      { arbitrary: fc.constantFrom('', '00000', '1234f'), weight: 1 },
    );
    const separator = fc.oneof(
      { arbitrary: fc.constant(':'), weight: 16 },
      { arbitrary: fc.constant('::'), weight: 4 },
      { arbitrary: fc.constant(':::'), weight: 1 },
    );
    const octet = fc.oneof(
      { arbitrary: fc.nat(255), weight: 8 },
      { arbitrary: fc.constantFrom('01', '256', ''), weight: 1 },
    );
    const octetCount = fc.oneof(
      { arbitrary: fc.constant(4), weight: 6 },
      { arbitrary: fc.constantFrom(3, 5), weight: 1 },
    );
    const v4Tail = octetCount
      .chain(n => fc.array(octet, { minLength: n, maxLength: n }))
      .map(octets => octets.join('.'));
    const noisy = fc
      .tuple(fc.array(fc.tuple(group, separator), { minLength: 1, maxLength: 8 }), fc.option(v4Tail), group)
      .map(([parts, tail, last]) => parts.map(([g, sep]) => g + sep).join('') + (tail ?? last));
    // Near-valid spellings with at most one small edit, so the boundary between accept and reject is probed.
    const nearValid = fc
      .tuple(
        fc.array(fc.stringMatching(/^[0-9a-fA-F]{1,4}$/), { minLength: 8, maxLength: 8 }),
        fc.option(v4Tail),
        fc.option(fc.tuple(fc.nat(8), fc.nat(8))),
        fc.option(fc.tuple(fc.nat(40), fc.constantFrom('', ':', '.', '0', '::'), fc.boolean())),
      )
      .map(([groups, tail, gap, edit]) => {
        const parts: string[] = tail === null ? groups : [...groups.slice(0, 6), tail];
        let text = parts.join(':');
        if (gap !== null) {
          const [from, to] = gap[0] <= gap[1] ? gap : [gap[1], gap[0]];
          text = `${parts.slice(0, from).join(':')}::${parts.slice(to).join(':')}`;
        }
        if (edit === null) return text;
        const [at, insert, replace] = edit;
        const i = at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(replace ? i + 1 : i);
      });
    fc.assert(
      fc.property(fc.oneof(noisy, nearValid), text => {
        const ours = tryParseAddress(text);
        const theirs = whatwgIpv6(text);
        expect(ours.ok).toBe(theirs !== undefined);
        if (ours.ok && theirs !== undefined) expect(ours.value).toEqual(parseAddress(theirs));
      }),
      { numRuns: 2000 },
    );
  });

  it('orders IPv4 before IPv6, then numerically', () => {
    const address = fc.oneof(
      fc.record({ family: fc.constant<Family>(4), value: fc.bigInt({ min: 0n, max: 0xffffffffn }) }),
      fc.record({ family: fc.constant<Family>(6), value: v6 }),
    );
    fc.assert(
      fc.property(address, address, (a, b) => {
        const order = compareAddresses(a, b);
        expect(Math.sign(order) + Math.sign(compareAddresses(b, a))).toBe(0);
        if (a.family !== b.family) expect(Math.sign(order)).toBe(a.family === 4 ? -1 : 1);
        else expect(Math.sign(order)).toBe(a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
      }),
    );
  });
});
