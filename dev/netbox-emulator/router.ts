/**
 * The `/api/` surface: trailing-slash redirect, authentication and token write permission, list and detail
 * routes of every served model, `/api/status/`, ETag/If-Match, and webhook events queued for after the response.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { authenticate, NO_PERMISSION, NOT_PROVIDED } from './auth.ts';
import type { TokenSpec } from './auth.ts';
import { bulkCreate, bulkDelete, bulkUpdate } from './bulk.ts';
import type { BulkOutcome } from './bulk.ts';
import { applyFilters } from './filters.ts';
import { versionAtLeast } from './knobs.ts';
import type { Knobs, Stats } from './knobs.ts';
import { modelFor } from './models.ts';
import { paginate, selectFields, sortRows } from './paginate.ts';
import { parseDateTimeMicros, pyIsoformat } from './pyfmt.ts';
import { brief, displayOf, represent, reprContext } from './serialize.ts';
import type { ReprContext } from './serialize.ts';
import type { Store } from './store.ts';
import { ApiError, isEndpoint } from './types.ts';
import type { Endpoint, Row } from './types.ts';
import type { ObjectEvent, WebhookDispatcher } from './webhooks.ts';
import { changelogMessageOf, deleteObject, writeObject } from './write.ts';
import type { PendingEvent, WriteContext } from './write.ts';

export interface Emulation {
  store: Store;
  knobs: Knobs;
  tokens: TokenSpec[];
  webhooks: WebhookDispatcher;
  stats: Stats;
}

export interface ApiRequest {
  method: string;
  /** Absolute: origin from the Host header. */
  url: URL;
  headers: IncomingHttpHeaders;
  body: unknown;
  requestId: string;
  /** Whether faults and page tampering hit this request (the server decides: faultPath, faultSkip). */
  faults?: boolean;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers: Record<string, string>;
  /** Objects in the body, for per-object latency and stats. */
  objects: number;
  /** Route label for stats: "ipam/prefixes", "ipam/prefixes/{id}", "status". */
  route: string;
  /** Object changes committed by this request, for webhooks. */
  events?: ObjectEvent[];
  /** The authenticated user's name (webhook `request.user`). */
  user?: string;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

function json(status: number, body: unknown, route: string, headers: Record<string, string> = {}, objects = 0) {
  return { status, body, headers, objects, route } satisfies ApiResponse;
}

export function handleApi(emu: Emulation, req: ApiRequest): ApiResponse {
  const path = req.url.pathname;
  if (!path.endsWith('/')) {
    return { status: 302, headers: { Location: `${path}/${req.url.search}` }, objects: 0, route: 'redirect' };
  }
  const segments = path
    .slice('/api/'.length)
    .split('/')
    .filter(s => s !== '');
  const route = routeLabel(segments);
  const joined = segments.join('/');
  const ep = `${segments[0] ?? ''}/${segments[1] ?? ''}`;
  const known =
    segments.length === 0 ||
    joined === 'status' ||
    joined === 'authentication-check' ||
    (isEndpoint(ep) && segments.length <= 3 && segments.length >= 2);
  // URL resolution comes before the view, so an unknown path is a 404 whatever the credentials.
  if (!known) return json(404, { detail: 'Not found.' }, 'unknown');
  const auth = authenticate(req.headers.authorization, emu.tokens);
  if (auth.kind === 'failed') return json(403, { detail: auth.detail }, route);
  if (auth.kind === 'anonymous') return json(403, { detail: NOT_PROVIDED }, route);
  if (!SAFE.has(req.method) && !auth.writeEnabled) return json(403, { detail: NO_PERMISSION }, route);
  try {
    if (segments.length === 0) return json(200, apiRoot(req.url.origin), route);
    if (joined === 'status') return json(200, status(emu.knobs.apiVersion), route);
    if (joined === 'authentication-check') {
      return json(200, { id: auth.user.id, username: auth.user.username, display: auth.user.username }, route);
    }
    if (!isEndpoint(ep)) return json(404, { detail: 'Not found.' }, route);
    const wctx = writeContext(emu, req, auth.user);
    const response =
      segments.length === 2 ? listRoute(emu, req, ep, wctx) : detailRoute(emu, req, ep, segments[2] ?? '', wctx);
    response.route = route;
    response.user = auth.user.username;
    if (response.status < 300 && wctx.events.length > 0)
      response.events = resolveEvents(emu.store, wctx.events, selectAsObjects(emu));
    return response;
  } catch (err) {
    if (err instanceof ApiError) return json(err.status, err.body, route, err.headers);
    throw err;
  }
}

function routeLabel(segments: string[]): string {
  if (segments.length <= 1) return segments[0] ?? 'root';
  return segments.length >= 3 ? `${segments[0]}/${segments[1]}/{id}` : `${segments[0]}/${segments[1]}`;
}

function apiRoot(origin: string): Record<string, string> {
  return Object.fromEntries(['core', 'extras', 'ipam', 'tenancy', 'users'].map(app => [app, `${origin}/api/${app}/`]));
}

/** NetBox 4.7.3's /api/status/ (keys as real NetBox sends them, `installed_apps` with an underscore). */
function status(apiVersion: string): Record<string, unknown> {
  return {
    'django-version': '6.1.2',
    hostname: 'netbox-emulator',
    installed_apps: {
      django_filters: '26.2',
      django_prometheus: '2.4.0',
      django_rq: '4.2.0',
      django_tables2: '3.0.1',
      drf_spectacular: '0.30.0',
      drf_spectacular_sidecar: '2026.10.1',
      mptt: '0.18.0',
      rest_framework: '3.18.0',
      social_django: '6.1.0',
      taggit: '6.1.0',
      timezone_field: '7.2.2',
    },
    'netbox-version': `${apiVersion}.0`,
    'netbox-full-version': `${apiVersion}.0`,
    plugins: {},
    'python-version': '3.13.0',
    'rq-workers-running': 1,
  };
}

function writeContext(emu: Emulation, req: ApiRequest, user: { id: number; username: string }): WriteContext {
  const relative = reprContext(emu.store, '', selectAsObjects(emu));
  return {
    store: emu.store,
    rules: { enforceGlobalUnique: emu.knobs.enforceGlobalUnique },
    user,
    requestId: req.requestId,
    changelogMessage: '',
    events: [],
    describe: (ep, row) => represent(relative, ep, row),
    display: (ep, row) => displayOf(emu.store, ep, row),
  };
}

function selectAsObjects(emu: Emulation): boolean {
  return versionAtLeast(emu.knobs.apiVersion, '4.7');
}

function readContext(emu: Emulation, req: ApiRequest): ReprContext {
  return reprContext(emu.store, req.url.origin, selectAsObjects(emu));
}

function isBrief(params: URLSearchParams): boolean {
  const v = params.get('brief');
  return v !== null && v !== '' && !['false', 'False', '0'].includes(v);
}

function shape(ctx: ReprContext, ep: Endpoint, row: Row, params: URLSearchParams): Record<string, unknown> {
  const full = isBrief(params) ? (brief(ctx, ep, row.id) ?? {}) : represent(ctx, ep, row);
  return selectFields(full, params);
}

function faultsApply(emu: Emulation, req: ApiRequest): boolean {
  return req.faults ?? (emu.knobs.faultPath === null || req.url.pathname.includes(emu.knobs.faultPath));
}

/** `pageShift`: the rows as they would stand after objects were created (+) or deleted (−) ahead of this page. */
function shiftedRows(emu: Emulation, rows: Row[], params: URLSearchParams): { rows: Row[]; count?: number } {
  const shift = emu.knobs.pageShift;
  const offset = Number(params.get('offset') ?? '0');
  if (shift === 0 || !(offset > 0) || params.has('start') || rows.length === 0) return { rows };
  // Created ahead: the page starts `shift` rows earlier (placeholders stand for the new objects, before `offset`).
  const shifted =
    shift > 0 ? [...Array<Row>(Math.min(shift, offset)).fill(rows[0] as Row), ...rows] : rows.slice(-shift);
  return emu.knobs.pageShiftKeepsCount ? { rows: shifted, count: rows.length } : { rows: shifted };
}

function listRoute(emu: Emulation, req: ApiRequest, ep: Endpoint, wctx: WriteContext): ApiResponse {
  const ctx = readContext(emu, req);
  const version = emu.knobs.apiVersion;
  switch (req.method) {
    case 'GET':
    case 'HEAD': {
      const params = req.url.searchParams;
      const rows = sortRows(
        emu.store,
        ep,
        applyFilters(emu.store, ep, emu.store.all(ep), params),
        params.get('ordering'),
      );
      const tamper = faultsApply(emu, req);
      const served = tamper ? shiftedRows(emu, rows, params) : { rows };
      const page = paginate(served.rows, req.url, emu.knobs);
      const count = page.count === null ? null : (served.count ?? page.count);
      const emptied = tamper && emu.knobs.emptyPageNext > 0;
      if (emptied) emu.knobs.emptyPageNext--;
      const nothing = emptied && emu.knobs.emptyPageSaysEmpty;
      const shifted = served.rows !== rows;
      // Emptying a page that held nothing (and already said so) changes nothing: it is not counted as tampering.
      const emptiedSomething = emptied && (page.rows.length > 0 || (nothing && count !== 0 && count !== null));
      if (
        emptiedSomething ||
        shifted ||
        (tamper && (emu.knobs.countOffset !== 0 || (emu.knobs.dropNextLink && page.next)))
      ) {
        emu.stats.tampered();
      }
      const body = {
        count: nothing ? 0 : count === null ? null : count + (tamper ? emu.knobs.countOffset : 0),
        next: nothing || (tamper && emu.knobs.dropNextLink) ? null : page.next,
        previous: page.previous,
        results: emptied ? [] : page.rows.map(r => shape(ctx, ep, r, params)),
      };
      return json(200, body, ep, {}, page.rows.length);
    }
    case 'POST': {
      if (Array.isArray(req.body)) return bulkAnswer(ctx, ep, 201, bulkCreate(wctx, ep, req.body, version));
      const out = writeObject(wctx, ep, req.body ?? {}, undefined, 'create');
      if (!out.ok) return json(400, out.errors, ep);
      return json(201, represent(ctx, ep, out.value), ep, { ETag: etag(out.value) }, 1);
    }
    case 'PUT':
    case 'PATCH': {
      const out = bulkUpdate(wctx, ep, req.body ?? {}, req.method === 'PUT' ? 'replace' : 'update', version);
      return bulkAnswer(ctx, ep, 200, out);
    }
    case 'DELETE': {
      const out = bulkDelete(wctx, ep, req.body ?? {}, version);
      return out.ok ? { status: 204, headers: {}, objects: 0, route: ep } : json(out.status, out.body, ep);
    }
    case 'OPTIONS':
      return json(200, options(`${modelFor(ep).modelName} List`), ep);
    default:
      return json(405, { detail: `Method "${req.method}" not allowed.` }, ep);
  }
}

/** A bulk create or update answers with every written object in full, or with NetBox's error body. */
function bulkAnswer(ctx: ReprContext, ep: Endpoint, okStatus: 200 | 201, out: BulkOutcome): ApiResponse {
  if (!out.ok) return json(out.status, out.body, ep);
  return json(
    okStatus,
    out.rows.map(r => represent(ctx, ep, r)),
    ep,
    {},
    out.rows.length,
  );
}

function options(name: string): Record<string, unknown> {
  return {
    name,
    description: '',
    renders: ['application/json', 'text/html'],
    parses: ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'],
  };
}

/** `W/"<last_updated.isoformat()>"`: Python's form, `+00:00` rather than the API's `Z`. */
export function etag(row: Row): string {
  const micros = parseDateTimeMicros(String(row.last_updated));
  return `W/"${micros === undefined ? String(row.last_updated) : pyIsoformat(micros)}"`;
}

function checkIfMatch(req: ApiRequest, row: Row): void {
  const header = req.headers['if-match'];
  if (header === undefined) return;
  const wanted = String(header)
    .split(',')
    .map(s => s.trim());
  // NetBox compares the tags as strings: only the weak form it sent matches; `*` alone matches anything.
  if (String(header).trim() === '*' || wanted.includes(etag(row))) return;
  throw new ApiError(412, { detail: 'Precondition failed.' }, { ETag: etag(row) });
}

function detailRoute(emu: Emulation, req: ApiRequest, ep: Endpoint, idText: string, wctx: WriteContext): ApiResponse {
  const route = `${ep}/{id}`;
  const row = /^\d+$/.test(idText) ? emu.store.get(ep, Number(idText)) : undefined;
  const missing = json(404, { detail: `No ${modelFor(ep).modelName} matches the given query.` }, route);
  const ctx = readContext(emu, req);
  switch (req.method) {
    case 'GET':
    case 'HEAD':
      if (!row) return missing;
      return json(200, shape(ctx, ep, row, req.url.searchParams), route, { ETag: etag(row) }, 1);
    case 'PUT':
    case 'PATCH': {
      if (!row) return missing;
      checkIfMatch(req, row);
      const out = writeObject(wctx, ep, req.body ?? {}, row, req.method === 'PUT' ? 'replace' : 'update');
      if (!out.ok) return json(400, out.errors, route);
      return json(200, represent(ctx, ep, out.value), route, { ETag: etag(out.value) }, 1);
    }
    case 'DELETE': {
      if (!row) return missing;
      checkIfMatch(req, row);
      const message = changelogMessageOf(req.body);
      if (!message.ok) return json(400, { changelog_message: message.error }, route);
      wctx.changelogMessage = message.value;
      const blocked = deleteObject(wctx, ep, row);
      return blocked ? json(409, { detail: blocked }, route) : { status: 204, headers: {}, objects: 0, route };
    }
    case 'OPTIONS':
      return json(200, options(`${modelFor(ep).modelName} Instance`), route);
    default:
      return json(405, { detail: `Method "${req.method}" not allowed.` }, route);
  }
}

/**
 * One event per object per request: later changes fold into the first (create+update stays "created" with the
 * final state; anything followed by a delete becomes "deleted").
 */
function resolveEvents(store: Store, pending: PendingEvent[], selectObjects: boolean): ObjectEvent[] {
  const merged = new Map<string, PendingEvent>();
  for (const ev of pending) {
    const key = `${ev.ep}:${ev.id}`;
    const prev = merged.get(key);
    if (!prev) merged.set(key, { ...ev });
    else if (ev.event === 'deleted') merged.set(key, { ...ev, prechange: prev.prechange });
    else merged.set(key, { ...prev, postchange: ev.postchange });
  }
  const relative = reprContext(store, '', selectObjects);
  const out: ObjectEvent[] = [];
  for (const ev of merged.values()) {
    const row = ev.event === 'deleted' ? undefined : store.get(ev.ep, ev.id);
    if (ev.event !== 'deleted' && !row) continue;
    out.push({
      objectType: modelFor(ev.ep).objectType,
      objectId: ev.id,
      event: ev.event,
      data: row ? represent(relative, ev.ep, row) : ev.data,
      prechange: ev.prechange,
      postchange: ev.postchange,
    });
  }
  return out;
}
