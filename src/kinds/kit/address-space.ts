import {
  cidrRange,
  compareAddresses,
  compareRanges,
  formatAddress,
  formatCidr,
  formatRange,
  maxPrefixLength,
  mergeRanges,
  rangeAsCidr,
  rangeContains,
  rangeToCidrs,
  subtractRanges,
} from '../../ip/index.ts';
import type { Cidr, Family, IpRange } from '../../ip/index.ts';
import type { Exclusion, PoolBlock } from '../../model/intent.ts';

/** Address-space views of pool blocks that several kinds share. Pure; blocks are never mutated. */

export function heldRanges(blocks: readonly PoolBlock[]): IpRange[] {
  return mergeRanges(blocks.flatMap(b => b.exclusions.map(e => e.range)));
}

/** What the cluster may hand out from these blocks: their ranges minus every NetBox-held address. */
export function availableRanges(blocks: readonly PoolBlock[]): IpRange[] {
  return subtractRanges(
    blocks.map(b => b.range),
    heldRanges(blocks),
  );
}

export function blockRanges(blocks: readonly PoolBlock[]): IpRange[] {
  return mergeRanges(blocks.map(b => b.range));
}

/** `10.0.0.0/28` when the range is exactly one CIDR, else `10.0.0.3-10.0.0.9`. */
export function rangeText(r: IpRange): string {
  const cidr = rangeAsCidr(r);
  return cidr === undefined ? formatRange(r) : formatCidr(cidr);
}

export function rangesAsCidrs(ranges: readonly IpRange[]): Cidr[] {
  return mergeRanges([...ranges]).flatMap(rangeToCidrs);
}

/** A name part from a CIDR, safe in DNS-1123 subdomains and CNI network names: `10.20.0.0/24` → `10-20-0-0-24`. */
export function cidrSlug(c: Cidr): string {
  return formatCidr(c).replace(/[.:/]/g, '-');
}

/** Name of one member object when a pool needs one object per CIDR: stable while the CIDR stays. */
export function memberName(poolName: string, c: Cidr): string {
  return `${poolName}-${cidrSlug(c)}`;
}

/** A CIDR whose host bits are zero; `formatCidr` and the CRDs both refuse anything else. */
export function isAligned(c: Cidr): boolean {
  const hostBits = BigInt(maxPrefixLength(c.family) - c.prefixLength);
  return c.network % (1n << hostBits) === 0n;
}

/** First and last address of a CIDR that has at least four; none for /31, /32, /127, /128. */
export function edgeAddresses(c: Cidr): IpRange[] {
  if (c.prefixLength > maxPrefixLength(c.family) - 2) return [];
  const { family, start, end } = cidrRange(c);
  return [
    { family, start, end: start },
    { family, start: end, end },
  ];
}

/** The IPv4 network and broadcast addresses of a subnet that has them; none for IPv6. */
export function networkAndBroadcast(c: Cidr): IpRange[] {
  return c.family === 4 ? edgeAddresses(c) : [];
}

export function isWholeNetwork(block: PoolBlock): boolean {
  const net = cidrRange(block.network);
  return block.range.start === net.start && block.range.end === net.end;
}

export interface NetworkGroup {
  network: Cidr;
  blocks: PoolBlock[];
}

/** Blocks grouped by the network they live in, IPv4 first, then by address and prefix length. */
export function groupByNetwork(blocks: readonly PoolBlock[]): NetworkGroup[] {
  const groups = new Map<string, NetworkGroup>();
  for (const block of blocks) {
    const key = `${block.network.family}/${block.network.network}/${block.network.prefixLength}`;
    const group = groups.get(key) ?? { network: block.network, blocks: [] };
    group.blocks.push(block);
    groups.set(key, group);
  }
  return [...groups.values()]
    .sort((a, b) => compareCidrs(a.network, b.network))
    .map(g => ({ network: g.network, blocks: [...g.blocks].sort((x, y) => compareRanges(x.range, y.range)) }));
}

export function familiesOf(blocks: readonly PoolBlock[]): Family[] {
  return [...new Set(blocks.map(b => b.range.family))].sort();
}

export function compareCidrs(a: Cidr, b: Cidr): number {
  const byAddress = compareAddresses({ family: a.family, value: a.network }, { family: b.family, value: b.network });
  return byAddress !== 0 ? byAddress : a.prefixLength - b.prefixLength;
}

export function describeExclusion(e: Exclusion): string {
  const { family, start, end } = e.range;
  const where = start === end ? formatAddress({ family, value: start }) : rangeText(e.range);
  return `${where} (${e.heldBy})`;
}

/** What makes a block unusable for any kind (a mapping bug or hand-built data); undefined when it is sound. */
export function blockProblem(block: PoolBlock): string | undefined {
  const { network, range } = block;
  const shown = `${formatAddress({ family: network.family, value: network.network })}/${network.prefixLength}`;
  if (!isAligned(network)) return `network ${shown} has host bits set`;
  if (range.family !== network.family || range.start > range.end || !rangeContains(cidrRange(network), range)) {
    return `its addresses are not a range inside its network ${shown}`;
  }
  const stray = block.exclusions.find(e => !rangeContains(range, e.range));
  return stray === undefined ? undefined : `held addresses ${describeExclusion(stray)} lie outside the block`;
}
