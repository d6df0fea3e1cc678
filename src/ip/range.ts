import { formatAddress, textProblem, tryParseAddress } from './address.ts';
import { cidrRange, tryParseCidr } from './cidr.ts';
import type { ParseCidrOptions } from './cidr.ts';
import { addressOf, bitLength, compareBigints, fail, familyName, maxPrefixLength, ok, orThrow } from './types.ts';
import type { Cidr, IpAddress, IpRange, ParseResult } from './types.ts';

/** MetalLB / Cilium style "start-end"; blanks around either address are tolerated, nothing else is. */
export function tryParseRange(s: string): ParseResult<IpRange> {
  const dash = s.indexOf('-');
  if (dash === -1) return fail('missing "-" (expected "start-end")');
  if (s.includes('-', dash + 1)) return fail('more than one "-"');
  const startText = s.slice(0, dash).trim();
  const endText = s.slice(dash + 1).trim();
  if (startText === '') return fail('empty start address');
  if (endText === '') return fail('empty end address');
  const start = tryParseAddress(startText);
  if (!start.ok) return fail(`start address: ${start.reason}`);
  const end = tryParseAddress(endText);
  if (!end.ok) return fail(`end address: ${end.reason}`);
  if (start.value.family !== end.value.family) {
    return fail(`start is ${familyName(start.value.family)} but end is ${familyName(end.value.family)}`);
  }
  if (start.value.value > end.value.value) {
    return fail(`start ${formatAddress(start.value)} is after end ${formatAddress(end.value)}`);
  }
  return ok({ family: start.value.family, start: start.value.value, end: end.value.value });
}

export function parseRange(s: string): IpRange {
  return orThrow(s, tryParseRange(s));
}

/** Either form a MetalLB IPAddressPool or Cilium LB block accepts: "a-b" or "net/len". */
export function tryParseRangeOrCidr(s: string, opts?: ParseCidrOptions): ParseResult<IpRange> {
  if (s.includes('-')) return tryParseRange(s);
  const problem = textProblem(s);
  if (problem !== undefined) return fail(problem);
  if (!s.includes('/')) return fail('expected a range "start-end" or a CIDR "address/length"');
  const cidr = tryParseCidr(s, opts);
  return cidr.ok ? ok(cidrRange(cidr.value)) : cidr;
}

export function parseRangeOrCidr(s: string, opts?: ParseCidrOptions): IpRange {
  return orThrow(s, tryParseRangeOrCidr(s, opts));
}

/** Rejects hand-built ranges that would make set arithmetic silently wrong. */
function checked(r: IpRange): IpRange {
  addressOf(r.family, r.start);
  addressOf(r.family, r.end);
  if (r.start > r.end) {
    throw new RangeError(`range ${formatRange(r)} has start after end`);
  }
  return r;
}

export function formatRange(r: IpRange): string {
  return `${formatAddress({ family: r.family, value: r.start })}-${formatAddress({ family: r.family, value: r.end })}`;
}

export function rangeSize(r: IpRange): bigint {
  checked(r);
  return r.end - r.start + 1n;
}

export function rangeOfAddress(a: IpAddress): IpRange {
  addressOf(a.family, a.value);
  return { family: a.family, start: a.value, end: a.value };
}

/** IPv4 before IPv6, then by start, then by end. */
export function compareRanges(a: IpRange, b: IpRange): number {
  if (a.family !== b.family) return a.family - b.family;
  return compareBigints(a.start, b.start) || compareBigints(a.end, b.end);
}

export function rangesOverlap(a: IpRange, b: IpRange): boolean {
  return a.family === b.family && a.start <= b.end && b.start <= a.end;
}

export function rangeContains(outer: IpRange, inner: IpRange): boolean {
  return outer.family === inner.family && outer.start <= inner.start && inner.end <= outer.end;
}

export function rangeContainsAddress(r: IpRange, a: IpAddress): boolean {
  return r.family === a.family && r.start <= a.value && a.value <= r.end;
}

/**
 * Minimal exact cover: at each step take the largest block that is aligned at the current start and does not pass
 * the end. Blocks come out ascending and no two of them could merge into one.
 */
export function rangeToCidrs(r: IpRange): Cidr[] {
  checked(r);
  const bits = maxPrefixLength(r.family);
  const cidrs: Cidr[] = [];
  let start = r.start;
  while (start <= r.end) {
    const alignment = start === 0n ? bits : bitLength(start & -start) - 1;
    const fit = bitLength(r.end - start + 1n) - 1;
    const hostBits = Math.min(alignment, fit);
    cidrs.push({ family: r.family, network: start, prefixLength: bits - hostBits });
    start += 1n << BigInt(hostBits);
  }
  return cidrs;
}

/** The one CIDR holding exactly these addresses, or undefined when the range is not CIDR-shaped. */
export function rangeAsCidr(r: IpRange): Cidr | undefined {
  const [only, ...rest] = rangeToCidrs(r);
  return only !== undefined && rest.length === 0 ? only : undefined;
}

/** Sorted (IPv4 first) and merged: overlapping or adjacent ranges of one family become one. Input is not mutated. */
export function mergeRanges(rs: IpRange[]): IpRange[] {
  const sorted = rs.map(checked).sort(compareRanges);
  const merged: IpRange[] = [];
  for (const r of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && last.family === r.family && r.start <= last.end + 1n) {
      if (r.end > last.end) last.end = r.end;
    } else {
      merged.push({ family: r.family, start: r.start, end: r.end });
    }
  }
  return merged;
}

/** Addresses in `base` but not in `remove`, merged and sorted. */
export function subtractRanges(base: IpRange[], remove: IpRange[]): IpRange[] {
  const removals = mergeRanges(remove);
  const result: IpRange[] = [];
  let first = 0;
  for (const r of mergeRanges(base)) {
    // Removals wholly before r are wholly before every later base range too.
    for (let cut = removals[first]; cut !== undefined && isBefore(cut, r); cut = removals[first]) first++;
    let cursor = r.start;
    for (let i = first, cut = removals[i]; cut !== undefined; cut = removals[++i]) {
      if (cut.family !== r.family || cut.start > r.end) break;
      if (cut.start > cursor) result.push({ family: r.family, start: cursor, end: cut.start - 1n });
      cursor = cut.end + 1n; // removals are merged, so this only moves forward
    }
    if (cursor <= r.end) result.push({ family: r.family, start: cursor, end: r.end });
  }
  return result;
}

function isBefore(a: IpRange, b: IpRange): boolean {
  return a.family < b.family || (a.family === b.family && a.end < b.start);
}

/** Addresses in both `a` and `b`, merged and sorted. */
export function intersectRanges(a: IpRange[], b: IpRange[]): IpRange[] {
  const left = mergeRanges(a);
  const right = mergeRanges(b);
  const result: IpRange[] = [];
  let i = 0;
  let j = 0;
  for (let x = left[i], y = right[j]; x !== undefined && y !== undefined; x = left[i], y = right[j]) {
    if (x.family !== y.family) {
      if (x.family < y.family) i++;
      else j++;
      continue;
    }
    const start = x.start > y.start ? x.start : y.start;
    const end = x.end < y.end ? x.end : y.end;
    if (start <= end) result.push({ family: x.family, start, end });
    if (x.end < y.end) i++;
    else j++;
  }
  return result;
}
