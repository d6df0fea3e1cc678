import * as ip from '../../ip/index.ts';
import type { Cidr, IpRange } from '../../ip/index.ts';
import type { LabelRequirement } from '../../model/intent.ts';
import type { AdoptedSpace, PoolShape, ReadBack } from '../adapter.ts';
import * as read from './observed.ts';

/**
 * Reading live pool specs back into NetBox terms (adoption, see PoolShape). A kind file says where its spec keeps
 * space, holes and settings; these helpers turn the common spellings into spaces, holes and selector text.
 */

export function adoptable(shape: PoolShape): ReadBack {
  return { ok: true, shape };
}

export function notAdoptable(reason: string): ReadBack {
  return { ok: false, reason };
}

/** A whole prefix. */
export function prefixSpace(network: Cidr): AdoptedSpace {
  return { range: ip.cidrRange(network), network };
}

/** An address range; its subnet is the given network, else the smallest CIDR around it. */
export function rangeSpace(range: IpRange, network: Cidr = ip.smallestCidrContaining(range)): AdoptedSpace {
  return { range, network };
}

/** One address entry of a MetalLB or Cilium LB pool: written as a CIDR, or as a start-end range. */
export interface AddressEntry {
  range: IpRange;
  cidr: boolean;
}

/**
 * Address entries as NetBox space: a CIDR entry is a prefix of its own; consecutive range entries of one family
 * whose gap is smaller than both neighbours are one IP range with the gap held (a range split around a held
 * address, as the daemon itself splits them), other entries are IP ranges of their own.
 */
export function spacesOfEntries(entries: readonly AddressEntry[]): { spaces: AdoptedSpace[]; held: IpRange[] } {
  const sorted = [...entries].sort((a, b) => ip.compareRanges(a.range, b.range));
  const groups: AddressEntry[][] = [];
  for (const entry of sorted) {
    const group = groups.at(-1);
    const last = group?.at(-1);
    if (group !== undefined && last !== undefined && joins(last, entry)) group.push(entry);
    else groups.push([entry]);
  }
  const spaces: AdoptedSpace[] = [];
  const held: IpRange[] = [];
  for (const group of groups) {
    const first = group[0];
    const last = group.at(-1);
    if (first === undefined || last === undefined) continue;
    const span: IpRange = { family: first.range.family, start: first.range.start, end: last.range.end };
    const cidr = group.length === 1 && first.cidr ? ip.rangeAsCidr(span) : undefined;
    spaces.push(cidr === undefined ? rangeSpace(span) : prefixSpace(cidr));
    held.push(
      ...ip.subtractRanges(
        [span],
        group.map(g => g.range),
      ),
    );
  }
  return { spaces, held };
}

function joins(a: AddressEntry, b: AddressEntry): boolean {
  if (a.cidr || b.cidr || a.range.family !== b.range.family || b.range.start <= a.range.end + 1n) return false;
  const gap = b.range.start - a.range.end - 1n;
  return gap < ip.rangeSize(a.range) && gap < ip.rangeSize(b.range);
}

/** Requirements as `k8s_node_selector` text (`zone in (a),gpu,!spot`); the mapping parses it back to the same. */
export function selectorText(reqs: readonly LabelRequirement[]): string {
  return reqs
    .map(r => {
      switch (r.operator) {
        case 'In':
          return `${r.key} in (${r.values.join(',')})`;
        case 'NotIn':
          return `${r.key} notin (${r.values.join(',')})`;
        case 'Exists':
          return r.key;
        case 'DoesNotExist':
          return `!${r.key}`;
      }
    })
    .join(',');
}

const OPERATORS: readonly string[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** `matchExpressions` (and `matchLabels`) as requirements; undefined when an entry cannot be read. */
export function requirementsOf(selector: unknown): LabelRequirement[] | undefined {
  const out: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(read.asRecord(read.at(selector, 'matchLabels')) ?? {})) {
    if (typeof value !== 'string') return undefined;
    out.push({ key, operator: 'In', values: [value] });
  }
  for (const e of read.asArray(read.at(selector, 'matchExpressions'))) {
    const key = read.asString(read.at(e, 'key'));
    const operator = read.asString(read.at(e, 'operator'));
    const values = read.asArray(read.at(e, 'values'));
    if (key === undefined || operator === undefined || !OPERATORS.includes(operator)) return undefined;
    if (!values.every(v => typeof v === 'string')) return undefined;
    out.push({ key, operator: operator as LabelRequirement['operator'], values: values as string[] });
  }
  return out;
}

/** Keys of `source` that are set, copied: the settings a spec spells. */
export function present(source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter(k => source[k] !== undefined).map(k => [k, source[k]]));
}
