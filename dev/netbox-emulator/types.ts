/** Shapes shared by the emulator's modules. Rows are the stored (write-side, normalised) form of NetBox objects. */

export const ENDPOINTS = [
  'extras/tags',
  'extras/custom-field-choice-sets',
  'extras/custom-fields',
  'tenancy/tenants',
  'ipam/roles',
  'ipam/vrfs',
  'ipam/prefixes',
  'ipam/ip-ranges',
  'ipam/ip-addresses',
  'extras/webhooks',
  'extras/event-rules',
  'extras/journal-entries',
] as const;

/** List endpoints relative to `/api/`, in the order a seed file is applied (dependencies first). */
export type Endpoint = (typeof ENDPOINTS)[number];

export function isEndpoint(s: string): s is Endpoint {
  return (ENDPOINTS as readonly string[]).includes(s);
}

/**
 * One stored object. Related objects are ids, choices raw values, tags a list of tag ids, custom field data raw.
 * Rows are never mutated after they enter the store: updates replace them, so a shallow copy of a table is a
 * consistent snapshot (that is how bulk writes roll back).
 */
export interface Row {
  id: number;
  created: string;
  last_updated: string;
  [field: string]: unknown;
}

/** DRF-style error body: `{field: [messages]}`, nested lists/dicts for nested serializers. */
export type FieldErrors = Record<string, unknown>;

export type WriteMode = 'create' | 'update' | 'replace';

export type Result<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function bad<T>(errors: FieldErrors): Result<T> {
  return { ok: false, errors };
}

/** Adds one message under a key, DRF style (each key holds a list). */
export function addError(errors: FieldErrors, key: string, message: string): void {
  const list = errors[key];
  if (Array.isArray(list)) list.push(message);
  else errors[key] = [message];
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An API error the router turns into a response as is. */
export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;

  constructor(status: number, body: unknown, headers: Record<string, string> = {}) {
    super(`NetBox emulator answered ${status}: ${JSON.stringify(body)}`);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

/** Text of a stored scalar; `fallback` for null/undefined; JSON for structured values (never "[object Object]"). */
export function text(v: unknown, fallback = ''): string {
  if (v === null || v === undefined) return fallback;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}
