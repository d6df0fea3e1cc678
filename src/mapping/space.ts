import {
  cidrRange,
  formatAddress,
  maxPrefixLength,
  rangeContains,
  smallestCidrContaining,
  tryParseCidr,
  tryParseInterface,
} from '../ip/index.ts';
import type { Cidr, IpRange, ParseResult } from '../ip/index.ts';
import type { NbIpAddress, NbIpRange, NbPrefix } from '../model/netbox.ts';

/**
 * The address space of NetBox objects, shared by the source (which network to ask NetBox about) and the mapping
 * (which network a block lives in). VRFs are compared by id; the global table is `null`.
 */

export type VrfId = number | null;

export function vrfIdOf(o: { vrf: { id: number } | null }): VrfId {
  // Rows arrive unvalidated: a VRF id that is not a whole number (`"x"`) would go into a `vrf_id=` filter, NetBox
  // answers 400, and the whole read fails. Read as the global table; the mapping reports the row's VRF shape.
  const id: unknown = o.vrf?.id;
  return typeof id === 'number' && Number.isSafeInteger(id) ? id : null;
}

export function prefixCidr(p: Pick<NbPrefix, 'prefix'>): ParseResult<Cidr> {
  // NetBox clears host bits on save; tolerate them anyway rather than lose a pool over a cosmetic detail.
  return notText(p.prefix) ?? tryParseCidr(p.prefix, { allowHostBits: true });
}

/**
 * Rows arrive unvalidated from the API; the source parses them before the mapping judges them, so a non-text
 * address must be a parse failure here, not a TypeError that stops the whole read.
 */
function notText(v: unknown): { ok: false; reason: string } | undefined {
  return typeof v === 'string'
    ? undefined
    : { ok: false, reason: `expected text, got ${v === null ? 'null' : typeof v}` };
}

export interface RangeSpan {
  range: IpRange;
  /** The network the range's own mask names (`10.20.0.100/24` → 10.20.0.0/24). */
  maskNetwork: Cidr;
}

export function ipRangeSpan(r: Pick<NbIpRange, 'start_address' | 'end_address'>): ParseResult<RangeSpan> {
  const bad = notText(r.start_address) ?? notText(r.end_address);
  if (bad) return bad;
  const start = tryParseInterface(r.start_address);
  if (!start.ok) return { ok: false, reason: `start address "${r.start_address}": ${start.reason}` };
  const end = tryParseInterface(r.end_address);
  if (!end.ok) return { ok: false, reason: `end address "${r.end_address}": ${end.reason}` };
  const a = start.value.address;
  const b = end.value.address;
  if (a.family !== b.family) return { ok: false, reason: 'start and end addresses are of different families' };
  if (a.value > b.value) {
    return { ok: false, reason: `start ${formatAddress(a)} is after end ${formatAddress(b)}` };
  }
  const hostBits = BigInt(maxPrefixLength(a.family) - start.value.prefixLength);
  const maskNetwork: Cidr = {
    family: a.family,
    network: (a.value >> hostBits) << hostBits,
    prefixLength: start.value.prefixLength,
  };
  return { ok: true, value: { range: { family: a.family, start: a.value, end: b.value }, maskNetwork } };
}

export function ipAddressHost(ip: Pick<NbIpAddress, 'address'>): ParseResult<IpRange> {
  const parsed = notText(ip.address) ?? tryParseInterface(ip.address);
  if (!parsed.ok) return parsed;
  const a = parsed.value.address;
  return { ok: true, value: { family: a.family, start: a.value, end: a.value } };
}

export type NetworkSource = 'mask' | 'prefix' | 'covering';

/**
 * The network an IP range lives in: its own mask network when that holds the whole range (the usual case: the
 * range was entered with the subnet's mask); else the smallest recorded prefix that holds it (ranges entered
 * with /32 masks); else the smallest CIDR covering it, which is a guess the caller reports.
 */
export function rangeNetwork(span: RangeSpan, recorded: readonly Cidr[]): { network: Cidr; source: NetworkSource } {
  if (rangeContains(cidrRange(span.maskNetwork), span.range)) return { network: span.maskNetwork, source: 'mask' };
  let best: Cidr | undefined;
  for (const c of recorded) {
    if (!rangeContains(cidrRange(c), span.range)) continue;
    if (best === undefined || c.prefixLength > best.prefixLength) best = c;
  }
  if (best !== undefined) return { network: best, source: 'prefix' };
  return { network: smallestCidrContaining(span.range), source: 'covering' };
}

/** Every CIDR that could be a recorded prefix holding the range (NetBox refuses /0), most specific first. */
export function candidateParents(range: IpRange): Cidr[] {
  const smallest = smallestCidrContaining(range);
  const out: Cidr[] = [];
  for (let len = smallest.prefixLength; len >= 1; len--) {
    const hostBits = BigInt(maxPrefixLength(range.family) - len);
    out.push({ family: range.family, network: (range.start >> hostBits) << hostBits, prefixLength: len });
  }
  return out;
}
