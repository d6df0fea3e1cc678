import type { KubeAdmin } from '../cni/index.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import type { K8sObject } from '../../src/model/k8s-object.ts';
import type { ResourceType } from '../../src/model/k8s-object.ts';
import {
  CLUSTER_LABEL,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  POOL_KIND_LABEL,
  namespaceValuesAnnotation,
} from '../../src/model/ownership.ts';

/** What the demo shows of both systems after the daemon's jobs: our objects in the cluster, our records in NetBox. */

export interface ManagedObject {
  kind: string;
  /** Pool kind key (calico, metallb, ...). */
  poolKind: string;
  name: string;
  /** True for the pool object itself, false for companions (advertisements, reservations). */
  pool: boolean;
}

const NAMESPACE: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  namespaced: false,
};

function objectName(o: K8sObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
}

/** Every object carrying our managed-by label for this cluster, by the types the kinds own. */
export async function managedObjects(kube: KubeAdmin, cluster: string): Promise<ManagedObject[]> {
  const selector = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${CLUSTER_LABEL}=${cluster}`;
  const seen = new Set<string>();
  const out: ManagedObject[] = [];
  for (const adapter of ADAPTERS) {
    for (const [i, rt] of adapter.owns.entries()) {
      for (const o of await kube.list(rt, { labelSelector: selector })) {
        const key = `${rt.group}/${rt.kind}/${objectName(o)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const poolKind = o.metadata.labels?.[POOL_KIND_LABEL] ?? adapter.kind;
        out.push({ kind: rt.kind, poolKind, name: objectName(o), pool: i === 0 });
      }
    }
  }
  return out;
}

/** Namespaces whose annotations we manage (`k8s_namespaces`), with the annotations we wrote. */
export async function annotatedNamespaces(kube: KubeAdmin, cluster: string): Promise<string[]> {
  const namespaces = await kube.list(NAMESPACE);
  return namespaces.flatMap(ns => {
    const ours = ns.metadata.annotations?.[namespaceValuesAnnotation(cluster)];
    return ours === undefined ? [] : [`${ns.metadata.name}: ${ours}`];
  });
}

export interface NetBoxRecord {
  model: 'ip-address' | 'prefix' | 'ip-range';
  space: string;
  vrf: string;
  status: string;
  description: string;
}

interface NbRow {
  address?: string;
  prefix?: string;
  start_address?: string;
  end_address?: string;
  vrf: { name: string } | null;
  status: { value: string };
  description: string;
}

const MODELS = [
  ['ip-address', 'ipam/ip-addresses'],
  ['prefix', 'ipam/prefixes'],
  ['ip-range', 'ipam/ip-ranges'],
] as const;

function space(row: NbRow): string {
  const bare = (a: string | undefined): string => a?.split('/')[0] ?? '?';
  return row.address ?? row.prefix ?? `${bare(row.start_address)}-${bare(row.end_address)}`;
}

/** The records carrying the managed tag, as NetBox's API returns them. */
export async function netboxRecords(url: string, token: string, managedTag: string): Promise<NetBoxRecord[]> {
  const scheme = token.startsWith('nbt_') ? 'Bearer' : 'Token';
  const out: NetBoxRecord[] = [];
  for (const [model, endpoint] of MODELS) {
    const res = await fetch(`${url}/api/${endpoint}/?tag=${encodeURIComponent(managedTag)}&limit=1000`, {
      headers: { Authorization: `${scheme} ${token}`, Accept: 'application/json' },
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) throw new Error(`GET /api/${endpoint}/ answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    const body = (await res.json()) as { results: NbRow[] };
    for (const row of body.results) {
      out.push({
        model,
        space: space(row),
        vrf: row.vrf?.name ?? 'global',
        status: row.status.value,
        description: row.description,
      });
    }
  }
  return out;
}

/** `1 namespace`, `2 namespaces` */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** `calico 2, metallb 2, …` */
export function countBy<T>(items: readonly T[], key: (t: T) => string): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts.entries()].map(([k, n]) => `${k} ${n}`).join(', ');
}
