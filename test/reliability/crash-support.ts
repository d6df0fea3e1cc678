import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { stringify } from 'yaml';
import { KubeAdmin } from '../../dev/cni/index.ts';
import { freePort } from '../../dev/process.ts';
import { startDaemon } from '../../dev/daemon-process.ts';
import type { DaemonProcess, LogLine } from '../../dev/daemon-process.ts';
import type { Lab } from '../support/e2e.ts';

/**
 * What the crash and Redis-restart suites share: a seeded PRNG, the daemon's config for a lab, a daemon killed
 * with SIGKILL at a chosen moment of a job, and the text normalisation that lets a crash lab be compared with its
 * reference lab (same estate, other cluster name and address block).
 */

/** mulberry32: small, fast, and the same sequence on every machine for one seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rng = () => number;
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
/** `k` distinct items of `items`, in random order. */
export function sample<T>(rng: Rng, items: readonly T[], k: number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < k && pool.length > 0) out.push(...pool.splice(Math.floor(rng() * pool.length), 1));
  return out;
}

export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}=${raw}: expected a whole number`);
  return n;
}

/** Per-trial lines only when asked for (RELIABILITY_DEBUG=1 or LOG_LEVEL=debug); the figures table is the output. */
export function debug(line: string): void {
  if (process.env['RELIABILITY_DEBUG'] === '1' || process.env['LOG_LEVEL'] === 'debug') console.log(line);
}

export function admin(): KubeAdmin {
  return new KubeAdmin({
    server: inject('kubeServer'),
    ca: inject('kubeCa'),
    cert: inject('kubeAdminCert'),
    key: inject('kubeAdminKey'),
  });
}

export interface DaemonConfigOptions {
  schedule: Record<string, unknown>;
  writeback?: Record<string, unknown>;
  port: number;
}

/** The daemon's config file for a lab (its roles, kinds and policy), written into `dir`. */
export function writeLabConfig(lab: Lab, dir: string, opts: DaemonConfigOptions): string {
  const file = join(dir, `${lab.cluster}-${opts.port}.yaml`);
  const c = lab.config;
  writeFileSync(
    file,
    stringify({
      cluster: lab.cluster,
      netbox: { url: lab.netbox.url, tokenEnv: 'DAEMON_NETBOX_TOKEN', timeoutMs: 60_000 },
      selection: { roles: c.selection.roles },
      policy: c.policy,
      deleteBudget: c.deleteBudget,
      ...(opts.writeback ? { writeback: opts.writeback } : {}),
      schedule: { debounce: '1h', shutdownTimeout: '30s', ...opts.schedule },
      server: { address: '127.0.0.1', port: opts.port },
    }),
  );
  return file;
}

export interface KillOutcome {
  /** The job had started and not logged its end when the process died. */
  midJob: boolean;
  /** Lines of the job's work logged before the kill (apply: one per change; writeback: the plan line). */
  workLines: number;
  /** Milliseconds from the job's start line to the kill. */
  afterStartMs: number;
}

/** When to kill: `count` work lines after the job's start line (0: the start line itself), then `delayMs` more. */
export interface KillPoint {
  isWork: (l: LogLine) => boolean;
  count: number;
  delayMs: number;
}

/** Starts the daemon on `config`, waits for `job` to reach the kill point, and kills the process with SIGKILL. */
export async function killDuringJob(
  config: string,
  env: Record<string, string>,
  port: number,
  job: string,
  at: KillPoint,
): Promise<KillOutcome> {
  const daemon: DaemonProcess = await startDaemon(['-c', config], env, port, { startTimeoutMs: 60_000 });
  try {
    const started = await daemon.waitForLine(
      l => l.event === 'job-started' && l.job === job,
      60_000,
      `the ${job} job's start`,
    );
    const t0 = Date.now();
    const from = daemon.lines.indexOf(started);
    const ended = (l: LogLine): boolean => l.event === 'job-finished' && l.job === job;
    if (at.count > 0) {
      // The job may end before it logs that many work lines: then the kill lands after it, and counts so.
      await daemon.waitForLine(
        l => {
          const i = daemon.lines.indexOf(l);
          if (i < from) return false;
          return ended(l) || (at.isWork(l) && daemon.lines.slice(from, i + 1).filter(at.isWork).length >= at.count);
        },
        60_000,
        `${at.count} work lines of ${job}`,
      );
    }
    if (at.delayMs > 0) await new Promise(r => setTimeout(r, at.delayMs));
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    const after = daemon.lines.slice(from);
    return {
      midJob: !after.some(ended),
      workLines: after.filter(at.isWork).length,
      afterStartMs: Date.now() - t0,
    };
  } finally {
    if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGKILL');
    await daemon.exited;
  }
}

export { freePort };

/** Replaces every occurrence of each `from` with its `to` in the JSON text of `value`. */
export function normalise<T>(value: T, pairs: readonly (readonly [string, string])[]): T {
  let text = JSON.stringify(value);
  for (const [from, to] of pairs) text = text.split(from).join(to);
  return JSON.parse(text) as T;
}
