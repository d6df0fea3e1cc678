/**
 * One HTTP exchange with NetBox, made resilient: a concurrency limit, a timeout per attempt, retries with
 * backoff where repeating cannot duplicate data, request counting, and typed errors that never carry the token.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import axios, { isAxiosError } from 'axios';
import type { AxiosInstance, AxiosResponse } from 'axios';
import type { Logger } from '../../log.ts';
import { VERSION } from '../../version.ts';
import type { NetBoxToken } from './auth.ts';
import { describeNonJsonBody, errorFromResponse } from './error-body.ts';
import { NetBoxConfigError, NetBoxError, NetBoxProtocolError, NetBoxUnavailableError } from './errors.ts';
import type { NetBoxRequestContext } from './errors.ts';
import type { ResolvedOptions } from './options.ts';
import { isIdempotentMethod, isNetworkErrorCode, parseRetryAfter, retryDelayMs } from './retry.ts';
import type { HttpMethod } from './retry.ts';
import { Semaphore } from './semaphore.ts';

export interface HttpRequest {
  method: HttpMethod;
  /** Path below the API root with its trailing slash: `ipam/prefixes/`, `ipam/prefixes/12/`, `status/`. */
  endpoint: string;
  params?: URLSearchParams;
  body?: unknown;
  /** Whether the transport may repeat the request; defaults to "every method but POST". */
  retry?: boolean;
  /** The object concerned, for error messages: `id 12`, `batch of 100 starting at index 200`. */
  object?: string;
}

export interface HttpResponse {
  status: number;
  /** Parsed JSON, or undefined for an empty body (204). */
  body: unknown;
  apiVersion: string | undefined;
  requestId: string | undefined;
}

/** Requests counted by `METHOD endpoint status`, ids folded (`PATCH ipam/prefixes/{id}/ 200`); see stats(). */
export interface NetBoxStats {
  /** HTTP attempts made, retries included. */
  requests: number;
  retries: number;
  byRequest: Record<string, number>;
}

export function buildAgents(
  opts: Pick<ResolvedOptions, 'concurrency' | 'caFile' | 'insecureSkipVerify'>,
  readCa: (path: string) => string = p => readFileSync(p, 'utf8'),
): { httpAgent: http.Agent; httpsAgent: https.Agent } {
  const pool = { keepAlive: true, maxSockets: opts.concurrency };
  let ca: string[] | undefined;
  if (opts.caFile !== undefined) {
    try {
      ca = [...tls.rootCertificates, readCa(opts.caFile)];
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new NetBoxConfigError('caFile', `cannot read ${opts.caFile} (${code})`, 'mount the CA bundle there');
    }
  }
  const httpsAgent = new https.Agent({
    ...pool,
    rejectUnauthorized: !opts.insecureSkipVerify,
    ...(ca === undefined ? {} : { ca }),
  });
  return { httpAgent: new http.Agent(pool), httpsAgent };
}

const UNTRUSTED_CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/**
 * What to do about a TLS verification failure (Node's OpenSSL error codes), naming the server and the setting
 * that fixes it; undefined for failures that are not about NetBox's certificate.
 */
export function tlsFailureHint(code: string | undefined, origin: string, caFile?: string): string | undefined {
  if (code === undefined) return undefined;
  const trusted = caFile === undefined ? "Node's built-in CAs" : `Node's built-in CAs and caFile ${caFile}`;
  if (UNTRUSTED_CERT_CODES.has(code)) {
    return (
      `the TLS certificate of ${origin} is not signed by a CA trusted here (${trusted}): set netbox.caFile ` +
      '(env NETBOX_CA_FILE) to the PEM bundle of the CA that signed it'
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return (
      `the TLS certificate of ${origin} is not issued for ${new URL(origin).hostname}: put a name the ` +
      'certificate carries in netbox.url, or reissue the certificate with this name'
    );
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return `the TLS certificate of ${origin} is outside its validity period: renew it (and check this host's clock)`;
  }
  if (/CERT|^ERR_TLS_|^ERR_SSL_/.test(code)) {
    return `the TLS handshake with ${origin} failed: check its certificate chain, or set netbox.caFile to its CA`;
  }
  return undefined;
}

/** `ipam/prefixes/12/` → `ipam/prefixes/{id}/`, so stats group by endpoint rather than by object. */
export function routeOf(endpoint: string): string {
  return endpoint.replace(/\/\d+\//g, '/{id}/');
}

function header(res: AxiosResponse, name: string): string | undefined {
  const v: unknown = res.headers[name];
  return typeof v === 'string' ? v : undefined;
}

export class Transport {
  readonly #opts: ResolvedOptions;
  readonly #token: NetBoxToken;
  readonly #log: Logger;
  readonly #http: AxiosInstance;
  readonly #sem: Semaphore;
  #stats: NetBoxStats = { requests: 0, retries: 0, byRequest: {} };
  #apiVersion: string | undefined;

  constructor(opts: ResolvedOptions, token: NetBoxToken, log: Logger) {
    this.#opts = opts;
    this.#token = token;
    this.#log = log;
    this.#sem = new Semaphore(opts.concurrency);
    this.#http = axios.create({ ...buildAgents(opts), maxRedirects: 0 });
  }

  /** The `API-Version` header of the latest response (`4.7`), if any. */
  get apiVersion(): string | undefined {
    return this.#apiVersion;
  }

  get tokenSource(): string {
    return this.#token.source;
  }

  stats(): NetBoxStats {
    return { ...this.#stats, byRequest: { ...this.#stats.byRequest } };
  }

  resetStats(): void {
    this.#stats = { requests: 0, retries: 0, byRequest: {} };
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const mayRetry = req.retry ?? isIdempotentMethod(req.method);
    const policy = { baseMs: this.#opts.retryBaseMs, maxMs: this.#opts.retryMaxMs, random: this.#opts.random };
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.#sem.run(() => this.#attempt(req, attempt + 1));
      if (!(outcome instanceof NetBoxError)) return outcome;
      const transient = outcome instanceof NetBoxUnavailableError && outcome.transient;
      if (!mayRetry || !transient || attempt >= this.#opts.maxRetries) throw outcome;
      const delayMs = retryDelayMs(attempt, policy, outcome.retryAfterMs);
      this.#stats.retries++;
      this.#log.warn(
        {
          method: req.method,
          path: outcome.path,
          status: outcome.status,
          reason: outcome.reason,
          attempt: attempt + 1,
          delayMs,
        },
        'NetBox request failed; retrying',
      );
      await this.#opts.sleep(delayMs);
    }
  }

  async #attempt(req: HttpRequest, attempt: number): Promise<HttpResponse | NetBoxError> {
    const query = req.params && req.params.size > 0 ? `?${req.params.toString()}` : '';
    const ctx: NetBoxRequestContext = { method: req.method, path: this.#opts.apiPath + req.endpoint };
    if (req.object !== undefined) ctx.object = req.object;
    const signal = AbortSignal.timeout(this.#opts.timeoutMs);
    const started = Date.now();
    let res: AxiosResponse<unknown>;
    try {
      res = await this.#http.request<unknown>({
        method: req.method,
        url: this.#opts.apiRoot + req.endpoint + query,
        headers: {
          Authorization: this.#token.authorization(),
          Accept: 'application/json',
          'User-Agent': `netbox-ippool-sync/${VERSION}`,
          ...(req.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        ...(req.body === undefined ? {} : { data: JSON.stringify(req.body) }),
        signal,
        responseType: 'text',
        transformResponse: [(data: unknown) => data],
        validateStatus: () => true,
      });
    } catch (err) {
      const failure = this.#failure(err, ctx, signal.aborted, attempt, req.endpoint);
      this.#log.debug(
        { method: req.method, path: ctx.path, reason: failure.reason, ms: Date.now() - started, attempt },
        'NetBox request failed',
      );
      return failure;
    }
    this.#count(req.method, req.endpoint, String(res.status));
    const apiVersion = header(res, 'api-version');
    if (apiVersion !== undefined) this.#apiVersion = apiVersion;
    const requestId = header(res, 'x-request-id');
    this.#log.debug(
      { method: req.method, path: ctx.path, status: res.status, ms: Date.now() - started, attempt },
      'NetBox request',
    );
    const text = typeof res.data === 'string' ? res.data : '';
    let body: unknown;
    let bodyIsJson = true;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        bodyIsJson = false; // handled below: an error status is still mapped by status, a 2xx is a protocol error
      }
    }
    const ids = requestId === undefined ? {} : { requestId };
    if (res.status >= 300 && res.status < 400) {
      return new NetBoxProtocolError(`NetBox answered with a redirect (${res.status})`, ctx, {
        ...ids,
        status: res.status,
        hint: 'check the NetBox url (http vs https, path prefix); the client does not follow redirects',
      });
    }
    if (res.status >= 200 && res.status < 300) {
      if (!bodyIsJson) {
        const detail = this.#token.scrub(describeNonJsonBody(text) ?? 'empty body');
        return new NetBoxProtocolError('NetBox answered with a body that is not JSON', ctx, { ...ids, detail });
      }
      return { status: res.status, body, apiVersion, requestId };
    }
    const retryAfterMs = parseRetryAfter(header(res, 'retry-after'), Date.now());
    return errorFromResponse(
      ctx,
      {
        status: res.status,
        body,
        text,
        attempts: attempt,
        ...ids,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      },
      { tokenSource: this.#token.source, scrub: t => this.#token.scrub(t) },
    );
  }

  /** Network failure or timeout: built from the error code and message only, never from the axios error object. */
  #failure(
    err: unknown,
    ctx: NetBoxRequestContext,
    timedOut: boolean,
    attempt: number,
    endpoint: string,
  ): NetBoxUnavailableError {
    const code = isAxiosError(err) ? err.code : (err as NodeJS.ErrnoException | undefined)?.code;
    const message = err instanceof Error ? err.message : String(err);
    if (timedOut) {
      this.#count(ctx.method, endpoint, 'timeout');
      return new NetBoxUnavailableError(ctx, {
        reason: 'timeout',
        transient: true,
        attempts: attempt,
        detail: `no complete answer within ${this.#opts.timeoutMs} ms`,
        hint: 'NetBox is slow or overloaded; raise timeoutMs or lower pageSize if this persists',
      });
    }
    this.#count(ctx.method, endpoint, 'network');
    const origin = new URL(this.#opts.apiRoot).origin;
    return new NetBoxUnavailableError(ctx, {
      reason: 'network',
      transient: isNetworkErrorCode(code),
      attempts: attempt,
      detail: this.#token.scrub(`${code ?? 'error'}: ${message}`),
      hint:
        tlsFailureHint(code, origin, this.#opts.caFile) ??
        `check that ${origin} is reachable from here (DNS, proxy, firewall)`,
    });
  }

  #count(method: string, endpoint: string, outcome: string): void {
    const key = `${method} ${routeOf(endpoint)} ${outcome}`;
    this.#stats.requests++;
    this.#stats.byRequest[key] = (this.#stats.byRequest[key] ?? 0) + 1;
  }
}
