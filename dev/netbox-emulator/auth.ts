/**
 * NetBox API authentication: v1 `Token <40 chars>` and v2 `Bearer nbt_<key>.<token>` tokens (either keyword works;
 * the `nbt_` prefix decides the version), write-disabled tokens, expiry; failures are 403 with NetBox's messages,
 * never 401.
 */
import { randomBytes } from 'node:crypto';

export interface TokenSpec {
  /** What follows the scheme: 40 characters (v1) or `nbt_<key>.<token>` (v2). */
  token: string;
  /** Default true. */
  writeEnabled?: boolean;
  /** ISO time after which the token is refused with "Token expired". */
  expires?: string | null;
  username?: string;
  userId?: number;
}

export interface AuthUser {
  id: number;
  username: string;
}

export type AuthOutcome =
  | { kind: 'authenticated'; user: AuthUser; writeEnabled: boolean; version: 1 | 2 }
  | { kind: 'anonymous' }
  | { kind: 'failed'; detail: string };

export const NOT_PROVIDED = 'Authentication credentials were not provided.';
export const NO_PERMISSION = 'You do not have permission to perform this action.';

export function tokenVersion(token: string): 1 | 2 {
  return token.startsWith('nbt_') ? 2 : 1;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function randomText(length: number, alphabet: string): string {
  return [...randomBytes(length)].map(b => alphabet[b % alphabet.length]).join('');
}

/** NetBox generates v1 tokens as 40 characters of [A-Za-z0-9] (Token.generate), not hex. */
export function newV1Token(): string {
  return randomText(40, ALNUM);
}

export function newV2Token(): string {
  return `nbt_${randomText(12, ALNUM)}.${randomText(40, ALNUM)}`;
}

function user(spec: TokenSpec): AuthUser {
  return { id: spec.userId ?? 1, username: spec.username ?? 'admin' };
}

const BAD_HEADER = 'Invalid authorization header: Must be in the form "Bearer <key>.<token>" or "Token <token>"';
const NO_V2_KEY =
  "Invalid authorization header: Could not parse key from v2 token. Did you mean to use 'Token' instead of 'Bearer'?";

/**
 * Reads the Authorization header the way NetBox 4.7's TokenAuthentication does: either keyword (`Token`,
 * `Bearer`) is accepted, and the `nbt_` prefix — not the keyword — makes a token v2; a v2 token must be
 * `nbt_<key>.<token>`. Texts from netbox/api/authentication.py.
 */
export function authenticate(header: string | undefined, tokens: readonly TokenSpec[], now = Date.now()): AuthOutcome {
  const parts = (header ?? '')
    .trim()
    .split(/\s+/)
    .filter(p => p !== '');
  const scheme = parts[0]?.toLowerCase();
  if (scheme !== 'token' && scheme !== 'bearer') return { kind: 'anonymous' };
  if (parts.length !== 2) return { kind: 'failed', detail: BAD_HEADER };
  const presented = parts[1] ?? '';
  const version = tokenVersion(presented);
  if (version === 2 && !presented.includes('.')) return { kind: 'failed', detail: NO_V2_KEY };
  const spec = tokens.find(t => t.token === presented);
  if (!spec) return { kind: 'failed', detail: `Invalid v${version} token` };
  if (spec.expires && Date.parse(spec.expires) <= now) return { kind: 'failed', detail: 'Token expired' };
  return { kind: 'authenticated', user: user(spec), writeEnabled: spec.writeEnabled ?? true, version };
}

/** The header value a client sends for a token. */
export function authorizationHeader(token: string): string {
  return tokenVersion(token) === 2 ? `Bearer ${token}` : `Token ${token}`;
}
