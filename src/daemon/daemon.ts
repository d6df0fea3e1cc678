import type { Config } from '../config/config.ts';
import { JOB_TYPES } from '../config/daemon.ts';
import type { JobType } from '../config/daemon.ts';
import type { CycleDeps } from '../cycle.ts';
import type { RecordsApi } from '../netbox/records.ts';
import type { Logger } from '../log.ts';
import { EmbeddedScheduler } from './embedded.ts';
import type { ClusterContext, JobFunctions } from './jobs.ts';
import { DaemonMetrics } from './metrics.ts';
import { QueueScheduler } from './queue.ts';
import { JobRunner } from './runner.ts';
import type { ScheduledJob, Scheduler } from './scheduler.ts';
import { MemoryStateStore, RedisStateStore } from './state.ts';
import type { StateStore } from './state.ts';
import type { TriggerSource } from './triggers.ts';
import { Triggers } from './triggers.ts';
import { durationMs } from '../config/daemon.ts';

/**
 * The daemon: clusters, their jobs, a scheduler (BullMQ with Redis, node-cron without), triggers and metrics.
 * The HTTP server and the watches talk to it through `trigger`, `ready` and `metrics`.
 */

export interface ClusterSpec {
  config: Config;
  deps: CycleDeps & { netbox: RecordsApi };
  logger: Logger;
  /** Undefined when the cluster's apiserver answers, else why not (for /readyz). */
  probe?: () => Promise<string | undefined>;
}

export interface DaemonOptions {
  clusters: readonly ClusterSpec[];
  jobs: JobFunctions;
  /** With a URL: BullMQ on Redis; without: embedded. */
  redis: { url?: string; prefix: string };
  debounceMs: number;
  logger: Logger;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, string>;
}

export class Daemon {
  readonly metrics: DaemonMetrics;
  readonly runner: JobRunner;
  readonly scheduler: Scheduler;
  readonly clusters: ReadonlyMap<string, ClusterContext>;
  readonly #triggers: Triggers;
  readonly #probes: Map<string, () => Promise<string | undefined>>;
  readonly #log: Logger;
  #stopping = false;

  constructor(opts: DaemonOptions) {
    this.#log = opts.logger;
    let queue: QueueScheduler | undefined;
    this.metrics = new DaemonMetrics(() => this.scheduler.depth());
    const clusters = new Map<string, ClusterContext>();
    const runner = new JobRunner({ clusters, jobs: opts.jobs, metrics: this.metrics, logger: opts.logger });
    const scheduled = scheduledJobs(opts.clusters);
    if (opts.redis.url) {
      queue = new QueueScheduler({
        url: opts.redis.url,
        prefix: opts.redis.prefix,
        runner,
        jobs: scheduled,
        logger: opts.logger,
      });
    }
    const state: StateStore = queue ? new RedisStateStore(queue.redis, opts.redis.prefix) : new MemoryStateStore();
    for (const spec of opts.clusters) {
      const name = spec.config.cluster;
      if (clusters.has(name)) {
        throw new Error(`cluster ${name} is configured twice: give each -c file its own cluster name`);
      }
      clusters.set(name, { name, config: spec.config, deps: spec.deps, state, logger: spec.logger });
    }
    this.clusters = clusters;
    this.runner = runner;
    this.scheduler = queue ?? new EmbeddedScheduler({ runner, jobs: scheduled, logger: opts.logger });
    this.#probes = new Map(opts.clusters.flatMap(s => (s.probe ? [[s.config.cluster, s.probe] as const] : [])));
    this.#triggers = new Triggers({
      debounceMs: opts.debounceMs,
      enqueue: (cluster, job) => this.scheduler.enqueue(cluster, job),
      metrics: this.metrics,
      logger: opts.logger,
    });
  }

  start(): Promise<void> {
    return this.scheduler.start();
  }

  /** A debounced run of `job` for `cluster` (webhooks, watches); ignored while shutting down. */
  trigger(cluster: string, job: JobType, source: TriggerSource): void {
    if (this.#stopping || !this.clusters.has(cluster)) return;
    this.#triggers.fire(cluster, job, source);
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  async ready(): Promise<Readiness> {
    const checks: Record<string, string> = {};
    if (this.#stopping) checks['daemon'] = 'shutting down';
    const queue = await this.scheduler.problem();
    checks[this.scheduler.mode === 'redis' ? 'redis' : 'scheduler'] = queue ?? 'ok';
    const last = this.runner.lastRuns();
    for (const name of this.clusters.keys()) {
      const probe = this.#probes.get(name);
      checks[`kubernetes/${name}`] = probe ? ((await probe()) ?? 'ok') : 'ok';
      const sync = last[`sync/${name}`];
      checks[`sync/${name}`] = !sync
        ? 'ok (no sync finished in this process yet)'
        : sync.ok
          ? 'ok'
          : (sync.reason ?? 'failed');
    }
    return { ready: Object.values(checks).every(v => v.startsWith('ok')), checks };
  }

  /**
   * Graceful stop: no new triggers, no new jobs; the running ones get `timeoutMs` to finish. False when they did
   * not (they are abandoned: BullMQ hands them to another replica as stalled; embedded, the next start reruns).
   */
  async stop(timeoutMs: number): Promise<boolean> {
    this.#stopping = true;
    this.#triggers.stop();
    const finished = await this.scheduler.stop(timeoutMs);
    this.#log.info({ finished }, finished ? 'jobs finished; scheduler stopped' : 'jobs abandoned after the timeout');
    return finished;
  }
}

function scheduledJobs(specs: readonly ClusterSpec[]): ScheduledJob[] {
  return specs.flatMap(spec =>
    JOB_TYPES.flatMap(job => {
      const schedule = spec.config.schedule[job];
      return schedule === false ? [] : [{ cluster: spec.config.cluster, job, schedule }];
    }),
  );
}

export function debounceMsOf(config: Config): number {
  return durationMs(config.schedule.debounce) ?? 1000;
}
