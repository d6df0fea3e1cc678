import type { TestProject } from 'vitest/node';
import { kubeRequest, startControlPlane } from '../../dev/control-plane/index.ts';
import type { ControlPlane } from '../../dev/control-plane/index.ts';
import { startRedis } from '../../dev/redis.ts';
import type { TestRedis } from '../../dev/redis.ts';

/**
 * Global setup of the integration project: one real kube-apiserver + etcd and one redis-server for every test
 * file. If either cannot start the whole run fails with the reason; integration tests never skip silently.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfigPath: string;
    kubeServer: string;
    kubeCa: string;
    kubeAdminCert: string;
    kubeAdminKey: string;
    kubeVersions: { kubernetes: string; etcd: string };
    redisUrl: string;
  }
}

let controlPlane: ControlPlane | undefined;
let redis: TestRedis | undefined;

export async function setup(project: TestProject): Promise<void> {
  const log = (line: string): void => console.log(`[integration-env] ${line}`);
  const t0 = Date.now();
  [controlPlane, redis] = await Promise.all([startControlPlane({ log }), startRedis()]);
  // Namespaces a cluster running these IPAM systems has (kube-system exists already).
  for (const name of ['metallb-system']) {
    const res = await kubeRequest(controlPlane.admin, 'POST', '/api/v1/namespaces', { metadata: { name } });
    if (res.status !== 201 && res.status !== 409) throw new Error(`creating namespace ${name} failed: ${res.body}`);
  }
  log(`redis-server ${redis.version} at ${redis.url}; environment ready in ${Date.now() - t0} ms`);
  project.provide('kubeconfigPath', controlPlane.kubeconfigPath);
  project.provide('kubeServer', controlPlane.server);
  project.provide('kubeCa', controlPlane.admin.ca);
  project.provide('kubeAdminCert', controlPlane.admin.cert ?? '');
  project.provide('kubeAdminKey', controlPlane.admin.key ?? '');
  project.provide('kubeVersions', controlPlane.versions);
  project.provide('redisUrl', redis.url);
}

export async function teardown(): Promise<void> {
  await Promise.allSettled([controlPlane?.stop(), redis?.stop()]);
}
