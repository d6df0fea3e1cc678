import { inject } from 'vitest';
import { kubeRequest } from '../../../dev/control-plane/index.ts';
import type { KubeCredentials } from '../../../dev/control-plane/index.ts';
import { resourcePath } from '../../../src/k8s/client.ts';
import type { K8sObject, ResourceType } from '../../../src/model/k8s-object.ts';
import { apiVersionOf } from '../../../src/model/k8s-object.ts';

/**
 * Raw admin access to the integration apiserver for the e2e suite: what a test plays (CNI plugins, controllers,
 * people running kubectl) and how it checks what the daemon stored. Deliberately not the product's KubeClient, so
 * a bug there cannot hide behind the check.
 */

function admin(): KubeCredentials {
  return {
    server: inject('kubeServer'),
    ca: inject('kubeCa'),
    cert: inject('kubeAdminCert'),
    key: inject('kubeAdminKey'),
  };
}

const MERGE_PATCH = 'application/merge-patch+json';

async function send(method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> {
  const res = await kubeRequest(admin(), method, path, body, contentType);
  if (res.status < 200 || res.status > 299) {
    throw new Error(`${method} ${path} failed with ${res.status}: ${res.body.slice(0, 500)}`);
  }
  return res.body === '' ? undefined : res.json();
}

/** The object as stored, or undefined when the apiserver has none of that name. */
export async function getStored(rt: ResourceType, name: string, namespace?: string): Promise<K8sObject | undefined> {
  const path = resourcePath(rt, namespace, name);
  const res = await kubeRequest(admin(), 'GET', path);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET ${path} failed with ${res.status}: ${res.body.slice(0, 500)}`);
  return res.json<K8sObject>();
}

/** Creates an object of `rt` as an admin would (`kubectl create`); returns it as stored. */
export async function createObject(
  rt: ResourceType,
  metadata: K8sObject['metadata'],
  content: Record<string, unknown>,
): Promise<K8sObject> {
  const body = { apiVersion: apiVersionOf(rt), kind: rt.kind, metadata, ...content };
  return (await send('POST', resourcePath(rt, metadata.namespace), body)) as K8sObject;
}

/** Merge-patches the status subresource, as the controller that owns the status would. */
export async function patchStatus(rt: ResourceType, name: string, namespace: string | undefined, status: unknown) {
  await send('PATCH', `${resourcePath(rt, namespace, name)}/status`, { status }, MERGE_PATCH);
}

/** A hand edit (`kubectl edit`): a merge patch under a field manager of its own. */
export async function editInCluster(
  rt: ResourceType,
  name: string,
  namespace: string | undefined,
  patch: Record<string, unknown>,
): Promise<void> {
  await send('PATCH', `${resourcePath(rt, namespace, name)}?fieldManager=kubectl-edit`, patch, MERGE_PATCH);
}

export async function deleteObject(rt: ResourceType, name: string, namespace?: string): Promise<void> {
  const res = await kubeRequest(admin(), 'DELETE', resourcePath(rt, namespace, name));
  if (res.status !== 200 && res.status !== 202 && res.status !== 404) {
    throw new Error(
      `DELETE ${rt.kind} ${namespace ?? ''}/${name} failed with ${res.status}: ${res.body.slice(0, 500)}`,
    );
  }
}

/** Creates the namespace unless it exists (several files share `metallb-system`; no controller ever deletes one). */
export async function ensureNamespace(name: string): Promise<void> {
  const res = await kubeRequest(admin(), 'POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
  if (res.status !== 201 && res.status !== 409) {
    throw new Error(`creating namespace ${name} failed with ${res.status}: ${res.body.slice(0, 500)}`);
  }
}
