/**
 * Address-aware filters of NetBox's IPAM filtersets (prefix, within, contains, parent, address, family,
 * mask_length), tag filters (slugs AND, __n, __any) and the `q` searches.
 */
import { invalidChoice, numberFilter } from './filter-lookups.ts';
import type { FilterOutcome } from './filter-lookups.ts';
import { cidrOf, compareInet, hostInNet, netContained, parseInet, sameHost, sameInet } from './ipnet.ts';
import type { Inet } from './ipnet.ts';
import type { Store } from './store.ts';
import { text } from './types.ts';
import type { Row } from './types.ts';

export type RowInet = (row: Row) => Inet | undefined;

export const inetField =
  (field: string): RowInet =>
  row =>
    parseInet(String(row[field]));

const parsedValues = (values: string[]): Inet[] =>
  values.map(v => parseInet(v.trim())).filter((i): i is Inet => i !== undefined);

/** `prefix=` exact match on the network (any of the values). */
export function prefixExact(get: RowInet, values: string[]): FilterOutcome {
  const wants = parsedValues(values).map(cidrOf);
  return {
    predicate: r => {
      const p = get(r);
      return p !== undefined && wants.some(w => sameInet(cidrOf(p), w));
    },
  };
}

/** `within` (strict) / `within_include`: the prefix lies inside the given network. */
export function within(get: RowInet, values: string[], orEqual: boolean): FilterOutcome {
  const net = parseInet((values.at(-1) ?? '').trim());
  if (!net) return { predicate: () => false };
  const outer = cidrOf(net);
  return {
    predicate: r => {
      const p = get(r);
      return p !== undefined && netContained(p, outer, orEqual);
    },
  };
}

/** Prefix `contains`: prefixes containing a network (or equal to it) or an address (strictly). */
export function prefixContains(get: RowInet, values: string[]): FilterOutcome {
  const raw = (values.at(-1) ?? '').trim();
  const value = parseInet(raw);
  if (!value) return { predicate: () => false };
  const inner = raw.includes('/') ? cidrOf(value) : value;
  return {
    predicate: r => {
      const p = get(r);
      return p !== undefined && netContained(inner, p, raw.includes('/'));
    },
  };
}

/**
 * Range `contains`, as NetBox implements it: `start_address <= V AND end_address >= V` on PostgreSQL inet values,
 * V being the value as given (a bare address gets a full-length mask). inet ordering compares the common network
 * bits, then the mask length, so a bare address does not match a range stored with a shorter mask (`10.0.0.5` is
 * not "contained" in `10.0.0.1/24-10.0.0.9/24`; `10.0.0.5/24` is). The daemon therefore does not rely on it.
 */
export function rangeContains(values: string[]): FilterOutcome {
  const value = parseInet((values.at(-1) ?? '').trim());
  return {
    predicate: r => {
      const s = parseInet(String(r['start_address']));
      const e = parseInet(String(r['end_address']));
      if (!s || !e || !value) return false;
      return compareInet(s, value) <= 0 && compareInet(e, value) >= 0;
    },
  };
}

/** `parent=` for ranges (both ends inside) and addresses (host inside); any of the values. */
export function parentFilter(gets: RowInet[], values: string[]): FilterOutcome {
  const nets = parsedValues(values).map(cidrOf);
  return {
    predicate: r =>
      nets.some(n =>
        gets.every(g => {
          const v = g(r);
          return v !== undefined && hostInNet(v, n);
        }),
      ),
  };
}

const hostKey = (i: Inet | undefined): string | undefined => (i === undefined ? undefined : `${i.family}:${i.value}`);

/**
 * NetBox `net_in`: values with a mask match exactly, bare addresses match the host part. With the store (IP
 * addresses' `address`), candidates come from a host index, as NetBox's query uses PostgreSQL's index: a script
 * asking for one address at a time must not cost a scan of every address.
 */
export function addressIn(get: RowInet, values: string[], store?: Store): FilterOutcome {
  const wants = values.map(v => ({ masked: v.includes('/'), inet: parseInet(v.trim()) }));
  const indexed = store;
  const candidates =
    indexed === undefined
      ? undefined
      : () => [
          ...new Set(
            wants.flatMap(w => {
              const key = hostKey(w.inet);
              return key === undefined
                ? []
                : indexed.lookup('ipam/ip-addresses', 'address-host', r => hostKey(get(r)), key);
            }),
          ),
        ];
  return {
    ...(candidates === undefined ? {} : { candidates }),
    predicate: r => {
      const have = get(r);
      return (
        have !== undefined &&
        wants.some(w => w.inet !== undefined && (w.masked ? sameInet(have, w.inet) : sameHost(have, w.inet)))
      );
    },
  };
}

export function familyFilter(get: RowInet, values: string[]): FilterOutcome {
  const want = Number(values.at(-1));
  if (Number.isNaN(want)) return { error: ['Enter a number.'] };
  return { predicate: r => get(r)?.family === want };
}

export function maskLength(get: RowInet, lookup: string, values: string[]): FilterOutcome {
  return numberFilter(r => get(r)?.len, lookup, values);
}

/** Tag filters: `tag` (slugs, all required), `tag__n` (none), `tag__any` (at least one); `tag_id*` by id. */
export function tagFilter(
  store: Store,
  by: 'slug' | 'id',
  mode: 'all' | 'none' | 'any',
  values: string[],
): FilterOutcome {
  const tags = store.all('extras/tags');
  const ids: number[] = [];
  for (const v of values) {
    const tag = tags.find(t => (by === 'id' ? String(t.id) === v.trim() : t['slug'] === v));
    if (!tag) return { error: [invalidChoice(v)] };
    ids.push(tag.id);
  }
  const has = (r: Row, id: number) => ((r['tags'] as number[] | undefined) ?? []).includes(id);
  if (mode === 'all') return { predicate: r => ids.every(id => has(r, id)) };
  if (mode === 'none') return { predicate: r => !ids.some(id => has(r, id)) };
  return { predicate: r => ids.some(id => has(r, id)) };
}

const icontains = (v: unknown, q: string) => text(v).toLowerCase().includes(q.toLowerCase());

/** `q` on prefixes: description, the prefix text, or prefixes containing the value when it parses. */
export function prefixSearch(values: string[]): FilterOutcome {
  const q = (values.at(-1) ?? '').trim();
  if (q === '') return undefined;
  const net = parseInet(q);
  return {
    predicate: r => {
      if (icontains(r['description'], q) || String(r['prefix']).includes(q)) return true;
      const p = parseInet(String(r['prefix']));
      return net !== undefined && p !== undefined && netContained(cidrOf(net), p, true);
    },
  };
}

/** `q` searching a few text fields with icontains. */
export function textSearch(fields: string[], startsWith: string[] = []): (values: string[]) => FilterOutcome {
  return values => {
    const q = (values.at(-1) ?? '').trim();
    if (q === '') return undefined;
    return {
      predicate: r =>
        fields.some(f => icontains(r[f], q)) ||
        startsWith.some(f => text(r[f]).toLowerCase().startsWith(q.toLowerCase())),
    };
  };
}
