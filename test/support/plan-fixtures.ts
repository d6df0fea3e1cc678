/**
 * Test support only (imported by *.test.ts): small hand-written pool-kind adapters with just enough behaviour to
 * exercise every plan rule, independent of the real adapters in src/k8s/kinds/.
 */
import { z } from 'zod';
import { parseRangeOrCidr } from '../../src/ip/index.ts';
import type { IpRange } from '../../src/ip/index.ts';
import type { PoolKindAdapter } from '../../src/kinds/adapter.ts';
import type { Allocation, AllocationPool, PoolRef } from '../../src/model/allocation.ts';
import type { K8sObject, ObjectMeta, ResourceType } from '../../src/model/k8s-object.ts';
import {
  CLUSTER_LABEL,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  NETBOX_OBJECTS_ANNOTATION,
  POOL_KIND_LABEL,
  SPEC_HASH_ANNOTATION,
} from '../../src/model/ownership.ts';
import type { NetBoxObjectRef, PoolKind } from '../../src/model/intent.ts';
import type { PlanInput } from '../../src/plan/types.ts';
import type { DesiredObject } from '../../src/model/desired.ts';

export const CLUSTER = 'east';

const type = (group: string, version: string, kind: string, namespaced: boolean): ResourceType => ({
  group,
  version,
  kind,
  plural: `${kind.toLowerCase()}s`,
  namespaced,
});
export const CALICO_POOL = type('projectcalico.org', 'v3', 'IPPool', false);
export const CALICO_RESERVATION = type('projectcalico.org', 'v3', 'IPReservation', false);
export const METALLB_POOL = type('metallb.io', 'v1beta1', 'IPAddressPool', true);
export const NAD = type('k8s.cni.cncf.io', 'v1', 'NetworkAttachmentDefinition', true);
export const NV_POOL = type('nv-ipam.nvidia.com', 'v1alpha1', 'IPPool', true);

type Spec = Record<string, unknown>;
const specOf = (o: K8sObject): Spec => (typeof o.spec === 'object' && o.spec !== null ? (o.spec as Spec) : {});
const is = (o: K8sObject, t: ResourceType): boolean => o.kind === t.kind && o.apiVersion.startsWith(t.group);

interface FakeSpec {
  kind: PoolKind;
  owns: ResourceType[];
  /** Drop what the apiserver fills in. */
  normaliseSpec?: (spec: Spec) => Spec;
  immutable?: (o: K8sObject) => string[][];
  drainSpec?: (spec: Spec) => Spec;
  covered: (spec: Spec, o: K8sObject) => IpRange[];
}

function fake(f: FakeSpec): PoolKindAdapter {
  const pool = f.owns[0];
  if (pool === undefined) throw new Error('fake adapter needs a pool type');
  return {
    kind: f.kind,
    label: `fake ${f.kind}`,
    needsSubnet: false,
    writebackGrain: 'addresses',
    owns: f.owns,
    reads: [],
    defaults: z.record(z.string(), z.unknown()),
    render: () => {
      throw new Error('fake adapters do not render');
    },
    readBack: () => ({ ok: false, reason: 'fake adapters cannot be adopted' }),
    normalise: o => {
      const meta: ObjectMeta = { name: o.metadata.name };
      if (o.metadata.namespace !== undefined) meta.namespace = o.metadata.namespace;
      if (o.metadata.labels !== undefined) meta.labels = o.metadata.labels;
      if (o.metadata.annotations !== undefined) meta.annotations = o.metadata.annotations;
      const spec = f.normaliseSpec === undefined ? specOf(o) : f.normaliseSpec({ ...specOf(o) });
      return { apiVersion: o.apiVersion, kind: o.kind, metadata: meta, spec };
    },
    immutablePaths: o => (is(o, pool) && f.immutable !== undefined ? f.immutable(o) : []),
    drain: o => {
      if (f.drainSpec === undefined) return null;
      return is(o, pool) ? { ...o, spec: f.drainSpec({ ...specOf(o) }) } : o;
    },
    coveredRanges: o => (is(o, pool) ? f.covered(specOf(o), o) : []),
    allocations: () => [],
  };
}

export const calico = fake({
  kind: 'calico',
  owns: [CALICO_POOL, CALICO_RESERVATION],
  normaliseSpec: s => {
    if (s.natOutgoing === false) delete s.natOutgoing;
    if (s.disabled === false) delete s.disabled;
    s.blockSize ??= 26;
    return s;
  },
  immutable: () => [['spec', 'cidr'], ['blockSize']],
  drainSpec: s => ({ ...s, disabled: true }),
  covered: s => [parseRangeOrCidr(String(s.cidr))],
});

export const metallb = fake({
  kind: 'metallb',
  owns: [METALLB_POOL],
  normaliseSpec: s => {
    if (s.autoAssign === true) delete s.autoAssign;
    return s;
  },
  drainSpec: s => ({ ...s, autoAssign: false }),
  covered: s => (Array.isArray(s.addresses) ? s.addresses.map(a => parseRangeOrCidr(String(a))) : []),
});

/** Whereabouts cannot drain; its config is a JSON string, and garbage in it makes coveredRanges throw. */
export const whereabouts = fake({
  kind: 'whereabouts',
  owns: [NAD],
  covered: s => {
    const config = JSON.parse(String(s.config)) as { ipam?: { type?: string; range?: string } };
    return config.ipam?.type === 'whereabouts' && config.ipam.range !== undefined
      ? [parseRangeOrCidr(config.ipam.range)]
      : [];
  },
});

/** NV-IPAM: subnet and perNodeBlockSize are immutable only while nodes hold blocks (status.allocations). */
export const nvIpam = fake({
  kind: 'nv-ipam',
  owns: [NV_POOL],
  immutable: o => {
    const status = o.status as { allocations?: unknown[] } | undefined;
    return (status?.allocations?.length ?? 0) > 0
      ? [
          ['spec', 'subnet'],
          ['spec', 'perNodeBlockSize'],
        ]
      : [];
  },
  covered: s => [parseRangeOrCidr(String(s.subnet))],
});

export const ADAPTERS: readonly PoolKindAdapter[] = [calico, metallb, whereabouts, nvIpam];

export function prefix(id: number, cidr: string): NetBoxObjectRef {
  return { model: 'prefix', id, url: `https://netbox.example/api/ipam/prefixes/${id}/`, display: cidr };
}

export interface ObjectOptions {
  namespace?: string;
  /** NetBox objects annotation, e.g. `prefix/12`. */
  from?: string;
  hash?: string;
  /** `false` for an object without our label; a string for another cluster. */
  cluster?: string | false;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  status?: unknown;
  deletionTimestamp?: string;
  resourceVersion?: string;
}

export function obj(kind: PoolKind, t: ResourceType, name: string, spec: Spec, o: ObjectOptions = {}): K8sObject {
  const labels: Record<string, string> =
    o.cluster === false
      ? { ...o.labels }
      : {
          [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
          [CLUSTER_LABEL]: o.cluster ?? CLUSTER,
          [POOL_KIND_LABEL]: kind,
          ...o.labels,
        };
  const annotations: Record<string, string> = { ...o.annotations };
  if (o.from !== undefined) annotations[NETBOX_OBJECTS_ANNOTATION] = o.from;
  if (o.hash !== undefined) annotations[SPEC_HASH_ANNOTATION] = o.hash;
  const metadata: ObjectMeta = { name, labels, annotations };
  if (o.namespace !== undefined) metadata.namespace = o.namespace;
  if (o.deletionTimestamp !== undefined) metadata.deletionTimestamp = o.deletionTimestamp;
  if (o.resourceVersion !== undefined) metadata.resourceVersion = o.resourceVersion;
  const out: K8sObject = {
    apiVersion: t.group === '' ? t.version : `${t.group}/${t.version}`,
    kind: t.kind,
    metadata,
    spec,
  };
  if (o.status !== undefined) out.status = o.status;
  return out;
}

export function want(kind: PoolKind, object: K8sObject, sources: NetBoxObjectRef[], primary = true): DesiredObject {
  return { object, poolKind: kind, sources, primary };
}

/** `count` consecutive pod addresses from `first` (an IPv4 address). */
/** `count` pod addresses from `first` on, attributed to `pool` (by record unless it says otherwise), or to none. */
export function pods(first: string, count: number, pool: PoolRef | AllocationPool | null): Allocation[] {
  const start = parseRangeOrCidr(`${first}/32`).start;
  const attributed: AllocationPool | null = pool === null ? null : { by: 'record', ...pool };
  return Array.from({ length: count }, (_, i) => ({
    range: { family: 4, start: start + BigInt(i), end: start + BigInt(i) },
    owner: { kind: 'Pod', name: `pod-${i}`, namespace: 'apps' },
    pool: attributed,
    via: 'test',
  }));
}

/** The pool reference of an observed pool object of `kind`. */
export function refOf(kind: PoolKind, o: K8sObject): PoolRef {
  return o.metadata.namespace === undefined
    ? { kind, name: o.metadata.name }
    : { kind, name: o.metadata.name, namespace: o.metadata.namespace };
}

/** A pool that exists in NetBox and the cluster alike; it keeps the empty-source guard quiet unless a test wants it. */
export const steadyObserved = obj(
  'metallb',
  METALLB_POOL,
  'steady',
  { addresses: ['10.250.0.0/24'] },
  {
    namespace: 'metallb-system',
    from: 'prefix/250',
    hash: 's',
  },
);
export const steadyDesired = want('metallb', steadyObserved, [prefix(250, '10.250.0.0/24')]);

/** Plan input with defaults; `steady: false` leaves out the steady pool. */
export function input(over: Partial<PlanInput>, { steady = true } = {}): PlanInput {
  return {
    cluster: CLUSTER,
    allocations: [],
    issues: [],
    policy: 'sync',
    source: { healthy: true },
    previousPoolCount: 1,
    adapters: ADAPTERS,
    ...over,
    desired: [...(steady ? [steadyDesired] : []), ...(over.desired ?? [])],
    observed: [...(steady ? [steadyObserved] : []), ...(over.observed ?? [])],
  };
}
