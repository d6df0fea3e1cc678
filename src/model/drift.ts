import type { SourceHealth } from './plan.ts';

/**
 * The drift report: where the cluster and NetBox disagree, as plain data. Built by `drift/` from what one cycle
 * read; rendered there as JSON, Markdown and HTML; turned into gauges, Events and journal entries by the daemon.
 * Shared here because the daemon and the server use it too.
 */

/** In the order reports list them. */
export const DRIFT_CATEGORIES = [
  'missing',
  'unexpected',
  'changed',
  'blocked',
  'invalid',
  'unmanaged',
  'conflict',
  'unexcludable',
  'stale',
  'utilisation',
] as const;
export type DriftCategory = (typeof DRIFT_CATEGORIES)[number];

/** What each category means, in the words the report uses. */
export const DRIFT_CATEGORY_TITLES: Readonly<Record<DriftCategory, string>> = {
  missing: 'Missing in the cluster (NetBox has it)',
  unexpected: 'Unexpected in the cluster (gone from NetBox)',
  changed: 'Changed (NetBox says / the cluster has)',
  blocked: 'Blocked changes',
  invalid: 'Invalid NetBox objects',
  unmanaged: 'Unmanaged pools overlapping NetBox space',
  conflict: 'Conflicts',
  unexcludable: 'NetBox-held addresses a pool cannot exclude',
  stale: 'Stale NetBox records awaiting their grace period',
  utilisation: 'Pools at or above the utilisation threshold',
};

/** A NetBox object an entry is about, with the URL of its page in NetBox's web UI. */
export interface NetBoxLink {
  model: 'prefix' | 'ip-range' | 'ip-address';
  id: number;
  display: string;
  url: string;
}

/** The Kubernetes object an entry is about. `apiVersion` is absent where only the kind is known (an allocation's owner). */
export interface K8sRef {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** One field that differs; values as compact JSON text, absent when the field is absent on that side. */
export interface FieldDrift {
  path: string;
  netbox?: string;
  cluster?: string;
}

export interface DriftEntry {
  /** Stable across cycles while the drift lasts: what `driftEvents` compares. */
  id: string;
  category: DriftCategory;
  /** One line: what and where. */
  summary: string;
  /** Why, in a sentence. */
  reason: string;
  /** What to do about it. */
  hint?: string;
  poolKind?: string;
  k8s?: K8sRef;
  netbox: NetBoxLink[];
  fields?: FieldDrift[];
  /** `blocked` only: what would have happened. */
  blockedAction?: string;
  /** Live allocations involved. */
  allocations?: number;
  /** Address space involved: `10.20.0.5`, `10.20.0.0/24`, `10.20.0.10-10.20.0.19`. */
  space?: string;
}

/** Used / size of one per-node block. Counts are decimal strings: IPv6 sizes exceed JavaScript numbers. */
export interface NodeBlockUtilisation {
  node: string;
  block: string;
  used: string;
  size: string;
  percent: number;
}

export interface PoolUtilisation {
  poolKind: string;
  k8s: K8sRef;
  netbox: NetBoxLink[];
  /** Addresses handed out (to pods, services or node blocks), merged so none counts twice. */
  used: string;
  /** Addresses the pool may hand out: its NetBox blocks minus NetBox-held addresses. */
  size: string;
  /** 0-100, one decimal. */
  percent: number;
  overThreshold: boolean;
  nodeBlocks: NodeBlockUtilisation[];
}

/** `unknown`: NetBox could not be read, so nothing rules drift out. */
export type DriftStatus = 'clean' | 'drift' | 'unknown';

export interface DriftReport {
  cluster: string;
  /** ISO time the report was built, when the caller gives one (the builder keeps no clock). */
  generatedAt?: string;
  source: SourceHealth;
  status: DriftStatus;
  headline: string;
  /** Utilisation threshold in percent (`drift.utilisationThreshold`). */
  threshold: number;
  counts: Record<DriftCategory, number>;
  /** Ordered by category (DRIFT_CATEGORIES), then id. */
  entries: DriftEntry[];
  /** Every pool NetBox selects, ordered by kind, namespace, name. */
  utilisation: PoolUtilisation[];
  /** Context that is not drift: kinds not installed, warnings. */
  notes: string[];
}
