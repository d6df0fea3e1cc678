import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeAdmin } from '../cni/index.ts';
import { startControlPlane } from '../control-plane/index.ts';
import type { ControlPlane } from '../control-plane/index.ts';
import { startEmulator } from '../netbox-emulator/index.ts';
import { collectStatic, front } from '../netbox-real/front.ts';
import { NETBOX_VERSION, prepareNetBox, startNetBox } from '../netbox-real/index.ts';
import { freePort } from '../process.ts';
import { startRedis } from '../redis.ts';
import { createLogger } from '../../src/log.ts';
import { dim, indent, say, seconds, withProgress } from './progress.ts';

/**
 * The demo's local stack: the real control plane (kube-apiserver + etcd built from the Go module proxy, our CRDs
 * installed), a NetBox (the emulator, or the real one of dev/netbox-real) and, on request, a redis-server for the
 * daemon's BullMQ mode. Everything binds to loopback; `stop()` removes what was started.
 */

export type NetBoxChoice = 'emulator' | 'real';

export interface DemoNetBox {
  kind: NetBoxChoice;
  /** The API base the daemon talks to (no /api). */
  url: string;
  /** Where a person looks: the web UI (real) or the API root (emulator). */
  browseUrl: string;
  token: string;
  version: string;
  login?: { username: string; password: string };
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Runs a build script asynchronously (so the heartbeat ticks), its progress lines indented; returns its last line. */
function runBuildScript(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => indent(dim(c.trimEnd()), '      '));
    child.on('error', reject);
    child.on('exit', code =>
      code === 0
        ? resolve(out.trim().split('\n').at(-1) ?? '')
        : reject(new Error(`${script} failed (exit ${code}); see its output above`)),
    );
  });
}

export async function startDemoControlPlane(): Promise<{ cp: ControlPlane; kube: KubeAdmin }> {
  if (process.env['NBSYNC_CONTROL_PLANE_DIR'] === undefined) {
    const dir = await withProgress(
      'kube-apiserver and etcd',
      'built from the Go module proxy on the first run only: usually 4-5 minutes on 2 cores, then cached',
      () => runBuildScript(join(here, '..', 'control-plane', 'build.sh')),
    );
    process.env['NBSYNC_CONTROL_PLANE_DIR'] = dir;
  }
  const cp = await startControlPlane();
  say(
    `    kube-apiserver ${cp.versions.kubernetes} + etcd ${cp.versions.etcd} at ${cp.server}, our CRDs installed ` +
      dim(`(${seconds(cp.startupMs)})`),
  );
  return { cp, kube: new KubeAdmin(cp.admin) };
}

async function startEmulatorNetBox(port: number): Promise<DemoNetBox> {
  const emu = await startEmulator({ port, logger: createLogger({ level: 'warn' }) });
  say(
    `    NetBox emulator (API ${emu.knobs.apiVersion}) at ${emu.url}/api/ ${dim('(--netbox real for the real one)')}`,
  );
  return {
    kind: 'emulator',
    url: emu.url,
    browseUrl: `${emu.url}/api/`,
    token: emu.tokens.v1,
    version: emu.knobs.apiVersion,
    stop: () => emu.close(),
  };
}

async function startRealNetBox(port: number): Promise<DemoNetBox> {
  const log = (line: string): void => say(dim(`      ${line}`));
  await withProgress(
    `NetBox ${NETBOX_VERSION} from PyPI`,
    'first run only: pip install ~2 minutes, then one database migration ~8-13 minutes on 2 cores; later runs ~10-20 s',
    () => prepareNetBox(log),
  );
  const nb = await startNetBox({ log });
  let ui: Server | undefined;
  try {
    const staticDir = await collectStatic(log);
    ui = await front(nb, staticDir, '127.0.0.1', port);
  } catch (err) {
    await nb.stop();
    throw err;
  }
  const browseUrl = `http://127.0.0.1:${port}/`;
  say(`    NetBox ${nb.version} (Python ${nb.python}, PostgreSQL ${nb.postgresVersion}) at ${browseUrl}`);
  const frontServer = ui;
  return {
    kind: 'real',
    url: nb.url,
    browseUrl,
    token: nb.tokens.v2,
    version: nb.version,
    login: nb.admin,
    stop: async () => {
      await new Promise<void>(resolve => frontServer.close(() => resolve()));
      frontServer.closeAllConnections();
      await nb.stop();
    },
  };
}

export async function startDemoNetBox(kind: NetBoxChoice, port: number | undefined): Promise<DemoNetBox> {
  const p = port ?? (await freePort());
  return kind === 'real' ? startRealNetBox(p) : startEmulatorNetBox(p);
}

/** A private redis-server for `--redis` (BullMQ mode); REDIS_URL set by the user wins and is used as is. */
export async function demoRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const redis = await startRedis({ private: true });
  say(`    redis-server ${redis.version} at ${redis.url}: the daemon runs its jobs on BullMQ`);
  return redis;
}
