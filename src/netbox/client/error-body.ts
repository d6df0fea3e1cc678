/**
 * Turns a NetBox error response into one of our typed errors. NetBox's error bodies come in several shapes:
 *  - `{"detail": "..."}` (auth, not found, permission, bulk delete ≤4.6),
 *  - a bare field dict `{"address": ["..."]}` (single-object writes; ≤4.6 bulk PATCH, first failing object only),
 *  - a list with one entry per submitted object, `[{}, {"slug": ["..."]}]` (≤4.6 bulk POST, DRF list serializer),
 *  - 4.7's envelope `{"detail": "1 of 3 objects failed validation.", "errors": [{"index"|"id", "errors": {...}}]}`,
 *  - HTML or plain text from a proxy in front of NetBox (502/503/504).
 */
import { isRecord } from '../../model/values.ts';
import {
  NetBoxAuthError,
  NetBoxConflictError,
  NetBoxNotFoundError,
  NetBoxRequestError,
  NetBoxUnavailableError,
  NetBoxValidationError,
} from './errors.ts';
import type { NbBulkErrorEntry, NbFieldErrors, NetBoxError, NetBoxRequestContext } from './errors.ts';
import { isTransientStatus } from './retry.ts';

export interface ParsedErrorBody {
  detail?: string;
  fieldErrors: NbFieldErrors;
  bulkErrors: NbBulkErrorEntry[];
}

/** Flattens DRF's nested error structures into `field` / `field.sub` / `field[1].sub` → messages. */
export function flattenFieldErrors(value: unknown, prefix = '', out: NbFieldErrors = {}): NbFieldErrors {
  const key = prefix === '' || prefix === 'non_field_errors' ? '__all__' : prefix;
  if (typeof value === 'string') {
    (out[key] ??= []).push(value);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => {
      if (typeof v === 'string') (out[key] ??= []).push(v);
      else flattenFieldErrors(v, `${prefix}[${i}]`, out);
    });
  } else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) {
      const name = k === 'non_field_errors' || k === '__all__' ? prefix : prefix === '' ? k : `${prefix}.${k}`;
      flattenFieldErrors(v, name, out);
    }
  } else if (value !== null && value !== undefined) {
    (out[key] ??= []).push(JSON.stringify(value));
  }
  return out;
}

function isEmptyError(v: unknown): boolean {
  return (isRecord(v) && Object.keys(v).length === 0) || (Array.isArray(v) && v.length === 0);
}

export function parseErrorBody(body: unknown): ParsedErrorBody {
  if (Array.isArray(body)) {
    if (body.every(v => typeof v === 'string')) return { fieldErrors: { __all__: body }, bulkErrors: [] };
    const bulkErrors = body.flatMap((entry, index) =>
      isEmptyError(entry) ? [] : [{ index, fieldErrors: flattenFieldErrors(entry) }],
    );
    return { fieldErrors: {}, bulkErrors };
  }
  if (!isRecord(body)) return { fieldErrors: {}, bulkErrors: [] };
  const detail = typeof body['detail'] === 'string' ? body['detail'] : undefined;
  if (Array.isArray(body['errors'])) {
    const bulkErrors = body['errors'].filter(isRecord).map(entry => {
      const e: NbBulkErrorEntry = { fieldErrors: flattenFieldErrors(entry['errors']) };
      if (typeof entry['index'] === 'number') e.index = entry['index'];
      if (typeof entry['id'] === 'number') e.id = entry['id'];
      return e;
    });
    return { ...(detail === undefined ? {} : { detail }), fieldErrors: {}, bulkErrors };
  }
  const { detail: _detail, ...fields } = body;
  return { ...(detail === undefined ? {} : { detail }), fieldErrors: flattenFieldErrors(fields), bulkErrors: [] };
}

/** A short, safe description of a body that is not JSON (a proxy's HTML page, a stack trace, ...). */
export function describeNonJsonBody(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const title = /<title>([^<]{1,200})<\/title>/i.exec(trimmed);
  if (title?.[1]) return `non-JSON response: ${title[1].trim()}`;
  if (trimmed.startsWith('<')) return `non-JSON (HTML) response of ${trimmed.length} bytes`;
  const flat = trimmed.replace(/\s+/g, ' ');
  return `non-JSON response: ${flat.length > 200 ? `${flat.slice(0, 200)}…` : flat}`;
}

export interface ErrorResponse {
  status: number;
  /** Parsed JSON body, or undefined when the body was empty or not JSON. */
  body: unknown;
  text: string;
  requestId?: string;
  retryAfterMs?: number;
  attempts: number;
}

export interface ErrorFactoryOptions {
  /** Where the token came from, for the 403 hint (`env NETBOX_TOKEN`, `file /var/run/...`). Never the token. */
  tokenSource: string;
  /** Removes the token from any text that came back from the server, in case something echoed it. */
  scrub: (text: string) => string;
}

function scrubFields(fields: NbFieldErrors, scrub: (t: string) => string): NbFieldErrors {
  return Object.fromEntries(Object.entries(fields).map(([k, msgs]) => [scrub(k), msgs.map(scrub)]));
}

/** NetBox's texts for a token it does not know (deleted, mistyped), an expired one, or none at all. */
const TOKEN_REFUSED = /invalid (v\d )?token|token expired|credentials were not provided|invalid authorization header/i;

function authHint(tokenSource: string, method: string, detail: string | undefined): string {
  if (detail !== undefined && TOKEN_REFUSED.test(detail)) {
    // The usual cause in a running daemon: someone revoked or rotated the token. Say so and what to do.
    return (
      `NetBox no longer accepts the token in ${tokenSource} (revoked, expired, mistyped or not set): create a new ` +
      `API token in NetBox and put it in ${tokenSource}; nothing is deleted while NetBox refuses it`
    );
  }
  const write =
    method === 'GET' ? '' : '; writes also need a token with write enabled and permission on the object type';
  return `check the token in ${tokenSource}; NetBox answers 403 for a missing, invalid or read-only token${write}`;
}

/** Maps a non-2xx NetBox response to the typed error for its status. */
export function errorFromResponse(
  ctx: NetBoxRequestContext,
  res: ErrorResponse,
  opts: ErrorFactoryOptions,
): NetBoxError {
  const parsed = parseErrorBody(res.body);
  const rawDetail = parsed.detail ?? (res.body === undefined ? describeNonJsonBody(res.text) : undefined);
  const fieldErrors = scrubFields(parsed.fieldErrors, opts.scrub);
  const bulkErrors = parsed.bulkErrors.map(e => ({ ...e, fieldErrors: scrubFields(e.fieldErrors, opts.scrub) }));
  const details = {
    status: res.status,
    fieldErrors,
    attempts: res.attempts,
    ...(rawDetail === undefined ? {} : { detail: opts.scrub(rawDetail) }),
    ...(res.requestId === undefined ? {} : { requestId: res.requestId }),
  };
  const s = res.status;
  if (s === 401 || s === 403)
    return new NetBoxAuthError(ctx, { ...details, hint: authHint(opts.tokenSource, ctx.method, rawDetail) });
  if (s === 400) return new NetBoxValidationError(ctx, details, bulkErrors);
  if (s === 404) {
    return new NetBoxNotFoundError(ctx, {
      ...details,
      hint: 'the object may have been deleted meanwhile, or the endpoint does not exist on this NetBox version',
    });
  }
  if (s === 409 || s === 412) return new NetBoxConflictError(ctx, details, bulkErrors);
  if (s === 429 || s >= 500) {
    const transient = isTransientStatus(s);
    return new NetBoxUnavailableError(ctx, {
      ...details,
      reason: 'status',
      transient,
      ...(res.retryAfterMs === undefined ? {} : { retryAfterMs: res.retryAfterMs }),
      hint: transient
        ? 'NetBox or its proxy is overloaded or restarting; the next cycle tries again'
        : 'NetBox failed internally; its server log (search for the request id) says why',
    });
  }
  return new NetBoxRequestError(ctx, details);
}
