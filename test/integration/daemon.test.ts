import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../../dev/process.ts';
import { RESOURCES } from '../../src/kinds/resources.ts';
import { freePort, startDaemon, writeDaemonConfig } from '../support/daemon-process.ts';
import type { DaemonProcess, LogLine } from '../support/daemon-process.ts';
import { prefixBody, startLab } from '../support/e2e.ts';
import type { Lab } from '../support/e2e.ts';
import { admin, adminGet, typePath } from './sync-support.ts';
import { loadBalancerService } from './e2e/allocations.ts';

/**
 * `run` as a user runs it: a child process with a config file, the real apiserver, the NetBox emulator (which
 * delivers signed event-rule webhooks), and a real Redis for the BullMQ mode.
 */

const SECRET = `whsec-${randomBytes(8).toString('hex')}`;
const poolExists = (name: string) => async (): Promise<boolean> =>
  (await adminGet(RESOURCES.calicoIpPool, name)) !== null;

async function metric(daemon: DaemonProcess, name: string): Promise<number> {
  const text = await (await fetch(`${daemon.url}/metrics`)).text();
  const line = text.split('\n').find(l => l.startsWith(name));
  return line ? Number(line.split(' ').pop()) : 0;
}

const finished = (job: string) => (l: LogLine) => l.event === 'job-finished' && l.job === job;

describe('run, embedded (no Redis): schedule, signed webhooks, watches, SIGTERM', () => {
  let lab: Lab;
  let dir: string;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    lab = await startLab({ roles: { 'k8s-pod': 'calico', 'k8s-loadbalancer': 'metallb' }, netbox: 'emulator' });
    dir = mkdtempSync(join(tmpdir(), 'nbsync-run-'));
    await lab.client.create(
      'ipam/prefixes',
      prefixBody(lab, '10.91.0.0/24', 'k8s-pod', { k8s_pool_name: `first-${lab.cluster}` }),
    );
    const port = await freePort();
    const config = writeDaemonConfig(lab, dir, {
      port,
      schedule: { sync: { every: '1h' }, writeback: { every: '1h' }, drift: { every: '1h' } },
    });
    daemon = await startDaemon(
      ['-c', config],
      {
        DAEMON_NETBOX_TOKEN: lab.netbox.tokens.v2,
        KUBECONFIG: inject('kubeconfigPath'),
        NETBOX_WEBHOOK_SECRET: SECRET,
      },
      port,
    );
    const hook = await lab.client.create<{ id: number }>('extras/webhooks', {
      name: `daemon-${lab.cluster}`,
      payload_url: `${daemon.url}/webhooks/netbox`,
      http_method: 'POST',
      http_content_type: 'application/json',
      secret: SECRET,
    });
    await lab.client.create('extras/event-rules', {
      name: `prefixes-${lab.cluster}`,
      object_types: ['ipam.prefix'],
      event_types: ['object_created', 'object_updated', 'object_deleted'],
      action_type: 'webhook',
      action_object_type: 'extras.webhook',
      action_object_id: hook.id,
      enabled: true,
    });
  });
  afterAll(async () => {
    await daemon?.stop();
    await lab?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the first sync at start, with no Redis at all, and logs one summary line', async () => {
    const line = await daemon.waitForLine(finished('sync'), 30_000, 'the first sync');
    expect(line).toMatchObject({ ok: true, cluster: lab.cluster, applied: 1 });
    expect(await poolExists(`first-${lab.cluster}`)()).toBe(true);
    expect(daemon.lines.some(l => typeof l.msg === 'string' && l.msg.includes('embedded'))).toBe(true);
    const health = await fetch(`${daemon.url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${daemon.url}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('a forged webhook gets 401 and queues nothing', async () => {
    const before = await metric(daemon, 'nbsync_triggers_total{source="webhook",job="sync"}');
    const body = JSON.stringify({ event: 'created', model: 'prefix', data: { tags: [{ slug: lab.clusterTag }] } });
    for (const signature of [undefined, createHmac('sha512', 'wrong').update(body).digest('hex')]) {
      const res = await fetch(`${daemon.url}/webhooks/netbox`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(signature ? { 'X-Hook-Signature': signature } : {}) },
        body,
      });
      expect(res.status).toBe(401);
    }
    expect(await metric(daemon, 'nbsync_webhooks_total{result="rejected"}')).toBe(2);
    expect(await metric(daemon, 'nbsync_triggers_total{source="webhook",job="sync"}')).toBe(before);
    const tooBig = await fetch(`${daemon.url}/webhooks/netbox`, { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) });
    expect(tooBig.status).toBe(413);
  });

  it('a NetBox change with its signed webhook reaches the cluster within one debounce (the schedule is 1h)', async () => {
    const name = `hooked-${lab.cluster}`;
    await lab.client.create('ipam/prefixes', prefixBody(lab, '10.91.1.0/24', 'k8s-pod', { k8s_pool_name: name }));
    await lab.emulator.webhooksIdle();
    const delivered = lab.emulator.deliveries().filter(d => d.url.endsWith('/webhooks/netbox'));
    expect(delivered.at(-1)?.status).toBe(202);
    expect(delivered.at(-1)?.error ?? null).toBeNull();
    await waitFor(`pool ${name} after the webhook`, poolExists(name), { timeoutMs: 20_000 });
    expect(await metric(daemon, 'nbsync_webhooks_total{result="accepted"}')).toBeGreaterThanOrEqual(1);
    expect(daemon.lines.some(l => l.msg === 'webhook queued sync' && l.cluster === lab.cluster)).toBe(true);
  });

  it('a hand-deleted pool comes back after the watch fires', async () => {
    const name = `first-${lab.cluster}`;
    const from = daemon.lines.length;
    const after = (match: (l: LogLine) => boolean) => (l: LogLine) => daemon.lines.indexOf(l) >= from && match(l);
    await admin('DELETE', typePath(RESOURCES.calicoIpPool, undefined, name));
    await daemon.waitForLine(
      after(l => l.msg === 'watch queued sync'),
      20_000,
      'the watch trigger',
    );
    await daemon.waitForLine(after(finished('sync')), 20_000, 'the sync the watch queued');
    await waitFor(`pool ${name} restored`, poolExists(name), { timeoutMs: 20_000 });
  });

  it('runs writeback and drift at start: /drift.json serves the report, its gauges are on /metrics', async () => {
    await daemon.waitForLine(finished('writeback'), 30_000, 'the first writeback');
    await daemon.waitForLine(finished('drift'), 30_000, 'the first drift report');
    const json = await fetch(`${daemon.url}/drift.json`);
    expect(json.status).toBe(200);
    expect(await json.json()).toMatchObject({ cluster: lab.cluster });
    const page = await fetch(`${daemon.url}/drift`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(lab.cluster);
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metrics).toContain(`netbox_ippool_sync_drift_source_healthy{cluster="${lab.cluster}"} 1`);
    expect(metrics).toMatch(
      new RegExp(`netbox_ippool_sync_cycles_total\\{cluster="${lab.cluster}",outcome="success"\\} [1-9]`),
    );
  });

  it('a new allocation reaches NetBox after the watch fires', async () => {
    const pool = `lb-${lab.cluster}`;
    await lab.client.create(
      'ipam/prefixes',
      prefixBody(lab, '10.92.0.0/28', 'k8s-loadbalancer', { k8s_pool_name: pool }),
    );
    await waitFor(
      `MetalLB pool ${pool}`,
      async () => (await adminGet(RESOURCES.metallbIpAddressPool, pool, 'metallb-system')) !== null,
      {
        timeoutMs: 30_000,
      },
    );
    const from = daemon.lines.length;
    const service = await loadBalancerService({
      namespace: 'default',
      name: `web-${lab.cluster}`,
      ip: '10.92.0.5',
      pool,
    });
    await daemon.waitForLine(
      l => daemon.lines.indexOf(l) >= from && l.msg === 'watch queued writeback',
      20_000,
      'the watch trigger for writeback',
    );
    const tag = [lab.config.selection.managedTag, lab.clusterTag];
    await waitFor(
      'the Service address recorded in NetBox',
      async () => (await lab.client.listIpAddresses({ tag })).some(a => a.address === '10.92.0.5/28'),
      { timeoutMs: 30_000 },
    );
    await service.remove();
  });

  it('SIGTERM mid-job lets the job finish and exits 0', async () => {
    lab.emulator.setKnobs({ latencyMs: 300 });
    try {
      const started = daemon.lines.length;
      await lab.client.create(
        'ipam/prefixes',
        prefixBody(lab, '10.91.2.0/24', 'k8s-pod', { k8s_pool_name: `late-${lab.cluster}` }),
      );
      const start = await daemon.waitForLine(
        l => daemon.lines.indexOf(l) >= started && l.event === 'job-started' && l.job === 'sync',
        20_000,
        'a sync start after the webhook',
      );
      daemon.child.kill('SIGTERM');
      expect(await daemon.exited).toBe(0);
      const end = daemon.lines.find(l => finished('sync')(l) && l['startedAt'] === start['startedAt']);
      expect(end).toMatchObject({ ok: true });
      const shutdown = daemon.lines.findIndex(l => typeof l.msg === 'string' && l.msg.startsWith('shutting down'));
      expect(shutdown).toBeGreaterThan(daemon.lines.indexOf(start));
      expect(daemon.lines.indexOf(end as LogLine)).toBeGreaterThan(shutdown);
    } finally {
      lab.emulator.setKnobs({ latencyMs: 0 });
    }
  });
});

describe('run with Redis: two replicas on one queue', () => {
  let lab: Lab;
  let dir: string;
  const replicas: DaemonProcess[] = [];

  beforeAll(async () => {
    lab = await startLab({ roles: { 'k8s-pod': 'calico', 'k8s-loadbalancer': 'metallb' }, netbox: 'emulator' });
    dir = mkdtempSync(join(tmpdir(), 'nbsync-run-redis-'));
    await lab.client.create(
      'ipam/prefixes',
      prefixBody(lab, '10.92.0.0/24', 'k8s-pod', { k8s_pool_name: `ha-${lab.cluster}` }),
    );
    // Slow NetBox answers make every sync last a while, so overlapping runs would show.
    lab.emulator.setKnobs({ latencyMs: 40 });
    const env = {
      DAEMON_NETBOX_TOKEN: lab.netbox.tokens.v2,
      KUBECONFIG: inject('kubeconfigPath'),
      REDIS_URL: inject('redisUrl'),
    };
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const config = writeDaemonConfig(lab, dir, {
        port,
        schedule: { sync: { every: '200ms' }, writeback: false, drift: false },
      });
      replicas.push(await startDaemon(['-c', config], env, port));
    }
  });
  afterAll(async () => {
    await Promise.all(replicas.map(r => r.stop()));
    await lab?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never runs one cluster’s sync twice at once (job start/end timestamps over many ticks)', async () => {
    const runs = (): LogLine[] => replicas.flatMap(r => r.lines.filter(finished('sync')));
    // Both replicas must take syncs (the proof is about two workers, not one worker and a spectator): the first
    // one starts earlier and may take every tick until the second is up.
    const each = (): number[] => replicas.map(r => r.lines.filter(finished('sync')).length);
    await waitFor(
      '20 syncs, at least 3 on each replica',
      () => Promise.resolve(runs().length >= 20 && each().every(n => n >= 3)),
      { timeoutMs: 90_000 },
    );
    const codes = await Promise.all(replicas.map(r => r.stop()));
    const intervals = replicas
      .flatMap((r, replica) =>
        r.lines.filter(finished('sync')).map(l => ({
          replica,
          start: Number(l['startedAt']),
          end: Number(l['endedAt']),
        })),
      )
      .sort((a, b) => a.start - b.start);
    const overlaps = intervals.filter((iv, i) => i > 0 && iv.start < (intervals[i - 1]?.end ?? 0));
    expect({ overlaps, codes }, JSON.stringify(intervals)).toEqual({ overlaps: [], codes: [0, 0] });
    expect(runs().every(l => l.cluster === lab.cluster)).toBe(true);
    expect(await adminGet(RESOURCES.calicoIpPool, `ha-${lab.cluster}`)).not.toBeNull();
  });
});
