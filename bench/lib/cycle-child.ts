/**
 * One sync or writeback cycle of the product in a child process (runInChild), wired the way the CLI wires it
 * (src/commands/wiring.ts: config through parseConfig, the NetBox client from the config), so the child's peak
 * RSS is the daemon's for that cycle and nothing else. The bench process keeps NetBox, the emulator, the proxy.
 *   parent: runCycleInChild({ job: 'writeback', config, token, kubeconfig })
 */
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config/config.ts';
import { runCycle, runWriteback } from '../../src/cycle.ts';
import { netboxClient } from '../../src/commands/wiring.ts';
import { KubeClient } from '../../src/k8s/client.ts';
import { LiveCluster } from '../../src/k8s/cluster.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import { createLogger } from '../../src/log.ts';
import { runInChild, serveChild } from './measure.ts';
import type { ChildRun } from './measure.ts';

export interface CycleChildInput {
  job: 'sync' | 'writeback';
  /** The raw config (what config.yaml would hold); `netbox.tokenEnv` names NBSYNC_BENCH_TOKEN. */
  config: Record<string, unknown>;
  token: string;
  kubeconfig: string;
  /** The writeback's clock (ISO), for grace periods. */
  now?: string;
}

export interface CycleChildOutput {
  /** The cycle alone, inside the child (no process start, no module loading). */
  cycleMs: number;
  kubeRequests: number;
  kubeByVerb: Record<string, number>;
  /** Planned changes by action (writeback: its summary; sync: the plan's actions). */
  planned: Record<string, number>;
  /** Changes carried out, and those that were not (rejected, unknown, not attempted), as `action: message`. */
  applied: number;
  failed: string[];
  sourceHealthy: boolean;
}

export const TOKEN_ENV = 'NBSYNC_BENCH_TOKEN';

async function cycle(input: CycleChildInput): Promise<CycleChildOutput> {
  const parsed = parseConfig(input.config, { ...process.env, [TOKEN_ENV]: input.token }, ADAPTERS);
  if (!parsed.ok) throw new Error(`bench config invalid: ${JSON.stringify(parsed.issues)}`);
  const config = parsed.config;
  process.env[TOKEN_ENV] = input.token;
  const logger = createLogger({ level: process.env['BENCH_CHILD_LOG'] ?? 'warn', destination: process.stderr });
  const netbox = netboxClient(config, logger);
  const kube = new KubeClient({ kubeconfig: input.kubeconfig, logger });
  const live = new LiveCluster(kube);
  const deps = { config, netbox, adapters: ADAPTERS, cluster: live, writer: live, logger };
  try {
    const t0 = performance.now();
    if (input.job === 'sync') {
      const r = await runCycle(deps, { apply: true });
      const cycleMs = performance.now() - t0;
      const planned: Record<string, number> = {};
      for (const c of r.plan.changes) planned[c.action] = (planned[c.action] ?? 0) + 1;
      const results = r.apply?.results ?? [];
      return {
        cycleMs,
        ...kubeFigures(kube),
        planned,
        applied: results.filter(x => x.outcome === 'applied').length,
        failed: results.filter(x => x.outcome !== 'applied').map(x => `${x.change.action}: ${x.outcome}`),
        sourceHealthy: r.source.healthy,
      };
    }
    const r = await runWriteback(deps, { dryRun: false, ...(input.now ? { now: new Date(input.now) } : {}) });
    const cycleMs = performance.now() - t0;
    const results = r.report?.results ?? [];
    const failed = results
      .filter(x => x.outcome !== 'applied')
      .map(x => `${x.change.action}: ${x.outcome} ${x.message ?? ''}`);
    if (r.report?.aborted !== undefined) failed.unshift(`aborted: ${r.report.aborted}`);
    return {
      cycleMs,
      ...kubeFigures(kube),
      planned: { ...(r.plan?.summary ?? {}) },
      applied: results.filter(x => x.outcome === 'applied').length,
      failed,
      sourceHealthy: r.source.healthy,
    };
  } finally {
    kube.close();
  }
}

function kubeFigures(kube: KubeClient): { kubeRequests: number; kubeByVerb: Record<string, number> } {
  const kubeByVerb = kube.requestCounts();
  return { kubeRequests: Object.values(kubeByVerb).reduce((a, b) => a + b, 0), kubeByVerb };
}

const self = fileURLToPath(import.meta.url);

/** Runs one cycle in a child process; resolves with its figures, peak RSS and wall time (process start included). */
export function runCycleInChild(input: CycleChildInput): Promise<ChildRun<CycleChildOutput>> {
  return runInChild<CycleChildOutput>(self, input);
}

if (process.argv[1] === self) serveChild(cycle);
