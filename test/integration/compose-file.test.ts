import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { composeCheckBinary } from '../../dev/go-tools.ts';

/**
 * docker-compose.yml and the Dockerfile without a Docker engine (none runs here). The compose file is loaded by
 * compose-spec/compose-go — the loader Docker Compose itself uses, built from the Go module proxy by
 * dev/compose-check/build.sh — with schema validation, interpolation and consistency checks, and the daemon's
 * config it mounts is checked by the daemon itself. The Dockerfile is checked for what the chart and the README rely
 * on; building and running the image is not tested here.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const ENV_EXAMPLE = join(ROOT, 'deploy', 'compose', 'env.example');

function composeCheck(args: string[], env: Record<string, string> = {}): { code: number; out: string; err: string } {
  // A clean environment, so nothing of the test run's own variables leaks into the interpolation.
  const r = spawnSync(composeCheckBinary(), [...args, 'docker-compose.yml'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: '/home/user', ...env },
    encoding: 'utf8',
  });
  if (r.error) throw r.error;
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string | null>;
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  depends_on?: Record<string, { condition: string }>;
  volumes?: { type: string; source: string; target: string; read_only?: boolean }[];
  ports?: { host_ip?: string; target: number }[];
}

function loadModel(): { services: Record<string, Service> } {
  const r = composeCheck(['-env-file', ENV_EXAMPLE]);
  expect(r.code, r.err).toBe(0);
  return parse(r.out) as { services: Record<string, Service> };
}

describe('docker-compose.yml (compose-go loader)', () => {
  it('loads with deploy/compose/env.example: NetBox on PostgreSQL and Valkey, a queue Redis, bootstrap, the daemon', () => {
    const { services } = loadModel();
    expect(Object.keys(services).sort()).toEqual(
      [
        'netbox',
        'netbox-bootstrap',
        'netbox-housekeeping',
        'netbox-ippool-sync',
        'netbox-worker',
        'postgres',
        'queue',
        'valkey',
      ].sort(),
    );
    const netboxVersion = readFileSync(join(ROOT, 'dev', 'netbox-real', 'netbox.version'), 'utf8').trim();
    expect(services['netbox']?.image).toBe(`docker.io/netboxcommunity/netbox:v${netboxVersion}`);
    expect(services['queue']?.command).toContain('noeviction');
  });

  it('runs the daemon read-only, unprivileged, on the queue, after the bootstrap, with the kubeconfig mounted', () => {
    const daemon = loadModel().services['netbox-ippool-sync'];
    expect(daemon?.command).toEqual(['run']);
    expect(daemon?.read_only).toBe(true);
    expect(daemon?.cap_drop).toEqual(['ALL']);
    expect(daemon?.user).toBe('1000:1000');
    expect(daemon?.environment).toMatchObject({
      REDIS_URL: 'redis://queue:6379',
      NETBOX_URL: 'http://netbox:8080',
      KUBECONFIG: '/kube/config',
      CLUSTER_NAME: 'lab',
    });
    expect(daemon?.depends_on?.['netbox-bootstrap']?.condition).toBe('service_completed_successfully');
    expect(daemon?.volumes).toContainEqual(
      expect.objectContaining({ type: 'bind', source: '/home/user/.kube/config', target: '/kube/config' }),
    );
    expect(daemon?.ports?.every(p => p.host_ip === '127.0.0.1')).toBe(true);
  });

  it('refuses to load without the secrets, naming each variable to set', () => {
    const r = composeCheck([]);
    expect(r.code).toBe(1);
    for (const name of ['POSTGRES_PASSWORD', 'VALKEY_PASSWORD', 'NETBOX_SECRET_KEY', 'NETBOX_API_TOKEN_PEPPER']) {
      expect(r.err).toContain(`required variable ${name} is missing a value`);
    }
  });

  it("gives the daemon a config it accepts (deploy/compose/config.yaml with the service's environment)", () => {
    const env = loadModel().services['netbox-ippool-sync']?.environment ?? {};
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'src', 'cli.ts'), 'config', 'check', '-c', join(ROOT, 'deploy', 'compose', 'config.yaml')],
      {
        env: {
          PATH: process.env['PATH'] ?? '',
          ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v ?? ''])),
        },
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('valid');
  });
});

describe('Dockerfile (read, not built: no Docker engine here)', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const nodeMajor = readFileSync(join(ROOT, '.node-version'), 'utf8').trim().split('.')[0];

  it('builds in stages on the Node version of .node-version (slim), production dependencies only', () => {
    expect(dockerfile).toContain(`ARG NODE_IMAGE=docker.io/library/node:${nodeMajor}-slim`);
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(3);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });

  it('runs as a numeric non-root user, with a HEALTHCHECK on /healthz and OCI labels', () => {
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK [^\n]*\\\n[^\n]*\/healthz/m);
    for (const label of ['title', 'description', 'version', 'revision', 'licenses', 'source']) {
      expect(dockerfile).toContain(`org.opencontainers.image.${label}=`);
    }
  });

  it('the image user matches the Helm chart; the entry point is the built CLI, also on PATH', () => {
    const values = parse(readFileSync(join(ROOT, 'deploy/helm/netbox-ippool-sync/values.yaml'), 'utf8')) as {
      podSecurityContext: { runAsUser: number };
    };
    expect(values.podSecurityContext.runAsUser).toBe(10001);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(dockerfile).toContain(`ENTRYPOINT ["node", "/app/${pkg.bin['netbox-ippool-sync'] ?? ''}"]`);
    // The chart's NOTES run `kubectl exec … -- netbox-ippool-sync netbox bootstrap`.
    expect(dockerfile).toContain('ln -s /app/dist/src/cli.js /usr/local/bin/netbox-ippool-sync');
  });
});
