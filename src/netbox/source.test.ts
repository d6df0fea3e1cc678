import { describe, expect, it } from 'vitest';
import { formatCidr, formatRange, parseCidr } from '../ip/index.ts';
import { parseConfig } from '../config/config.ts';
import type { Config } from '../config/config.ts';
import { buildIntents } from '../mapping/intents.ts';
import { FakeNetBoxReader, nbIpAddress, nbIpRange, nbPrefix, nbVrf } from '../../test/support/fake-netbox-reader.ts';
import { chunksByLength, readSnapshot, supernets } from './source.ts';

function testConfig(): Config {
  const r = parseConfig({ cluster: 'lab', netbox: { url: 'https://nb' } }, {});
  if (!r.ok) throw new Error('test config is invalid');
  return r.config;
}

const config = testConfig();
const sel = config.selection;
const tag = ['k8s-lab'];
const blue = nbVrf(7, 'Blue');
const ids = (rows: { id: number }[]) => rows.map(r => r.id);

describe('readSnapshot: selection', () => {
  it('reads prefixes and IP ranges by role, cluster tag and status active|deprecated', async () => {
    const reader = new FakeNetBoxReader({
      prefixes: [
        nbPrefix(1, '10.244.0.0/16', { role: 'k8s-pod', tags: tag }),
        nbPrefix(2, '10.245.0.0/16', { role: 'k8s-pod', tags: tag, status: 'deprecated' }),
        nbPrefix(3, '10.246.0.0/16', { role: 'k8s-pod', tags: tag, status: 'reserved' }),
        nbPrefix(4, '10.247.0.0/16', { role: 'k8s-pod', tags: ['k8s-other'] }),
        nbPrefix(5, '10.248.0.0/16', { role: 'servers', tags: tag }),
      ],
      ipRanges: [
        nbIpRange(6, '192.168.1.10/24', '192.168.1.20/24', { role: 'k8s-loadbalancer', tags: tag }),
        nbIpRange(7, '192.168.1.30/24', '192.168.1.40/24', { role: 'k8s-loadbalancer' }),
      ],
    });
    const snap = await readSnapshot(reader, sel);
    expect(ids(snap.prefixes)).toEqual([1, 2]);
    expect(ids(snap.ipRanges)).toEqual([6]);
    const selection = {
      role: ['k8s-loadbalancer', 'k8s-pod', 'k8s-rdma', 'k8s-secondary'],
      tag: 'k8s-lab',
      status: ['active', 'deprecated'],
    };
    expect(reader.calls.slice(0, 2)).toEqual([
      { endpoint: 'ipam/prefixes', query: selection },
      { endpoint: 'ipam/ip-ranges', query: selection },
    ]);
  });

  it('makes exactly two calls when nothing is selected', async () => {
    const reader = new FakeNetBoxReader({ prefixes: [nbPrefix(1, '10.0.0.0/8')] });
    expect(await readSnapshot(reader, sel)).toEqual({
      prefixes: [],
      ipRanges: [],
      recorded: { prefixes: [], ipRanges: [], ipAddresses: [] },
    });
    expect(reader.calls).toHaveLength(2);
  });

  it('throws when NetBox fails, so the caller deletes nothing', async () => {
    const reader = new FakeNetBoxReader({});
    reader.failWith = new Error('connect ECONNREFUSED 127.0.0.1:8000');
    await expect(readSnapshot(reader, sel)).rejects.toThrow('ECONNREFUSED');
  });
});

describe('readSnapshot: what NetBox holds inside', () => {
  it('reads addresses, ranges and child prefixes of every kind of status and tag', async () => {
    const reader = new FakeNetBoxReader({
      prefixes: [
        nbPrefix(1, '10.20.0.0/24', { role: 'k8s-secondary', tags: tag }),
        nbPrefix(2, '10.20.0.64/28', { status: 'reserved' }),
        nbPrefix(3, '10.20.1.0/28'),
      ],
      ipRanges: [nbIpRange(4, '10.20.0.200/24', '10.20.0.250/24', { status: 'reserved' })],
      ipAddresses: [
        nbIpAddress(5, '10.20.0.1/24', { tags: ['gateway'] }),
        nbIpAddress(6, '10.20.0.7/24', { status: 'dhcp' }),
        nbIpAddress(7, '10.20.0.8/24', { tags: ['k8s-ippool-sync', 'k8s-lab'] }),
        nbIpAddress(8, '10.20.1.1/24'),
      ],
    });
    const snap = await readSnapshot(reader, sel);
    expect(ids(snap.recorded.ipAddresses)).toEqual([5, 6, 7]);
    expect(ids(snap.recorded.ipRanges)).toEqual([4]);
    expect(ids(snap.recorded.prefixes)).toEqual([2]);
    expect(reader.calls.slice(2)).toEqual([
      { endpoint: 'ipam/ip-addresses', query: { parent: ['10.20.0.0/24'] } },
      { endpoint: 'ipam/prefixes', query: { within: '10.20.0.0/24', mask_length__gte: 25 } },
      { endpoint: 'ipam/ip-ranges', query: {} },
    ]);
  });

  it('joins neighbouring pools into their exact aggregate: 120 side by side cost 2 + 1 + 1 + 1 calls', async () => {
    const prefixes = Array.from({ length: 120 }, (_, n) =>
      nbPrefix(n + 1, `10.0.${n}.0/24`, { role: 'k8s-secondary', tags: tag }),
    );
    const addresses = Array.from({ length: 120 }, (_, n) => nbIpAddress(1000 + n, `10.0.${n}.1/24`));
    const outside = nbIpAddress(2000, '10.0.120.1/24');
    const reader = new FakeNetBoxReader({ prefixes, ipAddresses: [...addresses, outside] });
    const snap = await readSnapshot(reader, sel, { filterBatchSize: 50 });
    expect(snap.recorded.ipAddresses).toHaveLength(120);
    expect(reader.calls).toHaveLength(5);
    const parents = reader.calls.filter(c => c.endpoint === 'ipam/ip-addresses').map(c => c.query['parent']);
    expect(parents).toEqual([['10.0.0.0/18', '10.0.64.0/19', '10.0.96.0/20', '10.0.112.0/21']]);
    // The 120 pools themselves (/24, read already) are not read again: only what is longer than them.
    expect(reader.calls.find(c => 'within' in c.query)?.query).toEqual({ within: '10.0.0.0/17', mask_length__gte: 25 });
  });

  it('batches pools that are not neighbours by URL length: 120 IPv4 pools apart cost 2 + 1 + 1 + 1 calls', async () => {
    const prefixes = Array.from({ length: 120 }, (_, n) =>
      nbPrefix(n + 1, `10.0.${2 * n}.0/24`, { role: 'k8s-secondary', tags: tag }),
    );
    const addresses = Array.from({ length: 120 }, (_, n) => nbIpAddress(1000 + n, `10.0.${2 * n}.1/24`));
    const reader = new FakeNetBoxReader({ prefixes, ipAddresses: addresses });
    const snap = await readSnapshot(reader, sel, { filterBatchSize: 50 });
    expect(snap.recorded.ipAddresses).toHaveLength(120);
    const count = (endpoint: string, key: string) =>
      reader.calls.filter(c => c.endpoint === endpoint && key in c.query).length;
    expect(reader.calls).toHaveLength(5);
    expect([
      count('ipam/ip-addresses', 'parent'),
      reader.calls.filter(c => c.endpoint === 'ipam/ip-ranges').length - 1, // the selection query
      count('ipam/prefixes', 'within'),
    ]).toEqual([1, 1, 1]);
    // 50 IPv6 CIDRs are 2,150 characters; 120 values like 10.0.238.0/24 take 1,320 of them.
    const parents = reader.calls
      .filter(c => c.endpoint === 'ipam/ip-addresses')
      .map(c => (c.query['parent'] as string[]).length);
    expect(parents).toEqual([120]);
    const small = new FakeNetBoxReader({ prefixes, ipAddresses: addresses });
    await readSnapshot(small, sel, { filterBatchSize: 10 });
    const parentsAt10 = small.calls.filter(c => c.endpoint === 'ipam/ip-addresses').map(c => c.query['parent']);
    expect(parentsAt10.map(p => (p as string[]).length)).toEqual([36, 34, 33, 17]); // 430 characters each
  });

  it('filters by VRF for pools in a VRF, and asks only about the outermost of nested pools', async () => {
    const reader = new FakeNetBoxReader({
      prefixes: [
        nbPrefix(1, '10.20.0.0/24', { role: 'k8s-secondary', tags: tag, vrf: blue }),
        nbPrefix(2, '10.20.0.128/25', { role: 'k8s-loadbalancer', tags: tag, vrf: blue }),
      ],
      ipAddresses: [nbIpAddress(5, '10.20.0.1/24', { vrf: blue }), nbIpAddress(6, '10.20.0.1/24')],
    });
    const snap = await readSnapshot(reader, sel);
    expect(ids(snap.recorded.ipAddresses)).toEqual([5]);
    expect(ids(snap.recorded.prefixes)).toEqual([2]);
    expect(reader.calls.slice(2).map(c => c.query)).toEqual([
      { vrf_id: 7, parent: ['10.20.0.0/24'] },
      { vrf_id: 7, within: '10.20.0.0/24', mask_length__gte: 25 },
      { vrf_id: [7] },
    ]);
  });

  it('reads IP ranges that reach over the edge of a selected prefix, and between neighbouring ones', async () => {
    const reader = new FakeNetBoxReader({
      prefixes: [
        nbPrefix(1, '10.20.0.0/25', { role: 'k8s-secondary', tags: tag }),
        nbPrefix(2, '10.20.1.0/25', { role: 'k8s-secondary', tags: tag }),
      ],
      ipRanges: [
        nbIpRange(3, '10.20.0.120/24', '10.20.0.135/24', { status: 'active' }), // over the /25's upper edge
        nbIpRange(4, '10.19.255.250/16', '10.20.0.5/16'), // from below into the first pool
        nbIpRange(5, '10.20.0.200/23', '10.20.1.3/23'), // across both, the gap between them in the middle
        nbIpRange(6, '10.20.0.130/24', '10.20.0.140/24'), // between the pools only: read, no harm
        nbIpRange(7, '10.21.0.1/24', '10.21.0.9/24'), // elsewhere: read too, the mapping keeps what overlaps
      ],
    });
    const snap = await readSnapshot(reader, sel);
    expect(ids(snap.recorded.ipRanges)).toEqual([3, 4, 5, 6, 7]);
  });

  it('asks about the network of an IP range, not only the range (the gateway lives there)', async () => {
    const reader = new FakeNetBoxReader({
      ipRanges: [nbIpRange(1, '192.168.10.100/24', '192.168.10.120/24', { role: 'k8s-loadbalancer', tags: tag })],
      ipAddresses: [nbIpAddress(2, '192.168.10.1/24', { tags: ['gateway'] })],
    });
    const snap = await readSnapshot(reader, sel);
    expect(ids(snap.recorded.ipAddresses)).toEqual([2]);
    expect(reader.calls[2]?.query).toEqual({ parent: ['192.168.10.0/24'] });
  });

  it('finds the recorded parent of a range entered with /32 masks by exact prefix lookups', async () => {
    const reader = new FakeNetBoxReader({
      prefixes: [nbPrefix(10, '10.30.0.0/24'), nbPrefix(11, '10.0.0.0/8'), nbPrefix(12, '10.30.1.0/24')],
      ipRanges: [nbIpRange(1, '10.30.0.10/32', '10.30.0.20/32', { role: 'k8s-secondary', tags: tag })],
      ipAddresses: [nbIpAddress(2, '10.30.0.1/24', { tags: ['gateway'] })],
    });
    const snap = await readSnapshot(reader, sel, { filterBatchSize: 20 });
    expect(ids(snap.recorded.prefixes)).toEqual([10, 11]);
    const lookups = reader.calls.filter(c => 'prefix' in c.query);
    expect(lookups).toHaveLength(2); // candidates /27 … /1 = 27 values, 20 per request
    expect(lookups.flatMap(c => c.query['prefix'] as string[])).toContain('10.30.0.0/24');
    expect(reader.calls.find(c => c.endpoint === 'ipam/ip-addresses')?.query).toEqual({ parent: ['10.30.0.0/24'] });

    const { intents, issues } = buildIntents(snap, config);
    expect(issues).toEqual([]);
    expect(intents.map(i => i.blocks.map(b => `${formatRange(b.range)} in ${formatCidr(b.network)}`))).toEqual([
      ['10.30.0.10-10.30.0.20 in 10.30.0.0/24'],
    ]);
    expect(intents[0]?.blocks[0]?.gateway).toBeDefined();
  });
});

describe('readSnapshot + buildIntents', () => {
  it('IPv4 and IPv6 pools get their exclusions from what NetBox holds, our own writebacks aside', async () => {
    const reader = new FakeNetBoxReader({
      prefixes: [
        nbPrefix(1, '10.20.0.0/24', { role: 'k8s-secondary', tags: tag, cf: { k8s_pool_name: 'net1' } }),
        nbPrefix(2, '2001:db8:20::/64', { role: 'k8s-secondary', tags: tag, cf: { k8s_pool_name: 'net1' } }),
        nbPrefix(3, '10.20.0.240/28'),
      ],
      ipAddresses: [
        nbIpAddress(10, '10.20.0.1/24', { tags: ['gateway'] }),
        nbIpAddress(11, '10.20.0.50/24', { tags: ['k8s-ippool-sync', 'k8s-lab'] }),
        nbIpAddress(12, '2001:db8:20::1/64', { role: 'vrrp' }),
        nbIpAddress(13, '2001:db8:20::10/64', { status: 'reserved' }),
      ],
    });
    const { intents, issues } = buildIntents(await readSnapshot(reader, sel), config);
    expect(issues).toEqual([]);
    expect(
      intents.map(i => ({
        name: i.name,
        blocks: i.blocks.map(b => [
          formatCidr(b.network),
          b.exclusions.map(e => `${formatRange(e.range)} ${e.heldBy}`),
        ]),
      })),
    ).toEqual([
      {
        name: 'net1',
        blocks: [
          [
            '10.20.0.0/24',
            ['10.20.0.1-10.20.0.1 ip-address 10.20.0.1/24 (gateway)', '10.20.0.240-10.20.0.255 prefix 10.20.0.240/28'],
          ],
          [
            '2001:db8:20::/64',
            [
              '2001:db8:20::1-2001:db8:20::1 ip-address 2001:db8:20::1/64 (gateway)',
              '2001:db8:20::10-2001:db8:20::10 ip-address 2001:db8:20::10/64',
            ],
          ],
        ],
      },
    ]);
  });
});

describe('chunksByLength', () => {
  it('bounds each chunk by the length of `batch` IPv6 CIDRs, never splits a value, never leaves one out', () => {
    const v4 = Array.from({ length: 300 }, (_, n) => `10.${n >> 8}.${n & 255}.0/24`);
    const chunked = chunksByLength(v4, 10);
    expect(chunked.flat()).toEqual(v4);
    expect(chunked.every(c => c.join('').length <= 10 * 43)).toBe(true);
    expect(chunked[0]?.length).toBeGreaterThan(30); // about 3× the count of IPv6 values
    const v6 = Array.from({ length: 25 }, (_, n) => `ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff${n % 10}/128`);
    expect(chunksByLength(v6, 10).map(c => c.length)).toEqual([10, 10, 5]);
  });
});

describe('supernets', () => {
  const s = (...cidrs: string[]) => supernets(cidrs.map(c => parseCidr(c))).map(formatCidr);

  it.each([
    [['10.0.0.0/24'], ['10.0.0.0/24']],
    [['10.0.0.0/24', '10.0.1.0/24'], ['10.0.0.0/23']],
    [['10.0.0.0/24', '10.0.3.0/24'], ['10.0.0.0/22']],
    [['10.0.0.0/24', '10.0.7.0/24'], ['10.0.0.0/21']],
    [
      ['10.0.0.0/24', '10.0.15.0/24'],
      ['10.0.0.0/24', '10.0.15.0/24'],
    ],
    [
      ['10.0.0.0/24', '10.200.0.0/24', '10.200.1.0/24'],
      ['10.0.0.0/24', '10.200.0.0/23'],
    ],
    [
      ['10.0.0.0/24', '2001:db8::/64'],
      ['10.0.0.0/24', '2001:db8::/64'],
    ],
    [['2001:db8::/64', '2001:db8:0:1::/64'], ['2001:db8::/63']],
  ])('%j → %j', (input, expected) => {
    expect(s(...input)).toEqual(expected);
  });
});
