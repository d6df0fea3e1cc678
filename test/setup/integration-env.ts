import type { TestProject } from 'vitest/node';
import { kubeRequest, startControlPlane } from '../../dev/control-plane/index.ts';
import type { ControlPlane } from '../../dev/control-plane/index.ts';
import { startNetBox } from '../../dev/netbox-real/index.ts';
import type { RealNetBox } from '../../dev/netbox-real/index.ts';
import { startRedis } from '../../dev/redis.ts';
import type { TestRedis } from '../../dev/redis.ts';
import '../support/netbox.ts';

/**
 * Global setup of the integration project: one real kube-apiserver + etcd, one redis-server and one real NetBox
 * (dev/netbox-real: the PyPI package on PostgreSQL, with its RQ worker) for every test file, started in parallel.
 * If any of them cannot start the whole run fails with the reason; integration tests never skip silently.
 * NBSYNC_NETBOX=emulator leaves the real NetBox out (the end-to-end suites then use the emulator) for quick local
 * runs on a machine without PostgreSQL or Python 3.12.
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
let netbox: RealNetBox | undefined;

export async function setup(project: TestProject): Promise<void> {
  const log = (line: string): void => console.log(`[integration-env] ${line}`);
  const t0 = Date.now();
  const wantNetBox = process.env['NBSYNC_NETBOX'] !== 'emulator';
  const started = await Promise.allSettled([
    startControlPlane({ log }),
    startRedis(),
    wantNetBox ? startNetBox({ log }) : Promise.resolve(undefined),
  ]);
  const [cp, rd, nb] = started;
  if (cp.status === 'fulfilled') controlPlane = cp.value;
  if (rd.status === 'fulfilled') redis = rd.value;
  if (nb.status === 'fulfilled') netbox = nb.value;
  const failures = started.flatMap(r => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failures.length > 0) {
    await teardown();
    const [first] = failures;
    if (failures.length === 1 && first) throw first;
    throw new AggregateError(failures, failures.map(f => f.message).join('\n'));
  }
  if (controlPlane === undefined || redis === undefined) throw new Error('unreachable: environment incomplete');
  // Namespaces a cluster running these IPAM systems has (kube-system exists already).
  for (const name of ['metallb-system']) {
    const res = await kubeRequest(controlPlane.admin, 'POST', '/api/v1/namespaces', { metadata: { name } });
    if (res.status !== 201 && res.status !== 409) throw new Error(`creating namespace ${name} failed: ${res.body}`);
  }
  log(`redis-server ${redis.version} at ${redis.url}; environment ready in ${Date.now() - t0} ms`);
  log(
    netbox
      ? `tests talk to real NetBox ${netbox.version} (PyPI, Python ${netbox.python}, PostgreSQL ${netbox.postgresVersion}) at ${netbox.url}`
      : 'NBSYNC_NETBOX=emulator: no real NetBox; the end-to-end suites use the NetBox emulator',
  );
  project.provide('kubeconfigPath', controlPlane.kubeconfigPath);
  project.provide('kubeServer', controlPlane.server);
  project.provide('kubeCa', controlPlane.admin.ca);
  project.provide('kubeAdminCert', controlPlane.admin.cert ?? '');
  project.provide('kubeAdminKey', controlPlane.admin.key ?? '');
  project.provide('kubeVersions', controlPlane.versions);
  project.provide('redisUrl', redis.url);
  project.provide(
    'realNetBox',
    netbox && { url: netbox.url, version: netbox.version, tokens: netbox.tokens, postgres: netbox.postgres },
  );
}

export async function teardown(): Promise<void> {
  if (netbox) console.log(`[integration-env] stopping real NetBox ${netbox.version} (${netbox.url})`);
  await Promise.allSettled([controlPlane?.stop(), redis?.stop(), netbox?.stop()]);
}
