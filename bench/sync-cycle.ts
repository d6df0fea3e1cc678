/**
 * One full sync cycle at scale: N NetBox prefixes spread over four pool kinds, against a real kube-apiserver and
 * the NetBox emulator. Prints requests (NetBox and Kubernetes, by verb) and time for the first cycle (everything
 * created) and a steady cycle (nothing to do). Asserts nothing.
 *   node bench/sync-cycle.ts [pools=400]
 */
import { liveCluster } from '../src/k8s/cluster.ts';
import { startControlPlane } from '../dev/control-plane/index.ts';
import { startEmulator } from '../dev/netbox-emulator/index.ts';
import { parseConfig } from '../src/config/config.ts';
import { KubeClient } from '../src/k8s/client.ts';
import { ADAPTERS } from '../src/kinds/registry.ts';
import { runBootstrap, wantedObjects } from '../src/netbox/bootstrap/bootstrap.ts';
import { NetBoxClient } from '../src/netbox/client/index.ts';
import { runCycle } from '../src/cycle.ts';

const pools = Number(process.argv[2] ?? 400);
const roles = {
  'k8s-pod': 'calico',
  'k8s-loadbalancer': 'cilium-lb',
  'k8s-secondary': 'whereabouts',
  'k8s-rdma': 'nv-ipam',
};
const cp = await startControlPlane();
const emu = await startEmulator();
try {
  const netbox = new NetBoxClient({ url: emu.url, token: emu.tokens.v1, batchSize: 500 });
  await runBootstrap(netbox, wantedObjects({ cluster: 'bench', roles: Object.keys(roles) }));
  const slugs = Object.keys(roles);
  const bodies = Array.from({ length: pools }, (_, i) => ({
    prefix: `10.${Math.floor(i / 256)}.${i % 256}.0/24`,
    status: 'active',
    role: { slug: slugs[i % slugs.length] },
    tags: [{ slug: 'k8s-bench' }],
    custom_fields: { k8s_pool_name: `p${i}` },
  }));
  await netbox.bulkCreate('ipam/prefixes', bodies);
  const parsed = parseConfig(
    { cluster: 'bench', netbox: { url: emu.url, tokenEnv: 'UNUSED' }, selection: { roles } },
    {},
  );
  if (!parsed.ok) throw new Error('bench config invalid');
  console.log(
    `${pools} NetBox prefixes → ${Object.values(roles).join(', ')} pools; kube-apiserver ${cp.versions.kubernetes}`,
  );
  for (const label of ['first cycle (create all)', 'steady cycle (no change)']) {
    const kube = new KubeClient({ kubeconfig: cp.kubeconfigPath });
    emu.resetStats();
    const t0 = performance.now();
    const result = await runCycle(
      { config: parsed.config, netbox, adapters: ADAPTERS, ...liveCluster(kube) },
      { apply: true },
    );
    const ms = performance.now() - t0;
    const failed = result.apply?.results.filter(r => r.outcome !== 'applied').length ?? 0;
    console.log(
      `${label.padEnd(26)} ${String(result.plan.changes.length).padStart(5)} changes (${failed} not applied)  ` +
        `NetBox ${String(emu.stats().total).padStart(3)} req  Kubernetes ${JSON.stringify(kube.requestCounts())}  ${ms.toFixed(0)} ms`,
    );
    kube.close();
  }
} finally {
  await emu.close();
  await cp.stop();
}
