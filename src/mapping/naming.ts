import { formatAddress } from '../ip/index.ts';
import type { Cidr, IpRange } from '../ip/index.ts';
import type { PoolKind } from '../model/intent.ts';

/**
 * Kubernetes names for pools. An explicit `k8s_pool_name` is used as written (it must be a DNS-1123 label).
 * Otherwise the name is derived from the NetBox object so it reads like the address space it holds:
 *
 *   prefix   10.20.0.0/24            → 10-20-0-0-24          (VRF "Blue Net" → blue-net-10-20-0-0-24)
 *   prefix   2001:db8:1::/64         → 2001-db8-1--64
 *   IP range 10.20.0.100-10.20.0.200 → 10-20-0-100-200       (leading octets shared with the start dropped)
 *   anything longer than 63 chars    → nb-prefix-<id> / nb-iprange-<id>
 *
 * Dots and colons become dashes, so `::` shows as `--`. A VRF adds its slug (lowercased name, runs of other
 * characters as one dash, at most 40 chars) in front, so equal address space in two VRFs gets two names.
 */

export const MAX_NAME = 63;
const MAX_VRF_SLUG = 40;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isDns1123Label(s: string): boolean {
  return s.length <= MAX_NAME && DNS1123_LABEL.test(s);
}

/** Lowercase, runs of anything but [a-z0-9] as one dash, trimmed; at most `max` characters. */
export function slugify(text: string, max = MAX_NAME): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug.slice(0, max).replace(/-+$/, '');
}

/** The VRF's part of names and of Whereabouts network_name; `vrf-<id>` when the name has no usable letters. */
export function vrfSlug(vrf: { id: number; name: string }): string {
  return slugify(vrf.name, MAX_VRF_SLUG) || `vrf-${vrf.id}`;
}

function addressText(family: 4 | 6, value: bigint): string {
  return formatAddress({ family, value }).replace(/[.:]/g, '-');
}

export function prefixName(cidr: Cidr, id: number, vrf?: string): string {
  const address = addressText(cidr.family, cidr.network);
  // `2001:db8:1::/64` reads `2001-db8-1--64`: a trailing `::` already ends in a dash.
  const base = `${address}${address.endsWith('-') ? '' : '-'}${cidr.prefixLength}`;
  return withFallback(vrf ? `${vrf}-${base}` : base, `nb-prefix-${id}`);
}

export function rangeName(range: IpRange, id: number, vrf?: string): string {
  let base: string;
  if (range.family === 4) {
    const start = formatAddress({ family: 4, value: range.start }).split('.');
    const end = formatAddress({ family: 4, value: range.end }).split('.');
    let shared = 0;
    while (shared < 3 && start[shared] === end[shared]) shared++;
    base = [...start, ...end.slice(shared)].join('-');
  } else {
    base = `${addressText(6, range.start)}-${addressText(6, range.end)}`;
  }
  return withFallback(vrf ? `${vrf}-${base}` : base, `nb-iprange-${id}`);
}

function withFallback(name: string, fallback: string): string {
  return isDns1123Label(name) ? name : fallback;
}

/** Identity of a rendered pool; two different pools with one identity would overwrite each other. */
export interface PoolIdentity {
  kind: PoolKind;
  namespace?: string;
  name: string;
}

export function identityKey(p: PoolIdentity): string {
  return `${p.kind}/${p.namespace ?? ''}/${p.name}`;
}

/** Groups of pools (by their grouping key) that map to one kind/namespace/name; each group has ≥ 2 members. */
export function findCollisions<T extends PoolIdentity & { key: string }>(pools: readonly T[]): T[][] {
  const byIdentity = new Map<string, T[]>();
  for (const p of pools) {
    const id = identityKey(p);
    byIdentity.set(id, [...(byIdentity.get(id) ?? []), p]);
  }
  return [...byIdentity.values()].filter(group => new Set(group.map(p => p.key)).size > 1);
}
