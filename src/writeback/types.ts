import type { PoolKind } from '../model/intent.ts';

/**
 * Writeback: live allocations → the NetBox records that show who uses each address. Shapes shared by the pure
 * stages here (desired records, the plan) and the NetBox side that reads and writes them (netbox/records.ts).
 */

/** The NetBox models writeback records into. */
export type RecordModel = 'ip-address' | 'prefix' | 'ip-range';

/** What is recorded for a kind: single addresses (pods, services), multi-address blocks (per node), both, nothing. */
export type RecordGrain = 'addresses' | 'blocks' | 'all' | 'none';

export interface WritebackSettings {
  cluster: string;
  managedTag: string;
  clusterTag: string;
  /** Custom field names on the records. */
  fields: { cluster: string; owner: string; pool: string; staleSince: string };
  /** Status of a new IP address record (`reserved` by default). */
  addressStatus: string;
  /** Status of a new block record (prefix or IP range). */
  blockStatus: string;
  /** How a per-node block is recorded: as a child prefix when it is a CIDR, else always as an IP range. */
  blocksAs: 'prefix' | 'ip-range';
  /** Per kind: what is recorded. */
  grain: Readonly<Record<PoolKind, RecordGrain>>;
  /** `{name}.{namespace}.example.com`: DNS name of Service records; absent: none. */
  serviceDnsName?: string;
  /** How long a record whose allocation is gone stays (marked stale) before it is deleted. */
  graceMs: number;
}

/** The identity of a record: model, VRF and the space itself (an address is its host part, mask aside). */
export interface RecordIdentity {
  model: RecordModel;
  /** NetBox VRF id; null for the global table. */
  vrf: number | null;
  /** Host address (`10.20.0.5`), CIDR (`10.20.0.64/26`) or range (`10.20.0.10-10.20.0.19`). */
  space: string;
}

/** What a record should say, as NetBox write fields. */
export interface DesiredRecord extends RecordIdentity {
  key: string;
  kind: PoolKind;
  /** Write fields naming the space: `address`, `prefix`, or `start_address` + `end_address` (with the mask). */
  location: Record<string, string>;
  status: string;
  description: string;
  dnsName?: string;
  /** `namespace/pod`, `namespace/service`, `node/<name>`. */
  owner: string;
  /** `<kind>:<namespace>/<name>` (no namespace for cluster-scoped kinds). */
  pool: string;
  /** Where the allocation was read, for messages. */
  via: string;
}

/** A record we own (managed tag + this cluster's tag) as read from NetBox. */
export interface OwnedRecord extends RecordIdentity {
  key: string;
  id: number;
  url: string;
  /** The address with its mask, the prefix, or `start-end` as NetBox holds them. */
  location: Record<string, string>;
  tags: string[];
  customFields: Record<string, unknown>;
  description: string;
  dnsName: string;
}

/** Something NetBox holds at an address the cluster allocated, that is not ours: never overwritten. */
export interface ForeignRecord extends RecordIdentity {
  key: string;
  id: number;
  url: string;
  display: string;
  tags: string[];
}

export type WritebackChange =
  | { action: 'create'; record: DesiredRecord }
  | { action: 'update'; record: DesiredRecord; id: number; patch: Record<string, unknown>; why: string }
  | { action: 'mark-stale'; id: number; model: RecordModel; key: string; patch: Record<string, unknown>; why: string }
  | { action: 'delete'; id: number; model: RecordModel; key: string; why: string };

export type WritebackConflictKind =
  'outside-netbox-space' | 'held-by-other-record' | 'held-by-other-cluster' | 'duplicate-allocation';

export interface WritebackConflict {
  kind: WritebackConflictKind;
  /** The address or block, e.g. `10.20.0.5` in VRF 3. */
  space: string;
  vrf: number | null;
  /** Who holds it in the cluster. */
  owner: string;
  pool?: string;
  reason: string;
  /** The NetBox object in the way, when there is one. */
  netbox?: { model: RecordModel; id: number; url: string; display: string };
}

export interface WritebackPlan {
  changes: WritebackChange[];
  conflicts: WritebackConflict[];
  /** Records left alone this cycle and why: `stale` (in its grace period) or `not-read` (its kind was not fully read). */
  kept: { key: string; id: number; why: 'stale' | 'not-read'; reason: string }[];
  summary: Record<WritebackChange['action'] | 'conflict' | 'unchanged' | 'kept', number>;
}
