import type { PoolKindAdapter } from '../kinds/adapter.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import {
  CLUSTER_LABEL,
  MANAGED_BY_LABEL,
  NETBOX_OBJECTS_ANNOTATION,
  NETBOX_URLS_ANNOTATION,
  SPEC_HASH_ANNOTATION,
  isManaged,
} from '../model/ownership.ts';
import type { NetBoxObjectRef } from '../model/intent.ts';
import { deepEqual, diffValues, formatPath, getPath } from './diff.ts';
import { sortKeysDeep } from '../model/values.ts';
import type { PathSegment } from './diff.ts';
import type { FieldDiff } from '../model/plan.ts';

/** Object identity, ownership and comparison as the plan sees them. */

type Identity = Pick<K8sObject, 'apiVersion' | 'kind' | 'metadata'>;

/** `projectcalico.org/v3 IPPool pods-a`, `metallb.io/v1beta1 IPAddressPool metallb-system/lb`. */
export function describeObject(o: Identity): string {
  const ns = o.metadata.namespace === undefined ? '' : `${o.metadata.namespace}/`;
  return `${o.apiVersion} ${o.kind} ${ns}${o.metadata.name}`;
}

export type Ownership = 'ours' | 'unmanaged' | 'other-cluster';

/** A managed object without our cluster's label is another deployment's: never touched. */
export function ownershipOf(o: K8sObject, cluster: string): Ownership {
  if (!isManaged(o)) return 'unmanaged';
  return o.metadata.labels?.[CLUSTER_LABEL] === cluster ? 'ours' : 'other-cluster';
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

function sameTypeIgnoringVersion(o: Identity, apiVersion: string, kind: string): boolean {
  return o.kind === kind && groupOf(o.apiVersion) === groupOf(apiVersion);
}

/** The adapter that owns this object's type. Observed objects were listed by owned type, so this always finds one. */
export function adapterForObject(adapters: readonly PoolKindAdapter[], o: Identity): PoolKindAdapter | undefined {
  return adapters.find(a =>
    a.owns.some(t => sameTypeIgnoringVersion(o, t.group === '' ? t.version : `${t.group}/${t.version}`, t.kind)),
  );
}

/** The kind's pool object (`owns[0]`), as opposed to companions such as Calico IPReservations. */
export function isPoolObject(adapter: PoolKindAdapter, o: Identity): boolean {
  const pool = adapter.owns[0];
  if (pool === undefined) return false;
  return sameTypeIgnoringVersion(o, pool.group === '' ? pool.version : `${pool.group}/${pool.version}`, pool.kind);
}

const REF = /^(prefix|ip-range)\/([1-9][0-9]*)$/;

export function refKey(ref: Pick<NetBoxObjectRef, 'model' | 'id'>): string {
  return `${ref.model}/${ref.id}`;
}

/**
 * NetBox objects an observed object says it came from (`netbox-objects: prefix/12,ip-range/40`). Only ids are
 * recorded there, so `display` is the model and id. Entries that do not parse are skipped: a hand-edited annotation
 * must not stop the plan, and protection by source is only ever a reason to keep an object.
 */
export function sourcesOf(o: K8sObject): NetBoxObjectRef[] {
  const raw = o.metadata.annotations?.[NETBOX_OBJECTS_ANNOTATION];
  if (raw === undefined || raw.trim() === '') return [];
  const urls = (o.metadata.annotations?.[NETBOX_URLS_ANNOTATION] ?? '').split(',').map(s => s.trim());
  const refs: NetBoxObjectRef[] = [];
  raw.split(',').forEach((entry, i) => {
    const m = REF.exec(entry.trim());
    if (m === null) return;
    const model = m[1] === 'prefix' ? 'prefix' : 'ip-range';
    refs.push({ model, id: Number(m[2]), url: urls[i] ?? '', display: `${model} ${m[2]}` });
  });
  return refs;
}

/** `NetBox prefix 10.20.0.0/24 (id 12)`, `NetBox prefix 10.20.0.0/24 (id 12) and 2 more`. */
export function describeSources(refs: readonly NetBoxObjectRef[]): string {
  const [first, ...rest] = refs;
  if (first === undefined) return 'no NetBox object';
  const head = first.display.startsWith(`${first.model} `)
    ? `NetBox ${first.display}`
    : `NetBox ${first.model} ${first.display} (id ${first.id})`;
  return rest.length === 0 ? head : `${head} and ${rest.length} more`;
}

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
