import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisCommand } from '../../dev/redis.ts';
import { freePort, startProcess, waitFor } from '../../dev/process.ts';

/**
 * Child processes and servers of the security suite (test/reliability/security.test.ts): one-shot CLI commands
 * with their whole output kept, a redis-server that requires a password, and a "proxy" that answers errors whose
 * bodies echo the request's Authorization header (what a misconfigured reverse proxy or debug page does).
 */

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
export const NETLOG_PRELOAD = fileURLToPath(new URL('./security-netlog.ts', import.meta.url));

export interface CliRun {
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
}

/** `node src/cli.ts <args>` to its end (killed after `timeoutMs`), with everything it printed. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', code => {
      clearTimeout(timer);
      resolve({ args, code: code ?? 1, stdout, stderr });
    });
  });
}

export interface PasswordRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** redis-server on a free loopback port with `requirepass`, configured as BullMQ requires. */
export async function startPasswordRedis(password: string): Promise<PasswordRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'nbsync-redis-auth-'));
  const port = await freePort();
  const proc = startProcess(
    'redis-server (requirepass)',
    'redis-server',
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
      '--requirepass',
      password,
    ],
    join(dir, 'redis.log'),
  );
  const plain = `redis://127.0.0.1:${port}`;
  // Without AUTH the server answers NOAUTH: it runs and wants the password.
  await waitFor('redis-server with requirepass', async () => (await redisCommand(plain, 'PING')).includes('NOAUTH'), {
    timeoutMs: 10_000,
    proc,
  });
  return {
    url: `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    port,
    stop: async () => {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface EchoProxy {
  url: string;
  /** Authorization headers it received (and echoed). */
  readonly seen: string[];
  close(): Promise<void>;
}

/**
 * Answers every request with `status` and a body that repeats the request line and its Authorization header:
 * JSON (`{"detail": ...}`) for 401/403, an HTML error page otherwise.
 */
export async function startEchoProxy(status: number): Promise<EchoProxy> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    seen.push(auth);
    req.resume();
    if (status === 401 || status === 403) {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ detail: `Invalid token. You sent "${auth}" for ${req.method} ${req.url}` }));
      return;
    }
    res.writeHead(status, { 'Content-Type': 'text/html' });
    res.end(
      `<html><head><title>${status} proxy error: ${auth}</title></head><body><pre>${req.method} ${req.url}\nAuthorization: ${auth}</pre></body></html>`,
    );
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RawDaemon {
  /** Everything printed so far. */
  output(): { stdout: string; stderr: string };
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }>;
}

/**
 * `node src/cli.ts run` that may never get to "running" (a wrong Redis password keeps BullMQ waiting): started and
 * stopped by pid whatever state it is in, its output kept.
 */
export function spawnDaemon(args: string[], env: Record<string, string>): RawDaemon {
  const child = spawn(process.execPath, [CLI, 'run', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(resolve =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    output: () => ({ stdout, stderr }),
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return { ...(await exited), killed: false };
      child.kill('SIGTERM');
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, graceMs);
      const end = await exited;
      clearTimeout(timer);
      return { ...end, killed };
    },
  };
}
