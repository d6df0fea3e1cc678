import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Child processes for test servers (etcd, kube-apiserver, redis-server, PostgreSQL, NetBox): started with output to a log file,
 * stopped with SIGTERM then SIGKILL, and always killed when this process exits so no test run leaves strays.
 */

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** The last lines of the process's log, for error messages. */
  tail(lines?: number): string;
  stop(graceMs?: number): Promise<void>;
}

export interface StartProcessOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user and group (PostgreSQL refuses to run as root). */
  uid?: number;
  gid?: number;
  /** The signal that asks for a clean stop (default SIGTERM; PostgreSQL's fast shutdown is SIGINT). */
  stopSignal?: NodeJS.Signals;
}

export function startProcess(
  name: string,
  bin: string,
  args: string[],
  logFile: string,
  opts: StartProcessOptions = {},
): ManagedProcess {
  installExitHook();
  const log = createWriteStream(logFile);
  const child = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.env === undefined ? {} : { env: opts.env }),
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    ...(opts.uid === undefined ? {} : { uid: opts.uid }),
    ...(opts.gid === undefined ? {} : { gid: opts.gid }),
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  live.add(child);
  child.once('exit', () => live.delete(child));
  const tail = (lines = 30): string => {
    try {
      return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch (err) {
      return `(log ${logFile} unreadable: ${(err as Error).message})`;
    }
  };
  const stop = async (graceMs = 10_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
    child.kill(opts.stopSignal ?? 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    log.end();
  };
  return { name, child, logFile, tail, stop };
}

/** A free TCP port on 127.0.0.1 (the port may be taken again before use; callers retry the whole start). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns true; fails with `describe()` in the message when the deadline passes. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; proc?: ManagedProcess },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (opts.proc && opts.proc.child.exitCode !== null) {
      throw new Error(
        `${opts.proc.name} exited with code ${opts.proc.child.exitCode} while waiting for ${what}:\n${opts.proc.tail()}`,
      );
    }
    try {
      if (await check()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise(r => setTimeout(r, opts.intervalMs ?? 100));
  }
  const tail = opts.proc ? `\n--- ${opts.proc.name} log ---\n${opts.proc.tail()}` : '';
  throw new Error(
    `timed out after ${opts.timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}${tail}`,
  );
}
