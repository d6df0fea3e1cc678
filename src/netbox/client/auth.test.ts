import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, describe, expect, it } from 'vitest';
import { loadToken, NetBoxToken } from './auth.ts';
import { NetBoxClient } from './client.ts';
import { NetBoxAuthError, NetBoxConfigError } from './errors.ts';
import { BASE, interceptNetBox, V1_TOKEN, V2_TOKEN } from '../../../test/support/nock-netbox.ts';

const dir = mkdtempSync(join(tmpdir(), 'nb-token-'));

interceptNetBox();

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadToken', () => {
  it('reads a mounted Secret file and trims the trailing newline', () => {
    const file = join(dir, 'token');
    writeFileSync(file, `  ${V2_TOKEN}\n`);
    const token = loadToken({ file, env: 'UNUSED' }, {});
    expect(token.authorization()).toBe(`Bearer ${V2_TOKEN}`);
    expect(token.source).toBe(`file ${file}`);
  });

  it('reads an environment variable', () => {
    const token = loadToken({ env: 'NETBOX_TOKEN' }, { NETBOX_TOKEN: `${V1_TOKEN}\n` });
    expect(token).toMatchObject({ scheme: 'Token', source: 'env NETBOX_TOKEN' });
    expect(token.authorization()).toBe(`Token ${V1_TOKEN}`);
  });

  it.each([
    {
      name: 'missing file',
      src: { file: join(dir, 'absent') },
      env: {},
      text: /cannot read the token file .*absent \(ENOENT\)/,
    },
    { name: 'unset variable', src: { env: 'NETBOX_TOKEN' }, env: {}, text: /NETBOX_TOKEN is not set/ },
    { name: 'empty variable', src: { env: 'T' }, env: { T: ' \n' }, text: /from env T is empty/ },
    { name: 'no source at all', src: {}, env: {}, text: /no token source given/ },
    {
      name: 'scheme included',
      src: { env: 'T' },
      env: { T: `Token ${V1_TOKEN}` },
      text: /starts with an authorization scheme/,
    },
    { name: 'inner whitespace', src: { env: 'T' }, env: { T: `${V1_TOKEN} x` }, text: /contains whitespace/ },
    {
      name: 'header injection',
      src: { env: 'T' },
      env: { T: `${V1_TOKEN}\r\nX-Evil: 1` },
      text: /whitespace or control/,
    },
    {
      name: 'v2 without a dot',
      src: { env: 'T' },
      env: { T: 'nbt_abcdef' },
      text: /not of the form nbt_<key>.<token>/,
    },
  ])('rejects a $name without echoing the value', ({ src, env, text }) => {
    let err: unknown;
    try {
      loadToken(src, env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NetBoxConfigError);
    expect((err as Error).message).toMatch(text);
    expect((err as Error).message).not.toContain(V1_TOKEN);
  });
});

describe('403 answers', () => {
  it.each([
    { detail: 'Invalid token', token: V1_TOKEN },
    { detail: 'Invalid v1 token', token: V1_TOKEN },
    { detail: 'Invalid v2 token', token: V2_TOKEN },
    { detail: 'Token expired', token: V2_TOKEN },
    { detail: 'Authentication credentials were not provided.', token: V1_TOKEN },
  ])('"$detail" becomes NetBoxAuthError saying the token is refused and what to do', async ({ detail, token }) => {
    const client = new NetBoxClient({ url: BASE, token: new NetBoxToken(token, 'env NETBOX_TOKEN') });
    nock(BASE).get('/api/ipam/prefixes/').query(true).reply(403, { detail });
    const err = await client.list('ipam/prefixes', { tag: 'k8s-a' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetBoxAuthError);
    expect(err).toMatchObject({ status: 403, detail, method: 'GET', path: '/api/ipam/prefixes/' });
    expect((err as Error).message).toContain(
      'NetBox no longer accepts the token in env NETBOX_TOKEN (revoked, expired, mistyped or not set): create a ' +
        'new API token in NetBox and put it in env NETBOX_TOKEN',
    );
    expect((err as Error).message).not.toContain('tag=');
  });

  it('a permission refusal (the token is accepted) points at the permissions instead', async () => {
    const client = new NetBoxClient({ url: BASE, token: new NetBoxToken(V1_TOKEN, 'env NETBOX_TOKEN') });
    nock(BASE)
      .get('/api/ipam/prefixes/')
      .query(true)
      .reply(403, { detail: 'You do not have permission to perform this action.' });
    const err = await client.list('ipam/prefixes', { tag: 'k8s-a' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetBoxAuthError);
    expect((err as Error).message).toContain(
      'check the token in env NETBOX_TOKEN; NetBox answers 403 for a missing, invalid or read-only token',
    );
    expect((err as Error).message).not.toContain('no longer accepts');
  });

  it('is not retried', async () => {
    const sleeps: number[] = [];
    const client = new NetBoxClient({
      url: BASE,
      token: V1_TOKEN,
      sleep: ms => (sleeps.push(ms), Promise.resolve()),
    });
    nock(BASE)
      .patch('/api/ipam/prefixes/3/')
      .reply(403, { detail: 'You do not have permission to perform this action.' });
    await expect(client.update('ipam/prefixes', 3, { status: 'deprecated' })).rejects.toThrow(/writes also need/);
    expect(sleeps).toEqual([]);
  });
});
