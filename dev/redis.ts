import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startProcess, waitFor } from './process.ts';
import type { ManagedProcess } from './process.ts';

/**
 * Debian's redis-server on a random loopback port for the tests, configured as BullMQ requires
 * (`maxmemory-policy noeviction`), without persistence. With REDIS_URL set, that server is used instead.
 */
export interface TestRedis {
  url: string;
  version: string;
  /** The server's pid when we started it (changes with every restart). */
  readonly pid?: number | undefined;
  stop(): Promise<void>;
  /**
   * Takes the server down and brings it back on the same port (only a server this harness started).
   * `keepData: false` (default) is a crash of a server without persistence: it comes back empty, as a Redis pod
   * without a volume does. `keepData: true` saves first (`SHUTDOWN SAVE`) and reloads the dump on start.
   */
  restart?(opts?: { keepData?: boolean }): Promise<void>;
  /** The first half of a restart: the server is down when this resolves; `start()` brings it back. */
  kill?(opts?: { keepData?: boolean }): Promise<void>;
  start?(): Promise<void>;
}

/** Sends one inline command and returns the raw reply (enough for PING / INFO / CONFIG GET). */
export async function redisCommand(url: string, command: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host: hostname, port: Number(port) });
    let data = '';
    sock.setTimeout(2000, () => sock.destroy(new Error(`redis ${command} timed out`)));
    sock.on('connect', () => sock.write(`${command}\r\n`));
    sock.on('data', chunk => {
      data += chunk.toString();
      // A bulk reply is complete once its announced length has arrived; simple replies end at the first CRLF.
      const bulk = /^\$(\d+)\r\n/.exec(data);
      if (!bulk || data.length >= bulk[0].length + Number(bulk[1]) + 2) sock.end();
    });
    sock.on('end', () => resolve(data));
    sock.on('error', reject);
  });
}

/** `private: true` always starts a server of its own (NetBox's queues and cache must not share the tests'). */
export async function startRedis(opts: { private?: boolean } = {}): Promise<TestRedis> {
  const preset = opts.private === true ? undefined : process.env['REDIS_URL'];
  if (preset) {
    const pong = await redisCommand(preset, 'PING');
    if (!pong.startsWith('+PONG')) throw new Error(`REDIS_URL ${preset} did not answer PING: ${pong.trim()}`);
    return { url: preset, version: 'external', stop: async () => {} };
  }
  let bin: string;
  try {
    bin = execFileSync('bash', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  } catch (err) {
    throw new Error("redis-server is not installed: run .ci/run (it installs Debian's redis-server) or set REDIS_URL", {
      cause: err,
    });
  }
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1] ?? '?';
  const dir = mkdtempSync(join(tmpdir(), 'nbsync-redis-'));
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--maxmemory-policy',
    'noeviction',
    '--daemonize',
    'no',
  ];
  const url = `redis://127.0.0.1:${port}`;
  let starts = 0;
  const launch = async (): Promise<ManagedProcess> => {
    const proc = startProcess('redis-server', bin, args, join(dir, `redis-${starts++}.log`));
    await waitFor('redis-server PING', async () => (await redisCommand(url, 'PING')).startsWith('+PONG'), {
      timeoutMs: 10_000,
      proc,
    });
    return proc;
  };
  let proc: ManagedProcess | undefined;
  try {
    proc = await launch();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const server: TestRedis = {
    url,
    version,
    get pid() {
      return proc?.child.pid;
    },
    stop: async () => {
      await proc?.stop();
      proc = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
    kill: async (o = {}) => {
      const running = proc;
      if (running === undefined) throw new Error('redis-server is not running');
      proc = undefined;
      if (o.keepData === true) {
        // SHUTDOWN SAVE writes dump.rdb into --dir even with `--save ''`; the next start loads it.
        const exited = new Promise<void>(resolve => running.child.once('exit', () => resolve()));
        await redisCommand(url, 'SHUTDOWN SAVE').catch(() => '');
        await exited;
      } else {
        rmSync(join(dir, 'dump.rdb'), { force: true });
        running.child.kill('SIGKILL');
        await running.stop();
      }
    },
    start: async () => {
      if (proc !== undefined) throw new Error('redis-server is already running');
      // The port was ours a moment ago; another process taking it in between fails the start with its log.
      proc = await launch();
    },
    restart: async o => {
      await server.kill?.(o);
      await server.start?.();
    },
  };
  return server;
}
