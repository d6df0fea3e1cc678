/** Labels and annotations that mark an object as ours (DESIGN.md §5). Changing them orphans existing pools. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'netbox-ippool-sync';
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
