/** Address families and the shapes every other module exchanges; values are unsigned BigInts. */
export type Family = 4 | 6;

export interface IpAddress {
  family: Family;
  value: bigint;
}

export interface Cidr {
  family: Family;
  network: bigint;
  prefixLength: number;
}

/** Inclusive on both ends; start <= end. */
export interface IpRange {
  family: Family;
  start: bigint;
  end: bigint;
}

/** Errors as values for callers that collect per-object problems instead of throwing. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const MESSAGE_INPUT_LIMIT = 100;

/** A text form that is not a valid address, CIDR or range. `reason` says exactly what is wrong with it. */
export class IpParseError extends Error {
  readonly input: string;
  readonly reason: string;

  constructor(input: string, reason: string) {
    // NetBox data can be arbitrarily long or contain control characters; keep the message one readable line.
    const shown = input.length > MESSAGE_INPUT_LIMIT ? `${input.slice(0, MESSAGE_INPUT_LIMIT)}…` : input;
    super(`invalid IP address ${JSON.stringify(shown)}: ${reason}`);
    this.name = 'IpParseError';
    this.input = input;
    this.reason = reason;
  }
}

export function ok<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

export function fail<T>(reason: string): ParseResult<T> {
  return { ok: false, reason };
}

/** Turns a ParseResult into a value or an IpParseError naming the whole original input. */
export function orThrow<T>(input: string, result: ParseResult<T>): T {
  if (!result.ok) throw new IpParseError(input, result.reason);
  return result.value;
}

export function maxPrefixLength(f: Family): 32 | 128 {
  return f === 4 ? 32 : 128;
}

export function familyName(f: Family): 'IPv4' | 'IPv6' {
  return f === 4 ? 'IPv4' : 'IPv6';
}

export function maxValue(f: Family): bigint {
  return (1n << BigInt(maxPrefixLength(f))) - 1n;
}

/** Builds an address, refusing values that do not fit the family (a sign of a bug upstream, not bad data). */
export function addressOf(family: Family, value: bigint): IpAddress {
  if (family !== 4 && family !== 6) throw new RangeError(`unknown address family ${String(family)}; expected 4 or 6`);
  if (value < 0n || value > maxValue(family)) {
    throw new RangeError(`value ${value} does not fit an ${familyName(family)} address (0 to ${maxValue(family)})`);
  }
  return { family, value };
}

/** IPv4 sorts before IPv6, then numerically. */
export function compareAddresses(a: IpAddress, b: IpAddress): number {
  if (a.family !== b.family) return a.family - b.family;
  return compareBigints(a.value, b.value);
}

export function compareBigints(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Number of significant bits; 0 for 0. */
export function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}
