/**
 * The token must never show up in a log line, an error message or any field of a thrown error, however the
 * error is serialised, even when the server (or something in between) echoes it back.
 */
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../log.ts';
import { NetBoxToken } from './auth.ts';
import { NetBoxClient } from './client.ts';
import { BASE, interceptNetBox, page, prefix, V1_TOKEN, V2_TOKEN } from '../../../test/support/nock-netbox.ts';

interceptNetBox();

function memoryLog() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level: 'trace', destination }), lines };
}

/** Every way an error tends to get printed: console, JSON logs, error reporters walking own properties. */
function renderings(err: unknown): string[] {
  const e = err as Error & Record<string, unknown>;
  return [
    String(e),
    e.message,
    e.stack ?? '',
    JSON.stringify(e),
    JSON.stringify({ ...e }),
    JSON.stringify(Object.getOwnPropertyNames(e).map(k => [k, e[k]])),
    inspect(e, { depth: Infinity, showHidden: true }),
  ];
}

/** The client's token must not appear whole, nor its secret part (a v2 token's key id before the dot is not secret). */
function expectNoToken(texts: string[], token: string): void {
  const secrets = [token, ...(token.startsWith('nbt_') ? [token.split('.')[1]!] : [])];
  for (const text of texts) for (const secret of secrets) expect(text).not.toContain(secret);
}

type Scenario = { name: string; mock: (scope: nock.Scope) => void; call: (c: NetBoxClient) => Promise<unknown> };

const scenarios: Scenario[] = [
  {
    name: '403 whose detail echoes the token',
    mock: s =>
      s
        .get('/api/ipam/prefixes/')
        .query(true)
        .reply(403, { detail: `Invalid token ${V1_TOKEN} ${V2_TOKEN}` }),
    call: c => c.list('ipam/prefixes'),
  },
  {
    name: '400 with the token inside field messages and keys',
    mock: s => s.post('/api/ipam/prefixes/').reply(400, { [V2_TOKEN]: [`bad ${V1_TOKEN}`], prefix: [V2_TOKEN] }),
    call: c => c.create('ipam/prefixes', { prefix: '10.0.0.0/8' }),
  },
  {
    name: '503 until retries run out (retry warnings are logged)',
    mock: s => s.get('/api/ipam/vrfs/1/').times(3).reply(503, `<html><title>down ${V1_TOKEN}</title></html>`),
    call: c => c.get('ipam/vrfs', 1),
  },
  {
    name: 'connection reset whose message mentions the token',
    mock: s =>
      s
        .post('/api/ipam/prefixes/')
        .replyWithError(Object.assign(new Error(`reset ${V2_TOKEN}`), { code: 'ECONNRESET' })),
    call: c => c.create('ipam/prefixes', { prefix: '10.0.0.0/8' }),
  },
  {
    name: 'timeout on every attempt',
    mock: s => s.get('/api/ipam/vrfs/2/').times(3).delay(500).reply(200, {}),
    call: c => c.get('ipam/vrfs', 2),
  },
  {
    name: '2xx with a non-JSON body holding the token',
    mock: s => s.get('/api/ipam/vrfs/3/').reply(200, `oops ${V1_TOKEN}`),
    call: c => c.get('ipam/vrfs', 3),
  },
  {
    name: 'incomplete listing',
    mock: s =>
      s
        .get('/api/ipam/prefixes/')
        .query(true)
        .reply(200, page([prefix(1)], 2)),
    call: c => c.list('ipam/prefixes'),
  },
  {
    name: 'bulk write stopped by 403 (error inside the result, not thrown)',
    mock: s => s.delete('/api/ipam/ip-addresses/').reply(403, { detail: `Invalid v2 token ${V2_TOKEN}` }),
    call: c => c.ipAddresses.delete([1, 2]),
  },
];

describe.each([
  { kind: 'v1', token: V1_TOKEN },
  { kind: 'v2', token: V2_TOKEN },
])('no $kind token in errors or logs', ({ token }) => {
  it.each(scenarios)('$name', async ({ mock, call }) => {
    const { logger, lines } = memoryLog();
    const client = new NetBoxClient({
      url: BASE,
      token,
      logger,
      timeoutMs: 30,
      maxRetries: 2,
      sleep: () => Promise.resolve(),
    });
    mock(nock(BASE));
    let thrown: unknown;
    let returned: unknown;
    try {
      returned = await call(client);
    } catch (err) {
      thrown = err;
    }
    expect(thrown ?? returned).toBeDefined();
    if (thrown !== undefined) {
      expect(thrown).toBeInstanceOf(Error);
      expect(thrown).not.toHaveProperty('config');
      expect(thrown).not.toHaveProperty('cause');
      expectNoToken(renderings(thrown), token);
    } else {
      expectNoToken([JSON.stringify(returned), inspect(returned, { depth: Infinity, showHidden: true })], token);
    }
    expect(lines.length).toBeGreaterThan(0);
    expectNoToken(lines, token);
    expectNoToken([inspect(client, { depth: Infinity, showHidden: true }), JSON.stringify(client)], token);
  });
});

describe('the token object itself', () => {
  it.each([
    ['JSON', (t: NetBoxToken) => JSON.stringify({ token: t })],
    ['inspect', (t: NetBoxToken) => inspect({ token: t }, { depth: Infinity, showHidden: true })],
    ['template string', (t: NetBoxToken) => `${String(t)}`],
  ])('prints as its source through %s', (_how, render) => {
    const text = render(new NetBoxToken(V2_TOKEN, 'env NETBOX_TOKEN'));
    expect(text).toContain('[NetBoxToken from env NETBOX_TOKEN]');
    expectNoToken([text], V2_TOKEN);
  });

  it('logs a warning, not the token, when TLS verification is switched off', () => {
    const { logger, lines } = memoryLog();
    new NetBoxClient({ url: BASE, token: V1_TOKEN, logger, insecureSkipVerify: true });
    expect(lines.join('')).toMatch(/TLS verification of NetBox is OFF/);
    expectNoToken(lines, V1_TOKEN);
  });
});
