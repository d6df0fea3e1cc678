import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis } from '../redis.ts';
import { writeConfiguration } from './config.ts';
import { NETBOX_VERSION, netboxCacheDir, netboxCommand } from './install.ts';
import { withFileLock } from './lock.ts';
import {
  DATABASE,
  TEMPLATE_DATABASE,
  findPostgres,
  giveTo,
  initdb,
  postgresRunAs,
  psql,
  startPostgres,
} from './postgres.ts';

/**
 * The template: a PostgreSQL data directory (stopped cleanly) holding NetBox's database migrated once, with a
 * superuser and API tokens, plus a copy of it (`netbox_template`) that resets clone. Built once per NetBox
 * version (and per TEMPLATE_FORMAT, bumped whenever what goes into it changes) under a lock, in the cache folder;
 * every start copies the data directory (a few seconds) instead of migrating (~8 minutes).
 */

const here = dirname(fileURLToPath(import.meta.url));

/** Bump when bootstrap.py, the configuration or the database layout of the template changes. */
export const TEMPLATE_FORMAT = 1;

export interface TemplateRecord {
  netbox: string;
  python: string;
  postgres: string;
  builtAt: string;
  migrateSeconds: number;
  totalSeconds: number;
  secretKey: string;
  pepper: string;
  admin: { username: string; password: string };
  tokens: { v1: string; v2: string; readOnly: string; readOnlyV2: string };
}

export interface Template {
  dir: string;
  /** The stopped data directory to copy. */
  pgdata: string;
  record: TemplateRecord;
}

export function templateDir(): string {
  return join(netboxCacheDir(), `template-${TEMPLATE_FORMAT}`);
}

function readTemplate(dir: string): Template | undefined {
  const file = join(dir, 'netbox.json');
  if (!existsSync(file) || !existsSync(join(dir, 'pgdata', 'PG_VERSION'))) return undefined;
  return { dir, pgdata: join(dir, 'pgdata'), record: JSON.parse(readFileSync(file, 'utf8')) as TemplateRecord };
}

/** Characters safe in a Python string literal and a shell word alike. */
function secret(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+!@#%^*';
  return [...randomBytes(length)].map(b => alphabet[b % alphabet.length]).join('');
}

/** The cached template, built first if there is none (the cold start: migrate, ~8 minutes on 2 cores). */
export async function ensureTemplate(venv: string, log: (line: string) => void): Promise<Template> {
  const dir = templateDir();
  const ready = readTemplate(dir);
  if (ready) return ready;
  mkdirSync(dirname(dir), { recursive: true });
  return withFileLock(
    join(dirname(dir), `template-${TEMPLATE_FORMAT}.lock`),
    'NetBox template',
    async () => readTemplate(dir) ?? (await buildTemplate(venv, dir, log)),
    { log },
  );
}

async function buildTemplate(venv: string, dir: string, log: (line: string) => void): Promise<Template> {
  const started = Date.now();
  const pg = findPostgres();
  const runAs = postgresRunAs();
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const work = mkdtempSync(join(base, 'nbsync-netbox-build-'));
  chmodSync(work, 0o711); // the postgres user must reach its data directory inside
  const pgdata = join(work, 'pgdata');
  const logFile = join(work, 'build.log');
  const stops: (() => Promise<void>)[] = [];
  try {
    log(`NetBox ${NETBOX_VERSION}: building the template database (migrate runs once per version; ~8 min) ...`);
    mkdirSync(pgdata, { mode: 0o700 });
    giveTo(pgdata, runAs);
    await initdb(pg, pgdata, runAs);
    const [server, redis] = await Promise.all([
      startPostgres(pg, pgdata, runAs, join(work, 'postgres.log')),
      startRedis({ private: true }),
    ]);
    stops.push(
      () => redis.stop(),
      () => server.stop(),
    );
    const conn = { psql: join(pg.bin, 'psql'), port: server.port };
    await psql(conn, [`CREATE DATABASE ${DATABASE}`]);
    const redisUrl = new URL(redis.url);
    const secretKey = secret(60);
    const pepper = secret(60);
    const env = writeConfiguration(join(work, 'root'), {
      pgPort: server.port,
      redisHost: redisUrl.hostname,
      redisPort: Number(redisUrl.port),
      secretKey,
      pepper,
    });
    let applied = 0;
    let lastReport = Date.now();
    const migrate = await netboxCommand(venv, ['migrate', '--no-input'], env, logFile, {
      cwd: work,
      onLine: line => {
        if (!line.includes('Applying ')) return;
        applied++;
        if (Date.now() - lastReport > 30_000) {
          lastReport = Date.now();
          log(
            `NetBox ${NETBOX_VERSION}: migrate: ${applied} migrations applied (${Math.round((Date.now() - started) / 1000)} s)`,
          );
        }
      },
    });
    log(`NetBox ${NETBOX_VERSION}: migrate applied ${applied} migrations in ${Math.round(migrate.ms / 1000)} s`);
    const boot = await netboxCommand(
      venv,
      ['shell', '--no-startup', '--command', readFileSync(join(here, 'bootstrap.py'), 'utf8')],
      { ...env, NBSYNC_ADMIN_USER: 'admin', NBSYNC_ADMIN_PASSWORD: `nbsync-${randomBytes(12).toString('hex')}` },
      logFile,
      { cwd: work },
    );
    const line = boot.stdout.split('\n').find(l => l.startsWith('NBSYNC-BOOTSTRAP '));
    if (line === undefined) throw new Error(`bootstrap.py printed no credentials; log ${logFile}`);
    const creds = JSON.parse(line.slice('NBSYNC-BOOTSTRAP '.length)) as Pick<TemplateRecord, 'admin' | 'tokens'>;
    // The pristine copy resets clone; nobody may connect to it (a template with sessions cannot be copied).
    await psql(conn, [
      `CREATE DATABASE ${TEMPLATE_DATABASE} TEMPLATE ${DATABASE}`,
      `ALTER DATABASE ${TEMPLATE_DATABASE} WITH ALLOW_CONNECTIONS false`,
      'CHECKPOINT',
    ]);
    while (stops.length > 0) await stops.pop()?.();
    const python = execFileSync(
      join(venv, 'bin', 'python'),
      ['-c', 'import platform; print(platform.python_version())'],
      {
        encoding: 'utf8',
      },
    ).trim();
    const record: TemplateRecord = {
      netbox: NETBOX_VERSION,
      python,
      postgres: pg.version,
      builtAt: new Date().toISOString(),
      migrateSeconds: Math.round(migrate.ms / 1000),
      totalSeconds: Math.round((Date.now() - started) / 1000),
      secretKey,
      pepper,
      ...creds,
    };
    const staging = `${dir}.tmp-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { mode: 0o700 });
    execFileSync('cp', ['-a', pgdata, join(staging, 'pgdata')]);
    writeFileSync(join(staging, 'netbox.json'), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
    log(`NetBox ${NETBOX_VERSION}: template ready in ${record.totalSeconds} s (${dir})`);
    const built = readTemplate(dir);
    if (!built) throw new Error(`the template in ${dir} is incomplete right after building it`);
    return built;
  } catch (err) {
    throw new Error(`building the NetBox template failed: ${(err as Error).message}`, { cause: err });
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}
