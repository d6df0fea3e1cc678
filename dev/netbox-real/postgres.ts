import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ManagedProcess } from '../process.ts';
import { freePort, startProcess, waitFor } from '../process.ts';

/**
 * Debian's PostgreSQL for a throwaway NetBox database: a private data directory, loopback TCP on a random port,
 * no Unix socket, trust authentication for the `postgres` superuser, durability off. PostgreSQL refuses to run as
 * root, so when we are root the server (and initdb) run as the `postgres` user Debian's package creates, in a
 * directory that user owns (never below /root, which is mode 0700).
 */

const run = promisify(execFile);

export interface PgInstall {
  /** Folder of initdb, postgres and psql, e.g. /usr/lib/postgresql/15/bin. */
  bin: string;
  version: string;
}

/** uid/gid to run PostgreSQL as: the `postgres` user when we are root, else ourselves (undefined). */
export interface RunAs {
  uid: number;
  gid: number;
}

export interface PgServer {
  port: number;
  proc: ManagedProcess;
  stop(): Promise<void>;
}

/** How a test (in another process) reaches the server: enough to run psql. */
export interface PgConnection {
  psql: string;
  port: number;
}

export function findPostgres(): PgInstall {
  const preset = process.env['NBSYNC_PG_BINDIR'];
  const root = '/usr/lib/postgresql';
  const candidates = preset
    ? [preset]
    : existsSync(root)
      ? readdirSync(root)
          .filter(v => /^\d+$/.test(v))
          .sort((a, b) => Number(b) - Number(a))
          .map(v => join(root, v, 'bin'))
      : [];
  const bin = candidates.find(dir => existsSync(join(dir, 'postgres')) && existsSync(join(dir, 'initdb')));
  if (bin === undefined) {
    throw new Error(
      "PostgreSQL's server is not installed (no /usr/lib/postgresql/<version>/bin/postgres): run .ci/run or " +
        'dev/netbox-real/install.sh system (apt-get install postgresql libpq-dev gcc), or set NBSYNC_PG_BINDIR',
    );
  }
  const out = execFileSync(join(bin, 'postgres'), ['--version'], { encoding: 'utf8' });
  return { bin, version: /(\d+(?:\.\d+)*)/.exec(out)?.[1] ?? '?' };
}

export function postgresRunAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch (err) {
    throw new Error(
      'running as root, but there is no `postgres` user to run PostgreSQL as (PostgreSQL refuses root); ' +
        "install Debian's postgresql package (dev/netbox-real/install.sh system)",
      { cause: err },
    );
  }
}

/** Hands a folder (recursively) to the user PostgreSQL runs as. */
export function giveTo(dir: string, runAs: RunAs | undefined): void {
  if (runAs === undefined) return;
  execFileSync('chown', ['-R', `${runAs.uid}:${runAs.gid}`, dir]);
  chownSync(dir, runAs.uid, runAs.gid);
}

export async function initdb(pg: PgInstall, dataDir: string, runAs: RunAs | undefined): Promise<void> {
  await run(
    join(pg.bin, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync'],
    { ...(runAs ?? {}), env: { ...process.env, LC_ALL: 'C.UTF-8' } },
  );
}

/** Starts `postgres` in the foreground (our child) on a free loopback port, retrying a lost port race. */
export async function startPostgres(
  pg: PgInstall,
  dataDir: string,
  runAs: RunAs | undefined,
  logFile: string,
  /** A fixed port (a restart keeps the one its clients know); default a free one, retried on a lost race. */
  fixedPort?: number,
): Promise<PgServer> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = fixedPort ?? (await freePort());
    const proc = startProcess(
      'postgres',
      join(pg.bin, 'postgres'),
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=200',
        '-c',
        'log_min_messages=warning',
      ],
      logFile,
      { ...(runAs ?? {}), stopSignal: 'SIGINT' }, // SIGINT: fast shutdown, clients are disconnected
    );
    try {
      await waitFor('PostgreSQL to accept connections', () => isReady(pg, port), {
        timeoutMs: 30_000,
        intervalMs: 100,
        proc,
      });
      return { port, proc, stop: () => proc.stop(20_000) };
    } catch (err) {
      lastError = err;
      await proc.stop();
      if (fixedPort !== undefined || !/could not bind|already in use/i.test((err as Error).message)) break;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

async function isReady(pg: PgInstall, port: number): Promise<boolean> {
  try {
    await run(join(pg.bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres']);
    return true;
  } catch {
    return false;
  }
}

/** Runs SQL statements one by one (each its own transaction, as CREATE/DROP DATABASE need). */
export async function psql(conn: PgConnection, statements: string[], database = 'postgres'): Promise<string> {
  const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(conn.port)];
  args.push('-U', 'postgres', '-d', database);
  for (const s of statements) args.push('-c', s);
  try {
    const { stdout } = await run(conn.psql, args, { env: { ...process.env, PGCONNECT_TIMEOUT: '10' } });
    return stdout;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`psql failed: ${stderr.trim() || (err as Error).message}`, { cause: err });
  }
}

/** The run's database, and the migrated copy every reset clones (CREATE DATABASE … TEMPLATE, ~0.5 s). */
export const DATABASE = 'netbox';
export const TEMPLATE_DATABASE = 'netbox_template';

/**
 * Puts the NetBox database back to the state right after bootstrap: drops it (disconnecting NetBox's sessions;
 * Django reconnects thanks to CONN_HEALTH_CHECKS) and clones it again from the template database.
 */
export async function resetDatabase(conn: PgConnection): Promise<void> {
  await psql(conn, [
    `DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`,
    `CREATE DATABASE ${DATABASE} TEMPLATE ${TEMPLATE_DATABASE}`,
  ]);
}
