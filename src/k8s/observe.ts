import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type { PoolKind } from '../model/intent.ts';
import type { KubeClient } from './client.ts';
import type { PoolKindAdapter } from '../kinds/adapter.ts';
import type { ObservedObjects } from '../model/k8s-object.ts';
import type { K8sObject, ResourceType } from '../model/k8s-object.ts';
import { apiVersionOf } from '../model/k8s-object.ts';
import { observedKey as key } from '../kinds/resources.ts';

/**
 * Observe: what the cluster holds right now, for every pool kind we manage and every allocation source. A kind
 * whose CRDs are not served is reported ("calico: not installed") and skipped; it never stops the other kinds.
 */

export const NAMESPACE_TYPE: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  namespaced: false,
};

export interface KindAvailability {
  kind: PoolKind;
  installed: boolean;
  /** Why not, e.g. `projectcalico.org/v3 ippools is not served (CRD or API server missing)`. */
  note?: string;
}

export interface Observation {
  /** Every listed object, keyed `apiVersion/kind`. */
  objects: ObservedObjects;
  /** Objects of the types the installed adapters own, ours and not ours: the plan's `observed`. */
  owned: K8sObject[];
  namespaces: { name: string; annotations: Record<string, string> }[];
  kinds: KindAvailability[];
  /** Read-only sources that are not served (e.g. Calico's v3 IPAMBlock in classic mode); informational. */
  unservedSources: string[];
  /**
   * Installed kinds whose allocation sources were all read: every type they read is served, or another version of
   * it is. Writeback marks and deletes records only for these.
   */
  fullyRead: PoolKind[];
}

/** Which resources are served, asking discovery once per group/version. */
export async function servedResources(kube: KubeClient, types: readonly ResourceType[]): Promise<Set<string>> {
  const served = new Set<string>();
  const groupVersions = [...new Set(types.map(apiVersionOf))].sort();
  for (const gv of groupVersions) {
    const [group, version] = gv.includes('/') ? (gv.split('/') as [string, string]) : ['', gv];
    const plurals = await kube.discover(group, version);
    for (const plural of plurals ?? []) served.add(`${gv}/${plural}`);
  }
  return served;
}

export const isServed = (served: Set<string>, rt: ResourceType): boolean =>
  served.has(`${apiVersionOf(rt)}/${rt.plural}`);

export async function observe(
  kube: KubeClient,
  adapters: readonly PoolKindAdapter[],
  opts: { logger?: Logger } = {},
): Promise<Observation> {
  const log = opts.logger ?? silentLogger;
  const allTypes = adapters.flatMap(a => [...a.owns, ...a.reads]);
  const served = await servedResources(kube, allTypes);

  const kinds: KindAvailability[] = adapters.map(a => {
    const primary = a.owns[0];
    if (!primary || isServed(served, primary)) return { kind: a.kind, installed: true };
    const note = `${apiVersionOf(primary)} ${primary.plural} is not served (CRD or API server missing)`;
    log.warn({ kind: a.kind, note }, `${a.kind} is not installed in this cluster; its pools are skipped`);
    return { kind: a.kind, installed: false, note };
  });
  const installed = new Set(kinds.filter(k => k.installed).map(k => k.kind));

  const toList = new Map<string, ResourceType>();
  const unserved = new Set<string>();
  for (const a of adapters) {
    if (!installed.has(a.kind)) continue;
    for (const rt of [...a.owns, ...a.reads]) {
      if (isServed(served, rt)) toList.set(key(rt), rt);
      else unserved.add(`${apiVersionOf(rt)} ${rt.plural}`);
    }
  }

  const objects = new Map<string, K8sObject[]>();
  for (const [k, rt] of [...toList.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    objects.set(k, await kube.list(rt));
  }
  const ownedKeys = new Set(adapters.filter(a => installed.has(a.kind)).flatMap(a => a.owns.map(key)));
  const owned = [...ownedKeys].sort().flatMap(k => objects.get(k) ?? []);
  const namespaces = (await kube.list(NAMESPACE_TYPE)).map(ns => ({
    name: ns.metadata.name,
    annotations: { ...(ns.metadata.annotations ?? {}) },
  }));
  const fullyRead = adapters
    .filter(a => installed.has(a.kind))
    .filter(a =>
      a.reads.every(rt => isServed(served, rt) || a.reads.some(o => o.kind === rt.kind && isServed(served, o))),
    )
    .map(a => a.kind);
  return { objects, owned, namespaces, kinds, unservedSources: [...unserved].sort(), fullyRead };
}
