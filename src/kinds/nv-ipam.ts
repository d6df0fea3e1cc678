import { z } from 'zod';
import * as ip from '../ip/index.ts';
import type { IpRange } from '../ip/index.ts';
import type { PoolIntent } from '../model/intent.ts';
import type { PoolKindAdapter } from './adapter.ts';
import { availableRanges, blockRanges, groupByNetwork, heldRanges, memberName } from './kit/address-space.ts';
import type { NetworkGroup } from './kit/address-space.ts';
import { defineAdapter } from './kit/define.ts';
import type { BuildInput, BuildOutput, Spec } from './kit/define.ts';
import { FIELDS, netboxSubject, settingField, poolSubject, warnNotApplicable } from './kit/issues.ts';
import type { Issues } from './kit/issues.ts';
import * as read from './kit/observed.ts';
import { RESOURCES } from './resources.ts';
import { labelRequirements, nodeSelector } from './kit/selectors.ts';
import { cidrText } from './kit/settings.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import type { ReportUnreadable } from '../model/allocation.ts';
import type { ReadBack } from './adapter.ts';
import { adoptable, notAdoptable, prefixSpace, present, requirementsOf, selectorText } from './kit/readback.ts';

const KIND = 'nv-ipam';
const DEFAULT_NAMESPACE = 'kube-system';
/**
 * NVIDIA NV-IPAM: one IPPool (nv-ipam.nvidia.com/v1alpha1) per subnet, cut by the controller into per-node blocks
 * of perNodeBlockSize. IP ranges render as their parent subnet with the complement excluded. Validated here as the
 * optional webhook would, because without it the controller drops every allocation of an invalid pool. No drain.
 */

const perNodeExclusion = z
  .strictObject({ startIndex: z.number().int().min(0), endIndex: z.number().int().min(0) })
  .refine(e => e.endIndex >= e.startIndex, { message: 'endIndex must be greater than or equal to startIndex' });

export const nvIpamSettings = z.strictObject({
  namespace: z.string().min(1).default(DEFAULT_NAMESPACE),
  /** At least 1, as upstream validates it since single-address node blocks (and /32, /128 subnets) are supported. */
  perNodeBlockSize: z.number().int().min(1).default(32),
  defaultGateway: z.boolean().optional(),
  routes: z.array(z.strictObject({ dst: cidrText })).optional(),
  perNodeExclusions: z.array(perNodeExclusion).optional(),
});
type NvIpamSettings = z.output<typeof nvIpamSettings>;

const BLOCK_LAYOUT = [
  ['spec', 'subnet'],
  ['spec', 'perNodeBlockSize'],
] as const;
const NETWORK_STATUS = 'k8s.v1.cni.cncf.io/network-status';

function exclusionsOf(group: NetworkGroup): Spec[] {
  const outside = ip.subtractRanges([ip.cidrRange(group.network)], blockRanges(group.blocks));
  return ip.mergeRanges([...heldRanges(group.blocks), ...outside]).map(r => ({
    startIP: ip.formatAddress({ family: r.family, value: r.start }),
    endIP: ip.formatAddress({ family: r.family, value: r.end }),
  }));
}

function poolSpec(intent: PoolIntent, group: NetworkGroup, settings: NvIpamSettings, issues: Issues): Spec {
  const first = group.blocks[0];
  const subject = first === undefined ? poolSubject(intent) : netboxSubject(first.source);
  const subnet = ip.formatCidr(group.network);
  const blockSize = intent.blockSize ?? settings.perNodeBlockSize;
  const usable = ip.rangeSize(ip.usableRange(group.network));
  // As upstream's IPPool validation: at least 1, at most the subnet's host addresses (ip.usableRange counts them
  // as upstream does: IPv4 without network and broadcast, IPv6 without the subnet address, all of /31, /32, /127, /128).
  if (blockSize < 1 || BigInt(blockSize) > usable) {
    const field = intent.blockSize !== undefined ? FIELDS.blockSize : settingField(intent, ['perNodeBlockSize']);
    issues.error(
      subject,
      `perNodeBlockSize ${blockSize} must be between 1 and the ${usable} usable addresses of ${subnet}`,
      { field },
    );
  }
  const available = availableRanges(group.blocks).reduce((n, r) => n + ip.rangeSize(r), 0n);
  if (available < BigInt(blockSize)) {
    issues.warning(
      subject,
      `only ${available} addresses of ${subnet} are left after exclusions, fewer than one node block (${blockSize})`,
    );
  }
  const gateway = group.blocks.find(b => b.gateway !== undefined)?.gateway;
  if (gateway !== undefined && !ip.cidrContainsAddress(group.network, gateway)) {
    issues.error(subject, `gateway ${ip.formatAddress(gateway)} is outside the subnet ${subnet}`, {
      field: FIELDS.gateway,
    });
  }
  for (const key of ['defaultGateway', 'routes'] as const) {
    if (settings[key] !== undefined && gateway === undefined) {
      issues.error(subject, `${key} needs a gateway, and ${subnet} has none`, {
        field: settingField(intent, [key]),
        hint: 'set k8s_gateway on the prefix or record a gateway address in NetBox',
      });
    }
  }
  for (const e of settings.perNodeExclusions ?? []) {
    if (e.endIndex >= blockSize) {
      issues.error(
        poolSubject(intent),
        `perNodeExclusions index ${e.endIndex} is outside a node block of ${blockSize}`,
        {
          field: settingField(intent, ['perNodeExclusions']),
        },
      );
    }
  }
  const exclusions = exclusionsOf(group);
  const spec: Spec = { subnet, perNodeBlockSize: blockSize };
  if (gateway !== undefined) spec.gateway = ip.formatAddress(gateway);
  if (exclusions.length > 0) spec.exclusions = exclusions;
  for (const key of ['defaultGateway', 'routes', 'perNodeExclusions'] as const) {
    if (settings[key] !== undefined) spec[key] = settings[key];
  }
  return spec;
}

function build({ intent, settings, issues }: BuildInput<NvIpamSettings>): BuildOutput {
  warnNotApplicable(intent, issues, {
    namespaces: 'NV-IPAM pools are chosen by the CNI config poolName, not by namespace',
  });
  const selector = nodeSelector(labelRequirements(intent, issues) ?? []);
  const groups = groupByNetwork(intent.blocks);
  const named = groups.map(group => ({
    group,
    name: groups.length === 1 ? intent.name : memberName(intent.name, group.network),
  }));
  if (named.length > 1) {
    issues.warning(
      poolSubject(intent),
      `an NV-IPAM IPPool holds one subnet, so this pool renders as ${named.map(n => n.name).join(', ')}`,
      {
        hint: 'list all of them in the CNI config poolName',
      },
    );
  }
  const namespace = intent.namespace ?? settings.namespace;
  const objects = named.map(({ group, name }) => {
    const spec = poolSpec(intent, group, settings, issues);
    return {
      type: RESOURCES.nvIpamIpPool,
      name,
      namespace,
      spec: selector === undefined ? spec : { ...spec, nodeSelector: selector },
    };
  });
  return { objects };
}

function coveredSubnet(spec: Spec): IpRange[] {
  const subnet = read.cidrFrom(spec.subnet);
  if (subnet === undefined) return [];
  const excluded = read
    .asArray(spec.exclusions)
    .flatMap(e => read.rangeBetween(read.at(e, 'startIP'), read.at(e, 'endIP')) ?? []);
  return ip.subtractRanges([ip.cidrRange(subnet)], excluded);
}

/** A core NodeSelector of one term of match expressions as `k8s_node_selector` text. */
function selectorOf(spec: Spec): { text?: string } | string {
  const terms = read.asArray(read.at(spec.nodeSelector, 'nodeSelectorTerms'));
  if (terms.length === 0) return {};
  const [term, ...more] = terms;
  if (more.length > 0) return 'its nodeSelector has several terms (OR), which k8s_node_selector cannot spell';
  if (read.at(term, 'matchFields') !== undefined) return 'its nodeSelector uses matchFields';
  const reqs = requirementsOf({ matchExpressions: read.at(term, 'matchExpressions') });
  if (reqs === undefined) return 'its nodeSelector has an operator k8s_node_selector cannot spell (Gt, Lt)';
  return reqs.length === 0 ? {} : { text: selectorText(reqs) };
}

function readBack(pool: K8sObject): ReadBack {
  const spec = read.specOf(pool);
  const subnet = read.cidrFrom(spec.subnet);
  if (subnet === undefined) return notAdoptable('spec.subnet is not a CIDR');
  const held = read.asArray(spec.exclusions).map(e => read.rangeBetween(read.at(e, 'startIP'), read.at(e, 'endIP')));
  if (held.some(h => h === undefined)) return notAdoptable('an exclusion is not a startIP-endIP range');
  const selector = selectorOf(spec);
  if (typeof selector === 'string') return notAdoptable(selector);
  const blockSize = typeof spec.perNodeBlockSize === 'number' ? spec.perNodeBlockSize : undefined;
  const gateway = read.addressFrom(spec.gateway);
  return adoptable({
    spaces: [prefixSpace(subnet)],
    held: held.flatMap(h => h ?? []),
    ...(blockSize === undefined ? {} : { blockSize }),
    ...(selector.text === undefined ? {} : { nodeSelector: selector.text }),
    ...(gateway === undefined ? {} : { gateway }),
    settings: present(spec, ['defaultGateway', 'routes', 'perNodeExclusions']),
  });
}

export const nvIpamAdapter: PoolKindAdapter = defineAdapter({
  kind: KIND,
  label: 'NVIDIA IPAM',
  writebackGrain: 'blocks',
  defaultNamespace: DEFAULT_NAMESPACE,
  needsSubnet: true,
  defaultRole: 'k8s-rdma',
  settings: nvIpamSettings,
  drainNote: 'an NV-IPAM IPPool has no disabled flag; nodes keep their blocks and pods keep getting addresses',
  owns: [
    {
      type: RESOURCES.nvIpamIpPool,
      // Changing them makes the controller re-cut every node block (crds.md §2.4): replace only while nodes hold blocks.
      immutable: obj => (read.asArray(read.at(obj.status, 'allocations')).length > 0 ? BLOCK_LAYOUT : []),
      covered: coveredSubnet,
    },
  ],
  reads: [RESOURCES.pod],
  build,
  readBack,
  allocations: (observed, unreadable) => {
    const pools = read.listObserved(observed, RESOURCES.nvIpamIpPool);
    const nodeBlocks = pools.flatMap(pool =>
      read.asArray(read.at(pool.status, 'allocations')).flatMap((entry, i) => {
        const range = read.rangeBetween(read.at(entry, 'startIP'), read.at(entry, 'endIP'));
        const node = read.asString(read.at(entry, 'nodeName'));
        if (range === undefined || node === undefined) {
          const reason =
            range === undefined
              ? `startIP ${read.shown(read.at(entry, 'startIP'))} – endIP ${read.shown(read.at(entry, 'endIP'))} is not an address range`
              : `nodeName ${read.shown(read.at(entry, 'nodeName'))} is not a node name`;
          read.unreadablePart(unreadable, pool, `status.allocations[${i}]`, reason);
          return [];
        }
        const via = `nv-ipam IPPool ${read.displayName(pool)} status.allocations`;
        const ref = read.recorded(read.poolRef(KIND, pool));
        return [read.allocationOf(range, { kind: 'Node', name: node }, via, { node, pool: ref })];
      }),
    );
    const index = new read.PoolIndex(KIND, pools, coveredSubnet);
    // Pod IPs are only on the nodes' disks; the Multus network-status annotation is the API-visible copy. The node
    // agent hands a pod an address from its node's block of the pool, so that block names the pool (the same
    // subnet in two pools for two networks stays apart); an address in no block is placed by the pools' subnets.
    const podAddresses = read.listObserved(observed, RESOURCES.pod).flatMap(pod =>
      networkStatus(pod, unreadable).flatMap(network =>
        read.asArray(read.at(network, 'ips')).flatMap(text => {
          const address = read.addressFrom(text);
          if (address === undefined) {
            const reason = `ip ${read.shown(text)} is not an address`;
            read.unreadablePart(unreadable, pod, `metadata.annotations[${NETWORK_STATUS}]`, reason);
            return [];
          }
          const nodeName = read.asString(read.at(pod.spec, 'nodeName'));
          const block = nodeBlocks.find(b => b.node === nodeName && ip.rangeContainsAddress(b.range, address));
          const pool = block?.pool ?? index.find(address);
          if (pool === undefined || pool === null) return [];
          const via = `nv-ipam Pod ${read.displayName(pod)} ${NETWORK_STATUS}`;
          const extras = {
            pool,
            node: nodeName,
            interface: read.asString(read.at(network, 'interface')),
          };
          return [read.allocationOf(ip.rangeOfAddress(address), read.ownerOf('Pod', pod), via, extras)];
        }),
      ),
    );
    return [...nodeBlocks, ...podAddresses];
  },
});

/** The networks of a pod's Multus network-status annotation; text that is not a JSON list is reported, not read. */
function networkStatus(pod: K8sObject, unreadable: ReportUnreadable): readonly unknown[] {
  const text = pod.metadata.annotations?.[NETWORK_STATUS];
  if (text === undefined) return [];
  const parsed = read.parseJson(text);
  if (!Array.isArray(parsed)) {
    const reason = `${read.shown(text)} is not a JSON list of networks`;
    read.unreadablePart(unreadable, pod, `metadata.annotations[${NETWORK_STATUS}]`, reason);
    return [];
  }
  return parsed;
}
