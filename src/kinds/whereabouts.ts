import { z } from 'zod';
import type { K8sObject } from '../model/k8s-object.ts';
import type { AllocationPool } from '../model/allocation.ts';
import * as ip from '../ip/index.ts';
import type { Cidr, IpAddress, IpRange } from '../ip/index.ts';
import type { PoolBlock, PoolIntent } from '../model/intent.ts';
import type { PoolKindAdapter } from './adapter.ts';
import type { ObservedObjects } from '../model/k8s-object.ts';
import type { Allocation, ReportUnreadable } from '../model/allocation.ts';
import {
  blockRanges,
  familiesOf,
  groupByNetwork,
  heldRanges,
  networkAndBroadcast,
  rangesAsCidrs,
} from './kit/address-space.ts';
import { canonicalJson } from '../model/values.ts';
import { defineAdapter } from './kit/define.ts';
import type { BuildInput, BuildOutput, Spec } from './kit/define.ts';
import { netboxSubject, poolSubject, warnNotApplicable } from './kit/issues.ts';
import type { Issues } from './kit/issues.ts';
import * as read from './kit/observed.ts';
import { RESOURCES } from './resources.ts';
import { addressText, cidrText } from './kit/settings.ts';
import type { AdoptedSpace, ReadBack } from './adapter.ts';
import { adoptable, notAdoptable, present, rangeSpace } from './kit/readback.ts';

const KIND = 'whereabouts';
const DEFAULT_NAMESPACE = 'default';
/**
 * Whereabouts: we own the NetworkAttachmentDefinition (k8s.cni.cncf.io/v1) whose CNI config carries the IPAM
 * settings; the plugin creates its IPPool on first use and we only read it. A pod gets one address from every
 * range, so each address family holds exactly one network (several blocks in it become one range with the gaps
 * excluded) and a dual-stack pool uses `ipRanges`. No drain: the plugin has no way to stop allocating.
 */

const RENDERED_KEYS = ['cniVersion', 'name', 'ipam'];
/** The CNI plugin part of the config (everything but IPAM); macvlan in bridge mode unless told otherwise. */
const template = z
  .looseObject({
    type: z.string().min(1).default('macvlan'),
    master: z.string().min(1).optional(),
    mode: z.string().min(1).optional(),
  })
  .refine(t => RENDERED_KEYS.every(k => !(k in t)), { message: `must not set ${RENDERED_KEYS.join(', ')}` })
  .transform(t => (t.type === 'macvlan' && t.mode === undefined ? { ...t, mode: 'bridge' } : t));

export const whereaboutsSettings = z.strictObject({
  namespace: z.string().min(1).default(DEFAULT_NAMESPACE),
  cniVersion: z.enum(['0.3.1', '0.4.0', '1.0.0', '1.1.0']).default('1.0.0'),
  template: template.prefault({}),
  excludeNetworkAndBroadcast: z.boolean().default(true),
  enable_overlapping_ranges: z.boolean().optional(),
  routes: z.array(z.strictObject({ dst: cidrText, gw: addressText.optional() })).optional(),
});
type WhereaboutsSettings = z.output<typeof whereaboutsSettings>;

/** One `range` entry for the blocks of one address family; undefined (after reporting) when they span networks. */
function rangeEntry(blocks: PoolBlock[], settings: WhereaboutsSettings, issues: Issues): Spec | undefined {
  const [group, ...others] = groupByNetwork(blocks);
  if (group === undefined) return undefined;
  for (const other of others) {
    for (const block of other.blocks) {
      issues.error(
        netboxSubject(block.source),
        `a Whereabouts pool holds one network per address family, and this pool already has ${ip.formatCidr(group.network)}`,
        {
          hint: 'Whereabouts would give each pod one address from every range; give this object its own k8s_pool_name',
        },
      );
    }
  }
  const covered = blockRanges(group.blocks);
  const first = covered[0];
  const last = covered.at(-1);
  if (first === undefined || last === undefined) return undefined;
  const span: IpRange = { family: first.family, start: first.start, end: last.end };
  const usable = handedOut(group.network);
  if (ip.intersectRanges([span], [usable]).length === 0) {
    // Whereabouts drops a range_start/range_end outside its usable addresses without a word and uses the whole
    // network instead: NetBox-held addresses outside the span would be handed out.
    for (const block of group.blocks) {
      issues.error(
        netboxSubject(block.source),
        `Whereabouts hands out only ${ip.formatRange(usable)} of ${ip.formatCidr(group.network)} and ignores a range_start/range_end outside it, so this pool would get the whole network`,
        { hint: 'publish addresses between the network address and the last address of the network' },
      );
    }
    return undefined;
  }
  const gaps = ip.subtractRanges([span], covered);
  const edges = settings.excludeNetworkAndBroadcast
    ? ip.intersectRanges(networkAndBroadcast(group.network), [span])
    : [];
  const exclude = rangesAsCidrs([...heldRanges(group.blocks), ...gaps, ...edges]).map(ip.formatCidr);
  const whole = ip.cidrRange(group.network);
  const entry: Spec = { range: ip.formatCidr(group.network) };
  if (span.start !== whole.start || span.end !== whole.end) {
    entry.range_start = ip.formatAddress({ family: span.family, value: span.start });
    entry.range_end = ip.formatAddress({ family: span.family, value: span.end });
  }
  if (exclude.length > 0) entry.exclude = exclude;
  return entry;
}

/** What Whereabouts hands out of a network, either family: all but the first and last address from /30 (/126). */
function handedOut(network: Cidr): IpRange {
  const whole = ip.cidrRange(network);
  if (whole.end - whole.start < 3n) return whole;
  return { family: whole.family, start: whole.start + 1n, end: whole.end - 1n };
}

function gatewayOf(intent: PoolIntent, issues: Issues): IpAddress | undefined {
  const all = intent.blocks.flatMap(b => (b.gateway ? [b.gateway] : [])).sort(ip.compareAddresses);
  const gateways = [...new Map(all.map(g => [ip.formatAddress(g), g])).values()];
  const [gateway, ...ignored] = gateways;
  if (gateway !== undefined && ignored.length > 0) {
    issues.warning(
      poolSubject(intent),
      `Whereabouts takes one gateway: using ${ip.formatAddress(gateway)}, ignoring ${ignored.map(ip.formatAddress).join(', ')}`,
    );
  }
  return gateway;
}

function build({ intent, settings, issues }: BuildInput<WhereaboutsSettings>): BuildOutput {
  warnNotApplicable(intent, issues, {
    nodeSelector: 'a NetworkAttachmentDefinition applies on every node where a pod uses it',
    blockSize: 'Whereabouts hands out single addresses, not per-node blocks',
    namespaces: 'a NetworkAttachmentDefinition is used from its own namespace (k8s_namespace)',
  });
  for (const block of intent.blocks) {
    if (block.network.family === 6 && block.network.prefixLength <= 64) {
      issues.warning(
        netboxSubject(block.source),
        `Whereabouts reaches only the first /65 of ${ip.formatCidr(block.network)}`,
      );
    }
  }
  const byFamily = familiesOf(intent.blocks).map(f => intent.blocks.filter(b => b.range.family === f));
  const entries = byFamily.flatMap(blocks => rangeEntry(blocks, settings, issues) ?? []);
  const [only, ...more] = entries;
  const ipam: Spec = {
    type: 'whereabouts',
    ...(only !== undefined && more.length === 0 ? only : { ipRanges: entries }),
  };
  const gateway = gatewayOf(intent, issues);
  if (gateway !== undefined) ipam.gateway = ip.formatAddress(gateway);
  if (intent.vrf !== undefined) ipam.network_name = intent.vrf.slug;
  if (settings.enable_overlapping_ranges !== undefined)
    ipam.enable_overlapping_ranges = settings.enable_overlapping_ranges;
  if (settings.routes !== undefined) ipam.routes = settings.routes;
  const config = { ...settings.template, cniVersion: settings.cniVersion, name: intent.name, ipam };
  const namespace = intent.namespace ?? settings.namespace;
  return {
    objects: [
      {
        type: RESOURCES.networkAttachmentDefinition,
        name: intent.name,
        namespace,
        spec: { config: canonicalJson(config) },
      },
    ],
  };
}

/** The network of a whereabouts range entry: `range` with host bits allowed, or the legacy `A-B/len`. */
function entryNetwork(entry: unknown): { network: Cidr; legacy: RegExpExecArray | null } | undefined {
  const text = read.asString(read.at(entry, 'range')) ?? '';
  const legacy = /^([^-/]+)-([^/]+)\/(\d+)$/.exec(text);
  const network = read.cidrFrom(legacy ? `${legacy[1]}/${legacy[3]}` : text, true);
  return network === undefined ? undefined : { network, legacy };
}

/** A whereabouts range entry: `range` (host bits allowed, or the legacy `A-B/len`), limits and excludes. */
function entryRanges(entry: unknown): IpRange[] {
  const parsed = entryNetwork(entry);
  if (parsed === undefined) return [];
  const { network, legacy } = parsed;
  const whole = ip.cidrRange(network);
  const start = read.addressFrom(read.at(entry, 'range_start') ?? legacy?.[1])?.value ?? whole.start;
  const end = read.addressFrom(read.at(entry, 'range_end') ?? legacy?.[2])?.value ?? whole.end;
  if (end < start) return [];
  const excluded = read.asArray(read.at(entry, 'exclude')).flatMap(e => read.cidrRangeFrom(e, true) ?? []);
  return ip.subtractRanges(ip.intersectRanges([{ family: network.family, start, end }], [whole]), excluded);
}

function whereaboutsIpam(spec: Spec): Record<string, unknown> | undefined {
  const ipam = read.asRecord(read.at(read.parseJson(spec.config), 'ipam'));
  return ipam?.type === 'whereabouts' ? ipam : undefined;
}

/** `range` (when set) and every `ipRanges` entry: the plugin puts a top-level range in front of the list. */
function rangeEntries(ipam: Record<string, unknown>): unknown[] {
  return ipam.range === undefined ? [...read.asArray(ipam.ipRanges)] : [ipam, ...read.asArray(ipam.ipRanges)];
}

function coveredConfig(spec: Spec): IpRange[] {
  const ipam = whereaboutsIpam(spec);
  if (ipam === undefined) return [];
  return ip.mergeRanges(rangeEntries(ipam).flatMap(entryRanges));
}

/**
 * The plugin's IPPool name for a range: `[<network_name>-]<canonical range with ':' and '/' as '-'>` (crds.md §1.2,
 * whereabouts IPPoolName/normalizeRange: a range ending in ':' gets a '0' first).
 */
export function ippoolName(networkName: string, network: Cidr): string {
  const text = ip.formatCidr(network);
  const normalized = (text.endsWith(':') ? `${text}0` : text).replace(/[:/]/g, '-');
  return networkName === '' ? normalized : `${networkName}-${normalized}`;
}

/** One range of a NAD using Whereabouts: the IPPool the plugin keeps its allocations in, and what it hands out. */
interface WhereaboutsRange {
  nad: K8sObject;
  networkName: string;
  /** The plugin's IPPool for this range and network name. */
  ippool: string;
  network: IpRange;
  span: IpRange[];
}

function rangesOf(observed: ObservedObjects): WhereaboutsRange[] {
  return read.listObserved(observed, RESOURCES.networkAttachmentDefinition).flatMap(nad => {
    const ipam = whereaboutsIpam(read.specOf(nad));
    if (ipam === undefined) return [];
    const networkName = read.asString(ipam.network_name) ?? '';
    return rangeEntries(ipam).flatMap(entry => {
      const parsed = entryNetwork(entry);
      if (parsed === undefined) return [];
      const network = parsed.network; // host bits masked, as the plugin canonicalises `range`
      return [
        {
          nad,
          networkName,
          ippool: ippoolName(networkName, network),
          network: ip.cidrRange(network),
          span: entryRanges(entry),
        },
      ];
    });
  });
}

/**
 * The NAD an address of the plugin's store belongs to, among the ranges that use that store (one IPPool, or one
 * network name for reservations). Several NADs may share an IPPool (same network name and range): the one whose
 * range_start/range_end/exclude hand out the address comes first, then name order.
 */
function nadFor(candidates: readonly WhereaboutsRange[], address: IpAddress): AllocationPool | null {
  const at = (r: WhereaboutsRange) => r.span.some(x => ip.rangeContainsAddress(x, address));
  const sorted = [...candidates].sort(
    (a, b) => Number(at(b)) - Number(at(a)) || read.displayName(a.nad).localeCompare(read.displayName(b.nad)),
  );
  const first = sorted[0];
  return first === undefined ? null : read.recorded(read.poolRef('whereabouts', first.nad));
}

/** IPPool name = `[<network_name>-]<range with ':' and '/' as '-'>`: the network name, for matching reservations. */
function ippoolNetworkName(poolName: string, range: Cidr): string | undefined {
  const normalized = ippoolName('', range);
  if (poolName === normalized) return '';
  return poolName.endsWith(`-${normalized}`) ? poolName.slice(0, -normalized.length - 1) : undefined;
}

/** An OverlappingRangeIPReservation name back to its address: `[<network_name>-]<ip with ':' as '-'>`. */
function reservationAddress(
  name: string,
  networkNames: string[],
): { address: IpAddress; networkName: string } | undefined {
  const prefixes = [
    ...networkNames.filter(n => n !== '' && name.startsWith(`${n}-`)).sort((a, b) => b.length - a.length),
    '',
  ];
  for (const networkName of prefixes) {
    const rest = networkName === '' ? name : name.slice(networkName.length + 1);
    const address = read.addressFrom(rest.includes('.') ? rest : rest.replaceAll('-', ':'));
    if (address !== undefined) return { address, networkName };
  }
  return undefined;
}

/**
 * Live allocations, each tied to its NAD the way the plugin ties them: an IPPool belongs to the NADs whose range and
 * `network_name` it is named after; a reservation to the NADs of its network name whose range holds the address.
 * The same addresses under another network name (another VRF) are another IPPool, and never count here. An IPPool
 * no NAD uses (its NAD deleted, or its range changed) holds no NAD: its allocations have `pool: null`.
 */
function allocations(observed: ObservedObjects, unreadable: ReportUnreadable): Allocation[] {
  const ranges = rangesOf(observed);
  const seen = new Set<string>();
  const key = (networkName: string | undefined, a: IpAddress) => `${networkName ?? '?'}|${a.family}|${a.value}`;
  const fromPools = read.listObserved(observed, RESOURCES.whereaboutsIpPool).flatMap(pool => {
    const rangeText = read.specOf(pool).range;
    const range = read.cidrFrom(rangeText, true);
    const entries = Object.entries(read.asRecord(read.specOf(pool).allocations) ?? {});
    if (range === undefined) {
      if (entries.length > 0) {
        const reason = `range ${read.shown(rangeText)} is not a CIDR, so its ${entries.length} allocations cannot be placed`;
        read.unreadablePart(unreadable, pool, 'spec.range', reason);
      }
      return [];
    }
    // Whereabouts counts offsets from the address as written (net.ParseCIDR's IP), host bits included.
    const first = read.addressFrom(read.asString(rangeText)?.split('/')[0]) ?? {
      family: range.family,
      value: range.network,
    };
    const networkName = ippoolNetworkName(pool.metadata.name, range);
    const users = ranges.filter(r => r.ippool === pool.metadata.name);
    return entries.flatMap(([offset, entry]) => {
      const field = `spec.allocations[${read.shown(offset)}]`;
      const owner = read.podOwner(read.at(entry, 'podref'));
      if (!/^\d+$/.test(offset)) {
        read.unreadablePart(unreadable, pool, field, `offset ${read.shown(offset)} is not a decimal number`);
        return [];
      }
      if (owner === undefined) {
        const reason = `podref ${read.shown(read.at(entry, 'podref'))} is not namespace/name`;
        read.unreadablePart(unreadable, pool, `${field}.podref`, reason);
        return [];
      }
      const address: IpAddress = { family: range.family, value: first.value + BigInt(offset) };
      if (!ip.cidrContainsAddress(range, address)) {
        const reason = `offset ${read.shown(offset)} lies outside the range ${ip.formatCidr(range)}`;
        read.unreadablePart(unreadable, pool, field, reason);
        return [];
      }
      seen.add(key(networkName, address));
      const via = `whereabouts IPPool ${read.displayName(pool)} spec.allocations`;
      return [
        read.allocationOf(ip.rangeOfAddress(address), owner, via, {
          pool: nadFor(users, address),
          interface: read.asString(read.at(entry, 'ifname')),
        }),
      ];
    });
  });
  const networkNames = [...new Set(ranges.map(r => r.networkName))];
  const fromReservations = read.listObserved(observed, RESOURCES.whereaboutsReservation).flatMap(reservation => {
    const parsed = reservationAddress(reservation.metadata.name, networkNames);
    const owner = read.podOwner(read.at(reservation.spec, 'podref'));
    if (parsed === undefined || owner === undefined || seen.has(key(parsed.networkName, parsed.address))) return [];
    seen.add(key(parsed.networkName, parsed.address));
    const users = ranges.filter(
      r => r.networkName === parsed.networkName && ip.rangeContainsAddress(r.network, parsed.address),
    );
    const via = `whereabouts OverlappingRangeIPReservation ${read.displayName(reservation)}`;
    const extras = {
      pool: nadFor(users, parsed.address),
      interface: read.asString(read.at(reservation.spec, 'ifname')),
    };
    return [read.allocationOf(ip.rangeOfAddress(parsed.address), owner, via, extras)];
  });
  return [...fromPools, ...fromReservations];
}

/** One range entry back into NetBox terms: its space, the excludes inside it, and whether its edges are excluded. */
function entryShape(entry: unknown): { space: AdoptedSpace; held: IpRange[]; edges: boolean | undefined } | string {
  const parsed = entryNetwork(entry);
  if (parsed === undefined || parsed.legacy !== null)
    return 'a range entry is not a CIDR (legacy A-B/len or unreadable)';
  const whole = ip.cidrRange(parsed.network);
  const start = read.addressFrom(read.at(entry, 'range_start'))?.value ?? whole.start;
  const end = read.addressFrom(read.at(entry, 'range_end'))?.value ?? whole.end;
  const span: IpRange = { family: whole.family, start, end };
  if (end < start || !ip.rangeContains(whole, span)) return 'range_start/range_end lie outside the range';
  const excluded = read.asArray(read.at(entry, 'exclude')).map(e => read.cidrRangeFrom(e, true));
  if (excluded.some(e => e === undefined)) return 'an exclude entry is not a CIDR';
  const held = ip.intersectRanges([span], ip.mergeRanges(excluded.flatMap(e => e ?? [])));
  const edges = ip.intersectRanges(networkAndBroadcast(parsed.network), [span]);
  const edgesHeld = edges.length === 0 ? undefined : ip.subtractRanges(edges, held).length === 0;
  return {
    space: rangeSpace(span, parsed.network),
    held: edgesHeld === true ? ip.subtractRanges(held, edges) : held,
    edges: edgesHeld,
  };
}

function readBack(nad: K8sObject): ReadBack {
  const config = read.asRecord(read.parseJson(read.specOf(nad).config));
  const ipam = whereaboutsIpam(read.specOf(nad));
  if (config === undefined || ipam === undefined) return notAdoptable('its CNI config has no whereabouts IPAM section');
  const shapes = rangeEntries(ipam).map(entryShape);
  const problem = shapes.find(s => typeof s === 'string');
  if (problem !== undefined) return notAdoptable(problem);
  const entries = shapes.filter(s => typeof s !== 'string');
  const edges = new Set(entries.flatMap(e => (e.edges === undefined ? [] : [e.edges])));
  if (edges.size > 1) return notAdoptable('one range excludes its network and broadcast addresses, another does not');
  const { cniVersion, name: _name, ipam: _ipam, ...template } = config;
  const settings: Record<string, unknown> = {
    ...present({ cniVersion, template }, ['cniVersion', 'template']),
    ...present(ipam, ['enable_overlapping_ranges', 'routes']),
  };
  if (edges.size === 1) settings.excludeNetworkAndBroadcast = edges.has(true);
  const gateway = read.addressFrom(ipam.gateway);
  return adoptable({
    spaces: entries.map(e => e.space),
    held: entries.flatMap(e => e.held),
    ...(gateway === undefined ? {} : { gateway }),
    settings,
  });
}

export const whereaboutsAdapter: PoolKindAdapter = defineAdapter({
  kind: KIND,
  label: 'Whereabouts',
  writebackGrain: 'addresses',
  defaultNamespace: DEFAULT_NAMESPACE,
  needsSubnet: true,
  defaultRole: 'k8s-secondary',
  settings: whereaboutsSettings,
  drainNote: 'Whereabouts has no way to stop allocating from a range; pods using the network keep getting addresses',
  owns: [
    {
      type: RESOURCES.networkAttachmentDefinition,
      // Compare CNI configs as JSON, not text: key order and spacing differ between writers.
      normaliseSpec: spec => {
        const config = read.parseJson(spec.config);
        return config === undefined ? spec : { ...spec, config: canonicalJson(config) };
      },
      covered: coveredConfig,
    },
  ],
  reads: [RESOURCES.whereaboutsIpPool, RESOURCES.whereaboutsReservation],
  build,
  allocations,
  readBack,
});
