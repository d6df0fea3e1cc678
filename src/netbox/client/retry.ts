/**
 * The retry policy, as pure functions. What may be retried depends on two things: whether the failure is
 * transient (network, timeout, 429, 502/503/504) and whether repeating the request can duplicate data. GETs and
 * PATCH/PUT/DELETE are safe to repeat; a POST create is not (the first attempt may have landed), so it is only
 * repeated by the bulk layer after the caller's `recheck` has looked up which objects already exist.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** 429 and the gateway-class 5xx: a proxy or NetBox itself says "not now". A 500 is a bug and stays a bug. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

/** Methods whose repetition cannot create a second object. */
export function isIdempotentMethod(method: HttpMethod): boolean {
  return method !== 'POST';
}

/** Node / axios error codes that mean the connection failed or broke before a complete answer arrived. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_SOCKET',
  'ERR_NETWORK',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

export function isNetworkErrorCode(code: string | undefined): boolean {
  return code !== undefined && NETWORK_CODES.has(code);
}

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Returns [0, 1); injectable so tests can pin the jitter. */
  random: () => number;
}

/** Longest `Retry-After` we wait; a misconfigured proxy asking for an hour must not park the daemon that long. */
export const MAX_RETRY_AFTER_MS = 120_000;

/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): a uniformly
 * random delay in [0, min(max, base · 2^attempt)], so that several replicas retrying together spread out.
 * `attempt` counts from 0 (the delay before the first retry). A server's `Retry-After` replaces the jitter.
 */
export function retryDelayMs(attempt: number, policy: BackoffPolicy, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), MAX_RETRY_AFTER_MS);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(policy.random() * ceiling);
}

/** `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
