import { z } from 'zod';
import { intBetween } from './kit/settings.ts';
import * as ip from '../ip/index.ts';
import type { Cidr, Family, IpRange } from '../ip/index.ts';
import type { PoolBlock } from '../model/intent.ts';
import type { PoolKindAdapter } from './adapter.ts';
import {
  compareCidrs,
  describeExclusion,
  edgeAddresses,
  familiesOf,
  isWholeNetwork,
  rangeText,
} from './kit/address-space.ts';
import { defineAdapter } from './kit/define.ts';
import type { BuildInput, BuildOutput, Spec } from './kit/define.ts';
import { familySize, FIELDS, netboxSubject, warnNotApplicable } from './kit/issues.ts';
import type { Issues } from './kit/issues.ts';
import * as read from './kit/observed.ts';
import { RESOURCES } from './resources.ts';
import { labelSelectorSchema } from './kit/selectors.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import type { ReadBack } from './adapter.ts';
import { adoptable, notAdoptable, prefixSpace, present } from './kit/readback.ts';

const KIND = 'cilium-pod';
/**
 * Cilium multi-pool IPAM: one CiliumPodIPPool (cilium.io/v2alpha1) with `ipv4`/`ipv6` CIDR lists and the per-node
 * mask size. It cannot exclude single addresses, so NetBox-held ones become conflicts (still rendered), and an IP
 * range renders only when it splits into CIDRs of at least one node block each. There is no drain.
 */

export const ciliumPodSettings = z.strictObject({
  maskSizeV4: intBetween(1, 32).default(24),
  maskSizeV6: intBetween(1, 128).default(120),
  podSelector: labelSelectorSchema.optional(),
  namespaceSelector: labelSelectorSchema.optional(),
});
type CiliumPodSettings = z.output<typeof ciliumPodSettings>;

const POOL_ANNOTATION = 'ipam.cilium.io/ip-pool';
const FAMILY_KEY = { 4: 'ipv4', 6: 'ipv6' } as const;

function blockCidrs(block: PoolBlock, maskSize: number, issues: Issues): Cidr[] {
  const whole = isWholeNetwork(block);
  const cidrs = whole ? [block.network] : ip.rangeToCidrs(block.range);
  const tooSmall = cidrs.filter(c => c.prefixLength > maskSize);
  if (tooSmall.length > 0) {
    const what = whole
      ? `prefix ${ip.formatCidr(block.network)} is`
      : `IP range ${rangeText(block.range)} splits into CIDRs (${tooSmall.map(ip.formatCidr).join(', ')}) that are`;
    issues.error(netboxSubject(block.source), `${what} smaller than one node block (/${maskSize})`, {
      field: whole ? FIELDS.blockSize : undefined,
      hint: whole
        ? 'lower k8s_block_size (Cilium maskSize) or use a larger prefix'
        : 'use a CIDR-aligned IP range or a prefix',
    });
  }
  // Cilium itself keeps the first and last address of each CIDR; only other held addresses can leak.
  const reserved = cidrs.flatMap(edgeAddresses);
  for (const e of block.exclusions) {
    if (ip.subtractRanges([e.range], reserved).length === 0) continue;
    issues.conflict(
      netboxSubject(block.source),
      `Cilium pod pools cannot exclude addresses: ${describeExclusion(e)} may be given to a pod`,
      {
        hint: 'move the address out of the prefix, or accept the risk (CiliumPodIPPool has no exclusion list)',
      },
    );
  }
  return cidrs;
}

function build({ intent, settings, issues }: BuildInput<CiliumPodSettings>): BuildOutput {
  warnNotApplicable(intent, issues, {
    nodeSelector: 'CiliumPodIPPool selects pods and namespaces, not nodes; use k8s_options podSelector',
  });
  const spec: Spec = {};
  for (const family of familiesOf(intent.blocks)) {
    const key = `maskSizeV${family}` as const;
    const bounds = { min: 1, max: ip.maxPrefixLength(family) };
    const maskSize = familySize(intent, issues, family, { key, value: settings[key], label: 'maskSize', ...bounds });
    if (maskSize === undefined) continue;
    const cidrs = intent.blocks.filter(b => b.range.family === family).flatMap(b => blockCidrs(b, maskSize, issues));
    spec[FAMILY_KEY[family]] = { cidrs: [...new Set(cidrs.sort(compareCidrs).map(ip.formatCidr))], maskSize };
  }
  if (settings.podSelector !== undefined) spec.podSelector = settings.podSelector;
  if (settings.namespaceSelector !== undefined) spec.namespaceSelector = settings.namespaceSelector;
  // Cilium reads the annotation as one pool name, not a list (crds.md §5.2).
  const namespaceAssignments = intent.namespaces.map(namespace => ({
    namespace,
    annotation: POOL_ANNOTATION,
    values: [intent.name],
    format: 'single' as const,
  }));
  return { objects: [{ type: RESOURCES.ciliumPodPool, name: intent.name, spec }], namespaceAssignments };
}

/** Both CIDR shapes: v2alpha1 strings and the v2 (upstream main) objects `{cidr, reservedRange?}`. */
function coveredCidrs(spec: Spec): IpRange[] {
  return ip.mergeRanges(
    (['ipv4', 'ipv6'] as const).flatMap(key =>
      read
        .asArray(read.at(spec, key, 'cidrs'))
        .flatMap(entry => read.cidrRangeFrom(read.asRecord(entry)?.cidr ?? entry) ?? []),
    ),
  );
}

const FAMILIES: readonly Family[] = [4, 6];

function readBack(pool: K8sObject): ReadBack {
  const spec = read.specOf(pool);
  const families = FAMILIES.filter(f => read.at(spec, FAMILY_KEY[f]) !== undefined);
  const cidrs = families.flatMap(f =>
    read.asArray(read.at(spec, FAMILY_KEY[f], 'cidrs')).map(e => read.cidrFrom(read.asRecord(e)?.cidr ?? e)),
  );
  if (cidrs.length === 0 || cidrs.some(c => c === undefined)) return notAdoptable('its cidrs are unreadable');
  const masks = Object.fromEntries(
    families.flatMap(f => {
      const size = read.at(spec, FAMILY_KEY[f], 'maskSize');
      return typeof size === 'number' ? [[`maskSizeV${f}`, size]] : [];
    }),
  );
  const [only, ...more] = Object.values(masks);
  return adoptable({
    spaces: cidrs.flatMap(c => (c === undefined ? [] : [prefixSpace(c)])),
    held: [],
    ...(only !== undefined && more.length === 0 ? { blockSize: only } : {}),
    settings: { ...(more.length > 0 ? masks : {}), ...present(spec, ['podSelector', 'namespaceSelector']) },
  });
}

export const ciliumPodAdapter: PoolKindAdapter = defineAdapter({
  kind: KIND,
  label: 'Cilium pod IP pool',
  writebackGrain: 'blocks',
  settings: ciliumPodSettings,
  drainNote: 'CiliumPodIPPool has no disabled flag; pods matching it keep getting addresses',
  owns: [
    {
      type: RESOURCES.ciliumPodPool,
      aliases: [RESOURCES.ciliumPodPoolV2],
      immutable: FAMILIES.map(f => ['spec', FAMILY_KEY[f], 'maskSize']),
      covered: coveredCidrs,
    },
  ],
  reads: [RESOURCES.ciliumNode, RESOURCES.ciliumEndpoint],
  build,
  readBack,
  allocations: (observed, unreadable) => {
    // The operator records each node CIDR under its pool's name; a pod address belongs to the pool of the node CIDR
    // it came from. Only an address in no recorded CIDR is placed by containment in the pools' CIDRs, as the
    // operator places a CIDR itself (the pool whose cidrs hold it).
    const nodeBlocks = read.listObserved(observed, RESOURCES.ciliumNode).flatMap(node =>
      read.asArray(read.at(node.spec, 'ipam', 'pools', 'allocated')).flatMap((entry, i) => {
        const name = read.asString(read.at(entry, 'pool'));
        const field = `spec.ipam.pools.allocated[${i}]`;
        if (name === undefined) {
          const reason = `pool ${read.shown(read.at(entry, 'pool'))} is not a pool name`;
          read.unreadablePart(unreadable, node, `${field}.pool`, reason);
          return [];
        }
        const via = `cilium-pod CiliumNode ${node.metadata.name} spec.ipam.pools.allocated`;
        const extras = { node: node.metadata.name, pool: read.recorded({ kind: KIND, name }) };
        return read.asArray(read.at(entry, 'cidrs')).flatMap((cidr, j) => {
          const range = read.cidrRangeFrom(cidr);
          if (range === undefined) {
            read.unreadablePart(unreadable, node, `${field}.cidrs[${j}]`, `${read.shown(cidr)} is not a CIDR`);
            return [];
          }
          return [read.allocationOf(range, read.ownerOf('Node', node), via, extras)];
        });
      }),
    );
    const pools = new read.PoolIndex(
      KIND,
      read.listObserved(observed, RESOURCES.ciliumPodPool, RESOURCES.ciliumPodPoolV2),
      coveredCidrs,
    );
    const podAddresses = read.listObserved(observed, RESOURCES.ciliumEndpoint).flatMap(endpoint =>
      read.asArray(read.at(endpoint.status, 'networking', 'addressing')).flatMap(entry =>
        FAMILIES.flatMap(family => {
          const text = read.at(entry, FAMILY_KEY[family]);
          const address = read.addressFrom(text);
          if (address === undefined) {
            if (text !== undefined && text !== '') {
              const reason = `${FAMILY_KEY[family]} ${read.shown(text)} is not an address`;
              read.unreadablePart(unreadable, endpoint, 'status.networking.addressing', reason);
            }
            return [];
          }
          // (status.networking.node is the node's IP, not its name: the node CIDR says which node.)
          const block = nodeBlocks.find(b => ip.rangeContainsAddress(b.range, address));
          const pool = block?.pool ?? pools.find(address);
          if (pool === undefined || pool === null) return [];
          const node = block?.node;
          const via = `cilium-pod CiliumEndpoint ${read.displayName(endpoint)} status.networking.addressing`;
          return [read.allocationOf(ip.rangeOfAddress(address), read.ownerOf('Pod', endpoint), via, { pool, node })];
        }),
      ),
    );
    return [...nodeBlocks, ...podAddresses];
  },
});
