import { createHash } from 'node:crypto';

/** Labels and annotations that mark an object as ours (DESIGN.md §5). Changing them orphans existing pools. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'netbox-ippool-sync';
/** Field manager of objects written before managers were per cluster (and of tests that name no cluster). */
export const FIELD_MANAGER = 'netbox-ippool-sync';

const PREFIX = 'netbox-ippool-sync';
/** Label: the cluster name from config, so several clusters can share one NetBox without confusion. */
export const CLUSTER_LABEL = `${PREFIX}/cluster`;
/** Label: the pool kind key (e.g. calico or metallb). */
export const POOL_KIND_LABEL = `${PREFIX}/pool-kind`;
/** Annotation: NetBox objects behind this pool, e.g. `prefix/12,ip-range/40`. */
export const NETBOX_OBJECTS_ANNOTATION = `${PREFIX}/netbox-objects`;
/** Annotation: API URLs of those NetBox objects, comma-separated. */
export const NETBOX_URLS_ANNOTATION = `${PREFIX}/netbox-urls`;
/** Annotation: sha256 of the canonical desired spec; a changed hash means NetBox changed. */
export const SPEC_HASH_ANNOTATION = `${PREFIX}/spec-hash`;

export interface Ownable {
  metadata: { labels?: Record<string, string> };
}

export function isManaged(o: Ownable): boolean {
  return o.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE;
}

/**
 * The field manager of one cluster name's writes. Two daemons with different cluster names can share an apiserver
 * and write to one Namespace; with one shared manager, each server-side apply or update would stand for both, and
 * a field one daemon stops sending would count as the other's to drop. Fields the old shared manager still owns
 * count as another manager's (foreign-fields.ts) and are handed over on the next update that needs them.
 */
export function fieldManagerFor(cluster: string): string {
  return `${FIELD_MANAGER}/${cluster}`;
}

/** The per-namespace record of annotation values one daemon set, before records were per cluster name. */
export const LEGACY_NAMESPACE_VALUES_ANNOTATION = `${PREFIX}/namespace-values`;

/**
 * The annotation on a Namespace that records which annotation values this cluster name's daemon set (so it only
 * ever removes its own): one per cluster name, or two daemons on one apiserver would take each other's values for
 * their own and remove them. `netbox-ippool-sync/namespace-values.<cluster>`; a cluster name too long for the
 * 63-character name part is shortened and given a hash of the full name.
 */
export function namespaceValuesAnnotation(cluster: string): string {
  const name = `namespace-values.${cluster}`;
  if (name.length <= 63) return `${PREFIX}/${name}`;
  const hash = createHash('sha256').update(cluster).digest('hex').slice(0, 16);
  return `${PREFIX}/${name.slice(0, 63 - hash.length - 1)}-${hash}`;
}
