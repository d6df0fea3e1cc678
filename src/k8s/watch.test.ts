import { describe, expect, it } from 'vitest';
import type { KubeClient, WatchEvent, WatchOptions } from './client.ts';
import type { ClusterChange } from './cluster.ts';
import { KubeApiError, KubeUnavailableError } from './errors.ts';
import { startWatches } from './watch.ts';
import { silentLogger } from '../log.ts';
import type { ResourceType } from '../model/k8s-object.ts';

/**
 * The watch loop across an apiserver restart (seen on a real one in test/reliability/kube-faults.test.ts): the
 * stream breaks, the apiserver is away for a while, and changes made meanwhile must still be reported. So the loop
 * resumes from the last version it saw, and re-lists only when the apiserver says that version is gone (410), which
 * it reports as a change of the whole type (changes in between were never streamed).
 */
const POOL: ResourceType = {
  group: 'projectcalico.org',
  version: 'v3',
  kind: 'IPPool',
  plural: 'ippools',
  namespaced: false,
};
const ctx = { verb: 'watch', resource: 'ippools.projectcalico.org' };

function event(name: string, resourceVersion: string): WatchEvent {
  return {
    type: 'ADDED',
    object: { apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name, resourceVersion } },
  };
}

/** Scripted watch answers, one per call; the last one waits until the watch is stopped. */
function scripted(steps: ((opts: WatchOptions, emit: (e: WatchEvent) => void) => Promise<string>)[]): {
  kube: Pick<KubeClient, 'listVersion' | 'watch'>;
  versions: string[];
  lists: number[];
  done: Promise<void>;
} {
  const versions: string[] = [];
  const lists: number[] = [];
  let finish: () => void = () => undefined;
  const done = new Promise<void>(resolve => (finish = resolve));
  let call = 0;
  const kube = {
    listVersion: (): Promise<string> => {
      lists.push(call);
      return Promise.resolve(lists.length === 1 ? '10' : '99');
    },
    watch: (_rt: ResourceType, opts: WatchOptions, onEvent: (e: WatchEvent) => void): Promise<string> => {
      versions.push(opts.resourceVersion);
      const step = steps[call++];
      if (step) return step(opts, onEvent);
      finish();
      return new Promise<string>(resolve => opts.signal.addEventListener('abort', () => resolve('')));
    },
  };
  return { kube, versions, lists, done };
}

describe('startWatches across an apiserver restart', () => {
  it('resumes from the last version seen after the stream breaks, and re-lists only on 410', async () => {
    const { kube, versions, lists, done } = scripted([
      // Streams one change, then the connection drops (kube-apiserver killed).
      (_o, emit) => {
        emit(event('a', '11'));
        return Promise.reject(new KubeUnavailableError('socket hang up', ctx));
      },
      // While it is down the reconnect is refused.
      () => Promise.reject(new KubeUnavailableError('connect ECONNREFUSED', ctx)),
      // Back: the change made while it was away arrives, then the version expires.
      (_o, emit) => {
        emit(event('b', '12'));
        return Promise.reject(new KubeApiError(410, 'Expired', 'too old resource version', ctx));
      },
    ]);
    const seen: ClusterChange[] = [];
    const set = startWatches(kube, [POOL], ch => seen.push(ch), { logger: silentLogger, backoffMs: 1 });
    await done;
    await set.stop();
    expect(versions).toEqual(['10', '11', '11', '99']);
    expect(lists).toEqual([0, 3]);
    // After the 410 nobody knows what changed in between: one change for the whole type says so.
    expect(seen).toEqual([
      { type: 'projectcalico.org/v3/IPPool', name: 'a' },
      { type: 'projectcalico.org/v3/IPPool', name: 'b' },
      { type: 'projectcalico.org/v3/IPPool', name: '*', relisted: true },
    ]);
  });
});
