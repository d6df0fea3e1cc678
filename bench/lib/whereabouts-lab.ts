/**
 * A cluster with N live Whereabouts allocations, ready for a writeback of N records: the roles, tags and custom
 * fields (netbox bootstrap), one NetBox prefix (/22) per 1,000 allocations, our NetworkAttachmentDefinitions
 * (one sync cycle) and the IPPools the Whereabouts plugin would have written (offsets 1…1000 → pods). Set-up only:
 * nothing here is measured. Used by the naive baseline (bench/scenarios/naive.ts).
 */
import { KubeAdmin, whereaboutsPool } from '../../dev/cni/index.ts';
import type { ControlPlane } from '../../dev/control-plane/index.ts';
import { NetBoxClient } from '../../src/netbox/client/index.ts';
import { runBootstrap, wantedObjects } from '../../src/netbox/bootstrap/bootstrap.ts';
import { runCycleInChild, TOKEN_ENV } from './cycle-child.ts';
import { nb } from './netbox-http.ts';
import type { NetBoxTarget } from './netbox-http.ts';

export const PER_POOL = 1000;
export const ROLE = 'k8s-secondary';

export interface WhereaboutsLab {
  cluster: string;
  namespace: string;
  clusterTag: string;
  managedTag: string;
  pools: number;
  /** The raw config for `netbox` at `url` (the counting proxy, usually). */
  config(url: string): Record<string, unknown>;
}

/** `second` picks the /16 (10.<second>.0.0/16): every lab of a run takes its own. */
export async function whereaboutsLab(opts: {
  cluster: string;
  netbox: NetBoxTarget;
  controlPlane: ControlPlane;
  allocations: number;
  second: number;
}): Promise<WhereaboutsLab> {
  const { cluster, netbox, controlPlane } = opts;
  const namespace = `bench-${cluster}`;
  const clusterTag = `k8s-${cluster}`;
  const managedTag = 'k8s-ippool-sync';
  const pools = Math.ceil(opts.allocations / PER_POOL);
  if (pools > 64) throw new Error(`${opts.allocations} allocations need ${pools} /22 pools; one /16 holds 64`);
  const client = new NetBoxClient({ url: netbox.url, token: netbox.token, batchSize: 500 });
  const report = await runBootstrap(client, wantedObjects({ cluster, roles: [ROLE] }));
  if (!report.ok) {
    const bad = report.results.filter(s => s.status === 'failed' || s.status === 'conflict');
    throw new Error(`netbox bootstrap for ${cluster}: ${JSON.stringify(report.readError ?? bad)}`);
  }
  const cidr = (i: number) => `10.${opts.second}.${i * 4}.0/22`;
  await nb(
    netbox,
    'POST',
    'ipam/prefixes/',
    Array.from({ length: pools }, (_, i) => ({
      prefix: cidr(i),
      status: 'active',
      role: { slug: ROLE },
      tags: [{ slug: clusterTag }],
      custom_fields: { k8s_pool_name: `${cluster}-${i}`, k8s_namespace: namespace },
    })),
  );
  const admin = new KubeAdmin(controlPlane.admin);
  await admin.ensureNamespace(namespace);
  const config = (url: string): Record<string, unknown> => ({
    cluster,
    netbox: { url, tokenEnv: TOKEN_ENV },
    selection: { roles: { [ROLE]: 'whereabouts' } },
  });
  const sync = await runCycleInChild({
    job: 'sync',
    config: config(netbox.url),
    token: netbox.token,
    kubeconfig: controlPlane.kubeconfigPath,
  });
  if (sync.result.applied !== pools || sync.result.failed.length > 0) {
    throw new Error(
      `set-up sync of ${cluster} applied ${sync.result.applied} of ${pools} NADs: ${sync.result.failed.join('; ')}`,
    );
  }
  for (let i = 0; i < pools; i++) {
    const n = Math.min(PER_POOL, opts.allocations - i * PER_POOL);
    await whereaboutsPool(admin, {
      namespace,
      range: cidr(i),
      pods: Array.from({ length: n }, (_, k) => ({ offset: k + 1, pod: `${namespace}/pod-${i}-${k + 1}` })),
    });
  }
  return { cluster, namespace, clusterTag, managedTag, pools, config };
}
