import type { JobType } from '../config/daemon.ts';
import type { Logger } from '../log.ts';
import type { ClusterContext, JobFunctions, JobOutcome } from './jobs.ts';
import type { DaemonMetrics } from './metrics.ts';

/**
 * Runs one job of one cluster: never two of the same (job, cluster) at once in this process, one `job started`
 * and one `job finished` line (the cycle's summary) per run, metrics around it. The schedulers decide when.
 */

export class AlreadyRunningError extends Error {
  constructor(job: JobType, cluster: string) {
    super(`${job} of cluster ${cluster} is already running in this process`);
    this.name = 'AlreadyRunningError';
  }
}

export class UnknownClusterError extends Error {
  constructor(cluster: string) {
    super(
      `job for cluster ${cluster}, which this replica does not serve: give every replica on one Redis the same -c files`,
    );
    this.name = 'UnknownClusterError';
  }
}

export interface LastRun {
  at: string;
  ok: boolean;
  reason?: string;
}

export class JobRunner {
  readonly #clusters: ReadonlyMap<string, ClusterContext>;
  readonly #jobs: JobFunctions;
  readonly #metrics: DaemonMetrics;
  readonly #log: Logger;
  readonly #running = new Map<string, Promise<unknown>>();
  readonly #followUps = new Set<string>();
  readonly #last = new Map<string, LastRun>();

  constructor(opts: {
    clusters: ReadonlyMap<string, ClusterContext>;
    jobs: JobFunctions;
    metrics: DaemonMetrics;
    logger: Logger;
  }) {
    this.#clusters = opts.clusters;
    this.#jobs = opts.jobs;
    this.#metrics = opts.metrics;
    this.#log = opts.logger;
  }

  get clusters(): readonly string[] {
    return [...this.#clusters.keys()];
  }

  isRunning(cluster: string, job: JobType): boolean {
    return this.#running.has(key(cluster, job));
  }

  /** Jobs running now plus follow-ups waiting for them (the embedded mode's queue depth). */
  depth(): { active: number; waiting: number } {
    return { active: this.#running.size, waiting: this.#followUps.size };
  }

  /** The last finished run of each (job, cluster), for /readyz. */
  lastRuns(): Record<string, LastRun> {
    return Object.fromEntries(this.#last);
  }

  /** Runs the job; throws AlreadyRunningError when it is running here, and the job's own error when it fails. */
  async run(cluster: string, job: JobType, attempt = 1): Promise<JobOutcome> {
    const ctx = this.#clusters.get(cluster);
    if (!ctx) throw new UnknownClusterError(cluster);
    const k = key(cluster, job);
    if (this.#running.has(k)) throw new AlreadyRunningError(job, cluster);
    const execution = this.#execute(ctx, job, attempt);
    this.#running.set(k, execution);
    try {
      return await execution;
    } finally {
      this.#running.delete(k);
    }
  }

  /**
   * Runs the job now or, while it is running, once more after it (many requests meanwhile are one follow-up):
   * in-process what BullMQ's `keepLastIfActive` deduplication does across replicas. Failures are logged by run.
   */
  request(cluster: string, job: JobType): void {
    const k = key(cluster, job);
    if (this.#running.has(k)) {
      this.#followUps.add(k);
      return;
    }
    void this.run(cluster, job)
      .catch((err: unknown) => this.#log.debug({ err: String(err), job, cluster }, 'job failed; logged above'))
      .finally(() => {
        if (this.#followUps.delete(k)) this.request(cluster, job);
      });
  }

  /** Drops follow-ups (shutdown: the running jobs finish, nothing new starts). */
  dropFollowUps(): void {
    this.#followUps.clear();
  }

  /** Resolves when no job runs in this process. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running.values()]);
  }

  async #execute(ctx: ClusterContext, job: JobType, attempt: number): Promise<JobOutcome> {
    const log = ctx.logger.child({ job });
    const started = Date.now();
    const timer = this.#metrics.started(job, ctx.name);
    log.info({ event: 'job-started', startedAt: started, attempt }, `${job} started`);
    let outcome: JobOutcome | undefined;
    try {
      outcome = await this.#jobs[job](ctx);
      return outcome;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      log.error({ event: 'job-failed', err: reason, attempt }, `${job} failed: ${reason}`);
      throw err;
    } finally {
      const ended = Date.now();
      this.#metrics.finished(job, ctx.name, outcome, timer);
      this.#last.set(key(ctx.name, job), {
        at: new Date(ended).toISOString(),
        ok: outcome?.ok === true,
        ...(outcome?.reason ? { reason: outcome.reason } : {}),
      });
      const line = { event: 'job-finished', startedAt: started, endedAt: ended, ms: ended - started };
      if (outcome) {
        const level = outcome.ok ? 'info' : 'warn';
        log[level]({ ...line, ok: outcome.ok, ...outcome.summary, reason: outcome.reason }, `${job} finished`);
      } else log.warn({ ...line, ok: false }, `${job} finished with an error`);
    }
  }
}

function key(cluster: string, job: JobType): string {
  return `${job}/${cluster}`;
}
