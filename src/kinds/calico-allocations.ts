import * as ip from '../ip/index.ts';
import type { Cidr } from '../ip/index.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import type { AllocationPool } from '../model/allocation.ts';
import type { IpRange } from '../ip/index.ts';
import type { ObservedObjects } from '../model/k8s-object.ts';
import type { Allocation, ReportUnreadable } from '../model/allocation.ts';
import type { Spec } from './kit/define.ts';
import * as read from './kit/observed.ts';
import { RESOURCES } from './resources.ts';

/**
 * What the Calico adapter reads back from the cluster: the address space of an IPPool, and live allocations from
 * IPAMBlocks and BlockAffinities (crd.projectcalico.org/v1, or projectcalico.org/v3 in native-CRD mode).
 */

export function coveredCidr(spec: Spec): IpRange[] {
  const range = read.cidrRangeFrom(spec.cidr);
  return range === undefined ? [] : [range];
}

/**
 * Where two pools overlap, the one kube-controllers marked `Allocatable=False` for `CIDROverlap` (the newer) is the
 * one Calico does not allocate from (v3-CRD mode; API-server mode refuses overlapping pools).
 */
function notOverlapping(pool: K8sObject): boolean {
  return !read
    .asArray(read.at(pool.status, 'conditions'))
    .some(c => read.at(c, 'type') === 'Allocatable' && read.at(c, 'reason') === 'CIDROverlap');
}

/**
 * Live allocations, attributed as Calico does: an IPAM block belongs to the IPPool whose CIDR holds the whole block
 * (Calico carves blocks out of pools and keeps no other record), and every address in a block to the block's pool.
 * A block no observed pool holds (its pool deleted) belongs to none: `pool: null`.
 */
export function calicoAllocations(
  observed: ObservedObjects,
  unreadable: ReportUnreadable = () => undefined,
): Allocation[] {
  const pools = new read.PoolIndex(
    'calico',
    read.listObserved(observed, RESOURCES.calicoIpPool),
    coveredCidr,
    notOverlapping,
  );
  const poolOf = (cidr: Cidr) => pools.find(ip.cidrRange(cidr)) ?? null;
  return [...nodeBlocks(observed, poolOf, unreadable), ...addressAllocations(observed, poolOf, unreadable)];
}

type PoolOf = (block: Cidr) => AllocationPool | null;

/** Per-node blocks: BlockAffinity when present, else the IPAMBlock's own `host:` affinity. */
function nodeBlocks(observed: ObservedObjects, poolOf: PoolOf, unreadable: ReportUnreadable): Allocation[] {
  const confirmed = read
    .listObserved(observed, RESOURCES.calicoBlockAffinityV1, RESOURCES.calicoBlockAffinityV3)
    .flatMap(affinity => {
      const spec = read.specOf(affinity);
      const deleted = spec.deleted === true || spec.deleted === 'true';
      const cidr = read.cidrFrom(spec.cidr);
      const node = read.asString(spec.node);
      if (deleted || spec.state !== 'confirmed') return [];
      if (cidr === undefined || node === undefined) {
        const [field, value] = cidr === undefined ? ['spec.cidr', spec.cidr] : ['spec.node', spec.node];
        read.unreadablePart(
          unreadable,
          affinity,
          field,
          `confirmed affinity with unreadable ${field} ${read.shown(value)}`,
        );
        return [];
      }
      return [{ cidr, node, via: `calico BlockAffinity ${affinity.metadata.name}` }];
    });
  const affine = read
    .listObserved(observed, RESOURCES.calicoIpamBlockV1, RESOURCES.calicoIpamBlockV3)
    .flatMap(block => {
      const cidr = read.cidrFrom(read.specOf(block).cidr);
      const node = /^host:(.+)$/.exec(read.asString(read.specOf(block).affinity) ?? '')?.[1];
      if (cidr === undefined || node === undefined) return [];
      if (confirmed.some(c => ip.formatCidr(c.cidr) === ip.formatCidr(cidr))) return [];
      return [{ cidr, node, via: `calico IPAMBlock ${block.metadata.name} spec.affinity` }];
    });
  return [...confirmed, ...affine].map(b =>
    read.allocationOf(ip.cidrRange(b.cidr), { kind: 'Node', name: b.node }, b.via, {
      node: b.node,
      pool: poolOf(b.cidr),
    }),
  );
}

/** Who an IPAMBlock attribute says holds an address. */
function ownerOfAttribute(attribute: Record<string, unknown>): Allocation['owner'] {
  const secondary = read.asRecord(attribute.secondary) ?? {};
  const [pod, service, namespace, node] = ['pod', 'service', 'namespace', 'node'].map(k => read.asString(secondary[k]));
  const name = pod ?? service;
  if (name !== undefined)
    return { kind: pod !== undefined ? 'Pod' : 'Service', name, ...(namespace === undefined ? {} : { namespace }) };
  if (node !== undefined) return { kind: 'Node', name: node };
  return { kind: 'Other', name: read.asString(attribute.handle_id) ?? 'unknown' };
}

function addressAllocations(observed: ObservedObjects, poolOf: PoolOf, unreadable: ReportUnreadable): Allocation[] {
  return read.listObserved(observed, RESOURCES.calicoIpamBlockV1, RESOURCES.calicoIpamBlockV3).flatMap(block => {
    const spec = read.specOf(block);
    const cidr = read.cidrFrom(spec.cidr);
    if (cidr === undefined) {
      read.unreadablePart(unreadable, block, 'spec.cidr', `${read.shown(spec.cidr)} is not a CIDR`);
      return [];
    }
    const attributes = read.asArray(spec.attributes);
    const affinityNode = /^host:(.+)$/.exec(read.asString(spec.affinity) ?? '')?.[1];
    const pool = poolOf(cidr);
    return read.asArray(spec.allocations).flatMap((index, ordinal) => {
      if (index === null || index === undefined) return []; // a free ordinal
      const field = `spec.allocations[${ordinal}]`;
      if (BigInt(ordinal) >= ip.cidrSize(cidr)) {
        read.unreadablePart(unreadable, block, field, `ordinal ${ordinal} lies past the block ${ip.formatCidr(cidr)}`);
        return [];
      }
      const attribute = Number.isSafeInteger(index) ? read.asRecord(attributes[index as number]) : undefined;
      if (attribute === undefined) {
        const reason = `attribute index ${read.shown(index)} names no attribute (the block has ${attributes.length})`;
        read.unreadablePart(unreadable, block, field, reason);
        return [];
      }
      // releasedAt: released but cooling down; neither held by its old owner nor free yet.
      if ((attribute.releasedAt ?? null) !== null) return [];
      const address = ip.addressAtOffset(cidr, BigInt(ordinal));
      const node = read.asString(read.at(attribute.secondary, 'node')) ?? affinityNode;
      const via = `calico IPAMBlock ${block.metadata.name} spec.allocations[${ordinal}]`;
      return [
        read.allocationOf(ip.rangeOfAddress(address), ownerOfAttribute(attribute), via, {
          node,
          pool,
        }),
      ];
    });
  });
}
