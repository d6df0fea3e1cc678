import type { PoolKindAdapter } from '../kinds/adapter.ts';
import type { NetBoxObjectRef } from '../model/intent.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import { CLUSTER_LABEL, NETBOX_OBJECTS_ANNOTATION, NETBOX_URLS_ANNOTATION, isManaged } from '../model/ownership.ts';

/** Object identity and ownership as the plan sees them: whose an object is, which kind, which NetBox objects. */

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
