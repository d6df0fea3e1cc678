import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `run` stopped by SIGTERM before its scheduler has started: a "Redis" that accepts connections and never answers
 * (as BullMQ sees a server refusing the password: it waits) keeps `daemon.start()` pending. The process must
 * still shut down cleanly with exit 0, not exit 13 (a top-level await that never settled).
 */

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));

let dir: string;
let silent: Server;
const sockets: Socket[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nbsync-run-stop-'));
  silent = createServer(s => {
    sockets.push(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', () => resolve()));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>(resolve => silent.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe('run: SIGTERM while the scheduler is still starting', () => {
  it('stops with exit 0 and says so', async () => {
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        'cluster: stop-test',
        'netbox: { url: "http://127.0.0.1:9", tokenEnv: STOP_TEST_TOKEN }',
        'server: { address: 127.0.0.1, port: 0 }',
        'schedule: { shutdownTimeout: 5s }',
      ].join('\n'),
    );
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:9' } }],
        users: [{ name: 'u', user: { token: 'unused' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    const { port } = silent.address() as AddressInfo;
    const child = spawn(process.execPath, [CLI, 'run', '-c', config, '--kubeconfig', kubeconfig], {
      env: {
        ...process.env,
        STOP_TEST_TOKEN: '0123456789abcdef0123456789abcdef01234567',
        REDIS_URL: `redis://127.0.0.1:${port}`,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const listening = new Promise<void>(resolve =>
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        if (out.includes('HTTP server listening')) resolve();
      }),
    );
    child.stderr.resume();
    const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
    await listening;
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).not.toContain('netbox-ippool-sync running');
    expect(out).toContain('shutting down');
  }, 60_000);
});
