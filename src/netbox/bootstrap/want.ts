/**
 * What DESIGN.md §4 needs in a NetBox, as plain data: the pool roles, the managed and cluster tags, the pool-kind
 * choice set and the custom fields on prefixes, IP ranges and IP addresses. Every name is configurable; the
 * defaults are §4's. `netbox bootstrap` compares this against what NetBox holds (see bootstrap.ts).
 */
import { isPoolKind, adapterFor, POOL_KINDS } from '../../kinds/registry.ts';

/** Custom field names, by what they mean. The first eight match config `selection.customFields`. */
export interface BootstrapCustomFieldNames {
  poolKind: string;
  poolName: string;
  namespace: string;
  blockSize: string;
  nodeSelector: string;
  gateway: string;
  namespaces: string;
  options: string;
  /** Writeback: the cluster, owner and pool of a live allocation, and when its allocation went away. */
  cluster: string;
  owner: string;
  pool: string;
  staleSince: string;
}

/** Input of the bootstrap: names from the config (or CLI flags); anything left out takes §4's default. */
export interface BootstrapPlan {
  /** The cluster name; the cluster tag defaults to `k8s-<cluster>`. */
  cluster: string;
  clusterTag?: string;
  managedTag?: string;
  /** Tag that marks an IP address inside a pool as its gateway (config `selection.gatewayTag`). */
  gatewayTag?: string;
  /** Pool role slugs (config `selection.roles` keys). */
  roles?: readonly string[];
  /** Values of the pool-kind choice set. */
  poolKinds?: readonly string[];
  /** Name of the choice set behind the pool-kind select field. */
  choiceSet?: string;
  customFields?: Partial<BootstrapCustomFieldNames>;
}

export const BOOTSTRAP_DEFAULTS = {
  managedTag: 'k8s-ippool-sync',
  gatewayTag: 'gateway',
  roles: ['k8s-pod', 'k8s-secondary', 'k8s-rdma', 'k8s-loadbalancer'],
  poolKinds: POOL_KINDS,
  choiceSet: 'k8s_pool_kind',
  customFields: {
    poolKind: 'k8s_pool_kind',
    poolName: 'k8s_pool_name',
    namespace: 'k8s_namespace',
    blockSize: 'k8s_block_size',
    nodeSelector: 'k8s_node_selector',
    gateway: 'k8s_gateway',
    namespaces: 'k8s_namespaces',
    options: 'k8s_options',
    cluster: 'k8s_cluster',
    owner: 'k8s_owner',
    pool: 'k8s_pool',
    staleSince: 'k8s_stale_since',
  },
  groupName: 'Kubernetes',
  managedTagColor: '2196f3',
  clusterTagColor: '009688',
  gatewayTagColor: 'ff9800',
} as const;

export interface WantedRole {
  name: string;
  slug: string;
  description: string;
}

export interface WantedTag {
  name: string;
  slug: string;
  color: string;
  description: string;
}

export interface WantedChoiceSet {
  name: string;
  description: string;
  /** `[value, label]` pairs, as NetBox stores them. */
  extra_choices: [string, string][];
}

export type CustomFieldType = 'text' | 'integer' | 'json' | 'select';

/** A custom field to create. `accepts` are the NetBox types whose values the daemon can still read. */
export interface WantedCustomField {
  name: string;
  type: CustomFieldType;
  accepts: readonly string[];
  object_types: string[];
  label: string;
  description: string;
  group_name: string;
  filter_logic?: 'exact' | 'loose';
  validation_minimum?: number;
  validation_maximum?: number;
  /** Name of the choice set a select field takes its choices from. */
  choiceSet?: string;
}

export interface BootstrapWant {
  roles: WantedRole[];
  tags: WantedTag[];
  choiceSets: WantedChoiceSet[];
  customFields: WantedCustomField[];
}

const POOL_OBJECTS = ['ipam.prefix', 'ipam.iprange'];
/** Writeback fields sit on addresses and on the per-node blocks (child prefixes or IP ranges). */
const WRITEBACK_OBJECTS = ['ipam.ipaddress', 'ipam.prefix', 'ipam.iprange'];
const TEXT = ['text', 'longtext'] as const;

/** The objects a NetBox needs for this cluster, in §4's words. */
export function wantedObjects(plan: BootstrapPlan): BootstrapWant {
  const d = BOOTSTRAP_DEFAULTS;
  const n: BootstrapCustomFieldNames = { ...d.customFields, ...definedOnly(plan.customFields ?? {}) };
  const clusterTag = plan.clusterTag ?? `k8s-${plan.cluster}`;
  const managedTag = plan.managedTag ?? d.managedTag;
  const gatewayTag = plan.gatewayTag ?? d.gatewayTag;
  const choiceSet = plan.choiceSet ?? d.choiceSet;
  const kinds = plan.poolKinds ?? d.poolKinds;
  const field = (
    name: string,
    type: CustomFieldType,
    label: string,
    description: string,
    more: Partial<WantedCustomField> = {},
  ): WantedCustomField => ({
    name,
    type,
    accepts: TEXT,
    object_types: POOL_OBJECTS,
    label,
    description,
    group_name: d.groupName,
    ...more,
  });
  const writeback = { object_types: WRITEBACK_OBJECTS, filter_logic: 'exact' } as const;
  return {
    roles: (plan.roles ?? d.roles).map(slug => ({
      name: slug,
      slug,
      description: 'Address space for Kubernetes IP pools (netbox-ippool-sync); each cluster maps it to a pool kind',
    })),
    tags: [
      {
        name: managedTag,
        slug: managedTag,
        color: d.managedTagColor,
        description:
          'Written by netbox-ippool-sync from live Kubernetes allocations; it never changes untagged objects',
      },
      {
        name: clusterTag,
        slug: clusterTag,
        color: d.clusterTagColor,
        description: `Published as IP pools in Kubernetes cluster ${plan.cluster} by netbox-ippool-sync`,
      },
      {
        name: gatewayTag,
        slug: gatewayTag,
        color: d.gatewayTagColor,
        description: 'The gateway of the prefix it sits in (netbox-ippool-sync publishes it as the pool gateway)',
      },
    ],
    choiceSets: [
      {
        name: choiceSet,
        description: 'Kubernetes IP pool kinds known to netbox-ippool-sync',
        extra_choices: kinds.map(k => [k, labelOf(k)]),
      },
    ],
    customFields: [
      field(n.poolKind, 'select', 'Pool kind', 'Pool kind to publish as; overrides the kind the role maps to', {
        accepts: ['select', 'text'],
        choiceSet,
      }),
      field(
        n.poolName,
        'text',
        'Pool name',
        'Pool object name (DNS-1123 label); same name, kind and namespace = one pool',
        {
          filter_logic: 'exact',
        },
      ),
      field(n.namespace, 'text', 'Namespace', 'Namespace of the pool object, for namespaced kinds'),
      field(
        n.blockSize,
        'integer',
        'Block size',
        'Per-node block: Calico blockSize, NV-IPAM perNodeBlockSize, Cilium maskSize',
        {
          accepts: ['integer', 'decimal', ...TEXT],
          validation_minimum: 1,
          validation_maximum: 128,
        },
      ),
      field(
        n.nodeSelector,
        'text',
        'Node selector',
        'Nodes that may use the pool, e.g. "zone=a,gpu in (a100)" or "all()"',
      ),
      field(n.gateway, 'text', 'Gateway', 'Gateway address of the pool, e.g. 10.20.0.1 (a /len suffix is ignored)'),
      field(
        n.namespaces,
        'text',
        'Namespaces',
        'Namespaces the pool is assigned to: comma-separated (team-a, team-b) or a JSON list (["team-a","team-b"])',
        { accepts: [...TEXT, 'json', 'multiselect'] },
      ),
      field(
        n.options,
        'json',
        'Options (JSON)',
        "JSON object merged into the pool kind's spec (escape hatch; validated)",
        {
          accepts: ['json', ...TEXT],
        },
      ),
      field(
        n.cluster,
        'text',
        'Cluster',
        'Kubernetes cluster of the live allocation (written by netbox-ippool-sync)',
        writeback,
      ),
      field(
        n.owner,
        'text',
        'Owner',
        'Holder of the allocation: namespace/pod or service (written by netbox-ippool-sync)',
        writeback,
      ),
      field(n.pool, 'text', 'Pool', 'Pool the allocation came from (written by netbox-ippool-sync)', writeback),
      field(
        n.staleSince,
        'text',
        'Stale since',
        'When the allocation went away (ISO time); the record is deleted after the grace period (written by netbox-ippool-sync)',
        writeback,
      ),
    ],
  };
}

function definedOnly(names: Partial<BootstrapCustomFieldNames>): Partial<BootstrapCustomFieldNames> {
  return Object.fromEntries(Object.entries(names).filter(([, v]) => v !== undefined && v !== ''));
}

function labelOf(kind: string): string {
  return isPoolKind(kind) ? adapterFor(kind).label : kind;
}
