/**
 * The HTTP shell around the router: body reading and JSON parsing, headers NetBox sends on every response
 * (X-Request-ID, API-Version), injected faults and latency, stats, and webhook dispatch after the response.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../../src/log.ts';
import type { Logger } from '../../src/log.ts';
import { authenticate, newV1Token, newV2Token, NOT_PROVIDED, tokenVersion } from './auth.ts';
import type { TokenSpec } from './auth.ts';
import { defaultKnobs, parseKnobPatch, seededRandom, Stats } from './knobs.ts';
import type { Knobs, StatsSnapshot } from './knobs.ts';
import { handleApi } from './router.ts';
import type { ApiResponse, Emulation } from './router.ts';
import { applySeed, readSeedFile } from './seed.ts';
import { handleSide } from './side-api.ts';
import { Store } from './store.ts';
import { WebhookDispatcher } from './webhooks.ts';
import type { Delivery } from './webhooks.ts';

export interface EmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Seed data, or the path of a seed JSON file. */
  seed?: unknown;
  /** Extra tokens: plaintext strings (write-enabled) or full specs. */
  tokens?: (string | TokenSpec)[];
  knobs?: Partial<Knobs>;
  logger?: Logger;
}

export interface EmulatorTokens {
  /** A write-enabled v1 token (send as `Token <v1>`). */
  v1: string;
  /** A write-enabled v2 token `nbt_<key>.<token>` (send as `Bearer <v2>`). */
  v2: string;
  /** A read-only v1 token. */
  readOnly: string;
  all: TokenSpec[];
}

export interface Emulator {
  url: string;
  port: number;
  tokens: EmulatorTokens;
  store: Store;
  /** Live knobs; mutate directly or through setKnobs (validated). */
  knobs: Knobs;
  setKnobs(patch: Partial<Knobs>): void;
  stats(): StatsSnapshot;
  resetStats(): void;
  deliveries(): Delivery[];
  /** Resolves when every webhook delivery started so far has finished. */
  webhooksIdle(): Promise<void>;
  seed(data: unknown): Record<string, number>;
  /** Wipes every object (and the change log and recorded deliveries). */
  reset(): void;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024 * 1024;

function tokenSet(extra: (string | TokenSpec)[] | undefined): EmulatorTokens {
  const given = (extra ?? []).map(t => (typeof t === 'string' ? { token: t } : t));
  const usable = (t: TokenSpec) => !t.expires || Date.parse(t.expires) > Date.now();
  const writable = (v: 1 | 2) => given.find(t => tokenVersion(t.token) === v && t.writeEnabled !== false && usable(t));
  const v1 = writable(1) ?? { token: newV1Token() };
  const v2 = writable(2) ?? { token: newV2Token() };
  const readOnly = given.find(t => t.writeEnabled === false && usable(t)) ?? {
    token: newV1Token(),
    writeEnabled: false,
  };
  const all = [...new Set([...given, v1, v2, readOnly])];
  return { v1: v1.token, v2: v2.token, readOnly: readOnly.token, all };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY) throw new Error(`request body exceeds ${MAX_BODY} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

type Parsed = { ok: true; value: unknown } | { ok: false; status: number; detail: string };

/** The `workers` knob: at most N requests inside at once, the rest wait in arrival order (0: no limit). */
class WorkerPool {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];

  async acquire(limit: number): Promise<() => void> {
    if (limit > 0 && this.busy >= limit) await new Promise<void>(resolve => this.waiting.push(resolve));
    else this.busy++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next)
        next(); // the slot passes straight to the next request
      else this.busy--;
    };
  }
}

/** Objects a successful write created, changed or deleted (bulk bodies count each object). */
function writtenObjects(method: string, out: ApiResponse, body: unknown): number {
  if (out.status >= 300) return 0;
  if (method === 'DELETE') return Array.isArray(body) ? body.length : 1;
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') return out.objects;
  return 0;
}

function parseJson(req: IncomingMessage, raw: Buffer): Parsed {
  if (raw.length === 0) return { ok: true, value: undefined };
  const type = (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim() ?? '';
  if (type !== 'application/json' && !type.endsWith('+json')) {
    return { ok: false, status: 415, detail: `Unsupported media type "${type}" in request.` };
  }
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) as unknown };
  } catch (err) {
    return { ok: false, status: 400, detail: `JSON parse error - ${(err as Error).message}` };
  }
}

const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const logger = opts.logger ?? silentLogger;
  const knobs = defaultKnobs();
  if (opts.knobs) {
    const patch = parseKnobPatch(opts.knobs);
    if (!patch.ok) throw new Error(`invalid emulator knobs: ${patch.message}`);
    Object.assign(knobs, patch.value);
  }
  const seedData = typeof opts.seed === 'string' ? await readSeedFile(opts.seed) : opts.seed;
  const tokens = tokenSet(opts.tokens);
  const emu: Emulation = {
    store: new Store(),
    knobs,
    tokens: tokens.all,
    webhooks: new WebhookDispatcher(),
    stats: new Stats(),
  };
  const seed = (data: unknown) => applySeed(emu.store, data, { enforceGlobalUnique: knobs.enforceGlobalUnique });
  if (seedData !== undefined) seed(seedData);
  const reset = (reseed = false) => {
    emu.store.reset();
    emu.webhooks.clear();
    if (reseed && seedData !== undefined) seed(seedData);
  };

  let random = seededRandom(knobs.errorSeed);
  let randomSeed = knobs.errorSeed;
  const hanging = new Set<ServerResponse>();
  const workerPool = new WorkerPool();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    res.setHeader('X-Request-ID', requestId);
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    const parsed = parseJson(req, raw);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      if (body === undefined || method === 'HEAD') {
        res.writeHead(status).end();
        return;
      }
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/json');
      res.writeHead(status).end(text);
    };

    if (url.pathname.startsWith('/_emulator/')) {
      if (!parsed.ok) return send(parsed.status, { detail: parsed.detail });
      const out = handleSide(emu, { reset }, method, url, parsed.value);
      return send(out.status, out.body);
    }
    if (!url.pathname.startsWith('/api')) return send(404, { detail: 'Not found.' });

    res.setHeader('API-Version', knobs.apiVersion);
    res.setHeader('Vary', 'Accept, Cookie, Origin');
    let faults = knobs.faultPath === null || url.pathname.includes(knobs.faultPath);
    if (faults && knobs.faultSkip > 0) {
      knobs.faultSkip--;
      faults = false;
    }
    const record = (status: number, route: string, objects: number) => emu.stats.record(method, route, status, objects);
    if (faults && knobs.tokenRevoked) {
      // What NetBox answers for a token that no longer exists: its own "Invalid vN token", never 401.
      const outcome = authenticate(req.headers.authorization, []);
      record(403, 'revoked', 0);
      return send(403, { detail: outcome.kind === 'failed' ? outcome.detail : NOT_PROVIDED });
    }
    if (faults && knobs.hangNext > 0) {
      knobs.hangNext--;
      hanging.add(res);
      record(0, 'hang', 0);
      return;
    }
    if (knobs.errorSeed !== randomSeed) [random, randomSeed] = [seededRandom(knobs.errorSeed), knobs.errorSeed];
    if (faults && knobs.throttleNext > 0) {
      knobs.throttleNext--;
      record(429, 'throttled', 0);
      const detail = `Request was throttled. Expected available in ${knobs.retryAfterSeconds} seconds.`;
      return send(429, { detail }, { 'Retry-After': String(knobs.retryAfterSeconds) });
    }
    if (faults && (knobs.failNext > 0 || (knobs.errorRate > 0 && random() < knobs.errorRate))) {
      if (knobs.failNext > 0) knobs.failNext--;
      record(503, 'unavailable', 0);
      res.setHeader('Content-Type', 'text/html');
      return send(503, '<html><body><h1>503 Service Unavailable</h1></body></html>');
    }
    const release = await workerPool.acquire(knobs.workers);
    let out: ApiResponse;
    try {
      if (knobs.latencyMs > 0) await sleep(knobs.latencyMs);
      if (!parsed.ok)
        out = { status: parsed.status, body: { detail: parsed.detail }, headers: {}, objects: 0, route: 'body' };
      else out = handleApi(emu, { method, url, headers: req.headers, body: parsed.value, requestId, faults });
      if (knobs.latencyPerObjectMs > 0 && out.objects > 0) await sleep(knobs.latencyPerObjectMs * out.objects);
      const written = writtenObjects(method, out, parsed.ok ? parsed.value : undefined);
      if (knobs.latencyPerWrittenObjectMs > 0 && written > 0) await sleep(knobs.latencyPerWrittenObjectMs * written);
    } finally {
      release();
    }
    record(out.status, out.route, out.objects);
    logger.debug({ method, path: url.pathname, status: out.status, requestId }, 'netbox emulator request');
    const events = out.events;
    if (events && events.length > 0) {
      const query: Record<string, string[]> = {};
      for (const [k, v] of url.searchParams) (query[k] ??= []).push(v);
      const info = { id: requestId, method, path: url.pathname, user: out.user ?? '', query };
      res.once('finish', () =>
        emu.webhooks.dispatch(emu.store, events, info, knobs.apiVersion, knobs.webhookTimeoutMs),
      );
    }
    send(out.status, out.body, out.headers);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err, method: req.method, url: req.url }, 'netbox emulator failed to answer a request');
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ detail: `Emulator error: ${(err as Error).message}` }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url }, 'netbox emulator listening');

  return {
    url,
    port,
    tokens,
    store: emu.store,
    knobs,
    setKnobs(patch) {
      const parsedPatch = parseKnobPatch(patch);
      if (!parsedPatch.ok) throw new Error(`invalid emulator knobs: ${parsedPatch.message}`);
      Object.assign(knobs, parsedPatch.value);
    },
    stats: () => emu.stats.snapshot(),
    resetStats: () => emu.stats.reset(),
    deliveries: () => [...emu.webhooks.deliveries],
    webhooksIdle: () => emu.webhooks.idle(),
    seed,
    reset: () => reset(false),
    async close() {
      for (const res of hanging) res.destroy();
      hanging.clear();
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
      await emu.webhooks.idle();
    },
  };
}
