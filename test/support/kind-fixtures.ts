import { createHash } from 'node:crypto';
import { cidrRange, formatAddress, parseAddress, parseCidr, parseRange, rangeOfAddress } from '../../src/ip/index.ts';
import type { IpRange } from '../../src/ip/index.ts';
import type { NetBoxObjectRef, PoolBlock, PoolIntent, PoolKind } from '../../src/model/intent.ts';
import type { K8sObject } from '../../src/model/k8s-object.ts';
import { describeSubject } from '../../src/model/issue.ts';
import type { PoolKindAdapter, RenderContext, RenderResult } from '../../src/kinds/adapter.ts';
import type { ObservedObjects } from '../../src/model/k8s-object.ts';
import type { Allocation } from '../../src/model/allocation.ts';

/**
 * Test support for the kind adapters: a small PoolIntent builder and an independent spelling of the ownership
 * metadata every rendered object must carry (literal keys, its own canonical JSON), so tests do not check the
 * code with itself.
 */

export const CLUSTER = 'lab';
const NETBOX = 'https://netbox.example.net/api/ipam';

/** `10.0.0.1`, `10.0.0.0/30` or `10.0.0.5-10.0.0.9` as a range. */
export function addresses(text: string): IpRange {
  if (text.includes('-')) return parseRange(text);
  return text.includes('/') ? cidrRange(parseCidr(text)) : rangeOfAddress(parseAddress(text));
}

export interface BlockOptions {
  /** NetBox-held addresses inside the block: `[addresses, heldBy]`. */
  held?: [string, string][];
  gateway?: string;
}

function ref(model: NetBoxObjectRef['model'], id: number, display: string): NetBoxObjectRef {
  const path = model === 'prefix' ? 'prefixes' : 'ip-ranges';
  return { model, id, url: `${NETBOX}/${path}/${id}/`, display };
}

function block(source: NetBoxObjectRef, network: string, range: IpRange, opts: BlockOptions): PoolBlock {
  const b: PoolBlock = {
    source,
    network: parseCidr(network),
    range,
    exclusions: (opts.held ?? []).map(([text, heldBy]) => ({ range: addresses(text), heldBy })),
  };
  if (opts.gateway !== undefined) b.gateway = parseAddress(opts.gateway);
  return b;
}

/** A NetBox prefix as a pool block. */
export function prefixBlock(id: number, cidr: string, opts: BlockOptions = {}): PoolBlock {
  return block(ref('prefix', id, cidr), cidr, cidrRange(parseCidr(cidr)), opts);
}

/** A NetBox IP range (`start-end`) inside `network` as a pool block. */
export function rangeBlock(id: number, range: string, network: string, opts: BlockOptions = {}): PoolBlock {
  return block(ref('ip-range', id, `${range}/${network.split('/')[1]}`), network, parseRange(range), opts);
}

/** An active intent named `pool-a` with no selectors, namespaces or options unless overridden. */
export function poolIntent(kind: PoolKind, blocks: PoolBlock[], overrides: Partial<PoolIntent> = {}): PoolIntent {
  const sources = blocks.map(b => b.source).sort((a, b) => a.model.localeCompare(b.model) || a.id - b.id);
  return { kind, name: 'pool-a', state: 'active', blocks, namespaces: [], options: {}, sources, ...overrides };
}

export function renderContext(adapter: PoolKindAdapter, defaults: Record<string, unknown> = {}): RenderContext {
  return { cluster: CLUSTER, defaults: adapter.defaults.parse(defaults) };
}

export function render(
  adapter: PoolKindAdapter,
  intent: PoolIntent,
  defaults: Record<string, unknown> = {},
): RenderResult {
  return adapter.render(intent, renderContext(adapter, defaults));
}

/** Canonical JSON spelled independently of canonical.ts: keys sorted at every level. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface ExpectedObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  poolKind: PoolKind;
  /** `prefix/1,ip-range/2`, as in the netbox-objects annotation. */
  sources: string;
  spec: Record<string, unknown>;
}

/** The object as it must be rendered: the spec given in full, ownership metadata spelled out literally. */
export function expected(o: ExpectedObject): K8sObject {
  const urls = o.sources.split(',').map(s => {
    const [model, id] = s.split('/');
    return `${NETBOX}/${model === 'prefix' ? 'prefixes' : 'ip-ranges'}/${id}/`;
  });
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: {
      name: o.name,
      ...(o.namespace === undefined ? {} : { namespace: o.namespace }),
      labels: {
        'app.kubernetes.io/managed-by': 'netbox-ippool-sync',
        'netbox-ippool-sync/cluster': CLUSTER,
        'netbox-ippool-sync/pool-kind': o.poolKind,
      },
      annotations: {
        'netbox-ippool-sync/netbox-objects': o.sources,
        'netbox-ippool-sync/netbox-urls': urls.join(','),
        'netbox-ippool-sync/spec-hash': sha256Hex(canonical(o.spec)),
      },
    },
    spec: o.spec,
  };
}

/** An observed object as the apiserver returns it: server fields set, plus whatever `extra` adds. */
export function observedObject(
  o: Partial<K8sObject> & Pick<K8sObject, 'apiVersion' | 'kind'> & { name: string; namespace?: string },
): K8sObject {
  const { name, namespace, ...rest } = o;
  return {
    metadata: {
      name,
      ...(namespace === undefined ? {} : { namespace }),
      uid: `uid-${name}`,
      resourceVersion: '4711',
      generation: 3,
      creationTimestamp: '2026-01-02T03:04:05Z',
      managedFields: [{ manager: 'kube-controller-manager', operation: 'Update' }],
    },
    ...rest,
  };
}

export function observedMap(objects: readonly K8sObject[]): ObservedObjects {
  const map = new Map<string, K8sObject[]>();
  for (const o of objects) map.set(`${o.apiVersion}/${o.kind}`, [...(map.get(`${o.apiVersion}/${o.kind}`) ?? []), o]);
  return map;
}

/** Allocations in a readable form for table expectations: `10.0.0.5 Pod ns/name pool=… node=… if=… via=…`. */
export function describeAllocation(a: Allocation): string {
  const owner = `${a.owner.kind} ${a.owner.namespace === undefined ? '' : `${a.owner.namespace}/`}${a.owner.name}`;
  const by = a.pool?.by === 'containment' ? ' (containment)' : '';
  const pool = a.pool === null ? ' pool=none' : ` pool=${a.pool.kind}:${a.pool.namespace ?? ''}/${a.pool.name}${by}`;
  const extras = `${a.node === undefined ? '' : ` node=${a.node}`}${a.interface === undefined ? '' : ` if=${a.interface}`}`;
  return `${describeRange(a.range)} ${owner}${pool}${extras}`;
}

export function describeRange(r: IpRange): string {
  const start = formatAddress({ family: r.family, value: r.start });
  return r.start === r.end ? start : `${start}-${formatAddress({ family: r.family, value: r.end })}`;
}

/** One row of a kind's render table: the intent and everything the render must return for it, written out. */
export interface RenderCase {
  name: string;
  intent: PoolIntent;
  objects: K8sObject[];
  issues?: RenderResult['issues'];
  namespaceAssignments?: RenderResult['namespaceAssignments'];
  /** Kind defaults from config for this row (`kinds.<kind>`), before the schema fills in the rest. */
  defaults?: Record<string, unknown>;
}

/** The full RenderResult a row expects: no issues and no namespace assignments unless the row lists them. */
export function expectedResult(c: RenderCase): RenderResult {
  return { objects: c.objects, namespaceAssignments: c.namespaceAssignments ?? [], issues: c.issues ?? [] };
}

/** What a rejected intent must yield: no objects, no namespace assignments, exactly these errors. */
export function rejection(result: RenderResult): {
  objects: K8sObject[];
  assignments: number;
  errors: ReturnType<typeof errorsOf>;
} {
  return { objects: result.objects, assignments: result.namespaceAssignments.length, errors: errorsOf(result) };
}

export interface RoundTrip {
  name: string;
  observed: K8sObject;
  desired: K8sObject;
}

/** For every object the rows render: normalise() of an observed copy (see asObserved) and of the object itself. */
export function roundTrips(
  adapter: PoolKindAdapter,
  cases: readonly RenderCase[],
  serverSide: (spec: Record<string, unknown>, desired: K8sObject) => unknown,
  status?: unknown,
): RoundTrip[] {
  return cases.flatMap(c =>
    render(adapter, c.intent, c.defaults).objects.map(desired => ({
      name: `${c.name}: ${desired.kind} ${desired.metadata.name}`,
      observed: adapter.normalise(asObserved(desired, spec => serverSide(spec, desired), status)),
      desired: adapter.normalise(desired),
    })),
  );
}

/** Error issues in a readable form for table expectations. */
export function errorsOf(result: RenderResult): { subject: string; field: string | undefined; reason: string }[] {
  return result.issues
    .filter(i => i.severity === 'error')
    .map(i => ({ subject: describeSubject(i.subject), field: i.field, reason: i.reason }));
}

/**
 * A rendered object as the cluster would return it: server fields, status, other managers' labels and
 * annotations, and the spec after `serverSide` (apiserver/controller defaults, another writer's formatting).
 */
export function asObserved(
  desired: K8sObject,
  serverSide: (spec: Record<string, unknown>) => unknown,
  status?: unknown,
): K8sObject {
  const observed = observedObject({
    apiVersion: desired.apiVersion,
    kind: desired.kind,
    name: desired.metadata.name,
    ...(desired.metadata.namespace === undefined ? {} : { namespace: desired.metadata.namespace }),
    spec: serverSide(structuredClone(desired.spec as Record<string, unknown>)),
    ...(status === undefined ? {} : { status }),
  });
  observed.metadata.finalizers = ['example.com/keep'];
  observed.metadata.labels = { ...desired.metadata.labels, team: 'net' };
  observed.metadata.annotations = {
    ...desired.metadata.annotations,
    'kubectl.kubernetes.io/last-applied-configuration': '{}',
  };
  return observed;
}

/**
 * The render matrix: every kind × {prefix, IP range, several objects in one pool} × {IPv4, IPv6}. Shared by the
 * server-side dry-run (test/integration/render-dry-run.test.ts) and the manifest YAML tests, so both see the same
 * shapes. Kinds that cannot express a shape (an IP range for Cilium pod pools) report an error for it instead.
 */
export type MatrixShape = 'prefix' | 'range' | 'several';
export const MATRIX_SHAPES: readonly MatrixShape[] = ['prefix', 'range', 'several'];
export const MATRIX_FAMILIES = [4, 6] as const;

export function matrixBlocks(family: 4 | 6, shape: MatrixShape): PoolBlock[] {
  const blocks: Record<4 | 6, Record<MatrixShape, () => PoolBlock[]>> = {
    4: {
      prefix: () => [
        prefixBlock(1, '10.60.0.0/24', { held: [['10.60.0.1', 'ip-address 10.60.0.1/24']], gateway: '10.60.0.1' }),
      ],
      range: () => [rangeBlock(2, '10.60.1.64-10.60.1.127', '10.60.1.0/24')],
      several: () => [
        prefixBlock(3, '10.60.2.0/24'),
        rangeBlock(4, '10.60.2.200-10.60.2.250', '10.60.2.0/24'),
        prefixBlock(5, '10.60.3.0/26'),
      ],
    },
    6: {
      prefix: () => [
        prefixBlock(11, 'fd00:60::/120', {
          held: [['fd00:60::1', 'ip-address fd00:60::1/120']],
          gateway: 'fd00:60::1',
        }),
      ],
      range: () => [rangeBlock(12, 'fd00:60:1::40-fd00:60:1::7f', 'fd00:60:1::/120')],
      several: () => [prefixBlock(13, 'fd00:60:2::/120'), prefixBlock(14, 'fd00:60:3::/120')],
    },
  };
  return blocks[family][shape]();
}

/** The namespace a namespaced kind's pools live in by default. */
export const MATRIX_NAMESPACES: Partial<Record<PoolKind, string>> = {
  whereabouts: 'default',
  'nv-ipam': 'kube-system',
  metallb: 'metallb-system',
};

/** Pool names (valid DNS labels) that a YAML 1.1 reader takes for something else than a string. */
export const YAML11_TRICKY_NAMES = [
  'no',
  'yes',
  'on',
  'off',
  'y',
  'n',
  'true',
  'null',
  '0x1f',
  '1e3',
  '010',
  '0b101',
  '08',
];

/**
 * One intent of the render matrix. `tricky`: names, namespace assignments, node selector values and options that a
 * YAML 1.1 reader misreads (`no`, `on`, `0x1f`, Cilium's `allowFirstLastIPs: Yes`), as a pool could carry them.
 */
export function matrixIntent(
  kind: PoolKind,
  family: 4 | 6,
  shape: MatrixShape,
  variant: 'plain' | 'tricky',
  overrides: Partial<PoolIntent> = {},
): PoolIntent {
  const blocks = matrixBlocks(family, shape);
  const namespace = MATRIX_NAMESPACES[kind];
  const base: Partial<PoolIntent> = {
    name: `m-${shape}-v${family}`,
    ...(namespace === undefined ? {} : { namespace }),
  };
  if (variant === 'tricky') {
    Object.assign(base, {
      name: 'no',
      namespaces: ['no', 'y'],
      nodeSelector:
        kind === 'calico'
          ? { syntax: 'calico-expression', raw: "gpu == 'yes'" }
          : {
              syntax: 'labels',
              raw: 'gpu in (yes,on,0x1f)',
              requirements: [{ key: 'gpu', operator: 'In', values: ['yes', 'on', '0x1f'] }],
            },
      // `Yes` is written as given (`No` is carried out by the adapter and not written).
      options: kind === 'cilium-lb' ? { allowFirstLastIPs: 'Yes' } : {},
    } satisfies Partial<PoolIntent>);
  }
  return poolIntent(kind, blocks, { ...base, ...overrides });
}
