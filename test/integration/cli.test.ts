import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { freePort } from '../../dev/process.ts';
import { prefixBody, rangeBody, startLab } from '../support/e2e.ts';
import type { Lab } from '../support/e2e.ts';

/**
 * The one-shot commands as a user runs them: a real process, a config file, the token in an environment variable,
 * NetBox (the emulator) and, for `apply`, the real apiserver.
 */
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise(resolve => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out[relative(dir, join(e.parentPath, e.name))] = readFileSync(join(e.parentPath, e.name), 'utf8');
  }
  return out;
}

describe('netbox-ippool-sync CLI', () => {
  let lab: Lab;
  let dir: string;
  let env: Record<string, string>;
  let configFile: string;
  let closedPort: number;

  beforeAll(async () => {
    lab = await startLab();
    closedPort = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'nbsync-cli-'));
    configFile = join(dir, 'config.yaml');
    writeFileSync(
      configFile,
      stringify({
        cluster: lab.cluster,
        netbox: { url: lab.netbox.url, tokenEnv: 'CLI_NETBOX_TOKEN' },
        selection: { roles: { 'k8s-pod': 'calico', 'k8s-loadbalancer': 'metallb' } },
      }),
    );
    env = { CLI_NETBOX_TOKEN: lab.netbox.tokens.v2, KUBECONFIG: inject('kubeconfigPath'), LOG_LEVEL: 'warn' };
    await lab.client.create(
      'ipam/prefixes',
      prefixBody(lab, '10.88.0.0/24', 'k8s-pod', { k8s_pool_name: `cli-pods-${lab.cluster}` }),
    );
    await lab.client.create(
      'ipam/ip-ranges',
      rangeBody(lab, '192.0.2.10/24', '192.0.2.40/24', 'k8s-loadbalancer', { k8s_pool_name: `cli-lb-${lab.cluster}` }),
    );
  });
  afterAll(async () => {
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('config check accepts the config and rejects a broken one with the path', async () => {
    const good = await cli(['config', 'check', '-c', configFile], env);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('valid');
    const bad = join(dir, 'bad.yaml');
    const kinds = { calico: { bogus: 1, blockSizeV4: 99 } };
    writeFileSync(bad, stringify({ cluster: 'Bad_Name', netbox: { url: 'x' }, policy: 'yolo', kinds }));
    const res = await cli(['config', 'check', '-c', bad], env);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/policy/);
    // Every problem at once: an unknown key hides no out-of-range value, and the rest failing hides neither.
    expect(res.stdout).toContain('error: config kinds.calico.blockSizeV4: expected 20-32');
    expect(res.stdout).toContain('error: config kinds.calico.bogus: unknown key');
    expect(res.stdout).toMatch(/: 5 error\(s\)\n$/);
  });

  it('render --out writes one file per object, byte-identical on re-run', async () => {
    const out = join(dir, 'manifests');
    const first = await cli(['render', '-c', configFile, '--out', out], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const files = filesUnder(out);
    expect(Object.keys(files).sort()).toEqual(
      [
        `metallb.io/ipaddresspool/metallb-system/cli-lb-${lab.cluster}.yaml`,
        `metallb.io/l2advertisement/metallb-system/cli-lb-${lab.cluster}.yaml`,
        `projectcalico.org/ippool/_cluster/cli-pods-${lab.cluster}.yaml`,
      ].sort(),
    );
    const second = await cli(['render', '-c', configFile, '--out', out], env);
    expect(second.stdout).toMatch(/0 written, 3 unchanged, 0 removed/);
    expect(filesUnder(out)).toEqual(files);
  });

  it('plan exits 2 with changes pending, and 0 against what render wrote (--observed)', async () => {
    const pending = await cli(['plan', '-c', configFile, '--no-cluster'], env);
    expect(pending.code).toBe(2);
    expect(pending.stdout).toMatch(new RegExp(`\\+ .*cli-pods-${lab.cluster}`));
    const json = await cli(['plan', '-c', configFile, '--no-cluster', '-o', 'json'], env);
    const parsed = JSON.parse(json.stdout) as { plan: { changes: { action: string }[] } };
    expect(parsed.plan.changes.filter(c => c.action === 'create')).toHaveLength(3);
    const settled = await cli(['plan', '-c', configFile, '--observed', join(dir, 'manifests')], env);
    expect(settled.stdout + settled.stderr).not.toMatch(/^\s*[+~-] /m);
    expect(settled.code).toBe(0);
  });

  it('apply --server-dry-run stores nothing; apply creates; plan then finds nothing to do', async () => {
    const dry = await cli(['apply', '-c', configFile, '--server-dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/server dry-run/);
    expect((await cli(['plan', '-c', configFile], env)).code).toBe(2);
    const real = await cli(['apply', '-c', configFile], env);
    expect(real.code, real.stdout + real.stderr).toBe(0);
    expect(real.stdout).toMatch(/applied\s+create/);
    const after = await cli(['plan', '-c', configFile], env);
    expect(after.code, after.stdout).toBe(0);
  });

  it('fails with one readable line when NetBox rejects the token', async () => {
    const res = await cli(['plan', '-c', configFile, '--no-cluster'], { ...env, CLI_NETBOX_TOKEN: 'x'.repeat(40) });
    expect(res.code).not.toBe(0);
    expect(res.stdout + res.stderr).toMatch(/NetBox/);
    expect(res.stdout + res.stderr).not.toContain('x'.repeat(40));
  });

  it('a missing kubeconfig is named with where it came from and what to do, never a bare ENOENT', async () => {
    const missing = join(dir, 'no-such-kubeconfig.yaml');
    const flag = await cli(['plan', '-c', configFile, '--kubeconfig', missing], env);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toBe(
      `netbox-ippool-sync: kubeconfig ${missing} (from --kubeconfig) does not exist: check the path, or leave out ` +
        '--kubeconfig to use KUBECONFIG, ~/.kube/config or the in-cluster ServiceAccount\n',
    );
    const fromEnv = await cli(['apply', '-c', configFile], { ...env, KUBECONFIG: missing });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toContain(`KUBECONFIG names ${missing}, which does not exist — fix KUBECONFIG`);
    const none = await cli(['plan', '-c', configFile], { ...env, KUBECONFIG: '', HOME: dir });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no kubeconfig found; tried --kubeconfig (not given), KUBECONFIG (not set)');
    for (const r of [flag, fromEnv, none]) expect(r.stderr).not.toMatch(/^netbox-ippool-sync: ENOENT/);
  });

  it.each([
    ['a wrong token', (): Record<string, string> => ({ ...env, CLI_NETBOX_TOKEN: 'x'.repeat(40) }), /HTTP 403/],
    [
      'a closed port',
      (): Record<string, string> => ({ ...env, NETBOX_URL: `http://127.0.0.1:${closedPort}` }),
      /ECONNREFUSED/,
    ],
  ])('plan with NetBox unreadable (%s) says so in its headline, never "No changes"', async (_what, envFor, why) => {
    const res = await cli(['plan', '-c', configFile, '--no-cluster'], envFor());
    expect(res.code).toBe(1);
    const head = res.stdout.split('\n\nNotes:')[0] ?? '';
    expect(head).toMatch(
      /^NetBox could not be read, so nothing was planned: the cluster is left as it is\.\n {2}.*\n$/,
    );
    expect(head).toMatch(why);
    expect(res.stdout).not.toMatch(/No changes|matches NetBox/);
  });
});
