import type { JobType } from '../config/daemon.ts';
import type { ClusterChange } from '../k8s/cluster.ts';
import type { Logger } from '../log.ts';
import { Debouncer } from './debounce.ts';
import type { DaemonMetrics } from './metrics.ts';

/**
 * Triggers beside the schedule — NetBox webhooks and Kubernetes watches — are hints: they queue a debounced run
 * of a job, and the scheduled runs stay authoritative (NetBox may drop a webhook, a watch may miss an event).
 */

export type TriggerSource = 'webhook' | 'watch';

export class Triggers {
  readonly #debouncer: Debouncer;
  readonly #sources = new Map<string, TriggerSource>();

  constructor(opts: {
    debounceMs: number;
    enqueue: (cluster: string, job: JobType) => Promise<void>;
    metrics: DaemonMetrics;
    logger: Logger;
  }) {
    this.#debouncer = new Debouncer({ delayMs: opts.debounceMs }, key => {
      const [job, cluster] = splitKey(key);
      const source = this.#sources.get(key) ?? 'watch';
      this.#sources.delete(key);
      opts.metrics.triggered(source, job);
      opts.logger.info({ job, cluster, source }, `${source} queued ${job}`);
      opts
        .enqueue(cluster, job)
        .catch((err: unknown) =>
          opts.logger.error(
            { err: err instanceof Error ? err.message : String(err), job, cluster },
            `queueing ${job} after a ${source} failed; the schedule runs it later`,
          ),
        );
    });
  }

  /** Queues a debounced run of `job` for `cluster`. */
  fire(cluster: string, job: JobType, source: TriggerSource): void {
    const key = `${job}/${cluster}`;
    this.#sources.set(key, source);
    this.#debouncer.trigger(key);
  }

  stop(): void {
    this.#debouncer.cancelAll();
  }
}

function splitKey(key: string): [JobType, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i) as JobType, key.slice(i + 1)];
}

/**
 * Which job a cluster change calls for: our own pool objects (a hand edit, a deleted pool) → sync, which puts
 * them back; allocation sources → writeback, which records the allocation in NetBox. None for a pool our own
 * sync just wrote (`fieldManager` made the newest change): re-running sync for its own writes only delayed the
 * next real change by an idle cycle.
 */
export function jobForChange(
  change: ClusterChange,
  poolTypes: ReadonlySet<string>,
  fieldManager?: string,
): JobType | undefined {
  if (!poolTypes.has(change.type)) return 'writeback';
  if (fieldManager !== undefined && change.lastWriter === fieldManager) return undefined;
  return 'sync';
}
