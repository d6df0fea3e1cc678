import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { NetBoxProtocolError } from './errors.ts';
import { BASE, interceptNetBox, testClient } from '../../../test/support/nock-netbox.ts';

interceptNetBox();

describe('count', () => {
  it('asks for one row with the filters and answers NetBox count', async () => {
    const { client } = testClient();
    nock(BASE)
      .get('/api/ipam/ip-addresses/')
      .query({ tag: ['k8s-ippool-sync', 'k8s-lab'], limit: '1' })
      .reply(200, {
        count: 4321,
        next: `${BASE}/api/ipam/ip-addresses/?limit=1&offset=1`,
        previous: null,
        results: [{ id: 1 }],
      });
    expect(await client.count('ipam/ip-addresses', { tag: ['k8s-ippool-sync', 'k8s-lab'] })).toBe(4321);
  });

  it('a page that counts objects but holds none (emptied on its way) is a protocol error', async () => {
    const { client } = testClient();
    nock(BASE).get('/api/ipam/prefixes/').query(true).reply(200, { count: 7, next: null, previous: null, results: [] });
    await expect(client.count('ipam/prefixes', {})).rejects.toBeInstanceOf(NetBoxProtocolError);
    nock(BASE).get('/api/ipam/prefixes/').query(true).reply(200, { count: 0, next: null, previous: null, results: [] });
    expect(await client.count('ipam/prefixes', {})).toBe(0);
  });

  it('a page without a numeric count is a protocol error, never a zero', async () => {
    const { client } = testClient();
    nock(BASE).get('/api/ipam/prefixes/').query(true).reply(200, { results: [] });
    await expect(client.count('ipam/prefixes', {})).rejects.toBeInstanceOf(NetBoxProtocolError);
  });
});
