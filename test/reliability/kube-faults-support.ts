import { request } from 'node:https';
import { kubeRequest } from '../../dev/control-plane/index.ts';
import type { KubeCredentials, KubeResponse } from '../../dev/control-plane/index.ts';
import { runCycle } from '../../src/cycle.ts';
import type { CycleOptions, CycleResult } from '../../src/cycle.ts';
import { liveCluster } from '../../src/k8s/cluster.ts';
import { KubeClient } from '../../src/k8s/client.ts';
import type { ApplyOptions, CreateOptions, DeleteOptions } from '../../src/k8s/client.ts';
import { KubeApiError } from '../../src/k8s/errors.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import { RESOURCES } from '../../src/kinds/resources.ts';
import type { K8sObject, ResourceType } from '../../src/model/k8s-object.ts';
import { CLUSTER_LABEL, isManaged } from '../../src/model/ownership.ts';
import { prefixBody } from '../support/e2e.ts';
import type { Lab } from '../support/e2e.ts';

/**
 * Helpers of kube-faults.test.ts: raw admin access to a (shared or private) real apiserver, the lab's Calico pools
 * as the apiserver stores them, a KubeClient that counts the conflicts it was answered, and a seeded PRNG.
 */

export const POOL: ResourceType = RESOURCES.calicoIpPool;
export const POOLS_PATH = '/apis/projectcalico.org/v3/ippools';

/** The suites' one seeded generator (mulberry32). */
export { prng } from './crash-support.ts';

/** An admin request that must answer one of `ok` (default 2xx). */
export async function adminCall(
  creds: KubeCredentials,
  method: string,
  path: string,
  body?: unknown,
  opts: { contentType?: string; ok?: number[] } = {},
): Promise<KubeResponse> {
  const res = await kubeRequest(creds, method, path, body, opts.contentType);
  const fine = opts.ok ? opts.ok.includes(res.status) : res.status >= 200 && res.status < 300;
  if (!fine) throw new Error(`admin ${method} ${path} answered ${res.status}: ${res.body.slice(0, 400)}`);
  return res;
}

/** Server-side apply as another field manager (`manager`), forcing: how a second controller or GitOps tool writes. */
export function foreignApply(creds: KubeCredentials, manager: string, obj: K8sObject): Promise<KubeResponse> {
  const path = `${POOLS_PATH}/${obj.metadata.name}?fieldManager=${manager}&force=true`;
  return adminCall(creds, 'PATCH', path, obj, { contentType: 'application/apply-patch+yaml' });
}

export interface StoredPool {
  uid: string;
  resourceVersion: string;
  cidr: string;
  natOutgoing: boolean | undefined;
  managed: boolean;
  labels: Record<string, string>;
}

/** Every Calico IPPool whose name ends with the lab's cluster name (ours and intruders' alike), by name. */
export async function storedPools(creds: KubeCredentials, cluster: string): Promise<Map<string, StoredPool>> {
  const res = await adminCall(creds, 'GET', POOLS_PATH);
  const out = new Map<string, StoredPool>();
  for (const o of res.json<{ items: K8sObject[] }>().items) {
    if (!o.metadata.name.endsWith(`-${cluster}`)) continue;
    const spec = (o.spec ?? {}) as { cidr?: string; natOutgoing?: boolean };
    out.set(o.metadata.name, {
      uid: o.metadata.uid ?? '',
      resourceVersion: o.metadata.resourceVersion ?? '',
      cidr: spec.cidr ?? '',
      natOutgoing: spec.natOutgoing,
      managed: isManaged(o) && o.metadata.labels?.[CLUSTER_LABEL] === cluster,
      labels: { ...(o.metadata.labels ?? {}) },
    });
  }
  return out;
}

/** `count` Calico pools in NetBox: `<stem>-<i>-<cluster>` on `<base>.<i>.0/24`. Returns name → NetBox prefix id. */
export async function seedPools(lab: Lab, stem: string, base: string, count: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const name = `${stem}-${i}-${lab.cluster}`;
    const body = prefixBody(lab, `${base}.${i}.0/24`, 'k8s-pod', { k8s_pool_name: name });
    out.set(name, (await lab.client.create<{ id: number }>('ipam/prefixes', body)).id);
  }
  return out;
}

/** Sets `natOutgoing` of every seeded pool in NetBox (an update wave for the next cycle). */
export async function setNatOutgoing(lab: Lab, ids: Map<string, number>, value: boolean): Promise<void> {
  for (const id of ids.values()) {
    await lab.client.update('ipam/prefixes', id, { custom_fields: { k8s_options: { natOutgoing: value } } });
  }
}

/** A KubeClient that counts the 409s it was answered and the writes it sent per object. */
export class CountingKubeClient extends KubeClient {
  conflicts = 0;
  readonly writesPerObject = new Map<string, number>();

  #count(name: string): void {
    this.writesPerObject.set(name, (this.writesPerObject.get(name) ?? 0) + 1);
  }

  async #track<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      if (err instanceof KubeApiError && err.isConflict) this.conflicts += 1;
      throw err;
    }
  }

  override apply(rt: ResourceType, obj: K8sObject, opts?: ApplyOptions): Promise<K8sObject> {
    this.#count(obj.metadata.name);
    return this.#track(super.apply(rt, obj, opts));
  }

  override create(rt: ResourceType, obj: K8sObject, opts?: CreateOptions): Promise<K8sObject> {
    this.#count(obj.metadata.name);
    return this.#track(super.create(rt, obj, opts));
  }

  override mergePatch(...args: Parameters<KubeClient['mergePatch']>): Promise<K8sObject> {
    this.#count(args[1]);
    return this.#track(super.mergePatch(...args));
  }

  override delete(
    rt: ResourceType,
    name: string,
    namespace: string | undefined,
    opts?: DeleteOptions,
  ): Promise<'deleted' | 'absent'> {
    this.#count(name);
    return this.#track(super.delete(rt, name, namespace, opts));
  }
}

/** One cycle of the real pipeline against whatever apiserver `kube` talks to. */
export function cycle(lab: Lab, kube: KubeClient, opts: Partial<CycleOptions> = {}): Promise<CycleResult> {
  return runCycle(
    { config: lab.config, netbox: lab.client, adapters: ADAPTERS, ...liveCluster(kube) },
    { apply: true, ...opts },
  );
}

/** Results that are not `applied`, as `outcome action name: message` lines. */
export function notApplied(run: CycleResult | { apply?: CycleResult['apply'] }): string[] {
  return (run.apply?.results ?? [])
    .filter(r => r.outcome !== 'applied')
    .map(r => `${r.outcome} ${r.change.action} ${r.change.name}: ${r.message ?? ''}`);
}

/** GET as a bearer token, with the response headers (API Priority and Fairness names its flow schema there). */
export function getWithHeaders(
  server: string,
  ca: string,
  token: string,
  path: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, server),
      { method: 'GET', ca, headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' }, timeout: 15_000 },
      res => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Sum of a Prometheus counter's samples whose labels include every `match` pair. */
export function metricSum(text: string, metric: string, match: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const labels = line.slice(metric.length + 1, line.lastIndexOf('}'));
    if (!Object.entries(match).every(([k, v]) => labels.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf('}') + 1).trim());
  }
  return sum;
}
