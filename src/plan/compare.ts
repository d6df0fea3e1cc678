import type { PoolKindAdapter } from '../kinds/adapter.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import { MANAGED_BY_LABEL, SPEC_HASH_ANNOTATION } from '../model/ownership.ts';
import type { FieldDiff } from '../model/plan.ts';
import { sortKeysDeep } from '../model/values.ts';
import { deepEqual, diffValues, formatPath, getPath } from './diff.ts';
import type { PathSegment } from './diff.ts';

/** Comparison as the plan sees it: only the fields we own, immutable paths, the spec hash. */
function pick(record: Readonly<Record<string, string>> | undefined, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = record?.[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * What the plan compares, after the adapter's normalise: identity, spec (and any other content field), and only
 * the labels and annotations we set. Labels and annotations others add (kubectl, GitOps tools) are not drift; with
 * server-side apply they stay theirs.
 */
function comparable(o: K8sObject, labelKeys: readonly string[], annotationKeys: readonly string[]): unknown {
  const { metadata, status: _status, ...content } = o;
  const meta: Record<string, unknown> = { name: metadata.name, namespace: metadata.namespace };
  const labels = pick(metadata.labels, labelKeys);
  const annotations = pick(metadata.annotations, annotationKeys);
  if (Object.keys(labels).length > 0) meta.labels = labels;
  if (Object.keys(annotations).length > 0) meta.annotations = annotations;
  return sortKeysDeep({ ...content, metadata: meta });
}

export interface Comparison {
  desired: unknown;
  observed: unknown;
  diff: FieldDiff[];
}

/** Normalise both sides with the adapter and diff what we own. */
export function compareObjects(adapter: PoolKindAdapter, desired: K8sObject, observed: K8sObject): Comparison {
  const d = adapter.normalise(desired);
  const o = adapter.normalise(observed);
  const labelKeys = Object.keys(d.metadata.labels ?? {});
  const annotationKeys = Object.keys(d.metadata.annotations ?? {});
  const dc = comparable(d, labelKeys, annotationKeys);
  const oc = comparable(o, labelKeys, annotationKeys);
  return { desired: dc, observed: oc, diff: diffValues(oc, dc) };
}

/** Immutable paths may be given from the object root (`spec.blockSize`) or from the spec (`blockSize`). */
function rooted(path: readonly string[]): PathSegment[] {
  return path[0] === 'spec' || path[0] === 'metadata' ? [...path] : ['spec', ...path];
}

export interface ImmutableChange {
  path: string;
  from: unknown;
  to: unknown;
}

/**
 * Immutable fields that differ. The adapter decides per observed object (NV-IPAM: only while nodes hold blocks).
 * Compared normalised (a value equal to the default is no change) but reported as stored and as rendered, so a
 * default dropped by normalise reads `blockSize 26 → 27`, not `(none) → 27`.
 */
export function immutableChanges(
  adapter: PoolKindAdapter,
  observedRaw: K8sObject,
  c: Comparison,
  desiredRaw?: K8sObject,
): ImmutableChange[] {
  const out: ImmutableChange[] = [];
  for (const p of adapter.immutablePaths(observedRaw)) {
    const path = rooted(p);
    const from = getPath(c.observed, path);
    const to = getPath(c.desired, path);
    if (!deepEqual(from, to)) {
      const shownTo = desiredRaw === undefined ? undefined : getPath(desiredRaw, path);
      out.push({ path: formatPath(path), from: getPath(observedRaw, path) ?? from, to: shownTo ?? to });
    }
  }
  return out;
}

/** Whether NetBox changed (the spec hash moved) or the object drifted in the cluster. */
export function specHashChanged(desired: K8sObject, observed: K8sObject): boolean {
  return desired.metadata.annotations?.[SPEC_HASH_ANNOTATION] !== observed.metadata.annotations?.[SPEC_HASH_ANNOTATION];
}

const OURS_PREFIX = 'netbox-ippool-sync/';

function ownedKeys(
  record: Readonly<Record<string, string>> | undefined,
  extra: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record ?? {})) {
    if (k.startsWith(OURS_PREFIX) || extra.includes(k)) out[k] = v;
  }
  return out;
}

/**
 * An observed object reduced to what we would send with server-side apply: identity, our labels and annotations,
 * content without status. Server-filled metadata (managedFields, resourceVersion) would make the apply fail.
 */
export function applyable(o: K8sObject): K8sObject {
  const { metadata, status: _status, ...content } = o;
  const meta: K8sObject['metadata'] = { name: metadata.name };
  if (metadata.namespace !== undefined) meta.namespace = metadata.namespace;
  meta.labels = ownedKeys(metadata.labels, [MANAGED_BY_LABEL]);
  meta.annotations = ownedKeys(metadata.annotations, []);
  return sortKeysDeep({ ...content, metadata: meta });
}
