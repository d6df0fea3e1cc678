/**
 * Measuring helpers shared by the bench scenarios (issue 16):
 * - a counting proxy in front of NetBox (real or emulator), so every scenario counts NetBox requests the same way
 *   whatever server sits behind it;
 * - a child-process runner that reports the child's peak RSS (VmHWM), so the figure covers only the process doing
 *   the work — never NetBox, the control plane or the bench process itself.
 * Numbers only: nothing here asserts a time.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  url: string;
  counts(): { reads: number; writes: number; byMethod: Record<string, number> };
  reset(): void;
  close(): Promise<void>;
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A loopback HTTP proxy in front of NetBox (real or emulator) that counts requests: GET/HEAD/OPTIONS = reads, the rest writes. */
export function startCountingProxy(targetUrl: string): Promise<CountingProxy> {
  const target = new URL(targetUrl);
  if (target.protocol !== 'http:') throw new Error(`counting proxy: only http targets (loopback), got ${targetUrl}`);
  const basePath = target.pathname.replace(/\/+$/, '');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let byMethod: Record<string, number> = {};

  const server = http.createServer((req, res) => {
    const method = (req.method ?? 'GET').toUpperCase();
    byMethod[method] = (byMethod[method] ?? 0) + 1;
    // The incoming Host header is kept: NetBox builds `next` links from it, so pages come back through the proxy.
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port === '' ? 80 : Number(target.port),
        method,
        path: `${basePath}${req.url ?? '/'}`,
        headers: req.headers,
        agent,
      },
      upstreamRes => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstream.on('error', err => {
      if (res.headersSent) {
        res.destroy(err);
        return;
      }
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ detail: `counting proxy: upstream ${target.host} failed: ${err.message}` }));
    });
    req.on('error', err => upstream.destroy(err));
    req.pipe(upstream);
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        counts() {
          let reads = 0;
          let writes = 0;
          for (const [m, n] of Object.entries(byMethod)) {
            if (READ_METHODS.has(m)) reads += n;
            else writes += n;
          }
          return { reads, writes, byMethod: { ...byMethod } };
        },
        reset() {
          byMethod = {};
        },
        close() {
          agent.destroy();
          server.closeAllConnections();
          return new Promise<void>((res, rej) => server.close(err => (err ? rej(err) : res())));
        },
      });
    });
  });
}

export interface ChildRun<T> {
  result: T;
  peakRssMiB: number;
  wallMs: number;
}

/** The messages of the IPC protocol between runInChild and serveChild. */
type ChildReply = { kind: 'result'; value: unknown } | { kind: 'error'; message: string; stack?: string };
const EXIT = 'exit';

/** VmHWM (peak resident set size) of a live process, in MiB; undefined where /proc is not there. */
export function peakRssOf(pid: number): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
    throw err;
  }
  const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) / 1024 : undefined;
}

/**
 * Runs `node <modulePath> ` as a child process, sends `input` over IPC (process.on('message')), resolves with the
 * one message the child sends back (process.send) and the child's peak RSS (VmHWM from /proc/<pid>/status, read
 * just before it exits — the child waits for a 'exit' message after sending its result).
 */
export function runInChild<T>(modulePath: string, input: unknown): Promise<ChildRun<T>> {
  return new Promise((resolve, reject) => {
    const child = fork(modulePath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    const t0 = performance.now();
    let outcome: { ok: true; run: ChildRun<T> } | { ok: false; error: Error } | undefined;
    child.on('message', (msg: ChildReply) => {
      if (outcome) return;
      const wallMs = performance.now() - t0;
      const peak = child.pid === undefined ? undefined : peakRssOf(child.pid);
      if (msg.kind === 'error') {
        const error = new Error(`${modulePath} failed in the child: ${msg.message}`);
        if (msg.stack) error.stack = `${error.message}\n--- child stack ---\n${msg.stack}`;
        outcome = { ok: false, error };
      } else if (peak === undefined) {
        outcome = { ok: false, error: new Error(`no VmHWM for child ${child.pid ?? '?'} (is /proc mounted?)`) };
      } else {
        outcome = { ok: true, run: { result: msg.value as T, peakRssMiB: peak, wallMs } };
      }
      child.send(EXIT, err => {
        if (err) ipcError ??= err; // the child already left: its exit settles the promise
      });
    });
    let ipcError: Error | undefined;
    child.once('error', err => {
      ipcError ??= err;
    });
    child.once('exit', (code, signal) => {
      if (!outcome) {
        const why = ipcError ? ` (${ipcError.message})` : '';
        reject(
          new Error(
            `${modulePath} exited (code ${code ?? '-'}, signal ${signal ?? '-'}) before sending a result${why}`,
          ),
        );
      } else if (!outcome.ok) {
        reject(outcome.error);
      } else {
        resolve(outcome.run);
      }
    });
    child.send(input as object, err => {
      if (err) ipcError ??= err;
    });
  });
}

/** Child side: `serveChild(async input => result)` wires the IPC protocol above. */
export function serveChild<I, O>(fn: (input: I) => Promise<O>): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('serveChild: not started by runInChild (no IPC channel)');
  let started = false;
  process.on('message', (msg: unknown) => {
    if (started) {
      if (msg === EXIT) process.exit(0);
      return;
    }
    started = true;
    fn(msg as I).then(
      value => send({ kind: 'result', value } satisfies ChildReply),
      (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        send({ kind: 'error', message: e.message, ...(e.stack ? { stack: e.stack } : {}) } satisfies ChildReply);
      },
    );
  });
}
