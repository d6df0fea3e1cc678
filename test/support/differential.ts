/**
 * Differential testing of the NetBox emulator against real NetBox: the same request goes to both, the answers are
 * normalised (ids, timestamps, request ids, the server's own address) and compared field by field. Ids differ
 * legitimately (PostgreSQL sequences advance on rolled-back inserts, the emulator's do not), so requests name
 * objects through per-side references (`{ref:name}` in paths and `ref('name')` in bodies) saved from earlier
 * answers.
 */

export type Side = 'real' | 'emulator';

export interface SideState {
  side: Side;
  /** `http://127.0.0.1:<port>` */
  url: string;
  refs: Map<string, number>;
}

export interface Answer {
  status: number;
  body: unknown;
  headers: { apiVersion: string | null; requestId: boolean; etag: string | null; contentType: string | null };
  ms: number;
}

export interface Difference {
  step: string;
  path: string;
  real: unknown;
  emulator: unknown;
}

const REF = '\u0000ref:';

/** A reference to a saved id inside a request body; resolved per side. */
export function ref(name: string): string {
  return `${REF}${name}`;
}

export function resolveRefs(value: unknown, s: SideState): unknown {
  if (typeof value === 'string' && value.startsWith(REF)) {
    const name = value.slice(REF.length);
    const id = s.refs.get(name);
    if (id === undefined) throw new Error(`${s.side}: no saved id "${name}"`);
    return id;
  }
  if (Array.isArray(value)) return value.map(v => resolveRefs(v, s));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveRefs(v, s)]));
  }
  return value;
}

export function resolvePath(path: string, s: SideState): string {
  return path.replace(/\{ref:([\w.:-]+)\}/g, (_, name: string) => {
    const id = s.refs.get(name);
    if (id === undefined) throw new Error(`${s.side}: no saved id "${name}"`);
    return String(id);
  });
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ID_KEYS = /^(id|.+_id)$/;
/** Keys whose values are many-to-many sets NetBox reads back in no defined order. */
const UNORDERED = new Set(['object_types', 'event_types']);

/** Replaces what legitimately differs between two servers holding the same data. */
export function normalise(value: unknown, base: string, key = ''): unknown {
  if (typeof value === 'string') {
    if (ISO_TIME.test(value)) return '<time>';
    if (UUID.test(value)) return '<uuid>';
    let v = value.split(base).join('<base>');
    if (v.includes('<base>') || v.startsWith('/api/') || /^\/[a-z-]+\/[a-z-]+\/\d+\/$/.test(v)) {
      v = v.replace(/\/\d+\//g, '/<id>/').replace(/([?&](?:start|id)=)\d+/g, '$1<id>');
    }
    return v;
  }
  if (typeof value === 'number' && ID_KEYS.test(key)) return '<id>';
  if (Array.isArray(value)) {
    const items = value.map(v => normalise(v, base));
    return UNORDERED.has(key)
      ? items
          .map(i => JSON.stringify(i))
          .sort()
          .map(i => JSON.parse(i) as unknown)
      : items;
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v, base, k)]));
  }
  return value;
}

/** Field-by-field differences (`results[3].vrf.display`), key order ignored. */
export function diff(
  real: unknown,
  emulator: unknown,
  path = '',
): { path: string; real: unknown; emulator: unknown }[] {
  if (Object.is(real, emulator)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (Array.isArray(real) && Array.isArray(emulator)) {
    if (real.length !== emulator.length) {
      return [{ path: `${path}.length`, real: real.length, emulator: emulator.length }];
    }
    return real.flatMap((r, i) => diff(r, emulator[i], `${path}[${i}]`));
  }
  if (isObj(real) && isObj(emulator)) {
    const keys = [...new Set([...Object.keys(real), ...Object.keys(emulator)])].sort();
    return keys.flatMap(k => {
      const p = path === '' ? k : `${path}.${k}`;
      if (!(k in emulator)) return [{ path: p, real: real[k], emulator: '<absent>' }];
      if (!(k in real)) return [{ path: p, real: '<absent>', emulator: emulator[k] }];
      return diff(real[k], emulator[k], p);
    });
  }
  return [{ path: path === '' ? '(body)' : path, real, emulator }];
}

/** One request; `authorization` overrides the token's header (null: none). */
export async function send(
  s: SideState,
  method: string,
  path: string,
  opts: {
    token?: string | null;
    authorization?: string | null;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  let authorization = opts.authorization;
  if (authorization === undefined && opts.token) {
    authorization = `${opts.token.startsWith('nbt_') ? 'Bearer' : 'Token'} ${opts.token}`;
  }
  if (authorization) headers['Authorization'] = authorization;
  let payload: string | undefined = opts.rawBody;
  if (opts.body !== undefined) payload = JSON.stringify(resolveRefs(opts.body, s));
  if (payload !== undefined) headers['Content-Type'] = 'application/json';
  const started = Date.now();
  const res = await fetch(`${s.url}${resolvePath(path, s)}`, {
    method,
    headers,
    redirect: 'manual',
    signal: AbortSignal.timeout(120_000),
    ...(payload === undefined ? {} : { body: payload }),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : (JSON.parse(text) as unknown);
  } catch {
    // not JSON: compared as text
  }
  return {
    status: res.status,
    body,
    headers: {
      apiVersion: res.headers.get('api-version'),
      requestId: res.headers.has('x-request-id'),
      // The tag's format stays comparable (NetBox: W/"<isoformat() of last_updated>"), its digits do not.
      etag: res.headers.get('etag')?.replace(/\d/g, 'n') ?? null,
      contentType: res.headers.get('content-type'),
    },
    ms: Date.now() - started,
  };
}
