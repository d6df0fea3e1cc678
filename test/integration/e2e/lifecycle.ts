import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { specHash } from '../../../src/kinds/kit/canonical.ts';
import { objectKey } from '../../../src/model/k8s-object.ts';
import type { K8sObject, ResourceType } from '../../../src/model/k8s-object.ts';
import {
  CLUSTER_LABEL,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  NETBOX_OBJECTS_ANNOTATION,
  NETBOX_URLS_ANNOTATION,
  POOL_KIND_LABEL,
  SPEC_HASH_ANNOTATION,
} from '../../../src/model/ownership.ts';
import type { PoolKind } from '../../../src/model/intent.ts';
import { APPLIED_ACTIONS, desiredOf } from '../../../src/model/plan.ts';
import { prefixBody, rangeBody, startLab } from '../../support/e2e.ts';
import type { CycleRun, Lab, LabOptions } from '../../support/e2e.ts';
import type { LiveAllocation } from './allocations.ts';
import { createObject, deleteObject, ensureNamespace, getStored } from './kube.ts';

/**
 * One pool kind's lifecycle on the real apiserver: NetBox changes through the real client, one real cycle at a
 * time, and checks against what the apiserver actually stores. Every cycle is recorded (plan, apply order,
 * requests) and printed as a table when the file ends. Each scenario gets its own cluster name, namespace and
 * address space (10.<128-250>.<4n>.0/22, random), so files sharing the apiserver never see each other's pools or
 * allocations.
 */

export interface NetBoxRef {
  id: number;
  url: string;
}

export interface CycleRecord {
  step: string;
  /** The changes apply carried out, in the order it sent them. */
  applied: string[];
  requests: Record<string, number>;
  writes: number;
}

interface Unmanaged {
  rt: ResourceType;
  name: string;
  namespace?: string;
  resourceVersion: string;
}

const ENDPOINTS = { prefix: 'ipam/prefixes', range: 'ipam/ip-ranges', address: 'ipam/ip-addresses' } as const;
type Model = keyof typeof ENDPOINTS;

export class Scenario {
  readonly kind: PoolKind;
  readonly records: CycleRecord[] = [];
  /** First three octets of this scenario's /22, e.g. `10.201.36`; the /22 is `${net}.0/22`. */
  readonly net: string;
  readonly #labOptions: LabOptions;
  readonly #unmanaged: Unmanaged[] = [];
  readonly #live = new Set<LiveAllocation>();
  /** The last object apply sent for each identity (create, update, replace, drain). */
  readonly #sent = new Map<string, K8sObject>();
  #lab: Lab | undefined;

  constructor(kind: PoolKind, labOptions: LabOptions) {
    this.kind = kind;
    this.#labOptions = labOptions;
    this.net = `10.${randomInt(128, 251)}.${randomInt(0, 64) * 4}`;
  }

  get lab(): Lab {
    if (this.#lab === undefined) throw new Error(`the ${this.kind} scenario has not started (beforeAll failed?)`);
    return this.#lab;
  }

  /** The scenario's namespace for namespaced objects (pools, Services); named like its cluster. */
  get namespace(): string {
    return this.lab.cluster;
  }

  /** The address `offset` past the start of this scenario's /22 (`at(256)` is `${net}+1.0`). */
  at(offset: number): string {
    const [a, b, c] = this.net.split('.').map(Number) as [number, number, number];
    const value = ((a * 256 + b) * 256 + c) * 256 + offset;
    return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
  }

  /** A cluster-unique object name. */
  name(base: string): string {
    return `${base}-${this.lab.cluster}`;
  }

  async start(): Promise<void> {
    this.#lab = await startLab(this.#labOptions);
    await ensureNamespace(this.namespace);
  }

  async finish(): Promise<void> {
    const cleanups = [...this.#live].map(a => a.remove());
    cleanups.push(...this.#unmanaged.map(u => deleteObject(u.rt, u.name, u.namespace)));
    await Promise.allSettled(cleanups);
    if (this.records.length > 0) console.log(this.table());
    await this.#lab?.close();
  }

  // --- NetBox, as a network engineer edits it -------------------------------------------------------------------

  async prefix(prefix: string, role: string, cf: Record<string, unknown>): Promise<NetBoxRef> {
    return this.lab.client.create<NetBoxRef>(ENDPOINTS.prefix, prefixBody(this.lab, prefix, role, cf));
  }

  async range(start: string, end: string, role: string, cf: Record<string, unknown>): Promise<NetBoxRef> {
    return this.lab.client.create<NetBoxRef>(ENDPOINTS.range, rangeBody(this.lab, start, end, role, cf));
  }

  /** An address recorded in NetBox by someone else (a server, a gateway): never the daemon's. */
  async address(address: string, description: string): Promise<NetBoxRef> {
    return this.lab.client.create<NetBoxRef>(ENDPOINTS.address, { address, status: 'active', description });
  }

  async edit(model: Model, ref: NetBoxRef, patch: Record<string, unknown>): Promise<void> {
    await this.lab.client.update(ENDPOINTS[model], ref.id, patch);
  }

  async remove(model: Model, ref: NetBoxRef): Promise<void> {
    await this.lab.client.delete(ENDPOINTS[model], ref.id);
  }

  // --- cycles ------------------------------------------------------------------------------------------------------

  /** One real cycle; every change apply attempts must be applied (a failed or skipped one fails the step). */
  async cycle(step: string, opts: { allowEmptySource?: boolean } = {}): Promise<CycleRun> {
    const run = await this.lab.cycle(opts);
    const results = run.apply?.results ?? [];
    const line = (c: { action: string; kind?: string; name: string }) => `${c.action} ${c.kind ?? '-'} ${c.name}`;
    this.records.push({
      step,
      applied: results.map(r => line(r.change)),
      requests: run.requests,
      writes: run.writes,
    });
    for (const r of results) {
      const desired = desiredOf(r.change);
      if (r.outcome === 'applied' && desired !== undefined) this.#sent.set(objectKey(desired), desired);
    }
    const unapplied = results.filter(r => r.outcome !== 'applied');
    expect(unapplied.map(r => `${line(r.change)}: ${r.outcome} ${r.message ?? ''}`)).toEqual([]);
    expect(run.source.healthy).toBe(true);
    return run;
  }

  /** A cycle with nothing changed anywhere: nothing to apply, zero write requests. Returns its notes. */
  async steady(step: string): Promise<string[]> {
    const run = await this.cycle(step);
    expect(run.plan.changes.filter(c => APPLIED_ACTIONS.includes(c.action)).map(c => c.action)).toEqual([]);
    expect(run.writes).toBe(0);
    return run.actions;
  }

  // --- the cluster -------------------------------------------------------------------------------------------------

  async stored(rt: ResourceType, name: string, namespace?: string): Promise<K8sObject | undefined> {
    return getStored(rt, name, namespace);
  }

  /**
   * The stored object, which must exist, carry our ownership labels and annotations for `sources`, and hold what
   * apply last sent for it (the apiserver may add defaults, never change what we set).
   */
  async owned(rt: ResourceType, name: string, sources: [Model, NetBoxRef][], namespace?: string): Promise<K8sObject> {
    const obj = await getStored(rt, name, namespace);
    if (obj === undefined) throw new Error(`${rt.kind} ${namespace ?? ''}/${name} is not stored`);
    expect(obj.metadata.labels).toMatchObject({
      [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
      [CLUSTER_LABEL]: this.lab.cluster,
      [POOL_KIND_LABEL]: this.kind,
    });
    const model = { prefix: 'prefix', range: 'ip-range', address: 'ip-address' } as const;
    expect(obj.metadata.annotations).toMatchObject({
      [NETBOX_OBJECTS_ANNOTATION]: sources.map(([m, r]) => `${model[m]}/${r.id}`).join(','),
      [NETBOX_URLS_ANNOTATION]: sources.map(([, r]) => r.url).join(','),
    });
    const sent = this.#sent.get(objectKey(obj));
    if (sent === undefined) throw new Error(`${rt.kind} ${name} is stored, but this scenario never sent it`);
    expect(obj.spec).toMatchObject(sent.spec as object);
    expect(obj.metadata.annotations?.[SPEC_HASH_ANNOTATION]).toBe(specHash(sent.spec));
    return obj;
  }

  /** Someone else's pool (no managed-by label), remembered so the suite can prove it was never written to. */
  async unmanagedPool(rt: ResourceType, name: string, content: Record<string, unknown>, namespace?: string) {
    const metadata = { name, ...(namespace === undefined ? {} : { namespace }), labels: { team: 'platform' } };
    const created = await createObject(rt, metadata, content);
    const resourceVersion = created.metadata.resourceVersion ?? '';
    this.#unmanaged.push({ rt, name, resourceVersion, ...(namespace === undefined ? {} : { namespace }) });
  }

  /** Every unmanaged pool of this scenario is stored with the resourceVersion it was created with. */
  async expectUnmanagedUntouched(): Promise<void> {
    expect(this.#unmanaged.length).toBeGreaterThan(0);
    for (const u of this.#unmanaged) {
      const now = await getStored(u.rt, u.name, u.namespace);
      expect(now?.metadata.resourceVersion, `${u.rt.kind} ${u.name}`).toBe(u.resourceVersion);
      expect(now?.metadata.labels?.[MANAGED_BY_LABEL]).toBeUndefined();
    }
  }

  /** Runs `during` and checks the stored object was not written meanwhile (same resourceVersion). */
  async untouched(rt: ResourceType, name: string, namespace: string | undefined, during: () => Promise<unknown>) {
    const before = await getStored(rt, name, namespace);
    await during();
    const after = await getStored(rt, name, namespace);
    expect(after?.metadata.resourceVersion, `${rt.kind} ${name}`).toBe(before?.metadata.resourceVersion);
  }

  /**
   * Frees the allocations: the next cycle deletes exactly `objects`, in this order (pool first), they are gone
   * from the apiserver, and the cycle after that has nothing to do.
   */
  async deletedOnceFree(live: LiveAllocation, objects: [ResourceType, string, string?][]): Promise<void> {
    await this.free(live);
    const run = await this.cycle('allocations gone');
    expect(run.actions).toEqual(objects.map(([rt, name]) => `delete ${rt.kind} ${name}`));
    for (const [rt, name, namespace] of objects) expect(await getStored(rt, name, namespace)).toBeUndefined();
    expect(await this.steady('steady after delete')).toEqual([]);
  }

  /** Writes live allocations (see allocations.ts); `free` removes them again. */
  async hold(write: Promise<LiveAllocation>): Promise<LiveAllocation> {
    const live = await write;
    this.#live.add(live);
    return live;
  }

  async free(live: LiveAllocation): Promise<void> {
    await live.remove();
    this.#live.delete(live);
  }

  table(): string {
    const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    const verbs = (r: Record<string, number>) =>
      Object.entries(r)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
    const rows = this.records.map(
      r => `| ${r.step} | ${r.applied.join('; ') || '–'} | ${total(r.requests)} (${verbs(r.requests)}) | ${r.writes} |`,
    );
    const head = `\n### ${this.kind} (cluster ${this.lab.cluster}, ${this.net}.0/22)\n`;
    return `${head}| step | applied, in order | requests | writes |\n| --- | --- | --- | --- |\n${rows.join('\n')}\n`;
  }
}

/** A scenario for one `describe`: started before its tests, cleaned up and printed after them. */
export function useScenario(kind: PoolKind, labOptions: LabOptions = {}): Scenario {
  const s = new Scenario(kind, labOptions);
  beforeAll(() => s.start());
  afterAll(() => s.finish());
  return s;
}

/** The cycle's mapping and render issues as `severity: reason` lines. */
export function issueLines(run: CycleRun): string[] {
  return run.issues.map(i => `${i.severity}: ${i.reason}`);
}

/** The plan lines of `run` with a given action, e.g. every `blocked` note. */
export function changesOf(run: CycleRun, action: string): CycleRun['plan']['changes'] {
  return run.plan.changes.filter(c => c.action === action);
}
