import type { Cidr, IpAddress, IpRange } from '../ip/index.ts';
import type { NetBoxModel } from './issue.ts';

/**
 * PoolIntent: what NetBox says one pool should be, independent of how a pool kind spells it. Mapping produces
 * intents from NetBox objects and config; each kind adapter renders an intent into Kubernetes objects.
 */

/**
 * The key of a pool kind (e.g. calico or metallb). The kinds themselves are declared once, in `src/kinds/`, and
 * every list of them derives from `src/kinds/registry.ts`; values read from config or NetBox are checked there
 * (`isPoolKind`) before they become a PoolKind.
 */
export type PoolKind = string;

/** A NetBox prefix or IP range that contributes to a pool. */
export interface NetBoxObjectRef {
  model: Extract<NetBoxModel, 'prefix' | 'ip-range'>;
  id: number;
  /** API URL of the object. */
  url: string;
  /** NetBox's display string: the CIDR for a prefix, `10.0.0.10-99/24` for a range. */
  display: string;
}

/** Why an address range must never be handed out by the cluster. */
export interface Exclusion {
  range: IpRange;
  /** What NetBox records there, e.g. `ip-address 10.20.0.1/24 (gateway)` or `ip-range 10.20.0.200-250/24`. */
  heldBy: string;
}

/** One contiguous piece of address space from one NetBox object. */
export interface PoolBlock {
  source: NetBoxObjectRef;
  /**
   * The network the block lives in: the prefix itself, or for an IP range the smallest selected or
   * NetBox-recorded prefix containing it (else the smallest CIDR covering the range).
   */
  network: Cidr;
  /** Addresses the pool covers before exclusions: the whole prefix, or the IP range start..end. */
  range: IpRange;
  /** NetBox-held addresses inside `range` that the cluster must never hand out; merged and sorted. */
  exclusions: Exclusion[];
  /** Gateway for this block: custom field `k8s_gateway`, else an address inside tagged/roled as the gateway. */
  gateway?: IpAddress;
}

/** One label-selector requirement, Kubernetes semantics. */
export interface LabelRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: string[];
}

/**
 * A node selector from `k8s_node_selector`: Kubernetes label-selector syntax parsed into requirements, or a
 * Calico-native expression (e.g. `all()`) kept verbatim for Calico only.
 */
export type NodeSelector =
  { syntax: 'labels'; raw: string; requirements: LabelRequirement[] } | { syntax: 'calico-expression'; raw: string };

export interface VrfRef {
  id: number;
  name: string;
  rd: string | null;
  /** DNS-1123 label derived from the VRF name; used in object names and Whereabouts network_name. */
  slug: string;
}

export interface PoolIntent {
  kind: PoolKind;
  /** Kubernetes object name (DNS-1123), deterministic and VRF-aware. */
  name: string;
  /** Namespace for namespaced kinds (whereabouts, nv-ipam, metallb); absent for cluster-scoped ones. */
  namespace?: string;
  /** `active` → published; `draining` (NetBox status deprecated) → published but disabled / not auto-assigned. */
  state: 'active' | 'draining';
  /** Ordered by family then address; at least one. */
  blocks: PoolBlock[];
  vrf?: VrfRef;
  tenant?: { id: number; name: string; slug?: string };
  /** `k8s_block_size`: Calico blockSize, NV-IPAM perNodeBlockSize, Cilium maskSize; else the kind default. */
  blockSize?: number;
  nodeSelector?: NodeSelector;
  /** `k8s_namespaces`: namespaces the pool is assigned to. Sorted, unique. */
  namespaces: string[];
  /** `k8s_options` merged over the kind defaults from config; validated by the adapter. */
  options: Record<string, unknown>;
  /** Every NetBox object that contributed, sorted by model then id. */
  sources: NetBoxObjectRef[];
}
