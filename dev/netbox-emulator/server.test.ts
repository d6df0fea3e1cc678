import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultKnobs, startEmulator } from './index.ts';
import type { Emulator } from './index.ts';

const SEED = new URL('../seed/example.json', import.meta.url).pathname;
let emu: Emulator;

async function call(
  method: string,
  path: string,
  body?: unknown,
  token?: string | null,
  extra: Record<string, string> = {},
) {
  const headers: Record<string, string> = { ...extra };
  const t = token === undefined ? emu.tokens.v1 : token;
  if (t !== null) headers['Authorization'] = t.startsWith('nbt_') ? `Bearer ${t}` : `Token ${t}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers,
    redirect: 'manual',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const isJson = (res.headers.get('content-type') ?? '').includes('json');
  const parsed = text === '' ? undefined : isJson ? (JSON.parse(text) as unknown) : text;
  return { status: res.status, headers: res.headers, body: parsed };
}

const side = (method: string, path: string, body?: unknown) => call(method, `/_emulator/${path}`, body, null);

beforeAll(async () => {
  emu = await startEmulator({ seed: SEED, tokens: [{ token: 'e'.repeat(40), expires: '2000-01-01T00:00:00Z' }] });
});

afterAll(async () => {
  await emu.close();
});

afterEach(async () => {
  await side('POST', 'reset?reseed=true');
  await side('PATCH', 'knobs', defaultKnobs());
});

describe('protocol', () => {
  it('sends X-Request-ID and API-Version on every API response, ETag on details', async () => {
    const ok = await call('GET', '/api/ipam/prefixes/2/');
    const denied = await call('GET', '/api/ipam/prefixes/2/', undefined, null);
    for (const r of [ok, denied]) {
      expect(r.headers.get('x-request-id')).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(r.headers.get('api-version')).toBe('4.7');
    }
    // Python's isoformat() of last_updated: `+00:00` where the API writes `Z`.
    const updated = (ok.body as { last_updated: string }).last_updated;
    expect(ok.headers.get('etag')).toBe(`W/"${updated.replace(/Z$/, '+00:00')}"`);
  });

  it('redirects a path without trailing slash to the slashed one, keeping the query', async () => {
    const r = await call('GET', '/api/ipam/prefixes?limit=1');
    expect([r.status, r.headers.get('location')]).toEqual([302, '/api/ipam/prefixes/?limit=1']);
  });

  it('answers 404 with NetBox’s text for a missing object', async () => {
    expect(await call('GET', '/api/ipam/ip-ranges/999/')).toMatchObject({
      status: 404,
      body: { detail: 'No IPRange matches the given query.' },
    });
  });

  it('refuses a stale If-Match with 412 and accepts the current ETag', async () => {
    const current = await call('GET', '/api/ipam/prefixes/2/');
    const tag = current.headers.get('etag') ?? '';
    expect(
      (await call('PATCH', '/api/ipam/prefixes/2/', { description: 'a' }, undefined, { 'If-Match': tag })).status,
    ).toBe(200);
    expect(
      (await call('PATCH', '/api/ipam/prefixes/2/', { description: 'b' }, undefined, { 'If-Match': tag })).status,
    ).toBe(412);
  });
});

describe('authentication', () => {
  it.each([
    [null, 'Authentication credentials were not provided.'],
    ['0'.repeat(40), 'Invalid v1 token'],
    ['nbt_abcdefghijkl.wrongwrongwrongwrongwrongwrongwrongwrong', 'Invalid v2 token'],
    ['e'.repeat(40), 'Token expired'],
  ])('token %s → 403 %s', async (token, detail) => {
    expect(await call('GET', '/api/status/', undefined, token)).toMatchObject({ status: 403, body: { detail } });
  });

  it('accepts v1 and v2 tokens and keeps read-only tokens to reads', async () => {
    expect((await call('GET', '/api/status/', undefined, emu.tokens.v2)).body).toMatchObject({
      'netbox-version': '4.7.0',
    });
    expect((await call('GET', '/api/ipam/roles/', undefined, emu.tokens.readOnly)).status).toBe(200);
    expect(await call('POST', '/api/ipam/roles/', { name: 'r', slug: 'r' }, emu.tokens.readOnly)).toMatchObject({
      status: 403,
      body: { detail: 'You do not have permission to perform this action.' },
    });
  });
});

describe('bulk writes', () => {
  const bad = [{ prefix: '10.50.0.0/24' }, { prefix: 'nope' }, { prefix: '10.20.0.0/20' }];

  it('4.7: rolls back and reports every failing item by index', async () => {
    const before = emu.store.count('ipam/prefixes');
    expect(await call('POST', '/api/ipam/prefixes/', bad)).toEqual(
      expect.objectContaining({
        status: 400,
        body: {
          detail: '2 of 3 objects could not be created.',
          errors: [
            { index: 1, errors: { prefix: ['Invalid IP prefix format: nope'] } },
            { index: 2, errors: { prefix: ['Duplicate prefix found in global table: 10.20.0.0/20'] } },
          ],
        },
      }),
    );
    expect(emu.store.count('ipam/prefixes')).toBe(before);
  });

  it('4.6: a create lists per-item errors, an update returns the first failing object’s errors', async () => {
    await side('PATCH', 'knobs', { apiVersion: '4.6' });
    expect((await call('POST', '/api/ipam/prefixes/', bad)).body).toEqual([
      {},
      { prefix: ['Invalid IP prefix format: nope'] },
      { prefix: ['Duplicate prefix found in global table: 10.20.0.0/20'] },
    ]);
    const upd = await call('PATCH', '/api/ipam/prefixes/', [
      { id: 2, description: 'ok' },
      { id: 3, status: 'gone' },
    ]);
    expect(upd).toMatchObject({ status: 400, body: { status: ['gone is not a valid choice.'] } });
  });

  it('4.7: updates by id and reports failures by id; deletes take [{id}]', async () => {
    const upd = await call('PATCH', '/api/ipam/prefixes/', [
      { id: 2, description: 'x'.repeat(201) },
      { id: 3 },
      { status: 'x' },
    ]);
    expect(upd.body).toEqual({
      detail: '1 of 3 objects failed validation.',
      errors: [{ index: 2, errors: { id: ['This field is required.'] } }],
    });
    const upd2 = await call('PATCH', '/api/ipam/prefixes/', [
      { id: 2, description: 'x'.repeat(201) },
      { id: 3, description: 'fine' },
    ]);
    expect(upd2.body).toEqual({
      detail: '1 of 2 objects could not be updated.',
      errors: [{ id: 2, errors: { description: ['Ensure this field has no more than 200 characters.'] } }],
    });
    const ok = await call('PATCH', '/api/ipam/prefixes/', [
      { id: 2, description: 'a' },
      { id: 3, description: 'b' },
    ]);
    expect((ok.body as { description: string }[]).map(p => p.description)).toEqual(['a', 'b']);
    expect((await call('DELETE', '/api/ipam/ip-addresses/', [{ id: 1 }, { id: 2 }])).status).toBe(204);
    expect(emu.store.get('ipam/ip-addresses', 1)).toBeUndefined();
  });

  it('refuses to delete a VRF that prefixes still use (409)', async () => {
    const r = await call('DELETE', '/api/ipam/vrfs/1/');
    expect(r.status).toBe(409);
    expect((r.body as { detail: string }).detail).toMatch(
      /^Unable to delete object\. \d+ dependent objects were found: /,
    );
  });
});

describe('custom field read shape', () => {
  it('reads select fields as {value,label} on 4.7 and raw on 4.6', async () => {
    const cf = async () =>
      ((await call('GET', '/api/ipam/prefixes/2/')).body as { custom_fields: Record<string, unknown> }).custom_fields;
    expect((await cf())['k8s_pool_kind']).toEqual({ value: 'calico', label: 'Calico' });
    await side('PATCH', 'knobs', { apiVersion: '4.6' });
    expect((await cf())['k8s_pool_kind']).toBe('calico');
  });
});

describe('webhooks', () => {
  const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });

  beforeAll(async () => {
    await new Promise<void>(resolve => receiver.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise<void>(resolve => receiver.close(() => resolve()));
  });

  async function subscribe(url: string): Promise<void> {
    const hook = await call('POST', '/api/extras/webhooks/', { name: 'sync', payload_url: url, secret: 's3cret' });
    await call('POST', '/api/extras/event-rules/', {
      name: 'pools',
      object_types: ['ipam.prefix', 'ipam.iprange'],
      event_types: ['object_created', 'object_updated', 'object_deleted'],
      action_type: 'webhook',
      action_object_type: 'extras.webhook',
      action_object_id: (hook.body as { id: number }).id,
    });
  }

  it('delivers one signed NetBox payload per object change after the response', async () => {
    received.length = 0;
    await subscribe(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`);
    // Deliveries of one request run concurrently; waiting between requests keeps the order to assert on.
    const created = await call('POST', '/api/ipam/prefixes/', [{ prefix: '10.60.0.0/24' }, { prefix: '10.61.0.0/24' }]);
    await emu.webhooksIdle();
    const id = (created.body as { id: number }[])[0]?.id ?? 0;
    await call('PATCH', `/api/ipam/prefixes/${id}/`, { description: 'changed', changelog_message: 'why' });
    await emu.webhooksIdle();
    await call('DELETE', `/api/ipam/prefixes/${id}/`);
    await emu.webhooksIdle();
    await call('POST', '/api/ipam/ip-addresses/', { address: '10.60.0.9/24' });
    await emu.webhooksIdle();
    expect(received).toHaveLength(4);
    for (const r of received) {
      expect(r.headers['x-hook-signature']).toBe(createHmac('sha512', 's3cret').update(r.body).digest('hex'));
    }
    const payloads = received.map(r => JSON.parse(r.body) as Record<string, unknown>);
    expect(payloads.map(p => p['event'])).toEqual(['created', 'created', 'updated', 'deleted']);
    expect(payloads[2]).toMatchObject({
      object_type: 'ipam.prefix',
      data: { id, url: `/api/ipam/prefixes/${id}/`, description: 'changed' },
      request: { method: 'PATCH', path: `/api/ipam/prefixes/${id}/`, user: 'admin' },
      snapshots: { prechange: { description: '' }, postchange: { description: 'changed' } },
    });
    expect(payloads[0]).not.toHaveProperty('username');
    expect(received[0]?.body).toContain('", "');
    expect(emu.store.changelog.at(-3)).toMatchObject({ action: 'update', message: 'why' });
  });

  it('refuses to deliver anywhere but loopback', async () => {
    await subscribe('http://192.0.2.10/hook');
    await call('POST', '/api/ipam/prefixes/', { prefix: '10.62.0.0/24' });
    await emu.webhooksIdle();
    expect(emu.deliveries().at(-1)).toMatchObject({
      delivered: false,
      error: expect.stringMatching(/^refused/) as unknown,
    });
  });
});

describe('knobs and stats', () => {
  it('injects 429 bursts, 503s, truncated pages and lying counts', async () => {
    await side('PATCH', 'knobs', { throttleNext: 1, retryAfterSeconds: 7, failNext: 1 });
    const throttled = await call('GET', '/api/ipam/prefixes/');
    expect([throttled.status, throttled.headers.get('retry-after')]).toEqual([429, '7']);
    expect((await fetch(`${emu.url}/api/ipam/prefixes/`)).status).toBe(503);
    await side('PATCH', 'knobs', { dropNextLink: true, countOffset: 5 });
    const page = (await call('GET', '/api/ipam/prefixes/?limit=1')).body as { count: number; next: string | null };
    expect([page.count, page.next]).toEqual([emu.store.count('ipam/prefixes') + 5, null]);
  });

  it('adds latency per request and per returned object, and fails a seeded share of requests', async () => {
    await side('PATCH', 'knobs', { latencyMs: 40, latencyPerObjectMs: 10 });
    const t0 = Date.now();
    await call('GET', '/api/ipam/roles/?limit=3');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(65);
    await side('PATCH', 'knobs', { latencyMs: 0, latencyPerObjectMs: 0, errorRate: 1, faultPath: '/ipam/vrfs/' });
    expect((await call('GET', '/api/ipam/vrfs/')).status).toBe(503);
    expect((await call('GET', '/api/ipam/roles/')).status).toBe(200);
  });

  it('never answers a hanging request', async () => {
    await side('PATCH', 'knobs', { hangNext: 1 });
    const hung = fetch(`${emu.url}/api/status/`, { signal: AbortSignal.timeout(300) });
    await expect(hung).rejects.toThrow();
    expect((await call('GET', '/api/status/')).status).toBe(200);
  });

  it('counts requests by method, endpoint and status and resets the counters', async () => {
    await side('POST', 'reset-stats');
    await call('GET', '/api/ipam/prefixes/');
    await call('GET', '/api/ipam/prefixes/2/');
    await call('GET', '/api/ipam/prefixes/', undefined, null);
    const stats = emu.stats();
    expect(stats.byRoute).toEqual({
      'GET ipam/prefixes 200': 1,
      'GET ipam/prefixes/{id} 200': 1,
      'GET ipam/prefixes 403': 1,
    });
    expect((await side('POST', 'reset-stats')).body).toMatchObject({ total: 0 });
  });

  it('validates knob updates', async () => {
    expect(await side('PATCH', 'knobs', { maxPageSize: -1, nope: 1 })).toMatchObject({ status: 400 });
  });
});

describe('seeding', () => {
  it('loads the example seed and refuses an invalid one without partial data', async () => {
    expect(emu.store.count('extras/custom-fields')).toBe(11);
    const before = emu.store.count('ipam/roles');
    const r = await side('POST', 'seed', { 'ipam/roles': [{ name: 'x', slug: 'x' }, { name: 'y' }] });
    expect(r).toMatchObject({
      status: 400,
      body: { endpoint: 'ipam/roles', index: 1, errors: { slug: ['This field is required.'] } },
    });
    expect(emu.store.count('ipam/roles')).toBe(before);
  });
});
