import { cidrRange, rangeContains, tryParseAddress, tryParseCidr, tryParseRangeOrCidr } from '../../ip/index.ts';
import type { AllocationPool, PoolRef } from '../../model/allocation.ts';
import type { Cidr, IpAddress, IpRange } from '../../ip/index.ts';
import type { PoolKind } from '../../model/intent.ts';
import type { K8sObject, ResourceType } from '../../model/k8s-object.ts';
import type { ObservedObjects } from '../../model/k8s-object.ts';
import type { Allocation, ReportUnreadable } from '../../model/allocation.ts';
import { observedKey } from '../resources.ts';

/**
 * Defensive readers for observed cluster data. Anything malformed reads as "absent" so one odd object never stops
 * allocation reading for the rest (the adapter signature has no way to report it, and a throw would lose them all).
 */

export function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export function asString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function asArray(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Value at a path of record keys, or undefined as soon as a step is not a record. */
export function at(v: unknown, ...path: string[]): unknown {
  let current = v;
  for (const key of path) current = asRecord(current)?.[key];
  return current;
}

export function specOf(obj: K8sObject): Record<string, unknown> {
  return asRecord(obj.spec) ?? {};
}

export function addressFrom(v: unknown): IpAddress | undefined {
  const text = asString(v);
  const parsed = text === undefined ? undefined : tryParseAddress(text);
  return parsed?.ok === true ? parsed.value : undefined;
}

export function cidrFrom(v: unknown, allowHostBits = false): Cidr | undefined {
  const text = asString(v);
  const parsed = text === undefined ? undefined : tryParseCidr(text, { allowHostBits });
  return parsed?.ok === true ? parsed.value : undefined;
}

/** A CIDR (host bits tolerated) or `start-end` text, as MetalLB addresses and Cilium blocks spell them. */
export function rangeFrom(v: unknown): IpRange | undefined {
  const text = asString(v);
  const parsed = text === undefined ? undefined : tryParseRangeOrCidr(text, { allowHostBits: true });
  return parsed?.ok === true ? parsed.value : undefined;
}

export function cidrRangeFrom(v: unknown, allowHostBits = false): IpRange | undefined {
  const cidr = cidrFrom(v, allowHostBits);
  return cidr === undefined ? undefined : cidrRange(cidr);
}

/** Observed objects of any of these resource types (one kind is often served under two versions). */
export function listObserved(observed: ObservedObjects, ...types: ResourceType[]): readonly K8sObject[] {
  return types.flatMap(t => observed.get(observedKey(t)) ?? []).filter(o => asRecord(o?.metadata) !== undefined);
}

export function displayName(obj: K8sObject): string {
  return obj.metadata.namespace === undefined ? obj.metadata.name : `${obj.metadata.namespace}/${obj.metadata.name}`;
}

export function poolRef(kind: PoolKind, obj: K8sObject): PoolRef {
  const ref: PoolRef = { kind, name: obj.metadata.name };
  if (obj.metadata.namespace !== undefined) ref.namespace = obj.metadata.namespace;
  return ref;
}

export function recorded(ref: PoolRef): AllocationPool {
  return { ...ref, by: 'record' };
}

function comparePools(a: K8sObject, b: K8sObject): number {
  const ka = `${a.metadata.namespace ?? ''}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace ?? ''}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Observed pools of a kind by address space: for kinds whose own software finds a pool by address (containment).
 * Where several pools hold a range, the ones the software itself still allocates from (`usable`, e.g. not marked
 * conflicting) come first, then name order; so the answer never depends on list order.
 */
export class PoolIndex {
  private readonly entries: { ranges: IpRange[]; ref: PoolRef; usable: boolean }[];

  constructor(
    kind: PoolKind,
    pools: readonly K8sObject[],
    covered: (spec: Record<string, unknown>) => IpRange[],
    usable: (pool: K8sObject) => boolean = () => true,
  ) {
    this.entries = [...pools]
      .sort(comparePools)
      .map(p => ({ ranges: covered(specOf(p)), ref: poolRef(kind, p), usable: usable(p) }))
      .sort((a, b) => Number(b.usable) - Number(a.usable));
  }

  /** The pool holding the whole range (an address, or a block), attributed by containment. */
  find(range: IpAddress | IpRange): AllocationPool | undefined {
    const r: IpRange = 'value' in range ? { family: range.family, start: range.value, end: range.value } : range;
    const hit = this.entries.find(e => e.ranges.some(x => rangeContains(x, r)));
    return hit === undefined ? undefined : { ...hit.ref, by: 'containment' };
  }
}

/** `namespace/name` (Whereabouts podref) → owner; undefined when it is not in that form. */
export function podOwner(podref: unknown): Allocation['owner'] | undefined {
  const text = asString(podref);
  const slash = text?.indexOf('/') ?? -1;
  if (text === undefined || slash <= 0 || slash === text.length - 1) return undefined;
  return { kind: 'Pod', namespace: text.slice(0, slash), name: text.slice(slash + 1) };
}

/** JSON inside a string field (CNI config, network-status annotation); undefined when it does not parse. */
export function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Converted to "absent" on purpose: malformed data written by someone else is skipped, never fatal.
    return undefined;
  }
}

/** `start`..`end` address fields (NV-IPAM exclusions and node blocks, Cilium start/stop) as a range. */
export function rangeBetween(start: unknown, end: unknown): IpRange | undefined {
  const first = addressFrom(start);
  const last = addressFrom(end);
  if (first === undefined || last === undefined) return undefined;
  if (first.family !== last.family || last.value < first.value) return undefined;
  return { family: first.family, start: first.value, end: last.value };
}

/** The object itself as the owner of an allocation (a Pod, Service or Node we observed). */
export function ownerOf(kind: 'Pod' | 'Service' | 'Node', obj: K8sObject): Allocation['owner'] {
  const owner: Allocation['owner'] = { kind, name: obj.metadata.name };
  if (obj.metadata.namespace !== undefined) owner.namespace = obj.metadata.namespace;
  return owner;
}

export interface AllocationExtras {
  /** Required: every allocation says which pool it belongs to, or null for none (adapter.ts). */
  pool: AllocationPool | null;
  node?: string | undefined;
  interface?: string | undefined;
}

/** An Allocation without undefined optional fields, so results compare and serialise cleanly. */
export function allocationOf(
  range: IpRange,
  owner: Allocation['owner'],
  via: string,
  extras: AllocationExtras,
): Allocation {
  const allocation: Allocation = { range, owner, pool: extras.pool, via };
  if (extras.node !== undefined) allocation.node = extras.node;
  if (extras.interface !== undefined) allocation.interface = extras.interface;
  return allocation;
}

/** A value as an unreadable-source reason shows it: short, one line, whatever it is (a name may be megabytes). */
export function shown(v: unknown): string {
  let text: string;
  if (typeof v === 'string') text = JSON.stringify(v);
  else if (v === undefined) return 'nothing';
  else {
    try {
      text = JSON.stringify(v) ?? typeof v;
    } catch (err) {
      // A value JSON cannot spell (a cycle, a bigint) is still named, never fatal.
      text = `${typeof v} (${err instanceof Error ? err.message : String(err)})`;
    }
  }
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** Tells `unreadable` about one malformed part of a source object. */
export function unreadablePart(unreadable: ReportUnreadable, obj: K8sObject, field: string, reason: string): void {
  const { name, namespace } = obj.metadata;
  const metadata = namespace === undefined ? { name } : { name, namespace };
  unreadable({ object: { apiVersion: obj.apiVersion, kind: obj.kind, metadata }, field, reason });
}
