import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freePort } from '../../dev/process.ts';
import type { Lab } from './e2e.ts';

/** `node src/cli.ts run` as a child process, its JSON log lines collected for assertions. */

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export type LogLine = Record<string, unknown> & { msg?: string; event?: string; job?: string; cluster?: string };

export interface DaemonProcess {
  readonly url: string;
  readonly lines: LogLine[];
  readonly child: ChildProcess;
  /** Resolves with the first line (already seen or coming) that matches, within `timeoutMs`. */
  waitForLine(match: (l: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
  /** Resolves with the exit code. */
  exited: Promise<number>;
  stop(): Promise<number>;
}

export interface DaemonConfigOptions {
  schedule?: Record<string, unknown>;
  port: number;
}

/** Writes a config for the lab's cluster into `dir` and returns its path. */
export function writeDaemonConfig(lab: Lab, dir: string, opts: DaemonConfigOptions): string {
  const file = join(dir, `${lab.cluster}-${opts.port}.yaml`);
  writeFileSync(
    file,
    stringify({
      cluster: lab.cluster,
      netbox: { url: lab.netbox.url, tokenEnv: 'DAEMON_NETBOX_TOKEN', timeoutMs: 10_000 },
      selection: { roles: { 'k8s-pod': 'calico', 'k8s-loadbalancer': 'metallb' } },
      deleteBudget: { maxCount: 50, maxPercent: 100 },
      schedule: { debounce: '300ms', shutdownTimeout: '30s', ...opts.schedule },
      server: { address: '127.0.0.1', port: opts.port },
    }),
  );
  return file;
}

export async function startDaemon(args: string[], env: Record<string, string>, port: number): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [CLI, 'run', ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let buffer = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const part of parts) {
      if (!part.trim()) continue;
      try {
        lines.push(JSON.parse(part) as LogLine);
      } catch {
        lines.push({ msg: part });
      }
    }
    for (const w of waiters) w();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number>(resolve => child.on('exit', code => resolve(code ?? 1)));
  let exitCode: number | undefined;
  void exited.then(c => {
    exitCode = c;
    for (const w of waiters) w();
  });
  const describe = (): string =>
    `\nstderr: ${stderr.slice(-2000)}\nlast lines: ${lines
      .slice(-15)
      .map(l => JSON.stringify(l))
      .join('\n')}`;
  const waitForLine = (match: (l: LogLine) => boolean, timeoutMs = 30_000, what = 'a log line'): Promise<LogLine> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = lines.find(match);
        if (found) return done(() => resolve(found));
        if (exitCode !== undefined)
          done(() => reject(new Error(`daemon exited (${exitCode}) before ${what}${describe()}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`no ${what} within ${timeoutMs} ms${describe()}`))),
        timeoutMs,
      );
      const done = (f: () => void): void => {
        clearTimeout(timer);
        waiters.delete(check);
        f();
      };
      waiters.add(check);
      check();
    });
  const proc: DaemonProcess = {
    url: `http://127.0.0.1:${port}`,
    lines,
    child,
    waitForLine,
    exited,
    async stop() {
      if (exitCode === undefined) child.kill('SIGTERM');
      return exited;
    },
  };
  await waitForLine(l => l.msg?.startsWith('netbox-ippool-sync running') === true, 30_000, 'the start line');
  return proc;
}

export { freePort };
