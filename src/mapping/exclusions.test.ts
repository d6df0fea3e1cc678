import { describe, expect, it } from 'vitest';
import { cidrRange, formatRange, parseAddress, parseCidr, parseRange } from '../ip/index.ts';
import { parseConfig } from '../config/config.ts';
import type { Config } from '../config/config.ts';
import { nbIpAddress, nbIpRange, nbPrefix, nbVrf } from '../../test/support/fake-netbox-reader.ts';
import type { NetBoxSnapshot } from '../model/netbox.ts';
import { blockExclusions, indexHeld, memberKey, mergeExclusions, recordedGateway } from './exclusions.ts';
import type { BlockSpace } from './exclusions.ts';

function testConfig(): Config {
  const r = parseConfig({ cluster: 'lab', netbox: { url: 'https://nb' } }, {});
  if (!r.ok) throw new Error('test config is invalid');
  return r.config;
}

const config = testConfig();
const blue = nbVrf(7, 'Blue');
const ours = ['k8s-ippool-sync', 'k8s-lab'];

function snapshot(
  recorded: Partial<NetBoxSnapshot['recorded']>,
  selected: Partial<Omit<NetBoxSnapshot, 'recorded'>> = {},
): NetBoxSnapshot {
  return {
    prefixes: selected.prefixes ?? [],
    ipRanges: selected.ipRanges ?? [],
    recorded: { prefixes: [], ipRanges: [], ipAddresses: [], ...recorded },
  };
}

function prefixBlock(cidr: string, vrf: number | null = null, members: string[] = []): BlockSpace {
  return { vrf, range: cidrRange(parseCidr(cidr)), members: new Set(members) };
}

const shown = (ex: ReturnType<typeof blockExclusions>) => ex.map(e => `${formatRange(e.range)} ${e.heldBy}`);

describe('blockExclusions', () => {
  it.each<[string, NetBoxSnapshot, BlockSpace, string[]]>([
    [
      'addresses, a DHCP range and a child prefix inside a prefix',
      snapshot({
        ipAddresses: [nbIpAddress(1, '10.20.0.5/24'), nbIpAddress(2, '10.20.1.5/24')],
        ipRanges: [nbIpRange(3, '10.20.0.200/24', '10.20.0.250/24')],
        prefixes: [nbPrefix(4, '10.20.0.64/28'), nbPrefix(5, '10.20.0.0/16')],
      }),
      prefixBlock('10.20.0.0/24'),
      [
        '10.20.0.5-10.20.0.5 ip-address 10.20.0.5/24',
        '10.20.0.64-10.20.0.79 prefix 10.20.0.64/28',
        '10.20.0.200-10.20.0.250 ip-range 10.20.0.200-10.20.0.250/24',
      ],
    ],
    [
      'our own allocations are not exclusions, another cluster’s are',
      snapshot({
        ipAddresses: [
          nbIpAddress(1, '10.20.0.5/24', { tags: ours }),
          nbIpAddress(2, '10.20.0.9/24', { tags: ['k8s-ippool-sync', 'k8s-other'] }),
          nbIpAddress(3, '10.20.0.11/24', { tags: ['k8s-lab'] }),
        ],
      }),
      prefixBlock('10.20.0.0/24'),
      ['10.20.0.9-10.20.0.9 ip-address 10.20.0.9/24', '10.20.0.11-10.20.0.11 ip-address 10.20.0.11/24'],
    ],
    [
      'only the same VRF counts',
      snapshot({
        ipAddresses: [nbIpAddress(1, '10.20.0.5/24', { vrf: blue }), nbIpAddress(2, '10.20.0.6/24')],
      }),
      prefixBlock('10.20.0.0/24', 7),
      ['10.20.0.5-10.20.0.5 ip-address 10.20.0.5/24'],
    ],
    [
      'held objects are clipped to an IP range block; a containing prefix is a parent, not held',
      snapshot({
        ipAddresses: [nbIpAddress(1, '10.20.0.1/24'), nbIpAddress(2, '10.20.0.150/24')],
        prefixes: [nbPrefix(3, '10.20.0.192/27'), nbPrefix(4, '10.20.0.128/25')],
      }),
      { vrf: null, range: parseRange('10.20.0.140-10.20.0.200'), members: new Set() },
      ['10.20.0.150-10.20.0.150 ip-address 10.20.0.150/24', '10.20.0.192-10.20.0.200 prefix 10.20.0.192/27'],
    ],
    [
      'members of the same pool are not exclusions of it; other selected objects are',
      snapshot(
        {},
        { ipRanges: [nbIpRange(3, '10.20.0.10/24', '10.20.0.20/24'), nbIpRange(4, '10.20.0.30/24', '10.20.0.40/24')] },
      ),
      prefixBlock('10.20.0.0/24', null, [memberKey('ip-range', 3)]),
      ['10.20.0.30-10.20.0.40 ip-range 10.20.0.30-10.20.0.40/24'],
    ],
    [
      'IPv6',
      snapshot({
        ipAddresses: [nbIpAddress(1, '2001:db8:1::1/64'), nbIpAddress(2, '2001:db8:2::1/64')],
        ipRanges: [nbIpRange(3, '2001:db8:1::100/64', '2001:db8:1::1ff/64')],
      }),
      prefixBlock('2001:db8:1::/64'),
      [
        '2001:db8:1::1-2001:db8:1::1 ip-address 2001:db8:1::1/64',
        '2001:db8:1::100-2001:db8:1::1ff ip-range 2001:db8:1::100-2001:db8:1::1ff/64',
      ],
    ],
  ])('%s', (_name, snap, block, expected) => {
    const { index } = indexHeld(snap, config.selection);
    expect(shown(blockExclusions(block, index))).toEqual(expected);
  });

  it('marks the recorded gateway and adds a gateway NetBox does not record', () => {
    const { index } = indexHeld(snapshot({ ipAddresses: [nbIpAddress(1, '10.20.0.1/24')] }), config.selection);
    expect(shown(blockExclusions(prefixBlock('10.20.0.0/24'), index, parseAddress('10.20.0.1')))).toEqual([
      '10.20.0.1-10.20.0.1 ip-address 10.20.0.1/24 (gateway)',
    ]);
    expect(shown(blockExclusions(prefixBlock('10.20.0.0/24'), index, parseAddress('10.20.0.254')))).toEqual([
      '10.20.0.1-10.20.0.1 ip-address 10.20.0.1/24',
      '10.20.0.254-10.20.0.254 gateway 10.20.0.254 (custom field)',
    ]);
  });

  it('warns about a recorded address it cannot read instead of silently dropping it', () => {
    const { issues } = indexHeld(snapshot({ ipAddresses: [nbIpAddress(9, '10.20.0.300/24')] }), config.selection);
    expect(issues).toMatchObject([{ severity: 'warning', subject: { type: 'netbox', model: 'ip-address', id: 9 } }]);
  });
});

describe('mergeExclusions', () => {
  const ex = (range: string, heldBy: string) => ({ range: parseRange(range), heldBy });

  it.each([
    [
      [ex('10.0.0.5-10.0.0.5', 'b'), ex('10.0.0.1-10.0.0.1', 'a')],
      ['10.0.0.1-10.0.0.1 a', '10.0.0.5-10.0.0.5 b'],
    ],
    [[ex('10.0.0.1-10.0.0.1', 'a'), ex('10.0.0.2-10.0.0.2', 'b')], ['10.0.0.1-10.0.0.2 a, b']],
    [[ex('10.0.0.1-10.0.0.9', 'a'), ex('10.0.0.2-10.0.0.3', 'b')], ['10.0.0.1-10.0.0.9 a, b']],
    [[ex('10.0.0.1-10.0.0.1', 'a'), ex('10.0.0.1-10.0.0.1', 'a')], ['10.0.0.1-10.0.0.1 a']],
    [[1, 2, 3, 4, 5].map(n => ex(`10.0.0.${n}-10.0.0.${n}`, `h${n}`)), ['10.0.0.1-10.0.0.5 h1, h2, h3 and 2 more']],
    [
      [ex('::1-::1', 'v6'), ex('10.0.0.1-10.0.0.1', 'v4')],
      ['10.0.0.1-10.0.0.1 v4', '::1-::1 v6'],
    ],
  ])('%#', (pieces, expected) => {
    expect(shown(mergeExclusions(pieces))).toEqual(expected);
  });
});

describe('recordedGateway', () => {
  const net = parseCidr('10.20.0.0/24');
  const gw = (addresses: ReturnType<typeof nbIpAddress>[], vrf: number | null = null) =>
    recordedGateway(
      net,
      vrf,
      indexHeld(snapshot({ ipAddresses: addresses }), config.selection).index,
      config.selection,
    );

  it.each<[string, ReturnType<typeof nbIpAddress>[], ReturnType<typeof recordedGateway>]>([
    ['nothing recorded', [nbIpAddress(1, '10.20.0.5/24')], {}],
    ['tagged gateway', [nbIpAddress(1, '10.20.0.1/24', { tags: ['gateway'] })], { gateway: parseAddress('10.20.0.1') }],
    ['VRRP address', [nbIpAddress(1, '10.20.0.254/24', { role: 'vrrp' })], { gateway: parseAddress('10.20.0.254') }],
    [
      'tag wins over role',
      [nbIpAddress(1, '10.20.0.254/24', { role: 'vrrp' }), nbIpAddress(2, '10.20.0.1/24', { tags: ['gateway'] })],
      { gateway: parseAddress('10.20.0.1') },
    ],
    ['anycast is not a gateway role by default', [nbIpAddress(1, '10.20.0.9/24', { role: 'anycast' })], {}],
    [
      'two tagged: ambiguous',
      [nbIpAddress(1, '10.20.0.1/24', { tags: ['gateway'] }), nbIpAddress(2, '10.20.0.2/24', { tags: ['gateway'] })],
      { ambiguous: ['ip-address 10.20.0.1/24', 'ip-address 10.20.0.2/24'] },
    ],
    [
      'two records of one address (router interfaces): not ambiguous',
      [nbIpAddress(1, '10.20.0.1/24', { tags: ['gateway'] }), nbIpAddress(2, '10.20.0.1/24', { tags: ['gateway'] })],
      { gateway: parseAddress('10.20.0.1') },
    ],
    ['outside the network', [nbIpAddress(1, '10.20.1.1/24', { tags: ['gateway'] })], {}],
  ])('%s', (_name, addresses, expected) => {
    expect(gw(addresses)).toEqual(expected);
  });

  it('looks only in the block’s VRF', () => {
    expect(gw([nbIpAddress(1, '10.20.0.1/24', { tags: ['gateway'], vrf: blue })], null)).toEqual({});
    expect(gw([nbIpAddress(1, '10.20.0.1/24', { tags: ['gateway'], vrf: blue })], 7)).toEqual({
      gateway: parseAddress('10.20.0.1'),
    });
  });
});
