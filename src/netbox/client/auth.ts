import type { TokenSource } from '../../model/netbox.ts';
/**
 * NetBox API tokens. v1: `Authorization: Token <40 chars>`; v2 (NetBox 4.5+): `Authorization: Bearer
 * nbt_<key>.<token>`. The scheme follows from the `nbt_` prefix, as pynetbox and netbox-sync do.
 *
 * The token value lives in a private field: JSON.stringify, util.inspect, template strings and pino all see
 * `[NetBoxToken from <source>]`, so a token object that ends up in a log line or an error does not leak.
 */
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { NetBoxConfigError } from './errors.ts';

export type TokenScheme = 'Token' | 'Bearer';

export class NetBoxToken {
  readonly #value: string;
  /** Where the token came from, for hints: `env NETBOX_TOKEN`, `file /var/run/secrets/netbox/token`, `options`. */
  readonly source: string;
  readonly scheme: TokenScheme;

  constructor(value: string, source: string) {
    const v = value.trim();
    checkTokenValue(v, source);
    this.#value = v;
    this.source = source;
    this.scheme = v.startsWith('nbt_') ? 'Bearer' : 'Token';
  }

  /** The `Authorization` header value. Only the transport calls this. */
  authorization(): string {
    return `${this.scheme} ${this.#value}`;
  }

  /** Replaces every occurrence of the token in `text`; for text that came back from the server. */
  scrub(text: string): string {
    return text.split(this.#value).join('[redacted token]');
  }

  toString(): string {
    return `[NetBoxToken from ${this.source}]`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

function checkTokenValue(v: string, source: string): void {
  if (v === '') {
    throw new NetBoxConfigError('token', `the token from ${source} is empty`, 'put the NetBox API token there');
  }
  if (/^(Token|Bearer)\s/i.test(v)) {
    throw new NetBoxConfigError(
      'token',
      `the token from ${source} starts with an authorization scheme`,
      'store only the token itself; the client adds "Token " or "Bearer " from the nbt_ prefix',
    );
  }
  // Whitespace or control characters would break (or inject into) the header; never echo the value.
  if (/[\s\p{Cc}]/u.test(v)) {
    throw new NetBoxConfigError('token', `the token from ${source} contains whitespace or control characters`);
  }
  if (v.startsWith('nbt_') && !/^nbt_[^.]+\.[^.]+$/.test(v)) {
    throw new NetBoxConfigError(
      'token',
      `the v2 token from ${source} is not of the form nbt_<key>.<token>`,
      'copy the whole token NetBox showed when it was created',
    );
  }
}

/**
 * Reads the token from a file (a mounted Secret; surrounding whitespace trimmed) or an environment variable.
 * Throws NetBoxConfigError naming the source (never the value) when it is missing, unreadable or malformed.
 */
export function loadToken(src: TokenSource, env: NodeJS.ProcessEnv = process.env): NetBoxToken {
  if (src.file !== undefined && src.file !== '') {
    let text: string;
    try {
      text = readFileSync(src.file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
      throw new NetBoxConfigError(
        'token',
        `cannot read the token file ${src.file} (${code})`,
        'check the Secret mount',
      );
    }
    return new NetBoxToken(text, `file ${src.file}`);
  }
  if (src.env !== undefined && src.env !== '') {
    const value = env[src.env];
    if (value === undefined) {
      throw new NetBoxConfigError(
        'token',
        `environment variable ${src.env} is not set`,
        `set ${src.env} to the API token`,
      );
    }
    return new NetBoxToken(value, `env ${src.env}`);
  }
  throw new NetBoxConfigError('token', 'no token source given', 'name an environment variable or a token file');
}

/** Accepts a ready NetBoxToken or a plain string (from code or tests). */
export function toToken(token: string | NetBoxToken): NetBoxToken {
  return typeof token === 'string' ? new NetBoxToken(token, 'the client options') : token;
}
