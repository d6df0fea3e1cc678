import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { kubeRequest } from '../../dev/control-plane/index.ts';
import { startEmulator } from '../../dev/netbox-emulator/index.ts';
import type { Emulator } from '../../dev/netbox-emulator/index.ts';
import { freePort, waitFor } from '../../dev/process.ts';
import { signBody } from '../../src/server/signature.ts';
import { runBootstrap, wantedObjects } from '../../src/netbox/bootstrap/bootstrap.ts';
import { NetBoxClient } from '../../src/netbox/client/index.ts';
import { cidrContainsAddress, parseCidr, tryParseAddress } from '../../src/ip/index.ts';
import { calicoBlock, loadBalancerService } from '../integration/e2e/allocations.ts';
import { applyManifest, manifests, mintToken, waitForAccess } from '../integration/rbac-support.ts';
import { ensureNamespace, tokenKubeconfig } from '../integration/sync-support.ts';
import { startDaemon } from '../support/daemon-process.ts';
import type { DaemonProcess, LogLine } from '../support/daemon-process.ts';
import { prefixBody, startLab } from '../support/e2e.ts';
import type { Lab } from '../support/e2e.ts';
import type { NetEvent } from '../support/security-netlog.ts';
import { needlesOf, tokenParts, Transcript } from '../support/security-scan.ts';
import type { Secret } from '../support/security-scan.ts';
import {
  NETLOG_PRELOAD,
  runCli,
  spawnDaemon,
  startEchoProxy,
  startPasswordRedis,
} from '../support/security-session.ts';
import type { CliRun, PasswordRedis } from '../support/security-session.ts';
import { recordFigures } from './figures.ts';
import type { FigureRow } from './figures.ts';

/**
 * Security, end to end (issue 15): the daemon as a child process through a whole session — sync, writeback and
 * drift on the real apiserver as the shipped ServiceAccount (deploy/rbac, bearer token in the kubeconfig), real
 * NetBox with a v2 token, BullMQ on a redis-server that requires a password, debug logging, signed and forged
 * webhooks, every HTTP endpoint — plus the one-shot commands (plan, drift, writeback --dry-run, config check,
 * netbox bootstrap) with v1 and v2 tokens and with failures (wrong tokens, NetBox unreachable, NetBox answering
 * 5xx/429, a proxy that echoes the Authorization header, a wrong Redis password, a rejected bearer token).
 *
 *   secret scan   every stdout/stderr line and every HTTP body is searched for every secret in every form
 *                 (plain, URL-encoded, base64/base64url at each alignment, JSON-escaped, token parts): 0 hits;
 *   webhooks      forged, replayed-with-another-body, wrong-algorithm and oversized requests are refused and
 *                 queue nothing;
 *   egress        a preload (test/support/security-netlog.ts) records every connect and DNS lookup of the daemon
 *                 and the commands: only NetBox, the apiserver and Redis, never an address out of the pools
 *                 (which here are 127.0.0.0/8 data, NetBox's own address among them);
 *   RBAC          the daemon's whole session ran as the ServiceAccount without a 403; requests outside the role
 *                 are refused; image and chart run as non-root (files asserted).
 * TLS to NetBox is security-tls.test.ts.
 */

const SUITE = 'security';
const ROOT = join(import.meta.dirname, '..', '..');
const SA_NAMESPACE = 'netbox-ippool-sync';
const SA_NAME = 'netbox-ippool-sync';
const SA_USER = `system:serviceaccount:${SA_NAMESPACE}:${SA_NAME}`;
const MAX_BODY = 4096;

// Secrets with characters that change under URL and JSON encoding, so every form differs from the plain one.
const WEBHOOK_SECRET = `whsec/${randomBytes(12).toString('base64')}+"=`;
const REDIS_PASSWORD = `rp@ss:${randomBytes(9).toString('hex')}/+&`;
const WRONG_REDIS_PASSWORD = `wrong@${randomBytes(9).toString('hex')}/+`;
const WRONG_V1 = randomBytes(20).toString('hex');

const figures: FigureRow[] = [];
const transcript = new Transcript();
const netlogs: string[] = [];

/** The whole response, status and body, recorded in the transcript. */
async function http(
  where: string,
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; chunks?: Buffer[] } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, res => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => {
        transcript.body(`${where}: ${opts.method ?? 'GET'} ${new URL(url).pathname} ${res.statusCode ?? 0}`, body);
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    });
    // A hanging endpoint is a finding, not a reason to wait for the test's timeout.
    req.setTimeout(30_000, () => req.destroy(new Error(`${where}: ${new URL(url).pathname} did not answer in 30 s`)));
    // The server may answer 413 and close before the whole body is sent; that is the point.
    req.on('error', err => ((err as NodeJS.ErrnoException).code === 'EPIPE' ? undefined : reject(err)));
    if (opts.chunks) for (const c of opts.chunks) req.write(c);
    else if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find(l => l.startsWith(`${name} `));
  return line ? Number(line.split(' ').pop()) : 0;
}

const finished = (job: string) => (l: LogLine) => l.event === 'job-finished' && l.job === job;

function keepCli(where: string, run: CliRun): CliRun {
  transcript.output(`${where} stdout`, run.stdout);
  transcript.output(`${where} stderr`, run.stderr);
  return run;
}

describe('security: a whole session of daemon and commands leaks no secret and talks only to its servers', () => {
  let lab: Lab;
  let dir: string;
  let redis: PasswordRedis;
  let daemon: DaemonProcess;
  let saToken: string;
  let saKubeconfig: string;
  let configFile: string;
  let daemonStdout = '';
  let daemonStderr = '';
  const secrets: Secret[] = [];
  const pools = ['127.77.0.0/24', '127.0.0.0/28'];
  const allocations = ['127.77.0.5', '127.0.0.5'];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nbsync-security-'));
    for (const ns of [SA_NAMESPACE, 'metallb-system']) await ensureNamespace(ns);
    for (const m of manifests()) await applyManifest(m);
    await waitForAccess(SA_USER, [
      [{ group: 'metallb.io', resource: 'ipaddresspools', verb: 'create', namespace: 'metallb-system' }, true],
      [{ group: '', resource: 'secrets', verb: 'list' }, false],
    ]);
    saToken = await mintToken(SA_NAMESPACE, SA_NAME);
    saKubeconfig = join(dir, 'sa.kubeconfig');
    writeFileSync(saKubeconfig, tokenKubeconfig(saToken));
    redis = await startPasswordRedis(REDIS_PASSWORD);
    lab = await startLab({ roles: { 'k8s-pod': 'calico', 'k8s-loadbalancer': 'metallb' } });
    const c = lab.cluster;
    // Pool data in 127.0.0.0/8, NetBox's own address held in one of them: a daemon that probed pool or held
    // addresses would connect to loopback addresses the recorder sees.
    await lab.client.create(
      'ipam/prefixes',
      prefixBody(lab, pools[0] ?? '', 'k8s-pod', { k8s_pool_name: `pods-${c}` }),
    );
    await lab.client.create(
      'ipam/prefixes',
      prefixBody(lab, pools[1] ?? '', 'k8s-loadbalancer', { k8s_pool_name: `lb-${c}` }),
    );
    for (const address of ['127.77.0.1/24', '127.0.0.1/28']) {
      await lab.client.create('ipam/ip-addresses', { address, status: 'active', description: 'held' });
    }
    await calicoBlock({
      cidr: '127.77.0.0/26',
      node: `node-${c}`,
      pods: [{ ordinal: 5, namespace: 'default', pod: `web-${c}` }],
    });

    const v2 = lab.netbox.tokens.v2;
    secrets.push(
      ...tokenParts('NetBox v1 token', lab.netbox.tokens.v1),
      ...tokenParts('NetBox v2 token', v2),
      ...tokenParts('NetBox read-only token', lab.netbox.tokens.readOnly),
      { name: 'webhook secret', value: WEBHOOK_SECRET },
      { name: 'Redis password', value: REDIS_PASSWORD },
      { name: 'wrong Redis password', value: WRONG_REDIS_PASSWORD },
      { name: 'wrong v1 token', value: WRONG_V1 },
      ...tokenParts('Kubernetes bearer token', saToken),
    );

    const port = await freePort();
    configFile = join(dir, 'config.yaml');
    writeFileSync(
      configFile,
      stringify({
        cluster: c,
        netbox: { url: lab.netbox.url, tokenEnv: 'SEC_NETBOX_TOKEN', timeoutMs: 60_000 },
        selection: { roles: { 'k8s-pod': 'calico', 'k8s-loadbalancer': 'metallb' } },
        deleteBudget: { maxCount: 50, maxPercent: 100 },
        schedule: {
          sync: { every: '1h' },
          writeback: { every: '1h' },
          drift: { every: '1h' },
          debounce: '300ms',
          shutdownTimeout: '30s',
        },
        server: { address: '127.0.0.1', port, maxBodyBytes: MAX_BODY },
      }),
    );
    const netlog = join(dir, 'netlog-daemon.jsonl');
    netlogs.push(netlog);
    daemon = await startDaemon(
      ['-c', configFile],
      {
        SEC_NETBOX_TOKEN: v2,
        KUBECONFIG: saKubeconfig,
        NETBOX_WEBHOOK_SECRET: WEBHOOK_SECRET,
        REDIS_URL: redis.url,
        LOG_LEVEL: 'debug',
        NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --import=${NETLOG_PRELOAD}`.trim(),
        NBSYNC_NETLOG: netlog,
      },
      port,
      {
        onLine: (_line, raw) => (daemonStdout += `${raw}\n`),
        onStderr: text => (daemonStderr += text),
        startTimeoutMs: 60_000,
      },
    );
  });

  afterAll(async () => {
    await daemon?.stop();
    await redis?.stop();
    await lab?.close();
    if (figures.length > 0) recordFigures(inject('reliabilityFigures'), figures.splice(0));
    rmSync(dir, { recursive: true, force: true });
  });

  it('the daemon syncs, writes back and reports drift as the shipped ServiceAccount, on BullMQ with a Redis password', async () => {
    const c = lab.cluster;
    for (const job of ['sync', 'writeback', 'drift']) {
      const line = await daemon.waitForLine(finished(job), 120_000, `the first ${job}`);
      expect({ job, ok: line['ok'], reason: line['reason'] }).toEqual({ job, ok: true, reason: undefined });
    }
    expect(daemon.lines.some(l => typeof l.msg === 'string' && l.msg.includes('BullMQ on Redis'))).toBe(true);
    // A Service takes an address from the MetalLB pool: the watch queues a writeback that records it in NetBox.
    const from = daemon.lines.length;
    await loadBalancerService({ namespace: 'default', name: `lb-${c}`, ip: '127.0.0.5', pool: `lb-${c}` });
    await daemon.waitForLine(
      l => finished('writeback')(l) && daemon.lines.indexOf(l) >= from,
      120_000,
      'the writeback after the Service',
    );
    const tag = [lab.config.selection.managedTag, lab.clusterTag];
    await waitFor(
      'the Service address recorded in NetBox',
      async () => (await lab.client.listIpAddresses({ tag })).some(a => a.address === '127.0.0.5/28'),
      { timeoutMs: 120_000 },
    );
    const forbidden = daemon.lines.filter(l => /\b403\b|Forbidden/.test(JSON.stringify(l)));
    expect(forbidden).toEqual([]);
  });

  let attacks = 0;

  it('webhooks: forged, replayed with another body, wrong algorithm or oversized → 401/413, nothing queued', async () => {
    const url = `${daemon.url}/webhooks/netbox`;
    const metrics = async (): Promise<string> => (await http('daemon', `${daemon.url}/metrics`)).body;
    const before = await metrics();
    const body = JSON.stringify({
      event: 'updated',
      object_type: 'ipam.prefix',
      data: { id: 1, prefix: pools[0], tags: [{ slug: lab.clusterTag, name: lab.clusterTag }] },
      snapshots: {},
    });
    const good = signBody(body, WEBHOOK_SECRET);
    const json = { 'Content-Type': 'application/json' };
    const altered = body.replace('updated', 'deleted');
    const big = Buffer.from(
      JSON.stringify({ event: 'updated', object_type: 'ipam.prefix', pad: 'x'.repeat(MAX_BODY) }),
    );
    const cases: { name: string; status: number; opts: Parameters<typeof http>[2] }[] = [
      { name: 'no signature', status: 401, opts: { headers: json, body } },
      { name: 'empty signature', status: 401, opts: { headers: { ...json, 'X-Hook-Signature': '' }, body } },
      {
        name: 'signed with another secret',
        status: 401,
        opts: { headers: { ...json, 'X-Hook-Signature': signBody(body, 'not-the-secret') }, body },
      },
      {
        name: 'right signature replayed with an altered body',
        status: 401,
        opts: { headers: { ...json, 'X-Hook-Signature': good }, body: altered },
      },
      {
        name: 'right signature, one byte appended',
        status: 401,
        opts: { headers: { ...json, 'X-Hook-Signature': good }, body: `${body} ` },
      },
      {
        name: 'HMAC-SHA256 with the right secret',
        status: 401,
        opts: {
          headers: { ...json, 'X-Hook-Signature': createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex') },
          body,
        },
      },
      {
        name: 'sha512= prefixed (GitHub style)',
        status: 401,
        opts: { headers: { ...json, 'X-Hook-Signature': `sha512=${good}` }, body },
      },
      {
        name: 'base64 instead of hex',
        status: 401,
        opts: { headers: { ...json, 'X-Hook-Signature': Buffer.from(good, 'hex').toString('base64') }, body },
      },
      {
        name: 'signature truncated to 64 hex digits',
        status: 401,
        opts: { headers: { ...json, 'X-Hook-Signature': good.slice(0, 64) }, body },
      },
      {
        name: `oversized (${big.length} > ${MAX_BODY} bytes) with Content-Length, correctly signed`,
        status: 413,
        opts: {
          headers: { ...json, 'X-Hook-Signature': signBody(big, WEBHOOK_SECRET), 'Content-Length': String(big.length) },
          body: big,
        },
      },
      {
        name: 'oversized, chunked without Content-Length, correctly signed',
        status: 413,
        opts: {
          headers: { ...json, 'X-Hook-Signature': signBody(big, WEBHOOK_SECRET), 'Transfer-Encoding': 'chunked' },
          chunks: Array.from({ length: Math.ceil(big.length / 1000) }, (_, i) =>
            big.subarray(i * 1000, (i + 1) * 1000),
          ),
        },
      },
    ];
    const results: string[] = [];
    for (const k of cases) {
      const res = await http('webhook attack', url, { method: 'POST', ...k.opts });
      results.push(`${k.name}: ${res.status}`);
    }
    attacks = cases.length;
    expect(results).toEqual(cases.map(k => `${k.name}: ${k.status}`));
    // A refused request returns before the handler reaches daemon.trigger (which comes after `accepted`).
    const after = await metrics();
    const delta = (name: string): number => metricValue(after, name) - metricValue(before, name);
    expect({
      rejected: delta('nbsync_webhooks_total{result="rejected"}'),
      tooLarge: delta('nbsync_webhooks_total{result="too-large"}'),
      accepted: delta('nbsync_webhooks_total{result="accepted"}'),
      ignored: delta('nbsync_webhooks_total{result="ignored"}'),
    }).toEqual({ rejected: cases.filter(k => k.status === 401).length, tooLarge: 2, accepted: 0, ignored: 0 });

    // The same body with its right signature is accepted and queues exactly one sync.
    const from = daemon.lines.length;
    const ok = await http('webhook', url, { method: 'POST', headers: { ...json, 'X-Hook-Signature': good }, body });
    expect(ok.status).toBe(202);
    expect(JSON.parse(ok.body)).toEqual({ queued: [`sync/${lab.cluster}`] });
    await daemon.waitForLine(
      l => daemon.lines.indexOf(l) >= from && l.msg === 'webhook queued sync',
      30_000,
      'the queued sync',
    );
    await daemon.waitForLine(l => daemon.lines.indexOf(l) >= from && finished('sync')(l), 120_000, 'the webhook sync');
    figures.push({
      suite: SUITE,
      scenario: 'webhook attacks (forged, replayed, wrong alg, oversized)',
      trials: cases.length + 1,
      faults: cases.length,
      lost: 0,
      duplicated: 0,
      wronglyDeleted: 0,
      extra: {
        rejected401: cases.filter(k => k.status === 401).length,
        rejected413: 2,
        queuedByAttacks: 0,
        goodAccepted: 1,
      },
    });
  });

  it('serves /healthz, /readyz, /metrics, /drift, /drift.json (and a 404) for the scan', async () => {
    const base = daemon.url;
    const answers: Record<string, number> = {};
    for (const path of [
      '/healthz',
      '/readyz',
      '/metrics',
      '/drift',
      '/drift.json',
      '/nothing-here',
      '/webhooks/netbox',
    ]) {
      answers[path] = (await http('daemon', `${base}${path}`)).status;
    }
    expect(answers).toEqual({
      '/healthz': 200,
      '/readyz': 200,
      '/metrics': 200,
      '/drift': 200,
      '/drift.json': 200,
      '/nothing-here': 404,
      '/webhooks/netbox': 405,
    });
    const ready = JSON.parse((await http('daemon', `${base}/readyz`)).body) as { checks: Record<string, string> };
    expect(ready.checks['redis']).toBe('ok');
  });

  it('the one-shot commands with v1 and v2 tokens, debug logging and the ServiceAccount kubeconfig', async () => {
    const env = (token: string, netlog?: string): Record<string, string> => ({
      SEC_NETBOX_TOKEN: token,
      LOG_LEVEL: 'debug',
      ...(netlog === undefined
        ? {}
        : {
            NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --import=${NETLOG_PRELOAD}`.trim(),
            NBSYNC_NETLOG: netlog,
          }),
    });
    const kube = ['--kubeconfig', saKubeconfig];
    const runs: [string, string[], string][] = [
      ['config check', ['config', 'check', '-c', configFile], lab.netbox.tokens.v1],
      [
        'netbox bootstrap (v1)',
        ['netbox', 'bootstrap', '-c', configFile, '--token-env', 'SEC_NETBOX_TOKEN'],
        lab.netbox.tokens.v1,
      ],
      ['plan (v1)', ['plan', '-c', configFile, ...kube], lab.netbox.tokens.v1],
      ['plan (v2)', ['plan', '-c', configFile, ...kube], lab.netbox.tokens.v2],
      ['drift (v2)', ['drift', '-c', configFile, ...kube], lab.netbox.tokens.v2],
      ['drift html (v1)', ['drift', '-c', configFile, ...kube, '--format', 'html'], lab.netbox.tokens.v1],
      ['writeback --dry-run (v2)', ['writeback', '-c', configFile, ...kube, '--dry-run'], lab.netbox.tokens.v2],
    ];
    const codes: Record<string, number> = {};
    // Read-only but for the idempotent bootstrap, and independent: all at once.
    const done = await Promise.all(
      runs.map(([name, args, token]) => {
        const netlog = join(dir, `netlog-${name.replace(/\W+/g, '-')}.jsonl`);
        netlogs.push(netlog);
        return runCli(args, env(token, netlog));
      }),
    );
    for (const [i, [name]] of runs.entries()) {
      const r = keepCli(name, done[i] as CliRun);
      codes[name] = r.code;
      if (r.code !== 0) expect.soft(`${name}: ${r.stderr.slice(-800)}`).toBe(`${name}: exit 0`);
    }
    expect(codes).toEqual(Object.fromEntries(runs.map(([n]) => [n, 0])));
    // Debug logging was on: the commands did print their requests.
    expect(transcript.contains('"msg":"NetBox request"')).toBe(true);
  });

  it('the commands and the daemon failing: wrong tokens, NetBox unreachable or erroring, wrong Redis password, rejected bearer token', async () => {
    const emu: Emulator = await startEmulator();
    const proxies = await Promise.all([startEchoProxy(500), startEchoProxy(403), startEchoProxy(502)]);
    const wrongV2 = `nbt_${/^nbt_([^.]+)\./.exec(lab.netbox.tokens.v2)?.[1] ?? 'x'}.${randomBytes(20).toString('hex')}`;
    secrets.push(...tokenParts('wrong v2 token (real key)', wrongV2));
    const wrongBearer = `${saToken.slice(0, -12)}${randomBytes(6).toString('hex')}`;
    secrets.push({ name: 'rejected bearer token', value: wrongBearer });
    const badKubeconfig = join(dir, 'bad.kubeconfig');
    writeFileSync(badKubeconfig, tokenKubeconfig(wrongBearer));
    const closed = await freePort();
    const withUrl = (url: string): string => {
      const file = join(dir, `config-${randomBytes(3).toString('hex')}.yaml`);
      const cfg = parse(readFileSync(configFile, 'utf8')) as { netbox: Record<string, unknown> };
      writeFileSync(file, stringify({ ...cfg, netbox: { ...cfg.netbox, url, timeoutMs: 5000 } }));
      return file;
    };
    const kube = ['--kubeconfig', saKubeconfig];
    const failures: [string, string[], string, (r: CliRun) => boolean][] = [
      [
        'plan, wrong v1 token',
        ['plan', '-c', configFile, ...kube],
        WRONG_V1,
        r => r.code === 1 && /403|401/.test(r.stderr),
      ],
      [
        'plan, wrong v2 token',
        ['plan', '-c', configFile, ...kube],
        wrongV2,
        r => r.code === 1 && /403|401/.test(r.stderr),
      ],
      [
        'writeback --dry-run, wrong v2 token',
        ['writeback', '-c', configFile, ...kube, '--dry-run'],
        wrongV2,
        r => r.code !== 0,
      ],
      [
        'netbox bootstrap, wrong v1 token',
        ['netbox', 'bootstrap', '-c', configFile, '--token-env', 'SEC_NETBOX_TOKEN'],
        WRONG_V1,
        r => r.code !== 0,
      ],
      [
        'plan, NetBox unreachable',
        ['plan', '-c', withUrl(`http://127.0.0.1:${closed}`), ...kube],
        lab.netbox.tokens.v2,
        r => r.code === 1 && /ECONNREFUSED/.test(r.stderr),
      ],
      [
        'plan, proxy answers 500 echoing Authorization',
        ['plan', '-c', withUrl(proxies[0]?.url ?? ''), ...kube],
        lab.netbox.tokens.v2,
        r => r.code === 1 && /500/.test(r.stderr),
      ],
      [
        'plan, proxy answers 403 echoing Authorization (v1)',
        ['plan', '-c', withUrl(proxies[1]?.url ?? ''), ...kube],
        lab.netbox.tokens.v1,
        r => r.code === 1 && /403/.test(r.stderr),
      ],
      [
        'drift, proxy answers 502 echoing Authorization',
        ['drift', '-c', withUrl(proxies[2]?.url ?? ''), ...kube],
        lab.netbox.tokens.v2,
        r => r.code !== 0,
      ],
      [
        'plan, kubeconfig bearer token rejected (401)',
        ['plan', '-c', configFile, '--kubeconfig', badKubeconfig],
        lab.netbox.tokens.v2,
        r => r.code === 1 && /401/.test(r.stderr),
      ],
    ];
    const outcomes: Record<string, boolean> = {};
    // Independent of each other and mostly waiting (backoff, refused connections): run them all at once.
    const t0 = Date.now();
    const done = await Promise.all(
      failures.map(async ([, args, token]) => runCli(args, { SEC_NETBOX_TOKEN: token, LOG_LEVEL: 'debug' })),
    );
    console.log(`[security] ${failures.length} failing commands in ${Date.now() - t0} ms`);
    for (const [i, [name, , , expected]] of failures.entries()) {
      const r = keepCli(name, done[i] as CliRun);
      outcomes[name] = expected(r);
      if (!outcomes[name]) expect.soft(`${name}: exit ${r.code}: ${r.stderr.slice(-600)}`).toBe(`${name}: as expected`);
    }
    // Control: the proxies did receive the tokens and put them in their bodies (the scan must not find them in
    // what the commands printed, though the text came back to them).
    expect(proxies.every(p => p.seen.length > 0)).toBe(true);
    expect(proxies.flatMap(p => p.seen).some(a => a.includes(lab.netbox.tokens.v2))).toBe(true);

    // NetBox (emulated) answering 503 and 429 before it answers: the retries are logged, the plan goes through.
    const emuBoot = await runBootstrap(
      new NetBoxClient({ url: emu.url, token: emu.tokens.v1 }),
      wantedObjects({ cluster: lab.cluster, roles: ['k8s-pod', 'k8s-loadbalancer'] }),
    );
    expect(emuBoot.ok).toBe(true);
    emu.setKnobs({ failNext: 2, throttleNext: 2, retryAfterSeconds: 0 });
    const retried = keepCli(
      'plan, emulator 503/429 then ok',
      await runCli(['plan', '-c', withUrl(emu.url), ...kube], { SEC_NETBOX_TOKEN: emu.tokens.v2, LOG_LEVEL: 'debug' }),
    );
    secrets.push(...tokenParts('emulator v2 token', emu.tokens.v2));
    // Exit 2: the emulator's NetBox is empty, so the plan would remove the pools the session created.
    const retries = retried.stderr.split('\n').filter(l => l.includes('retrying')).length;
    outcomes['plan, emulator 503/429 then ok'] = (retried.code === 0 || retried.code === 2) && retries === 4;
    if (!outcomes['plan, emulator 503/429 then ok']) {
      expect
        .soft(`exit ${retried.code}, ${retries} retries: ${retried.stderr.slice(0, 1500)}`)
        .toBe('plan after 503/429: exit 0/2 with 4 retries logged');
    }

    // The daemon with a wrong Redis password, and the daemon whose NetBox refuses its token: /readyz and
    // /metrics say why, the logs say why, none of them carries the secret.
    const redisWrong = redis.url.replace(encodeURIComponent(REDIS_PASSWORD), encodeURIComponent(WRONG_REDIS_PASSWORD));
    const daemonFailures: [string, Record<string, string>, string][] = [
      ['daemon, wrong Redis password', { SEC_NETBOX_TOKEN: lab.netbox.tokens.v2, REDIS_URL: redisWrong }, configFile],
      ['daemon, NetBox refuses the token', { SEC_NETBOX_TOKEN: WRONG_V1 }, withUrl(emu.url)],
    ];
    for (const [name, env, cfg] of daemonFailures) {
      const port = await freePort();
      const file = join(dir, `daemon-${port}.yaml`);
      const doc = parse(readFileSync(cfg, 'utf8')) as { server: Record<string, unknown> };
      writeFileSync(file, stringify({ ...doc, server: { ...doc.server, port } }));
      outcomes[name] = await failingDaemon(name, file, port, {
        KUBECONFIG: saKubeconfig,
        NETBOX_WEBHOOK_SECRET: WEBHOOK_SECRET,
        LOG_LEVEL: 'debug',
        ...env,
      });
    }
    await emu.close();
    await Promise.all(proxies.map(p => p.close()));
    expect(outcomes).toEqual(Object.fromEntries(Object.keys(outcomes).map(k => [k, true])));
    // Both stop on SIGTERM, even the one still waiting for Redis.
    expect(daemonEnds).toEqual({
      'daemon, wrong Redis password': 'exit 0',
      'daemon, NetBox refuses the token': 'exit 0',
    });
    failureRuns = Object.keys(outcomes).length;
  });

  let failureRuns = 0;

  /** Starts `run`, waits until /readyz reports the failure, reads every endpoint, stops it; true when it failed as expected. */
  async function failingDaemon(
    name: string,
    file: string,
    port: number,
    env: Record<string, string>,
  ): Promise<boolean> {
    const wrongRedis = env['REDIS_URL'] !== undefined;
    const proc = spawnDaemon(['-c', file], env);
    try {
      const base = `http://127.0.0.1:${port}`;
      let ready = { status: 0, body: '' };
      await waitFor(
        `${name}: /readyz reporting the failure`,
        async () => {
          ready = await http(name, `${base}/readyz`);
          // Wrong password: the scheduler never starts, /readyz names the Redis error. Wrong token: a sync ran and failed.
          return ready.status === 503 && (wrongRedis ? /WRONGPASS/ : /"sync\/[^"]+":"(?!ok)/).test(ready.body);
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      ).catch((err: unknown) => {
        const { stdout, stderr } = proc.output();
        throw new Error(
          `${(err as Error).message}\nlast /readyz: ${ready.status} ${ready.body}\n${stderr.slice(-500)}\n${stdout.slice(-1500)}`,
        );
      });
      for (const path of ['/metrics', '/healthz', '/drift.json']) await http(name, `${base}${path}`);
      console.log(`[security] ${name}: /readyz ${ready.status} ${ready.body.trim()}`);
      return wrongRedis
        ? /Redis unreachable.*WRONGPASS/.test(ready.body)
        : /403|refused the credentials/.test(ready.body);
    } finally {
      const end = await proc.stop();
      daemonEnds[name] = end.killed ? 'SIGKILL needed' : `exit ${end.code ?? end.signal ?? '?'}`;
      const { stdout, stderr } = proc.output();
      transcript.output(`${name} stdout`, stdout);
      transcript.output(`${name} stderr`, stderr);
    }
  }

  const daemonEnds: Record<string, string> = {};

  it('egress: the daemon and the commands connected only to NetBox, the apiserver and Redis — never to pool addresses', () => {
    const allowed = new Map<string, string>();
    const add = (what: string, url: string): void => {
      const u = new URL(url);
      allowed.set(`${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`, what);
    };
    add('NetBox', lab.netbox.url);
    add('kube-apiserver', inject('kubeServer'));
    add('Redis', `redis://127.0.0.1:${redis.port}`);
    const hosts = new Set([...allowed.keys()].map(k => k.slice(0, k.lastIndexOf(':'))));
    const events: (NetEvent & { file: string })[] = netlogs
      .filter(f => existsSync(f))
      .flatMap(f =>
        readFileSync(f, 'utf8')
          .split('\n')
          .filter(l => l.trim() !== '')
          .map(l => ({ ...(JSON.parse(l) as NetEvent), file: f.split('/').pop() ?? f })),
      );
    // The recorder ran in every process (the daemon and 7 commands) and saw their real connections.
    expect(events.filter(e => e.type === 'loaded').length).toBe(netlogs.length);
    const connects = events.filter(e => e.type === 'connect' || e.type === 'udp' || e.type === 'ipc');
    const seen = new Set(
      connects.map(
        e => allowed.get(`${e.host ?? ''}:${e.port ?? ''}`) ?? `${e.type} ${e.host ?? e.path ?? '?'}:${e.port ?? ''}`,
      ),
    );
    expect([...seen].sort()).toEqual(['NetBox', 'Redis', 'kube-apiserver']);
    const lookups = events.filter(e => e.type === 'lookup' && !hosts.has(e.host ?? ''));
    expect(lookups).toEqual([]);
    // No destination lies in the pools except NetBox's own address, which the 127.0.0.0/28 pool holds as data.
    const inPool = connects.filter(e => {
      const host = e.host ?? '';
      const a = tryParseAddress(host);
      return (
        a.ok && pools.some(p => cidrContainsAddress(parseCidr(p), a.value)) && !allowed.has(`${host}:${e.port ?? ''}`)
      );
    });
    expect(inPool).toEqual([]);
    expect(connects.filter(e => allocations.includes(e.host ?? ''))).toEqual([]);
    figures.push({
      suite: SUITE,
      scenario: 'egress: daemon + 7 commands, pools in 127/8',
      trials: netlogs.length,
      faults: 0,
      lost: 0,
      duplicated: 0,
      wronglyDeleted: 0,
      extra: {
        connects: connects.length,
        lookups: events.filter(e => e.type === 'lookup').length,
        destinations: allowed.size,
        toPoolAddresses: 0,
      },
    });
  });

  it('secret scan: no token, secret or password in any line or body, in any form', async () => {
    await daemon.stop();
    transcript.output('daemon stdout', daemonStdout);
    transcript.output('daemon stderr', daemonStderr);
    const needles = needlesOf(secrets);
    // Controls: the transcript holds the session (its cluster, its NetBox URL, debug lines), and the needles
    // find a secret where one is (the text the echo proxies sent back, scanned on its own).
    expect(transcript.contains(lab.cluster)).toBe(true);
    expect(transcript.contains('"level":20')).toBe(true);
    const control = new Transcript();
    control.body('control', `Authorization: Bearer ${lab.netbox.tokens.v2}`);
    control.body('control', `redis://:${encodeURIComponent(REDIS_PASSWORD)}@host`);
    control.body('control', Buffer.from(`x${saToken}`).toString('base64'));
    expect(new Set(control.scan(needles).map(h => h.secret))).toEqual(
      new Set([
        'NetBox v2 token',
        'NetBox v2 token (key part)',
        'NetBox v2 token (secret part)',
        'Redis password',
        'Kubernetes bearer token',
        'Kubernetes bearer token (claims)',
        'Kubernetes bearer token (signature)',
      ]),
    );
    const hits = transcript.scan(needles);
    console.log(
      `[security] scanned ${transcript.lines} lines and ${transcript.bodies} HTTP bodies (${transcript.bytes} bytes) for ${secrets.length} secrets in ${needles.length} forms: ${hits.length} hits`,
    );
    expect(hits).toEqual([]);
    figures.push({
      suite: SUITE,
      scenario: 'secret scan: daemon session + commands + failures',
      trials: 1 + 7 + failureRuns,
      faults: failureRuns + attacks,
      lost: 0,
      duplicated: 0,
      wronglyDeleted: 0,
      extra: {
        lines: transcript.lines,
        bodies: transcript.bodies,
        secrets: secrets.length,
        needles: needles.length,
        hits: hits.length,
      },
    });
  });
});

describe('security: RBAC outside the role is refused; image and chart run as non-root', () => {
  it('requests outside the shipped role are refused with 403 (rbac.test.ts proves the role exact)', async () => {
    for (const ns of [SA_NAMESPACE, 'metallb-system']) await ensureNamespace(ns);
    for (const m of manifests()) await applyManifest(m);
    const creds = { server: inject('kubeServer'), ca: inject('kubeCa'), token: await mintToken(SA_NAMESPACE, SA_NAME) };
    const attempts: [string, string, unknown?][] = [
      ['GET', '/api/v1/secrets'],
      ['GET', '/api/v1/namespaces/kube-system/secrets'],
      ['GET', '/api/v1/namespaces/kube-system/configmaps'],
      [
        'POST',
        '/api/v1/namespaces/default/pods',
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [{ name: 'x', image: 'x' }] } },
      ],
      [
        'POST',
        `/api/v1/namespaces/${SA_NAMESPACE}/serviceaccounts/${SA_NAME}/token`,
        { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} },
      ],
      ['DELETE', '/api/v1/namespaces/default'],
      [
        'POST',
        '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: 'x' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', name: SA_NAME, namespace: SA_NAMESPACE }],
        },
      ],
      ['GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions'],
      ['DELETE', '/apis/crd.projectcalico.org/v1/ipamblocks/anything'],
      ['PATCH', '/api/v1/namespaces/default/services/kubernetes', { metadata: { labels: { x: 'y' } } }],
    ];
    const statuses: string[] = [];
    for (const [method, path, body] of attempts) {
      const res = await kubeRequest(
        creds,
        method,
        path,
        body,
        method === 'PATCH' ? 'application/merge-patch+json' : undefined,
      );
      statuses.push(`${method} ${path} ${res.status}`);
    }
    expect(statuses).toEqual(attempts.map(([m, p]) => `${m} ${p} 403`));
    figures.push({
      suite: SUITE,
      scenario: 'RBAC: requests outside the role',
      trials: attempts.length,
      faults: attempts.length,
      lost: 0,
      duplicated: 0,
      wronglyDeleted: 0,
      extra: { forbidden403: attempts.length, allowed: 0 },
    });
  });

  it('the image, the chart, the compose file and the RBAC run nothing as root and grant no escalation', () => {
    const checks: string[] = [];
    const check = (what: string, ok: boolean): void => {
      checks.push(`${what}: ${ok ? 'ok' : 'FAILED'}`);
    };
    // Dockerfile: the last USER of the final stage is numeric and not 0; nothing after it switches back.
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const stages = dockerfile.split(/^FROM\s/m);
    const final = stages[stages.length - 1] ?? '';
    const users = [...final.matchAll(/^USER\s+(\S+)/gm)].map(m => m[1] ?? '');
    const user = users.at(-1) ?? '';
    check('Dockerfile final stage has a USER', users.length > 0);
    check('Dockerfile USER is numeric uid:gid', /^\d+(:\d+)?$/.test(user));
    check('Dockerfile USER is not root', !/^0(:|$)/.test(user));
    check(
      'Dockerfile: no RUN after USER (nothing runs as that user at build with more rights)',
      !/^RUN\s/m.test(final.slice(final.lastIndexOf('USER'))),
    );
    check('Dockerfile: no setuid/chmod u+s', !/chmod\s+[ug]\+s|chmod\s+[2467]\d{3}\b/.test(dockerfile));

    // Chart: values and the template that uses them.
    const chart = join(ROOT, 'deploy', 'helm', 'netbox-ippool-sync');
    const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as {
      podSecurityContext: Record<string, unknown>;
      securityContext: Record<string, unknown> & { capabilities?: { drop?: string[]; add?: string[] } };
    };
    const pod = values.podSecurityContext;
    const ctr = values.securityContext;
    check('chart pod runAsNonRoot', pod['runAsNonRoot'] === true);
    check('chart pod runAsUser numeric and not 0', typeof pod['runAsUser'] === 'number' && pod['runAsUser'] !== 0);
    check('chart pod runAsUser = Dockerfile USER', String(pod['runAsUser']) === user.split(':')[0]);
    check(
      'chart pod seccomp RuntimeDefault',
      (pod['seccompProfile'] as { type?: string } | undefined)?.type === 'RuntimeDefault',
    );
    check('chart container runAsNonRoot', ctr['runAsNonRoot'] === true);
    check('chart container readOnlyRootFilesystem', ctr['readOnlyRootFilesystem'] === true);
    check('chart container allowPrivilegeEscalation false', ctr['allowPrivilegeEscalation'] === false);
    check(
      'chart container drops ALL capabilities, adds none',
      JSON.stringify(ctr.capabilities?.drop) === '["ALL"]' && (ctr.capabilities?.add ?? []).length === 0,
    );
    check('chart container not privileged', ctr['privileged'] !== true);
    const deployment = readFileSync(join(chart, 'templates', 'deployment.yaml'), 'utf8');
    check(
      'chart template applies podSecurityContext',
      /securityContext:\s*\n\s*\{\{-\s*toYaml \.Values\.podSecurityContext/.test(deployment),
    );
    check(
      'chart template applies securityContext to the container',
      /securityContext:\s*\n\s*\{\{-\s*toYaml \.Values\.securityContext/.test(deployment),
    );
    check('chart: no hostNetwork/hostPID/hostPath', !/hostNetwork|hostPID|hostIPC|hostPath/.test(deployment));
    check('chart: secrets mounted read-only', (deployment.match(/readOnly: true/g) ?? []).length >= 3);
    check(
      'chart: the RBAC it ships is deploy/rbac (one copy)',
      readdirSync(join(chart, 'files', 'rbac')).join() === readdirSync(join(ROOT, 'deploy', 'rbac')).join(),
    );

    // Compose: the daemon's service runs as the same unprivileged user.
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { user?: string; privileged?: boolean }>;
    };
    const daemonService = Object.values(compose.services).find(s => s.user !== undefined);
    check(
      'compose: the daemon runs as a non-root user',
      /^\$\{NBSYNC_UID:-(\d+)\}/.exec(daemonService?.user ?? '')?.[1] === user.split(':')[0],
    );
    check(
      'compose: nothing privileged',
      Object.values(compose.services).every(s => s.privileged !== true),
    );

    // RBAC: no wildcard, no secrets, no escalation verbs, no RBAC objects.
    const rules = manifests().flatMap(m => m.rules ?? []);
    const flat = rules.flatMap(r =>
      r.apiGroups.flatMap(g => r.resources.flatMap(res => r.verbs.map(v => ({ g, res, v })))),
    );
    check(
      'RBAC: no "*"',
      flat.every(t => t.g !== '*' && t.res !== '*' && t.v !== '*'),
    );
    check(
      'RBAC: no secrets, configmaps or serviceaccounts/token',
      flat.every(t => !['secrets', 'configmaps', 'serviceaccounts', 'serviceaccounts/token'].includes(t.res)),
    );
    check(
      'RBAC: no escalate, bind, impersonate',
      flat.every(t => !['escalate', 'bind', 'impersonate'].includes(t.v)),
    );
    check(
      'RBAC: nothing in rbac.authorization.k8s.io',
      flat.every(t => t.g !== 'rbac.authorization.k8s.io'),
    );
    const docs = readdirSync(join(ROOT, 'deploy', 'rbac')).flatMap(f =>
      parseAllDocuments(readFileSync(join(ROOT, 'deploy', 'rbac', f), 'utf8')).map(
        d => d.toJS() as { kind?: string; automountServiceAccountToken?: boolean },
      ),
    );
    check(
      'RBAC: a ServiceAccount is shipped',
      docs.some(d => d?.kind === 'ServiceAccount'),
    );

    expect(checks.filter(c => c.endsWith('FAILED'))).toEqual([]);
    figures.push({
      suite: SUITE,
      scenario: 'non-root + least privilege (files)',
      trials: checks.length,
      faults: 0,
      lost: 0,
      duplicated: 0,
      wronglyDeleted: 0,
      extra: { checks: checks.length, failed: 0, uid: user },
    });
  });

  afterAll(() => {
    // The session describe records its own rows; this one's rows are added here if the session did not run.
    if (figures.length > 0) recordFigures(inject('reliabilityFigures'), figures.splice(0));
  });
});
