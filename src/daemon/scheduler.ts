import type { JobSchedule, JobType } from '../config/daemon.ts';

/** When jobs run: BullMQ job schedulers on Redis, or node-cron in this process. Both run jobs through JobRunner. */
export interface Scheduler {
  readonly mode: 'redis' | 'embedded';
  /** Installs the schedules (every configured job runs once at start) and starts taking jobs. */
  start(): Promise<void>;
  /** Queues one run of a job for a cluster (a trigger); deduplicated against a run already waiting. */
  enqueue(cluster: string, job: JobType): Promise<void>;
  /** Jobs by state, for the queue-depth gauge. */
  depth(): Promise<Record<string, number>>;
  /** Undefined when the scheduler's backend is reachable, else why not (for /readyz). */
  problem(): Promise<string | undefined>;
  /** Stops taking jobs and waits up to `timeoutMs` for the running ones; false when they had to be abandoned. */
  stop(timeoutMs: number): Promise<boolean>;
}

/** One (cluster, job) with its schedule: what every scheduler installs. */
export interface ScheduledJob {
  cluster: string;
  job: JobType;
  schedule: Exclude<JobSchedule, false>;
}

/** Resolves true when `work` settles within `ms`, false otherwise (the work goes on; the caller decides). */
export async function within(ms: number, work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>(resolve => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
