import type { IpRange } from '../ip/index.ts';
import type { PoolKind } from './intent.ts';

/** Who holds a live address (or block) in the cluster. */
export interface Allocation {
  range: IpRange;
  owner: { kind: 'Pod' | 'Service' | 'Node' | 'Other'; name: string; namespace?: string };
  /** The pool object it was allocated from, when the source says so or containment shows it. */
  pool?: { kind: PoolKind; name: string; namespace?: string };
  node?: string;
  /** Interface name for pod secondary networks (`net1`). */
  interface?: string;
  /** Where it was read: `whereabouts IPPool kube-system/10.20.0.0-24 spec.allocations`. */
  via: string;
}
