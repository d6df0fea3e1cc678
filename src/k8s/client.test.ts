import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KubeClient, retryDelayMs } from './client.ts';
import { KubeApiError, KubeUnavailableError } from './errors.ts';
import type { ResourceType } from '../model/k8s-object.ts';

/**
 * The KubeClient against a plain-http stand-in for `kubectl proxy` (the real apiserver is covered by the
 * integration suite): pagination to an empty continue token, list items given back their apiVersion/kind, and a
 * 503 treated as the apiserver being unavailable rather than a per-object error.
 */
const NS: ResourceType = { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };
const names = ['a', 'b', 'c', 'd', 'e'];

describe('KubeClient over http (kubectl proxy)', () => {
  let server: Server;
  let kubeconfigYaml: string;
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push(`${req.method ?? ''} ${url.pathname}${url.search}`);
      if (url.pathname === '/api/v1/namespaces') {
        const from = Number(url.searchParams.get('continue') ?? 0);
        const limit = Number(url.searchParams.get('limit'));
        const next = from + limit < names.length ? String(from + limit) : '';
        const items = names.slice(from, from + limit).map(name => ({ metadata: { name } }));
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'NamespaceList', metadata: { continue: next }, items }));
        return;
      }
      // API Priority and Fairness: the first answers are 429 with Retry-After (0 s, so the test does not wait).
      const throttled = /^\/api\/v1\/namespaces\/(busy|always)$/.exec(url.pathname);
      if (throttled && (throttled[1] === 'always' || seen.filter(s => s.includes('/busy')).length <= 2)) {
        res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': '0' });
        res.end(JSON.stringify({ kind: 'Status', reason: 'TooManyRequests', message: 'too many requests' }));
        return;
      }
      if (url.pathname === '/api/v1/namespaces/busy') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ metadata: { name: 'busy' } }));
        return;
      }
      res.writeHead(503);
      res.end('overloaded');
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    kubeconfigYaml = stringify({
      apiVersion: 'v1',
      kind: 'Config',
      // client-node accepts plain http only with insecure-skip-tls-verify (there is no TLS to verify).
      clusters: [{ name: 'proxy', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'proxy', user: {} }],
      contexts: [{ name: 'proxy', context: { cluster: 'proxy', user: 'proxy' } }],
      'current-context': 'proxy',
    });
  });
  afterAll(async () => {
    await new Promise(r => server.close(r));
  });

  it('follows continue tokens until the empty one and restores apiVersion/kind', async () => {
    const kube = new KubeClient({ kubeconfigYaml, pageSize: 2 });
    const all = await kube.list(NS);
    kube.close();
    expect(all.map(o => `${o.apiVersion} ${o.kind} ${o.metadata.name}`)).toEqual(names.map(n => `v1 Namespace ${n}`));
    expect(seen.filter(s => s.startsWith('GET /api/v1/namespaces'))).toEqual([
      'GET /api/v1/namespaces?limit=2',
      'GET /api/v1/namespaces?limit=2&continue=2',
      'GET /api/v1/namespaces?limit=2&continue=4',
    ]);
  });

  it('treats a 5xx as the apiserver being unavailable', async () => {
    const kube = new KubeClient({ kubeconfigYaml });
    await expect(kube.get(NS, 'x')).rejects.toBeInstanceOf(KubeUnavailableError);
    kube.close();
  });

  it('sends a request again after 429 Too Many Requests, waiting for Retry-After, and counts the 429s', async () => {
    const kube = new KubeClient({ kubeconfigYaml });
    const got = await kube.get(NS, 'busy');
    kube.close();
    expect(got?.metadata.name).toBe('busy');
    expect(seen.filter(s => s === 'GET /api/v1/namespaces/busy')).toHaveLength(3);
    expect(kube.throttledCount()).toBe(2);
    expect(kube.requestCounts()).toEqual({ get: 1 });
  });

  it('gives up after throttleRetries and reports the 429 against the request', async () => {
    const kube = new KubeClient({ kubeconfigYaml, throttleRetries: 2 });
    const err = await kube.get(NS, 'always').catch((e: unknown) => e);
    kube.close();
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(429);
    expect(seen.filter(s => s === 'GET /api/v1/namespaces/always')).toHaveLength(3);
    expect(kube.throttledCount()).toBe(2);
  });
});

describe('retryDelayMs', () => {
  const now = Date.parse('2026-12-02T12:00:00Z');
  it.each<[string | undefined, number, number]>([
    ['1', 0, 1000],
    [' 3 ', 5, 3000],
    ['120', 0, 10_000],
    ['Wed, 02 Dec 2026 12:00:02 GMT', 0, 2000],
    ['Wed, 02 Dec 2026 11:00:00 GMT', 0, 0],
    [undefined, 0, 500],
    [undefined, 3, 4000],
    ['soon', 1, 1000],
    [undefined, 9, 10_000],
  ])('Retry-After %j on attempt %i waits %i ms', (header, attempt, ms) => {
    expect(retryDelayMs(header, attempt, 10_000, now)).toBe(ms);
  });
});
