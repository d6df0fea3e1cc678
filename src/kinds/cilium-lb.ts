import { z } from 'zod';
import * as ip from '../ip/index.ts';
import type { IpRange } from '../ip/index.ts';
import type { PoolBlock } from '../model/intent.ts';
import type { PoolKindAdapter } from './adapter.ts';
import { availableRanges, edgeAddresses } from './kit/address-space.ts';
import { defineAdapter, withoutDefaults } from './kit/define.ts';
import type { BuildInput, BuildOutput, Spec } from './kit/define.ts';
import { poolSubject, warnNotApplicable } from './kit/issues.ts';
import * as read from './kit/observed.ts';
import { RESOURCES } from './resources.ts';
import { labelSelector, labelSelectorSchema } from './kit/selectors.ts';
import { serviceAddresses, serviceVia } from './kit/services.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import type { ReadBack } from './adapter.ts';
import { adoptable, notAdoptable, present, spacesOfEntries } from './kit/readback.ts';

const KIND = 'cilium-lb';
/**
 * Cilium LB-IPAM: one CiliumLoadBalancerIPPool (cilium.io/v2) whose blocks are the pool's ranges split around
 * NetBox-held addresses (a `cidr` where a piece is exactly one, else `start`/`stop`). k8s_namespaces become a
 * serviceSelector on the synthetic `io.kubernetes.service.namespace` label. Draining sets `disabled: true`.
 *
 * `allowFirstLastIPs: No` means "never hand out a NetBox prefix's own first and last address". Cilium itself
 * reserves the first and last address of each `cidr` block only (not of `start`/`stop` blocks, and not of /31, /32,
 * /127, /128), so where held space splits a prefix its `cidr` pieces would lose addresses that are free and a
 * `start`/`stop` piece would hand out the prefix's broadcast address. With `No` we therefore leave those addresses
 * out ourselves, render every block as `start`/`stop`, and do not pass the setting on: the pool then means the same
 * to every Cilium release, whichever blocks it applies the setting to.
 */

export const ciliumLbSettings = z.strictObject({
  allowFirstLastIPs: z.enum(['Yes', 'No']).optional(),
  serviceSelector: labelSelectorSchema.optional(),
});
type CiliumLbSettings = z.output<typeof ciliumLbSettings>;

const SERVICE_NAMESPACE_LABEL = 'io.kubernetes.service.namespace';
/** Load-balancer classes Cilium's LB-IPAM serves besides none at all (crds.md §5.1). */
const CILIUM_LB_CLASSES: ReadonlySet<string> = new Set(['io.cilium/bgp-control-plane', 'io.cilium/l2-announcer']);

function startStop(r: IpRange): Spec {
  return {
    start: ip.formatAddress({ family: r.family, value: r.start }),
    stop: ip.formatAddress({ family: r.family, value: r.end }),
  };
}

function blockOf(r: IpRange): Spec {
  const cidr = ip.rangeAsCidr(r);
  return cidr === undefined ? startStop(r) : { cidr: ip.formatCidr(cidr) };
}

/** The first and last address of a block's NetBox prefix that lie in the block (none for /31, /32, /127, /128). */
function prefixEdges(block: PoolBlock): IpRange[] {
  return edgeAddresses(block.network).filter(edge => ip.rangeContains(block.range, edge));
}

/** The blocks Cilium may hand out: NetBox-held space left out, and with `No` each prefix's first and last address. */
function lbBlocks(blocks: readonly PoolBlock[], allowFirstLast: boolean): Spec[] {
  if (allowFirstLast) return availableRanges(blocks).map(blockOf);
  return ip.subtractRanges(availableRanges(blocks), blocks.flatMap(prefixEdges)).map(startStop);
}

function build({ intent, settings, issues }: BuildInput<CiliumLbSettings>): BuildOutput {
  warnNotApplicable(intent, issues, {
    nodeSelector: 'Cilium announces LB addresses through CiliumL2AnnouncementPolicy or BGP, not the pool',
    blockSize: 'Cilium LB pools have no per-node blocks',
  });
  const allowFirstLast = settings.allowFirstLastIPs !== 'No';
  const blocks = lbBlocks(intent.blocks, allowFirstLast);
  if (blocks.length === 0) {
    const why = allowFirstLast ? '' : " (allowFirstLastIPs: No leaves out each prefix's first and last address)";
    issues.error(poolSubject(intent), `every address of the pool is held in NetBox: nothing left to hand out${why}`);
  }
  const byNamespace =
    intent.namespaces.length === 0
      ? []
      : [{ key: SERVICE_NAMESPACE_LABEL, operator: 'In' as const, values: intent.namespaces }];
  const serviceSelector = labelSelector(byNamespace, settings.serviceSelector);
  const spec: Spec = { blocks };
  // `No` is carried out above; `Yes` is what Cilium does when the field is unset, and is passed on as written.
  if (settings.allowFirstLastIPs === 'Yes') spec.allowFirstLastIPs = 'Yes';
  if (serviceSelector !== undefined) spec.serviceSelector = serviceSelector;
  return { objects: [{ type: RESOURCES.ciliumLbPool, name: intent.name, spec }] };
}

/** `cidr`, or `start` with an optional `stop` (a lone start is one address). */
function coveredBlocks(spec: Spec): IpRange[] {
  return ip.mergeRanges(
    read.asArray(spec.blocks).flatMap(entry => {
      const block = read.asRecord(entry);
      const cidr = read.cidrFrom(block?.cidr, true);
      if (cidr !== undefined) return [ip.cidrRange(cidr)];
      return read.rangeBetween(block?.start, block?.stop ?? block?.start) ?? [];
    }),
  );
}

/** The service selector split into k8s_namespaces (its namespace `In` requirement) and the rest. */
function serviceSelectorOf(spec: Spec): { namespaces: string[]; rest?: Record<string, unknown> } {
  const selector = read.asRecord(spec.serviceSelector);
  if (selector === undefined) return { namespaces: [] };
  const expressions = read.asArray(selector.matchExpressions);
  const byNamespace = expressions.find(
    e => read.at(e, 'key') === SERVICE_NAMESPACE_LABEL && read.at(e, 'operator') === 'In',
  );
  const others = expressions.filter(e => e !== byNamespace);
  const rest = { ...selector, ...(others.length === 0 ? {} : { matchExpressions: others }) };
  if (others.length === 0) delete rest.matchExpressions;
  const namespaces = read.asArray(read.at(byNamespace, 'values')).filter(v => typeof v === 'string');
  return { namespaces, ...(Object.keys(rest).length === 0 ? {} : { rest }) };
}

function readBack(pool: K8sObject): ReadBack {
  const spec = read.specOf(pool);
  const entries = read.asArray(spec.blocks).map(entry => {
    const block = read.asRecord(entry);
    const cidr = read.cidrFrom(block?.cidr);
    if (cidr !== undefined) return { range: ip.cidrRange(cidr), cidr: true };
    const range = read.rangeBetween(block?.start, block?.stop ?? block?.start);
    return range === undefined ? undefined : { range, cidr: false };
  });
  if (entries.length === 0 || entries.some(e => e === undefined)) return notAdoptable('spec.blocks is unreadable');
  const selector = serviceSelectorOf(spec);
  return adoptable({
    ...spacesOfEntries(entries.flatMap(e => e ?? [])),
    ...(selector.namespaces.length === 0 ? {} : { namespaces: selector.namespaces }),
    ...(spec.disabled === true ? { draining: true } : {}),
    settings: {
      ...present(spec, ['allowFirstLastIPs']),
      ...(selector.rest === undefined ? {} : { serviceSelector: selector.rest }),
    },
  });
}

export const ciliumLbAdapter: PoolKindAdapter = defineAdapter({
  kind: KIND,
  label: 'Cilium LB IPAM',
  writebackGrain: 'addresses',
  settings: ciliumLbSettings,
  drainNote: 'Cilium LB pools drain by disabled: true',
  owns: [
    {
      type: RESOURCES.ciliumLbPool,
      aliases: [RESOURCES.ciliumLbPoolV2alpha1],
      normaliseSpec: spec => withoutDefaults(spec, { disabled: false }),
      drain: spec => ({ ...spec, disabled: true }),
      covered: coveredBlocks,
    },
  ],
  reads: [RESOURCES.service],
  build,
  readBack,
  allocations: (observed, unreadable) => {
    // No annotation names the pool: LB-IPAM itself finds a Service address's pool by containment (crds.md §5.1),
    // among the pools it allocates from: one it marked conflicting (an overlap) is not one of them.
    const pools = new read.PoolIndex(
      KIND,
      read.listObserved(observed, RESOURCES.ciliumLbPool, RESOURCES.ciliumLbPoolV2alpha1),
      coveredBlocks,
      pool =>
        !read
          .asArray(read.at(pool.status, 'conditions'))
          .some(c => read.at(c, 'type') === 'cilium.io/PoolConflict' && read.at(c, 'status') === 'True'),
    );
    return serviceAddresses(observed, unreadable).flatMap(s => {
      // LB-IPAM serves Services without a load-balancer class, or with one of its own.
      const lbClass = read.asString(read.at(s.service.spec, 'loadBalancerClass'));
      if (lbClass !== undefined && !CILIUM_LB_CLASSES.has(lbClass)) return [];
      const pool = pools.find(s.address);
      const via = serviceVia(KIND, s, ' (pool by containment)');
      return pool === undefined ? [] : [read.allocationOf(ip.rangeOfAddress(s.address), s.owner, via, { pool })];
    });
  },
});
