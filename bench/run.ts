/**
 * `npm run bench [-- names…]` (issue 16): starts the environment once — a real kube-apiserver + etcd, real NetBox
 * 4.7 with one gunicorn worker per core (BENCH_NETBOX=emulator skips it), Redis — runs every scenario module under
 * bench/scenarios/ that exports `scenario` (or the ones named), one after another, prints one table and the target
 * checks, and writes bench/results/<date>.json. Numbers only: a target that does not hold is reported, not thrown.
 *   BENCH_SCALE=0.1 shrinks every scenario's sizes for a quick look.
 * Exit code: 0 when every scenario ran (whatever the targets say), 1 when one failed, 130 when interrupted.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startControlPlane } from '../dev/control-plane/index.ts';
import type { ControlPlane } from '../dev/control-plane/index.ts';
import { startNetBox } from '../dev/netbox-real/index.ts';
import type { RealNetBox } from '../dev/netbox-real/index.ts';
import { startRedis } from '../dev/redis.ts';
import type { TestRedis } from '../dev/redis.ts';
import { formatTable, formatTargets, resultsFileName, seconds } from './lib/report.ts';
import type { BenchEnv, BenchRow, Scenario, TargetCheck } from './lib/types.ts';

const here = dirname(fileURLToPath(import.meta.url));
/** The order scenarios run in when all run; others follow by name. Sync first: it is what a cluster sees first. */
const PREFERRED = ['sync', 'writeback', 'floor', 'naive', 'events'];

function log(line: string): void {
  const t = new Date().toISOString().slice(11, 19);
  process.stdout.write(`${t} ${line}\n`);
}

function parseScale(text: string | undefined): number {
  if (text === undefined || text === '') return 1;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > 10) throw new Error(`BENCH_SCALE=${text}: expected a number in (0, 10]`);
  return n;
}

/** Every bench/scenarios/*.ts that exports `scenario`, in run order. */
async function discover(): Promise<{ scenario: Scenario; file: string }[]> {
  const dir = join(here, 'scenarios');
  const files = readdirSync(dir).filter(f => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'));
  const found: { scenario: Scenario; file: string }[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { scenario?: Scenario };
    if (mod.scenario === undefined) continue; // a helper module of a scenario, or a child-process entry point
    if (typeof mod.scenario.run !== 'function' || typeof mod.scenario.name !== 'string') {
      throw new Error(`bench/scenarios/${file}: \`scenario\` is not a Scenario (name, description, run)`);
    }
    found.push({ scenario: mod.scenario, file });
  }
  const names = new Map<string, string>();
  for (const { scenario, file } of found) {
    const other = names.get(scenario.name);
    if (other) throw new Error(`scenario name ${scenario.name} is exported by both ${other} and ${file}`);
    names.set(scenario.name, file);
  }
  const rank = (name: string): number => {
    const i = PREFERRED.indexOf(name);
    return i === -1 ? PREFERRED.length : i;
  };
  return found.sort(
    (a, b) => rank(a.scenario.name) - rank(b.scenario.name) || a.scenario.name.localeCompare(b.scenario.name),
  );
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8' }).trim();
  } catch (err) {
    return `unknown (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
}

interface Started {
  controlPlane?: ControlPlane;
  realNetBox?: RealNetBox;
  redis?: TestRedis;
}

async function stopAll(started: Started): Promise<void> {
  const results = await Promise.allSettled([
    started.realNetBox?.stop(),
    started.redis?.stop(),
    started.controlPlane?.stop(),
  ]);
  for (const r of results) if (r.status === 'rejected') log(`stopping the environment: ${String(r.reason)}`);
}

async function main(): Promise<number> {
  const t0 = performance.now();
  const startedAt = new Date();
  const scale = parseScale(process.env['BENCH_SCALE']);
  const netboxMode = process.env['BENCH_NETBOX'] ?? 'real';
  if (netboxMode !== 'real' && netboxMode !== 'emulator') {
    throw new Error(`BENCH_NETBOX=${netboxMode}: expected real (default) or emulator`);
  }
  const picked = process.argv.slice(2).filter(a => a !== '--');
  const all = await discover();
  const unknown = picked.filter(p => !all.some(s => s.scenario.name === p));
  if (unknown.length > 0) {
    throw new Error(`unknown scenario ${unknown.join(', ')}; there are: ${all.map(s => s.scenario.name).join(', ')}`);
  }
  const chosen = picked.length > 0 ? all.filter(s => picked.includes(s.scenario.name)) : all;
  log(`scenarios: ${chosen.map(s => s.scenario.name).join(', ') || '(none)'}; scale ${scale}; NetBox ${netboxMode}`);

  const started: Started = {};
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping the environment`);
    void stopAll(started).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const rows: BenchRow[] = [];
  const targets: (TargetCheck & { scenario: string })[] = [];
  const failures: { scenario: string; error: string }[] = [];
  const cores = os.availableParallelism();
  const loadAtStart = os.loadavg();
  let setupMs: number;
  try {
    const s0 = performance.now();
    const [controlPlane, redis, realNetBox] = await Promise.all([
      startControlPlane({ log }).then(cp => (started.controlPlane = cp)),
      startRedis().then(r => (started.redis = r)),
      netboxMode === 'real'
        ? startNetBox({ workers: cores, log }).then(nb => (started.realNetBox = nb))
        : Promise.resolve(undefined),
    ]);
    setupMs = performance.now() - s0;
    log(
      `environment up in ${seconds(setupMs)}: kube-apiserver ${controlPlane.versions.kubernetes}, etcd ` +
        `${controlPlane.versions.etcd}, Redis ${redis.version}` +
        (realNetBox ? `, NetBox ${realNetBox.version} (${cores} gunicorn workers) at ${realNetBox.url}` : ''),
    );
    const env: BenchEnv = { controlPlane, realNetBox, redis, scale, log };
    for (const { scenario } of chosen) {
      if (interrupted) break;
      log(`── ${scenario.name}: ${scenario.description}`);
      const st = performance.now();
      try {
        const result = await scenario.run({ ...env, log: line => log(`[${scenario.name}] ${line}`) });
        rows.push(...result.rows);
        targets.push(...result.targets.map(t => ({ ...t, scenario: scenario.name })));
        log(`── ${scenario.name} done in ${seconds(performance.now() - st)}`);
      } catch (err) {
        const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
        failures.push({ scenario: scenario.name, error });
        log(`── ${scenario.name} FAILED after ${seconds(performance.now() - st)}: ${error}`);
        targets.push({
          scenario: scenario.name,
          target: 'the scenario runs',
          measured: 'it failed (above)',
          holds: false,
        });
      }
    }
  } finally {
    await stopAll(started);
  }
  if (interrupted) return 130;

  const totalWallMs = performance.now() - t0;
  console.log(`\n${formatTable(rows)}\n\nTargets (issue 16)\n${formatTargets(targets)}\n`);
  const file = join(here, 'results', resultsFileName(startedAt, picked));
  mkdirSync(dirname(file), { recursive: true });
  const versions: Record<string, string> = { node: process.version };
  if (started.controlPlane) {
    versions['kubernetes'] = started.controlPlane.versions.kubernetes;
    versions['etcd'] = started.controlPlane.versions.etcd;
  }
  if (started.redis) versions['redis'] = started.redis.version;
  if (started.realNetBox) {
    versions['netbox'] = started.realNetBox.version;
    versions['python'] = started.realNetBox.python;
    versions['postgres'] = started.realNetBox.postgresVersion;
  }
  const json = {
    startedAt: startedAt.toISOString(),
    commit: gitCommit(),
    scenarios: chosen.map(s => s.scenario.name),
    scale,
    netbox: netboxMode,
    machine: {
      cores,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryMiB: Math.round(os.totalmem() / 2 ** 20),
      loadAverage: { atStart: loadAtStart, atEnd: os.loadavg() },
    },
    versions,
    setupMs: Math.round(setupMs),
    totalWallMs: Math.round(totalWallMs),
    rows,
    targets,
    failures,
  };
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  const held = targets.filter(t => t.holds).length;
  log(
    `total ${seconds(totalWallMs)} (environment ${seconds(setupMs)}); targets: ${held} of ${targets.length} hold; ` +
      `load average ${os
        .loadavg()
        .map(l => l.toFixed(1))
        .join(' ')} on ${cores} cores; written ${file}`,
  );
  return failures.length > 0 ? 1 : 0;
}

main().then(
  code => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
