import nodeCron from 'node-cron';
import type { ScheduledTask } from 'node-cron';
import { durationMs } from '../config/daemon.ts';
import type { JobType } from '../config/daemon.ts';
import type { Logger } from '../log.ts';
import type { JobRunner } from './runner.ts';
import type { ScheduledJob, Scheduler } from './scheduler.ts';
import { within } from './scheduler.ts';

/**
 * The embedded default (no Redis): the same job functions in this process, on node-cron for cron schedules and a
 * timer for intervals. A tick or trigger that comes while the job runs leaves one follow-up run (JobRunner), so
 * runs of one (job, cluster) never overlap. State stays in memory (MemoryStateStore).
 */
export class EmbeddedScheduler implements Scheduler {
  readonly mode = 'embedded';
  readonly #runner: JobRunner;
  readonly #jobs: readonly ScheduledJob[];
  readonly #log: Logger;
  readonly #tasks: ScheduledTask[] = [];
  readonly #timers: NodeJS.Timeout[] = [];
  #stopping = false;

  constructor(opts: { runner: JobRunner; jobs: readonly ScheduledJob[]; logger: Logger }) {
    this.#runner = opts.runner;
    this.#jobs = opts.jobs;
    this.#log = opts.logger;
  }

  start(): Promise<void> {
    for (const { cluster, job, schedule } of this.#jobs) {
      const tick = (): void => {
        if (!this.#stopping) this.#runner.request(cluster, job);
      };
      if ('every' in schedule) {
        this.#timers.push(setInterval(tick, durationMs(schedule.every) ?? 300_000));
      } else {
        this.#tasks.push(
          nodeCron.schedule(schedule.cron, tick, {
            name: `${job}-${cluster}`,
            noOverlap: true,
            ...(schedule.timezone ? { timezone: schedule.timezone } : {}),
          }),
        );
      }
      tick();
    }
    this.#log.info({ mode: this.mode, jobs: this.#jobs.length }, 'embedded scheduler started (state in memory)');
    return Promise.resolve();
  }

  enqueue(cluster: string, job: JobType): Promise<void> {
    if (!this.#stopping) this.#runner.request(cluster, job);
    return Promise.resolve();
  }

  depth(): Promise<Record<string, number>> {
    return Promise.resolve(this.#runner.depth());
  }

  problem(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }

  async stop(timeoutMs: number): Promise<boolean> {
    this.#stopping = true;
    for (const t of this.#timers) clearInterval(t);
    for (const task of this.#tasks) await task.destroy();
    this.#runner.dropFollowUps();
    return within(timeoutMs, this.#runner.idle());
  }
}
