import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { peakRssOf, runInChild, startCountingProxy, type CountingProxy } from '../../../bench/lib/measure.ts';

const child = fileURLToPath(new URL('./fixtures/child-alloc.ts', import.meta.url));

describe('runInChild / serveChild', () => {
  it('returns the child’s answer and a peak RSS that covers what the child touched', async () => {
    const small = await runInChild<{ echo: Map<string, number>; touched: number; pid: number }>(child, {
      mib: 1,
      echo: new Map([['a', 1]]),
    });
    const big = await runInChild<{ touched: number; pid: number }>(child, { mib: 160, echo: new Map() });
    expect(small.result.echo).toEqual(new Map([['a', 1]])); // advanced serialization: Maps survive
    expect(big.result.touched).toBe(160 * 1024 * 1024);
    expect(big.result.pid).not.toBe(process.pid);
    expect(big.peakRssMiB).toBeGreaterThanOrEqual(160);
    expect(big.peakRssMiB - small.peakRssMiB).toBeGreaterThanOrEqual(140);
    expect(small.wallMs).toBeGreaterThan(0);
  }, 60_000);

  it('rejects with the child’s error message, and the child is gone afterwards', async () => {
    await expect(runInChild(child, { mib: 1, fail: 'boom in child', echo: new Map() })).rejects.toThrow(
      /boom in child/,
    );
  }, 60_000);

  it('rejects when the module exits without answering', async () => {
    const noReply = fileURLToPath(new URL('./fixtures/child-silent.ts', import.meta.url));
    await expect(runInChild(noReply, {})).rejects.toThrow(/exited \(code 3.*before sending a result/);
  }, 60_000);

  it('reads VmHWM of this process', () => {
    expect(peakRssOf(process.pid)).toBeGreaterThan(10);
  });
});

describe('startCountingProxy', () => {
  let proxy: CountingProxy | undefined;
  let target: http.Server | undefined;
  afterEach(async () => {
    await proxy?.close();
    await new Promise(r => target?.close(r) ?? r(undefined));
  });

  it('forwards every request with its body and counts reads and writes by method', async () => {
    const seen: string[] = [];
    target = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${req.headers.host} ${body}`);
        res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, body }));
      });
    });
    await new Promise<void>(r => target!.listen(0, '127.0.0.1', r));
    const { port } = target.address() as AddressInfo;
    proxy = await startCountingProxy(`http://127.0.0.1:${port}/`);

    const get = await fetch(`${proxy.url}/api/ipam/prefixes/?limit=5`);
    expect(await get.json()).toEqual({ method: 'GET', body: '' });
    const post = await fetch(`${proxy.url}/api/ipam/prefixes/`, { method: 'POST', body: '[{"prefix":"10.0.0.0/24"}]' });
    expect(post.status).toBe(201);
    expect(await post.json()).toEqual({ method: 'POST', body: '[{"prefix":"10.0.0.0/24"}]' });
    await (await fetch(`${proxy.url}/api/status/`, { method: 'HEAD' })).arrayBuffer();
    await (await fetch(`${proxy.url}/api/ipam/prefixes/`, { method: 'PATCH', body: '[]' })).arrayBuffer();
    await (await fetch(`${proxy.url}/api/ipam/prefixes/`, { method: 'DELETE', body: '[]' })).arrayBuffer();

    expect(proxy.counts()).toEqual({
      reads: 2,
      writes: 3,
      byMethod: { GET: 1, POST: 1, HEAD: 1, PATCH: 1, DELETE: 1 },
    });
    // The Host the client used reaches the server, so NetBox's `next` links point back at the proxy.
    expect(seen[0]).toBe(`GET /api/ipam/prefixes/?limit=5 ${new URL(proxy.url).host} `);
    proxy.reset();
    expect(proxy.counts()).toEqual({ reads: 0, writes: 0, byMethod: {} });
  });

  it('answers 502 when NetBox is not there, and still counts the attempt', async () => {
    target = http.createServer();
    await new Promise<void>(r => target!.listen(0, '127.0.0.1', r));
    const { port } = target.address() as AddressInfo;
    await new Promise(r => target!.close(r));
    target = undefined;
    proxy = await startCountingProxy(`http://127.0.0.1:${port}`);
    const res = await fetch(`${proxy.url}/api/`);
    expect(res.status).toBe(502);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/upstream .* failed/);
    expect(proxy.counts().reads).toBe(1);
  });
});
