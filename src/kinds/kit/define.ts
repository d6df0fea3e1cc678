import { z } from 'zod';
import { compareRanges } from '../../ip/index.ts';
import type { IpRange } from '../../ip/index.ts';
import type { PoolIntent, PoolKind } from '../../model/intent.ts';
import { apiVersionOf } from '../../model/k8s-object.ts';
import type { K8sObject, ResourceType } from '../../model/k8s-object.ts';
import type { PoolKindAdapter, ReadBack, RenderContext, RenderResult } from '../adapter.ts';
import type { ObservedObjects } from '../../model/k8s-object.ts';
import type { NamespaceAssignment } from '../../model/desired.ts';
import type { Allocation, ReportUnreadable } from '../../model/allocation.ts';
import { SPEC_HASH_ANNOTATION } from '../../model/ownership.ts';
import { specHash } from './canonical.ts';
import { canonicalJson, compareText, sortKeysDeep } from '../../model/values.ts';
import { blockProblem } from './address-space.ts';
import { FIELDS, Issues, netboxSubject, poolSubject } from './issues.ts';
import { comparableMetadata, ownedMetadata } from './metadata.ts';
import { asRecord } from './observed.ts';
import { resolveSettings } from './settings.ts';

/**
 * Everything kind-independent about an adapter lives here: settings, ownership metadata, draining, name checks,
 * normalising and the dispatch by object type. A kind file only says how an intent becomes specs, what the
 * cluster defaults in them, and where its live allocations are.
 */

export type Spec = Record<string, unknown>;

/** How the adapter treats one resource type it writes. */
export interface OwnedType {
  type: ResourceType;
  /** The same schema served under other versions: read (normalise, covered ranges) like `type`, never written. */
  aliases?: readonly ResourceType[];
  /** Spec as compared: values the apiserver or a controller fills in dropped, set-like lists sorted. Idempotent. */
  normaliseSpec?: (spec: Spec) => Spec;
  /** The spec while draining. Absent on the pool type: the kind has no native drain. */
  drain?: (spec: Spec) => Spec;
  /** Spec paths that cannot change in place; a function when it depends on the observed object's state. */
  immutable?: readonly (readonly string[])[] | ((obj: K8sObject) => readonly (readonly string[])[]);
  /** Address space an object of this type covers; absent: none (advertisements, reservations). */
  covered?: (spec: Spec) => IpRange[];
}

export interface DesiredObject {
  type: ResourceType;
  name: string;
  namespace?: string;
  spec: Spec;
}

export interface BuildInput<S> {
  intent: PoolIntent;
  settings: S;
  issues: Issues;
}

export interface BuildOutput {
  objects: DesiredObject[];
  namespaceAssignments?: NamespaceAssignment[];
}

export interface KindDefinition<T extends z.ZodObject> {
  kind: PoolKind;
  label: string;
  defaultNamespace?: string;
  needsSubnet?: boolean;
  defaultRole?: string;
  writebackGrain: 'addresses' | 'blocks';
  /** Defaults schema from config; k8s_options are validated against it too (see settings.ts). */
  settings: T;
  /**
   * What one layer of settings (`kinds.<kind>` in config, or an object's `k8s_options`) implies beyond the keys it
   * sets, applied to that layer before it is laid over the one below (e.g. Calico: naming one encapsulation mode
   * turns the other off). Absent: a layer means exactly its keys.
   */
  layer?: (keys: Record<string, unknown>) => Record<string, unknown>;
  /** The first entry is the pool object. */
  owns: readonly [OwnedType, ...OwnedType[]];
  reads: readonly ResourceType[];
  /** What draining means for this kind, for docs and the warning when it cannot drain. */
  drainNote: string;
  build(input: BuildInput<z.output<T>>): BuildOutput;
  allocations(observed: ObservedObjects, unreadable: ReportUnreadable): Allocation[];
  /** A live pool object back into NetBox terms (adoption); see PoolShape. */
  readBack(pool: K8sObject, observed: ObservedObjects): ReadBack;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_NAME = 253;

function sameType(obj: Pick<K8sObject, 'apiVersion' | 'kind'>, type: ResourceType): boolean {
  return obj.apiVersion === apiVersionOf(type) && obj.kind === type.kind;
}

export function defineAdapter<T extends z.ZodObject>(def: KindDefinition<T>): PoolKindAdapter {
  const pool = def.owns[0];
  const rulesFor = (obj: Pick<K8sObject, 'apiVersion' | 'kind'>): OwnedType | undefined =>
    def.owns.find(o => [o.type, ...(o.aliases ?? [])].some(t => sameType(obj, t)));
  const order = (obj: K8sObject): number => def.owns.findIndex(o => sameType(obj, o.type));

  const covered = (obj: K8sObject): IpRange[] => {
    const spec = asRecord(obj.spec);
    const rules = rulesFor(obj);
    return spec === undefined || rules?.covered === undefined ? [] : rules.covered(spec);
  };

  const render = (given: PoolIntent, ctx: RenderContext): RenderResult => {
    const intent = inCanonicalOrder(given);
    const issues = new Issues();
    const settings = resolveSettings(intent, ctx, def.settings, issues, def.layer);
    const blocksSound = checkBlocks(intent, issues);
    const built = settings === undefined || !blocksSound ? undefined : def.build({ intent, settings, issues });
    const draining = intent.state === 'draining';
    if (draining && pool.drain === undefined) {
      issues.warning(poolSubject(intent), `cannot drain: ${def.drainNote}`, {
        hint: 'move workloads off the pool before NetBox retires it',
      });
    }
    const objects = (built?.objects ?? []).map(o => {
      if (o.name.length > MAX_NAME || !DNS_SUBDOMAIN.test(o.name)) {
        issues.error(poolSubject(intent), `object name "${o.name}" is not a valid Kubernetes name`, {
          field: FIELDS.poolName,
          hint: 'use lower-case letters, digits, "-" and "." (at most 253 characters)',
        });
      }
      const drain = draining ? rulesFor({ apiVersion: apiVersionOf(o.type), kind: o.type.kind })?.drain : undefined;
      const spec = sortKeysDeep(drain === undefined ? o.spec : drain(o.spec));
      const obj: K8sObject = {
        apiVersion: apiVersionOf(o.type),
        kind: o.type.kind,
        metadata: ownedMetadata(intent, ctx.cluster, o.name, o.type.namespaced ? o.namespace : undefined, spec),
        spec,
      };
      return sortKeysDeep(obj);
    });
    if (built === undefined || issues.hasErrors())
      return { objects: [], namespaceAssignments: [], issues: issues.list };
    objects.sort((a, b) => order(a) - order(b) || compareText(a.metadata.name, b.metadata.name));
    const namespaceAssignments = (built.namespaceAssignments ?? [])
      .map(a => ({ ...a, values: [...new Set(a.values)].sort() }))
      .sort((a, b) => compareText(a.namespace, b.namespace) || compareText(a.annotation, b.annotation));
    return { objects, namespaceAssignments, issues: issues.list };
  };

  const normalise = (obj: K8sObject): K8sObject => {
    const spec = asRecord(obj.spec);
    const rules = rulesFor(obj);
    const out: K8sObject = { apiVersion: obj.apiVersion, kind: obj.kind, metadata: comparableMetadata(obj.metadata) };
    if (obj.spec !== undefined) {
      out.spec = spec !== undefined && rules?.normaliseSpec !== undefined ? rules.normaliseSpec(spec) : obj.spec;
    }
    return sortKeysDeep(out);
  };

  const drain = (obj: K8sObject): K8sObject | null => {
    const rules = rulesFor(obj);
    if (rules === undefined || pool.drain === undefined) return null;
    const spec = asRecord(obj.spec);
    const copy = structuredClone(obj);
    if (rules.drain === undefined || spec === undefined) return sortKeysDeep(copy);
    const drained = sortKeysDeep(rules.drain(structuredClone(spec)));
    // Keep our spec hash true to the spec, or the next render of the draining pool would differ from it.
    const annotations = copy.metadata.annotations;
    if (annotations?.[SPEC_HASH_ANNOTATION] !== undefined) annotations[SPEC_HASH_ANNOTATION] = specHash(drained);
    return sortKeysDeep({ ...copy, spec: drained });
  };

  return {
    kind: def.kind,
    label: def.label,
    ...(def.defaultNamespace === undefined ? {} : { defaultNamespace: def.defaultNamespace }),
    needsSubnet: def.needsSubnet ?? false,
    writebackGrain: def.writebackGrain,
    ...(def.defaultRole === undefined ? {} : { defaultRole: def.defaultRole }),
    owns: def.owns.map(o => o.type),
    reads: def.reads,
    defaults: layered(def.settings, def.layer),
    render,
    normalise,
    immutablePaths: obj => {
      const immutable = rulesFor(obj)?.immutable ?? [];
      return typeof immutable === 'function' ? immutable(obj) : immutable;
    },
    drain,
    coveredRanges: covered,
    allocations: (observed, unreadable) => def.allocations(observed, unreadable ?? (() => undefined)),
    readBack: (obj, observed) =>
      rulesFor(obj) === pool ? def.readBack(obj, observed) : { ok: false, reason: `not a ${def.kind} pool object` },
  };
}

/** The config schema of a kind: its settings, with what the config layer implies applied first. */
function layered<T extends z.ZodObject>(
  settings: T,
  layer: KindDefinition<T>['layer'],
): z.ZodType<Record<string, unknown>> {
  if (layer === undefined) return settings;
  return z.preprocess(v => (isPlainRecord(v) ? layer(v) : v), settings);
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The intent with every list in one order, so output (issues included) never depends on input order. */
function inCanonicalOrder(intent: PoolIntent): PoolIntent {
  const blocks = intent.blocks
    .map(b => ({ ...b, exclusions: [...b.exclusions].sort((x, y) => compareRanges(x.range, y.range)) }))
    .sort((x, y) => compareRanges(x.range, y.range) || x.source.id - y.source.id);
  const sources = [...intent.sources].sort((a, b) => compareText(a.model, b.model) || a.id - b.id);
  return { ...intent, blocks, sources, namespaces: [...new Set(intent.namespaces)].sort() };
}

/** Blocks every kind needs sound before rendering; one bad block stops the pool (never a silent shrink). */
function checkBlocks(intent: PoolIntent, issues: Issues): boolean {
  if (intent.blocks.length === 0) issues.error(poolSubject(intent), 'the pool has no prefix or IP range to publish');
  for (const block of intent.blocks) {
    const problem = blockProblem(block);
    if (problem !== undefined) issues.error(netboxSubject(block.source), `cannot publish: ${problem}`);
  }
  return !issues.hasErrors();
}

/** Drops top-level spec fields that equal what the cluster would fill in anyway. */
export function withoutDefaults(spec: Spec, defaults: Spec): Spec {
  const out: Spec = { ...spec };
  for (const [key, value] of Object.entries(defaults)) {
    if (key in out && canonicalJson(out[key]) === canonicalJson(value)) delete out[key];
  }
  return out;
}

/** A `x-kubernetes-list-type: set` list compared as a set: sorted, without repeats. */
export function sortedSet(value: unknown): unknown {
  if (!Array.isArray(value) || !value.every(v => typeof v === 'string')) return value;
  return [...new Set(value)].sort();
}
