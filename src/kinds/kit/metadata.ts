import type { PoolIntent } from '../../model/intent.ts';
import type { ObjectMeta } from '../../model/k8s-object.ts';
import {
  CLUSTER_LABEL,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  NETBOX_OBJECTS_ANNOTATION,
  NETBOX_URLS_ANNOTATION,
  POOL_KIND_LABEL,
  SPEC_HASH_ANNOTATION,
} from '../../model/ownership.ts';
import { specHash } from './canonical.ts';

/** Ownership metadata (DESIGN.md §5) on everything we render, and its counterpart for comparing observed objects. */

const OWN_PREFIX = 'netbox-ippool-sync/';

export function ownedMetadata(
  intent: PoolIntent,
  cluster: string,
  name: string,
  namespace: string | undefined,
  spec: unknown,
): ObjectMeta {
  const meta: ObjectMeta = {
    name,
    labels: {
      [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
      [CLUSTER_LABEL]: cluster,
      [POOL_KIND_LABEL]: intent.kind,
    },
    annotations: {
      [NETBOX_OBJECTS_ANNOTATION]: intent.sources.map(s => `${s.model}/${s.id}`).join(','),
      [NETBOX_URLS_ANNOTATION]: intent.sources.map(s => s.url).join(','),
      [SPEC_HASH_ANNOTATION]: specHash(spec),
    },
  };
  if (namespace !== undefined) meta.namespace = namespace;
  return meta;
}

function isOurKey(key: string): boolean {
  return key === MANAGED_BY_LABEL || key.startsWith(OWN_PREFIX);
}

function ours(map: Record<string, string> | undefined): Record<string, string> | undefined {
  if (map === null || typeof map !== 'object') return undefined;
  const kept = Object.entries(map).filter(([k]) => isOurKey(k));
  return kept.length === 0 ? undefined : Object.fromEntries(kept);
}

/**
 * Identity plus the labels and annotations we set. Server fields (resourceVersion, uid, managedFields...),
 * controller finalizers and other managers' labels are dropped: server-side apply leaves them alone anyway.
 */
export function comparableMetadata(meta: ObjectMeta): ObjectMeta {
  const out: ObjectMeta = { name: meta.name };
  if (meta.namespace !== undefined) out.namespace = meta.namespace;
  const labels = ours(meta.labels);
  const annotations = ours(meta.annotations);
  if (labels !== undefined) out.labels = labels;
  if (annotations !== undefined) out.annotations = annotations;
  return out;
}
