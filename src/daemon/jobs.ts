import type { Config } from '../config/config.ts';
import type { JobType } from '../config/daemon.ts';
import type { CycleDeps } from '../cycle.ts';
import { runCycle, runWriteback } from '../cycle.ts';
import type { RecordsApi } from '../netbox/records.ts';
import type { Logger } from '../log.ts';
import type { StateStore } from './state.ts';

/**
 * Jobs are plain functions of one cluster: BullMQ (with Redis) and node-cron (embedded) are thin shells that decide
 * when they run. The daemon takes one function per job type, so writeback and drift plug in where they are built.
 */

export type { JobType };

/** One counted outcome of a job, for metrics: `changes{kind,action}` and `errors{kind}`. */
export interface CountedChange {
  kind: string;
  action: string;
  count: number;
}

export interface JobOutcome {
  /** False when the job could not do its work (NetBox or Kubernetes unreachable, every change failed...). */
  ok: boolean;
  /** Fields of the job's one summary log line. */
  summary: Record<string, unknown>;
  changes?: CountedChange[];
  /** Per-object failures by kind. */
  errors?: { kind: string; count: number }[];
  /** Why `ok` is false, with what to do. */
  reason?: string;
}

/** What a job gets: one cluster's config, its pipeline dependencies, its state and its logger. */
export interface ClusterContext {
  readonly name: string;
  readonly config: Config;
  /** The pipeline's dependencies, with a live cluster reader and writer. */
  readonly deps: CycleDeps & { netbox: RecordsApi };
  readonly state: StateStore;
  readonly logger: Logger;
}

export type JobFn = (cluster: ClusterContext) => Promise<JobOutcome>;
export type JobFunctions = Record<JobType, JobFn>;

/** The empty-source guard's memory: how many pools the last trusted cycle wanted. */
export const POOL_COUNT_KEY = 'sync.previousPoolCount';

/** The sync job: one full cycle with apply, remembering the pool count for the next cycle's empty-source guard. */
export const syncJob: JobFn = async cluster => {
  const previous = await cluster.state.get(cluster.name, POOL_COUNT_KEY);
  const result = await runCycle(cluster.deps, {
    apply: true,
    previousPoolCount: typeof previous === 'number' ? previous : undefined,
  });
  if (result.nextPoolCount !== undefined) await cluster.state.set(cluster.name, POOL_COUNT_KEY, result.nextPoolCount);
  const counted = new Map<string, CountedChange>();
  const errors = new Map<string, number>();
  for (const r of result.apply?.results ?? []) {
    const kind = r.change.kind ?? 'unknown';
    if (r.outcome === 'failed') errors.set(kind, (errors.get(kind) ?? 0) + 1);
    if (r.outcome !== 'applied') continue;
    const key = `${kind}|${r.change.action}`;
    const entry = counted.get(key) ?? { kind, action: r.change.action, count: 0 };
    entry.count += 1;
    counted.set(key, entry);
  }
  const failed = [...errors.values()].reduce((a, b) => a + b, 0);
  const issues = result.issues.filter(i => i.severity === 'error').length;
  const reason = !result.source.healthy
    ? `NetBox was not read (${result.source.reason ?? 'unknown'}): nothing was deleted; the next cycle retries`
    : result.apply?.aborted;
  return {
    ok: result.source.healthy && !result.apply?.aborted,
    summary: {
      pools: result.plan.desiredPools,
      changes: result.plan.summary,
      applied: [...counted.values()].reduce((a, c) => a + c.count, 0),
      failed,
      issues,
      guards: result.plan.guards.map(g => g.guard),
    },
    changes: [...counted.values()],
    errors: [...errors.entries()].map(([kind, count]) => ({ kind, count })),
    ...(reason ? { reason } : {}),
  };
};

/** The default for job types this build does not carry: it says so at debug level and succeeds. */
export function unavailableJob(type: JobType): JobFn {
  return cluster => {
    cluster.logger.debug({ job: type }, `${type} is not available in this build`);
    return Promise.resolve({ ok: true, summary: { available: false } });
  };
}

/** The writeback job: live allocations recorded in NetBox (runWriteback), counted by model and action. */
export const writebackJob: JobFn = async cluster => {
  const result = await runWriteback(cluster.deps, { dryRun: false });
  const counted = new Map<string, CountedChange>();
  const errors = new Map<string, number>();
  for (const r of result.report?.results ?? []) {
    const kind = r.change.action === 'create' || r.change.action === 'update' ? r.change.record.model : r.change.model;
    if (r.outcome !== 'applied') {
      errors.set(kind, (errors.get(kind) ?? 0) + 1);
      continue;
    }
    const key = `${kind}|${r.change.action}`;
    const entry = counted.get(key) ?? { kind, action: r.change.action, count: 0 };
    entry.count += 1;
    counted.set(key, entry);
  }
  const reason = !result.source.healthy
    ? `NetBox was not read (${result.source.reason ?? 'unknown'}): nothing was written; the next cycle retries`
    : result.report?.aborted;
  return {
    ok: result.source.healthy && result.report?.aborted === undefined,
    summary: {
      allocations: result.allocations.length,
      ...(result.plan === undefined ? {} : { planned: result.plan.summary }),
      written: [...counted.values()].reduce((a, c) => a + c.count, 0),
    },
    changes: [...counted.values()],
    errors: [...errors].map(([kind, count]) => ({ kind, count })),
    ...(reason === undefined ? {} : { reason }),
  };
};

/** Sync over runCycle, and the given writeback and drift jobs (or the not-available default). */
export function jobFunctions(injected: Partial<Omit<JobFunctions, 'sync'>> & { sync?: JobFn } = {}): JobFunctions {
  return {
    sync: injected.sync ?? syncJob,
    writeback: injected.writeback ?? writebackJob,
    drift: injected.drift ?? unavailableJob('drift'),
  };
}
