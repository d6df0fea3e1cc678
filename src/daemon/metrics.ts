import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobType } from '../config/daemon.ts';
import type { JobOutcome } from './jobs.ts';

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

  constructor(queueDepth: () => Promise<Record<string, number>>) {
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
    this.#lastAttempt = new Gauge({
      name: 'nbsync_last_attempt_timestamp_seconds',
      help: 'When a job last started, per job and cluster',
      labelNames: ['job', 'cluster'],
      registers,
    });
    this.#lastSuccess = new Gauge({
      name: 'nbsync_last_success_timestamp_seconds',
      help: 'When a job last finished successfully, per job and cluster',
      labelNames: ['job', 'cluster'],
      registers,
    });
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
    new Gauge({
      name: 'nbsync_queue_jobs',
      help: 'Jobs waiting or running, by state',
      labelNames: ['state'],
      registers,
      async collect() {
        const depth = await queueDepth();
        this.reset();
        for (const [state, n] of Object.entries(depth)) this.set({ state }, n);
      },
    });
  }

  started(job: JobType, cluster: string): JobTimer {
    this.#lastAttempt.set({ job, cluster }, Date.now() / 1000);
    return this.#duration.startTimer({ job, cluster });
  }

  finished(job: JobType, cluster: string, outcome: JobOutcome | undefined, stop: JobTimer): void {
    const ok = outcome?.ok === true;
    stop({ result: ok ? 'success' : 'failure' });
    if (ok) this.#lastSuccess.set({ job, cluster }, Date.now() / 1000);
    else this.#errors.inc({ cluster, job, kind: 'job' });
    for (const c of outcome?.changes ?? []) this.#changes.inc({ cluster, kind: c.kind, action: c.action }, c.count);
    for (const e of outcome?.errors ?? []) this.#errors.inc({ cluster, job, kind: e.kind }, e.count);
  }

  triggered(source: 'schedule' | 'webhook' | 'watch', job: JobType): void {
    this.#triggers.inc({ source, job });
  }
}
