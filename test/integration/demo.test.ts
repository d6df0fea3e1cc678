import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The README's first command, as a newcomer runs it: `npm run demo -- --once` (NetBox emulator). The demo starts a
 * stack of its own (control plane, emulator, daemon) beside the integration environment's, runs one round and
 * prints a summary; it must exit 0 and leave nothing behind.
 */

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function runDemo(): Promise<{ code: number; out: string }> {
  return new Promise((resolvePromise, reject) => {
    // Embedded mode, as a newcomer without Redis runs it.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'REDIS_URL'));
    const child = spawn('npm', ['run', '--silent', 'demo', '--', '--once', '--port', '0'], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.on('error', reject);
    child.on('exit', code => resolvePromise({ code: code ?? 1, out }));
  });
}

const summaryRow = (out: string, label: string): string =>
  new RegExp(`^  ${label}:\\s+(.*)$`, 'm').exec(out)?.[1] ?? `(no "${label}" row in the summary)`;

describe('npm run demo -- --once', () => {
  it('runs one round on the emulator and prints the summary', { timeout: 600_000 }, async () => {
    const { code, out } = await runDemo();
    expect(code, out).toBe(0);
    expect(out).toContain('[9/9] drift');
    expect(summaryRow(out, 'pools')).toBe(
      '9 created from NetBox (whereabouts 2, nv-ipam 1, calico 2, metallb 2, cilium-lb 1, cilium-pod 1)',
    );
    expect(summaryRow(out, 'applied')).toBe('13 objects (4 companions), 1 namespace annotated');
    expect(summaryRow(out, 'written back')).toBe('12 NetBox records (ip-address 6, prefix 4, ip-range 2)');
    expect(summaryRow(out, 'drift')).toBe('clean');
    expect(summaryRow(out, 're-plan')).toBe('nothing to change: a second sync writes nothing');
    expect(out).toMatch(/^ {2}drift page:\s+http:\/\/127\.0\.0\.1:\d+\/drift$/m);
    // The plan before the daemon, and the daemon's own job lines.
    expect(out).toContain('Plan: 13 to create, 0 to replace, 0 to update, 1 to annotate');
    expect(out).toMatch(/daemon │ writeback finished in \d+ ms: allocations 15, written \d+/);
    // The demo folder (config, daemon log) is removed on exit.
    const folder = /log: (\S+)\/daemon\.log/.exec(out)?.[1];
    expect(folder, out).toBeDefined();
    expect(existsSync(folder ?? '/'), `${folder} left behind`).toBe(false);
  });
});
