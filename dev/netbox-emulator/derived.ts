/**
 * Values NetBox computes rather than stores from the request: prefix depth and child counts (rebuilt per VRF, as
 * NetBox's rebuild_prefixes does), related-object counts, and the compact IP range name. Cached per store version.
 */
import { compareInet, netContained, parseInet } from './ipnet.ts';
import type { Inet } from './ipnet.ts';
import type { Store } from './store.ts';
import { text } from './types.ts';
import type { Endpoint, Row } from './types.ts';

interface Cached<T> {
  version: number;
  value: T;
}

const caches = new WeakMap<Store, Map<string, Cached<unknown>>>();

function cached<T>(store: Store, key: string, compute: () => T): T {
  let perStore = caches.get(store);
  if (!perStore) {
    perStore = new Map();
    caches.set(store, perStore);
  }
  const hit = perStore.get(key);
  if (hit && hit.version === store.version) return hit.value as T;
  const value = compute();
  perStore.set(key, { version: store.version, value });
  return value;
}

export interface PrefixPosition {
  depth: number;
  children: number;
}

/** `_depth` and `children` of every prefix: strict containment within the same VRF. */
export function prefixPositions(store: Store): Map<number, PrefixPosition> {
  return cached(store, 'prefix-tree', () => {
    const byVrf = new Map<string, { row: Row; net: Inet }[]>();
    for (const row of store.all('ipam/prefixes')) {
      const net = parseInet(String(row['prefix']));
      if (!net) continue;
      const key = text(row['vrf'], 'global');
      const list = byVrf.get(key) ?? [];
      list.push({ row, net });
      byVrf.set(key, list);
    }
    const out = new Map<number, PrefixPosition>();
    for (const list of byVrf.values()) {
      list.sort((a, b) => compareInet(a.net, b.net) || a.row.id - b.row.id);
      const stack: { id: number; net: Inet }[] = [];
      for (const { row, net } of list) {
        while (stack.length > 0 && !netContained(net, (stack.at(-1) as { net: Inet }).net, false)) stack.pop();
        out.set(row.id, { depth: stack.length, children: 0 });
        for (const parent of stack) {
          const pos = out.get(parent.id);
          if (pos) pos.children++;
        }
        stack.push({ id: row.id, net });
      }
    }
    return out;
  });
}

/** How many rows of `ep` point at each id through `field` (a foreign key or a list of ids). */
export function countsBy(store: Store, ep: Endpoint, field: string): Map<number, number> {
  return cached(store, `count:${ep}:${field}`, () => {
    const counts = new Map<number, number>();
    for (const row of store.all(ep)) {
      const v = row[field];
      const ids = Array.isArray(v) ? v : [v];
      for (const id of ids) if (typeof id === 'number') counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  });
}

/** Ids of the rows of `ep` whose `field` points at each id (reverse foreign key), cached per store version. */
export function reverseIds(store: Store, ep: Endpoint, field: string): Map<number, number[]> {
  return cached(store, `reverse:${ep}:${field}`, () => {
    const out = new Map<number, number[]>();
    for (const row of store.all(ep)) {
      const v = row[field];
      if (typeof v === 'number') out.set(v, [...(out.get(v) ?? []), row.id]);
    }
    return out;
  });
}

export function countOf(store: Store, ep: Endpoint, field: string, id: number): number {
  return countsBy(store, ep, field).get(id) ?? 0;
}

const TAGGABLE: readonly Endpoint[] = [
  'ipam/prefixes',
  'ipam/ip-ranges',
  'ipam/ip-addresses',
  'ipam/roles',
  'ipam/vrfs',
  'tenancy/tenants',
  'extras/journal-entries',
  'extras/webhooks',
  'extras/event-rules',
];

export function taggedItems(store: Store, tagId: number): number {
  return TAGGABLE.reduce((n, ep) => n + countOf(store, ep, 'tags', tagId), 0);
}

/**
 * IPRange.name as NetBox writes it: chunks equal in start and end are written once, the rest as `a-b`, mask
 * last. NetBox keeps every equal chunk pair, not only leading ones; reproduced as is.
 */
export function rangeName(start: string, end: string): string {
  const s = parseInet(start);
  const e = parseInet(end);
  if (!s || !e) return `${start}-${end}`;
  const sep = s.family === 6 ? ':' : '.';
  const startChunks = start.slice(0, start.indexOf('/') === -1 ? undefined : start.indexOf('/')).split(sep);
  const endChunks = end.slice(0, end.indexOf('/') === -1 ? undefined : end.indexOf('/')).split(sep);
  const base: string[] = [];
  const n = Math.min(startChunks.length, endChunks.length);
  for (let i = 0; i < n; i++) if (startChunks[i] === endChunks[i]) base.push(startChunks[i] ?? '');
  const startRest = startChunks.slice(base.length).join(sep);
  const endRest = endChunks.slice(base.length).join(sep);
  return `${base.join(sep)}${sep}${startRest}-${endRest}/${s.len}`;
}

/** `str(vrf)`: "name (rd)" or the bare name. */
export function vrfName(row: Row): string {
  const rd = row['rd'];
  return typeof rd === 'string' && rd !== '' ? `${String(row['name'])} (${rd})` : String(row['name']);
}
