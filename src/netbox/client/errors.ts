/**
 * Typed NetBox errors, one class per thing the caller does differently: fix the token (auth), record the object
 * as invalid (validation), re-read (not found / conflict), stop the cycle and try later (unavailable), or report a
 * server that broke the API contract (protocol, incomplete listing).
 *
 * These objects carry only what we put in them: method, API path (never the query string), status, NetBox's
 * detail and field messages. They never wrap an axios error, whose `config.headers` holds the token.
 */

/** NetBox field messages: `{field: [message, ...]}`; messages that concern no single field sit under `__all__`. */
export type NbFieldErrors = Record<string, string[]>;

/** One failing object of a bulk request, as NetBox reported it: by position in the list or by object id. */
export interface NbBulkErrorEntry {
  index?: number;
  id?: number;
  fieldErrors: NbFieldErrors;
}

export interface NetBoxRequestContext {
  method: string;
  /** Path below the server root without the query string, e.g. `/api/ipam/prefixes/12/`. */
  path: string;
  /** The object concerned when known: `id 12`, `address 10.0.0.5/24`, `batch of 100`. */
  object?: string;
}

export type NetBoxErrorKind =
  'auth' | 'validation' | 'not-found' | 'conflict' | 'unavailable' | 'protocol' | 'incomplete-list' | 'request';

export interface NetBoxErrorDetails {
  status?: number;
  /** NetBox's `detail` text, or a short description of a non-JSON body. */
  detail?: string;
  fieldErrors?: NbFieldErrors;
  hint?: string;
  /** NetBox's `X-Request-ID`, to find the request in NetBox's change log and server logs. */
  requestId?: string;
  /** How many HTTP attempts were made before giving up. */
  attempts?: number;
}

export class NetBoxError extends Error {
  readonly kind: NetBoxErrorKind;
  readonly method: string;
  readonly path: string;
  readonly object: string | undefined;
  readonly status: number | undefined;
  readonly detail: string | undefined;
  readonly fieldErrors: NbFieldErrors;
  readonly hint: string | undefined;
  readonly requestId: string | undefined;
  readonly attempts: number;

  constructor(kind: NetBoxErrorKind, summary: string, ctx: NetBoxRequestContext, details: NetBoxErrorDetails = {}) {
    super(formatMessage(summary, ctx, details));
    this.name = 'NetBoxError';
    this.kind = kind;
    this.method = ctx.method;
    this.path = ctx.path;
    this.object = ctx.object;
    this.status = details.status;
    this.detail = details.detail;
    this.fieldErrors = details.fieldErrors ?? {};
    this.hint = details.hint;
    this.requestId = details.requestId;
    this.attempts = details.attempts ?? 1;
  }
}

/** `field: message; field: message`, for error messages and bulk failure reports. */
export function describeFieldErrors(fieldErrors: NbFieldErrors): string {
  return Object.entries(fieldErrors)
    .map(([field, messages]) => (field === '__all__' ? messages.join(' ') : `${field}: ${messages.join(' ')}`))
    .join('; ');
}

function formatMessage(summary: string, ctx: NetBoxRequestContext, d: NetBoxErrorDetails): string {
  const target = `${ctx.method} ${ctx.path}${ctx.object ? ` (${ctx.object})` : ''}`;
  const status = d.status === undefined ? '' : ` [HTTP ${d.status}]`;
  const fields = describeFieldErrors(d.fieldErrors ?? {});
  const parts = [d.detail, fields].filter((p): p is string => Boolean(p));
  const attempts = d.attempts !== undefined && d.attempts > 1 ? ` after ${d.attempts} attempts` : '';
  const said = parts.length ? `: ${parts.join(' — ')}` : '';
  return withHint(`${target} failed${status}${attempts}: ${summary}${said}`, d.hint);
}

function withHint(text: string, hint: string | undefined): string {
  return hint ? `${text.replace(/[.\s]+$/, '')}. Hint: ${hint}` : text;
}

/** 401/403: NetBox answers 403 to a missing, invalid, expired or read-only token and to missing permissions. */
export class NetBoxAuthError extends NetBoxError {
  constructor(ctx: NetBoxRequestContext, details: NetBoxErrorDetails) {
    super('auth', 'NetBox refused the credentials or the permission', ctx, details);
    this.name = 'NetBoxAuthError';
  }
}

/** 400: NetBox rejected the body or a filter value; `fieldErrors` and `bulkErrors` say what and where. */
/** An error that may carry per-object errors of a bulk request. */
abstract class NetBoxBulkError extends NetBoxError {
  /** Per-object errors of a bulk request, when NetBox correlated them (4.7 envelope, or ≤4.6 per-item list). */
  readonly bulkErrors: NbBulkErrorEntry[];
  constructor(
    kind: NetBoxErrorKind,
    summary: string,
    request: { ctx: NetBoxRequestContext; details: NetBoxErrorDetails },
    bulkErrors: NbBulkErrorEntry[],
  ) {
    super(kind, summary, request.ctx, request.details);
    this.bulkErrors = bulkErrors;
  }
}

export class NetBoxValidationError extends NetBoxBulkError {
  constructor(ctx: NetBoxRequestContext, details: NetBoxErrorDetails, bulkErrors: NbBulkErrorEntry[] = []) {
    super('validation', 'NetBox rejected the request as invalid', { ctx, details }, bulkErrors);
    this.name = 'NetBoxValidationError';
  }
}

export class NetBoxNotFoundError extends NetBoxError {
  constructor(ctx: NetBoxRequestContext, details: NetBoxErrorDetails) {
    super('not-found', 'no such object or endpoint', ctx, details);
    this.name = 'NetBoxNotFoundError';
  }
}

/** 409 (dependent objects block a delete, no space left to allocate) or 412 (If-Match precondition failed). */
export class NetBoxConflictError extends NetBoxBulkError {
  constructor(ctx: NetBoxRequestContext, details: NetBoxErrorDetails, bulkErrors: NbBulkErrorEntry[] = []) {
    super('conflict', 'the request conflicts with the current state in NetBox', { ctx, details }, bulkErrors);
    this.name = 'NetBoxConflictError';
  }
}

export type UnavailableReason = 'network' | 'timeout' | 'status';

/** NetBox could not be reached or could not serve: network error, timeout, 429 or 5xx. Nothing read is trustworthy. */
export class NetBoxUnavailableError extends NetBoxError {
  readonly reason: UnavailableReason;
  /** Whether the failure is transient by nature (network, timeout, 429, 502/503/504), not whether it was retried. */
  readonly transient: boolean;
  /** NetBox's (or its proxy's) `Retry-After`, in milliseconds, when it sent one. */
  readonly retryAfterMs: number | undefined;
  constructor(
    ctx: NetBoxRequestContext,
    details: NetBoxErrorDetails & { reason: UnavailableReason; transient: boolean; retryAfterMs?: number },
  ) {
    super('unavailable', unavailableSummary(details.reason, details.status), ctx, details);
    this.name = 'NetBoxUnavailableError';
    this.reason = details.reason;
    this.transient = details.transient;
    this.retryAfterMs = details.retryAfterMs;
  }
}

function unavailableSummary(reason: UnavailableReason, status: number | undefined): string {
  if (reason === 'timeout') return 'NetBox did not answer in time';
  if (reason === 'network') return 'NetBox could not be reached';
  if (status === 429) return 'NetBox (or a proxy in front of it) is rate limiting';
  return 'NetBox could not serve the request';
}

/** The server broke the API contract: a body that is not JSON, a list without `results`, a redirect, ... */
export class NetBoxProtocolError extends NetBoxError {
  constructor(
    summary: string,
    ctx: NetBoxRequestContext,
    details: NetBoxErrorDetails = {},
    kind: 'protocol' | 'incomplete-list' = 'protocol',
  ) {
    super(kind, summary, ctx, details);
    this.name = 'NetBoxProtocolError';
  }
}

/**
 * A listing whose pages do not add up to its `count` (pages ended early, a page went missing, objects repeated,
 * the count changed while paging). The daemon must not act on it: a missing page would look like deleted pools.
 */
export class NetBoxIncompleteListError extends NetBoxProtocolError {
  readonly expected: number | undefined;
  readonly received: number;
  constructor(summary: string, ctx: NetBoxRequestContext, expected: number | undefined, received: number) {
    const hint = 'nothing from this listing was used; the next cycle reads it again';
    super(`incomplete listing: ${summary}`, ctx, { hint }, 'incomplete-list');
    this.name = 'NetBoxIncompleteListError';
    this.expected = expected;
    this.received = received;
  }
}

/** Any other 4xx (405, 413, 415, ...): the client asked for something this server does not do. */
export class NetBoxRequestError extends NetBoxError {
  constructor(ctx: NetBoxRequestContext, details: NetBoxErrorDetails) {
    super('request', 'NetBox refused the request', ctx, details);
    this.name = 'NetBoxRequestError';
  }
}

/** Bad client options or an unreadable token / CA file; raised before any request is made. */
export class NetBoxConfigError extends Error {
  readonly setting: string;
  readonly hint: string | undefined;
  constructor(setting: string, reason: string, hint?: string) {
    super(withHint(`NetBox client setting "${setting}": ${reason}`, hint));
    this.name = 'NetBoxConfigError';
    this.setting = setting;
    this.hint = hint;
  }
}
