import type { Config } from '../config/config.ts';
import type { PoolKind } from '../model/intent.ts';
import type { K8sObject, ObservedObjects } from '../model/k8s-object.ts';
import type { NbIpAddress, NbIpRange, NbPrefix, NbVrfBrief } from '../model/netbox.ts';
import type { FieldDiff } from '../model/plan.ts';

/**
 * Adoption (issue 14): a hand-written pool object, the NetBox side that would render it, and the proof that it
 * does. Pure data; the NetBox and cluster writes live in netbox/adoption.ts and k8s/adoption.ts.
 */

/** What NetBox records in and around the pool's space (any VRF; the core matches VRFs itself). */
export interface Neighbourhood {
  prefixes: NbPrefix[];
  ipRanges: NbIpRange[];
  ipAddresses: NbIpAddress[];
}

export interface AdoptContext {
  config: Config;
  /** Validated `kinds.<kind>` defaults (validateKindDefaults). */
  defaults: Partial<Record<PoolKind, Record<string, unknown>>>;
  /** Everything observed in the cluster: companions (Calico IPReservations, MetalLB advertisements) live here. */
  observed: ObservedObjects;
  netbox: Neighbourhood;
  /** The VRF the NetBox side goes into (`--vrf`); absent: the global table. */
  vrf?: NbVrfBrief;
}

/** A prefix or IP range of the pool: created, or an existing one completed (only missing fields are set). */
export interface SpaceWrite {
  model: 'prefix' | 'ip-range';
  /** `10.0.0.0/24`, or `10.0.0.10/24`-`10.0.0.99/24` for a range (with its subnet's mask). */
  prefix?: string;
  startAddress?: string;
  endAddress?: string;
  /** The existing NetBox object reused; absent: a new one. */
  existing?: { id: number; display: string };
  /** Role slug to set (a new object, or an existing one without a role). */
  role?: string;
  status?: 'active' | 'deprecated';
  /** Tag slugs to add. */
  addTags: string[];
  /** Custom fields to set. */
  customFields: Record<string, unknown>;
}

/** A hole in the pool NetBox does not record yet: an IP address (one address) or an IP range. */
export interface HeldWrite {
  model: 'ip-address' | 'ip-range';
  address?: string;
  startAddress?: string;
  endAddress?: string;
  description: string;
}

export type AdoptionOutcome = 'adoptable' | 'differs' | 'refused' | 'unreadable';

export interface PoolId {
  kind: PoolKind;
  name: string;
  namespace?: string;
}

export interface Adoption {
  pool: PoolId;
  outcome: AdoptionOutcome;
  /** Why the pool is left alone (refused, unreadable), or the render's errors (differs). */
  reasons: string[];
  /** Live against rendered, per object: `Kind name: path`, `from` live, `to` what the daemon would render. */
  differences: (FieldDiff & { object: string })[];
  /** Warnings and conflicts of the render (the pool is still adoptable). */
  notes: string[];
  spaces: SpaceWrite[];
  held: HeldWrite[];
  /** The live objects that become ours: the pool and the companions the daemon renders beside it. */
  objects: K8sObject[];
}
