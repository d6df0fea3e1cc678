import type { Logger } from '../log.ts';
import type { K8sObject, ResourceType } from '../model/k8s-object.ts';
import { apiVersionOf } from '../model/k8s-object.ts';
import type { KubeClient } from './client.ts';
import type { ClusterChange } from './cluster.ts';
import { KubeApiError } from './errors.ts';
import { isServed, servedResources } from './observe.ts';
import type { PoolKindAdapter } from '../kinds/adapter.ts';

/**
 * Watches on the apiserver's watch API, one loop per resource type: read the collection's resourceVersion, stream
 * changes from there, and start again from the last version seen when the apiserver ends the stream. A version too
 * old to resume from (410 Gone) is re-listed; any other failure (apiserver down, 403, type not served) is retried
 * with exponential backoff, so a watch never gives up while the daemon runs. Watches are hints for the triggers:
 * the scheduled cycles stay authoritative.
 */

export interface WatchSet {
  /** Resolves once every type's first watch request has been sent and answered (or failed once). */
  readonly started: Promise<void>;
  stop(): Promise<void>;
}

export interface WatchOptions {
  logger: Logger;
  /** First retry delay; doubled per failure up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  timeoutSeconds?: number;
}

/** Watches `types` across all namespaces and reports every change (bookmarks aside) to `onChange`. */
export function startWatches(
  kube: Pick<KubeClient, 'listVersion' | 'watch'>,
  types: readonly ResourceType[],
  onChange: (change: ClusterChange) => void,
  opts: WatchOptions,
): WatchSet {
  const controller = new AbortController();
  const loops: Promise<void>[] = [];
  const firsts: Promise<void>[] = [];
  for (const rt of types) {
    let markStarted: () => void = () => undefined;
    firsts.push(new Promise<void>(resolve => (markStarted = resolve)));
    loops.push(watchLoop({ kube, rt, onChange, opts, signal: controller.signal, started: markStarted }));
  }
  return {
    started: Promise.all(firsts).then(() => undefined),
    async stop() {
      controller.abort();
      await Promise.all(loops);
    },
  };
}

interface LoopArgs {
  kube: Pick<KubeClient, 'listVersion' | 'watch'>;
  rt: ResourceType;
  onChange: (change: ClusterChange) => void;
  opts: WatchOptions;
  signal: AbortSignal;
  started: () => void;
}

async function watchLoop(args: LoopArgs): Promise<void> {
  const { kube, rt, onChange, opts, signal } = args;
  const type = `${apiVersionOf(rt)}/${rt.kind}`;
  const log = opts.logger.child({ watch: type });
  const base = opts.backoffMs ?? 1000;
  const max = opts.maxBackoffMs ?? 60_000;
  let failures = 0;
  let version: string | undefined;
  while (!signal.aborted) {
    try {
      version ??= await kube.listVersion(rt);
      const watching = kube.watch(
        rt,
        { resourceVersion: version, signal, timeoutSeconds: opts.timeoutSeconds },
        event => {
          failures = 0;
          if (event.type === 'BOOKMARK') return;
          onChange(changeOf(type, event.object, event.type === 'DELETED'));
        },
      );
      // The request is out; a watch that fails at once still counts as started (the retry is the loop's job).
      args.started();
      version = await watching;
      failures = 0;
    } catch (err) {
      args.started();
      if (signal.aborted) break;
      if (err instanceof KubeApiError && err.status === 410) {
        log.debug('watch expired (410 Gone): re-listing');
        version = undefined;
        continue;
      }
      failures += 1;
      const delay = Math.min(max, base * 2 ** Math.min(failures - 1, 16));
      log.warn({ err: err instanceof Error ? err.message : String(err), retryInMs: delay }, 'watch failed; retrying');
      version = undefined;
      await sleep(delay, signal);
    }
  }
}

export function changeOf(type: string, obj: K8sObject, deleted: boolean): ClusterChange {
  const { name, namespace } = obj.metadata;
  const writer = deleted ? undefined : lastWriter(obj);
  return { type, name, ...(namespace ? { namespace } : {}), ...(writer === undefined ? {} : { lastWriter: writer }) };
}

/**
 * The manager of the newest managedFields entry; undefined when there are none or two managers share the newest
 * time (the apiserver stamps whole seconds: a hand edit in the same second as our apply must still count).
 */
function lastWriter(obj: K8sObject): string | undefined {
  let newest: { time: string; manager: string | undefined } | undefined;
  let tie = false;
  for (const entry of obj.metadata.managedFields ?? []) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { time, manager } = entry as { time?: unknown; manager?: unknown };
    if (typeof time !== 'string') continue;
    const m = typeof manager === 'string' ? manager : undefined;
    if (newest === undefined || time > newest.time) {
      newest = { time, manager: m };
      tie = false;
    } else if (time === newest.time && m !== newest.manager) tie = true;
  }
  return tie ? undefined : newest?.manager;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The types worth watching for these adapters: what they own and read, served by this apiserver, each once. */
export async function watchableTypes(
  kube: KubeClient,
  adapters: readonly PoolKindAdapter[],
): Promise<{ pools: ResourceType[]; sources: ResourceType[] }> {
  const unique = (types: ResourceType[]): ResourceType[] => [
    ...new Map(types.map(rt => [`${apiVersionOf(rt)}/${rt.plural}`, rt])).values(),
  ];
  const pools = unique(adapters.flatMap(a => a.owns));
  const poolKeys = new Set(pools.map(rt => `${apiVersionOf(rt)}/${rt.plural}`));
  const sources = unique(adapters.flatMap(a => a.reads)).filter(
    rt => !poolKeys.has(`${apiVersionOf(rt)}/${rt.plural}`),
  );
  const served = await servedResources(kube, [...pools, ...sources]);
  return { pools: pools.filter(rt => isServed(served, rt)), sources: sources.filter(rt => isServed(served, rt)) };
}
