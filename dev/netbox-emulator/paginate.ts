/**
 * List responses: default model ordering and `ordering=`, NetBox's limit/offset rules (PAGINATE_COUNT default,
 * MAX_PAGE_SIZE cap, limit=0 → cap), 4.6 cursor mode (`start=`), DRF's next/previous links, and `fields=`/`omit=`.
 */
import { displayOf } from './serialize.ts';
import { compareInet, parseInet } from './ipnet.ts';
import { modelFor } from './models.ts';
import { rebuildQuery } from './pyfmt.ts';
import type { Store } from './store.ts';
import { ApiError, text } from './types.ts';
import type { Endpoint, Row } from './types.ts';

const natural = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

type Key = { field: string; desc: boolean; nullsFirst?: boolean };

const DEFAULT_ORDERING: Record<Endpoint, Key[]> = {
  'ipam/prefixes': [
    { field: 'vrf', desc: false, nullsFirst: true },
    { field: 'prefix', desc: false },
  ],
  'ipam/ip-ranges': [
    { field: 'vrf', desc: false, nullsFirst: true },
    { field: 'start_address', desc: false },
  ],
  'ipam/ip-addresses': [{ field: 'address', desc: false }],
  'ipam/roles': [
    { field: 'weight', desc: false },
    { field: 'name', desc: false },
  ],
  'ipam/vrfs': [
    { field: 'name', desc: false },
    { field: 'rd', desc: false },
  ],
  'tenancy/tenants': [{ field: 'name', desc: false }],
  'extras/tags': [
    { field: 'weight', desc: false },
    { field: 'name', desc: false },
  ],
  'extras/custom-field-choice-sets': [{ field: 'name', desc: false }],
  'extras/custom-fields': [
    { field: 'group_name', desc: false },
    { field: 'weight', desc: false },
    { field: 'name', desc: false },
  ],
  'extras/journal-entries': [{ field: 'created', desc: true }],
  'extras/webhooks': [{ field: 'name', desc: false }],
  'extras/event-rules': [{ field: 'name', desc: false }],
};

const INET_FIELDS = new Set(['prefix', 'address', 'start_address', 'end_address']);
/** Ordering by a foreign key sorts by the related object's text, close to Django following Meta.ordering. */
const RELATED: Record<string, Endpoint> = { role: 'ipam/roles', tenant: 'tenancy/tenants' };

function compareValues(store: Store, key: Key, a: Row, b: Row): number {
  const va = a[key.field];
  const vb = b[key.field];
  const aNull = va === null || va === undefined;
  const bNull = vb === null || vb === undefined;
  if (aNull || bNull) {
    if (aNull && bNull) return 0;
    // PostgreSQL puts NULLs last ascending unless told otherwise (F('vrf').asc(nulls_first=True)).
    const nullFirst = key.nullsFirst ?? key.desc;
    return (aNull ? -1 : 1) * (nullFirst ? 1 : -1);
  }
  const target = RELATED[key.field];
  let order: number;
  if (target && typeof va === 'number' && typeof vb === 'number') {
    const ra = store.get(target, va);
    const rb = store.get(target, vb);
    order = ra && rb ? natural.compare(displayOf(store, target, ra), displayOf(store, target, rb)) : va - vb;
  } else if (INET_FIELDS.has(key.field)) {
    const ia = parseInet(text(va));
    const ib = parseInet(text(vb));
    order = ia && ib ? compareInet(ia, ib) : 0;
  } else if (typeof va === 'number' && typeof vb === 'number') {
    order = va - vb;
  } else {
    order = natural.compare(text(va), text(vb));
  }
  return key.desc ? -order : order;
}

/** Rows in the order NetBox returns them: `ordering=` terms first (unknown ones dropped), then the default. */
export function sortRows(store: Store, ep: Endpoint, rows: Row[], ordering?: string | null): Row[] {
  const known = new Set(['id', 'created', 'last_updated', ...modelFor(ep).fields.map(f => f.name), 'size']);
  const requested: Key[] = (ordering ?? '')
    .split(',')
    .map(t => t.trim())
    .filter(t => t !== '')
    .map(t => ({ field: t.replace(/^-/, ''), desc: t.startsWith('-') }))
    .filter(k => known.has(k.field));
  const keys = [...requested, ...DEFAULT_ORDERING[ep], { field: 'id', desc: false }];
  return [...rows].sort((a, b) => {
    for (const key of keys) {
      const c = compareValues(store, key, a, b);
      if (c !== 0) return c;
    }
    return 0;
  });
}

export interface PageLimits {
  paginateCount: number;
  /** 0 = no cap. */
  maxPageSize: number;
}

export interface Page {
  count: number | null;
  next: string | null;
  previous: string | null;
  rows: Row[];
}

function nonNegativeInt(text: string | null): number | undefined {
  if (text === null || !/^\s*\+?\d+\s*$/.test(text)) return undefined;
  return Number(text);
}

/** OptionalLimitOffsetPagination.get_limit (NetBox 4.4.3+). */
export function effectiveLimit(params: URLSearchParams, limits: PageLimits): number {
  const cap = limits.maxPageSize;
  if (!params.has('limit')) return cap > 0 ? Math.min(limits.paginateCount, cap) : limits.paginateCount;
  const limit = nonNegativeInt(params.get('limit'));
  if (limit === undefined) return limits.paginateCount;
  if (cap > 0) return limit === 0 ? cap : Math.min(limit, cap);
  return limit;
}

function link(url: URL, params: URLSearchParams, set: Record<string, string>, remove: string[] = []): string {
  const query = rebuildQuery(params, set, remove);
  return `${url.origin}${url.pathname}${query === '' ? '' : `?${query}`}`;
}

/** One page of already filtered and ordered rows. `url` is the absolute request URL. */
export function paginate(rows: Row[], url: URL, limits: PageLimits): Page {
  const params = url.searchParams;
  const limit = effectiveLimit(params, limits);
  if (params.has('start')) return cursorPage(rows, url, limit);
  const count = rows.length;
  const offset = nonNegativeInt(params.get('offset')) ?? 0;
  const page = count === 0 || offset > count ? [] : limit ? rows.slice(offset, offset + limit) : rows.slice(offset);
  if (!limit) return { count, next: null, previous: null, rows: page };
  const next =
    offset + limit >= count ? null : link(url, params, { limit: String(limit), offset: String(offset + limit) });
  let previous: string | null = null;
  if (offset > 0) {
    previous =
      offset - limit <= 0
        ? link(url, params, { limit: String(limit) }, ['offset'])
        : link(url, params, { limit: String(limit), offset: String(offset - limit) });
  }
  return { count, next, previous, rows: page };
}

/** Cursor mode as netbox/api/pagination.py has it: errors are bare lists, `next` whenever the page is full. */
function cursorPage(rows: Row[], url: URL, limit: number): Page {
  const params = url.searchParams;
  const start = nonNegativeInt(params.get('start'));
  if (start === undefined) throw new ApiError(400, ["Invalid 'start' parameter: must be a non-negative integer."]);
  if (params.has('offset')) throw new ApiError(400, ["'start' and 'offset' are mutually exclusive."]);
  if (params.has('ordering')) {
    throw new ApiError(400, ['Ordering cannot be specified in conjunction with cursor-based pagination.']);
  }
  const after = rows.filter(r => r.id >= start).sort((a, b) => a.id - b.id);
  const page = limit ? after.slice(0, limit) : after;
  const last = page.at(-1);
  // A full page gets a `next` even when nothing follows (NetBox does not look ahead).
  const next =
    limit > 0 && page.length === limit && last !== undefined
      ? link(url, params, { limit: String(limit), start: String(last.id + 1) }, ['offset'])
      : null;
  return { count: null, next, previous: null, rows: page };
}

/** `fields=a,b,vrf.name` keeps only those (and sub-fields), `omit=` drops; `fields` wins when both are given. */
export function selectFields(obj: Record<string, unknown>, params: URLSearchParams): Record<string, unknown> {
  const list = (name: string) =>
    (params.get(name) ?? '')
      .split(',')
      .map(s => s.trim())
      .filter(s => s !== '');
  const fields = list('fields');
  if (fields.length > 0) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(obj)) {
      const subs = fields.filter(f => f.startsWith(`${key}.`)).map(f => f.slice(key.length + 1));
      if (fields.includes(key)) out[key] = value;
      else if (subs.length > 0 && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        out[key] = Object.fromEntries(Object.entries(value).filter(([k]) => subs.includes(k)));
      } else if (subs.length > 0) out[key] = value;
    }
    return out;
  }
  const omit = list('omit');
  return omit.length > 0 ? Object.fromEntries(Object.entries(obj).filter(([k]) => !omit.includes(k))) : obj;
}
