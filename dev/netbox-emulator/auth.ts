/**
 * NetBox API authentication: v1 `Token <40 chars>` and v2 `Bearer nbt_<key>.<token>` tokens, write-disabled
 * tokens, expiry; failures are 403 with NetBox's (DRF's) messages, never 401.
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

export function newV1Token(): string {
  return randomBytes(20).toString('hex');
}

export function newV2Token(): string {
  return `nbt_${randomText(12, ALNUM)}.${randomText(40, ALNUM)}`;
}

function user(spec: TokenSpec): AuthUser {
  return { id: spec.userId ?? 1, username: spec.username ?? 'admin' };
}

/** Reads the Authorization header the way NetBox's TokenAuthentication does. */
export function authenticate(header: string | undefined, tokens: readonly TokenSpec[], now = Date.now()): AuthOutcome {
  const parts = (header ?? '')
    .trim()
    .split(/\s+/)
    .filter(p => p !== '');
  const scheme = parts[0]?.toLowerCase();
  if (scheme !== 'token' && scheme !== 'bearer') return { kind: 'anonymous' };
  if (parts.length === 1) return { kind: 'failed', detail: 'Invalid token header. No credentials provided.' };
  if (parts.length > 2) {
    return { kind: 'failed', detail: 'Invalid token header. Token string should not contain spaces.' };
  }
  const presented = parts[1] ?? '';
  const version = scheme === 'bearer' && presented.startsWith('nbt_') ? 2 : 1;
  const spec = tokens.find(t => t.token === presented && tokenVersion(t.token) === version);
  if (!spec) return { kind: 'failed', detail: version === 2 ? 'Invalid v2 token' : 'Invalid token' };
  if (spec.expires && Date.parse(spec.expires) <= now) return { kind: 'failed', detail: 'Token expired' };
  return { kind: 'authenticated', user: user(spec), writeEnabled: spec.writeEnabled ?? true, version };
}

/** The header value a client sends for a token. */
export function authorizationHeader(token: string): string {
  return tokenVersion(token) === 2 ? `Bearer ${token}` : `Token ${token}`;
}
