import type { Logger } from '../../log.ts';
import type { NetBoxToken } from './auth.ts';
import { NetBoxConfigError } from './errors.ts';

export interface NetBoxClientOptions {
  /** NetBox base URL, e.g. `https://netbox.example.com` (a trailing `/api` is accepted too). */
  url: string;
  /** From loadToken() (keeps the value hidden and knows its source), or a plain string. */
  token: string | NetBoxToken;
  /** Per HTTP attempt, including reading the body. */
  timeoutMs?: number;
  /** Retries after the first attempt, for failures a retry cannot turn into duplicates. */
  maxRetries?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Requests in flight at once; also the keep-alive socket pool size. */
  concurrency?: number;
  /** `limit` asked per page; NetBox caps it at MAX_PAGE_SIZE (1000 by default) and the client follows `next`. */
  pageSize?: number;
  /** Objects per bulk write request. */
  batchSize?: number;
  /** Bulk write requests of one call in flight at once (NetBox's web workers serve them side by side). */
  writeConcurrency?: number;
  /** PEM bundle trusted in addition to Node's built-in roots (a private CA in front of NetBox). */
  caFile?: string;
  /** Turns TLS verification off. Only when set to true explicitly; a warning is logged. */
  insecureSkipVerify?: boolean;
  logger?: Logger;
  /** Written as `changelog_message` on every object we write (NetBox 4.4+; cut to 200 characters). */
  changelogMessage?: string;
  /** Injected by tests to observe or skip backoff delays. */
  sleep?: (ms: number) => Promise<void>;
  /** Injected by tests to pin the backoff jitter; returns [0, 1). */
  random?: () => number;
}

export const DEFAULTS = {
  timeoutMs: 30_000,
  maxRetries: 5,
  retryBaseMs: 200,
  retryMaxMs: 10_000,
  concurrency: 4,
  pageSize: 1000,
  batchSize: 100,
  writeConcurrency: 2,
} as const;

export interface ResolvedOptions {
  /** `https://host[:port][/prefix]/api/`, always with the trailing slash. */
  apiRoot: string;
  /** Path part of apiRoot, e.g. `/api/` or `/netbox/api/`; used in error messages and to check `next` links. */
  apiPath: string;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  concurrency: number;
  pageSize: number;
  batchSize: number;
  writeConcurrency: number;
  caFile: string | undefined;
  insecureSkipVerify: boolean;
  changelogMessage: string | undefined;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

const realSleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms));

function whole(name: keyof typeof DEFAULTS, value: number | undefined, min: number, max: number): number {
  const v = value ?? DEFAULTS[name];
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new NetBoxConfigError(name, `must be a whole number from ${min} to ${max}, got ${String(v)}`);
  }
  return v;
}

export function apiRootOf(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new NetBoxConfigError('url', `"${url}" is not a URL`, 'use e.g. https://netbox.example.com');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new NetBoxConfigError('url', `scheme ${u.protocol} is not http or https`);
  }
  if (u.username !== '' || u.password !== '') {
    // Credentials in the URL would end up in logs and error messages; the token has its own channel.
    throw new NetBoxConfigError('url', 'contains user:password', 'remove them; authenticate with the API token');
  }
  if (u.search !== '' || u.hash !== '') throw new NetBoxConfigError('url', 'must not carry a query or fragment');
  const path = u.pathname.replace(/\/+$/, '').replace(/\/api$/, '');
  return new URL(`${u.origin}${path}/api/`);
}

export function resolveOptions(o: NetBoxClientOptions): ResolvedOptions {
  const root = apiRootOf(o.url);
  if (o.caFile !== undefined && o.caFile !== '' && o.insecureSkipVerify === true) {
    throw new NetBoxConfigError('caFile', 'is set together with insecureSkipVerify', 'choose one of them');
  }
  return {
    apiRoot: root.href,
    apiPath: root.pathname,
    timeoutMs: whole('timeoutMs', o.timeoutMs, 1, 3_600_000),
    maxRetries: whole('maxRetries', o.maxRetries, 0, 100),
    retryBaseMs: whole('retryBaseMs', o.retryBaseMs, 0, 600_000),
    retryMaxMs: whole('retryMaxMs', o.retryMaxMs, 0, 3_600_000),
    concurrency: whole('concurrency', o.concurrency, 1, 256),
    pageSize: whole('pageSize', o.pageSize, 1, 100_000),
    batchSize: whole('batchSize', o.batchSize, 1, 10_000),
    writeConcurrency: whole('writeConcurrency', o.writeConcurrency, 1, 256),
    caFile: o.caFile === '' ? undefined : o.caFile,
    insecureSkipVerify: o.insecureSkipVerify === true,
    changelogMessage: o.changelogMessage === '' ? undefined : o.changelogMessage,
    sleep: o.sleep ?? realSleep,
    random: o.random ?? Math.random,
  };
}
