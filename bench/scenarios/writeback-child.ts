/**
 * The work of the writeback bench, in a child process of its own (runInChild) so that its peak RSS is the
 * daemon's alone — NetBox, the emulator and the control plane live elsewhere.
 *   plan      — a dry-run writeback: the create bodies the first writeback will send (for the floor)
 *   writeback — one real writeback cycle (runWriteback: read NetBox, observe the apiserver, plan, bulk writes)
 *   floor     — NetBox's own limit: the bare bulk POSTs carrying the same bodies, no reads, no diff
 */
import { pathToFileURL } from 'node:url';
import { serveChild } from '../lib/measure.ts';
import { parseConfig } from '../../src/config/config.ts';
import { runWriteback } from '../../src/cycle.ts';
import { KubeClient } from '../../src/k8s/client.ts';
import { liveCluster } from '../../src/k8s/cluster.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import { formatIssue } from '../../src/model/issue.ts';
import { NetBoxClient } from '../../src/netbox/client/index.ts';
import { createBody } from '../../src/netbox/records.ts';
import { writebackSettings } from '../../src/writeback/settings.ts';
import type { RecordModel } from '../../src/writeback/types.ts';

export const ENDPOINTS: Record<RecordModel, string> = {
  'ip-address': 'ipam/ip-addresses/',
  prefix: 'ipam/prefixes/',
  'ip-range': 'ipam/ip-ranges/',
};

export type ChildInput =
  | {
      mode: 'plan' | 'writeback';
      netboxUrl: string;
      token: string;
      kubeconfigPath: string;
      rawConfig: Record<string, unknown>;
      now: string;
      batchSize: number;
      writeConcurrency: number;
    }
  | {
      mode: 'floor';
      netboxUrl: string;
      token: string;
      bodies: { model: RecordModel; bodies: object[] }[];
      batchSize: number;
      concurrency: number;
    };

export interface ChildOutput {
  /** Plan figures: action → model → count. */
  changes: Record<string, Record<string, number>>;
  unchanged: number;
  conflicts: number;
  /** Results that did not apply (first few messages). */
  failed: number;
  failures: string[];
  allocations: number;
  kubeRequests: number;
  /** plan mode: the bodies of every create, per model. */
  bodies?: { model: RecordModel; bodies: object[] }[];
  /** The cycle's own time (without process start-up). */
  workMs: number;
}

async function writeback(input: Extract<ChildInput, { mode: 'plan' | 'writeback' }>): Promise<ChildOutput> {
  const parsed = parseConfig(
    { ...input.rawConfig, netbox: { ...(input.rawConfig['netbox'] as object), url: input.netboxUrl } },
    {},
  );
  if (!parsed.ok) throw new Error(`config: ${parsed.issues.map(formatIssue).join('; ')}`);
  const config = parsed.config;
  const netbox = new NetBoxClient({
    url: input.netboxUrl,
    token: input.token,
    timeoutMs: 600_000,
    batchSize: input.batchSize,
    writeConcurrency: input.writeConcurrency,
    concurrency: Math.max(4, input.writeConcurrency),
  });
  const kube = new KubeClient({ kubeconfig: input.kubeconfigPath });
  const t0 = performance.now();
  try {
    const result = await runWriteback(
      { config, netbox, adapters: ADAPTERS, ...liveCluster(kube) },
      { dryRun: input.mode === 'plan', now: new Date(input.now) },
    );
    const workMs = performance.now() - t0;
    if (!result.source.healthy || result.plan === undefined) {
      throw new Error(`writeback could not plan: ${result.source.reason ?? 'no plan'}`);
    }
    const changes: Record<string, Record<string, number>> = {};
    const settings = writebackSettings(config, ADAPTERS);
    const bodies = new Map<RecordModel, object[]>();
    for (const c of result.plan.changes) {
      const model = c.action === 'create' || c.action === 'update' ? c.record.model : c.model;
      const byModel = (changes[c.action] ??= {});
      byModel[model] = (byModel[model] ?? 0) + 1;
      if (input.mode === 'plan' && c.action === 'create') {
        const list = bodies.get(model) ?? [];
        list.push(createBody(c.record, settings));
        bodies.set(model, list);
      }
    }
    const failedResults = (result.report?.results ?? []).filter(r => r.outcome !== 'applied');
    const out: ChildOutput = {
      changes,
      unchanged: result.plan.summary.unchanged,
      conflicts: result.plan.conflicts.length,
      failed: failedResults.length,
      failures: failedResults.slice(0, 5).map(r => `${r.change.action} ${r.outcome}: ${r.message ?? ''}`),
      allocations: result.allocations.length,
      kubeRequests: Object.values(kube.requestCounts()).reduce((a, b) => a + b, 0),
      workMs,
    };
    if (input.mode === 'plan') out.bodies = [...bodies].map(([model, list]) => ({ model, bodies: list }));
    return out;
  } finally {
    kube.close();
  }
}

/** The bare requests: POST batches of `batchSize`, `concurrency` at a time, nothing else. */
async function floor(input: Extract<ChildInput, { mode: 'floor' }>): Promise<ChildOutput> {
  const base = `${input.netboxUrl.replace(/\/+$/, '')}/api/`;
  const headers = {
    Authorization: `Token ${input.token}`,
    'Content-Type': 'application/json',
    Accept: 'application/json',
  };
  const failures: string[] = [];
  let failed = 0;
  const t0 = performance.now();
  for (const { model, bodies } of input.bodies) {
    const batches: object[][] = [];
    for (let i = 0; i < bodies.length; i += input.batchSize) batches.push(bodies.slice(i, i + input.batchSize));
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < batches.length) {
        const batch = batches[next++] as object[];
        const res = await fetch(base + ENDPOINTS[model], {
          method: 'POST',
          headers,
          body: JSON.stringify(batch),
          signal: AbortSignal.timeout(600_000),
        });
        const text = await res.text();
        if (res.status !== 201) {
          failed += batch.length;
          if (failures.length < 5) failures.push(`POST ${model} HTTP ${res.status}: ${text.slice(0, 300)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(input.concurrency, batches.length) }, lane));
  }
  const created = Object.fromEntries(input.bodies.map(b => [b.model, b.bodies.length]));
  return {
    changes: { create: created },
    unchanged: 0,
    conflicts: 0,
    failed,
    failures,
    allocations: 0,
    kubeRequests: 0,
    workMs: performance.now() - t0,
  };
}

// Serve only when started as the child: run.ts imports every module here to find the scenarios.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  serveChild<ChildInput, ChildOutput>(input => (input.mode === 'floor' ? floor(input) : writeback(input)));
}
