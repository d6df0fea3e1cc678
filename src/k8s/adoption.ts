import type { K8sObject, ResourceType } from '../model/k8s-object.ts';
import { MANAGED_BY_LABEL } from '../model/ownership.ts';
import { canonicalJson } from '../model/values.ts';
import type { KubeClient } from './client.ts';

/**
 * The cluster half of adoption and release (I/O): our labels and annotations on a live pool object, and off again.
 * Only metadata is ever sent, so the spec stays byte for byte as its author wrote it.
 */

const OWN_PREFIX = 'netbox-ippool-sync/';

function isOurKey(key: string): boolean {
  return key === MANAGED_BY_LABEL || key.startsWith(OWN_PREFIX);
}

/**
 * Server-side apply of metadata only (labels and annotations our render sets, spec hash included) as our field
 * manager, conditional on the resourceVersion adoption proved against. Without `force`: a label someone else owns
 * with another value is a conflict, not a takeover. Throws when the spec came back different (it cannot, short of
 * an admission webhook; the error says so).
 */
export async function markOurs(
  kube: KubeClient,
  rt: ResourceType,
  live: K8sObject,
  rendered: K8sObject,
  opts: { fieldManager: string; serverDryRun?: boolean },
): Promise<K8sObject> {
  const { name, namespace, resourceVersion } = live.metadata;
  const body: K8sObject = {
    apiVersion: live.apiVersion,
    kind: live.kind,
    metadata: {
      name,
      ...(namespace === undefined ? {} : { namespace }),
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
      labels: rendered.metadata.labels ?? {},
      annotations: rendered.metadata.annotations ?? {},
    },
  };
  const stored = await kube.apply(rt, body, { ...opts, force: false });
  if (canonicalJson(stored.spec) !== canonicalJson(live.spec)) {
    throw new Error(
      `${live.kind} ${name}: the spec changed while only metadata was applied (an admission webhook?); ` +
        'check the object and run `release` on it if it should not be ours',
    );
  }
  return stored;
}

/** Removes every label and annotation of ours with a merge patch (null removes a key); the rest stays. */
export async function unmarkOurs(
  kube: KubeClient,
  rt: ResourceType,
  live: K8sObject,
  opts: { fieldManager: string; serverDryRun?: boolean },
): Promise<void> {
  const nulls = (map: Record<string, string> | undefined) =>
    Object.fromEntries(
      Object.keys(map ?? {})
        .filter(isOurKey)
        .map(k => [k, null]),
    );
  const patch = {
    metadata: {
      ...(live.metadata.resourceVersion === undefined ? {} : { resourceVersion: live.metadata.resourceVersion }),
      labels: nulls(live.metadata.labels),
      annotations: nulls(live.metadata.annotations),
    },
  };
  await kube.mergePatch(rt, live.metadata.name, live.metadata.namespace, patch, opts);
}
