import {
  cidrContainsAddress,
  cidrRange,
  compareRanges,
  formatAddress,
  intersectRanges,
  rangeContains,
} from '../ip/index.ts';
import type { Cidr, IpAddress, IpRange } from '../ip/index.ts';
import type { SelectionConfig } from '../config/config.ts';
import type { NbIpAddress, NbIpRange, NbPrefix, NbTag } from '../model/netbox.ts';
import type { NetBoxSnapshot } from '../model/netbox.ts';
import type { Exclusion } from '../model/intent.ts';
import type { Issue, NetBoxModel } from '../model/issue.ts';
import { compareText } from '../model/values.ts';
import { shapeProblem } from './shape.ts';
import { ipAddressHost, ipRangeSpan, prefixCidr, vrfIdOf } from './space.ts';
import type { VrfId } from './space.ts';

/**
 * What NetBox already holds inside a pool's space, and the gateway among it. Anything recorded there that this
 * cluster's sync did not create (managed tag AND cluster tag) must never be handed out: a static server, a
 * DHCP scope, a child prefix, another cluster's allocations. Held IP ranges and prefixes exclude their whole
 * span inside the block; the gateway is excluded too.
 */

interface Held {
  model: NetBoxModel;
  id: number;
  vrf: VrfId;
  label: string;
  range: IpRange;
  owned: boolean;
}

export interface HeldAddress extends Held {
  model: 'ip-address';
  address: IpAddress;
  tags: string[];
  role?: string;
}

export interface HeldIndex {
  addresses: HeldAddress[];
  ranges: Held[];
  prefixes: (Held & { cidr: Cidr })[];
}

/** Parses every recorded and selected object once. Unreadable ones are reported, since they cannot be excluded. */
/** A row whose shape cannot even be checked (a field that throws) counts as unreadable, never as a crash. */
function shapeOrThrown(model: NetBoxModel, o: object): { reason: string } | undefined {
  try {
    return shapeProblem(model, o);
  } catch (err) {
    return { reason: `mapping failed on this object: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export function indexHeld(snapshot: NetBoxSnapshot, sel: SelectionConfig): { index: HeldIndex; issues: Issue[] } {
  const issues: Issue[] = [];
  const owned = (tags: NbTag[]) =>
    tags.some(t => t.slug === sel.managedTag) && tags.some(t => t.slug === sel.clusterTag);
  const unreadable = (model: NetBoxModel, o: { id: number; display: string; url: string }, reason: string) =>
    issues.push({
      severity: 'warning',
      subject: { type: 'netbox', model, id: o.id, display: o.display, url: o.url },
      reason: `cannot read its address space, so it cannot be excluded from pools: ${reason}`,
      hint: 'fix the object in NetBox',
    });

  // Selected rows report their own problems (as errors); a recorded row gets a warning here.
  const selected = new Set([
    ...snapshot.prefixes.map(p => memberKey('prefix', p.id)),
    ...snapshot.ipRanges.map(r => memberKey('ip-range', r.id)),
  ]);
  const readable = (model: NetBoxModel, o: { id: number; display: string; url: string }): boolean => {
    const problem = shapeOrThrown(model, o);
    if (problem !== undefined && !selected.has(memberKey(model, o.id))) unreadable(model, o, problem.reason);
    return problem === undefined;
  };

  const addresses: HeldAddress[] = [];
  for (const ip of unique<NbIpAddress>(snapshot.recorded.ipAddresses)) {
    if (!readable('ip-address', ip)) continue;
    const host = ipAddressHost(ip);
    if (!host.ok) {
      unreadable('ip-address', ip, host.reason);
      continue;
    }
    const held: HeldAddress = {
      model: 'ip-address',
      id: ip.id,
      vrf: vrfIdOf(ip),
      label: `ip-address ${ip.address}`,
      range: host.value,
      owned: owned(ip.tags),
      address: { family: host.value.family, value: host.value.start },
      tags: ip.tags.map(t => t.slug),
    };
    const role = choiceValue(ip.role);
    if (role) held.role = role;
    addresses.push(held);
  }
  const ranges: Held[] = [];
  for (const r of unique<NbIpRange>([...snapshot.ipRanges, ...snapshot.recorded.ipRanges])) {
    if (!readable('ip-range', r)) continue;
    const span = ipRangeSpan(r);
    if (!span.ok) continue; // a selected range reports this itself; recorded ones are validated by NetBox
    ranges.push({
      model: 'ip-range',
      id: r.id,
      vrf: vrfIdOf(r),
      label: `ip-range ${r.display}`,
      range: span.value.range,
      owned: owned(r.tags),
    });
  }
  const prefixes: (Held & { cidr: Cidr })[] = [];
  for (const p of unique<NbPrefix>([...snapshot.prefixes, ...snapshot.recorded.prefixes])) {
    if (!readable('prefix', p)) continue;
    const cidr = prefixCidr(p);
    if (!cidr.ok) continue;
    const range = cidrRange(cidr.value);
    prefixes.push({
      model: 'prefix',
      id: p.id,
      vrf: vrfIdOf(p),
      label: `prefix ${p.prefix}`,
      range,
      cidr: cidr.value,
      owned: owned(p.tags),
    });
  }
  return { index: { addresses, ranges, prefixes }, issues };
}

export interface BlockSpace {
  vrf: VrfId;
  /** Addresses the block covers. */
  range: IpRange;
  /** `model:id` of the pool's own members: never exclusions of their own pool. */
  members: ReadonlySet<string>;
}

export function memberKey(model: NetBoxModel, id: number): string {
  return `${model}:${id}`;
}

/** Exclusions inside the block, merged (overlapping or adjacent holders become one entry) and sorted. */
export function blockExclusions(block: BlockSpace, index: HeldIndex, gateway?: IpAddress): Exclusion[] {
  const pieces: Exclusion[] = [];
  const { family, start, end } = block.range;
  const consider = (h: Held, heldBy: string) => {
    // Most holders lie outside the block: rule them out with three comparisons before anything allocates (this
    // loop runs blocks × holders times, and was most of a steady 2,000-pool cycle's CPU).
    if (h.range.family !== family || h.range.end < start || h.range.start > end) return;
    if (h.owned || h.vrf !== block.vrf || block.members.has(memberKey(h.model, h.id))) return;
    for (const range of intersectRanges([block.range], [h.range])) pieces.push({ range, heldBy });
  };
  for (const a of index.addresses) {
    const isGateway = gateway !== undefined && a.address.family === gateway.family && a.address.value === gateway.value;
    consider(a, isGateway ? `${a.label} (gateway)` : a.label);
  }
  for (const r of index.ranges) consider(r, r.label);
  // A prefix holding the whole block is its parent (the subnet, a container), not something held inside it.
  for (const p of index.prefixes) {
    if (
      p.range.family === family &&
      p.range.end >= start &&
      p.range.start <= end &&
      !rangeContains(p.range, block.range)
    )
      consider(p, p.label);
  }
  if (gateway !== undefined && gateway.family === block.range.family) {
    const at: IpRange = { family: gateway.family, start: gateway.value, end: gateway.value };
    if (rangeContains(block.range, at) && !pieces.some(p => rangeContains(p.range, at))) {
      pieces.push({ range: at, heldBy: `gateway ${formatAddress(gateway)} (custom field)` });
    }
  }
  return mergeExclusions(pieces);
}

const MAX_HOLDERS_NAMED = 3;

export function mergeExclusions(pieces: readonly Exclusion[]): Exclusion[] {
  const sorted = [...pieces].sort((a, b) => compareRanges(a.range, b.range) || compareText(a.heldBy, b.heldBy));
  const merged: { range: IpRange; holders: string[] }[] = [];
  for (const p of sorted) {
    const last = merged.at(-1);
    if (last && last.range.family === p.range.family && p.range.start <= last.range.end + 1n) {
      if (p.range.end > last.range.end) last.range = { ...last.range, end: p.range.end };
      if (!last.holders.includes(p.heldBy)) last.holders.push(p.heldBy);
    } else {
      merged.push({ range: { ...p.range }, holders: [p.heldBy] });
    }
  }
  return merged.map(m => ({
    range: m.range,
    heldBy:
      m.holders.length <= MAX_HOLDERS_NAMED
        ? m.holders.join(', ')
        : `${m.holders.slice(0, MAX_HOLDERS_NAMED).join(', ')} and ${m.holders.length - MAX_HOLDERS_NAMED} more`,
  }));
}

export type GatewayChoice = { gateway?: IpAddress; ambiguous?: string[] };

/**
 * The gateway NetBox records inside a network: the one address tagged `selection.gatewayTag`, else the one
 * address whose IP role is in `selection.gatewayRoles` (VRRP, HSRP, GLBP, CARP by default). Two or more at the
 * deciding level is ambiguous: no gateway is chosen and the candidates are returned for a warning.
 */
export function recordedGateway(network: Cidr, vrf: VrfId, index: HeldIndex, sel: SelectionConfig): GatewayChoice {
  const inside = index.addresses.filter(a => a.vrf === vrf && !a.owned && cidrContainsAddress(network, a.address));
  const roles: readonly string[] = sel.gatewayRoles;
  for (const level of [
    inside.filter(a => a.tags.includes(sel.gatewayTag)),
    inside.filter(a => a.role !== undefined && roles.includes(a.role)),
  ]) {
    const hosts = [...new Map(level.map(a => [a.address.value, a])).values()];
    if (hosts.length === 1 && hosts[0]) return { gateway: hosts[0].address };
    if (hosts.length > 1) return { ambiguous: hosts.map(a => a.label).sort() };
  }
  return {};
}

function choiceValue(c: unknown): string | undefined {
  if (typeof c === 'string') return c || undefined;
  if (typeof c === 'object' && c !== null && 'value' in c && typeof c.value === 'string') return c.value || undefined;
  return undefined;
}

function unique<T extends { id: number }>(rows: readonly T[]): T[] {
  return [...new Map(rows.map(r => [r.id, r])).values()];
}
