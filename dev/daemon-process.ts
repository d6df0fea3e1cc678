import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * `node src/cli.ts run` as a child process with its JSON log lines collected, for the daemon tests and the demo.
 * Lines that are not JSON are kept as `{ msg }`.
 */

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

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

export interface StartDaemonOptions {
  /** Called with every line as it arrives (the demo prints and files them). */
  onLine?: (line: LogLine, raw: string) => void;
  /** Called with stderr text as it arrives. */
  onStderr?: (text: string) => void;
  /** How long to wait for the start line (default 30 s). */
  startTimeoutMs?: number;
  /**
   * A process group of its own, so a Ctrl-C in the terminal reaches only the caller, which then stops the daemon
   * with one SIGTERM (a second signal would make the daemon abandon its running job).
   */
  ownProcessGroup?: boolean;
}

function parseLine(part: string): LogLine {
  try {
    const parsed: unknown = JSON.parse(part);
    return typeof parsed === 'object' && parsed !== null ? (parsed as LogLine) : { msg: part };
  } catch {
    return { msg: part };
  }
}

/**
 * Starts the daemon and resolves once it logged that it runs. `port` is the configured port; with port 0 the URL
 * comes from the daemon's "HTTP server listening" line.
 */
export async function startDaemon(
  args: string[],
  env: Record<string, string>,
  port: number,
  opts: StartDaemonOptions = {},
): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [CLI, 'run', ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.ownProcessGroup === true,
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
      const line = parseLine(part);
      lines.push(line);
      opts.onLine?.(line, part);
    }
    for (const w of waiters) w();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    opts.onStderr?.(chunk);
  });
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
  let url = `http://127.0.0.1:${port}`;
  const proc: DaemonProcess = {
    get url() {
      return url;
    },
    lines,
    child,
    waitForLine,
    exited,
    async stop() {
      if (exitCode === undefined) child.kill('SIGTERM');
      return exited;
    },
  };
  const startTimeout = opts.startTimeoutMs ?? 30_000;
  const listening = await waitForLine(l => l.msg === 'HTTP server listening', startTimeout, 'the HTTP server line');
  if (typeof listening['url'] === 'string') url = listening['url'];
  await waitForLine(l => l.msg?.startsWith('netbox-ippool-sync running') === true, startTimeout, 'the start line');
  return proc;
}
