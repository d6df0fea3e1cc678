/**
 * The naive baseline (issue 16, scenario 3): N record changes the way a quick script or an Ansible loop makes
 * them — per object one GET (does it exist?) and one POST — against our way for the same N changes in the same
 * run: the product's writeback cycle (src/cycle.ts runWriteback, in a child process) recording N live Whereabouts
 * allocations as IP addresses. Both go through the same counting proxy to the same NetBox.
 *
 * Same changes: ours runs first; the records it created are read back, deleted (set-up, not measured), and the
 * naive loop creates exactly those bodies again. So both start from the same NetBox state and write the same rows.
 *
 * - emulator, latency model 5 ms per request + 0.2 ms per object written, 2 workers: 10,000 changes.
 * - real NetBox (one gunicorn worker per core): a slice of 300, because the naive loop costs ~164 ms per object
 *   there (27 minutes for 10,000, more than the whole bench may take).
 */
import { startEmulator } from '../../dev/netbox-emulator/index.ts';
import { runCycleInChild } from '../lib/cycle-child.ts';
import { startCountingProxy } from '../lib/measure.ts';
import { bulkDelete, listAll, nb } from '../lib/netbox-http.ts';
import type { NetBoxTarget } from '../lib/netbox-http.ts';
import { ratio } from '../lib/report.ts';
import type { BenchEnv, BenchRow, Scenario, ScenarioResult, TargetCheck } from '../lib/types.ts';
import { whereaboutsLab } from '../lib/whereabouts-lab.ts';

export const LATENCY_MODEL = { latencyMs: 5, latencyPerWrittenObjectMs: 0.2, workers: 2 } as const;
const EMULATOR_CHANGES = 10_000;
const REAL_SLICE = 300;
const PAGE_SIZE = 1000;
const BATCH_SIZE = 100;

interface NbAddress {
  id: number;
  address: string;
  status: { value: string } | string;
  vrf: { id: number } | null;
  tenant: { id: number } | null;
  description: string;
  tags: { slug: string }[];
  custom_fields: Record<string, unknown>;
}

/** The write body that recreates `a` as it is. */
function bodyOf(a: NbAddress): Record<string, unknown> {
  return {
    address: a.address,
    status: typeof a.status === 'string' ? a.status : a.status.value,
    vrf: a.vrf?.id ?? null,
    tenant: a.tenant?.id ?? null,
    description: a.description,
    tags: a.tags.map(t => ({ slug: t.slug })),
    custom_fields: Object.fromEntries(Object.entries(a.custom_fields).filter(([, v]) => v !== null)),
  };
}

/** The loop: GET by address (in its VRF), then POST when absent or PATCH when present; one at a time. */
async function naiveLoop(t: NetBoxTarget, bodies: readonly Record<string, unknown>[]): Promise<number> {
  let written = 0;
  for (const body of bodies) {
    const host = String(body['address']).split('/')[0] ?? '';
    const vrf = typeof body['vrf'] === 'number' ? String(body['vrf']) : 'null';
    const found = await nb<{ results: { id: number }[] }>(
      t,
      'GET',
      `ipam/ip-addresses/?address=${encodeURIComponent(host)}&vrf_id=${vrf}`,
    );
    const existing = found.results[0];
    if (existing === undefined) await nb(t, 'POST', 'ipam/ip-addresses/', body);
    else await nb(t, 'PATCH', `ipam/ip-addresses/${existing.id}/`, body);
    written++;
  }
  return written;
}

interface Compared {
  rows: BenchRow[];
  naiveMs: number;
  oursMs: number;
  size: number;
  oursRequests: number;
  minimum: number;
}

async function compare(
  env: BenchEnv,
  o: { netbox: NetBoxTarget; kind: 'real' | 'emulator'; size: number; second: number; note: string },
): Promise<Compared> {
  const cluster = `naive-${o.kind}`;
  env.log(`${o.kind}: set-up (bootstrap, ${Math.ceil(o.size / 1000)} prefixes, sync, ${o.size} allocations)`);
  const lab = await whereaboutsLab({
    cluster,
    netbox: o.netbox,
    controlPlane: env.controlPlane,
    allocations: o.size,
    second: o.second,
  });
  const proxy = await startCountingProxy(o.netbox.url);
  try {
    env.log(`${o.kind}: ours — one writeback cycle of ${o.size} allocations`);
    proxy.reset();
    const ours = await runCycleInChild({
      job: 'writeback',
      config: lab.config(proxy.url),
      token: o.netbox.token,
      kubeconfig: env.controlPlane.kubeconfigPath,
    });
    const oursCounts = proxy.counts();
    if (ours.result.failed.length > 0 || ours.result.applied !== o.size) {
      throw new Error(
        `our writeback applied ${ours.result.applied} of ${o.size}: ${ours.result.failed.slice(0, 5).join('; ')}`,
      );
    }
    const tagQuery = `tag=${lab.managedTag}&tag=${lab.clusterTag}`;
    const written = await listAll<NbAddress>(o.netbox, `ipam/ip-addresses/?${tagQuery}`);
    if (written.length !== o.size) throw new Error(`NetBox holds ${written.length} of our ${o.size} records`);
    const bodies = written.map(bodyOf);
    env.log(`${o.kind}: deleting our ${written.length} records again (not measured)`);
    await bulkDelete(
      o.netbox,
      'ipam/ip-addresses/',
      written.map(a => a.id),
    );

    env.log(`${o.kind}: naive — GET + POST per record, ${bodies.length} records`);
    proxy.reset();
    const n0 = performance.now();
    await naiveLoop({ url: proxy.url, token: o.netbox.token }, bodies);
    const naiveMs = performance.now() - n0;
    const naiveCounts = proxy.counts();
    const again = await listAll<NbAddress>(o.netbox, `ipam/ip-addresses/?${tagQuery}`);
    if (again.length !== o.size) throw new Error(`after the naive loop NetBox holds ${again.length} of ${o.size}`);

    // The least any client could send: one page per object type read (prefixes, IP ranges, IP addresses in the
    // selected space; all fit one page here) and ceil(changes ÷ batch) bulk writes.
    const minimum = 3 * Math.ceil(Math.max(1, lab.pools) / PAGE_SIZE) + Math.ceil(o.size / BATCH_SIZE);
    const oursRequests = oursCounts.reads + oursCounts.writes;
    const oursMs = ours.result.cycleMs;
    const perObject = (ms: number) => `${(ms / o.size).toFixed(2)} ms/object`;
    const rows: BenchRow[] = [
      {
        scenario: 'naive',
        step: 'naive GET+POST each',
        netbox: o.kind,
        size: o.size,
        wallMs: naiveMs,
        netboxReads: naiveCounts.reads,
        netboxWrites: naiveCounts.writes,
        kubeRequests: 0,
        extra: { 'per object': perObject(naiveMs) },
        notes: `${o.note}; one request at a time, as a script loop; reads no cluster (it is handed the records)`,
      },
      {
        scenario: 'naive',
        step: 'ours (writeback)',
        netbox: o.kind,
        size: o.size,
        wallMs: oursMs,
        netboxReads: oursCounts.reads,
        netboxWrites: oursCounts.writes,
        kubeRequests: ours.result.kubeRequests,
        peakRssMiB: ours.peakRssMiB,
        ratios: { 'naive ÷ ours': ratio(naiveMs, oursMs), 'requests ÷ minimum': ratio(oursRequests, minimum) },
        extra: {
          'per object': perObject(oursMs),
          'child wall incl. start': `${(ours.wallMs / 1000).toFixed(2)} s`,
          minimum: `${minimum} requests`,
        },
        notes: `${o.note}; runWriteback in a child process (reads NetBox and the cluster, then bulk writes)`,
      },
    ];
    return { rows, naiveMs, oursMs, size: o.size, oursRequests, minimum };
  } finally {
    await proxy.close();
  }
}

async function run(env: BenchEnv): Promise<ScenarioResult> {
  const rows: BenchRow[] = [];
  const targets: TargetCheck[] = [];
  const size = Math.max(100, Math.round(EMULATOR_CHANGES * env.scale));
  const emulator = await startEmulator({ knobs: { ...LATENCY_MODEL } });
  try {
    const c = await compare(env, {
      netbox: { url: emulator.url, token: emulator.tokens.v1 },
      kind: 'emulator',
      size,
      second: 231,
      note: `emulator, ${LATENCY_MODEL.latencyMs} ms/request + ${LATENCY_MODEL.latencyPerWrittenObjectMs} ms/object written, ${LATENCY_MODEL.workers} workers`,
    });
    rows.push(...c.rows);
    const r = c.naiveMs / c.oursMs;
    targets.push({
      target: `≥ 20× faster than the naive baseline at ${size.toLocaleString('en')} changes (emulator latency model)`,
      measured: `naive ${(c.naiveMs / 1000).toFixed(1)} s ÷ ours ${(c.oursMs / 1000).toFixed(2)} s = ${r.toFixed(1)}×`,
      holds: r >= 20,
    });
    targets.push({
      target: 'writeback requests ≤ 1.5× the minimum (naive scenario)',
      measured: `${c.oursRequests} ÷ ${c.minimum} = ${(c.oursRequests / c.minimum).toFixed(2)}`,
      holds: c.oursRequests <= 1.5 * c.minimum,
    });
  } finally {
    await emulator.close();
  }

  const real = env.realNetBox;
  if (real === undefined) {
    env.log('real NetBox skipped (BENCH_NETBOX=emulator)');
    return { rows, targets };
  }
  const slice = Math.max(50, Math.round(REAL_SLICE * env.scale));
  const c = await compare(env, {
    netbox: { url: real.url, token: real.tokens.v1 },
    kind: 'real',
    size: slice,
    second: 232,
    note: `real NetBox ${real.version}; a slice of ${slice}: naive at ~164 ms/object would take ~27 min for 10,000`,
  });
  rows.push(...c.rows);
  const perNaive = c.naiveMs / c.size;
  const perOurs = c.oursMs / c.size;
  targets.push({
    target: 'beat 5.6× over the naive baseline on real NetBox (per object)',
    measured: `naive ${perNaive.toFixed(1)} ms/object ÷ ours ${perOurs.toFixed(1)} ms/object = ${(perNaive / perOurs).toFixed(1)}× (slice of ${c.size})`,
    holds: perNaive / perOurs > 5.6,
  });
  return { rows, targets };
}

export const scenario: Scenario = {
  name: 'naive',
  description:
    'the naive baseline (GET + POST per record, one at a time) against our writeback for the same records: 10,000 on the emulator latency model, a 300 slice on real NetBox',
  run,
};
