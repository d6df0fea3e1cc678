import { z } from 'zod';
import { intBetween } from './kit/settings.ts';
import * as ip from '../ip/index.ts';
import type { Cidr, Family, IpRange } from '../ip/index.ts';
import type { PoolBlock, PoolIntent } from '../model/intent.ts';
import type { PoolKindAdapter } from './adapter.ts';
import type { NamespaceAssignment } from '../model/desired.ts';
import {
  blockRanges,
  compareCidrs,
  familiesOf,
  heldRanges,
  isWholeNetwork,
  memberName,
  rangesAsCidrs,
  rangeText,
} from './kit/address-space.ts';
import { defineAdapter, sortedSet, withoutDefaults } from './kit/define.ts';
import type { BuildInput, BuildOutput, DesiredObject, Spec } from './kit/define.ts';
import { familySize, FIELDS, netboxSubject, settingField, poolSubject } from './kit/issues.ts';
import type { Issues } from './kit/issues.ts';
import * as read from './kit/observed.ts';
import { RESOURCES } from './resources.ts';
import { calicoAllocations, coveredCidr } from './calico-allocations.ts';
import { calicoSelector } from './kit/selectors.ts';
import type { K8sObject, ObservedObjects } from '../model/k8s-object.ts';
import type { ReadBack } from './adapter.ts';
import { adoptable, notAdoptable, prefixSpace, present } from './kit/readback.ts';

const KIND = 'calico';
/**
 * Calico: one projectcalico.org/v3 IPPool per CIDR (a pool with several blocks renders one IPPool per block, named
 * `<pool>-<cidr>`), plus one IPReservation for NetBox-held addresses and for the parts of block-aligned CIDRs that
 * lie outside an IP range. Everything Calico would reject is rejected here first, with our own message.
 * Draining sets `disabled: true`: no new addresses, existing ones stay.
 */

const MODES = ['Never', 'Always', 'CrossSubnet'] as const;
const USES = ['Workload', 'Tunnel', 'LoadBalancer'] as const;

export const calicoSettings = z.strictObject({
  /** The Calico release in the cluster; gates fields older releases do not know. */
  calicoVersion: z
    .string()
    .regex(/^\d+\.\d+(\.\d+)?$/, 'expected a version such as 3.30')
    .default('3.30'),
  blockSizeV4: intBetween(20, 32).default(26),
  blockSizeV6: intBetween(116, 128).default(122),
  ipipMode: z.enum(MODES).default('Never'),
  vxlanMode: z.enum(MODES).default('Always'),
  natOutgoing: z.boolean().default(true),
  allowedUses: z.array(z.enum(USES)).min(1).optional(),
  assignmentMode: z.enum(['Automatic', 'Manual']).optional(),
  disableBGPExport: z.boolean().optional(),
  namespaceSelector: z.string().min(1).max(1024).optional(),
});
type CalicoSettings = z.output<typeof calicoSettings>;

/**
 * Encapsulation is one choice made with two keys, and Calico refuses a pool with both IPIP and VXLAN enabled. So a
 * settings layer (`kinds.calico`, or an object's `k8s_options`) that names one mode turns the other off, unless it
 * names both: `ipipMode: CrossSubnet` alone means IPIP instead of the default VXLAN, not both.
 */
export function encapsulationLayer(keys: Record<string, unknown>): Record<string, unknown> {
  const ipip = Object.hasOwn(keys, 'ipipMode');
  const vxlan = Object.hasOwn(keys, 'vxlanMode');
  if (ipip && !vxlan) return { ...keys, vxlanMode: 'Never' };
  if (vxlan && !ipip) return { ...keys, ipipMode: 'Never' };
  return keys;
}

const BLOCK_SIZES: Record<Family, { min: number; max: number; fallback: number }> = {
  4: { min: 20, max: 32, fallback: 26 },
  6: { min: 116, max: 128, fallback: 122 },
};
const LINK_LOCAL: Record<Family, IpRange> = {
  4: ip.cidrRange(ip.parseCidr('169.254.0.0/16')),
  6: ip.cidrRange(ip.parseCidr('fe80::/10')),
};
/** Fields a release must have before we may render them (crds.md §3.2). */
const SINCE: Partial<Record<keyof CalicoSettings, [number, number]>> = {
  assignmentMode: [3, 30],
  namespaceSelector: [3, 31],
};
const POOL_ANNOTATIONS: Record<Family, string> = {
  4: 'cni.projectcalico.org/ipv4pools',
  6: 'cni.projectcalico.org/ipv6pools',
};

interface Member {
  cidr: Cidr;
  block: PoolBlock;
  blockSize: number;
}

/** Pool-wide rules from the CRD's CEL validations and libcalico's validator. */
function checkSettings(intent: PoolIntent, s: CalicoSettings, selector: string, issues: Issues): void {
  const problems = [...versionProblems(s), ...combinationProblems(s, selector), ...selectorProblems(s, selector)];
  for (const [key, reason] of problems) {
    issues.error(poolSubject(intent), reason, {
      field: key === 'nodeSelector' ? FIELDS.nodeSelector : settingField(intent, [key]),
    });
  }
}

/** A setting Calico would reject, and why. */
type SettingProblem = [key: string, reason: string];

/** Fields the configured Calico release does not know yet. */
function versionProblems(s: CalicoSettings): SettingProblem[] {
  const [major = 0, minor = 0] = s.calicoVersion.split('.').map(Number);
  const problems: SettingProblem[] = [];
  for (const [key, [M, m]] of Object.entries(SINCE) as [keyof CalicoSettings, [number, number]][]) {
    if (s[key] !== undefined && (major < M || (major === M && minor < m)))
      problems.push([key, `${key} needs Calico ${M}.${m} or newer (calicoVersion is ${s.calicoVersion})`]);
  }
  return problems;
}

/** Settings that are each valid but cannot go together. */
function combinationProblems(s: CalicoSettings, selector: string): SettingProblem[] {
  const uses = s.allowedUses ?? [];
  const loadBalancer = uses.includes('LoadBalancer');
  const rules: [broken: boolean, ...SettingProblem][] = [
    [s.ipipMode !== 'Never' && s.vxlanMode !== 'Never', 'ipipMode', 'ipipMode and vxlanMode cannot both be enabled'],
    [
      loadBalancer && uses.length > 1,
      'allowedUses',
      'LoadBalancer cannot be combined with Workload or Tunnel allowed uses',
    ],
    [
      loadBalancer && (s.ipipMode !== 'Never' || s.vxlanMode !== 'Never'),
      'allowedUses',
      'a LoadBalancer pool cannot use IPIP or VXLAN; set ipipMode and vxlanMode to Never',
    ],
    [
      loadBalancer && selector !== 'all()',
      'nodeSelector',
      'a LoadBalancer pool must select all nodes (nodeSelector all())',
    ],
    [loadBalancer && s.disableBGPExport === true, 'disableBGPExport', 'a LoadBalancer pool cannot disable BGP export'],
    [
      uses.includes('Tunnel') && s.namespaceSelector !== undefined,
      'namespaceSelector',
      'a pool with allowed use Tunnel cannot have a namespaceSelector',
    ],
  ];
  return rules.filter(([broken]) => broken).map(([, key, reason]): SettingProblem => [key, reason]);
}

/** What libcalico's validator refuses in a selector of an IPPool. */
function selectorProblems(s: CalicoSettings, selector: string): SettingProblem[] {
  const problems: SettingProblem[] = [];
  for (const [key, value] of [
    ['nodeSelector', selector],
    ['namespaceSelector', s.namespaceSelector ?? ''],
  ] as const) {
    if (value.includes('global(')) problems.push([key, `global() is not valid in an IPPool ${key}`]);
    if (value.length > 1024) problems.push([key, `${key} is longer than 1024 characters`]);
  }
  return problems;
}

function blockSizeFor(intent: PoolIntent, s: CalicoSettings, family: Family, issues: Issues): number | undefined {
  const key = `blockSizeV${family}` as const;
  return familySize(intent, issues, family, { key, value: s[key], label: 'blockSize', ...BLOCK_SIZES[family] });
}

/** Pool CIDRs for one block: the prefix itself, or an IP range widened to whole blocks inside its network. */
function memberCidrs(block: PoolBlock, blockSize: number, issues: Issues): Cidr[] {
  const subject = netboxSubject(block.source);
  if (isWholeNetwork(block)) {
    if (block.network.prefixLength <= blockSize) return [block.network];
    issues.error(subject, `prefix ${ip.formatCidr(block.network)} is smaller than one Calico block (/${blockSize})`, {
      field: FIELDS.blockSize,
      hint: `use a /${blockSize} or larger prefix, or a larger k8s_block_size`,
    });
    return [];
  }
  const size = 1n << BigInt(ip.maxPrefixLength(block.range.family) - blockSize);
  const aligned = {
    family: block.range.family,
    start: block.range.start - (block.range.start % size),
    end: block.range.end - (block.range.end % size) + size - 1n,
  };
  if (!ip.rangeContains(ip.cidrRange(block.network), aligned)) {
    issues.error(
      subject,
      `IP range ${rangeText(block.range)} needs Calico pool CIDRs ${rangeText(aligned)} aligned to /${blockSize}, which reach outside its network ${ip.formatCidr(block.network)} into addresses owned by others`,
      {
        hint: `align the range to /${blockSize} boundaries or use a larger k8s_block_size`,
      },
    );
    return [];
  }
  return ip.rangeToCidrs(aligned);
}

function members(intent: PoolIntent, s: CalicoSettings, issues: Issues): Member[] {
  const sizes = new Map(familiesOf(intent.blocks).map(f => [f, blockSizeFor(intent, s, f, issues)]));
  const all = intent.blocks.flatMap(block => {
    const blockSize = sizes.get(block.range.family);
    return blockSize === undefined
      ? []
      : memberCidrs(block, blockSize, issues).map(cidr => ({ cidr, block, blockSize }));
  });
  // Sorted outermost first; aligned CIDRs nest or are disjoint, so keep each nest's outermost (two ranges in one block).
  all.sort((a, b) => compareCidrs(a.cidr, b.cidr));
  const kept: Member[] = [];
  for (const m of all) if (!kept.some(k => ip.rangeContains(ip.cidrRange(k.cidr), ip.cidrRange(m.cidr)))) kept.push(m);
  for (const m of kept) {
    if (ip.rangesOverlap(ip.cidrRange(m.cidr), LINK_LOCAL[m.cidr.family])) {
      issues.error(
        netboxSubject(m.block.source),
        `${ip.formatCidr(m.cidr)} overlaps the link-local range ${rangeText(LINK_LOCAL[m.cidr.family])}`,
      );
    }
    if (m.cidr.family === 6 && s.ipipMode !== 'Never') {
      issues.error(netboxSubject(m.block.source), `IPIP is not supported on IPv6 pools (${ip.formatCidr(m.cidr)})`, {
        field: settingField(intent, ['ipipMode']),
      });
    }
  }
  return kept;
}

function poolSpec(cidr: Cidr, blockSize: number, s: CalicoSettings, selector: string): Spec {
  const spec: Spec = {
    cidr: ip.formatCidr(cidr),
    blockSize,
    ipipMode: s.ipipMode,
    vxlanMode: s.vxlanMode,
    natOutgoing: s.natOutgoing,
    nodeSelector: selector,
  };
  for (const key of ['allowedUses', 'assignmentMode', 'disableBGPExport', 'namespaceSelector'] as const) {
    if (s[key] !== undefined) spec[key] = key === 'allowedUses' ? sortedSet(s[key]) : s[key];
  }
  return spec;
}

function build({ intent, settings, issues }: BuildInput<CalicoSettings>): BuildOutput {
  const selector =
    intent.nodeSelector?.syntax === 'calico-expression'
      ? intent.nodeSelector.raw
      : calicoSelector(intent.nodeSelector?.requirements ?? []);
  checkSettings(intent, settings, selector, issues);
  const kept = members(intent, settings, issues);
  const named = kept.map(m => ({ ...m, name: kept.length === 1 ? intent.name : memberName(intent.name, m.cidr) }));
  const objects: DesiredObject[] = named.map(m => ({
    type: RESOURCES.calicoIpPool,
    name: m.name,
    spec: poolSpec(m.cidr, m.blockSize, settings, selector),
  }));
  const surplus = ip.subtractRanges(
    kept.map(m => ip.cidrRange(m.cidr)),
    blockRanges(intent.blocks),
  );
  const reserved = rangesAsCidrs([...heldRanges(intent.blocks), ...surplus]).map(ip.formatCidr);
  if (reserved.length > 0)
    objects.push({ type: RESOURCES.calicoIpReservation, name: intent.name, spec: { reservedCIDRs: reserved } });
  const namespaceAssignments: NamespaceAssignment[] = intent.namespaces.flatMap(namespace =>
    ([4, 6] as const).flatMap(family => {
      const values = named.filter(m => m.cidr.family === family).map(m => m.name);
      return values.length === 0 ? [] : [{ namespace, annotation: POOL_ANNOTATIONS[family], values }];
    }),
  );
  return { objects, namespaceAssignments };
}

function normalisePool(spec: Spec): Spec {
  const family = read.cidrFrom(spec.cidr)?.family;
  const uses = sortedSet(spec.allowedUses);
  const out = withoutDefaults(
    { ...spec, ...(uses === undefined ? {} : { allowedUses: uses }) },
    {
      nodeSelector: 'all()',
      natOutgoing: false,
      disabled: false,
      assignmentMode: 'Automatic',
      disableBGPExport: false,
      allowedUses: ['Tunnel', 'Workload'],
    },
  );
  // An empty mode or use list means the default too (the CEL rules treat size 0 as unset).
  for (const key of ['ipipMode', 'vxlanMode'] as const) if (out[key] === 'Never' || out[key] === '') delete out[key];
  if (Array.isArray(out.allowedUses) && out.allowedUses.length === 0) delete out.allowedUses;
  if (family !== undefined && (out.blockSize === BLOCK_SIZES[family].fallback || out.blockSize === 0))
    delete out.blockSize;
  return out;
}

/**
 * An IPPool back into NetBox terms. Every IPReservation's CIDRs inside the pool become held addresses: the daemon
 * renders them back as one IPReservation named after the pool, so adoption proves that one exists as such.
 */
function readBack(pool: K8sObject, observed: ObservedObjects): ReadBack {
  const spec = read.specOf(pool);
  const cidr = read.cidrFrom(spec.cidr);
  if (cidr === undefined) return notAdoptable('spec.cidr is not a CIDR');
  const whole = ip.cidrRange(cidr);
  const held = read
    .listObserved(observed, RESOURCES.calicoIpReservation)
    .flatMap(r => read.asArray(read.at(r.spec, 'reservedCIDRs')).flatMap(c => read.cidrRangeFrom(c, true) ?? []))
    .flatMap(r => ip.intersectRanges([whole], [r]));
  const selector = read.asString(spec.nodeSelector);
  const blockSize = typeof spec.blockSize === 'number' && spec.blockSize !== 0 ? spec.blockSize : undefined;
  const settings: Record<string, unknown> = {
    ipipMode: read.asString(spec.ipipMode) ?? 'Never',
    vxlanMode: read.asString(spec.vxlanMode) ?? 'Never',
    natOutgoing: spec.natOutgoing === true,
    ...present(spec, ['allowedUses', 'assignmentMode', 'disableBGPExport', 'namespaceSelector']),
  };
  return adoptable({
    spaces: [prefixSpace(cidr)],
    held: ip.mergeRanges(held),
    ...(blockSize === undefined ? {} : { blockSize }),
    ...(selector === undefined || selector === 'all()' ? {} : { nodeSelector: selector }),
    ...(spec.disabled === true ? { draining: true } : {}),
    settings,
  });
}

export const calicoAdapter: PoolKindAdapter = defineAdapter({
  kind: KIND,
  label: 'Calico',
  writebackGrain: 'blocks',
  defaultRole: 'k8s-pod',
  settings: calicoSettings,
  layer: encapsulationLayer,
  drainNote: 'Calico IPPools drain by disabled: true',
  owns: [
    {
      type: RESOURCES.calicoIpPool,
      normaliseSpec: normalisePool,
      drain: spec => ({ ...spec, disabled: true }),
      immutable: [
        ['spec', 'cidr'],
        ['spec', 'blockSize'],
      ],
      covered: coveredCidr,
    },
    {
      type: RESOURCES.calicoIpReservation,
      normaliseSpec: spec => ({ ...spec, reservedCIDRs: sortedSet(spec.reservedCIDRs) }),
    },
  ],
  reads: [
    RESOURCES.calicoIpamBlockV1,
    RESOURCES.calicoBlockAffinityV1,
    RESOURCES.calicoIpamBlockV3,
    RESOURCES.calicoBlockAffinityV3,
  ],
  build,
  allocations: calicoAllocations,
  readBack,
});
