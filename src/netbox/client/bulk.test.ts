import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { NetBoxAuthError } from './errors.ts';
import { BASE, interceptNetBox, ipAddress, statusBody, testClient } from '../../../test/support/nock-netbox.ts';

interceptNetBox();

type Body = Record<string, unknown>[];
const addresses = (n: number) => Array.from({ length: n }, (_, i) => ({ address: `10.1.${i >> 8}.${i & 255}/16` }));
const created = (body: Body) => body.map((o, i) => ipAddress(100 + i, String(o['address'])));
/** nock 15 hands reply functions the fetch Request. */
const bodyOf = async (req: Request): Promise<Body> => (await req.json()) as Body;
const DUP = 'Duplicate IP address found in global table: 10.1.0.2/16';

describe('batches', () => {
  it('splits into batches of batchSize and stamps changelog_message on every object (4.4+)', async () => {
    const { client } = testClient({ batchSize: 100, changelogMessage: 'netbox-ippool-sync: cluster a' });
    const sizes: number[] = [];
    const messages = new Set<unknown>();
    nock(BASE)
      .get('/api/status/')
      .reply(200, statusBody('4.4.10'))
      .post('/api/ipam/ip-addresses/')
      .times(3)
      .reply(async (req: Request) => {
        const list = await bodyOf(req);
        sizes.push(list.length);
        for (const o of list) messages.add(o['changelog_message']);
        return [201, created(list)];
      });
    const result = await client.ipAddresses.create(addresses(250));
    expect(sizes).toEqual([100, 100, 50]);
    expect([...messages]).toEqual(['netbox-ippool-sync: cluster a']);
    expect(result.succeeded).toHaveLength(250);
    expect(result.failed).toEqual([]);
    expect(client.stats().byRequest['POST ipam/ip-addresses/ 201']).toBe(3);
  });

  it('leaves changelog_message out before 4.4', async () => {
    const { client } = testClient({ changelogMessage: 'sync' });
    nock(BASE)
      .get('/api/status/')
      .reply(200, statusBody('4.3.7'))
      .post('/api/ipam/ip-addresses/', [{ address: '10.1.0.0/16' }])
      .reply(201, [ipAddress(1, '10.1.0.0/16')]);
    expect((await client.ipAddresses.create(addresses(1))).succeeded).toHaveLength(1);
  });
});

describe('a 400 on a batch: the good objects still land, the bad one is reported', () => {
  it('4.7 indexed errors: drops the named objects and re-sends the rest once', async () => {
    const { client } = testClient();
    const sent: number[] = [];
    nock(BASE)
      .post('/api/ipam/ip-addresses/')
      .reply(400, {
        detail: '1 of 4 objects failed validation.',
        errors: [{ index: 2, errors: { address: [DUP] } }],
      })
      .post('/api/ipam/ip-addresses/')
      .reply(async (req: Request) => {
        const list = await bodyOf(req);
        sent.push(list.length);
        return [201, created(list)];
      });
    const result = await client.ipAddresses.create(addresses(4));
    expect(sent).toEqual([3]);
    expect(result.succeeded.map(o => o.address)).toEqual(['10.1.0.0/16', '10.1.0.1/16', '10.1.0.3/16']);
    expect(result.failed).toEqual([
      {
        item: { address: '10.1.0.2/16' },
        index: 2,
        fieldErrors: { address: [DUP] },
        message: `NetBox rejected address 10.1.0.2/16 (item 2): address: ${DUP}`,
        outcome: 'rejected',
        status: 400,
      },
    ]);
  });

  it('≤4.6 bulk create: one error entry per submitted object, empty for the good ones', async () => {
    const { client } = testClient();
    nock(BASE)
      .post('/api/ipam/ip-addresses/')
      .reply(400, [{}, {}, { address: [DUP] }, {}])
      .post('/api/ipam/ip-addresses/')
      .reply(async (req: Request) => [201, created(await bodyOf(req))]);
    const result = await client.ipAddresses.create(addresses(4));
    expect(result.succeeded).toHaveLength(3);
    expect(result.failed).toMatchObject([{ index: 2, fieldErrors: { address: [DUP] }, outcome: 'rejected' }]);
  });

  it('≤4.6 bare field dict without index: bisects until the bad objects stand alone', async () => {
    const { client } = testClient({ batchSize: 8 });
    const bad = new Set([4, 7]);
    const batches: number[][] = [];
    // Like NetBox ≤4.6 bulk PATCH: the whole batch fails with the first bad object's fields, no index.
    nock(BASE)
      .patch('/api/ipam/ip-addresses/')
      .times(11)
      .reply(async (req: Request) => {
        const ids = (await bodyOf(req)).map(o => Number(o['id']));
        batches.push(ids);
        const first = ids.find(id => bad.has(id));
        if (first !== undefined) return [400, { description: ['Ensure this field has no more than 200 characters.'] }];
        return [200, ids.map(id => ipAddress(id, `10.1.0.${id}/16`))];
      });
    const items = Array.from({ length: 8 }, (_, i) => ({
      id: i + 1,
      description: bad.has(i + 1) ? 'x'.repeat(201) : 'ok',
    }));
    const result = await client.ipAddresses.update(items);
    expect(result.succeeded.map(o => o.id).sort()).toEqual([1, 2, 3, 5, 6, 8]);
    expect(result.failed.map(f => [f.index, f.fieldErrors])).toEqual([
      [3, { description: ['Ensure this field has no more than 200 characters.'] }],
      [6, { description: ['Ensure this field has no more than 200 characters.'] }],
    ]);
    expect(result.failed[0]?.message).toBe(
      'NetBox rejected id 4 (item 3): description: Ensure this field has no more than 200 characters.',
    );
    // 8 → 4+4 → four pairs → the two bad pairs split into singles: 1 + 2 + 4 + 4 = 11 requests.
    expect(batches).toHaveLength(11);
    expect(batches.filter(b => b.length === 1)).toEqual([[3], [4], [7], [8]]);
  });

  it('4.7 errors keyed by id on a bulk update', async () => {
    const { client } = testClient();
    nock(BASE)
      .patch('/api/ipam/prefixes/')
      .reply(400, {
        detail: '1 of 3 objects could not be updated.',
        errors: [{ id: 42, errors: { __all__: ['Cannot create prefix with /0 mask.'] } }],
      })
      .patch('/api/ipam/prefixes/', [
        { id: 41, status: 'deprecated' },
        { id: 43, status: 'deprecated' },
      ])
      .reply(200, [{ id: 41 }, { id: 43 }]);
    const result = await client.prefixes.update([41, 42, 43].map(id => ({ id, status: 'deprecated' })));
    expect(result.succeeded).toEqual([{ id: 41 }, { id: 43 }]);
    expect(result.failed).toMatchObject([
      { index: 1, item: { id: 42 }, message: 'NetBox rejected id 42 (item 1): Cannot create prefix with /0 mask.' },
    ]);
  });

  it('4.7 bulk delete 409 (dependent objects) keyed by id; the rest are deleted', async () => {
    const { client } = testClient();
    nock(BASE)
      .delete('/api/ipam/ip-ranges/', [{ id: 5 }, { id: 6 }])
      .reply(409, {
        detail: '1 of 2 objects could not be deleted.',
        errors: [{ id: 6, errors: { __all__: ['Unable to delete object: 1 dependent objects were found.'] } }],
      })
      .delete('/api/ipam/ip-ranges/', [{ id: 5 }])
      .reply(204);
    const result = await client.ipRanges.delete([5, 6]);
    expect(result.succeeded).toEqual([{ id: 5 }]);
    expect(result.failed).toMatchObject([{ item: { id: 6 }, index: 1, status: 409, outcome: 'rejected' }]);
  });
});

describe('failures that are not about one object stop the run', () => {
  it('403 on the first batch: reported with the hint, later batches not attempted', async () => {
    // One batch at a time, so the second is still unsent when the first fails.
    const { client } = testClient({ batchSize: 2, writeConcurrency: 1 });
    nock(BASE)
      .delete('/api/ipam/ip-addresses/', [{ id: 1 }, { id: 2 }])
      .reply(403, { detail: 'You do not have permission to perform this action.' });
    const result = await client.ipAddresses.delete([1, 2, 3]);
    expect(result.aborted).toBeInstanceOf(NetBoxAuthError);
    expect(result.aborted?.message).toContain('read-only token');
    expect(result.failed.map(f => [f.index, f.outcome])).toEqual([
      [0, 'rejected'],
      [1, 'rejected'],
      [2, 'not-attempted'],
    ]);
    expect(result.failed[2]?.message).toMatch(/^id 3 \(item 2\) not sent: an earlier request failed/);
  });

  it('a create that fails in transit without recheck is reported as outcome unknown', async () => {
    const { client } = testClient();
    nock(BASE).post('/api/ipam/ip-addresses/').reply(504, 'Gateway Timeout');
    const result = await client.ipAddresses.create(addresses(2));
    expect(result.failed.map(f => f.outcome)).toEqual(['unknown', 'unknown']);
    expect(result.succeeded).toEqual([]);
  });

  it('a 201 that does not return the objects sent is a protocol error with outcome unknown', async () => {
    const { client } = testClient();
    nock(BASE)
      .post('/api/ipam/ip-addresses/')
      .reply(201, [ipAddress(1, '10.1.0.0/16')]);
    const result = await client.ipAddresses.create(addresses(2));
    expect(result.aborted?.name).toBe('NetBoxProtocolError');
    expect(result.failed.map(f => f.outcome)).toEqual(['unknown', 'unknown']);
  });

  it('an update without id is rejected before anything is sent', async () => {
    const { client } = testClient();
    nock(BASE)
      .patch('/api/ipam/ip-addresses/', [{ id: 9, status: 'reserved' }])
      .reply(200, [ipAddress(9, '10.1.0.9/16')]);
    const items = [{ id: 9, status: 'reserved' }, { status: 'reserved' } as { id: number; status: string }];
    const result = await client.ipAddresses.update(items);
    expect(result.succeeded).toHaveLength(1);
    expect(result.failed).toMatchObject([
      { index: 1, outcome: 'rejected', message: 'not sent: an update needs the object id' },
    ]);
  });
});
