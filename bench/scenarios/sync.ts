/**
 * Sync (issue 16, scenario 1): 2,000 NetBox pools over all six kinds — prefixes and IP ranges side by side in one
 * block, with a gateway address recorded in every tenth — synced into a real kube-apiserver:
 *   - first sync (everything created), a steady cycle (nothing to do), a cycle after 1% changed (half new pools,
 *     half pools taken out of the selection), each the product's own cycle (src/cycle.ts runCycle, wired as the CLI
 *     wires it) in a child process, for its peak RSS;
 *   - the one-at-a-time baseline of the issue, in the same run: the same cycle's reads and plan, then every create
 *     sent the way apply sent it before (a GET, then a server-side apply; one at a time), under other names so both
 *     start from an empty cluster.
 * Against the emulator with the issue's latency model (5 ms per request + 0.2 ms per object written, 2 workers)
 * and against real NetBox 4.7 when the bench started one. NetBox requests are counted by a proxy in front of it,
 * Kubernetes requests by the KubeClient of the cycle. Set-up (bulk writes) and clean-up are not measured.
 */
import { KubeAdmin } from '../../dev/cni/index.ts';
import { kubeRequest } from '../../dev/control-plane/index.ts';
import { startEmulator } from '../../dev/netbox-emulator/index.ts';
import type { StatsSnapshot } from '../../dev/netbox-emulator/knobs.ts';
import { parseConfig } from '../../src/config/config.ts';
import { runCycle } from '../../src/cycle.ts';
import { KubeClient } from '../../src/k8s/client.ts';
import { LiveCluster } from '../../src/k8s/cluster.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import { apiVersionOf } from '../../src/model/k8s-object.ts';
import type { K8sObject, ResourceType } from '../../src/model/k8s-object.ts';
import { CLUSTER_LABEL } from '../../src/model/ownership.ts';
import { NetBoxClient } from '../../src/netbox/client/index.ts';
import { runBootstrap, wantedObjects } from '../../src/netbox/bootstrap/bootstrap.ts';
import { runCycleInChild, TOKEN_ENV } from '../lib/cycle-child.ts';
import type { CycleChildOutput } from '../lib/cycle-child.ts';
import { startCountingProxy } from '../lib/measure.ts';
import type { ChildRun } from '../lib/measure.ts';
import { nb } from '../lib/netbox-http.ts';
import type { NetBoxTarget } from '../lib/netbox-http.ts';
import { ratio } from '../lib/report.ts';
import type { BenchEnv, BenchRow, Scenario, ScenarioResult, TargetCheck } from '../lib/types.ts';

export const LATENCY_MODEL = { latencyMs: 5, latencyPerWrittenObjectMs: 0.2, workers: 2 } as const;
const POOLS = 2000;
const PAGE_SIZE = 1000;

/** Role → kind: the four default roles and one more for each Cilium kind. */
const ROLES = {
  'k8s-pod': 'calico',
  'k8s-cilium-pod': 'cilium-pod',
  'k8s-secondary': 'whereabouts',
  'k8s-rdma': 'nv-ipam',
  'k8s-loadbalancer': 'metallb',
  'k8s-cilium-lb': 'cilium-lb',
} as const;
type Role = keyof typeof ROLES;
const ROLE_LIST = Object.keys(ROLES) as Role[];
/** Kinds whose pools may come from an IP range (the others are prefixes only). */
const RANGE_ROLES: ReadonlySet<Role> = new Set(['k8s-secondary', 'k8s-rdma', 'k8s-loadbalancer', 'k8s-cilium-lb']);

interface Lab {
  kind: 'emulator' | 'real';
  cluster: string;
  namespace: string;
  netbox: NetBoxTarget;
  /** Pool i sits in 10.<second + i/256>.<i%256>.0/24. */
  second: number;
  pools: number;
  note: string;
  /** The emulator's own counters (routes, rows returned); absent for real NetBox. */
  stats?: { reset(): void; read(): StatsSnapshot };
}

interface Seeded {
  prefixes: number;
  ranges: number;
  addresses: number;
  /** Ids of what the 1% change edits: [model, id]. */
  ids: { model: 'prefix' | 'range'; id: number }[];
}

const net = (lab: Lab, i: number): string => `10.${lab.second + (i >> 8)}.${i & 255}`;

function config(lab: Lab, url: string): Record<string, unknown> {
  return {
    cluster: lab.cluster,
    netbox: { url, tokenEnv: TOKEN_ENV, pageSize: PAGE_SIZE },
    selection: { roles: ROLES },
    // The 1% cycle removes 10 pools out of 2,000; the default budget (10) would hold, but say it.
    deleteBudget: { maxCount: 1000, maxPercent: 100 },
  };
}

function poolBody(lab: Lab, i: number, asRange: boolean): { model: 'prefix' | 'range'; body: Record<string, unknown> } {
  const role = ROLE_LIST[i % ROLE_LIST.length] as Role;
  // Namespaced kinds other than MetalLB (which lives in metallb-system) go to the lab's namespace.
  const namespaced = role === 'k8s-secondary' || role === 'k8s-rdma';
  const custom_fields = {
    k8s_pool_name: `${lab.cluster}-${i}`,
    ...(namespaced ? { k8s_namespace: lab.namespace } : {}),
  };
  const common = { status: 'active', role: { slug: role }, tags: [{ slug: `k8s-${lab.cluster}` }], custom_fields };
  if (asRange && RANGE_ROLES.has(role)) {
    return {
      model: 'range',
      body: { ...common, start_address: `${net(lab, i)}.16/24`, end_address: `${net(lab, i)}.239/24` },
    };
  }
  return { model: 'prefix', body: { ...common, prefix: `${net(lab, i)}.0/24` } };
}

async function bulkCreate(t: NetBoxTarget, path: string, bodies: unknown[]): Promise<{ id: number }[]> {
  const out: { id: number }[] = [];
  for (let i = 0; i < bodies.length; i += 500) {
    out.push(...(await nb<{ id: number }[]>(t, 'POST', path, bodies.slice(i, i + 500))));
  }
  return out;
}

/** NetBox: roles, tags, custom fields; the pools; a gateway address in every tenth pool. Not measured. */
async function seed(lab: Lab, env: BenchEnv): Promise<Seeded> {
  const client = new NetBoxClient({ url: lab.netbox.url, token: lab.netbox.token, batchSize: 500 });
  const report = await runBootstrap(client, wantedObjects({ cluster: lab.cluster, roles: ROLE_LIST }));
  if (!report.ok) throw new Error(`netbox bootstrap for ${lab.cluster}: ${JSON.stringify(report.readError ?? report)}`);
  const pools = Array.from({ length: lab.pools }, (_, i) => poolBody(lab, i, i % 2 === 1));
  const prefixes = pools.filter(p => p.model === 'prefix').map(p => p.body);
  const ranges = pools.filter(p => p.model === 'range').map(p => p.body);
  const prefixIds = await bulkCreate(lab.netbox, 'ipam/prefixes/', prefixes);
  const rangeIds = await bulkCreate(lab.netbox, 'ipam/ip-ranges/', ranges);
  const gateways = Array.from({ length: Math.ceil(lab.pools / 10) }, (_, j) => ({
    address: `${net(lab, j * 10)}.1/24`,
    status: 'active',
    tags: [{ slug: 'gateway' }],
  }));
  await bulkCreate(lab.netbox, 'ipam/ip-addresses/', gateways);
  env.log(
    `sync/${lab.kind}: seeded ${prefixes.length} prefixes, ${ranges.length} IP ranges, ${gateways.length} addresses`,
  );
  const ids = [
    ...prefixIds.map(r => ({ model: 'prefix' as const, id: r.id })),
    ...rangeIds.map(r => ({ model: 'range' as const, id: r.id })),
  ];
  return { prefixes: prefixes.length, ranges: ranges.length, addresses: gateways.length, ids };
}

/** The 1% change: half of it new pools (creates), half taken out of the selection (status reserved: deletes). */
async function changeOnePercent(lab: Lab, seeded: Seeded): Promise<number> {
  const n = Math.max(2, Math.round(lab.pools / 100));
  const added = Array.from({ length: Math.ceil(n / 2) }, (_, k) => poolBody(lab, lab.pools + k, false).body);
  await bulkCreate(lab.netbox, 'ipam/prefixes/', added);
  const gone = seeded.ids.slice(0, Math.floor(n / 2));
  const patch = (model: 'prefix' | 'range'): { id: number; status: string }[] =>
    gone.filter(g => g.model === model).map(g => ({ id: g.id, status: 'reserved' }));
  if (patch('prefix').length > 0) await nb(lab.netbox, 'PATCH', 'ipam/prefixes/', patch('prefix'));
  if (patch('range').length > 0) await nb(lab.netbox, 'PATCH', 'ipam/ip-ranges/', patch('range'));
  return n;
}

/** The same cycle's reads and plan, then the creates the way apply sent them before: GET + apply, one at a time. */
async function oneAtATime(
  lab: Lab,
  env: BenchEnv,
  url: string,
): Promise<{ ms: number; creates: number; kube: number; failed: number }> {
  const parsed = parseConfig(config(lab, url), { [TOKEN_ENV]: lab.netbox.token }, ADAPTERS);
  if (!parsed.ok) throw new Error(`sync bench config invalid: ${JSON.stringify(parsed.issues)}`);
  const kube = new KubeClient({ kubeconfig: env.controlPlane.kubeconfigPath });
  const netbox = new NetBoxClient({ url, token: lab.netbox.token, pageSize: PAGE_SIZE });
  const types = new Map<string, ResourceType>();
  for (const rt of ADAPTERS.flatMap(a => a.owns)) types.set(`${apiVersionOf(rt)}/${rt.kind}`, rt);
  try {
    const live = new LiveCluster(kube);
    const t0 = performance.now();
    const result = await runCycle(
      { config: parsed.config, netbox, adapters: ADAPTERS, cluster: live, writer: live },
      { apply: false },
    );
    let creates = 0;
    let failed = 0;
    for (const change of result.plan.changes) {
      if (change.action !== 'create') continue;
      const rt = types.get(`${change.apiVersion}/${change.kind}`);
      if (rt === undefined) throw new Error(`no resource type for ${change.apiVersion}/${change.kind}`);
      // Other names, so that this run and ours both start from an empty cluster.
      // Other names and another cluster label, so that this run and ours both start from an empty cluster and
      // our cycle leaves these alone (another cluster's objects are never touched).
      const labels = { ...change.desired.metadata.labels, [CLUSTER_LABEL]: baselineCluster(lab) };
      const renamed: K8sObject = {
        ...change.desired,
        metadata: { ...change.desired.metadata, name: `${change.name}-1by1`, labels },
      };
      await kube.get(rt, renamed.metadata.name, renamed.metadata.namespace);
      try {
        await kube.apply(rt, renamed, { force: true, fieldManager: `netbox-ippool-sync/${lab.cluster}` });
        creates++;
      } catch (err) {
        failed++;
        env.log(`sync/${lab.kind}: one-at-a-time apply failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const ms = performance.now() - t0;
    const issues = result.issues.filter(i => i.severity === 'error');
    if (issues.length > 0)
      env.log(`sync/${lab.kind}: ${issues.length} issues, e.g. ${JSON.stringify(issues.slice(0, 3))}`);
    const counts = Object.values(kube.requestCounts()).reduce((a, b) => a + b, 0);
    return { ms, creates, kube: counts, failed };
  } finally {
    kube.close();
  }
}

/** Deletes every object of this lab's cluster: one deletecollection per type (and namespace). Not measured. */
const baselineCluster = (lab: Lab): string => `${lab.cluster}-1by1`;

async function cleanUp(lab: Lab, env: BenchEnv): Promise<void> {
  const selector = encodeURIComponent(`${CLUSTER_LABEL} in (${lab.cluster},${baselineCluster(lab)})`);
  for (const rt of ADAPTERS.flatMap(a => a.owns)) {
    const base = rt.group === '' ? `/api/${rt.version}` : `/apis/${rt.group}/${rt.version}`;
    const namespaces = rt.namespaced ? [lab.namespace, 'metallb-system'] : [undefined];
    for (const ns of namespaces) {
      const path = `${base}${ns === undefined ? '' : `/namespaces/${ns}`}/${rt.plural}?labelSelector=${selector}`;
      const res = await kubeRequest(env.controlPlane.admin, 'DELETE', path);
      if (res.status >= 300 && res.status !== 404) env.log(`sync/${lab.kind}: clean-up ${path}: HTTP ${res.status}`);
    }
  }
}

interface StepFigures {
  run: ChildRun<CycleChildOutput>;
  reads: number;
  writes: number;
  changed: number;
  /** Emulator only: rows NetBox returned, and requests by route. */
  rowsRead?: number;
  routes?: Record<string, number>;
}

/**
 * Every cycle here runs in a fresh process, whose NetBox client first asks `/api/status/` for the version (once
 * per process: a daemon pays it once, not per cycle). The per-cycle comparison leaves that one request out.
 */
const VERSION_PROBE = 1;

function changedObjects(out: CycleChildOutput): number {
  const applied = ['create', 'replace', 'update', 'annotate', 'drain', 'delete'];
  return applied.reduce((n, a) => n + (out.planned[a] ?? 0), 0);
}

async function measure(lab: Lab, env: BenchEnv): Promise<{ rows: BenchRow[]; targets: TargetCheck[] }> {
  const rows: BenchRow[] = [];
  const targets: TargetCheck[] = [];
  await new KubeAdmin(env.controlPlane.admin).ensureNamespace(lab.namespace);
  await new KubeAdmin(env.controlPlane.admin).ensureNamespace('metallb-system');
  const seeded = await seed(lab, env);
  const proxy = await startCountingProxy(lab.netbox.url);
  try {
    const step = async (): Promise<StepFigures> => {
      proxy.reset();
      lab.stats?.reset();
      const run = await runCycleInChild({
        job: 'sync',
        config: config(lab, proxy.url),
        token: lab.netbox.token,
        kubeconfig: env.controlPlane.kubeconfigPath,
      });
      const c = proxy.counts();
      if (!run.result.sourceHealthy) throw new Error(`sync/${lab.kind}: NetBox read failed in the cycle`);
      if (run.result.failed.length > 0)
        env.log(`sync/${lab.kind}: not applied: ${run.result.failed.slice(0, 5).join('; ')}`);
      const stats = lab.stats?.read();
      return {
        run,
        reads: c.reads,
        writes: c.writes,
        changed: changedObjects(run.result),
        ...(stats ? { rowsRead: stats.objectsReturned, routes: stats.byRoute } : {}),
      };
    };

    // The baseline first (its objects carry other names), then ours from the same empty start.
    proxy.reset();
    const base = await oneAtATime(lab, env, proxy.url);
    const baseReads = proxy.counts().reads;
    env.log(`sync/${lab.kind}: one-at-a-time ${base.creates} creates in ${(base.ms / 1000).toFixed(1)} s`);
    const first = await step();
    const steady = await step();
    const n = await changeOnePercent(lab, seeded);
    const changed = await step();

    // The minimum NetBox reads: ceil(rows of the selected space ÷ page size) per object type, at least one each.
    const pages = (rows: number): number => Math.max(1, Math.ceil(rows / PAGE_SIZE));
    const minimumReads = pages(seeded.prefixes) + pages(seeded.ranges) + pages(seeded.addresses);
    const minimumReadsAfter =
      pages(seeded.prefixes + Math.ceil(n / 2)) + pages(seeded.ranges) + pages(seeded.addresses);
    // Rows of the selected space: selected prefixes and ranges, the addresses inside (read once each, ideally).
    const rowsInSpace = (s: StepFigures): number =>
      seeded.prefixes + seeded.ranges + seeded.addresses + (s === changed ? Math.ceil(n / 2) : 0);
    const kubeBaseline = (s: StepFigures): number => s.run.result.kubeRequests - writesOf(s.run.result);
    const row = (stepName: string, s: StepFigures, minimum: number, extra: Record<string, number> = {}): BenchRow => ({
      scenario: 'sync',
      step: stepName,
      netbox: lab.kind,
      size: lab.pools,
      wallMs: s.run.result.cycleMs,
      netboxReads: s.reads,
      netboxWrites: s.writes,
      kubeRequests: s.run.result.kubeRequests,
      peakRssMiB: s.run.peakRssMiB,
      ratios: {
        'requests ÷ minimum': ratio(s.reads - VERSION_PROBE + s.writes, minimum),
        ...(s.changed > 0 ? { 'kube writes ÷ changed object': ratio(writesOf(s.run.result), s.changed) } : {}),
        ...extra,
      },
      extra: {
        changed: s.changed,
        kubeByVerb: JSON.stringify(s.run.result.kubeByVerb),
        kubeReadsAndDiscovery: kubeBaseline(s),
        childWallMs: Math.round(s.run.wallMs),
        minimumReads: minimum,
        ...(s.rowsRead === undefined ? {} : { rowsRead: s.rowsRead, rowsInSpace: rowsInSpace(s) }),
        ...(s.routes === undefined ? {} : { routes: JSON.stringify(s.routes) }),
      },
      notes: lab.note,
    });
    const speedup = ratio(base.ms, first.run.result.cycleMs);
    rows.push({
      scenario: 'sync',
      step: 'one-at-a-time',
      netbox: lab.kind,
      size: lab.pools,
      wallMs: base.ms,
      netboxReads: baseReads,
      netboxWrites: 0,
      kubeRequests: base.kube,
      extra: { creates: base.creates, failed: base.failed },
      notes: `${lab.note}; the old apply: GET + server-side apply per create, sequential (in the bench process)`,
    });
    rows.push(row('first sync', first, minimumReads, { 'one-at-a-time ÷ ours': speedup }));
    rows.push(row('steady', steady, minimumReads));
    rows.push(row('1% changed', changed, minimumReadsAfter));

    const label = `(${lab.kind})`;
    const steadyWrites = steady.writes + writesOf(steady.run.result);
    targets.push({
      target: `steady sync cycle writes nothing to either system ${label}`,
      measured: `NetBox writes ${steady.writes}, Kubernetes writes ${writesOf(steady.run.result)}`,
      holds: steadyWrites === 0,
    });
    for (const [name, s, min] of [
      ['first sync', first, minimumReads],
      ['steady', steady, minimumReads],
      ['1% changed', changed, minimumReadsAfter],
    ] as const) {
      const perCycle = s.reads - VERSION_PROBE + s.writes;
      targets.push({
        target: `sync ${name}: NetBox requests ≤ 1.5× the minimum ${label}`,
        measured: `${perCycle} ÷ ${min} = ${ratio(perCycle, min).toFixed(2)} (${s.reads + s.writes} with the once-per-process version probe)`,
        holds: perCycle <= 1.5 * min,
      });
    }
    const firstWrites = writesOf(first.run.result);
    targets.push({
      target: `first sync ≤ 1 Kubernetes request per changed object + discovery and lists ${label}`,
      measured: `${first.run.result.kubeRequests} requests = ${firstWrites} writes for ${first.changed} changed objects + ${kubeBaseline(first)} discovery/lists`,
      holds: firstWrites <= first.changed,
    });
    targets.push({
      target: `first sync of ${lab.pools} pools ≥ 5× faster than one-at-a-time ${label}`,
      measured: `one-at-a-time ${(base.ms / 1000).toFixed(1)} s ÷ ours ${(first.run.result.cycleMs / 1000).toFixed(2)} s = ${speedup.toFixed(1)}×`,
      holds: speedup >= 5,
    });
    return { rows, targets };
  } finally {
    await proxy.close();
    await cleanUp(lab, env);
  }
}

function writesOf(out: CycleChildOutput): number {
  const v = out.kubeByVerb;
  return (v['create'] ?? 0) + (v['apply'] ?? 0) + (v['patch'] ?? 0) + (v['delete'] ?? 0);
}

async function run(env: BenchEnv): Promise<ScenarioResult> {
  const rows: BenchRow[] = [];
  const targets: TargetCheck[] = [];
  const pools = Math.max(60, Math.round(POOLS * env.scale));
  const emulator = await startEmulator({ knobs: { ...LATENCY_MODEL } });
  try {
    const r = await measure(
      {
        kind: 'emulator',
        cluster: 'bsync-emu',
        namespace: 'bench-sync-emu',
        netbox: { url: emulator.url, token: emulator.tokens.v1 },
        stats: { reset: () => emulator.resetStats(), read: () => emulator.stats() },
        second: 16,
        pools,
        note: `emulator, ${LATENCY_MODEL.latencyMs} ms/request + ${LATENCY_MODEL.latencyPerWrittenObjectMs} ms/object written, ${LATENCY_MODEL.workers} workers`,
      },
      env,
    );
    rows.push(...r.rows);
    targets.push(...r.targets);
  } finally {
    await emulator.close();
  }
  const real = env.realNetBox;
  if (real === undefined) {
    env.log('sync: real NetBox skipped (BENCH_NETBOX=emulator)');
    return { rows, targets };
  }
  const r = await measure(
    {
      kind: 'real',
      cluster: 'bsync-real',
      namespace: 'bench-sync-real',
      netbox: { url: real.url, token: real.tokens.v1 },
      second: 32,
      pools,
      note: `real NetBox ${real.version}`,
    },
    env,
  );
  rows.push(...r.rows);
  targets.push(...r.targets);
  return { rows, targets };
}

export const scenario: Scenario = {
  name: 'sync',
  description:
    'sync of 2,000 NetBox pools over all six kinds: first sync, steady cycle, 1% changed, and the one-at-a-time baseline (GET + apply per create) in the same run',
  run,
};
