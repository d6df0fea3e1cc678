import { Command } from 'commander';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../dev/netbox-emulator/index.ts';
import type { Emulator } from '../../dev/netbox-emulator/index.ts';
import { seedNetBox } from '../../dev/netbox-real/seed.ts';
import { registerNetboxBootstrap } from '../../src/commands/netbox-bootstrap.ts';
import { runBootstrap, wantedObjects } from '../../src/netbox/bootstrap.ts';
import { NetBoxClient, NetBoxValidationError } from '../../src/netbox/client/index.ts';
import { realNetBox, resetRealNetBox } from '../support/netbox.ts';

/**
 * `netbox bootstrap` against real NetBox (the integration environment's; the emulator with NBSYNC_NETBOX=emulator),
 * through the real HTTP client. Every test starts from an empty NetBox: the database is cloned again from the
 * migrated template. Writes are counted from NetBox's own change log (core/object-changes).
 */

const want = wantedObjects({ cluster: 'lab' });
const TOTAL = want.roles.length + want.tags.length + want.choiceSets.length + want.customFields.length;

/** The NetBox under test: real, or an emulator of this file's own. */
interface Target {
  kind: string;
  url: string;
  tokens: { v1: string; v2: string; readOnly: string };
  reset(): Promise<void>;
  seed(data: Record<string, unknown>): Promise<void>;
  /** Change-log entries (create/update/delete) since the last mark(). */
  changes(): Promise<Record<string, number>>;
  mark(): Promise<void>;
  close(): Promise<void>;
}

function realTarget(): Target | undefined {
  const nb = realNetBox();
  if (nb === undefined) return undefined;
  let since = 0;
  const changeIds = async (): Promise<{ id: number; action: { value: string } }[]> => {
    const res = await fetch(`${nb.url}/api/core/object-changes/?id__gt=${since}&limit=1000&ordering=id`, {
      headers: { Authorization: `Token ${nb.tokens.v1}`, Accept: 'application/json' },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { results: { id: number; action: { value: string } }[] }).results;
  };
  return {
    kind: `real NetBox ${nb.version}`,
    url: nb.url,
    tokens: nb.tokens,
    reset: async () => {
      await resetRealNetBox();
      since = 0;
    },
    seed: async data => void (await seedNetBox(nb.url, nb.tokens.v1, data)),
    changes: async () => {
      const counts: Record<string, number> = {};
      for (const c of await changeIds()) counts[c.action.value] = (counts[c.action.value] ?? 0) + 1;
      return counts;
    },
    mark: async () => {
      since = Math.max(since, ...(await changeIds()).map(c => c.id));
    },
    close: () => Promise.resolve(),
  };
}

async function emulatorTarget(): Promise<Target> {
  const emu: Emulator = await startEmulator();
  let since = 0;
  return {
    kind: 'the NetBox emulator',
    url: emu.url,
    tokens: emu.tokens,
    reset: () => {
      emu.reset();
      since = 0;
      return Promise.resolve();
    },
    seed: data => {
      emu.seed(data);
      return Promise.resolve();
    },
    changes: () => {
      const counts: Record<string, number> = {};
      for (const c of emu.store.changelog.slice(since)) counts[c.action] = (counts[c.action] ?? 0) + 1;
      return Promise.resolve(counts);
    },
    mark: () => {
      since = emu.store.changelog.length;
      return Promise.resolve();
    },
    close: () => emu.close(),
  };
}

let nbx: Target;
const client = (token: string) => new NetBoxClient({ url: nbx.url, token, maxRetries: 0, timeoutMs: 30_000 });

interface CustomFieldRead {
  name: string;
  type: { value: string };
  object_types: string[];
  label: string;
  group_name: string;
  description: string;
  filter_logic: { value: string };
  validation_minimum: number | null;
  validation_maximum: number | null;
  validation_regex: string;
  choice_set: { id: number; name: string } | null;
}

beforeAll(async () => {
  nbx = realTarget() ?? (await emulatorTarget());
});
afterAll(async () => {
  await nbx.close();
});
beforeEach(async () => {
  await nbx.reset();
  await nbx.mark();
});

describe('netbox bootstrap against NetBox', () => {
  it('talks to the NetBox this run is about', () => {
    console.log(`[netbox-bootstrap] against ${nbx.kind} at ${nbx.url}`);
    expect(nbx.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('creates everything on an empty NetBox, and a second run makes no write', async () => {
    const nb = client(nbx.tokens.v1);
    const first = await runBootstrap(nb, want);
    expect(first.results.filter(r => r.status !== 'created')).toEqual([]);
    expect(first.counts.created).toBe(TOTAL);

    const fields = await nb.list<CustomFieldRead>('extras/custom-fields');
    const byName = new Map(fields.map(f => [f.name, f]));
    const kind = byName.get('k8s_pool_kind');
    expect(kind).toMatchObject({ type: { value: 'select' }, choice_set: { name: 'k8s_pool_kind' } });
    // NetBox reads many-to-many object types back in no defined order: compare them as sets.
    expect(kind?.object_types.toSorted()).toEqual(['ipam.iprange', 'ipam.prefix']);
    expect(byName.get('k8s_block_size')).toMatchObject({
      type: { value: 'integer' },
      validation_minimum: 1,
      validation_maximum: 128,
    });
    expect(byName.get('k8s_gateway')).toMatchObject({ type: { value: 'text' }, validation_regex: '' });
    expect(byName.get('k8s_options')?.type.value).toBe('json');
    expect(byName.get('k8s_cluster')).toMatchObject({ filter_logic: { value: 'exact' } });
    expect(byName.get('k8s_cluster')?.object_types.toSorted()).toEqual([
      'ipam.ipaddress',
      'ipam.iprange',
      'ipam.prefix',
    ]);
    for (const f of fields) expect(f).toMatchObject({ group_name: 'Kubernetes', label: expect.any(String) as unknown });
    const sets = await nb.listCustomFieldChoiceSets();
    expect(sets[0]?.extra_choices?.map(([v]) => v)).toEqual([
      'whereabouts',
      'nv-ipam',
      'calico',
      'metallb',
      'cilium-lb',
      'cilium-pod',
    ]);
    expect((await nb.listTags()).map(t => t.slug)).toEqual(['gateway', 'k8s-ippool-sync', 'k8s-lab']);
    expect((await nb.listRoles()).map(r => r.slug).sort()).toEqual(want.roles.map(r => r.slug).sort());

    await nbx.mark();
    const second = await runBootstrap(nb, want);
    expect(second.readError).toBeUndefined();
    expect(second.results.filter(r => r.status !== 'unchanged')).toEqual([]);
    expect(second).toMatchObject({ ok: true, changed: false });
    expect(second.counts.unchanged).toBe(TOTAL);
    expect(await nbx.changes()).toEqual({});
  });

  it('makes fields that hold the values the daemon writes, within their bounds', async () => {
    const nb = client(nbx.tokens.v2);
    expect((await runBootstrap(nb, want)).ok).toBe(true);
    const prefix = await nb.create<{ custom_fields: Record<string, unknown> }>('ipam/prefixes', {
      prefix: '10.20.0.0/24',
      custom_fields: { k8s_pool_kind: 'calico', k8s_block_size: 26, k8s_options: { natOutgoing: true } },
    });
    expect(prefix.custom_fields).toMatchObject({ k8s_pool_kind: { value: 'calico' }, k8s_block_size: 26 });
    await expect(
      nb.create('ipam/prefixes', { prefix: '10.21.0.0/24', custom_fields: { k8s_block_size: 129 } }),
    ).rejects.toBeInstanceOf(NetBoxValidationError);
    await expect(
      nb.create('ipam/prefixes', { prefix: '10.22.0.0/24', custom_fields: { k8s_pool_kind: 'flannel' } }),
    ).rejects.toBeInstanceOf(NetBoxValidationError);
  });

  it('lists every object a read-only token could not create, and creates nothing', async () => {
    const readOnly = client(nbx.tokens.readOnly);
    const report = await runBootstrap(readOnly, want);
    expect(report.ok).toBe(false);
    expect(report.counts.failed).toBe(TOTAL);
    expect(report.results.find(r => r.name === 'k8s_options')?.reason).toBe(
      'the token cannot create custom field k8s_options (NetBox answered 403: read-only token or missing ' +
        'permission extras.add_customfield)',
    );
    expect(report.results.find(r => r.thing === 'tag')?.reason).toContain('permission extras.add_tag');
    expect(Object.keys(readOnly.stats().byRequest).filter(k => k.endsWith(' 403'))).not.toEqual([]);
    expect(await nbx.changes()).toEqual({});
    const nb = client(nbx.tokens.v1);
    expect(await nb.listCustomFields()).toEqual([]);
    expect(await nb.listTags()).toEqual([]);
  });

  it('completes what a person made without touching anything else of theirs', async () => {
    await nbx.seed({
      'extras/custom-field-choice-sets': [{ name: 'k8s_pool_kind', extra_choices: [['calico', 'Calico (ours)']] }],
      'extras/custom-fields': [
        { name: 'k8s_pool_name', type: 'text', object_types: ['ipam.prefix'], label: 'Mine', required: false },
        { name: 'k8s_block_size', type: 'text', object_types: ['ipam.prefix', 'ipam.iprange'] },
        { name: 'k8s_namespace', type: 'boolean', object_types: ['ipam.prefix', 'ipam.iprange'] },
      ],
      'extras/tags': [{ name: 'k8s-lab', slug: 'k8s-lab', color: 'ff0000' }],
    });
    await nbx.mark();
    const nb = client(nbx.tokens.v1);
    const report = await runBootstrap(nb, want);
    const status = (name: string) => report.results.find(r => r.name === name && r.thing !== 'role')?.status;
    expect(status('k8s_pool_name')).toBe('updated');
    expect(status('k8s_block_size')).toBe('unchanged');
    expect(status('k8s_namespace')).toBe('conflict');
    expect(status('k8s-lab')).toBe('unchanged');
    expect(report.results.find(r => r.thing === 'choice set')).toMatchObject({
      status: 'updated',
      detail: 'add choices whereabouts, nv-ipam, metallb, cilium-lb, cilium-pod',
    });
    expect(report.ok).toBe(false);

    const fields = new Map((await nb.list<CustomFieldRead>('extras/custom-fields')).map(f => [f.name, f]));
    expect(fields.get('k8s_pool_name')).toMatchObject({ label: 'Mine' });
    expect(fields.get('k8s_pool_name')?.object_types.toSorted()).toEqual(['ipam.iprange', 'ipam.prefix']);
    expect(fields.get('k8s_namespace')?.type.value).toBe('boolean');
    const [set] = await nb.listCustomFieldChoiceSets();
    expect(set?.extra_choices?.[0]).toEqual(['calico', 'Calico (ours)']);
    expect((await nb.listTags()).find(t => t.slug === 'k8s-lab')?.color).toBe('ff0000');
    // Only the two additions: object types of k8s_pool_name and the choices of the set; the rest created.
    expect((await nbx.changes())['update']).toBe(2);
  });

  it('runs as a command: lines per step, exit code, and "nothing to change" the second time', async () => {
    const runCli = async (args: string[]) => {
      const r = { code: -1, out: '' };
      const program = new Command('netbox-ippool-sync').exitOverride();
      registerNetboxBootstrap(program, {
        setExit: c => (r.code = c),
        stdout: t => (r.out += t),
        stderr: t => (r.out += t),
        env: { NB_TOKEN: nbx.tokens.v2 },
      });
      await program.parseAsync(['netbox', 'bootstrap', '--netbox-url', nbx.url, '--token-env', 'NB_TOKEN', ...args], {
        from: 'user',
      });
      return r;
    };
    const first = await runCli(['--cluster', 'lab']);
    expect(first.code).toBe(0);
    expect(first.out).toContain('\n+ created tag k8s-lab\n');
    await nbx.mark();
    const second = await runCli(['--cluster', 'lab']);
    expect(second.code).toBe(0);
    expect(second.out).toContain(`Nothing to change: all ${TOTAL} objects exist.`);
    expect(await nbx.changes()).toEqual({});
    const other = await runCli(['--cluster', 'edge', '--dry-run']);
    expect(other.out).toContain('\n+ would create tag k8s-edge\n');
    expect(other.out).toMatch(/would create 1, unchanged \d+ \(dry run: nothing written\)\./);
  });
});
