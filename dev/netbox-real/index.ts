import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ManagedProcess } from '../process.ts';
import { freePort, startProcess, waitFor } from '../process.ts';
import { startRedis } from '../redis.ts';
import type { TestRedis } from '../redis.ts';
import { writeConfiguration } from './config.ts';
import { NETBOX_VERSION, ensureVenv, netboxCacheDir } from './install.ts';
import type { PgConnection, PgServer } from './postgres.ts';
import { findPostgres, postgresRunAs, resetDatabase, startPostgres } from './postgres.ts';
import { ensureTemplate } from './template.ts';
import type { TemplateRecord } from './template.ts';

export { NETBOX_VERSION, netboxCacheDir } from './install.ts';
export { resetDatabase } from './postgres.ts';
export type { PgConnection } from './postgres.ts';

/**
 * A real NetBox (the PyPI package, pinned in netbox.version) for tests and for people: PostgreSQL (Debian's, as
 * the `postgres` user when we are root), a private redis-server, gunicorn serving `netbox.wsgi` and `netbox
 * rqworker` (which sends webhooks), all on loopback with random ports, in one private folder under /dev/shm that
 * stop() removes. Every child is killed when this process exits, so a failed run leaves no strays.
 *
 * Cold start: install.sh builds the venv (~2 min) and ensureTemplate migrates once into a cached template
 * (~8 min). Warm start: copy the template's data directory and start the four servers (~10 s).
 *
 * Isolation (the integration tests' choice): one NetBox serves the whole run; test files run one at a time, and
 * each file that talks to it starts from a clean database — reset() drops `netbox` and clones it again from the
 * migrated `netbox_template` (CREATE DATABASE … TEMPLATE, ~0.5 s). Inside a file, labs keep apart by their own
 * names (cluster tags, pool names) and address space.
 */

export interface NetBoxTokens {
  /** Write-enabled v1 token: `Authorization: Token <40 characters>`. */
  v1: string;
  /** Write-enabled v2 token: `Authorization: Bearer nbt_<key>.<token>`. */
  v2: string;
  /** Read-only v1 token (write_enabled false). */
  readOnly: string;
  /** Read-only v2 token. */
  readOnlyV2: string;
}

export interface RealNetBox {
  /** `http://127.0.0.1:<port>` (API below /api/). */
  url: string;
  /** `4.7.3`, from /api/status/. */
  version: string;
  python: string;
  postgresVersion: string;
  tokens: NetBoxTokens;
  admin: { username: string; password: string };
  /** Start-up time of this run (not counting a cold venv or template build). */
  startupMs: number;
  /** How long the template took to build, or undefined when it came from the cache. */
  coldSetupMs: number | undefined;
  /** Connection for resetDatabase() from another process (a test worker). */
  postgres: PgConnection;
  dir: string;
  processes: readonly ManagedProcess[];
  /** Back to the bootstrapped state (superuser and tokens only). */
  reset(): Promise<void>;
  /** Resolves once /api/status/ counts an RQ worker (webhooks are sent then); 10–40 s after start. */
  workerReady(timeoutMs?: number): Promise<void>;
  /**
   * Stops PostgreSQL under the running NetBox with a fast shutdown (sessions cut, open transactions rolled back,
   * as a database failover or restart does) and starts it again on the same port and data after `downMs`; NetBox
   * reconnects on its own (CONN_HEALTH_CHECKS). Resolves once PostgreSQL accepts connections again.
   */
  restartPostgres(opts?: { downMs?: number }): Promise<void>;
  /** Resident memory in KiB of gunicorn (master + workers), the RQ worker, PostgreSQL and Redis. */
  memory(): Record<'gunicorn' | 'rqworker' | 'postgres' | 'redis', number>;
  stop(): Promise<void>;
}

export interface StartNetBoxOptions {
  /** Port of the web server (default: a free one). */
  port?: number;
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  workers?: number;
  threads?: number;
  log?: (line: string) => void;
}

/** Prepares the cache (venv and template) without starting anything; what .ci/run calls before the tests. */
export async function prepareNetBox(log: (line: string) => void = () => {}): Promise<{ coldSetupMs?: number }> {
  const t0 = Date.now();
  const venv = ensureVenv();
  const tpl = await ensureTemplate(venv, log);
  const cold = Date.now() - t0 > 60_000;
  log(
    `NetBox ${tpl.record.netbox} (Python ${tpl.record.python}, PostgreSQL ${tpl.record.postgres}): venv and template ` +
      `${cold ? `built in ${Math.round((Date.now() - t0) / 1000)} s` : 'cached'} (${netboxCacheDir()})`,
  );
  return cold ? { coldSetupMs: Date.now() - t0 } : {};
}

interface Status {
  'netbox-version'?: string;
  'python-version'?: string;
  'rq-workers-running'?: number;
}

async function status(url: string, token: string): Promise<{ code: number; body: Status }> {
  const res = await fetch(`${url}/api/status/`, {
    headers: { Authorization: `Token ${token}`, Accept: 'application/json' },
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { code: res.status, body: res.ok ? (JSON.parse(text) as Status) : {} };
}

function rssKiB(pid: number | undefined, withChildren: boolean): number {
  if (pid === undefined) return 0;
  const one = (p: number): number => {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      return m ? Number(m[1]) : 0;
    } catch {
      return 0;
    }
  };
  let total = one(pid);
  if (withChildren) {
    try {
      const kids = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
        .trim()
        .split('\n');
      for (const k of kids) if (k !== '') total += rssKiB(Number(k), true);
    } catch {
      // no children
    }
  }
  return total;
}

export async function startNetBox(opts: StartNetBoxOptions = {}): Promise<RealNetBox> {
  const log = opts.log ?? (() => {});
  const t0 = Date.now();
  const venv = ensureVenv();
  const tpl = await ensureTemplate(venv, log);
  const coldSetupMs = Date.now() - t0 > 60_000 ? Date.now() - t0 : undefined;
  const started = Date.now();
  const record: TemplateRecord = tpl.record;
  const pg = findPostgres();
  const runAs = postgresRunAs();

  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'nbsync-netbox-'));
  chmodSync(dir, 0o711); // the postgres user must reach its data directory inside
  const procs: ManagedProcess[] = [];
  let server: PgServer | undefined;
  let redis: TestRedis | undefined;
  const stop = async (): Promise<void> => {
    // NetBox's processes first (they hold database connections), then the servers.
    await Promise.allSettled(procs.map(p => p.stop(15_000)));
    await Promise.allSettled([server?.stop(), redis?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const pgdata = join(dir, 'pgdata');
    execFileSync('cp', ['-a', tpl.pgdata, pgdata]); // as root: keeps the postgres user's ownership
    [server, redis] = await Promise.all([
      startPostgres(pg, pgdata, runAs, join(dir, 'postgres.log')),
      startRedis({ private: true }),
    ]);
    const pgServer = server;
    const serversMs = Date.now() - started;
    const redisUrl = new URL(redis.url);
    const root = join(dir, 'root');
    const env = writeConfiguration(root, {
      pgPort: pgServer.port,
      redisHost: redisUrl.hostname,
      redisPort: Number(redisUrl.port),
      secretKey: record.secretKey,
      pepper: record.pepper,
    });
    const host = opts.host ?? '127.0.0.1';
    const port = opts.port ?? (await freePort());
    const url = `http://${host}:${port}`;
    const gunicorn = startProcess(
      'gunicorn',
      join(venv, 'bin', 'gunicorn'),
      [
        'netbox.wsgi',
        '--bind',
        `${host}:${port}`,
        '--workers',
        String(opts.workers ?? 2),
        '--threads',
        String(opts.threads ?? 4),
        // A bulk DELETE of 1,000 objects takes ~45 s; the default 30 s would kill the worker mid-request.
        '--timeout',
        '600',
        // Its workers linger ~10 s after "Worker exiting" (threads that never end); nothing is in flight at stop.
        '--graceful-timeout',
        '3',
        '--preload',
        // gunicorn 26 would otherwise open a control socket in ~/.gunicorn/.
        '--no-control-socket',
        // Its default keep-alive is 2 s: a client reusing an idle connection just as gunicorn drops it gets
        // ECONNRESET (seen in the tests under load). Production NetBox sits behind nginx/unit with ~75 s.
        '--keep-alive',
        '75',
        '--access-logfile',
        '-',
      ],
      join(dir, 'gunicorn.log'),
      { env, cwd: dir, stopSignal: 'SIGINT' }, // quick shutdown; TERM waits out keep-alive connections
    );
    procs.push(gunicorn);
    const rqworker = startProcess(
      'netbox rqworker',
      join(venv, 'bin', 'netbox'),
      ['rqworker'],
      join(dir, 'rqworker.log'),
      {
        env,
        cwd: dir,
      },
    );
    procs.push(rqworker);
    let version = '';
    await waitFor(
      'NetBox /api/status/',
      async () => {
        const s = await status(url, record.tokens.v1);
        version = s.body['netbox-version'] ?? '';
        return s.code === 200;
      },
      { timeoutMs: 180_000, intervalMs: 250, proc: gunicorn },
    );
    if (version !== NETBOX_VERSION)
      throw new Error(`NetBox at ${url} reports version ${version}, not ${NETBOX_VERSION}`);
    const conn: PgConnection = { psql: join(pg.bin, 'psql'), port: pgServer.port };
    const startupMs = Date.now() - started;
    log(
      `NetBox ${version} (Python ${record.python}, PostgreSQL ${pg.version}) ready in ${startupMs} ms at ${url} ` +
        `(data copy + PostgreSQL + Redis ${serversMs} ms, gunicorn to first answer ${startupMs - serversMs} ms)` +
        (coldSetupMs === undefined ? '' : ` (after a cold set-up of ${Math.round(coldSetupMs / 1000)} s)`),
    );
    const redisProc = redis;
    const processes: ManagedProcess[] = [gunicorn, rqworker, pgServer.proc];
    let restarts = 0;
    const restartPostgres = async (o: { downMs?: number } = {}): Promise<void> => {
      const old = server;
      if (old === undefined) throw new Error('PostgreSQL is not running');
      server = undefined;
      await old.stop();
      if (o.downMs) await new Promise(resolve => setTimeout(resolve, o.downMs));
      const log = join(dir, `postgres-restart-${++restarts}.log`);
      server = await startPostgres(pg, pgdata, runAs, log, conn.port);
      processes[2] = server.proc;
    };
    return {
      url,
      version,
      python: record.python,
      postgresVersion: pg.version,
      tokens: record.tokens,
      admin: record.admin,
      startupMs,
      coldSetupMs,
      postgres: conn,
      dir,
      processes,
      restartPostgres,
      reset: () => resetDatabase(conn),
      workerReady: (timeoutMs = 90_000) =>
        waitFor(
          'an RQ worker in /api/status/',
          async () => ((await status(url, record.tokens.v1)).body['rq-workers-running'] ?? 0) > 0,
          { timeoutMs, intervalMs: 500, proc: rqworker },
        ),
      memory: () => ({
        gunicorn: rssKiB(gunicorn.child.pid, true),
        rqworker: rssKiB(rqworker.child.pid, true),
        postgres: rssKiB(pgServer.proc.child.pid, true),
        redis: rssKiB(redisProc.pid, false),
      }),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
