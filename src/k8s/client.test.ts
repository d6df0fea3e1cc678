import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KubeClient } from './client.ts';
import { KubeUnavailableError } from './errors.ts';
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
});
