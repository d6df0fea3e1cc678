import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startProcess, waitFor } from './process.ts';

/**
 * Debian's redis-server on a random loopback port for the tests, configured as BullMQ requires
 * (`maxmemory-policy noeviction`), without persistence. With REDIS_URL set, that server is used instead.
 */
export interface TestRedis {
  url: string;
  version: string;
  /** The server's pid when we started it. */
  pid?: number;
  stop(): Promise<void>;
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
  const proc = startProcess(
    'redis-server',
    bin,
    [
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
    ],
    join(dir, 'redis.log'),
  );
  const url = `redis://127.0.0.1:${port}`;
  try {
    await waitFor('redis-server PING', async () => (await redisCommand(url, 'PING')).startsWith('+PONG'), {
      timeoutMs: 10_000,
      proc,
    });
  } catch (err) {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    version,
    ...(proc.child.pid === undefined ? {} : { pid: proc.child.pid }),
    stop: async () => {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
