import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeBootstrapApi } from '../../test/support/fake-bootstrap-api.ts';
import { registerNetboxBootstrap } from './netbox-bootstrap.ts';
import type { NetBoxConnection } from './netbox-bootstrap.ts';

const TOKEN = '0123456789abcdef0123456789abcdef01234567';
const dir = mkdtempSync(join(tmpdir(), 'nb-bootstrap-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | undefined;
  out: string;
  err: string;
  conns: NetBoxConnection[];
}

async function run(args: string[], api = new FakeBootstrapApi(), env: NodeJS.ProcessEnv = { NETBOX_TOKEN: TOKEN }) {
  const result: Run = { code: undefined, out: '', err: '', conns: [] };
  const program = new Command('netbox-ippool-sync').exitOverride();
  registerNetboxBootstrap(program, {
    setExit: code => (result.code = code),
    stdout: t => (result.out += t),
    stderr: t => (result.err += t),
    env,
    connect: conn => {
      result.conns.push(conn);
      return api;
    },
  });
  await program.parseAsync(['netbox', 'bootstrap', ...args], { from: 'user' });
  return result;
}

const BASE = ['--netbox-url', 'http://127.0.0.1:9', '--cluster', 'lab'];

describe('netbox bootstrap', () => {
  it('prints one line per created object, then "nothing to change" on the second run', async () => {
    const api = new FakeBootstrapApi();
    const first = await run(BASE, api);
    expect(first.code).toBe(0);
    expect(first.out).toContain('\n+ created tag k8s-lab\n');
    expect(first.out).toContain('\n+ created role k8s-pod\n');
    expect(first.out).toContain('\n+ created custom field k8s_options\n');
    expect(first.out).toMatch(/\ncreated 20\.\n$/);
    expect(first.conns[0]?.url).toBe('http://127.0.0.1:9');

    const second = await run(BASE, api);
    expect(second.code).toBe(0);
    expect(second.out).toContain('\n= role k8s-pod exists\n');
    expect(second.out).toMatch(/\nNothing to change: all 20 objects exist\.\n$/);
  });

  it('lists what a read-only token could not create and exits 1', async () => {
    const api = new FakeBootstrapApi();
    api.readOnly = true;
    const r = await run(BASE, api);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      '\n✗ the token cannot create custom field k8s_options (NetBox answered 403: read-only token or missing ' +
        'permission extras.add_customfield)\n',
    );
    expect(r.out).toContain('\nCould not be done (20):\n  - the token cannot create role k8s-pod');
    expect(r.out).toContain('failed 20');
  });

  it('writes nothing with --dry-run', async () => {
    const api = new FakeBootstrapApi();
    const r = await run([...BASE, '--dry-run'], api);
    expect(api.writes).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('\n+ would create tag k8s-lab\n');
    expect(r.out).toContain('would create 20 (dry run: nothing written).');
  });

  it('prints the report as JSON with --output json, without the token', async () => {
    const r = await run([...BASE, '--output', 'json']);
    const report = JSON.parse(r.out) as { cluster: string; ok: boolean; counts: { created: number } };
    expect(report).toMatchObject({ cluster: 'lab', ok: true, counts: { created: 20 } });
    expect(r.out).not.toContain(TOKEN);
  });

  it('takes the names, URL and token variable from --config', async () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      [
        'cluster: prod',
        'netbox: { url: "http://127.0.0.1:8", tokenEnv: MY_TOKEN }',
        'selection:',
        '  clusterTag: prod-pools',
        '  managedTag: owned-by-sync',
        '  roles: { pods: calico }',
        '  customFields: { poolKind: kind }',
      ].join('\n'),
    );
    const api = new FakeBootstrapApi();
    const r = await run(['--config', file], api, { MY_TOKEN: TOKEN });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.conns[0]?.url).toBe('http://127.0.0.1:8');
    expect(r.conns[0]?.token.source).toBe('env MY_TOKEN');
    expect(api.tags.map(t => t.slug)).toEqual(['owned-by-sync', 'prod-pools', 'gateway']);
    expect(api.roles.map(t => t.slug)).toEqual(['pods']);
    expect(api.customFields.map(f => f.name)).toContain('kind');

    const renamed = await run(['--config', file, '--cluster', 'stage', '--dry-run'], new FakeBootstrapApi(), {
      MY_TOKEN: TOKEN,
    });
    expect(renamed.out).toContain('+ would create tag k8s-stage');
  });

  it.each([
    ['no URL', ['--cluster', 'lab'], { NETBOX_TOKEN: TOKEN }, 'no NetBox URL: pass --netbox-url or --config'],
    ['no cluster', ['--netbox-url', 'http://127.0.0.1:9'], { NETBOX_TOKEN: TOKEN }, 'no cluster name'],
    ['a bad cluster name', ['--netbox-url', 'http://x', '--cluster', 'Lab_1'], {}, 'is not a DNS-1123 label'],
    ['no token', BASE, {}, 'environment variable NETBOX_TOKEN is not set'],
    ['an unset --token-env', [...BASE, '--token-env', 'NB'], { NETBOX_TOKEN: TOKEN }, 'variable NB is not set'],
    ['a missing --token-file', [...BASE, '--token-file', join(dir, 'none')], {}, 'cannot read the token file'],
    ['an invalid config', ['--config', join(dir, 'missing.yaml')], {}, 'cannot read the config file'],
  ])('stops before contacting NetBox on %s', async (_title, args, env, message) => {
    const r = await run(args, new FakeBootstrapApi(), env);
    expect(r.code).toBe(1);
    expect(r.conns).toEqual([]);
    expect(r.err).toContain(message);
    expect(r.out).toBe('');
  });

  it('reads the token from --token-file', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, `${TOKEN}\n`);
    const r = await run([...BASE, '--token-file', file], new FakeBootstrapApi(), {});
    expect(r.code).toBe(0);
    expect(r.conns[0]?.token.source).toBe(`file ${file}`);
  });
});
