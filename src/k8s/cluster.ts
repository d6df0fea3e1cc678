import type { PoolKindAdapter } from '../kinds/adapter.ts';
import { observedKey } from '../kinds/resources.ts';
import type { Logger } from '../log.ts';
import type { K8sObject, ObservedObjects } from '../model/k8s-object.ts';
import type { Plan } from '../model/plan.ts';
import { applyPlan } from './apply.ts';
import type { ApplyReport } from './apply.ts';
import type { KubeClient } from './client.ts';
import { observe } from './observe.ts';
import type { Observation } from './observe.ts';

/**
 * The cluster as the cycle sees it: a reader and a writer, taken as dependencies just as NetBox is. The live
 * apiserver is one reader; YAML files (`plan --observed DIR`) and an empty cluster (`--no-cluster`) are others.
 */

/** Something the adapters read changed: a pool, an allocation source, a namespace. */
export interface ClusterChange {
  /** `apiVersion/kind` of the object that changed. */
  type: string;
  /** `*` when `relisted`. */
  name: string;
  namespace?: string;
  /**
   * The field manager of the object's newest managedFields entry (when one entry is newer than all others), for
   * an object that was added or modified; absent for deletions. Tells our own writes from everybody else's.
   */
  lastWriter?: string;
  /**
   * The watch had to start again from the present (its last version expired, e.g. after an apiserver restart):
   * objects of `type` may have changed unseen since its last event.
   */
  relisted?: boolean;
}

export interface ClusterReader {
  /** What the cluster holds now for these kinds; kinds whose CRDs are not served are reported, not fatal. */
  observe(adapters: readonly PoolKindAdapter[], log: Logger): Promise<Observation>;
  /**
   * Calls `listener` when something the adapters read changes, so a daemon can sync on events instead of waiting
   * for the schedule. Returns a function that stops listening. Readers that cannot see changes never call it.
   */
  onChange(listener: (change: ClusterChange) => void): () => void;
}

export interface ClusterWriter {
  apply(
    plan: Plan,
    adapters: readonly PoolKindAdapter[],
    opts: { fieldManager: string; serverDryRun?: boolean; concurrency?: number; logger: Logger },
  ): Promise<ApplyReport>;
}

/** The live apiserver. Watches arrive with the daemon; until then `onChange` listeners are kept and told by `notify`. */
export class LiveCluster implements ClusterReader, ClusterWriter {
  private readonly listeners = new Set<(change: ClusterChange) => void>();

  readonly kube: KubeClient;

  constructor(kube: KubeClient) {
    this.kube = kube;
  }

  observe(adapters: readonly PoolKindAdapter[], log: Logger): Promise<Observation> {
    return observe(this.kube, adapters, { logger: log });
  }

  onChange(listener: (change: ClusterChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells every listener about a change (called by whatever watches the apiserver). */
  notify(change: ClusterChange): void {
    for (const listener of this.listeners) listener(change);
  }

  apply(
    plan: Plan,
    adapters: readonly PoolKindAdapter[],
    opts: { fieldManager: string; serverDryRun?: boolean; concurrency?: number; logger: Logger },
  ): Promise<ApplyReport> {
    return applyPlan(this.kube, plan, adapters, opts);
  }
}

/**
 * A cluster given as objects (read from YAML files, or none at all): every kind counts as installed, and nothing
 * ever changes.
 */
export class StaticCluster implements ClusterReader {
  private readonly objects: ObservedObjects;

  constructor(objects: ObservedObjects = new Map()) {
    this.objects = objects;
  }

  observe(adapters: readonly PoolKindAdapter[]): Promise<Observation> {
    const ownedKeys = new Set(adapters.flatMap(a => a.owns.map(observedKey)));
    const owned: K8sObject[] = [...this.objects.entries()].filter(([k]) => ownedKeys.has(k)).flatMap(([, v]) => [...v]);
    const namespaces = (this.objects.get('v1/Namespace') ?? []).map(ns => ({
      name: ns.metadata.name,
      annotations: { ...(ns.metadata.annotations ?? {}) },
    }));
    return Promise.resolve({
      objects: this.objects,
      owned,
      namespaces,
      kinds: adapters.map(a => ({ kind: a.kind, installed: true })),
      unservedSources: [],
      fullyRead: adapters.map(a => a.kind),
    });
  }

  onChange(): () => void {
    return () => undefined;
  }
}

/** The live apiserver as both sides of a cycle: `runCycle({ ..., ...liveCluster(kube) })`. */
export function liveCluster(kube: KubeClient): { cluster: LiveCluster; writer: LiveCluster } {
  const live = new LiveCluster(kube);
  return { cluster: live, writer: live };
}
