/**
 * NetBox's address values on top of src/ip: `inet` values (host bits plus mask, netaddr.IPNetwork) and the
 * PostgreSQL operators NetBox's lookups compile to (ordering, <<, <<=, host containment).
 */
import { formatAddress, maxPrefixLength, tryParseAddress } from '../../src/ip/index.ts';
import type { Family } from '../../src/ip/index.ts';

/** A PostgreSQL `inet`: an address with its mask length; host bits may be set. */
export interface Inet {
  family: Family;
  value: bigint;
  len: number;
}

const cache = new Map<string, Inet | null>();

/**
 * netaddr.IPNetwork(text) as NetBox's serializer fields use it: `a.b.c.d/len` or a bare address (full-length
 * mask). Memoised: filters and ordering parse the same stored strings over and over.
 */
export function parseInet(text: string): Inet | undefined {
  const hit = cache.get(text);
  if (hit !== undefined) return hit ?? undefined;
  const parsed = parseUncached(text);
  if (cache.size > 200_000) cache.clear();
  cache.set(text, parsed ?? null);
  return parsed;
}

function parseUncached(text: string): Inet | undefined {
  const slash = text.indexOf('/');
  const addrText = slash === -1 ? text : text.slice(0, slash);
  const addr = tryParseAddress(addrText);
  if (!addr.ok) return undefined;
  const max = maxPrefixLength(addr.value.family);
  if (slash === -1) return { family: addr.value.family, value: addr.value.value, len: max };
  const lenText = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(lenText)) return undefined;
  const len = Number(lenText);
  if (len > max) return undefined;
  return { family: addr.value.family, value: addr.value.value, len };
}

export function hostBits(i: Inet): bigint {
  return BigInt(maxPrefixLength(i.family) - i.len);
}

export function networkOf(i: Inet): bigint {
  const h = hostBits(i);
  return (i.value >> h) << h;
}

export function lastOf(i: Inet): bigint {
  return networkOf(i) | ((1n << hostBits(i)) - 1n);
}

/** Host bits cleared (netaddr `.cidr`). */
export function cidrOf(i: Inet): Inet {
  return { family: i.family, value: networkOf(i), len: i.len };
}

export function formatHost(family: Family, value: bigint): string {
  return formatAddress({ family, value });
}

/** `str(IPNetwork)`: address with mask, host bits as given. */
export function formatInet(i: Inet): string {
  return `${formatHost(i.family, i.value)}/${i.len}`;
}

/** First `bits` bits of a and b compared (PostgreSQL bitncmp). */
function bitncmp(family: Family, a: bigint, b: bigint, bits: number): number {
  const shift = BigInt(maxPrefixLength(family) - bits);
  const x = a >> shift;
  const y = b >> shift;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** PostgreSQL inet ordering: family, common network bits, mask length, then the whole address. */
export function compareInet(a: Inet, b: Inet): number {
  if (a.family !== b.family) return a.family - b.family;
  const order = bitncmp(a.family, a.value, b.value, Math.min(a.len, b.len));
  if (order !== 0) return order;
  if (a.len !== b.len) return a.len - b.len;
  return bitncmp(a.family, a.value, b.value, maxPrefixLength(a.family));
}

/** Host parts only (`HOST(x)::inet` comparisons NetBox uses for ranges). */
export function compareHosts(a: Inet, b: Inet): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** `inner << outer` (strictly) or `inner <<= outer` (orEqual). */
export function netContained(inner: Inet, outer: Inet, orEqual: boolean): boolean {
  if (inner.family !== outer.family) return false;
  if (orEqual ? inner.len < outer.len : inner.len <= outer.len) return false;
  return bitncmp(outer.family, inner.value, outer.value, outer.len) === 0;
}

/** NetBox's `net_host_contained`: the host address (as a full-length network) lies inside `net`. */
export function hostInNet(host: Inet, net: Inet): boolean {
  return host.family === net.family && bitncmp(net.family, host.value, net.value, net.len) === 0;
}

export function sameHost(a: Inet, b: Inet): boolean {
  return a.family === b.family && a.value === b.value;
}

export function sameInet(a: Inet, b: Inet): boolean {
  return sameHost(a, b) && a.len === b.len;
}
