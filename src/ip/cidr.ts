import { formatAddress, textProblem, tryParseAddress } from './address.ts';
import { addressOf, bitLength, fail, familyName, maxPrefixLength, ok, orThrow } from './types.ts';
import type { Cidr, Family, IpAddress, IpRange, ParseResult } from './types.ts';

export interface ParseCidrOptions {
  /** Mask host bits instead of rejecting them ('10.0.0.5/24' → 10.0.0.0/24). */
  allowHostBits?: boolean;
}

export interface IpInterface {
  address: IpAddress;
  prefixLength: number;
}

/** NetBox's address-with-mask form ('10.0.0.5/24'): host bits are the point, so they are kept. */
export function tryParseInterface(s: string): ParseResult<IpInterface> {
  const problem = textProblem(s);
  if (problem !== undefined) return fail(problem);
  const slash = s.indexOf('/');
  if (slash === -1) return fail('missing prefix length (expected "address/length")');
  if (s.includes('/', slash + 1)) return fail('more than one "/"');
  if (slash === 0) return fail('empty address before "/"');
  const address = tryParseAddress(s.slice(0, slash));
  if (!address.ok) return address;
  const prefixLength = parsePrefixLength(s.slice(slash + 1), address.value.family);
  if (!prefixLength.ok) return prefixLength;
  return ok({ address: address.value, prefixLength: prefixLength.value });
}

export function parseInterface(s: string): IpInterface {
  return orThrow(s, tryParseInterface(s));
}

/** Strict by default: a prefix with host bits set is usually a typo for an interface address. */
export function tryParseCidr(s: string, opts?: ParseCidrOptions): ParseResult<Cidr> {
  const parsed = tryParseInterface(s);
  if (!parsed.ok) return parsed;
  const { address, prefixLength } = parsed.value;
  const network = maskHostBits(address.family, address.value, prefixLength);
  const cidr: Cidr = { family: address.family, network, prefixLength };
  if (network !== address.value && opts?.allowHostBits !== true) {
    return fail(`host bits set; did you mean ${formatCidr(cidr)}?`);
  }
  return ok(cidr);
}

export function parseCidr(s: string, opts?: ParseCidrOptions): Cidr {
  return orThrow(s, tryParseCidr(s, opts));
}

function parsePrefixLength(text: string, family: Family): ParseResult<number> {
  if (text === '') return fail('empty prefix length');
  if (!/^[0-9]+$/.test(text)) return fail(`prefix length "${text}" is not a decimal number`);
  if (text.length > 1 && text.startsWith('0')) return fail(`leading zero in prefix length "${text}"`);
  const length = Number(text);
  const max = maxPrefixLength(family);
  if (length > max) return fail(`prefix length ${text} out of range 0-${max}`);
  return ok(length);
}

function maskHostBits(family: Family, value: bigint, prefixLength: number): bigint {
  const hostBits = BigInt(maxPrefixLength(family) - prefixLength);
  return (value >> hostBits) << hostBits;
}

/** Guards against hand-built CIDRs that would silently give wrong arithmetic. Returns the host bit count. */
function hostBitsOf(c: Cidr): number {
  const max = maxPrefixLength(c.family);
  if (!Number.isInteger(c.prefixLength) || c.prefixLength < 0 || c.prefixLength > max) {
    throw new RangeError(`prefix length ${c.prefixLength} out of range 0-${max} for ${familyName(c.family)}`);
  }
  addressOf(c.family, c.network);
  if (maskHostBits(c.family, c.network, c.prefixLength) !== c.network) {
    throw new RangeError(
      `CIDR ${formatAddress({ family: c.family, value: c.network })}/${c.prefixLength} has host bits set`,
    );
  }
  return max - c.prefixLength;
}

export function formatCidr(c: Cidr): string {
  hostBitsOf(c);
  return `${formatAddress({ family: c.family, value: c.network })}/${c.prefixLength}`;
}

export function cidrSize(c: Cidr): bigint {
  return 1n << BigInt(hostBitsOf(c));
}

export function cidrRange(c: Cidr): IpRange {
  return { family: c.family, start: c.network, end: c.network + cidrSize(c) - 1n };
}

export function cidrContainsAddress(c: Cidr, a: IpAddress): boolean {
  const hostBits = BigInt(hostBitsOf(c));
  return c.family === a.family && a.value >> hostBits === c.network >> hostBits;
}

/** The Whereabouts allocation key: the address's distance from the network address. */
export function offsetInCidr(c: Cidr, a: IpAddress): bigint {
  if (!cidrContainsAddress(c, a)) {
    throw new RangeError(`${familyName(a.family)} address ${formatAddress(a)} is outside ${formatCidr(c)}`);
  }
  return a.value - c.network;
}

export function addressAtOffset(c: Cidr, offset: bigint): IpAddress {
  const size = cidrSize(c);
  if (offset < 0n || offset >= size) {
    throw new RangeError(`offset ${offset} is outside ${formatCidr(c)} (valid offsets 0-${size - 1n})`);
  }
  return { family: c.family, value: c.network + offset };
}

/**
 * Addresses a pool may hand out. IPv4 loses network and broadcast except on point-to-point /31 and host /32
 * (RFC 3021). IPv6 has no broadcast but reserves the subnet-router anycast address (RFC 4291 §2.6.1), which
 * RFC 6164 waives for /127; /128 is a single host.
 */
export function usableRange(c: Cidr): IpRange {
  const { family, start, end } = cidrRange(c);
  if (family === 4) return c.prefixLength < 31 ? { family, start: start + 1n, end: end - 1n } : { family, start, end };
  return c.prefixLength < 127 ? { family, start: start + 1n, end } : { family, start, end };
}

/** The smallest aligned block covering the range: the common leading bits of start and end. */
export function smallestCidrContaining(r: IpRange): Cidr {
  if (r.start > r.end) throw new RangeError(`range start ${r.start} is after end ${r.end}`);
  addressOf(r.family, r.start);
  addressOf(r.family, r.end);
  const hostBits = bitLength(r.start ^ r.end);
  const prefixLength = maxPrefixLength(r.family) - hostBits;
  return { family: r.family, network: maskHostBits(r.family, r.start, prefixLength), prefixLength };
}
