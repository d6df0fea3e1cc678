/**
 * Events (issue 16, scenario 5): the daemon (`netbox-ippool-sync run`, a child process: dev/daemon-process.ts) on
 * the real apiserver and Redis (BullMQ), against the NetBox emulator, which delivers NetBox's signed event-rule
 * webhooks. Two streams of N events each, arriving at a fixed pace (open loop, as changes arrive in life — a burst
 * is allowed to become one run):
 *   1. webhook → pool: a NetBox prefix is created; its signed webhook reaches the daemon; the Calico IPPool
 *      appears in the apiserver (seen by a watch of our own).
 *   2. allocation → record: a LoadBalancer Service gets its ingress IP from a MetalLB pool; the daemon's watch
 *      fires; the IP address appears in NetBox (seen by an event-rule webhook to a listener of our own).
 * Latency: from the change (just before the request that makes it) to the applied object, debounce included, with
 * the daemon's default debounce. Real NetBox's webhooks go through its RQ worker, which adds its own polling
 * delay; the emulator sends them right after the commit, so the figure is the daemon's share.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { KubeAdmin, loadBalancerService } from '../../dev/cni/index.ts';
import { startDaemon } from '../../dev/daemon-process.ts';
import type { DaemonProcess, LogLine } from '../../dev/daemon-process.ts';
import { startEmulator } from '../../dev/netbox-emulator/index.ts';
import type { Emulator } from '../../dev/netbox-emulator/index.ts';
import { freePort } from '../../dev/process.ts';
import { KubeClient } from '../../src/k8s/client.ts';
import { RESOURCES } from '../../src/kinds/resources.ts';
import { NetBoxClient } from '../../src/netbox/client/index.ts';
import { runBootstrap, wantedObjects } from '../../src/netbox/bootstrap/bootstrap.ts';
import { peakRssOf, startCountingProxy } from '../lib/measure.ts';
import type { CountingProxy } from '../lib/measure.ts';
import { nb } from '../lib/netbox-http.ts';
import type { NetBoxTarget } from '../lib/netbox-http.ts';
import { percentile } from '../lib/report.ts';
import type { BenchEnv, BenchRow, Scenario, ScenarioResult, TargetCheck } from '../lib/types.ts';
import { LATENCY_MODEL } from './naive.ts';

const EVENTS = 100;
/** Time between two changes of one stream. */
const PACE_MS = 500;
/** How long after the last change of a stream its last object may take before the stream counts as failed. */
const SETTLE_MS = 60_000;
const CLUSTER = 'events';
const LB_POOL = `lb-${CLUSTER}`;
const LB_NAMESPACE = 'bench-events';

interface Stream {
  name: string;
  sent: Map<string, number>;
  applied: Map<string, number>;
}

function latencies(s: Stream): number[] {
  return [...s.sent].flatMap(([k, t0]) => {
    const t1 = s.applied.get(k);
    return t1 === undefined ? [] : [t1 - t0];
  });
}

/** Calls `fn(i)` every `paceMs` (open loop: a slow call does not hold the next one back). */
async function paced(n: number, paceMs: number, fn: (i: number) => Promise<void>): Promise<void> {
  const start = performance.now();
  const calls: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const wait = start + i * paceMs - performance.now();
    if (wait > 0) await new Promise(r => setTimeout(r, wait));
    calls.push(fn(i));
  }
  await Promise.all(calls);
}

async function settle(s: Stream, ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (s.applied.size < s.sent.size && performance.now() < until) await new Promise(r => setTimeout(r, 50));
}

/** Our own view of the apiserver: the time each Calico IPPool named in `stream` first shows up. */
async function watchPools(kubeconfig: string, stream: Stream, signal: AbortSignal): Promise<void> {
  const kube = new KubeClient({ kubeconfig });
  const rt = RESOURCES.calicoIpPool;
  try {
    let version = await kube.listVersion(rt);
    while (!signal.aborted) {
      try {
        version = await kube.watch(rt, { resourceVersion: version, signal, timeoutSeconds: 600 }, ev => {
          const name = ev.object.metadata.name;
          if (ev.type === 'ADDED' && stream.sent.has(name) && !stream.applied.has(name)) {
            stream.applied.set(name, performance.now());
          }
        });
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
    }
  } finally {
    kube.close();
  }
}

/** A webhook target of our own: NetBox tells us when an IP address was created (the record appeared). */
async function recordListener(stream: Stream): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      res.writeHead(204).end();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        event?: string;
        data?: { address?: string };
      };
      const host = body.data?.address?.split('/')[0];
      if (body.event === 'created' && host !== undefined && stream.sent.has(host) && !stream.applied.has(host)) {
        stream.applied.set(host, at);
      }
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/records`,
    close: () => {
      server.closeAllConnections();
      return new Promise(r => server.close(() => r()));
    },
  };
}

async function webhookRule(t: NetBoxTarget, name: string, url: string, types: string[], secret?: string) {
  const hook = await nb<{ id: number }>(t, 'POST', 'extras/webhooks/', {
    name,
    payload_url: url,
    http_method: 'POST',
    http_content_type: 'application/json',
    ...(secret === undefined ? {} : { secret }),
  });
  await nb(t, 'POST', 'extras/event-rules/', {
    name,
    object_types: types,
    event_types: ['object_created', 'object_updated', 'object_deleted'],
    action_type: 'webhook',
    action_object_type: 'extras.webhook',
    action_object_id: hook.id,
    enabled: true,
  });
}

interface Setup {
  emulator: Emulator;
  proxy: CountingProxy;
  daemon: DaemonProcess;
  dir: string;
  target: NetBoxTarget;
}

async function setUp(env: BenchEnv): Promise<Setup> {
  const emulator = await startEmulator({ knobs: { ...LATENCY_MODEL } });
  const target = { url: emulator.url, token: emulator.tokens.v1 };
  const client = new NetBoxClient({ url: emulator.url, token: emulator.tokens.v1 });
  const report = await runBootstrap(
    client,
    wantedObjects({ cluster: CLUSTER, roles: ['k8s-pod', 'k8s-loadbalancer'] }),
  );
  if (!report.ok) throw new Error(`netbox bootstrap: ${JSON.stringify(report.readError ?? report.counts)}`);
  await nb(target, 'POST', 'ipam/prefixes/', {
    prefix: '10.241.0.0/24',
    status: 'active',
    role: { slug: 'k8s-loadbalancer' },
    tags: [{ slug: `k8s-${CLUSTER}` }],
    custom_fields: { k8s_pool_name: LB_POOL },
  });
  const admin = new KubeAdmin(env.controlPlane.admin);
  await admin.ensureNamespace('metallb-system');
  await admin.ensureNamespace(LB_NAMESPACE);
  const proxy = await startCountingProxy(emulator.url);
  const dir = mkdtempSync(join(tmpdir(), 'nbsync-bench-events-'));
  const port = await freePort();
  const secret = `whsec-${randomBytes(12).toString('hex')}`;
  const config = join(dir, 'events.yaml');
  writeFileSync(
    config,
    stringify({
      cluster: CLUSTER,
      netbox: { url: proxy.url, tokenEnv: 'BENCH_EVENTS_NETBOX_TOKEN' },
      selection: { roles: { 'k8s-pod': 'calico', 'k8s-loadbalancer': 'metallb' } },
      // The schedule stays out of the way; the debounce is the default, as users get it.
      schedule: { sync: { every: '1h' }, writeback: { every: '1h' }, drift: { every: '1h' } },
      server: { address: '127.0.0.1', port },
      redis: { url: env.redis.url, prefix: `bench-events-${randomBytes(4).toString('hex')}` },
    }),
  );
  const daemon = await startDaemon(
    ['-c', config],
    {
      BENCH_EVENTS_NETBOX_TOKEN: emulator.tokens.v2,
      KUBECONFIG: env.controlPlane.kubeconfigPath,
      NETBOX_WEBHOOK_SECRET: secret,
      LOG_LEVEL: 'info',
    },
    port,
    { startTimeoutMs: 120_000 },
  );
  const running = daemon.lines.find(l => l.msg?.startsWith('netbox-ippool-sync running') === true);
  if (running?.msg?.includes('BullMQ') !== true) {
    throw new Error(`the daemon does not run on BullMQ/Redis: ${running?.msg ?? 'no start line'}`);
  }
  const finished = (job: string) => (l: LogLine) => l.event === 'job-finished' && l.job === job;
  await daemon.waitForLine(finished('sync'), 120_000, 'the first sync');
  await daemon.waitForLine(finished('writeback'), 120_000, 'the first writeback');
  // NetBox's event rules, as the docs tell users to set them up: prefixes, IP ranges and IP addresses.
  await webhookRule(
    target,
    'daemon',
    `${daemon.url}/webhooks/netbox`,
    ['ipam.prefix', 'ipam.iprange', 'ipam.ipaddress'],
    secret,
  );
  return { emulator, proxy, daemon, dir, target };
}

function jobRuns(daemon: DaemonProcess, from: number): Record<string, number> {
  const runs: Record<string, number> = {};
  for (const l of daemon.lines.slice(from)) {
    if (l.event === 'job-finished' && typeof l.job === 'string') runs[l.job] = (runs[l.job] ?? 0) + 1;
  }
  return runs;
}

function row(
  s: Stream,
  step: string,
  wallMs: number,
  counts: { reads: number; writes: number },
  extra: Record<string, number | string>,
  rss: number | undefined,
): BenchRow {
  const l = latencies(s);
  return {
    scenario: 'events',
    step,
    netbox: 'emulator',
    size: s.sent.size,
    wallMs,
    netboxReads: counts.reads,
    netboxWrites: counts.writes,
    kubeRequests: Number.NaN,
    ...(rss === undefined ? {} : { peakRssMiB: rss }),
    extra: {
      applied: `${l.length} of ${s.sent.size}`,
      'p50 ms': percentile(l, 50),
      'p95 ms': percentile(l, 95),
      'max ms': Math.max(...l),
      ...extra,
    },
    notes: `one change every ${PACE_MS} ms; daemon on BullMQ/Redis, default debounce; emulator ${LATENCY_MODEL.latencyMs} ms/request + ${LATENCY_MODEL.latencyPerWrittenObjectMs} ms/object written; NetBox requests are the daemon's (through the counting proxy); its Kubernetes requests are not counted (TLS)`,
  };
}

async function run(env: BenchEnv): Promise<ScenarioResult> {
  const n = Math.max(10, Math.round(EVENTS * env.scale));
  const setup = await setUp(env);
  const { daemon, proxy, target } = setup;
  const rows: BenchRow[] = [];
  const targets: TargetCheck[] = [];
  const stopWatch = new AbortController();
  try {
    // 1. webhook → pool
    const pools: Stream = { name: 'pools', sent: new Map(), applied: new Map() };
    const watching = watchPools(env.controlPlane.kubeconfigPath, pools, stopWatch.signal);
    await new Promise(r => setTimeout(r, 500)); // the watch is open before the first change
    env.log(`webhook → pool: ${n} prefixes, one every ${PACE_MS} ms`);
    let from = daemon.lines.length;
    proxy.reset();
    let t0 = performance.now();
    await paced(n, PACE_MS, async i => {
      const name = `ev-${i}`;
      pools.sent.set(name, performance.now());
      await nb(target, 'POST', 'ipam/prefixes/', {
        prefix: `10.240.${i}.0/26`,
        status: 'active',
        role: { slug: 'k8s-pod' },
        tags: [{ slug: `k8s-${CLUSTER}` }],
        custom_fields: { k8s_pool_name: name },
      });
    });
    await settle(pools, SETTLE_MS);
    rows.push(row(pools, 'webhook → pool', performance.now() - t0, proxy.counts(), jobRuns(daemon, from), undefined));
    stopWatch.abort();
    await watching;

    // 2. allocation → record
    const records: Stream = { name: 'records', sent: new Map(), applied: new Map() };
    const listener = await recordListener(records);
    try {
      await webhookRule(target, 'bench-records', listener.url, ['ipam.ipaddress']);
      const admin = new KubeAdmin(env.controlPlane.admin);
      env.log(`allocation → record: ${n} LoadBalancer Services, one every ${PACE_MS} ms`);
      from = daemon.lines.length;
      proxy.reset();
      t0 = performance.now();
      await paced(n, PACE_MS, async i => {
        const ip = `10.241.0.${i + 1}`;
        records.sent.set(ip, performance.now());
        await loadBalancerService(admin, { namespace: LB_NAMESPACE, name: `svc-${i}`, ip, pool: LB_POOL });
      });
      await settle(records, SETTLE_MS);
      rows.push(
        row(records, 'allocation → record', performance.now() - t0, proxy.counts(), jobRuns(daemon, from), undefined),
      );
    } finally {
      await listener.close();
    }
    const rss = daemon.child.pid === undefined ? undefined : peakRssOf(daemon.child.pid);
    if (rss !== undefined) for (const r of rows) r.peakRssMiB = rss;
    for (const [r, s] of [
      [rows[0], pools],
      [rows[1], records],
    ] as const) {
      const l = latencies(s);
      const p95 = percentile(l, 95);
      targets.push({
        target: `event to applied under 2 s p95, debounce included (${r?.step ?? s.name})`,
        measured: `p95 ${(p95 / 1000).toFixed(2)} s, p50 ${(percentile(l, 50) / 1000).toFixed(2)} s, max ${(Math.max(...l) / 1000).toFixed(2)} s; ${l.length} of ${s.sent.size} applied`,
        holds: l.length === s.sent.size && p95 < 2000,
      });
    }
    return { rows, targets };
  } finally {
    stopWatch.abort();
    await daemon.stop();
    await setup.proxy.close();
    await setup.emulator.close();
    rmSync(setup.dir, { recursive: true, force: true });
  }
}

export const scenario: Scenario = {
  name: 'events',
  description: `the daemon as a child process: ${EVENTS} signed webhooks → pools in the apiserver, ${EVENTS} new LoadBalancer allocations → NetBox records; p50/p95/max latency`,
  run,
};
