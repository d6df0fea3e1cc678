import { DelayedError, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { durationMs, JOB_TYPES } from '../config/daemon.ts';
import type { JobType } from '../config/daemon.ts';
import type { Logger } from '../log.ts';
import { ClusterLock } from './lock.ts';
import type { JobRunner } from './runner.ts';
import { AlreadyRunningError, UnknownClusterError } from './runner.ts';
import type { ScheduledJob, Scheduler } from './scheduler.ts';
import { within } from './scheduler.ts';

/**
 * With Redis: one BullMQ queue that every replica shares.
 *   - A job scheduler per (cluster, job) — `upsertJobScheduler`, so N replicas converge on one — emits a `tick`.
 *     Scheduler templates cannot be deduplicated, so the tick only queues the real job.
 *   - The real job (name = job type, data = cluster) is added with `deduplication.keepLastIfActive`: at most one
 *     active and one waiting per (cluster, job) across all replicas, the latest request wins. Webhooks and watches
 *     queue the same way.
 *   - A Redis lock per (cluster, job) is held while the job runs: a job whose lock expired and came back as
 *     stalled while the first run still goes on waits (delayed) instead of running beside it.
 *   - Retries with exponential backoff; finished jobs are kept for a bounded time and number.
 */

const QUEUE = 'jobs';
const TICK = 'tick';
const WORKER_LOCK_MS = 30_000;

interface JobData {
  cluster: string;
  job: JobType;
}

export interface QueueSchedulerOptions {
  url: string;
  prefix: string;
  runner: JobRunner;
  jobs: readonly ScheduledJob[];
  logger: Logger;
}

export class QueueScheduler implements Scheduler {
  readonly mode = 'redis';
  /** Workers need `maxRetriesPerRequest: null` (BullMQ refuses otherwise); commands of the daemon share it. */
  readonly redis: Redis;
  readonly #workerConnection: Redis;
  readonly #queue: Queue<JobData>;
  readonly #opts: QueueSchedulerOptions;
  readonly #lock: ClusterLock;
  readonly #log: Logger;
  #worker: Worker<JobData> | undefined;
  /** The latest connection error (WRONGPASS, ECONNREFUSED, ...), until a connection is ready again. */
  #lastConnectionError: string | undefined;
  #stopping = false;

  constructor(opts: QueueSchedulerOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ mode: 'redis' });
    this.redis = new Redis(opts.url, { maxRetriesPerRequest: null });
    this.#workerConnection = new Redis(opts.url, { maxRetriesPerRequest: null });
    for (const conn of [this.redis, this.#workerConnection]) {
      conn.on('error', (err: Error) => {
        this.#lastConnectionError = err.message;
        this.#log.warn({ err: err.message }, 'Redis connection error');
      });
      conn.on('ready', () => (this.#lastConnectionError = undefined));
    }
    // A hash tag keeps every key of the queue in one slot (Redis Cluster).
    const prefix = `{${opts.prefix}}`;
    this.#queue = new Queue<JobData>(QUEUE, { connection: this.redis, prefix });
    this.#queue.on('error', (err: Error) => this.#log.warn({ err: err.message }, 'queue error'));
    this.#lock = new ClusterLock(this.redis, `${opts.prefix}:running`, WORKER_LOCK_MS);
  }

  async start(): Promise<void> {
    await this.#installSchedulers();
    // A Redis that comes back empty (restarted without persistence, failed over to an empty replica) has lost the
    // job schedulers with everything else: without installing them again no scheduled job would ever run, while
    // /readyz says ok. Upserting is idempotent, so every reconnect installs them again.
    let lost = false;
    this.redis.on('close', () => (lost = true));
    this.redis.on('ready', () => {
      if (!lost || this.#stopping) return;
      lost = false;
      this.#installSchedulers().then(
        () => this.#log.info({ jobs: this.#opts.jobs.length }, 'Redis is back: job schedulers installed again'),
        (err: unknown) =>
          this.#log.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'Redis is back, but installing the job schedulers again failed; the next reconnect retries',
          ),
      );
    });
    this.#worker = new Worker<JobData>(QUEUE, (job, token) => this.#process(job, token), {
      connection: this.#workerConnection,
      prefix: `{${this.#opts.prefix}}`,
      // Every (cluster, job) may run at once; the same one never (deduplication + lock).
      concurrency: Math.max(2, this.#opts.runner.clusters.length * JOB_TYPES.length + 1),
      lockDuration: WORKER_LOCK_MS,
      stalledInterval: 30_000,
      maxStalledCount: 1,
      removeOnComplete: { age: 86_400, count: 500 },
      removeOnFail: { age: 7 * 86_400, count: 1000 },
    });
    this.#worker.on('error', (err: Error) => this.#log.warn({ err: err.message }, 'worker error'));
    this.#worker.on('failed', (job, err) =>
      this.#log.debug({ job: job?.name, id: job?.id, err: err.message }, 'queue job failed'),
    );
    this.#log.info({ jobs: this.#opts.jobs.length, prefix: this.#opts.prefix }, 'BullMQ scheduler started');
  }

  async #installSchedulers(): Promise<void> {
    for (const { cluster, job, schedule } of this.#opts.jobs) {
      const repeat =
        'every' in schedule
          ? { every: durationMs(schedule.every) ?? 300_000 }
          : { pattern: schedule.cron, ...(schedule.timezone ? { tz: schedule.timezone } : {}) };
      await this.#queue.upsertJobScheduler(schedulerId(cluster, job), repeat, {
        name: TICK,
        data: { cluster, job },
        opts: { removeOnComplete: { count: 50 }, removeOnFail: { count: 50 } },
      });
    }
    // A job switched off in config loses its scheduler, on whichever replica starts with the new config first.
    const scheduled = new Set(this.#opts.jobs.map(j => schedulerId(j.cluster, j.job)));
    for (const cluster of this.#opts.runner.clusters) {
      for (const job of JOB_TYPES) {
        const id = schedulerId(cluster, job);
        if (!scheduled.has(id)) await this.#queue.removeJobScheduler(id);
      }
    }
  }

  async enqueue(cluster: string, job: JobType): Promise<void> {
    await this.#queue.add(
      job,
      { cluster, job },
      {
        deduplication: { id: `${job}-${cluster}`, keepLastIfActive: true },
        attempts: 3,
        backoff: { type: 'exponential', delay: 5_000 },
        removeOnComplete: { age: 86_400, count: 200 },
        removeOnFail: { age: 7 * 86_400, count: 1000 },
      },
    );
  }

  async depth(): Promise<Record<string, number>> {
    return this.#queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized', 'failed');
  }

  async problem(): Promise<string | undefined> {
    try {
      await within(2000, this.redis.ping()).then(ok => {
        if (!ok) throw new Error('no answer within 2 s');
      });
      return undefined;
    } catch (err) {
      return redisProblem(err, this.#lastConnectionError);
    }
  }

  async stop(timeoutMs: number): Promise<boolean> {
    this.#stopping = true;
    const worker = this.#worker;
    // close() stops fetching at once and waits for the active jobs, with no timeout of its own.
    const finished = worker ? await within(timeoutMs, worker.close()) : true;
    if (!finished && worker) await worker.close(true);
    await this.#queue.close();
    await Promise.allSettled([this.redis.quit(), this.#workerConnection.quit()]);
    return finished;
  }

  async #process(job: Job<JobData>, token?: string): Promise<unknown> {
    const { cluster, job: type } = job.data;
    if (job.name === TICK) {
      await this.enqueue(cluster, type);
      return { queued: type };
    }
    if (!this.#opts.runner.clusters.includes(cluster))
      throw new UnrecoverableError(new UnknownClusterError(cluster).message);
    const lock = await this.#lock.acquire(`${type}-${cluster}`);
    if (!lock) return this.#later(job, token, 'another replica is running it');
    try {
      const outcome = await this.#opts.runner.run(cluster, type, job.attemptsMade + 1);
      if (!outcome.ok) throw new Error(outcome.reason ?? `${type} of ${cluster} did not succeed`);
      return outcome.summary;
    } catch (err) {
      // `return await`, not `return`: the finally below awaits the lock release first, and a returned promise that
      // rejects (DelayedError, by design) while nobody awaits it yet is an unhandled rejection that ends the process.
      if (err instanceof AlreadyRunningError) return await this.#later(job, token, err.message);
      throw err;
    } finally {
      await lock.release();
    }
  }

  async #later(job: Job<JobData>, token: string | undefined, why: string): Promise<never> {
    this.#log.info({ job: job.name, cluster: job.data.cluster, why }, 'job postponed: already running');
    await job.moveToDelayed(Date.now() + 2_000, token);
    throw new DelayedError();
  }
}

function schedulerId(cluster: string, job: JobType): string {
  return `${job}-${cluster}`;
}

/**
 * /readyz's text for a Redis that does not answer: a ping only times out while ioredis reconnects, so the
 * connection error that keeps it reconnecting (a wrong password, a refused port) is what says why.
 */
export function redisProblem(err: unknown, lastConnectionError: string | undefined): string {
  const message = err instanceof Error ? err.message : String(err);
  const why = lastConnectionError !== undefined && lastConnectionError !== message ? ` (${lastConnectionError})` : '';
  return `Redis unreachable: ${message}${why}`;
}
