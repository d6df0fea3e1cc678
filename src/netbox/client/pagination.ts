/**
 * Complete listings. We ask for `limit=<pageSize>` and follow `next` until it is null. NetBox caps the page at
 * MAX_PAGE_SIZE, and `limit=0` means "the cap", not "everything", so the only complete read is following `next`.
 *
 * A listing must add up: the pages together hold exactly `count` objects, each id once, with `count` unchanged
 * from page to page. Anything else (a page lost behind a proxy, objects created or deleted while paging, unstable
 * ordering across pages) throws NetBoxIncompleteListError; a partial list would look like deleted pools.
 */
import { isRecord } from '../../model/values.ts';
import type { NbQuery } from '../../model/netbox.ts';
import { NetBoxConfigError, NetBoxIncompleteListError, NetBoxProtocolError } from './errors.ts';
import type { NetBoxRequestContext } from './errors.ts';

/** Parameters the client owns; a query that sets them would break complete pagination or field selection. */
const RESERVED = new Set(['limit', 'offset', 'start', 'brief', 'fields', 'omit', 'format']);

/** NbQuery → query string; arrays repeat the parameter (NetBox ORs them, ANDs for `tag`), undefined is dropped. */
export function toSearchParams(query: NbQuery): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (RESERVED.has(name)) {
      throw new NetBoxConfigError(
        `query.${name}`,
        'is set by the client itself',
        'pagination follows `next` to the end; choose fields with the selection argument',
      );
    }
    for (const v of Array.isArray(value) ? value : [value]) params.append(name, String(v));
  }
  return params;
}

interface Page {
  count: number;
  next: string | null;
  results: unknown[];
}

function asPage(body: unknown, ctx: NetBoxRequestContext): Page {
  if (!isRecord(body) || !Array.isArray(body['results'])) {
    throw new NetBoxProtocolError('a list response without a `results` array', ctx);
  }
  const { count, next } = body;
  // Offset pagination always reports a count (only cursor mode, which we never use, sends null).
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    throw new NetBoxProtocolError('a list response without a numeric `count`', ctx);
  }
  if (next !== null && typeof next !== 'string') throw new NetBoxProtocolError('`next` is neither a URL nor null', ctx);
  return { count, next, results: body['results'] };
}

/**
 * The query of a `next` link. Only its query string is used, sent to our own API root: NetBox behind a proxy
 * often writes `next` with an internal host or http instead of https, and the token must not go anywhere else.
 */
export function nextParams(next: string, endpoint: string, ctx: NetBoxRequestContext): URLSearchParams {
  let url: URL;
  try {
    url = new URL(next, 'http://next.invalid/');
  } catch {
    throw new NetBoxProtocolError('`next` is not a URL', ctx);
  }
  if (!url.pathname.endsWith(`/api/${endpoint}`)) {
    throw new NetBoxProtocolError(`\`next\` points to ${url.pathname}, not to the endpoint being listed`, ctx);
  }
  return url.searchParams;
}

export type PageFetcher = (params: URLSearchParams, page: number) => Promise<unknown>;

/** Reads every page of `endpoint` (e.g. `ipam/prefixes/`), starting from `first` (filters, limit, fields). */
export async function collectAllPages<T>(
  fetchPage: PageFetcher,
  endpoint: string,
  first: URLSearchParams,
  ctx: NetBoxRequestContext,
): Promise<T[]> {
  const results: T[] = [];
  const ids = new Set<number>();
  const asked = new Set<string>();
  let params = first;
  let expected: number | undefined;
  for (let page = 1; ; page++) {
    asked.add(params.toString());
    const p = asPage(await fetchPage(params, page), ctx);
    const where = `page ${page}`;
    if (expected === undefined) expected = p.count;
    else if (p.count !== expected) {
      throw new NetBoxIncompleteListError(
        `count changed from ${expected} to ${p.count} at ${where}: objects were created or deleted while paging`,
        ctx,
        expected,
        results.length,
      );
    }
    for (const item of p.results) {
      if (!isRecord(item)) throw new NetBoxProtocolError(`${where} holds an entry that is not an object`, ctx);
      const id = item['id'];
      if (typeof id === 'number') {
        if (ids.has(id)) {
          throw new NetBoxIncompleteListError(
            `object id ${id} appeared twice (at ${where}); the ordering shifted between pages and others may be missing`,
            ctx,
            expected,
            results.length,
          );
        }
        ids.add(id);
      }
      results.push(item as T);
    }
    if (results.length > expected) {
      throw new NetBoxIncompleteListError(
        `count says ${expected} but ${results.length} objects arrived by ${where}`,
        ctx,
        expected,
        results.length,
      );
    }
    if (p.next === null) {
      if (results.length < expected) {
        throw new NetBoxIncompleteListError(
          `count says ${expected} but the pages ended (no \`next\`) after ${results.length} objects at ${where}`,
          ctx,
          expected,
          results.length,
        );
      }
      return results;
    }
    if (p.results.length === 0) {
      throw new NetBoxIncompleteListError(`${where} is empty but has a \`next\` link`, ctx, expected, results.length);
    }
    params = nextParams(p.next, endpoint, ctx);
    if (asked.has(params.toString())) {
      throw new NetBoxProtocolError(`\`next\` at ${where} repeats a page already read`, ctx);
    }
  }
}
