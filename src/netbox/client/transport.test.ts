import http from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { NetBoxClient } from './client.ts';
import { NetBoxNotFoundError, NetBoxUnavailableError, NetBoxValidationError } from './errors.ts';
import {
  BASE,
  interceptNetBox,
  ipAddress,
  page,
  statusBody,
  testClient,
  V1_TOKEN,
  V2_TOKEN,
} from '../../../test/support/nock-netbox.ts';
import { buildAgents, routeOf } from './transport.ts';

interceptNetBox();

function resetError(): Error {
  return Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
}

describe('retries: only where repeating cannot duplicate data', () => {
  it('retries a GET on 503 with full-jitter backoff', async () => {
    const { client, sleeps } = testClient();
    nock(BASE)
      .get('/api/ipam/prefixes/7/')
      .times(2)
      .reply(503, '<html><title>503 Service Unavailable</title></html>')
      .get('/api/ipam/prefixes/7/')
      .reply(200, { id: 7 });
    expect(await client.get('ipam/prefixes', 7)).toEqual({ id: 7 });
    // random() is pinned to 0.999: delays sit just below base·2^attempt (100, 200).
    expect(sleeps).toEqual([99, 199]);
    expect(client.stats()).toMatchObject({
      requests: 3,
      retries: 2,
      byRequest: { 'GET ipam/prefixes/{id}/ 503': 2, 'GET ipam/prefixes/{id}/ 200': 1 },
    });
  });

  it('gives up after maxRetries and says how often it tried', async () => {
    const { client, sleeps } = testClient({ maxRetries: 2 });
    nock(BASE).get('/api/ipam/prefixes/7/').times(3).reply(504, 'Gateway Timeout');
    const err = await client.get('ipam/prefixes', 7).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetBoxUnavailableError);
    expect(err).toMatchObject({ status: 504, attempts: 3, transient: true, method: 'GET' });
    expect((err as Error).message).toMatch(/GET \/api\/ipam\/prefixes\/7\/ \(id 7\) failed \[HTTP 504\] after 3/);
    expect(sleeps).toHaveLength(2);
  });

  it('does not retry a GET 404', async () => {
    const { client, sleeps } = testClient();
    nock(BASE).get('/api/ipam/prefixes/7/').reply(404, { detail: 'No Prefix matches the given query.' });
    const err = await client.get('ipam/prefixes', 7).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetBoxNotFoundError);
    expect((err as Error).message).toContain('No Prefix matches the given query.');
    expect(sleeps).toEqual([]);
  });

  it.each([400, 500])('does not retry a GET answered %i', async status => {
    const { client, sleeps } = testClient();
    nock(BASE)
      .get('/api/ipam/prefixes/')
      .query(true)
      .reply(status, { tag: ['Select a valid choice.'] });
    await expect(client.list('ipam/prefixes', { tag: 'nope' })).rejects.toThrow(/HTTP/);
    expect(sleeps).toEqual([]);
  });

  it('does not retry a POST create on 503 when no recheck is given', async () => {
    const { client, sleeps } = testClient();
    nock(BASE).post('/api/ipam/ip-addresses/').reply(503, 'busy');
    const err = await client.create('ipam/ip-addresses', { address: '10.0.0.5/24' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetBoxUnavailableError);
    expect((err as Error).message).toContain('(address 10.0.0.5/24)');
    expect(sleeps).toEqual([]);
  });

  it('re-sends only the objects recheck reports missing after a failed bulk create', async () => {
    const { client, sleeps } = testClient();
    const items = ['10.0.0.5/24', '10.0.0.6/24', '10.0.0.7/24'].map(address => ({ address, status: 'reserved' }));
    const sent: unknown[] = [];
    // No changelog message is configured, so the client has no reason to ask for the version.
    nock(BASE)
      .post('/api/ipam/ip-addresses/')
      .reply(503, 'upstream connect error')
      .post('/api/ipam/ip-addresses/', (body: unknown) => {
        sent.push(body);
        return true;
      })
      .reply(201, [ipAddress(12, '10.0.0.6/24')]);
    const rechecked: string[][] = [];
    const result = await client.ipAddresses.create(items, {
      recheck: pending => {
        rechecked.push(pending.map(p => p.address ?? ''));
        // The first attempt landed .5 and .7 before the proxy gave up; .6 is missing.
        return Promise.resolve(
          pending.map((p, i) => (p.address === '10.0.0.6/24' ? undefined : ipAddress(20 + i, p.address!))),
        );
      },
    });
    expect(rechecked).toEqual([['10.0.0.5/24', '10.0.0.6/24', '10.0.0.7/24']]);
    expect(sent).toEqual([[{ address: '10.0.0.6/24', status: 'reserved' }]]);
    expect(result.failed).toEqual([]);
    expect(result.succeeded.map(o => o.address).sort()).toEqual(['10.0.0.5/24', '10.0.0.6/24', '10.0.0.7/24']);
    expect(sleeps).toHaveLength(1);
  });

  it('retries a PATCH by id on 502', async () => {
    const { client } = testClient();
    nock(BASE)
      .patch('/api/ipam/ip-addresses/12/', { description: 'pod a/b' })
      .reply(502, 'Bad Gateway')
      .patch('/api/ipam/ip-addresses/12/', { description: 'pod a/b' })
      .reply(200, ipAddress(12, '10.0.0.6/24'));
    await expect(client.update('ipam/ip-addresses', 12, { description: 'pod a/b' })).resolves.toMatchObject({ id: 12 });
  });

  it('honours Retry-After in seconds on 429', async () => {
    const { client, sleeps } = testClient();
    nock(BASE)
      .get('/api/ipam/vrfs/')
      .query(true)
      .reply(429, { detail: 'Request was throttled.' }, { 'Retry-After': '3' })
      .get('/api/ipam/vrfs/')
      .query(true)
      .reply(200, page([], 0));
    await client.list('ipam/vrfs');
    expect(sleeps).toEqual([3000]);
  });

  it('honours Retry-After as an HTTP-date on 503', async () => {
    const { client, sleeps } = testClient();
    const at = new Date(Date.now() + 5000).toUTCString();
    nock(BASE)
      .get('/api/ipam/vrfs/3/')
      .reply(503, 'maintenance', { 'Retry-After': at })
      .get('/api/ipam/vrfs/3/')
      .reply(200, { id: 3 });
    await client.get('ipam/vrfs', 3);
    expect(sleeps).toHaveLength(1);
    // HTTP-dates have whole seconds: the wait is what is left of the 5 s, give or take the second cut off.
    expect(sleeps[0]).toBeGreaterThan(3000);
    expect(sleeps[0]).toBeLessThanOrEqual(5000);
  });

  it('retries a GET after a connection reset', async () => {
    const { client } = testClient();
    nock(BASE).get('/api/ipam/vrfs/3/').replyWithError(resetError()).get('/api/ipam/vrfs/3/').reply(200, { id: 3 });
    await expect(client.get('ipam/vrfs', 3)).resolves.toEqual({ id: 3 });
    expect(client.stats().byRequest).toEqual({ 'GET ipam/vrfs/{id}/ network': 1, 'GET ipam/vrfs/{id}/ 200': 1 });
  });

  it('does not retry a POST after a connection reset (it may have landed)', async () => {
    const { client } = testClient();
    nock(BASE).post('/api/ipam/prefixes/').replyWithError(resetError());
    const err = await client.create('ipam/prefixes', { prefix: '10.9.0.0/24' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'network', attempts: 1 });
  });

  it('retries a GET that timed out', async () => {
    const { client } = testClient({ timeoutMs: 50 });
    nock(BASE)
      .get('/api/ipam/vrfs/3/')
      .delay(1000)
      .reply(200, { id: 3, late: true })
      .get('/api/ipam/vrfs/3/')
      .reply(200, { id: 3 });
    await expect(client.get('ipam/vrfs', 3)).resolves.toEqual({ id: 3 });
    expect(client.stats().byRequest).toEqual({ 'GET ipam/vrfs/{id}/ timeout': 1, 'GET ipam/vrfs/{id}/ 200': 1 });
  });

  it('treats a 404 on a retried DELETE as done (the first attempt deleted it)', async () => {
    const { client } = testClient();
    nock(BASE)
      .delete('/api/ipam/ip-addresses/12/')
      .reply(503, 'busy')
      .delete('/api/ipam/ip-addresses/12/')
      .reply(404, { detail: 'Not found.' });
    await expect(client.delete('ipam/ip-addresses', 12)).resolves.toBeUndefined();
  });

  it('maps a single-object 400 to a validation error with NetBox’s field messages', async () => {
    const { client } = testClient();
    nock(BASE)
      .post('/api/ipam/ip-addresses/')
      .reply(400, { address: ['Duplicate IP address found in global table: 10.0.0.5/24'] });
    const err = await client.create('ipam/ip-addresses', { address: '10.0.0.5/24' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetBoxValidationError);
    expect(err).toMatchObject({
      fieldErrors: { address: ['Duplicate IP address found in global table: 10.0.0.5/24'] },
    });
  });
});

describe('responses the client refuses to trust', () => {
  it('does not follow a redirect (the token would go wherever Location says)', async () => {
    const { client } = testClient();
    nock(BASE).get('/api/ipam/vrfs/3/').reply(301, '', { Location: 'https://elsewhere.test/api/ipam/vrfs/3/' });
    await expect(client.get('ipam/vrfs', 3)).rejects.toThrow(/redirect \(301\).*check the NetBox url/);
  });

  it('reports a 2xx body that is not JSON as a protocol error', async () => {
    const { client } = testClient();
    nock(BASE).get('/api/ipam/vrfs/3/').reply(200, '<html><title>Login</title></html>');
    await expect(client.get('ipam/vrfs', 3)).rejects.toMatchObject({
      name: 'NetBoxProtocolError',
      detail: 'non-JSON response: Login',
    });
  });
});

describe('headers', () => {
  it.each([
    { kind: 'v1 "Token"', token: V1_TOKEN, header: `Token ${V1_TOKEN}` },
    { kind: 'v2 "Bearer"', token: V2_TOKEN, header: `Bearer ${V2_TOKEN}` },
  ])('sends a $kind authorization, chosen by the nbt_ prefix', async ({ token, header }) => {
    const { client } = testClient({ token });
    nock(BASE)
      .matchHeader('authorization', header)
      .matchHeader('accept', 'application/json')
      .matchHeader('user-agent', /^netbox-ippool-sync\/\d+\.\d+\.\d+/)
      .get('/api/status/')
      .reply(200, statusBody('4.7.0'));
    await expect(client.status()).resolves.toMatchObject({ 'netbox-version': '4.7.0' });
  });
});

describe('concurrency and connection reuse (real loopback server)', () => {
  it('never has more than `concurrency` requests in flight and reuses keep-alive sockets', async () => {
    let active = 0;
    let peak = 0;
    let connections = 0;
    const server = http.createServer((_req, res) => {
      active++;
      peak = Math.max(peak, active);
      setTimeout(() => {
        active--;
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"id":1}');
      }, 15);
    });
    server.on('connection', () => connections++);
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const client = new NetBoxClient({ url: `http://127.0.0.1:${port}`, token: V1_TOKEN, concurrency: 3 });
      await Promise.all(Array.from({ length: 12 }, (_, i) => client.get('ipam/vrfs', i + 1)));
      expect(peak).toBe(3);
      expect(connections).toBeLessThanOrEqual(3);
      expect(client.stats().requests).toBe(12);
    } finally {
      server.closeAllConnections();
      await new Promise(resolve => server.close(resolve));
    }
  });
});

describe('agents and routes', () => {
  it('verifies TLS unless insecureSkipVerify, sizes the pool to concurrency, and adds a CA bundle', () => {
    const secure = buildAgents(
      { concurrency: 4, caFile: '/etc/netbox/ca.pem', insecureSkipVerify: false },
      () => 'PEM',
    );
    expect(secure.httpsAgent.options).toMatchObject({ keepAlive: true, maxSockets: 4, rejectUnauthorized: true });
    expect(secure.httpsAgent.options.ca).toContain('PEM');
    expect(secure.httpAgent.maxSockets).toBe(4);
    const insecure = buildAgents({ concurrency: 2, caFile: undefined, insecureSkipVerify: true });
    expect(insecure.httpsAgent.options).toMatchObject({ rejectUnauthorized: false });
    expect(insecure.httpsAgent.options.ca).toBeUndefined();
  });

  it('names an unreadable CA file', () => {
    expect(() => buildAgents({ concurrency: 1, caFile: '/nonexistent/ca.pem', insecureSkipVerify: false })).toThrow(
      /caFile.*\/nonexistent\/ca.pem \(ENOENT\)/,
    );
  });

  it.each([
    ['ipam/prefixes/', 'ipam/prefixes/'],
    ['ipam/prefixes/12/', 'ipam/prefixes/{id}/'],
    ['ipam/prefixes/12/available-ips/', 'ipam/prefixes/{id}/available-ips/'],
  ])('folds ids in stats keys: %s', (endpoint, route) => {
    expect(routeOf(endpoint)).toBe(route);
  });
});
