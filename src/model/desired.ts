import type { K8sObject } from './k8s-object.ts';
import type { NetBoxObjectRef, PoolKind } from './intent.ts';

/** What the render stage hands the plan: desired objects and namespace annotation wishes. */

/** One object rendered from NetBox for this cluster. */
export interface DesiredObject {
  object: K8sObject;
  poolKind: PoolKind;
  /** NetBox objects behind it, sorted by model then id. */
  sources: NetBoxObjectRef[];
  /** True for the kind's pool object (`adapter.owns[0]`): the one that holds allocations and drains. */
  primary: boolean;
}

/** A namespace as observed, for planning `k8s_namespaces` annotations. */
export interface ObservedNamespace {
  name: string;
  annotations: Readonly<Record<string, string>>;
}

/** An annotation value the pool wants on a namespace (`k8s_namespaces`); merged across pools before apply. */
export interface NamespaceAssignment {
  namespace: string;
  annotation: string;
  /** Pool names (or CIDRs) to list in the annotation's JSON array. */
  values: string[];
  /** `single`: the annotation holds one plain name, not a JSON array (Cilium's `ipam.cilium.io/ip-pool`). */
  format?: 'json-array' | 'single';
}
