import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Daemon } from '../daemon/daemon.ts';
import type { Logger } from '../log.ts';
import { verifySignature } from './signature.ts';
import { webhookTargets } from './webhook.ts';

/**
 * The daemon's HTTP server (node:http): /healthz (the process answers), /readyz (Redis, the apiservers and the
 * last sync), /metrics (Prometheus), /drift and /drift.json (the latest drift report, when a provider is wired),
 * and POST /webhooks/netbox (signed NetBox event-rule webhooks → a debounced sync).
 */

export interface DriftProvider {
  html(): string | undefined;
  json(): string | undefined;
}

export interface ServerOptions {
  daemon: Daemon;
  address: string;
  port: number;
  /** Undefined: webhooks are refused with 503 (no secret configured). */
  webhookSecret: string | undefined;
  maxBodyBytes: number;
  /** Cluster name → its cluster tag slug, to route webhooks. */
  clusterTags: ReadonlyMap<string, string>;
  /** Cluster name → its managed tag slug: a cluster's own writeback records do not queue its sync. */
  managedTags?: ReadonlyMap<string, string>;
  drift?: DriftProvider;
  logger: Logger;
}

export interface HttpServer {
  readonly url: string;
  close(): Promise<void>;
}

type Reply = { status: number; type?: string; body: string };

const text = (status: number, body: string): Reply => ({ status, body: `${body}\n` });
const json = (status: number, body: unknown): Reply => ({
  status,
  type: 'application/json',
  body: `${JSON.stringify(body)}\n`,
});

export async function startHttpServer(opts: ServerOptions): Promise<HttpServer> {
  const server = createServer((req, res) => {
    route(req, opts)
      .then(reply => send(res, reply))
      .catch((err: unknown) => {
        opts.logger.error(
          { err: err instanceof Error ? err.message : String(err), path: req.url },
          'HTTP handler failed',
        );
        send(res, text(500, 'internal error; see the daemon log'));
      });
  });
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.address, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  opts.logger.info({ url, webhooks: opts.webhookSecret !== undefined }, 'HTTP server listening');
  return { url, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise(resolve => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { 'Content-Type': reply.type ?? 'text/plain; charset=utf-8' });
  res.end(reply.body);
}

async function route(req: IncomingMessage, opts: ServerOptions): Promise<Reply> {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const method = req.method ?? 'GET';
  if (path === '/webhooks/netbox') return method === 'POST' ? webhook(req, opts) : text(405, 'POST only');
  if (method !== 'GET' && method !== 'HEAD') return text(405, 'GET only');
  switch (path) {
    case '/healthz':
      return text(200, 'ok');
    case '/readyz': {
      const r = await opts.daemon.ready();
      return json(r.ready ? 200 : 503, r);
    }
    case '/metrics': {
      const registry = opts.daemon.metrics.registry;
      return { status: 200, type: registry.contentType, body: await registry.metrics() };
    }
    case '/drift':
      return driftReply(opts.drift?.html(), 'text/html; charset=utf-8');
    case '/drift.json':
      return driftReply(opts.drift?.json(), 'application/json');
    default:
      return text(404, 'not found: try /healthz, /readyz, /metrics, /drift, /drift.json, POST /webhooks/netbox');
  }
}

function driftReply(body: string | undefined, type: string): Reply {
  if (body === undefined) {
    return text(503, 'no drift report yet: the first drift job has not finished (or drift is not in this build)');
  }
  return { status: 200, type, body };
}

async function webhook(req: IncomingMessage, opts: ServerOptions): Promise<Reply> {
  const { daemon, logger } = opts;
  if (opts.webhookSecret === undefined) {
    daemon.metrics.webhooks.inc({ result: 'disabled' });
    return text(503, 'webhooks are off: set the secret (server.webhookSecretEnv / server.webhookSecretFile)');
  }
  const body = await readBody(req, opts.maxBodyBytes);
  if (body === 'too-large') {
    daemon.metrics.webhooks.inc({ result: 'too-large' });
    return text(413, `body over ${opts.maxBodyBytes} bytes`);
  }
  if (!verifySignature(body, req.headers['x-hook-signature'], opts.webhookSecret)) {
    daemon.metrics.webhooks.inc({ result: 'rejected' });
    logger.warn({ remote: req.socket.remoteAddress }, 'webhook refused: missing or wrong X-Hook-Signature');
    return text(401, 'missing or wrong X-Hook-Signature (hex HMAC-SHA512 of the body with the shared secret)');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    daemon.metrics.webhooks.inc({ result: 'ignored' });
    return text(400, `body is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const target = webhookTargets(parsed, opts.clusterTags, opts.managedTags);
  if (target.kind === 'ignored') {
    daemon.metrics.webhooks.inc({ result: 'ignored' });
    logger.debug({ reason: target.reason }, 'webhook ignored');
    return json(202, { queued: [], ignored: target.reason });
  }
  daemon.metrics.webhooks.inc({ result: 'accepted' });
  for (const cluster of target.clusters) daemon.trigger(cluster, 'sync', 'webhook');
  return json(202, { queued: target.clusters.map(c => `sync/${c}`) });
}

/** The raw body (the signature covers its bytes), or 'too-large' once it passes `limit` (the rest is dropped). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      resolve('too-large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        resolve('too-large');
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
