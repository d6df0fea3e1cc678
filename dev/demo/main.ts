/**
 * `npm run demo`: the whole product on one machine in a few minutes. Starts the real control plane with our CRDs
 * and a NetBox (the emulator by default, `--netbox real` for NetBox 4.7.3), runs `netbox bootstrap`, fills NetBox
 * with a realistic estate (dev/seed/demo.json), prints the plan, runs the daemon (`run`: embedded, or BullMQ with
 * REDIS_URL / --redis), shows what it applied, plays the CNIs handing out addresses, shows what the daemon wrote
 * back to NetBox and the drift report, and serves the drift page and metrics until Ctrl-C (`--once`: one round).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { KubeAdmin, LiveAllocation } from '../cni/index.ts';
import { startDaemon } from '../daemon-process.ts';
import type { DaemonProcess, LogLine } from '../daemon-process.ts';
import { seedNetBox } from '../netbox-real/seed.ts';
import { CLUSTER, SEED_FILE, playCnis, prepareCluster, writeDemoConfig } from './estate.ts';
import { dim, indent, say, seconds, step } from './progress.ts';
import { annotatedNamespaces, countBy, managedObjects, netboxRecords, plural } from './report.ts';
import type { ManagedObject, NetBoxRecord } from './report.ts';
import { demoRedis, startDemoControlPlane, startDemoNetBox } from './stack.ts';
import type { DemoNetBox, NetBoxChoice } from './stack.ts';

const USAGE = `Usage: npm run demo -- [options]
  --netbox <emulator|real>  NetBox to run: the emulator (default, starts at once) or real NetBox 4.7.3 from PyPI
                            (needs PostgreSQL and Python 3.12+; the first run installs it, ~10-15 minutes)
  --once                    one round (sync, allocations, writeback, drift), a summary, then exit
  --port <n>                port of the daemon's HTTP server: /drift, /metrics, /healthz (default 8080, 0 = any)
  --netbox-port <n>         port of NetBox (default: any free port)
  --redis                   start a private redis-server: the daemon runs its jobs on BullMQ (REDIS_URL: used as is)
  --keep                    keep the demo folder (config.yaml, daemon.log) after exit
  --help`;

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const MANAGED_TAG = 'k8s-ippool-sync';
const STEPS = 9;
/** Generous bounds for one job on a busy 2-core machine; the demo waits for events, these only stop a hang. */
const JOB_WAIT_MS = 300_000;

interface Options {
  netbox: NetBoxChoice;
  once: boolean;
  port: number;
  netboxPort: number | undefined;
  redis: boolean;
  keep: boolean;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function portOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`--${name} must be a port number, got "${value}"`);
  return n;
}

function parseOptions(): Options {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        netbox: { type: 'string' },
        once: { type: 'boolean' },
        port: { type: 'string' },
        'netbox-port': { type: 'string' },
        redis: { type: 'boolean' },
        keep: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const netbox = values.netbox ?? 'emulator';
  if (netbox !== 'emulator' && netbox !== 'real') fail(`--netbox must be emulator or real, got "${netbox}"`);
  return {
    netbox,
    once: values.once === true,
    port: portOption(values.port, 'port') ?? 8080,
    netboxPort: portOption(values['netbox-port'], 'netbox-port'),
    redis: values.redis === true,
    keep: values.keep === true,
  };
}

/** Closers of everything started, run last-first on exit. */
const cleanup: { what: string; close: () => Promise<unknown> }[] = [];
let exiting = false;

async function shutdown(code: number, why?: string): Promise<never> {
  if (!exiting) {
    exiting = true;
    if (why) say(`\n${why}: stopping the demo ...`);
    for (const c of cleanup.reverse()) {
      try {
        await c.close();
      } catch (err) {
        process.stderr.write(`demo: stopping ${c.what} failed: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
    say(dim('demo: everything it started is stopped and removed'));
    process.exit(code);
  }
  return new Promise<never>(() => {});
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('exit', code => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

function expectCode(what: string, r: CliResult, ok: readonly number[]): void {
  if (!ok.includes(r.code)) {
    throw new Error(`${what} exited ${r.code}:\n${r.stderr || r.stdout}`);
  }
}

/** One short line per finished job (the whole JSON log goes to daemon.log). */
function jobLine(l: LogLine): string | undefined {
  if (l.event === 'job-failed') return `${l.job} failed: ${String(l['err'])}`;
  if (l.event !== 'job-finished') return undefined;
  const fields: Record<string, unknown> =
    {
      sync: { pools: l['pools'], applied: l['applied'], failed: l['failed'] },
      writeback: { allocations: l['allocations'], written: l['written'] },
      drift: { status: l['status'], entries: l['entries'] },
    }[l.job ?? ''] ?? {};
  const detail = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
  const reason = typeof l['reason'] === 'string' ? l['reason'] : 'see daemon.log';
  const outcome = l['ok'] === false ? ` NOT OK: ${reason}` : '';
  return `${l.job} finished in ${String(l['ms'])} ms: ${detail}${outcome}`;
}

function watchDaemonLog(file: string): (line: LogLine, raw: string) => void {
  return (line, raw) => {
    writeFileSync(file, `${raw}\n`, { flag: 'a' });
    const text = jobLine(line);
    if (text) say(dim(`    daemon │ ${text}`));
    else if (line['level'] === 40 || line['level'] === 50) say(dim(`    daemon │ ${line.msg ?? raw}`));
  };
}

const finished = (job: string, after: number) => (l: LogLine) =>
  l.event === 'job-finished' && l.job === job && typeof l['startedAt'] === 'number' && l['startedAt'] >= after;

interface Stack {
  dir: string;
  kube: KubeAdmin;
  kubeconfig: string;
  netbox: DemoNetBox;
  redisUrl: string | undefined;
  config: string;
  env: Record<string, string>;
}

async function bringUp(opts: Options): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'nbsync-demo-'));
  const removeDir = (): Promise<void> => Promise.resolve(rmSync(dir, { recursive: true, force: true }));
  if (!opts.keep) cleanup.push({ what: 'the demo folder', close: removeDir });

  step(1, STEPS, 'Kubernetes: a real kube-apiserver + etcd on loopback, with the CRDs of every pool kind');
  const { cp, kube } = await startDemoControlPlane();
  cleanup.push({ what: 'the control plane', close: () => cp.stop() });

  step(2, STEPS, opts.netbox === 'real' ? 'NetBox: the real one' : 'NetBox: the emulator');
  const netbox = await startDemoNetBox(opts.netbox, opts.netboxPort);
  cleanup.push({ what: 'NetBox', close: () => netbox.stop() });

  let redisUrl = process.env['REDIS_URL'];
  if (opts.redis && redisUrl === undefined) {
    const redis = await demoRedis();
    cleanup.push({ what: 'redis-server', close: () => redis.stop() });
    redisUrl = redis.url;
  }
  const config = writeDemoConfig({ dir, netboxUrl: netbox.url, port: opts.port });
  const env: Record<string, string> = { NETBOX_TOKEN: netbox.token, ...(redisUrl ? { REDIS_URL: redisUrl } : {}) };
  return { dir, kube, kubeconfig: cp.kubeconfigPath, netbox, redisUrl, config, env };
}

async function fillNetBox(s: Stack): Promise<void> {
  step(3, STEPS, `netbox bootstrap: the roles, tags and custom fields the conventions need (cluster "${CLUSTER}")`);
  const boot = await runCli(['netbox', 'bootstrap', '-c', s.config], s.env);
  expectCode('netbox bootstrap', boot, [0]);
  indent(boot.stdout);

  step(4, STEPS, 'NetBox estate: what a network team records (dev/seed/demo.json)');
  const counts = await seedNetBox(s.netbox.url, s.netbox.token, SEED_FILE);
  say(
    `    created ${Object.entries(counts)
      .map(([ep, n]) => `${n} ${ep.split('/')[1] ?? ep}`)
      .join(', ')}`,
  );
  say('    pod space (Calico, Cilium), secondary (Whereabouts), RDMA (NV-IPAM) and load-balancer space (MetalLB,');
  say('    Cilium LB) in the global table and VRFs lab-storage and lab-edge; gateways, a static server, a DHCP');
  say("    range, a deprecated range, a reserved prefix and another cluster's prefix (both not published)");

  step(5, STEPS, 'The cluster before the daemon');
  for (const line of await prepareCluster(s.kube)) say(`    ${line}`);
}

async function showPlan(s: Stack): Promise<void> {
  step(6, STEPS, `plan: what a sync would change (netbox-ippool-sync plan -c config.yaml)`);
  const plan = await runCli(['plan', '-c', s.config, '--kubeconfig', s.kubeconfig], s.env);
  expectCode('plan', plan, [0, 2]);
  indent(plan.stdout);
}

async function startTheDaemon(s: Stack, opts: Options): Promise<DaemonProcess> {
  const mode = s.redisUrl ? `BullMQ on ${s.redisUrl}` : 'embedded (no Redis: jobs in this process, state in memory)';
  step(7, STEPS, `run: the daemon, ${mode}`);
  const daemon = await startDaemon(['-c', s.config, '--kubeconfig', s.kubeconfig], s.env, opts.port, {
    onLine: watchDaemonLog(join(s.dir, 'daemon.log')),
    ownProcessGroup: true,
  });
  cleanup.push({ what: 'the daemon', close: () => daemon.stop() });
  // In its own process group it would outlive a demo that dies without cleaning up: take it along.
  process.on('exit', () => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  say(`    listening on ${daemon.url}; every job runs once at start (log: ${join(s.dir, 'daemon.log')})`);
  await daemon.waitForLine(finished('sync', 0), JOB_WAIT_MS, 'the first sync');
  return daemon;
}

function showApplied(objects: ManagedObject[], namespaces: string[]): void {
  say(`    applied: ${objects.length} objects of ours in the cluster (server-side apply, labelled and annotated):`);
  for (const o of objects) say(`      ${o.pool ? '+' : '·'} ${o.poolKind.padEnd(11)} ${o.kind} ${o.name}`);
  for (const ns of namespaces) say(`      ~ namespace ${ns}`);
}

interface Writeback {
  allocations: LiveAllocation[];
  live: number;
  at: number;
}

async function cnisAndWriteback(s: Stack, daemon: DaemonProcess): Promise<Writeback> {
  step(8, STEPS, 'The CNIs hand out addresses; the daemon records them in NetBox (writeback)');
  const allocations = await playCnis(s.kube);
  for (const a of allocations) say(`    ${a.what}`);
  const after = Date.now();
  say(dim('    (the watches on allocation sources queue a writeback)'));
  const wb = await daemon.waitForLine(finished('writeback', after), JOB_WAIT_MS, 'a writeback after the allocations');
  const live = typeof wb['allocations'] === 'number' ? wb['allocations'] : 0;
  return { allocations, live, at: typeof wb['endedAt'] === 'number' ? wb['endedAt'] : Date.now() };
}

function showRecords(records: NetBoxRecord[]): void {
  say(`    written back: ${records.length} records in NetBox tagged ${MANAGED_TAG}:`);
  for (const r of records) {
    say(`      ${r.model.padEnd(10)} ${r.space.padEnd(26)} ${r.vrf.padEnd(11)} ${r.status.padEnd(8)} ${r.description}`);
  }
}

interface DriftSummary {
  status: string;
  headline: string;
  counts: Record<string, number>;
  entries: { category: string; summary: string }[];
}

async function driftRound(daemon: DaemonProcess, after: number): Promise<DriftSummary> {
  step(9, STEPS, 'drift: where the cluster and NetBox still disagree (/drift, /drift.json)');
  await daemon.waitForLine(finished('drift', after), JOB_WAIT_MS, 'a drift report after the writeback');
  say(dim('    (the drift job runs on its own schedule: every 15 s here, every 15 min by default)'));
  const res = await fetch(`${daemon.url}/drift.json`);
  if (!res.ok) throw new Error(`GET /drift.json answered ${res.status}`);
  const report = (await res.json()) as DriftSummary;
  say(`    ${report.headline}`);
  for (const e of report.entries) say(`      ${e.category}: ${e.summary}`);
  return report;
}

interface Round {
  objects: ManagedObject[];
  namespaces: string[];
  allocations: LiveAllocation[];
  /** What the daemon's writeback counted. */
  liveAllocations: number;
  records: NetBoxRecord[];
  drift: DriftSummary;
  replan: CliResult;
}

function row(label: string, text: string): void {
  say(`  ${`${label}:`.padEnd(14)}${text}`);
}

function printSummary(s: Stack, daemon: DaemonProcess, r: Round, startedAt: number): void {
  const pools = r.objects.filter(o => o.pool);
  const driftCounts = Object.entries(r.drift.counts)
    .filter(([, n]) => n > 0)
    .map(([c, n]) => `${n} ${c}`)
    .join(', ');
  const companions = r.objects.length - pools.length;
  say();
  say(`Summary (${seconds(Date.now() - startedAt)}, NetBox ${s.netbox.kind} ${s.netbox.version}, cluster ${CLUSTER})`);
  row('pools', `${pools.length} created from NetBox (${countBy(pools, o => o.poolKind)})`);
  row(
    'applied',
    `${plural(r.objects.length, 'object')} (${plural(companions, 'companion')}), ` +
      `${plural(r.namespaces.length, 'namespace')} annotated`,
  );
  row(
    'allocations',
    `${r.liveAllocations} live, written by the CNIs and controllers into ${r.allocations.length} objects`,
  );
  row('written back', `${plural(r.records.length, 'NetBox record')} (${countBy(r.records, x => x.model)})`);
  row('drift', `${r.drift.status}${driftCounts ? ` (${driftCounts})` : ''}`);
  row('re-plan', r.replan.code === 0 ? 'nothing to change: a second sync writes nothing' : `exit ${r.replan.code}`);
  row('drift page', `${daemon.url}/drift`);
  row('metrics', `${daemon.url}/metrics`);
  row('NetBox', s.netbox.browseUrl);
  if (s.netbox.login) row('NetBox login', `${s.netbox.login.username} / ${s.netbox.login.password} (throwaway)`);
}

function printTryIt(s: Stack): void {
  const env = `NETBOX_TOKEN=${s.netbox.token}`;
  say();
  say('Try it while the demo runs (Ctrl-C stops and removes everything):');
  say(`  ${env} node src/cli.ts plan -c ${s.config} --kubeconfig ${s.kubeconfig}`);
  say(`  ${env} node src/cli.ts drift -c ${s.config} --kubeconfig ${s.kubeconfig} --format md`);
  say(`  KUBECONFIG=${s.kubeconfig} kubectl get ippools.projectcalico.org,ipaddresspools.metallb.io -A`);
}

async function main(): Promise<void> {
  const opts = parseOptions();
  const startedAt = Date.now();
  process.once('SIGINT', () => void shutdown(opts.once ? 130 : 0, 'Ctrl-C'));
  process.once('SIGTERM', () => void shutdown(opts.once ? 143 : 0, 'SIGTERM'));
  say(`netbox-ippool-sync demo: NetBox → Kubernetes IP pools → live allocations → NetBox`);

  const s = await bringUp(opts);
  await fillNetBox(s);
  await showPlan(s);
  const daemon = await startTheDaemon(s, opts);
  const objects = await managedObjects(s.kube, CLUSTER);
  const namespaces = await annotatedNamespaces(s.kube, CLUSTER);
  showApplied(objects, namespaces);
  const { allocations, live, at } = await cnisAndWriteback(s, daemon);
  const records = await netboxRecords(s.netbox.url, s.netbox.token, MANAGED_TAG);
  showRecords(records);
  const drift = await driftRound(daemon, at);
  const replan = await runCli(['plan', '-c', s.config, '--kubeconfig', s.kubeconfig], s.env);
  expectCode('the second plan', replan, [0, 2]);
  printSummary(
    s,
    daemon,
    { objects, namespaces, allocations, liveAllocations: live, records, drift, replan },
    startedAt,
  );

  if (opts.once) {
    // The daemon is stopped here, not by the cleanup, to check that it exits 0 on SIGTERM.
    cleanup.splice(
      cleanup.findIndex(c => c.what === 'the daemon'),
      1,
    );
    const code = await daemon.stop();
    if (code !== 0) throw new Error(`the daemon exited ${code} on SIGTERM; see its log`);
    await shutdown(0);
  }
  printTryIt(s);
  await new Promise<never>(() => {});
}

main().catch(async (err: unknown) => {
  process.stderr.write(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  await shutdown(1);
});
