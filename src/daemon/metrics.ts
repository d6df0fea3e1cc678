import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobType } from '../config/daemon.ts';
import type { JobOutcome } from './jobs.ts';
import {
  CYCLES_TOTAL,
  DRIFT_ENTRIES,
  DRIFT_SOURCE_HEALTHY,
  LAST_SUCCESSFUL_CYCLE,
  POOL_SIZE_ADDRESSES,
  POOL_USED_ADDRESSES,
  POOL_UTILISATION_RATIO,
  UTILISATION_THRESHOLD_RATIO,
  driftGauges,
} from '../drift/metrics.ts';
import type { DriftReport } from '../model/drift.ts';

/**
 * The daemon's Prometheus metrics, on a registry of its own (`/metrics`). Named per stage like external-dns:
 * attempted vs successful cycle timestamps are separate gauges, so an alert can fire on "no success for 30 min"
 * while attempts go on.
 */
export type JobTimer = (labels?: { result?: string }) => number;

export class DaemonMetrics {
  readonly registry = new Registry();
  readonly #duration: Histogram<'job' | 'cluster' | 'result'>;
  readonly #changes: Counter<'cluster' | 'kind' | 'action'>;
  readonly #errors: Counter<'cluster' | 'job' | 'kind'>;
  readonly #lastAttempt: Gauge<'job' | 'cluster'>;
  readonly #lastSuccess: Gauge<'job' | 'cluster'>;
  readonly #triggers: Counter<'source' | 'job'>;
  readonly webhooks: Counter<'result'>;
  readonly #cycles: Counter<'cluster' | 'outcome'>;
  readonly #lastSuccessfulCycle: Gauge<'cluster'>;
  /** The drift report's gauges (names shared with deploy/alerts via src/drift/metrics.ts). */
  readonly #drift: Map<string, Gauge>;

  /**
   * `queueDepthTimeoutMs` bounds the queue-depth read of a scrape: with Redis unreachable or refusing the password,
   * ioredis queues the command until it reconnects, and /metrics would never answer when it matters most.
   */
  constructor(queueDepth: () => Promise<Record<string, number>>, queueDepthTimeoutMs = 2000) {
    collectDefaultMetrics({ register: this.registry, prefix: 'nbsync_' });
    const registers = [this.registry];
    this.#duration = new Histogram({
      name: 'nbsync_job_duration_seconds',
      help: 'Duration of one job (sync, writeback, drift) for one cluster',
      labelNames: ['job', 'cluster', 'result'],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.#changes = new Counter({
      name: 'nbsync_changes_applied_total',
      help: 'Changes applied to the cluster, by object kind and action',
      labelNames: ['cluster', 'kind', 'action'],
      registers,
    });
    this.#errors = new Counter({
      name: 'nbsync_object_errors_total',
      help: 'Per-object failures (a change that could not be applied), by object kind; a failed job counts as kind "job"',
      labelNames: ['cluster', 'job', 'kind'],
      registers,
    });
    const jobGauge = (name: string, help: string) =>
      new Gauge({ name, help, labelNames: ['job', 'cluster'] as const, registers });
    this.#lastAttempt = jobGauge(
      'nbsync_last_attempt_timestamp_seconds',
      'When a job last started, per job and cluster',
    );
    this.#lastSuccess = jobGauge(
      'nbsync_last_success_timestamp_seconds',
      'When a job last finished successfully, per job and cluster',
    );
    this.#triggers = new Counter({
      name: 'nbsync_triggers_total',
      help: 'Jobs queued by a trigger: schedule, webhook or watch',
      labelNames: ['source', 'job'],
      registers,
    });
    this.webhooks = new Counter({
      name: 'nbsync_webhooks_total',
      help: 'NetBox webhooks received, by result (accepted, ignored, rejected, too-large, disabled)',
      labelNames: ['result'],
      registers,
    });
    this.#cycles = new Counter({
      name: CYCLES_TOTAL,
      help: 'Sync cycles by outcome (success, failure), per cluster',
      labelNames: ['cluster', 'outcome'],
      registers,
    });
    this.#lastSuccessfulCycle = new Gauge({
      name: LAST_SUCCESSFUL_CYCLE,
      help: 'When a sync cycle last succeeded, per cluster (unix seconds)',
      labelNames: ['cluster'],
      registers,
    });
    const gauge = (name: string, help: string, labelNames: string[]): [string, Gauge] => [
      name,
      new Gauge({ name, help, labelNames, registers }),
    ];
    const poolLabels = ['cluster', 'kind', 'namespace', 'pool'];
    this.#drift = new Map([
      gauge(DRIFT_ENTRIES, 'Drift report entries by category, per cluster', ['cluster', 'category']),
      gauge(DRIFT_SOURCE_HEALTHY, 'Whether the last drift report could read NetBox (1) or not (0)', ['cluster']),
      gauge(UTILISATION_THRESHOLD_RATIO, 'Utilisation at which pools are flagged', ['cluster']),
      gauge(POOL_USED_ADDRESSES, 'Addresses of a pool in use (live allocations)', poolLabels),
      gauge(POOL_SIZE_ADDRESSES, 'Assignable addresses of a pool', poolLabels),
      gauge(POOL_UTILISATION_RATIO, 'Used / assignable addresses of a pool', poolLabels),
    ]);
    new Gauge({
      name: 'nbsync_queue_jobs',
      help: 'Jobs waiting or running, by state',
      labelNames: ['state'],
      registers,
      async collect() {
        const depth = await boundedDepth(queueDepth, queueDepthTimeoutMs);
        this.reset();
        // Unknown (Redis not answering): no series, rather than a stale or invented count; /readyz says why.
        for (const [state, n] of Object.entries(depth ?? {})) this.set({ state }, n);
      },
    });
  }

  /** The latest drift report of a cluster as gauges; a pool gone from the report leaves no stale series. */
  async driftReport(report: DriftReport): Promise<void> {
    for (const gauge of this.#drift.values()) {
      for (const series of (await gauge.get()).values) {
        if (series.labels['cluster'] === report.cluster) gauge.remove(series.labels as Record<string, string>);
      }
    }
    for (const sample of driftGauges(report)) this.#drift.get(sample.name)?.set(sample.labels, sample.value);
  }

  started(job: JobType, cluster: string): JobTimer {
    this.#lastAttempt.set({ job, cluster }, Date.now() / 1000);
    return this.#duration.startTimer({ job, cluster });
  }

  finished(job: JobType, cluster: string, outcome: JobOutcome | undefined, stop: JobTimer): void {
    const ok = outcome?.ok === true;
    stop({ result: ok ? 'success' : 'failure' });
    if (ok) this.#lastSuccess.set({ job, cluster }, Date.now() / 1000);
    if (job === 'sync') {
      this.#cycles.inc({ cluster, outcome: ok ? 'success' : 'failure' });
      if (ok) this.#lastSuccessfulCycle.set({ cluster }, Date.now() / 1000);
    } else this.#errors.inc({ cluster, job, kind: 'job' });
    for (const c of outcome?.changes ?? []) this.#changes.inc({ cluster, kind: c.kind, action: c.action }, c.count);
    for (const e of outcome?.errors ?? []) this.#errors.inc({ cluster, job, kind: e.kind }, e.count);
  }

  triggered(source: 'schedule' | 'webhook' | 'watch', job: JobType): void {
    this.#triggers.inc({ source, job });
  }
}

/** The queue depth, or undefined when it fails or takes longer than `ms`. */
async function boundedDepth(
  read: () => Promise<Record<string, number>>,
  ms: number,
): Promise<Record<string, number> | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>(resolve => (timer = setTimeout(() => resolve(undefined), ms)));
  const depth = read().catch(() => undefined);
  try {
    return await Promise.race([depth, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
