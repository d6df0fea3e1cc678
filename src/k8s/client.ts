import { KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent, request } from 'node:https';
import type { RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import { KubeApiError, KubeConfigError, KubeUnavailableError } from './errors.ts';
import type { KubeErrorContext } from './errors.ts';
import { FIELD_MANAGER } from '../model/ownership.ts';
import type { K8sObject, ResourceType } from '../model/k8s-object.ts';
import { apiVersionOf } from '../model/k8s-object.ts';

/**
 * The daemon's view of the Kubernetes API: a thin REST layer. @kubernetes/client-node's KubeConfig does the
 * credential work (kubeconfig files, in-cluster ServiceAccount tokens that rotate, exec plugins); requests are
 * plain HTTPS so that pagination, server-side apply, dry-run and request counting are explicit and testable.
 */

export type KubeVerb = 'get' | 'list' | 'create' | 'apply' | 'patch' | 'delete' | 'discover' | 'watch';

export interface KubeClientOptions {
  /** Path of a kubeconfig; without it: KUBECONFIG, ~/.kube/config, or in-cluster, as kubectl does. */
  kubeconfig?: string;
  /** A kubeconfig as text (tests). */
  kubeconfigYaml?: string;
  /**
   * Use the in-cluster ServiceAccount (KUBERNETES_SERVICE_HOST/PORT and the token, CA and namespace files under
   * `<root>/var/run/secrets/kubernetes.io/serviceaccount/`); root defaults to `/`. Tests point it at a temp dir.
   */
  inClusterRoot?: string;
  /** Items per list page (`limit`); the apiserver hands back a `continue` token for the rest. */
  pageSize?: number;
  timeoutMs?: number;
  /**
   * Times one request is sent again after 429 Too Many Requests (API Priority and Fairness rejected it before it
   * ran, so a write is safe to resend), waiting for the apiserver's Retry-After; default 10, as client-go.
   */
  throttleRetries?: number;
  /** Upper bound of one wait for Retry-After (default 10 s); without the header the wait doubles from 500 ms. */
  maxRetryAfterMs?: number;
  logger?: Logger;
}

export interface ApplyOptions {
  /** `dryRun=All`: the apiserver validates and admits but stores nothing. */
  serverDryRun?: boolean;
  /** Take fields from other managers (default false: a conflict is reported, not overridden). */
  force?: boolean;
  /** Field manager of the write (default `netbox-ippool-sync`); the sync writes as `fieldManagerFor(cluster)`. */
  fieldManager?: string;
}

export interface CreateOptions {
  serverDryRun?: boolean;
  /** Field manager recorded for the create (default `netbox-ippool-sync`). */
  fieldManager?: string;
}

export interface DeleteOptions {
  serverDryRun?: boolean;
  /** Refuse the delete if the object changed since it was observed. */
  preconditions?: { resourceVersion?: string; uid?: string };
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
}

/** One event of a watch stream; `ERROR` carries a Status (410 Gone: the resourceVersion is too old, re-list). */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: K8sObject & { code?: number; reason?: string; message?: string };
}

export interface WatchOptions {
  resourceVersion: string;
  signal: AbortSignal;
  /** The apiserver ends the stream after this long (a healthy watch is restarted from the last version seen). */
  timeoutSeconds?: number;
}

interface KubeStatus {
  kind?: string;
  reason?: string;
  message?: string;
  details?: { causes?: { field?: string; message?: string }[] };
}

/** Where the default kubeconfig lookup looks; tests point it at temp dirs. */
export interface KubeConfigPlaces {
  env?: Readonly<Record<string, string | undefined>>;
  home?: string;
  /** Root under which the in-cluster ServiceAccount files live (default `/`), as `inClusterRoot`. */
  inClusterRoot?: string;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const OFFLINE = '`plan --no-cluster` or `plan --observed DIR` plan without a cluster';

/**
 * The kubeconfig kubectl would use: `--kubeconfig`, else `KUBECONFIG` (a list; missing files are skipped, as kubectl
 * does), else `~/.kube/config`, else the in-cluster ServiceAccount. Every failure is a KubeConfigError naming what
 * was tried and what to do, never a bare ENOENT (nor client-node's silent fallback to http://localhost:8080).
 */
export function loadKubeConfig(
  opts: Pick<KubeClientOptions, 'kubeconfig' | 'kubeconfigYaml' | 'inClusterRoot'>,
  places: KubeConfigPlaces = {},
): KubeConfig {
  const kc = new KubeConfig();
  let from: string;
  if (opts.inClusterRoot !== undefined) {
    kc.loadFromCluster(opts.inClusterRoot === '/' ? undefined : opts.inClusterRoot);
    from = 'the in-cluster ServiceAccount';
  } else if (opts.kubeconfigYaml) {
    kc.loadFromString(opts.kubeconfigYaml);
    from = 'the given kubeconfig';
  } else if (opts.kubeconfig) {
    if (!existsSync(opts.kubeconfig)) {
      throw new KubeConfigError(
        `kubeconfig ${opts.kubeconfig} (from --kubeconfig) does not exist: check the path, or leave out ` +
          '--kubeconfig to use KUBECONFIG, ~/.kube/config or the in-cluster ServiceAccount',
      );
    }
    loadFile(kc, opts.kubeconfig, '--kubeconfig');
    from = `kubeconfig ${opts.kubeconfig} (from --kubeconfig)`;
  } else {
    from = loadDefault(kc, places);
  }
  if (!kc.getCurrentCluster()) {
    throw new KubeConfigError(`no Kubernetes cluster in ${from} (current-context is empty or names no cluster)`);
  }
  return kc;
}

function loadFile(kc: KubeConfig, file: string, origin: string): void {
  try {
    kc.loadFromFile(file);
  } catch (err) {
    // First line only: YAML errors append an excerpt of the file, which may hold credentials.
    const why = (err instanceof Error ? err.message : String(err)).split('\n', 1)[0];
    throw new KubeConfigError(`cannot read kubeconfig ${file} (from ${origin}): ${why}`);
  }
}

/** kubectl's lookup order without a flag; returns where the config came from, for messages. */
function loadDefault(kc: KubeConfig, places: KubeConfigPlaces): string {
  const env = places.env ?? process.env;
  const list = env['KUBECONFIG'] ?? '';
  if (list !== '') {
    const files = list.split(delimiter).filter(f => f !== '');
    const present = files.filter(f => existsSync(f));
    const [first, ...rest] = present;
    if (first === undefined) {
      const which =
        files.length === 1 ? `${files[0] ?? ''}, which does not exist` : `${files.join(', ')}, none of which exists`;
      throw new KubeConfigError(
        `no kubeconfig: KUBECONFIG names ${which} — fix KUBECONFIG or pass --kubeconfig FILE; ${OFFLINE}`,
      );
    }
    loadFile(kc, first, 'KUBECONFIG');
    for (const file of rest) {
      const more = new KubeConfig();
      loadFile(more, file, 'KUBECONFIG');
      kc.mergeConfig(more, Boolean(kc.getCurrentContext())); // as kubectl: the first file that sets current-context wins
    }
    return `kubeconfig ${present.join(delimiter)} (from KUBECONFIG)`;
  }
  const home = places.home ?? env['HOME'] ?? homedir();
  const personal = join(home, '.kube', 'config');
  if (existsSync(personal)) {
    loadFile(kc, personal, '~/.kube/config');
    return `kubeconfig ${personal}`;
  }
  const root = places.inClusterRoot ?? '/';
  const token = join(root, SERVICE_ACCOUNT_DIR, 'token');
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  const inCluster =
    host === undefined || host === '' || port === undefined || port === ''
      ? 'KUBERNETES_SERVICE_HOST/PORT not set: not running in a pod'
      : existsSync(token)
        ? undefined
        : `${token} does not exist: is automountServiceAccountToken off?`;
  if (inCluster === undefined) {
    kc.loadFromCluster(root === '/' ? undefined : root);
    return 'the in-cluster ServiceAccount';
  }
  throw new KubeConfigError(
    `no kubeconfig found; tried --kubeconfig (not given), KUBECONFIG (not set), ${personal} (does not exist), ` +
      `in-cluster ServiceAccount (${inCluster}) — pass --kubeconfig FILE, set KUBECONFIG, or run in a pod with a ` +
      `ServiceAccount; ${OFFLINE}`,
  );
}

export function resourcePath(rt: ResourceType, namespace?: string, name?: string): string {
  const base = rt.group === '' ? `/api/${rt.version}` : `/apis/${rt.group}/${rt.version}`;
  const ns = rt.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${rt.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

function resourceName(rt: ResourceType): string {
  return rt.group === '' ? rt.plural : `${rt.plural}.${rt.group}`;
}

function watchError(status: number, text: string, ctx: KubeErrorContext): Error {
  let parsed: KubeStatus;
  try {
    parsed = JSON.parse(text) as KubeStatus;
  } catch {
    // Not a Status (a proxy's error page): its first bytes are the message.
    parsed = { message: text.slice(0, 300) };
  }
  if (status >= 500) return new KubeUnavailableError(`HTTP ${status}: ${parsed.message ?? ''}`, ctx);
  return new KubeApiError(status, parsed.reason ?? 'Unknown', parsed.message ?? '', ctx);
}

export class KubeClient {
  readonly server: string;
  readonly #kc: KubeConfig;
  readonly #pageSize: number;
  readonly #timeoutMs: number;
  readonly #log: Logger;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 8 });
  // Plain http only for a local `kubectl proxy`; every real apiserver is https.
  readonly #httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 8 });
  readonly #counts = new Map<string, number>();
  readonly #throttleRetries: number;
  readonly #maxRetryAfterMs: number;
  #throttled = 0;

  constructor(opts: KubeClientOptions = {}) {
    this.#kc = loadKubeConfig(opts);
    this.server = this.#kc.getCurrentCluster()?.server ?? '';
    this.#pageSize = opts.pageSize ?? 500;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#throttleRetries = opts.throttleRetries ?? 10;
    this.#maxRetryAfterMs = opts.maxRetryAfterMs ?? 10_000;
    this.#log = opts.logger ?? silentLogger;
  }

  /** Requests sent so far, by verb (`apply`, `delete`, ...): how tests prove a steady state writes nothing. */
  requestCounts(): Record<string, number> {
    return Object.fromEntries([...this.#counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** 429 answers received so far (each one waited for and sent again, up to `throttleRetries` per request). */
  throttledCount(): number {
    return this.#throttled;
  }

  writeCount(): number {
    const writes: KubeVerb[] = ['create', 'apply', 'patch', 'delete'];
    return writes.reduce((n, verb) => n + (this.#counts.get(verb) ?? 0), 0);
  }

  close(): void {
    this.#agent.destroy();
    this.#httpAgent.destroy();
  }

  /** Resources served for a group/version, or null when the API group is not installed (CRD missing). */
  async discover(group: string, version: string): Promise<string[] | null> {
    const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    const ctx = { verb: 'discover', resource: group === '' ? version : `${group}/${version}` };
    try {
      const res = await this.#send<{ resources: { name: string }[] }>('discover', 'GET', path, ctx);
      return res.resources.map(r => r.name).filter(n => !n.includes('/'));
    } catch (err) {
      if (err instanceof KubeApiError && err.isNotFound) return null;
      throw err;
    }
  }

  async get(rt: ResourceType, name: string, namespace?: string): Promise<K8sObject | null> {
    const ctx = { verb: 'get', resource: resourceName(rt), name, namespace };
    try {
      return await this.#send<K8sObject>('get', 'GET', resourcePath(rt, namespace, name), ctx);
    } catch (err) {
      if (err instanceof KubeApiError && err.isNotFound) return null;
      throw err;
    }
  }

  /** Every object of a type, following `continue` tokens to the end (an empty token ends the list). */
  async list(rt: ResourceType, opts: ListOptions = {}): Promise<K8sObject[]> {
    const items: K8sObject[] = [];
    const ctx = { verb: 'list', resource: resourceName(rt), namespace: opts.namespace };
    let token: string | undefined;
    do {
      const q = new URLSearchParams({ limit: String(this.#pageSize) });
      if (token) q.set('continue', token);
      if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
      const page = await this.#send<{ items?: K8sObject[]; metadata?: { continue?: string } }>(
        'list',
        'GET',
        `${resourcePath(rt, opts.namespace)}?${q.toString()}`,
        ctx,
      );
      // List items omit apiVersion/kind; put them back so every stage sees whole objects.
      for (const item of page.items ?? []) items.push({ ...item, apiVersion: apiVersionOf(rt), kind: rt.kind });
      token = page.metadata?.continue || undefined;
    } while (token);
    return items;
  }

  /** The collection's current resourceVersion (one item read): where a watch starts from. */
  async listVersion(rt: ResourceType): Promise<string> {
    const ctx = { verb: 'list', resource: resourceName(rt) };
    const page = await this.#send<{ metadata?: { resourceVersion?: string } }>(
      'list',
      'GET',
      `${resourcePath(rt)}?limit=1`,
      ctx,
    );
    return page.metadata?.resourceVersion ?? '';
  }

  /**
   * Streams the type's changes after `resourceVersion` (all namespaces) to `onEvent`, until the apiserver ends the
   * stream (resolves with the last resourceVersion seen), `signal` aborts it (resolves), or it fails (rejects; a
   * KubeApiError 410 means the version is too old and the caller re-lists).
   */
  async watch(rt: ResourceType, opts: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<string> {
    this.#counts.set('watch', (this.#counts.get('watch') ?? 0) + 1);
    const ctx = { verb: 'watch', resource: resourceName(rt) };
    const q = new URLSearchParams({
      watch: '1',
      allowWatchBookmarks: 'true',
      resourceVersion: opts.resourceVersion,
      timeoutSeconds: String(opts.timeoutSeconds ?? 300),
    });
    const url = new URL(`${resourcePath(rt)}?${q.toString()}`, this.server);
    const options: RequestOptions = { method: 'GET', signal: opts.signal, headers: { Accept: 'application/json' } };
    await this.#kc.applyToHTTPSOptions(options);
    const plain = url.protocol === 'http:';
    return new Promise<string>((resolve, reject) => {
      let last = opts.resourceVersion;
      const send = plain ? httpRequest : request;
      const req = send(url, options, res => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(watchError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), ctx)));
          return;
        }
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let nl = buffer.indexOf('\n');
          while (nl >= 0) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            nl = buffer.indexOf('\n');
            if (!line) continue;
            const event = JSON.parse(line) as WatchEvent;
            if (event.type === 'ERROR') {
              req.destroy();
              const status = event.object;
              reject(new KubeApiError(status.code ?? 500, status.reason ?? 'Unknown', status.message ?? '', ctx));
              return;
            }
            last = event.object.metadata.resourceVersion ?? last;
            onEvent(event);
          }
        });
        res.on('end', () => resolve(last));
        res.on('error', err => (opts.signal.aborted ? resolve(last) : reject(err)));
      });
      req.on('error', err =>
        opts.signal.aborted ? resolve(last) : reject(new KubeUnavailableError(err.message, ctx, err)),
      );
      req.end();
    });
  }

  /**
   * Creates `obj` with one POST, which cannot overwrite anything: if the name is taken the apiserver answers 409
   * AlreadyExists (a KubeApiError with `isAlreadyExists`). Server-side apply cannot do that — an apply of a taken
   * name updates whatever holds it. The create is recorded in managedFields as an `Update` by `opts.fieldManager`;
   * the next apply of ours takes those fields over (see upgradeCreateOwnership in apply.ts).
   */
  async create(rt: ResourceType, obj: K8sObject, opts: CreateOptions = {}): Promise<K8sObject> {
    const { name, namespace } = obj.metadata;
    const q = new URLSearchParams({ fieldManager: opts.fieldManager ?? FIELD_MANAGER });
    if (opts.serverDryRun) q.set('dryRun', 'All');
    const ctx = { verb: 'create', resource: resourceName(rt), name, namespace };
    return this.#send<K8sObject>('create', 'POST', `${resourcePath(rt, namespace)}?${q.toString()}`, ctx, {
      body: JSON.stringify(obj),
      contentType: 'application/json',
    });
  }

  /** Server-side apply as `opts.fieldManager`: only the fields in `obj` become ours. */
  async apply(rt: ResourceType, obj: K8sObject, opts: ApplyOptions = {}): Promise<K8sObject> {
    const { name, namespace } = obj.metadata;
    const patch = { body: obj, contentType: 'application/apply-patch+yaml', force: opts.force ?? false };
    return this.#patch('apply', rt, { name, namespace }, patch, opts);
  }

  /**
   * JSON merge patch (an Update, not an apply) as `opts.fieldManager`. Only for what apply cannot
   * do: removing fields another manager set (`null` values). `metadata.resourceVersion` in the patch makes it
   * conditional on the object not having changed.
   */
  async mergePatch(
    rt: ResourceType,
    name: string,
    namespace: string | undefined,
    patch: Record<string, unknown>,
    opts: { serverDryRun?: boolean; fieldManager?: string } = {},
  ): Promise<K8sObject> {
    const body = { body: patch, contentType: 'application/merge-patch+json' };
    return this.#patch('patch', rt, { name, namespace }, body, opts);
  }

  /** One PATCH as our field manager (per cluster name, see fieldManagerFor): server-side apply (`force` set) or a merge patch. */
  #patch(
    verb: 'apply' | 'patch',
    rt: ResourceType,
    target: { name: string; namespace: string | undefined },
    patch: { body: unknown; contentType: string; force?: boolean },
    opts: { serverDryRun?: boolean; fieldManager?: string },
  ): Promise<K8sObject> {
    const q = new URLSearchParams({ fieldManager: opts.fieldManager ?? FIELD_MANAGER });
    if (patch.force !== undefined) q.set('force', String(patch.force));
    if (opts.serverDryRun) q.set('dryRun', 'All');
    const ctx = { verb, resource: resourceName(rt), name: target.name, namespace: target.namespace };
    const path = `${resourcePath(rt, target.namespace, target.name)}?${q.toString()}`;
    return this.#send<K8sObject>(verb, 'PATCH', path, ctx, {
      body: JSON.stringify(patch.body),
      contentType: patch.contentType,
    });
  }

  /** Deletes one object; a missing object counts as deleted. */
  async delete(
    rt: ResourceType,
    name: string,
    namespace: string | undefined,
    opts: DeleteOptions = {},
  ): Promise<'deleted' | 'absent'> {
    const q = new URLSearchParams();
    if (opts.serverDryRun) q.set('dryRun', 'All');
    // With a DeleteOptions body the apiserver ignores the query parameters: dryRun must be in the body too, or a
    // "dry run" deletes for real.
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Background',
      ...(opts.serverDryRun ? { dryRun: ['All'] } : {}),
      ...(opts.preconditions ? { preconditions: opts.preconditions } : {}),
    };
    const ctx = { verb: 'delete', resource: resourceName(rt), name, namespace };
    try {
      await this.#send(
        'delete',
        'DELETE',
        `${resourcePath(rt, namespace, name)}${q.size ? `?${q.toString()}` : ''}`,
        ctx,
        {
          body: JSON.stringify(body),
          contentType: 'application/json',
        },
      );
      return 'deleted';
    } catch (err) {
      if (err instanceof KubeApiError && err.isNotFound) return 'absent';
      throw err;
    }
  }

  async #send<T>(
    verb: KubeVerb,
    method: string,
    path: string,
    ctx: KubeErrorContext,
    payload?: { body: string; contentType: string },
  ): Promise<T> {
    this.#counts.set(verb, (this.#counts.get(verb) ?? 0) + 1);
    const url = new URL(path, this.server);
    const options: RequestOptions = {
      method,
      agent: this.#agent,
      timeout: this.#timeoutMs,
      headers: {
        Accept: 'application/json',
        ...(payload ? { 'Content-Type': payload.contentType, 'Content-Length': Buffer.byteLength(payload.body) } : {}),
      },
    };
    await this.#kc.applyToHTTPSOptions(options);
    // applyToHTTPSOptions hands every request a new Agent, and with it a new TLS connection (a handshake per
    // request was most of a 2,000-pool sync's CPU). Our keep-alive agent takes the same TLS options per request;
    // only a cluster behind a proxy keeps the proxy agent client-node built.
    if (!this.#kc.getCurrentCluster()?.proxyUrl) options.agent = this.#agent;
    const started = Date.now();
    const answer = await this.#sendThrottled(verb, url, options, ctx, payload);
    const { status, text } = answer;
    this.#log.debug({ verb, method, path: url.pathname, status, ms: Date.now() - started }, 'kubernetes request');
    if (status >= 200 && status < 300) return (text ? JSON.parse(text) : {}) as T;
    let parsed: KubeStatus = {};
    try {
      parsed = JSON.parse(text) as KubeStatus;
    } catch (err) {
      this.#log.debug({ err, status }, 'non-JSON error body from the apiserver');
    }
    // Server-side apply answers 500 (not 422) when a field has the wrong type for the schema: that is a bad
    // object, not a sick apiserver, so it is reported against the object and the cycle goes on.
    const badApplyPatch = status === 500 && /failed to create typed patch object/.test(parsed.message ?? '');
    if ((status >= 500 || status === 0) && !badApplyPatch) {
      throw new KubeUnavailableError(`HTTP ${status}: ${(parsed.message ?? text).slice(0, 300)}`, ctx);
    }
    const reason = badApplyPatch ? 'Invalid' : (parsed.reason ?? 'Unknown');
    throw new KubeApiError(status, reason, parsed.message ?? text.slice(0, 300), ctx, parsed.details?.causes ?? []);
  }

  /** One request, sent again after each 429 (API Priority and Fairness) once Retry-After has passed. */
  async #sendThrottled(
    verb: KubeVerb,
    url: URL,
    options: RequestOptions,
    ctx: KubeErrorContext,
    payload: { body: string; contentType: string } | undefined,
  ): Promise<{ status: number; text: string; retryAfter: string | undefined }> {
    for (let attempt = 0; ; attempt++) {
      const answer = await this.#request(url, options, ctx, payload);
      if (answer.status !== 429 || attempt >= this.#throttleRetries) return answer;
      this.#throttled += 1;
      // Up to a quarter more than asked: clients rejected together must not all come back in the same instant.
      const asked = retryDelayMs(answer.retryAfter, attempt, this.#maxRetryAfterMs);
      const waitMs = asked + Math.round(Math.random() * (asked / 4));
      this.#log.warn(
        { verb, path: url.pathname, attempt: attempt + 1, retryAfter: answer.retryAfter, waitMs },
        'kubernetes request throttled (429); waiting and sending it again',
      );
      await new Promise(resolve => setTimeout(resolve, waitMs));
    }
  }

  #request(
    url: URL,
    options: RequestOptions,
    ctx: KubeErrorContext,
    payload: { body: string; contentType: string } | undefined,
  ): Promise<{ status: number; text: string; retryAfter: string | undefined }> {
    return new Promise((resolve, reject) => {
      const plain = url.protocol === 'http:';
      const send = plain ? httpRequest : request;
      const req = send(url, plain ? { ...options, agent: this.#httpAgent } : options, res => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const header: unknown = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            retryAfter: typeof header === 'string' ? header : Array.isArray(header) ? String(header[0]) : undefined,
          });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.#timeoutMs} ms`)));
      req.on('error', err => reject(new KubeUnavailableError(err.message, ctx, err)));
      if (payload) req.write(payload.body);
      req.end();
    });
  }
}

/**
 * How long to wait before sending a throttled request again: the apiserver's Retry-After (seconds or an HTTP date),
 * capped; without one, 500 ms doubling per attempt up to the same cap.
 */
export function retryDelayMs(retryAfter: string | undefined, attempt: number, maxMs: number, now = Date.now()): number {
  const value = retryAfter?.trim() ?? '';
  let ms: number | undefined;
  if (/^\d+$/.test(value)) ms = Number(value) * 1000;
  else if (value !== '' && !Number.isNaN(Date.parse(value))) ms = Date.parse(value) - now;
  if (ms === undefined) ms = 500 * 2 ** Math.min(attempt, 10);
  return Math.min(maxMs, Math.max(0, ms));
}
