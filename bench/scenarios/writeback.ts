/**
 * Writeback (issue 16, scenarios 2 and 4): live allocations → NetBox records, and NetBox's own floor.
 *
 * What runs, per NetBox:
 *   real NetBox (skipped with BENCH_NETBOX=emulator): 5,000 live allocations × BENCH_SCALE (2,500 Calico pod IPs
 *     in 40 IPAMBlocks, 2,400 Whereabouts pod IPs, 100 LoadBalancer Services): 2,540 records; first the
 *     calibration (below).
 *   emulator with the calibrated latency model: 100,000 × BENCH_SCALE (97,500 Calico pod IPs in 1,524 packed /26
 *     blocks, 2,350 Whereabouts pod IPs in 3 pools, 150 Services — the test apiserver's service range is a /24):
 *     4,024 records.
 * The allocations are real objects in the real kube-apiserver, written the way Calico, Whereabouts and MetalLB
 * store them (writeback-lab.ts); the daemon's pools are put there by a real sync cycle first. Each step is one
 * `runWriteback` in a child process (writeback-child.ts: peak RSS is the daemon's alone) through a counting proxy:
 *   first     — every allocation recorded (Calico per /26 block as a child prefix, the others per address)
 *   steady    — nothing changed: must write nothing
 *   1% churn  — 1 % of the allocations of every source replaced (Calico: whole blocks; Whereabouts: pods;
 *               Services): the gone ones are marked stale, the new ones created
 *   floor     — NetBox reset, bootstrapped and seeded with the pools again, then the bare bulk POSTs carrying
 *               exactly the bodies of the first writeback (floor.ts)
 * Ratios: requests ÷ minimum, where the minimum is max(1, ceil(rows of the selected space ÷ page size)) reads
 * per object type (prefixes, IP ranges, IP addresses) plus ceil(changes ÷ batch size) writes per model and
 * request kind (POST / PATCH / DELETE); ours ÷ floor on the first writeback.
 *
 * Calibration (writeback-calibrate.ts, re-measured every run on real NetBox, printed in the log and in the JSON):
 * bulk POST, PATCH and DELETE of 1, 10 and 50 records of each model, shaped exactly like ours, one request at a
 * time; least squares of time = latencyMs + latencyPerWrittenObjectMs × objects; list pages of 1/20/120
 * addresses give latencyPerObjectMs (per object returned); workers = the server's gunicorn workers (one per
 * core); the same creates at 1–4 requests in flight pick the concurrency (best throughput, the smaller within
 * 5 %) that both our writeback (netbox.writeConcurrency) and the floor use. Without real NetBox the emulator
 * runs the figures of shared/reference/netbox-real.md (25 ms per object written, 2 ms per object read) and the
 * notes say so.
 */
import { availableParallelism } from 'node:os';
import { startEmulator } from '../../dev/netbox-emulator/index.ts';
import type { Knobs } from '../../dev/netbox-emulator/index.ts';
import { NetBoxClient } from '../../src/netbox/client/index.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import { writebackSettings } from '../../src/writeback/settings.ts';
import { startCountingProxy } from '../lib/measure.ts';
import type { BenchEnv, BenchRow, Scenario, ScenarioResult, TargetCheck } from '../lib/types.ts';
import { measureFloor, runAsDaemon } from './floor.ts';
import { calibrate } from './writeback-calibrate.ts';
import type { Calibration } from './writeback-calibrate.ts';
import type { ChildInput, ChildOutput } from './writeback-child.ts';
import { allocationsOf, startWritebackLab } from './writeback-lab.ts';
import type { LabTarget, Mix } from './writeback-lab.ts';

const BATCH = 100;
const PAGE = 1000;

const scaled = (m: Mix, scale: number): Mix => ({
  calicoPods: Math.max(64, Math.round(m.calicoPods * scale)),
  whereaboutsPods: Math.max(10, Math.round(m.whereaboutsPods * scale)),
  lbServices: Math.max(2, Math.round(m.lbServices * scale)),
});

// LoadBalancer Services need a ClusterIP, and the test apiserver's service range is a /24 shared by every
// scenario: 150 Services at most, the rest of the per-address records are Whereabouts pods.
const REAL_MIX: Mix = { calicoPods: 2500, whereaboutsPods: 2400, lbServices: 100 };
// 4,024 records: what fits the bench's 20 minutes at real NetBox's cost per object (twice: ours and the floor).
const EMULATOR_MIX: Mix = { calicoPods: 97_500, whereaboutsPods: 2350, lbServices: 150 };

/** Minimum writes: ceil(changes ÷ batch) per model and request kind. */
function minimumWrites(changes: ChildOutput['changes']): number {
  const byRequest = new Map<string, number>();
  for (const [action, models] of Object.entries(changes)) {
    const verb = action === 'create' ? 'POST' : action === 'delete' ? 'DELETE' : 'PATCH';
    for (const [model, n] of Object.entries(models)) {
      byRequest.set(`${verb} ${model}`, (byRequest.get(`${verb} ${model}`) ?? 0) + n);
    }
  }
  return [...byRequest.values()].reduce((s, n) => s + Math.ceil(n / BATCH), 0);
}

/** Minimum reads: rows of the selected space per object type, one page at least each. */
const minimumReads = (rows: { prefixes: number; ranges: number; addresses: number }): number =>
  [rows.prefixes, rows.ranges, rows.addresses].reduce((s, n) => s + Math.max(1, Math.ceil(n / PAGE)), 0);

interface PartResult {
  rows: BenchRow[];
  targets: TargetCheck[];
}

async function runPart(o: {
  env: BenchEnv;
  netbox: 'real' | 'emulator';
  target: LabTarget;
  mix: Mix;
  base: number;
  /** Bulk requests in flight (ours and the floor's); asked after the calibration. */
  concurrency: () => number;
  /** Back to an empty NetBox (for the floor). */
  reset: () => Promise<void>;
  calibrate?: (lab: { client: NetBoxClient; settings: ReturnType<typeof writebackSettings> }) => Promise<void>;
  notes: string;
}): Promise<PartResult> {
  const { env } = o;
  const label = `writeback (${o.netbox})`;
  await o.reset();
  const proxy = await startCountingProxy(o.target.url);
  const lab = await startWritebackLab({
    target: o.target,
    kubeconfigPath: env.controlPlane.kubeconfigPath,
    admin: env.controlPlane.admin,
    mix: o.mix,
    base: o.base,
    log: line => env.log(line),
  });
  const client = new NetBoxClient({ url: o.target.url, token: o.target.token, timeoutMs: 600_000 });
  const settings = writebackSettings(lab.config, ADAPTERS);
  const rows: BenchRow[] = [];
  const targets: TargetCheck[] = [];
  try {
    await o.calibrate?.({ client, settings });
    const concurrency = o.concurrency();
    const now = new Date().toISOString();
    const input = (mode: 'plan' | 'writeback'): ChildInput => ({
      mode,
      netboxUrl: proxy.url,
      token: o.target.token,
      kubeconfigPath: env.controlPlane.kubeconfigPath,
      rawConfig: lab.rawConfig,
      now,
      batchSize: BATCH,
      writeConcurrency: concurrency,
    });
    const plan = await runAsDaemon<ChildOutput>(input('plan'));
    const bodies = plan.result.bodies ?? [];
    const records = bodies.reduce((n, b) => n + b.bodies.length, 0);
    env.log(`${label}: ${lab.allocations()} allocations plan ${records} records (${plan.result.conflicts} conflicts)`);

    const pools = 2 + Math.ceil(o.mix.whereaboutsPods / 1000);
    const blockRecords = Math.ceil(o.mix.calicoPods / 64);
    const step = async (name: string, spaceRows: { prefixes: number; ranges: number; addresses: number }) => {
      proxy.reset();
      const run = await runAsDaemon<ChildOutput>(input('writeback'));
      const r = run.result;
      if (r.failed > 0) throw new Error(`${label} ${name}: ${r.failed} changes failed: ${r.failures.join(' | ')}`);
      const counts = proxy.counts();
      const minimum = minimumReads(spaceRows) + minimumWrites(r.changes);
      const changes = Object.values(r.changes).reduce((s, m) => s + Object.values(m).reduce((a, b) => a + b, 0), 0);
      const row: BenchRow = {
        scenario: 'writeback',
        step: name,
        netbox: o.netbox,
        size: r.allocations,
        wallMs: r.workMs,
        netboxReads: counts.reads,
        netboxWrites: counts.writes,
        kubeRequests: r.kubeRequests,
        peakRssMiB: run.peakRssMiB,
        ratios: { 'requests ÷ minimum': (counts.reads + counts.writes) / minimum },
        extra: {
          changes,
          plan: Object.entries(r.changes)
            .map(
              ([a, m]) =>
                `${a} ${Object.entries(m)
                  .map(([k, n]) => `${n} ${k}`)
                  .join(' + ')}`,
            )
            .join(', '),
          unchanged: r.unchanged,
          minimumRequests: minimum,
          writeConcurrency: concurrency,
        },
        notes: o.notes,
      };
      rows.push(row);
      env.log(
        `${label} ${name}: ${(r.workMs / 1000).toFixed(1)} s, ${counts.reads} reads / ${counts.writes} writes ` +
          `(minimum ${minimum}), ${r.kubeRequests} kube requests, ${run.peakRssMiB.toFixed(0)} MiB, ${row.extra?.['plan'] ?? ''}`,
      );
      return row;
    };
    const written = { prefixes: pools + blockRecords, ranges: 0, addresses: o.mix.whereaboutsPods + o.mix.lbServices };
    const first = await step('first writeback', { prefixes: pools, ranges: 0, addresses: 0 });
    const steady = await step('steady', written);
    const churned = await lab.churn(0.01);
    env.log(`${label}: churn replaced ${churned.removed} allocations by ${churned.added}`);
    const churnRow = await step('1% churn', written);

    await lab.cleanup().catch((err: unknown) => env.log(`${label}: cleanup of the apiserver failed: ${String(err)}`));
    await o.reset();
    // The floor's NetBox holds what ours held before the first writeback: tags, custom fields, the pools.
    await lab.reseed();
    const floor = await measureFloor({
      proxy,
      token: o.target.token,
      bodies,
      batchSize: BATCH,
      concurrency,
      netbox: o.netbox,
      notes: o.notes,
    });
    rows.push(floor);
    env.log(
      `${label} floor: ${(floor.wallMs / 1000).toFixed(1)} s for ${floor.size} records, ${floor.netboxWrites} POSTs`,
    );
    const ratio = first.wallMs / floor.wallMs;
    first.ratios = { ...first.ratios, 'ours ÷ floor': ratio };
    await o.reset();

    const within = (row: BenchRow) => (row.ratios?.['requests ÷ minimum'] ?? Infinity) <= 1.5;
    targets.push(
      {
        target: `writeback steady state writes nothing (${o.netbox})`,
        measured: `${steady.netboxWrites} NetBox writes, ${steady.extra?.['changes'] ?? '?'} changes planned`,
        holds: steady.netboxWrites === 0,
      },
      {
        target: `writeback requests ≤ 1.5× the minimum (${o.netbox})`,
        measured: [first, steady, churnRow]
          .map(r => `${r.step} ${(r.ratios?.['requests ÷ minimum'] ?? 0).toFixed(2)}×`)
          .join(', '),
        holds: [first, steady, churnRow].every(within),
      },
      {
        target: `writeback within 1.3× of NetBox's floor (${o.netbox})`,
        measured: `${(first.wallMs / 1000).toFixed(1)} s ÷ ${(floor.wallMs / 1000).toFixed(1)} s = ${ratio.toFixed(2)}×`,
        holds: ratio <= 1.3,
      },
    );
    if (o.netbox === 'emulator') {
      const peak = Math.max(first.peakRssMiB ?? 0, steady.peakRssMiB ?? 0, churnRow.peakRssMiB ?? 0);
      targets.push({
        target: `peak RSS under 300 MB with ${allocationsOf(o.mix).toLocaleString('en')} allocations`,
        measured: `${peak.toFixed(0)} MiB (${(peak * 1.048576).toFixed(0)} MB)`,
        holds: peak * 1.048576 < 300,
      });
    }
  } finally {
    await lab.cleanup().catch((err: unknown) => env.log(`${label}: cleanup: ${String(err)}`));
    await proxy.close();
  }
  return { rows, targets };
}

export const scenario: Scenario = {
  name: 'writeback',
  description:
    'first writeback, steady state and 1% churn of live allocations (real apiserver objects) on real NetBox (5,000) ' +
    'and on the emulator with a latency model calibrated from real NetBox (100,000), and the floor: bare bulk POSTs ' +
    'of the same records',
  async run(env: BenchEnv): Promise<ScenarioResult> {
    const rows: BenchRow[] = [];
    const targets: TargetCheck[] = [];
    const cores = availableParallelism();
    let cal: Calibration | undefined;
    const real = env.realNetBox;
    if (real !== undefined) {
      const part = await runPart({
        env,
        netbox: 'real',
        target: { url: real.url, token: real.tokens.v1 },
        mix: scaled(REAL_MIX, env.scale),
        base: 96,
        concurrency: () => cal?.bestConcurrency ?? cores,
        reset: () => real.reset(),
        calibrate: async lab => {
          cal = await calibrate({
            target: { url: real.url, token: real.tokens.v1 },
            client: lab.client,
            settings: lab.settings,
            workers: cores,
            log: line => env.log(line),
          });
        },
        notes: `real NetBox ${real.version}, ${cores} gunicorn workers`,
      });
      rows.push(...part.rows);
      targets.push(...part.targets);
    }
    const model: Pick<Knobs, 'latencyMs' | 'latencyPerWrittenObjectMs' | 'latencyPerObjectMs' | 'workers'> = cal
      ? {
          latencyMs: cal.latencyMs,
          latencyPerWrittenObjectMs: cal.latencyPerWrittenObjectMs,
          latencyPerObjectMs: cal.latencyPerObjectMs,
          workers: cal.workers,
        }
      : { latencyMs: 50, latencyPerWrittenObjectMs: 25, latencyPerObjectMs: 2, workers: cores };
    const concurrency = cal?.bestConcurrency ?? cores;
    const describe =
      `emulator, latency model ${cal ? 'calibrated on real NetBox in this run' : 'of shared/reference/netbox-real.md (uncalibrated: no real NetBox in this run)'}: ` +
      `${model.latencyMs} ms/request + ${model.latencyPerWrittenObjectMs} ms/object written + ` +
      `${model.latencyPerObjectMs} ms/object returned, ${model.workers} workers; writeConcurrency ${concurrency}`;
    env.log(`writeback: ${describe}`);
    const emu = await startEmulator({ knobs: model });
    try {
      const part = await runPart({
        env,
        netbox: 'emulator',
        target: { url: emu.url, token: emu.tokens.v1 },
        mix: scaled(EMULATOR_MIX, env.scale),
        base: 64,
        concurrency: () => concurrency,
        reset: () => {
          emu.reset();
          return Promise.resolve();
        },
        notes: describe,
      });
      rows.push(...part.rows);
      targets.push(...part.targets);
    } finally {
      await emu.close();
    }
    if (cal !== undefined) {
      rows.push({
        scenario: 'writeback',
        step: 'calibration',
        netbox: 'real',
        size: cal.points.reduce((n, p) => n + p.objects, 0),
        wallMs: cal.points.reduce((n, p) => n + p.ms, 0),
        netboxReads: 6,
        netboxWrites: cal.points.length + 24,
        kubeRequests: 0,
        extra: {
          latencyMs: cal.latencyMs,
          latencyPerWrittenObjectMs: cal.latencyPerWrittenObjectMs,
          latencyPerObjectMs: cal.latencyPerObjectMs,
          workers: cal.workers,
          bestConcurrency: cal.bestConcurrency,
          throughput: Object.entries(cal.throughput)
            .map(([c, t]) => `${c}: ${t.toFixed(1)}/s`)
            .join(', '),
          points: cal.points.map(p => `${p.op} ${p.objects} ${p.model} ${p.ms.toFixed(0)}`).join('; '),
        },
        notes: 'bulk POST/PATCH/DELETE of 1/10/50 records per model, one at a time; least squares',
      });
    }
    return { rows, targets };
  },
};
