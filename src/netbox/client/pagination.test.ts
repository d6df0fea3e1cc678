import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { NetBoxConfigError, NetBoxIncompleteListError, NetBoxProtocolError } from './errors.ts';
import { toSearchParams } from './pagination.ts';
import { BASE, interceptNetBox, page, prefix, statusBody, testClient } from '../../../test/support/nock-netbox.ts';

interceptNetBox();

const PREFIX_FIELDS =
  'id,url,display,tags,custom_fields,description,created,last_updated,family,prefix,vrf,tenant,status,role';

describe('complete pagination', () => {
  it('sends limit=pageSize and follows next through every page, using only next’s query', async () => {
    const { client } = testClient({ pageSize: 2 });
    // NetBox behind a proxy often writes `next` with an internal host and http: we must stay on our own URL.
    const next = (offset: number) =>
      `http://netbox-internal:8080/api/ipam/prefixes/?limit=2&offset=${offset}&role=k8s-pod&tag=k8s-a`;
    nock(BASE)
      .get('/api/ipam/prefixes/')
      .query({ limit: '2', role: 'k8s-pod', tag: 'k8s-a' })
      .reply(200, page([prefix(1), prefix(2)], 5, next(2)))
      .get('/api/ipam/prefixes/')
      .query({ limit: '2', offset: '2', role: 'k8s-pod', tag: 'k8s-a' })
      .reply(200, page([prefix(3), prefix(4)], 5, next(4)))
      .get('/api/ipam/prefixes/')
      .query({ limit: '2', offset: '4', role: 'k8s-pod', tag: 'k8s-a' })
      .reply(200, page([prefix(5)], 5, null));
    const items = await client.list<{ id: number }>('ipam/prefixes', { role: 'k8s-pod', tag: 'k8s-a' });
    expect(items.map(p => p.id)).toEqual([1, 2, 3, 4, 5]);
    expect(client.stats().byRequest).toEqual({ 'GET ipam/prefixes/ 200': 3 });
  });

  it('keeps following next when the server caps the page below the limit asked (MAX_PAGE_SIZE)', async () => {
    const { client } = testClient(); // asks for 1000
    const ids = Array.from({ length: 7 }, (_, i) => i + 1);
    const scope = nock(BASE);
    for (let offset = 0; offset < 7; offset += 3) {
      const q: Record<string, string> = { limit: '1000', ...(offset ? { offset: String(offset) } : {}) };
      const more = offset + 3 < 7 ? `${BASE}/api/ipam/vrfs/?limit=3&offset=${offset + 3}` : null;
      scope
        .get('/api/ipam/vrfs/')
        .query(offset === 0 ? q : { limit: '3', offset: String(offset) })
        .reply(
          200,
          page(
            ids.slice(offset, offset + 3).map(id => ({ id, name: `v${id}` })),
            7,
            more,
          ),
        );
    }
    const vrfs = await client.list<{ id: number }>('ipam/vrfs');
    expect(vrfs.map(v => v.id)).toEqual(ids);
  });

  it('repeats array filters (NetBox ORs them; for tag it ANDs) and drops undefined', () => {
    const q = toSearchParams({ role: ['k8s-pod', 'k8s-rdma'], tag: 'k8s-a', vrf_id: 3, is_pool: true, x: undefined });
    expect(q.toString()).toBe('role=k8s-pod&role=k8s-rdma&tag=k8s-a&vrf_id=3&is_pool=true');
  });

  it.each(['limit', 'offset', 'fields', 'brief'])('refuses a query that sets %s itself', name => {
    expect(() => toSearchParams({ [name]: 0 })).toThrow(NetBoxConfigError);
  });
});

describe('incomplete or inconsistent listings throw instead of returning partial data', () => {
  const cases: {
    name: string;
    pages: Record<string, unknown>[];
    error: abstract new (...args: never[]) => Error;
    text: RegExp;
  }[] = [
    {
      name: 'pages end (next null) before count is reached',
      pages: [page([prefix(1), prefix(2)], 5, `${BASE}/api/ipam/prefixes/?limit=2&offset=2`), page([prefix(3)], 5)],
      error: NetBoxIncompleteListError,
      text: /count says 5 but the pages ended .* after 3 objects/,
    },
    {
      name: 'the first page already lacks next',
      pages: [page([prefix(1)], 2)],
      error: NetBoxIncompleteListError,
      text: /count says 2/,
    },
    {
      name: 'count changes between pages',
      pages: [page([prefix(1)], 2, `${BASE}/api/ipam/prefixes/?limit=1&offset=1`), page([prefix(2)], 3)],
      error: NetBoxIncompleteListError,
      text: /count changed from 2 to 3/,
    },
    {
      name: 'an object repeats across pages (ordering shifted)',
      pages: [page([prefix(1)], 2, `${BASE}/api/ipam/prefixes/?limit=1&offset=1`), page([prefix(1)], 2)],
      error: NetBoxIncompleteListError,
      text: /id 1 appeared twice/,
    },
    {
      name: 'an empty page still points to a next page',
      pages: [page([], 2, `${BASE}/api/ipam/prefixes/?limit=1&offset=1`)],
      error: NetBoxIncompleteListError,
      text: /page 1 is empty but has a `next`/,
    },
    {
      name: 'more objects than count',
      pages: [page([prefix(1), prefix(2)], 1)],
      error: NetBoxIncompleteListError,
      text: /count says 1 but 2 objects arrived/,
    },
    {
      name: 'next points at another endpoint',
      pages: [page([prefix(1)], 2, `${BASE}/api/dcim/devices/?limit=1&offset=1`)],
      error: NetBoxProtocolError,
      text: /not to the endpoint being listed/,
    },
    {
      name: 'a body without results',
      pages: [{ count: 1, next: null }],
      error: NetBoxProtocolError,
      text: /without a `results` array/,
    },
    {
      name: 'a body without count (cursor mode is never asked for)',
      pages: [{ count: null, next: null, results: [] }],
      error: NetBoxProtocolError,
      text: /without a numeric `count`/,
    },
  ];

  it.each(cases)('$name', async ({ pages, error, text }) => {
    const { client } = testClient({ pageSize: 2 });
    const scope = nock(BASE);
    for (const body of pages) scope.get('/api/ipam/prefixes/').query(true).reply(200, body);
    const err = await client.list('ipam/prefixes').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(error);
    expect((err as Error).message).toMatch(text);
    expect((err as Error).message).toContain('GET /api/ipam/prefixes/');
  });

  it('detects a next link that loops back to a page already read', async () => {
    const { client } = testClient({ pageSize: 1 });
    nock(BASE)
      .get('/api/ipam/prefixes/')
      .query({ limit: '1' })
      .reply(200, page([prefix(1)], 3, `${BASE}/api/ipam/prefixes/?limit=1&offset=1`))
      .get('/api/ipam/prefixes/')
      .query({ limit: '1', offset: '1' })
      .reply(200, page([prefix(2)], 3, `${BASE}/api/ipam/prefixes/?limit=1&offset=1`));
    await expect(client.list('ipam/prefixes')).rejects.toThrow(/repeats a page already read/);
  });
});

/** NetBox `version` answers /api/status/, then one page of `results` to a listing that asks exactly `query`. */
function serveListing(version: string, endpoint: string, query: nock.DataMatcherMap, results: unknown[]): void {
  nock(BASE)
    .get('/api/status/')
    .reply(200, statusBody(version))
    .get(`/api/${endpoint}/`)
    .query(query)
    .reply(200, page(results, results.length));
}

describe('field selection follows the server version', () => {
  it.each([
    { version: '4.7.0-beta1', expected: { fields: PREFIX_FIELDS } },
    { version: '4.0.11', expected: { fields: PREFIX_FIELDS } },
    { version: '3.7.8', expected: {} },
  ])('prefixes on NetBox $version', async ({ version, expected }) => {
    const { client } = testClient();
    serveListing(version, 'ipam/prefixes', { limit: '1000', status: 'active', ...expected }, [prefix(1)]);
    expect(await client.listPrefixes({ status: 'active' })).toHaveLength(1);
  });

  it.each([
    { version: '4.2.5-Docker-3.2.0', expected: { fields: 'id,url,display,name,slug,weight,description' } },
    { version: '3.7.8', expected: { brief: 'true' } },
  ])('roles on NetBox $version (brief holds all we read, so it is the fallback)', async ({ version, expected }) => {
    const { client } = testClient();
    serveListing(version, 'ipam/roles', { limit: '1000', ...expected }, [{ id: 1, name: 'k8s-pod', slug: 'k8s-pod' }]);
    expect(await client.listRoles()).toHaveLength(1);
  });

  it.each([
    { version: '4.5.2', expected: { omit: 'comments,custom_fields' } },
    { version: '4.5.1', expected: {} },
  ])('omit only from 4.5.2 on (NetBox $version)', async ({ version, expected }) => {
    const { client } = testClient();
    serveListing(version, 'ipam/vrfs', { limit: '1000', ...expected }, []);
    expect(await client.list('ipam/vrfs', {}, { omit: ['comments', 'custom_fields'] })).toEqual([]);
  });

  it('asks /api/status/ once and caches the version', async () => {
    const { client } = testClient();
    nock(BASE)
      .get('/api/status/')
      .once()
      .reply(200, statusBody('4.6.3'))
      .get('/api/extras/tags/')
      .times(2)
      .query({ limit: '1000', fields: 'id,url,display,name,slug,color' })
      .reply(200, page([], 0));
    await client.listTags();
    await client.listTags();
    expect((await client.serverVersion())?.raw).toBe('4.6.3');
    expect(client.stats().byRequest['GET status/ 200']).toBe(1);
  });

  it('falls back to the API-Version header when /api/status/ is missing', async () => {
    const { client } = testClient();
    nock(BASE)
      .get('/api/status/')
      .reply(404, { detail: 'Not found.' }, { 'API-Version': '4.4' })
      .get('/api/ipam/vrfs/')
      .query({ limit: '1000', fields: 'id,url,display,name,rd,enforce_unique' })
      .reply(200, page([], 0));
    await client.listVrfs();
    expect(await client.serverVersion()).toMatchObject({ major: 4, minor: 4 });
  });
});
