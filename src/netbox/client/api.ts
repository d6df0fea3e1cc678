/**
 * The generic half of the NetBox client: complete listings, single-object calls and bulk writes on any endpoint.
 * It asks the server's version once (`/api/status/`, else the `API-Version` header) to decide which optional
 * parameters it may send (`fields`, `omit`, `changelog_message`). NetBoxClient adds the typed endpoints.
 */
import { silentLogger } from '../../log.ts';
import type { Logger } from '../../log.ts';
import type { NbQuery, NbStatus } from '../../model/netbox.ts';
import { toToken } from './auth.ts';
import { runBulk } from './bulk.ts';
import type { BulkResult, BulkRun, Recheck } from './bulk.ts';
import { parseNetBoxVersion, selectionParams, supports } from './capabilities.ts';
import type { FieldSelection, NetBoxVersion } from './capabilities.ts';
import { NetBoxNotFoundError, NetBoxProtocolError } from './errors.ts';
import { describeItem, endpointPath, objectPath } from './paths.ts';
import type { NetBoxRequestContext } from './errors.ts';
import { resolveOptions } from './options.ts';
import type { NetBoxClientOptions, ResolvedOptions } from './options.ts';
import { collectAllPages, toSearchParams } from './pagination.ts';
import { retryDelayMs } from './retry.ts';
import { Transport } from './transport.ts';
import type { NetBoxStats } from './transport.ts';

export interface WriteOptions {
  /** Overrides the client's changelogMessage for this call. */
  changelogMessage?: string;
  batchSize?: number;
  /** Batches in flight at once; overrides the client's writeConcurrency for this call. */
  concurrency?: number;
}

export interface CreateOptions<W, T> extends WriteOptions {
  /** Makes transient failures of a create retryable: only objects it reports missing are sent again. */
  recheck?: Recheck<W, T>;
}

export interface Identified {
  id: number;
}

export class NetBoxApi {
  readonly #opts: ResolvedOptions;
  readonly #transport: Transport;
  readonly #log: Logger;
  #version: Promise<NetBoxVersion | undefined> | undefined;

  constructor(options: NetBoxClientOptions) {
    this.#opts = resolveOptions(options);
    this.#log = (options.logger ?? silentLogger).child({ component: 'netbox-client' });
    this.#transport = new Transport(this.#opts, toToken(options.token), this.#log);
    if (this.#opts.insecureSkipVerify) {
      this.#log.warn({ url: this.#opts.apiRoot }, 'TLS verification of NetBox is OFF (insecureSkipVerify)');
    }
  }

  /** Requests made so far by method, endpoint and status, e.g. `{"GET ipam/prefixes/ 200": 3}`. */
  stats(): NetBoxStats {
    return this.#transport.stats();
  }

  resetStats(): void {
    this.#transport.resetStats();
  }

  async status(): Promise<NbStatus> {
    const res = await this.#transport.request({ method: 'GET', endpoint: 'status/' });
    const body = res.body as Partial<NbStatus> | undefined;
    if (typeof body !== 'object' || body === null || typeof body['netbox-version'] !== 'string') {
      throw new NetBoxProtocolError('/api/status/ has no netbox-version', this.#ctx('GET', 'status/'));
    }
    return body as NbStatus;
  }

  /** The server's version, read once and cached; undefined when neither /api/status/ nor API-Version tells. */
  serverVersion(): Promise<NetBoxVersion | undefined> {
    this.#version ??= this.#detectVersion().catch((err: unknown) => {
      this.#version = undefined; // a failed probe is asked again next time, not cached
      throw err;
    });
    return this.#version;
  }

  async #detectVersion(): Promise<NetBoxVersion | undefined> {
    let version: NetBoxVersion | undefined;
    try {
      version = parseNetBoxVersion((await this.status())['netbox-version']);
    } catch (err) {
      if (!(err instanceof NetBoxNotFoundError || err instanceof NetBoxProtocolError)) throw err;
      this.#log.warn({ err: err.message }, 'NetBox /api/status/ unusable; using the API-Version header');
    }
    version ??= parseNetBoxVersion(this.#transport.apiVersion);
    this.#log.info({ netboxVersion: version?.raw ?? 'unknown' }, 'NetBox version');
    return version;
  }

  /** Every object of a list endpoint matching `query`, across all pages, or a typed error; never a partial list. */
  async list<T>(endpoint: string, query: NbQuery = {}, selection?: FieldSelection): Promise<T[]> {
    const ep = endpointPath(endpoint);
    const first = toSearchParams(query);
    const version = selection ? await this.serverVersion() : undefined;
    for (const [name, value] of selectionParams(selection, version)) first.set(name, value);
    first.set('limit', String(this.#opts.pageSize));
    const fetchPage = async (params: URLSearchParams, page: number): Promise<unknown> =>
      (await this.#transport.request({ method: 'GET', endpoint: ep, params, object: `page ${page}` })).body;
    const items = await collectAllPages<T>(fetchPage, ep, first, this.#ctx('GET', ep));
    this.#log.debug({ endpoint: ep, count: items.length }, 'NetBox listing read');
    return items;
  }

  /** How many objects of a list endpoint match `query`: one request for one row, reading NetBox's `count`. */
  async count(endpoint: string, query: NbQuery = {}): Promise<number> {
    const ep = endpointPath(endpoint);
    const params = toSearchParams(query);
    params.set('limit', '1');
    const body = (await this.#transport.request({ method: 'GET', endpoint: ep, params, object: 'count' })).body;
    const count = typeof body === 'object' && body !== null ? (body as { count?: unknown }).count : undefined;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
      throw new NetBoxProtocolError('a list response without a numeric `count`', this.#ctx('GET', ep));
    }
    // One row was asked for: a page that counts objects but holds none was emptied on its way (a proxy, a cache),
    // and its count is no more to be trusted than its rows.
    const results = (body as { results?: unknown }).results;
    if (!Array.isArray(results) || (count > 0 && results.length === 0)) {
      throw new NetBoxProtocolError(
        `a page that counts ${count} objects but holds ${Array.isArray(results) ? 'none' : 'no results array'}`,
        this.#ctx('GET', ep),
      );
    }
    return count;
  }

  async get<T>(endpoint: string, id: number): Promise<T> {
    return (await this.#transport.request({ method: 'GET', endpoint: objectPath(endpoint, id), object: `id ${id}` }))
      .body as T;
  }

  /** POST one object. Never repeated on failure: a lost answer could otherwise create it twice. */
  async create<T>(endpoint: string, body: object, opts: WriteOptions = {}): Promise<T> {
    const [withMessage] = await this.#withChangelog([body], opts);
    const ep = endpointPath(endpoint);
    const object = describeItem(body);
    const res = await this.#transport.request({
      method: 'POST',
      endpoint: ep,
      body: withMessage,
      retry: false,
      ...(object === undefined ? {} : { object }),
    });
    return res.body as T;
  }

  /** PATCH one object by id (retried on transient failures: applying the same patch twice is harmless). */
  async update<T>(endpoint: string, id: number, patch: object, opts: WriteOptions = {}): Promise<T> {
    const [body] = await this.#withChangelog([patch], opts);
    const res = await this.#transport.request({
      method: 'PATCH',
      endpoint: objectPath(endpoint, id),
      body,
      object: `id ${id}`,
    });
    return res.body as T;
  }

  /** DELETE one object by id. A 404 after a retried attempt means the first attempt deleted it. */
  async delete(endpoint: string, id: number, opts: WriteOptions = {}): Promise<void> {
    const message = await this.#changelog(opts);
    const body = message === undefined ? undefined : { changelog_message: message };
    try {
      await this.#transport.request({ method: 'DELETE', endpoint: objectPath(endpoint, id), body, object: `id ${id}` });
    } catch (err) {
      if (err instanceof NetBoxNotFoundError && err.attempts > 1) return;
      throw err;
    }
  }

  async bulkCreate<W extends object, T>(
    endpoint: string,
    items: W[],
    opts: CreateOptions<W, T> = {},
  ): Promise<BulkResult<W, T>> {
    const ep = endpointPath(endpoint);
    return this.#bulk(ep, items, opts, {
      send: this.#sendBatch<W, T>('POST', ep, await this.#changelog(opts)),
      ...(opts.recheck ? { recheck: opts.recheck } : {}),
    });
  }

  /** Bulk PATCH: each item carries its `id` and only the fields to change. */
  async bulkUpdate<W extends Identified, T>(
    endpoint: string,
    items: W[],
    opts: WriteOptions = {},
  ): Promise<BulkResult<W, T>> {
    const ep = endpointPath(endpoint);
    return this.#bulk(ep, items, opts, {
      send: this.#sendBatch<W, T>('PATCH', ep, await this.#changelog(opts)),
      idOf: o => o.id,
      precheck: o => (Number.isSafeInteger(o.id) && o.id > 0 ? undefined : 'an update needs the object id'),
    });
  }

  async bulkDelete(
    endpoint: string,
    ids: number[],
    opts: WriteOptions = {},
  ): Promise<BulkResult<Identified, Identified>> {
    const ep = endpointPath(endpoint);
    const message = await this.#changelog(opts);
    return this.#bulk(
      ep,
      ids.map(id => ({ id })),
      opts,
      {
        send: async (batch, object) => {
          const body = withChangelogMessage(batch, message);
          await this.#transport.request({ method: 'DELETE', endpoint: ep, body, object });
          return batch;
        },
        idOf: o => o.id,
        precheck: o => (Number.isSafeInteger(o.id) && o.id > 0 ? undefined : `${String(o.id)} is not an object id`),
      },
    );
  }

  async #bulk<W extends object, T>(
    ep: string,
    items: W[],
    opts: WriteOptions,
    run: Pick<BulkRun<W, T>, 'send' | 'recheck' | 'idOf' | 'precheck'>,
  ): Promise<BulkResult<W, T>> {
    const policy = { baseMs: this.#opts.retryBaseMs, maxMs: this.#opts.retryMaxMs, random: this.#opts.random };
    const result = await runBulk<W, T>({
      ...run,
      items,
      batchSize: opts.batchSize ?? this.#opts.batchSize,
      concurrency: opts.concurrency ?? this.#opts.writeConcurrency,
      maxRetries: this.#opts.maxRetries,
      delayMs: (attempt, err) => retryDelayMs(attempt, policy, err.retryAfterMs),
      sleep: this.#opts.sleep,
      describe: describeItem,
    });
    const summary = { endpoint: ep, succeeded: result.succeeded.length, failed: result.failed.length };
    if (result.aborted) {
      this.#log.warn({ ...summary, error: result.aborted.message }, 'NetBox bulk write stopped early');
    } else if (result.failed.length > 0) {
      this.#log.warn(summary, 'NetBox bulk write: some objects rejected');
    } else {
      this.#log.debug(summary, 'NetBox bulk write');
    }
    return result;
  }

  /**
   * The `send` of a bulk POST or PATCH; NetBox answers with the written objects, one per item, in order. A POST is
   * never repeated by the transport: runBulk decides what to send again.
   */
  #sendBatch<W extends object, T>(
    method: 'POST' | 'PATCH',
    ep: string,
    message: string | undefined,
  ): BulkRun<W, T>['send'] {
    return async (batch, object) => {
      const body = withChangelogMessage(batch, message);
      const retry = method === 'POST' ? { retry: false } : {};
      const res = await this.#transport.request({ method, endpoint: ep, body, object, ...retry });
      if (!Array.isArray(res.body) || res.body.length !== batch.length) {
        const summary = `a bulk write of ${batch.length} objects did not return ${batch.length} objects`;
        throw new NetBoxProtocolError(summary, this.#ctx(method, ep), { status: res.status });
      }
      return res.body as T[];
    };
  }

  async #changelog(opts: WriteOptions): Promise<string | undefined> {
    const message = opts.changelogMessage ?? this.#opts.changelogMessage;
    if (message === undefined || message === '') return undefined;
    if (!supports.changelogMessage(await this.serverVersion())) return undefined;
    return Array.from(message).slice(0, 200).join(''); // NetBox's limit, counted in characters
  }

  async #withChangelog(bodies: object[], opts: WriteOptions): Promise<object[]> {
    return withChangelogMessage(bodies, await this.#changelog(opts));
  }

  #ctx(method: string, ep: string): NetBoxRequestContext {
    return { method, path: this.#opts.apiPath + ep };
  }
}

/** The bodies as sent: each stamped with NetBox's `changelog_message` when there is one to send. */
function withChangelogMessage<B extends object>(bodies: B[], message: string | undefined): B[] {
  return message === undefined ? bodies : bodies.map(b => ({ ...b, changelog_message: message }));
}
