import type { NetBoxObjectRef, PoolIntent } from '../model/intent.ts';
import type { K8sRef, NetBoxLink } from '../model/drift.ts';
import type { IssueSubject } from '../model/issue.ts';
import type { PoolKindAdapter } from '../kinds/adapter.ts';
import { apiVersionOf } from '../model/k8s-object.ts';

/** Links from report entries to NetBox pages and names of Kubernetes objects. Pure string work. */

const PLURAL: Readonly<Record<NetBoxLink['model'], string>> = {
  prefix: 'prefixes',
  'ip-range': 'ip-ranges',
  'ip-address': 'ip-addresses',
};

/** The web page of an object from its API URL: `https://nb/api/ipam/prefixes/7/` → `https://nb/ipam/prefixes/7/`. */
export function webUrl(apiUrl: string): string {
  return apiUrl.replace(/\/api\/(?=[a-z-]+\/[a-z-]+\/\d+\/?(?:[?#].*)?$)/, '/');
}

/** The web page of an object known by model and id only. */
export function pageOf(netboxUrl: string, model: NetBoxLink['model'], id: number): string {
  return `${netboxUrl.replace(/\/+$/, '')}/ipam/${PLURAL[model]}/${id}/`;
}

export function linkOf(ref: NetBoxObjectRef, netboxUrl: string): NetBoxLink {
  const url = ref.url === '' ? pageOf(netboxUrl, ref.model, ref.id) : webUrl(ref.url);
  return { model: ref.model, id: ref.id, display: ref.display, url };
}

export function linkOfSubject(s: IssueSubject, netboxUrl: string): NetBoxLink | undefined {
  if (s.type !== 'netbox') return undefined;
  const url = s.url === undefined || s.url === '' ? pageOf(netboxUrl, s.model, s.id) : webUrl(s.url);
  return { model: s.model, id: s.id, display: s.display, url };
}

/** The pool object of an intent: its kind's first owned resource type. */
export function poolObjectOf(intent: PoolIntent, adapters: readonly PoolKindAdapter[]): K8sRef {
  const type = adapters.find(a => a.kind === intent.kind)?.owns[0];
  const ref: K8sRef = { kind: type?.kind ?? intent.kind, name: intent.name };
  if (type !== undefined) ref.apiVersion = apiVersionOf(type);
  if (intent.namespace !== undefined) ref.namespace = intent.namespace;
  return ref;
}

/** `Kind namespace/name`. */
export function describeK8s(r: K8sRef): string {
  return `${r.kind} ${r.namespace === undefined ? '' : `${r.namespace}/`}${r.name}`;
}

export function poolKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}
