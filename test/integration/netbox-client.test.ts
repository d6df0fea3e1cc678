import { existsSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../dev/netbox-emulator/index.ts';
import type { Emulator } from '../../dev/netbox-emulator/index.ts';
import { NetBoxSchema } from '../../dev/netbox-emulator/openapi.ts';
import { ipAddressBodies, prefixSeed } from '../../dev/seed/generate.ts';
import { NetBoxClient, NetBoxIncompleteListError, NetBoxAuthError } from '../../src/netbox/client/index.ts';
import type { NbIpAddressWrite } from '../../src/model/netbox.ts';

/**
 * The NetBox client against the emulator, through a recording proxy that checks every request body our client
 * sends against the real NetBox OpenAPI schema (the emulator's own contract test checks its responses).
 */
const SCHEMA_FILE = resolve(
  fileURLToPath(new URL('../../', import.meta.url)),
  '../shared/reference/netbox/openapi-4.6.0.json',
);
const HAVE_SCHEMA = existsSync(SCHEMA_FILE);
if (!HAVE_SCHEMA && process.env['CI']) throw new Error(`CI must provide ${SCHEMA_FILE}`);

interface Recorded {
  method: string;
  path: string;
  violations: string[];
}

/** A loopback proxy that forwards to the emulator and validates request bodies on the way. */
async function validatingProxy(
  target: string,
  schema: NetBoxSchema | undefined,
  log: Recorded[],
): Promise<{ url: string; server: Server }> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = req.url ?? '/';
      const violations: string[] = [];
      if (schema && body.length > 0 && path.startsWith('/api/')) {
        violations.push(...schema.request(req.method ?? 'GET', path, JSON.parse(body.toString('utf8')) as unknown));
      }
      log.push({ method: req.method ?? 'GET', path, violations });
      const fwd = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path,
          headers: { ...req.headers, host: upstream.host },
        },
        up => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      fwd.on('error', err => res.destroy(err));
      fwd.end(body);
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return { url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, server };
}

describe('NetBoxClient against the emulator', () => {
  let emu: Emulator;
  let proxy: { url: string; server: Server };
  let client: NetBoxClient;
  const log: Recorded[] = [];

  beforeAll(async () => {
    emu = await startEmulator({ seed: prefixSeed(10_000) });
    proxy = await validatingProxy(emu.url, HAVE_SCHEMA ? NetBoxSchema.load(SCHEMA_FILE) : undefined, log);
    client = new NetBoxClient({ url: proxy.url, token: emu.tokens.v2, retryBaseMs: 5, batchSize: 500 });
  }, 60_000);
  afterAll(async () => {
    await new Promise(r => proxy.server.close(r));
    await emu.close();
  });

  it('reads 10,000 prefixes completely in 10 pages of 1000 (plus one status request)', async () => {
    log.length = 0;
    const prefixes = await client.listPrefixes({ role: 'k8s-pod', tag: 'k8s-lab' });
    expect(prefixes).toHaveLength(10_000);
    expect(new Set(prefixes.map(p => p.id)).size).toBe(10_000);
    const pages = log.filter(r => r.path.startsWith('/api/ipam/prefixes/'));
    expect(pages).toHaveLength(10);
    expect(pages.every(r => /[?&]limit=1000\b/.test(r.path) && /[?&]fields=/.test(r.path))).toBe(true);
  });

  it('creates 5,000 IP addresses in batches, lands the good ones when one is rejected, and sends schema-valid bodies', async () => {
    log.length = 0;
    await client.ipAddresses.create([{ address: '10.0.0.7/24', status: 'active' }]);
    const items: NbIpAddressWrite[] = ipAddressBodies(5000);
    items[1234] = { ...items[1234], address: '10.0.0.7/24' }; // a duplicate of an existing address
    const result = await client.ipAddresses.create(items);
    expect(result.succeeded).toHaveLength(4999);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]?.message).toMatch(/Duplicate IP address/);
    const posts = log.filter(r => r.method === 'POST' && r.path.startsWith('/api/ipam/ip-addresses/'));
    // 10 batches of 500; the one holding the duplicate is bisected (or answered per item) until only it fails.
    expect(posts.length).toBeGreaterThanOrEqual(11);
    expect(posts.length).toBeLessThanOrEqual(30);
    expect(log.flatMap(r => r.violations.map(v => `${r.method} ${r.path}: ${v}`))).toEqual([]);
  });

  it('refuses a listing whose pages end early instead of returning part of it', async () => {
    emu.setKnobs({ dropNextLink: true, faultPath: 'ipam/prefixes' });
    try {
      await expect(client.listPrefixes({})).rejects.toBeInstanceOf(NetBoxIncompleteListError);
    } finally {
      emu.setKnobs({ dropNextLink: false, faultPath: null });
    }
  });

  it('says a read-only token cannot write, without showing it', async () => {
    const ro = new NetBoxClient({ url: proxy.url, token: emu.tokens.readOnly });
    const err = await ro.ipAddresses.create([{ address: '192.0.2.1/32' }]).then(
      r => r.failed[0],
      (e: unknown) => e,
    );
    const text =
      JSON.stringify(err) + String(err instanceof Error ? err.message : (err as { message?: string })?.message);
    expect(text).toMatch(/403|permission|read-only/i);
    expect(text).not.toContain(emu.tokens.readOnly);
    if (err instanceof Error) expect(err).toBeInstanceOf(NetBoxAuthError);
  });
});
