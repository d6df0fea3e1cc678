import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig, parseConfig, netboxTokenSource, validateKindDefaults } from './config.ts';
import type { Config, ConfigResult } from './config.ts';
import { ADAPTERS } from '../kinds/registry.ts';
import { formatIssue } from '../model/issue.ts';

const minimal = { cluster: 'lab', netbox: { url: 'https://netbox.example.com' } };

function config(r: ConfigResult): Config {
  if (!r.ok) throw new Error(`expected a valid config, got ${r.issues.map(formatIssue).join('; ')}`);
  return r.config;
}

function messages(r: ConfigResult): string[] {
  if (r.ok) throw new Error('expected config issues');
  return r.issues.map(i => `${i.subject.type === 'config' ? i.subject.path : '?'}: ${i.reason}`);
}

describe('parseConfig defaults', () => {
  const c = config(parseConfig(minimal, {}));

  it.each([
    ['selection.clusterTag', c.selection.clusterTag, 'k8s-lab'],
    ['selection.managedTag', c.selection.managedTag, 'k8s-ippool-sync'],
    ['selection.gatewayTag', c.selection.gatewayTag, 'gateway'],
    ['selection.gatewayRoles', c.selection.gatewayRoles, ['vrrp', 'hsrp', 'glbp', 'carp']],
    [
      'selection.roles',
      c.selection.roles,
      { 'k8s-pod': 'calico', 'k8s-secondary': 'whereabouts', 'k8s-rdma': 'nv-ipam', 'k8s-loadbalancer': 'metallb' },
    ],
    ['selection.customFields.poolName', c.selection.customFields.poolName, 'k8s_pool_name'],
    ['selection.customFields.options', c.selection.customFields.options, 'k8s_options'],
    ['netbox.tokenEnv', c.netbox.tokenEnv, 'NETBOX_TOKEN'],
    ['netbox.tokenFile', c.netbox.tokenFile, '/var/run/secrets/netbox/token'],
    ['netbox.insecureSkipVerify', c.netbox.insecureSkipVerify, false],
    ['netbox.timeoutMs', c.netbox.timeoutMs, 30000],
    ['netbox.pageSize', c.netbox.pageSize, 1000],
    ['netbox.batchSize', c.netbox.batchSize, 100],
    ['netbox.concurrency', c.netbox.concurrency, 4],
    ['netbox.filterBatchSize', c.netbox.filterBatchSize, 50],
    ['kinds', c.kinds, {}],
    ['policy', c.policy, 'sync'],
    ['deleteBudget', c.deleteBudget, { maxCount: 10, maxPercent: 25 }],
    [
      'writeback',
      c.writeback,
      {
        status: 'reserved',
        blockStatus: 'reserved',
        perNodeBlocks: 'prefix',
        kinds: {},
        gracePeriodMinutes: 60,
        customFields: { cluster: 'k8s_cluster', owner: 'k8s_owner', pool: 'k8s_pool', staleSince: 'k8s_stale_since' },
      },
    ],
    ['drift', c.drift, { utilisationThreshold: 80 }],
  ])('%s', (_path, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it('keeps an explicit cluster tag and replaces the role table as a whole', () => {
    const c2 = config(parseConfig({ ...minimal, selection: { clusterTag: 'prod-a', roles: { lb: 'cilium-lb' } } }, {}));
    expect(c2.selection.clusterTag).toBe('prod-a');
    expect(c2.selection.roles).toEqual({ lb: 'cilium-lb' });
  });
});

describe('parseConfig errors name the path', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['missing cluster', { netbox: minimal.netbox }, 'cluster: required'],
    ['missing netbox', { cluster: 'lab' }, 'netbox: required'],
    [
      'cluster not a label',
      { ...minimal, cluster: 'Lab_1' },
      "cluster: expected a cluster name (a DNS-1123 label: lowercase letters, digits and '-')",
    ],
    [
      'url scheme',
      { ...minimal, netbox: { url: 'ftp://nb' } },
      'netbox.url: expected an http(s) URL, e.g. https://netbox.example.com',
    ],
    ['page size', { ...minimal, netbox: { ...minimal.netbox, pageSize: 5000 } }, 'netbox.pageSize: expected 1-1000'],
    [
      'non-integer',
      { ...minimal, netbox: { ...minimal.netbox, timeoutMs: 1.5 } },
      'netbox.timeoutMs: expected an integer 100-600000',
    ],
    ['unknown key', { ...minimal, netbox: { ...minimal.netbox, pagesize: 10 } }, 'netbox.pagesize: unknown key'],
    [
      'token inline',
      { ...minimal, netbox: { ...minimal.netbox, token: 'abc' } },
      'netbox.token: the NetBox token must not be written in the config file',
    ],
    [
      'bad kind',
      { ...minimal, selection: { roles: { 'k8s-pod': 'calicoo' } } },
      'selection.roles.k8s-pod: expected a pool kind: one of whereabouts, nv-ipam, calico, metallb, cilium-lb, cilium-pod',
    ],
    [
      'empty roles',
      { ...minimal, selection: { roles: {} } },
      'selection.roles: expected at least one role → pool kind mapping',
    ],
    [
      'cf name',
      { ...minimal, selection: { customFields: { poolName: 'K8s-Name' } } },
      'selection.customFields.poolName: expected a custom field name ([a-z0-9_]+)',
    ],
    [
      'gateway role',
      { ...minimal, selection: { gatewayRoles: ['router'] } },
      'selection.gatewayRoles[0]: expected an IP role: one of loopback, secondary, anycast, vip, vrrp, hsrp, glbp, carp',
    ],
    [
      'unknown kind',
      { ...minimal, kinds: { flannel: {} } },
      'kinds.flannel: unknown pool kind; expected one of whereabouts, nv-ipam, calico, metallb, cilium-lb, cilium-pod',
    ],
    ['kind not a map', { ...minimal, kinds: { calico: 5 } }, 'kinds.calico: expected a mapping of kind defaults'],
    ['policy', { ...minimal, policy: 'delete-all' }, 'policy: expected sync, upsert-only or create-only'],
    ['budget', { ...minimal, deleteBudget: { maxPercent: 150 } }, 'deleteBudget.maxPercent: expected 0-100'],
    [
      'writeback status',
      { ...minimal, writeback: { status: 'used' } },
      'writeback.status: expected a NetBox IP address status: active, reserved, deprecated, dhcp or slaac',
    ],
    [
      'drift threshold',
      { ...minimal, drift: { utilisationThreshold: 0 } },
      'drift.utilisationThreshold: expected 1-100',
    ],
  ])('%s', (_name, raw, expected) => {
    expect(messages(parseConfig(raw, {}))).toContain(expected);
  });

  it('reports every problem at once', () => {
    expect(messages(parseConfig({ cluster: 'X', netbox: { url: 'x' }, policy: 'no' }, {}))).toHaveLength(3);
  });

  it('rejects a non-mapping document', () => {
    expect(messages(parseConfig(['a'], {}))).toEqual([
      '(root): expected a mapping with at least `cluster` and `netbox`',
    ]);
  });
});

describe('environment overrides', () => {
  it('takes the NetBox URL and TLS settings from the environment over the file', () => {
    const c = config(
      parseConfig(minimal, {
        NETBOX_URL: 'http://127.0.0.1:8000',
        NETBOX_CA_FILE: '/etc/ca.pem',
        NETBOX_INSECURE_SKIP_VERIFY: 'true',
        NETBOX_TIMEOUT_MS: '5000',
        NETBOX_TOKEN_FILE: '/tmp/t',
      }),
    );
    expect(c.netbox).toMatchObject({
      url: 'http://127.0.0.1:8000',
      caFile: '/etc/ca.pem',
      insecureSkipVerify: true,
      timeoutMs: 5000,
      tokenFile: '/tmp/t',
    });
  });

  it('lets the URL live only in the environment', () => {
    expect(config(parseConfig({ cluster: 'lab' }, { NETBOX_URL: 'https://nb.test' })).netbox.url).toBe(
      'https://nb.test',
    );
  });

  it('reports a bad override against the key it overrides', () => {
    expect(messages(parseConfig(minimal, { NETBOX_INSECURE_SKIP_VERIFY: 'maybe' }))).toEqual([
      'netbox.insecureSkipVerify: expected true or false',
    ]);
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nis-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the shipped example without issues', async () => {
    const r = await loadConfig(new URL('../../config/example.yaml', import.meta.url).pathname, {});
    const c = config(r);
    expect(c.cluster).toBe('lab');
    expect(Object.keys(c.kinds).sort()).toEqual(['calico', 'metallb', 'nv-ipam', 'whereabouts']);
  });

  it('reports YAML syntax errors with a line number', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'cluster: lab\nnetbox: [unclosed\n');
    const r = await loadConfig(file, {});
    const subject = r.ok ? undefined : r.issues[0]?.subject;
    expect(subject?.type === 'config' ? subject.path : 'no config issue').toMatch(/bad\.yaml:\d+:\d+$/);
  });

  it('reports duplicate keys', async () => {
    const file = join(dir, 'dup.yaml');
    await writeFile(file, 'cluster: lab\ncluster: other\nnetbox: {url: https://nb}\n');
    expect((await loadConfig(file, {})).ok).toBe(false);
  });

  it('reports a missing file', async () => {
    const r = await loadConfig(join(dir, 'nope.yaml'), {});
    expect(r.ok ? [] : r.issues.map(i => i.reason)).toEqual(['cannot read the config file (ENOENT)']);
  });

  it('takes the token from the environment first, then the token file', () => {
    const nb = { ...config(parseConfig(minimal, {})).netbox, tokenFile: '/run/secrets/nb', tokenEnv: 'NB_TOKEN' };
    expect(netboxTokenSource(nb, { NB_TOKEN: 'x'.repeat(40) })).toEqual({ env: 'NB_TOKEN' });
    expect(netboxTokenSource(nb, { NB_TOKEN: '  ' })).toEqual({ file: '/run/secrets/nb' });
    expect(netboxTokenSource(nb, {})).toEqual({ file: '/run/secrets/nb' });
  });
});

describe('validateKindDefaults', () => {
  const calico = {
    kind: 'calico' as const,
    defaults: z.strictObject({ blockSize: z.int().min(20, { error: 'expected 20-32' }).max(32).default(26) }),
  };

  it('fills defaults through the adapter schema', () => {
    const c = config(parseConfig({ ...minimal, kinds: { calico: {} } }, {}));
    expect(validateKindDefaults(c, [calico])).toEqual({ defaults: { calico: { blockSize: 26 } }, issues: [] });
  });

  it('prefixes adapter problems with kinds.<kind>', () => {
    const c = config(parseConfig({ ...minimal, kinds: { calico: { blockSize: 12, ipip: true } } }, {}));
    const { issues } = validateKindDefaults(c, [calico]);
    expect(issues.map(formatIssue)).toEqual([
      'error: config kinds.calico.blockSize: expected 20-32',
      'error: config kinds.calico.ipip: unknown key — check the spelling against config/README.md',
    ]);
  });

  it('with the real adapters: an unknown key hides no other problem of its section, ranges included', () => {
    const kinds = {
      calico: { bogus: 1, blockSizeV4: 99, blockSizeV6: 112 },
      'cilium-pod': { maskSizeV4: 0, maskSizeV6: 129 },
      metallb: { nope: 2, autoAssign: 7 },
    };
    const { issues, defaults } = validateKindDefaults(config(parseConfig({ ...minimal, kinds }, {})), ADAPTERS);
    expect(issues.map(formatIssue).sort()).toEqual([
      'error: config kinds.calico.blockSizeV4: expected 20-32',
      'error: config kinds.calico.blockSizeV6: expected 116-128',
      'error: config kinds.calico.bogus: unknown key — check the spelling against config/README.md',
      'error: config kinds.cilium-pod.maskSizeV4: expected 1-32',
      'error: config kinds.cilium-pod.maskSizeV6: expected 1-128',
      'error: config kinds.metallb.autoAssign: Invalid input: expected boolean, received number',
      'error: config kinds.metallb.nope: unknown key — check the spelling against config/README.md',
    ]);
    expect(Object.keys(defaults).sort()).toEqual(['cilium-lb', 'nv-ipam', 'whereabouts']);
  });

  it('in-range values pass', () => {
    const kinds = { calico: { blockSizeV4: 20, blockSizeV6: 128 }, 'cilium-pod': { maskSizeV4: 32, maskSizeV6: 1 } };
    expect(validateKindDefaults(config(parseConfig({ ...minimal, kinds }, {})), ADAPTERS).issues).toEqual([]);
  });

  it('a config that fails elsewhere still has its kind sections checked, in the same run', () => {
    const raw = { ...minimal, policy: 'yolo', kinds: { calico: { bogus: 1, blockSizeV4: 99 }, flannel: {} } };
    expect(messages(parseConfig(raw, {}, ADAPTERS))).toEqual([
      'kinds.flannel: unknown pool kind; expected one of whereabouts, nv-ipam, calico, metallb, cilium-lb, cilium-pod',
      'policy: expected sync, upsert-only or create-only',
      'kinds.calico.blockSizeV4: expected 20-32',
      'kinds.calico.bogus: unknown key',
    ]);
  });

  it('warns about defaults for a kind no adapter handles', () => {
    const c = config(parseConfig({ ...minimal, kinds: { 'cilium-lb': {} } }, {}));
    expect(validateKindDefaults(c, [calico]).issues).toMatchObject([
      { severity: 'warning', subject: { path: 'kinds.cilium-lb' } },
    ]);
  });
});

describe('run: schedule, server, redis and their environment overrides', () => {
  it('defaults to the embedded mode with a five-minute sync and a 500ms debounce', () => {
    const c = config(parseConfig(minimal, {}));
    expect(c.redis).toEqual({ prefix: 'nbsync' });
    expect(c.schedule).toEqual({
      sync: { every: '5m' },
      writeback: { every: '5m' },
      drift: { every: '15m' },
      debounce: '500ms',
      shutdownTimeout: '60s',
    });
    expect(c.server).toMatchObject({ address: '0.0.0.0', port: 8080, webhookSecretEnv: 'NETBOX_WEBHOOK_SECRET' });
    expect(c.logLevel).toBe('info');
  });

  it('takes cluster name, Redis, log level and the bind address from the environment over the file', () => {
    const c = config(
      parseConfig(
        { ...minimal, server: { port: 9000 }, redis: { url: 'redis://file:6379' } },
        {
          CLUSTER_NAME: 'prod-a',
          REDIS_URL: 'redis://127.0.0.1:6380',
          LOG_LEVEL: 'debug',
          NBSYNC_BIND_ADDRESS: '127.0.0.1',
          NBSYNC_PORT: '9100',
        },
      ),
    );
    expect([c.cluster, c.redis.url, c.logLevel, c.server.address, c.server.port]).toEqual([
      'prod-a',
      'redis://127.0.0.1:6380',
      'debug',
      '127.0.0.1',
      9100,
    ]);
    expect(c.selection.clusterTag).toBe('k8s-prod-a');
  });

  it.each([
    [{ NBSYNC_PORT: 'eighty' }, {}, 'server.port: expected an integer 0-65535'],
    [{ REDIS_URL: 'localhost:6379' }, {}, 'redis.url: expected a redis:// or rediss:// URL'],
    [{ LOG_LEVEL: 'loud' }, {}, 'logLevel: expected fatal, error, warn, info, debug, trace or silent'],
    [{}, { schedule: { sync: { every: '5 minutes' } } }, 'schedule.sync.every: expected the interval as a duration'],
    [{}, { schedule: { sync: { cron: '* * *' } } }, 'schedule.sync.cron: expected a cron expression'],
    [{}, { schedule: { sync: { cron: '61 * * * *' } } }, 'schedule.sync.cron: expected a cron expression'],
    [{}, { schedule: { sync: 'hourly' } }, 'schedule.sync: expected {every: <duration>}'],
    [{}, { schedule: { debounce: '10' } }, 'schedule.debounce: expected the debounce as a duration'],
  ])('reports %j / %j precisely', (env, extra, message) => {
    expect(messages(parseConfig({ ...minimal, ...extra }, env)).join('\n')).toContain(message);
  });

  it('accepts cron schedules with a time zone and a job switched off', () => {
    const c = config(
      parseConfig({ ...minimal, schedule: { sync: { cron: '*/2 * * * *', timezone: 'UTC' }, drift: false } }, {}),
    );
    expect(c.schedule.sync).toEqual({ cron: '*/2 * * * *', timezone: 'UTC' });
    expect(c.schedule.drift).toBe(false);
  });
});

describe('loadConfig refuses what YAML cannot expand', () => {
  it('an alias bomb is a config issue with the path, not a throw (found by test/reliability/bad-config.test.ts)', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const dir = await mkdtemp(join(tmpdir(), 'nbsync-config-'));
    try {
      const file = join(dir, 'bomb.yaml');
      await writeFile(file, `${levels.join('\n')}\ncluster: lab\n`);
      const result = await loadConfig(file, {});
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.issues.map(i => i.subject)).toEqual([{ type: 'config', path: file }]);
      expect(result.issues[0]?.reason).toContain('YAML cannot be read: Excessive alias count');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('config issue paths', () => {
  it('an empty or dotted key is quoted, so the path is never empty (found by test/reliability/bad-config.test.ts)', () => {
    const r = parseConfig({ cluster: 'lab', netbox: { url: 'https://nb' }, '': 1, 'a.b': 2 }, {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map(i => (i.subject.type === 'config' ? i.subject.path : '?')).sort()).toEqual(['[""]', '["a.b"]']);
  });
});
