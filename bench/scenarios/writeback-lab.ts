/**
 * The writeback bench's lab: a NetBox bootstrapped by our own `netbox bootstrap` with three pools (a Calico pod
 * pool, Whereabouts secondary networks, a MetalLB pool), the pools synced into the real apiserver by a real sync
 * cycle, and live allocations written into the apiserver the way each system stores them — Calico IPAMBlocks
 * (64 ordinals, attributes naming the pods), Whereabouts IPPools (`spec.allocations` by offset), and Services of
 * type LoadBalancer with MetalLB's pool annotation and `status.loadBalancer.ingress`. The daemon only reads them.
 */
import { randomBytes } from 'node:crypto';
import { kubeRequest } from '../../dev/control-plane/http.ts';
import type { KubeCredentials } from '../../dev/control-plane/http.ts';
import { KubeAdmin } from '../../dev/cni/index.ts';
import { parseConfig } from '../../src/config/config.ts';
import type { Config } from '../../src/config/config.ts';
import { runCycle } from '../../src/cycle.ts';
import { KubeClient } from '../../src/k8s/client.ts';
import { liveCluster } from '../../src/k8s/cluster.ts';
import { RESOURCES } from '../../src/kinds/resources.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import { resourcePath } from '../../src/k8s/client.ts';
import { formatIssue } from '../../src/model/issue.ts';
import { runBootstrap, wantedObjects } from '../../src/netbox/bootstrap/bootstrap.ts';
import { NetBoxClient } from '../../src/netbox/client/index.ts';

/** How many live allocations of each source. */
export interface Mix {
  /** Pod IPs in Calico IPAMBlocks (/26, 64 per block, packed): recorded per block, as a child prefix. */
  calicoPods: number;
  /** Pod IPs in Whereabouts IPPools (1,000 per /22 pool): recorded per address. */
  whereaboutsPods: number;
  /** LoadBalancer Services holding one ingress IP each: recorded per address. */
  lbServices: number;
}

export const allocationsOf = (m: Mix): number => m.calicoPods + m.whereaboutsPods + m.lbServices;

/** Records writeback writes for a mix at the default grains (Calico per block, the others per address). */
export const recordsOf = (m: Mix): number => Math.ceil(m.calicoPods / 64) + m.whereaboutsPods + m.lbServices;

export interface LabTarget {
  url: string;
  token: string;
}

export interface WritebackLab {
  cluster: string;
  /** The raw configuration (parsed again in the child). */
  rawConfig: Record<string, unknown>;
  config: Config;
  /** Allocations live in the cluster now. */
  allocations(): number;
  /** Replaces `share` of the allocations of every source by new ones (removes some, adds as many elsewhere). */
  churn(share: number): Promise<{ removed: number; added: number }>;
  /** After NetBox was reset: bootstrap and the pools again (what the lab's NetBox held before any writeback). */
  reseed(): Promise<void>;
  /** Deletes every allocation source this lab wrote into the apiserver. */
  cleanup(): Promise<void>;
}

const PER_WHEREABOUTS_POOL = 1000;
const BLOCK = 64;
const LAB_LABEL = 'bench.netbox-ippool-sync/lab';

/** `10.<a>.<b>.<c>` from an offset inside 10.<base>.0.0/12-ish space. */
function v4(base: number, offset: number): string {
  return `10.${base + Math.floor(offset / 65536)}.${Math.floor(offset / 256) % 256}.${offset % 256}`;
}

/** Runs `fn` over `items` with `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

/**
 * Sets up NetBox and the cluster for `mix`. `base` picks the address space (second octet): labs that may exist at
 * the same time use different bases. The Calico pool is 10.<base>.0.0/14, Whereabouts pools follow at
 * 10.<base+4>.0.0, the MetalLB pool at 10.<base+8>.0.0/16.
 */
export async function startWritebackLab(o: {
  target: LabTarget;
  kubeconfigPath: string;
  admin: KubeCredentials;
  mix: Mix;
  base: number;
  log: (line: string) => void;
}): Promise<WritebackLab> {
  const { mix, base } = o;
  if (mix.calicoPods > 4 * 65536 || mix.whereaboutsPods > 64 * PER_WHEREABOUTS_POOL || mix.lbServices > 65000) {
    throw new Error(`writeback lab: mix ${JSON.stringify(mix)} does not fit the address plan`);
  }
  const cluster = `bench-wb-${randomBytes(3).toString('hex')}`;
  const ns = cluster;
  const client = new NetBoxClient({ url: o.target.url, token: o.target.token, timeoutMs: 600_000 });
  const roles = { 'k8s-pod': 'calico', 'k8s-secondary': 'whereabouts', 'k8s-loadbalancer': 'metallb' };
  const rawConfig = {
    cluster,
    netbox: { url: o.target.url, tokenEnv: 'BENCH_UNUSED_TOKEN' },
    selection: { roles },
    policy: 'sync',
  };
  const parsed = parseConfig(rawConfig, {});
  if (!parsed.ok) throw new Error(`lab config invalid: ${parsed.issues.map(formatIssue).join('; ')}`);
  const config = parsed.config;
  const clusterTag = config.selection.clusterTag;
  const pools = Math.ceil(mix.whereaboutsPods / PER_WHEREABOUTS_POOL);
  const wbRange = (i: number) => `${v4(base + 4, i * 1024)}/22`;
  /** Roles, tags and custom fields (our own bootstrap), then the three kinds of pools as a network engineer makes them. */
  const seed = async (): Promise<void> => {
    const boot = await runBootstrap(client, wantedObjects({ cluster, roles: Object.keys(roles) }));
    if (!boot.ok) throw new Error(`bootstrap of NetBox failed: ${JSON.stringify(boot.results)}`);
    const prefix = (p: string, role: string, cf: Record<string, unknown>) => ({
      prefix: p,
      status: 'active',
      role: { slug: role },
      tags: [{ slug: clusterTag }],
      custom_fields: cf,
    });
    const bodies = [
      prefix(`10.${base}.0.0/14`, 'k8s-pod', { k8s_pool_name: 'pods', k8s_block_size: 26 }),
      prefix(`10.${base + 8}.0.0/16`, 'k8s-loadbalancer', { k8s_pool_name: 'lb' }),
      ...Array.from({ length: pools }, (_, i) =>
        prefix(wbRange(i), 'k8s-secondary', { k8s_pool_name: `net${i}`, k8s_namespace: ns }),
      ),
    ];
    const made = await client.prefixes.create(bodies as never[], { batchSize: 100 });
    if (made.failed.length > 0) throw new Error(`seeding pools failed: ${made.failed.map(f => f.message).join('; ')}`);
  };
  await seed();

  const admin = new KubeAdmin(o.admin);
  await admin.ensureNamespace(ns);
  await admin.ensureNamespace('metallb-system');
  // The pools themselves, as the daemon's sync cycle writes them.
  const kube = new KubeClient({ kubeconfig: o.kubeconfigPath });
  try {
    const sync = await runCycle({ config, netbox: client, adapters: ADAPTERS, ...liveCluster(kube) }, { apply: true });
    const failed = sync.apply?.results.filter(r => r.outcome !== 'applied' && r.outcome !== 'unchanged') ?? [];
    if (!sync.source.healthy || failed.length > 0) {
      throw new Error(`sync of the lab's pools failed: ${sync.source.reason ?? JSON.stringify(failed.slice(0, 3))}`);
    }
  } finally {
    kube.close();
  }

  const labels = { [LAB_LABEL]: cluster };
  const live = {
    blocks: new Set<number>(),
    wb: Array.from({ length: pools }, () => new Set<number>()),
    lb: new Set<number>(),
  };
  let nextBlock = Math.ceil(mix.calicoPods / BLOCK);
  let nextWb = 0;
  let nextLb = mix.lbServices;

  const blockBody = (b: number, pods: number) => {
    const cidr = `${v4(base, b * BLOCK)}/26`;
    const node = `node-${Math.floor(b / 2)}`;
    const allocations = Array.from({ length: BLOCK }, (_, i) => (i < pods ? i : null));
    const attributes = Array.from({ length: pods }, (_, i) => ({
      handle_id: `k8s-pod-network.${ns}.pod-${b}-${i}`,
      secondary: { namespace: ns, pod: `pod-${b}-${i}`, node },
    }));
    const unallocated = Array.from({ length: BLOCK - pods }, (_, i) => pods + i);
    return {
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'IPAMBlock',
      metadata: { name: cidr.replace(/[./]/g, '-'), labels },
      spec: { cidr, affinity: `host:${node}`, allocations, unallocated, attributes, strictAffinity: false },
    };
  };
  const send = async (method: string, path: string, body?: unknown, type?: string): Promise<void> => {
    const res = await kubeRequest(o.admin, method, path, body, type);
    if (res.status < 200 || res.status > 299)
      throw new Error(`${method} ${path}: ${res.status} ${res.body.slice(0, 300)}`);
  };
  const blockName = (b: number): string => blockBody(b, 0).metadata.name;
  /** DELETE that counts 404 as done and tries again when a loaded apiserver lets the request time out. */
  const gone = async (path: string): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await kubeRequest(o.admin, 'DELETE', path);
        if (res.status === 404 || (res.status >= 200 && res.status < 300)) return;
        throw new Error(`DELETE ${path}: ${res.status} ${res.body.slice(0, 300)}`);
      } catch (err) {
        if (attempt >= 4) throw err;
        o.log(`writeback lab: ${String(err)}; trying again`);
      }
    }
  };
  const addBlock = async (b: number, pods: number): Promise<void> => {
    await send('POST', resourcePath(RESOURCES.calicoIpamBlockV1), blockBody(b, pods));
    live.blocks.add(b);
  };
  const removeBlock = async (b: number): Promise<void> => {
    await gone(resourcePath(RESOURCES.calicoIpamBlockV1, undefined, blockName(b)));
    live.blocks.delete(b);
  };
  const wbName = (i: number) => wbRange(i).replace(/[:/]/g, '-');
  const wbBody = (i: number) => ({
    apiVersion: 'whereabouts.cni.cncf.io/v1alpha1',
    kind: 'IPPool',
    metadata: { name: wbName(i), namespace: ns, labels },
    spec: {
      range: wbRange(i),
      allocations: Object.fromEntries(
        [...(live.wb[i] ?? [])].map(off => [
          String(off),
          { id: `c-${i}-${off}`, podref: `${ns}/wb-${i}-${off}`, ifname: 'net1' },
        ]),
      ),
    },
  });
  const lbName = (n: number) => `svc-${n}`;
  const addService = async (n: number): Promise<void> => {
    const meta = { name: lbName(n), namespace: ns, labels, annotations: { 'metallb.io/ip-allocated-from-pool': 'lb' } };
    const spec = { type: 'LoadBalancer', selector: { app: lbName(n) }, ports: [{ port: 80, protocol: 'TCP' }] };
    await send('POST', resourcePath(RESOURCES.service, ns), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta,
      spec,
    });
    const status = { status: { loadBalancer: { ingress: [{ ip: v4(base + 8, 1 + n) }] } } };
    await send(
      'PATCH',
      `${resourcePath(RESOURCES.service, ns, lbName(n))}/status`,
      status,
      'application/merge-patch+json',
    );
    live.lb.add(n);
  };
  const removeService = async (n: number): Promise<void> => {
    await gone(resourcePath(RESOURCES.service, ns, lbName(n)));
    live.lb.delete(n);
  };

  const t0 = Date.now();
  const fullBlocks = Math.floor(mix.calicoPods / BLOCK);
  const blockPods = Array.from({ length: Math.ceil(mix.calicoPods / BLOCK) }, (_, b) =>
    b < fullBlocks ? BLOCK : mix.calicoPods - fullBlocks * BLOCK,
  );
  await mapLimit(
    blockPods.map((pods, b) => [b, pods] as const),
    8,
    ([b, pods]) => addBlock(b, pods),
  );
  for (let k = 0; k < mix.whereaboutsPods; k++) {
    const pool = Math.floor(k / PER_WHEREABOUTS_POOL);
    live.wb[pool]?.add(1 + (k % PER_WHEREABOUTS_POOL));
  }
  nextWb = PER_WHEREABOUTS_POOL + 1;
  await mapLimit(
    Array.from({ length: pools }, (_, i) => i),
    4,
    i => send('POST', resourcePath(RESOURCES.whereaboutsIpPool, ns), wbBody(i)),
  );
  await mapLimit(
    Array.from({ length: mix.lbServices }, (_, n) => n),
    8,
    addService,
  );
  o.log(
    `writeback lab ${cluster}: ${live.blocks.size} IPAMBlocks, ${pools} Whereabouts IPPools, ${live.lb.size} Services ` +
      `written into the apiserver in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  const count = () =>
    [...live.blocks].reduce((n, b) => n + (blockPods[b] ?? BLOCK), 0) +
    live.wb.reduce((n, s) => n + s.size, 0) +
    live.lb.size;

  return {
    cluster,
    rawConfig,
    config,
    allocations: count,
    reseed: seed,
    async churn(share) {
      let removed = 0;
      let added = 0;
      // Calico: whole blocks go (their node left) and as many new blocks come (a new node), 64 pods each.
      const blocks = Math.round((share * mix.calicoPods) / BLOCK);
      const gone = [...live.blocks].filter((_, i) => i % Math.max(1, Math.floor(live.blocks.size / blocks)) === 0);
      for (const b of gone.slice(0, blocks)) {
        removed += blockPods[b] ?? BLOCK;
        await removeBlock(b);
        blockPods[nextBlock] = BLOCK;
        await addBlock(nextBlock++, BLOCK);
        added += BLOCK;
      }
      // Whereabouts: pods leave and new pods take free offsets in the same pools (the plugin's own update of
      // spec.allocations, sent here as a merge patch).
      const wbChanges = Math.round(share * mix.whereaboutsPods);
      const patches = Array.from({ length: pools }, (): Record<string, unknown> => ({}));
      for (let k = 0; k < wbChanges; k++) {
        const pool = k % pools;
        const set = live.wb[pool];
        const patch = patches[pool];
        if (set === undefined || patch === undefined) continue;
        const victim = [...set][Math.floor(set.size / 2)];
        if (victim === undefined) continue;
        let free = (nextWb % 1020) + 1;
        while (set.has(free)) free = ((free + 1) % 1020) + 1;
        nextWb = free;
        set.delete(victim);
        set.add(free);
        patch[String(victim)] = null;
        patch[String(free)] = { id: `c-${pool}-${free}`, podref: `${ns}/wb-${pool}-${free}`, ifname: 'net1' };
        removed++;
        added++;
      }
      await mapLimit(
        Array.from({ length: pools }, (_, i) => i),
        4,
        i =>
          send(
            'PATCH',
            resourcePath(RESOURCES.whereaboutsIpPool, ns, wbName(i)),
            { spec: { allocations: patches[i] } },
            'application/merge-patch+json',
          ),
      );
      // Services: some deleted, as many new ones.
      const lbChanges = Math.round(share * mix.lbServices);
      const lbGone = [...live.lb].slice(0, lbChanges);
      await mapLimit(lbGone, 8, removeService);
      await mapLimit(
        Array.from({ length: lbChanges }, () => nextLb++),
        8,
        addService,
      );
      removed += lbChanges;
      added += lbChanges;
      return { removed, added };
    },
    async cleanup() {
      const selector = `?labelSelector=${encodeURIComponent(`${LAB_LABEL}=${cluster}`)}`;
      // One by one: a collection delete of a thousand blocks outlasts the request on a loaded apiserver.
      await mapLimit([...live.blocks], 8, b =>
        gone(resourcePath(RESOURCES.calicoIpamBlockV1, undefined, blockName(b))),
      );
      live.blocks.clear();
      await gone(`${resourcePath(RESOURCES.whereaboutsIpPool, ns)}${selector}`);
      await mapLimit([...live.lb], 8, removeService);
    },
  };
}
