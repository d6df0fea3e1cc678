import { Command } from 'commander';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../dev/netbox-emulator/index.ts';
import type { Emulator, StatsSnapshot } from '../../dev/netbox-emulator/index.ts';
import { registerNetboxBootstrap } from '../../src/commands/netbox-bootstrap.ts';
import { runBootstrap, wantedObjects } from '../../src/netbox/bootstrap/bootstrap.ts';
import { NetBoxClient, NetBoxValidationError } from '../../src/netbox/client/index.ts';

/** `netbox bootstrap` against the NetBox emulator, through the real HTTP client. */

const want = wantedObjects({ cluster: 'lab' });
const TOTAL = want.roles.length + want.tags.length + want.choiceSets.length + want.customFields.length;

let emu: Emulator;
const client = (token: string) => new NetBoxClient({ url: emu.url, token, maxRetries: 0 });
const writes = (s: StatsSnapshot) => Object.entries(s.byMethod).filter(([m]) => m !== 'GET');

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
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.reset();
  emu.resetStats();
});

describe('netbox bootstrap against the NetBox emulator', () => {
  it('creates everything on an empty NetBox, and a second run makes no write', async () => {
    const nb = client(emu.tokens.v1);
    const first = await runBootstrap(nb, want);
    expect(first.results.filter(r => r.status !== 'created')).toEqual([]);
    expect(first.counts.created).toBe(TOTAL);

    const fields = await nb.list<CustomFieldRead>('extras/custom-fields');
    const byName = new Map(fields.map(f => [f.name, f]));
    const kind = byName.get('k8s_pool_kind');
    expect(kind).toMatchObject({ type: { value: 'select' }, choice_set: { name: 'k8s_pool_kind' } });
    expect(kind?.object_types).toEqual(['ipam.prefix', 'ipam.iprange']);
    expect(byName.get('k8s_block_size')).toMatchObject({
      type: { value: 'integer' },
      validation_minimum: 1,
      validation_maximum: 128,
    });
    expect(byName.get('k8s_gateway')).toMatchObject({ type: { value: 'text' }, validation_regex: '' });
    expect(byName.get('k8s_options')?.type.value).toBe('json');
    expect(byName.get('k8s_cluster')).toMatchObject({
      object_types: ['ipam.ipaddress', 'ipam.prefix', 'ipam.iprange'],
      filter_logic: { value: 'exact' },
    });
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

    emu.resetStats();
    const second = await runBootstrap(nb, want);
    expect(second).toMatchObject({ ok: true, changed: false });
    expect(second.counts.unchanged).toBe(TOTAL);
    expect(writes(emu.stats())).toEqual([]);
  });

  it('makes fields that hold the values the daemon writes, within their bounds', async () => {
    const nb = client(emu.tokens.v2);
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
    const report = await runBootstrap(client(emu.tokens.readOnly), want);
    expect(report.ok).toBe(false);
    expect(report.counts.failed).toBe(TOTAL);
    expect(report.results.find(r => r.name === 'k8s_options')?.reason).toBe(
      'the token cannot create custom field k8s_options (NetBox answered 403: read-only token or missing ' +
        'permission extras.add_customfield)',
    );
    expect(report.results.find(r => r.thing === 'tag')?.reason).toContain('permission extras.add_tag');
    expect(emu.stats().byStatus['403']).toBeGreaterThan(0);
    const nb = client(emu.tokens.v1);
    expect(await nb.listCustomFields()).toEqual([]);
    expect(await nb.listTags()).toEqual([]);
  });

  it('completes what a person made without touching anything else of theirs', async () => {
    emu.seed({
      'extras/custom-field-choice-sets': [{ name: 'k8s_pool_kind', extra_choices: [['calico', 'Calico (ours)']] }],
      'extras/custom-fields': [
        { name: 'k8s_pool_name', type: 'text', object_types: ['ipam.prefix'], label: 'Mine', required: false },
        { name: 'k8s_block_size', type: 'text', object_types: ['ipam.prefix', 'ipam.iprange'] },
        { name: 'k8s_namespace', type: 'boolean', object_types: ['ipam.prefix', 'ipam.iprange'] },
      ],
      'extras/tags': [{ name: 'k8s-lab', slug: 'k8s-lab', color: 'ff0000' }],
    });
    const nb = client(emu.tokens.v1);
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
    expect(fields.get('k8s_pool_name')).toMatchObject({ label: 'Mine', object_types: ['ipam.prefix', 'ipam.iprange'] });
    expect(fields.get('k8s_namespace')?.type.value).toBe('boolean');
    const [set] = await nb.listCustomFieldChoiceSets();
    expect(set?.extra_choices?.[0]).toEqual(['calico', 'Calico (ours)']);
    expect((await nb.listTags()).find(t => t.slug === 'k8s-lab')?.color).toBe('ff0000');
    const patched = writes(emu.stats());
    expect(patched).toContainEqual(['PATCH', 2]);
  });

  it('runs as a command: lines per step, exit code, and "nothing to change" the second time', async () => {
    const runCli = async (args: string[]) => {
      const r = { code: -1, out: '' };
      const program = new Command('netbox-ippool-sync').exitOverride();
      registerNetboxBootstrap(program, {
        setExit: c => (r.code = c),
        stdout: t => (r.out += t),
        stderr: t => (r.out += t),
        env: { NB_TOKEN: emu.tokens.v2 },
      });
      await program.parseAsync(['netbox', 'bootstrap', '--netbox-url', emu.url, '--token-env', 'NB_TOKEN', ...args], {
        from: 'user',
      });
      return r;
    };
    const first = await runCli(['--cluster', 'lab']);
    expect(first.code).toBe(0);
    expect(first.out).toContain('\n+ created tag k8s-lab\n');
    emu.resetStats();
    const second = await runCli(['--cluster', 'lab']);
    expect(second.code).toBe(0);
    expect(second.out).toContain(`Nothing to change: all ${TOTAL} objects exist.`);
    expect(writes(emu.stats())).toEqual([]);
    const other = await runCli(['--cluster', 'edge', '--dry-run']);
    expect(other.out).toContain('\n+ would create tag k8s-edge\n');
    expect(other.out).toMatch(/would create 1, unchanged \d+ \(dry run: nothing written\)\./);
  });
});
