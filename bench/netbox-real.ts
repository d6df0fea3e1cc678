/**
 * Real NetBox (dev/netbox-real) against the emulator: start-up, memory, and the time for 1,000-address bulk writes
 * (one request each: POST, GET ?limit=1000, PATCH, DELETE; then the same create through our client's default
 * batches of 100). Also prints what the cold set-up took when the cache was built. Prints numbers; asserts nothing.
 *   node bench/netbox-real.ts [addresses=1000]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator } from '../dev/netbox-emulator/index.ts';
import { netboxCacheDir, startNetBox } from '../dev/netbox-real/index.ts';
import { templateDir } from '../dev/netbox-real/template.ts';
import type { TemplateRecord } from '../dev/netbox-real/template.ts';
import { NetBoxClient } from '../src/netbox/client/index.ts';

const n = Number(process.argv[2] ?? 1000);
const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;

interface Target {
  name: string;
  url: string;
  token: string;
}

async function call(
  t: Target,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers: { Authorization: `Token ${t.token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    signal: AbortSignal.timeout(600_000),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? null : (JSON.parse(text) as unknown) };
}

async function timed(what: string, fn: () => Promise<string>): Promise<number> {
  const t0 = performance.now();
  const note = await fn();
  const ms = performance.now() - t0;
  console.log(`  ${what.padEnd(44)} ${(ms / 1000).toFixed(2).padStart(7)} s  ${note}`);
  return ms;
}

async function run(t: Target, subnet: number): Promise<Record<string, number>> {
  console.log(`${t.name} (${t.url})`);
  const bodies = Array.from({ length: n }, (_, i) => ({
    address: `10.${subnet}.${Math.floor(i / 250)}.${(i % 250) + 1}/16`,
    status: 'active',
    description: `bench ${i}`,
  }));
  let ids: number[] = [];
  const out: Record<string, number> = {};
  out['create'] = await timed(`bulk POST of ${n} addresses (one request)`, async () => {
    const r = await call(t, 'POST', '/api/ipam/ip-addresses/', bodies);
    ids = (r.json as { id: number }[]).map(a => a.id);
    return `HTTP ${r.status}`;
  });
  out['list'] = await timed(`GET ?limit=1000 (${n} addresses)`, async () => {
    const r = await call(t, 'GET', `/api/ipam/ip-addresses/?limit=1000&parent=10.${subnet}.0.0/16`);
    return `HTTP ${r.status}, ${(r.json as { results: unknown[] }).results.length} results`;
  });
  out['patch'] = await timed(`bulk PATCH of ${n} (one request)`, async () => {
    const r = await call(
      t,
      'PATCH',
      '/api/ipam/ip-addresses/',
      ids.map(id => ({ id, description: 'patched' })),
    );
    return `HTTP ${r.status}`;
  });
  out['delete'] = await timed(`bulk DELETE of ${n} (one request)`, async () => {
    const r = await call(
      t,
      'DELETE',
      '/api/ipam/ip-addresses/',
      ids.map(id => ({ id })),
    );
    return `HTTP ${r.status}`;
  });
  out['client'] = await timed(`client createIpAddresses(${n}), batches of 100`, async () => {
    const client = new NetBoxClient({ url: t.url, token: t.token, timeoutMs: 600_000 });
    const r = await client.createIpAddresses(bodies);
    return `${r.succeeded.length} created, ${r.failed.length} failed`;
  });
  return out;
}

const t0 = Date.now();
const nb = await startNetBox({ log: line => console.log(`[netbox] ${line}`) });
try {
  const startMs = Date.now() - t0;
  const record = JSON.parse(readFileSync(join(templateDir(), 'netbox.json'), 'utf8')) as TemplateRecord;
  const stamp = readFileSync(join(netboxCacheDir(), 'venv', 'NBSYNC_STAMP'), 'utf8');
  const venvSeconds = Number(/^seconds=(\d+)/m.exec(stamp)?.[1] ?? NaN);
  console.log(
    `NetBox ${nb.version}: cold set-up when the cache was built: venv ${venvSeconds} s + template ${record.totalSeconds} s ` +
      `(migrate ${record.migrateSeconds} s) = ${venvSeconds + record.totalSeconds} s`,
  );
  console.log(
    `warm start: ${(nb.startupMs / 1000).toFixed(1)} s to the first API answer (${(startMs / 1000).toFixed(1)} s in all)`,
  );
  const atStart = nb.memory();
  console.log(
    `memory at start: gunicorn (master + 2 workers) ${mib(atStart.gunicorn)}, rqworker ${mib(atStart.rqworker)}, ` +
      `PostgreSQL ${mib(atStart.postgres)}, Redis ${mib(atStart.redis)}`,
  );
  const real = await run({ name: `real NetBox ${nb.version}`, url: nb.url, token: nb.tokens.v1 }, 201);
  const after = nb.memory();
  console.log(`  memory after: gunicorn ${mib(after.gunicorn)}, PostgreSQL ${mib(after.postgres)}`);
  const emu = await startEmulator();
  try {
    const fake = await run({ name: 'NetBox emulator', url: emu.url, token: emu.tokens.v1 }, 202);
    console.log('real / emulator:');
    for (const k of Object.keys(real)) console.log(`  ${k.padEnd(8)} ${((real[k] ?? 0) / (fake[k] ?? 1)).toFixed(0)}×`);
  } finally {
    await emu.close();
  }
} finally {
  await nb.stop();
}
