import { CLUSTER_LABEL, NETBOX_OBJECTS_ANNOTATION, SPEC_HASH_ANNOTATION } from '../../src/model/ownership.ts';
import { RESOURCES } from '../../src/kinds/resources.ts';
import { prefixBody } from '../support/e2e.ts';
import type { Lab } from '../support/e2e.ts';
import { admin, normalise, pick, sample } from './crash-support.ts';
import type { Rng } from './crash-support.ts';

/**
 * The estate of the apply crash trials: SLOTS prefixes of three kinds in one lab's NetBox, each present or not,
 * active or deprecated, in one of a few shapes (prefix length, Calico block size). A trial changes a random few
 * slots (creates, shape changes that update or replace pools, status flips, deletes); the same decisions are applied
 * to the crash lab and to its reference lab, whose estate differs only in cluster name and address block.
 */

export const SLOTS = 18;
const KINDS = [
  { role: 'k8s-pod', kind: 'calico', shapes: 3 },
  { role: 'k8s-loadbalancer', kind: 'metallb', shapes: 2 },
  { role: 'k8s-secondary', kind: 'whereabouts', shapes: 2 },
] as const;

interface SlotState {
  present: boolean;
  deprecated: boolean;
  shape: number;
}

export type Mutation =
  | { slot: number; op: 'create'; shape: number }
  | { slot: number; op: 'delete' }
  | { slot: number; op: 'reshape'; shape: number }
  | { slot: number; op: 'status'; deprecated: boolean };

/** The slots' NetBox state, shared by both labs (they only differ in names and addresses). */
export class ApplyEstate {
  readonly slots: SlotState[] = Array.from({ length: SLOTS }, () => ({ present: false, deprecated: false, shape: 0 }));

  /** A few random changes; every op keeps the slot's NetBox object valid. */
  mutations(rng: Rng, count: number): Mutation[] {
    const out: Mutation[] = [];
    for (const slot of sample(
      rng,
      this.slots.map((_, i) => i),
      count,
    )) {
      const s = this.slots[slot] as SlotState;
      const shapes = (KINDS[slot % KINDS.length] as (typeof KINDS)[number]).shapes;
      const otherShape = (s.shape + 1 + Math.floor(rng() * (shapes - 1))) % shapes;
      if (!s.present) out.push({ slot, op: 'create', shape: Math.floor(rng() * shapes) });
      else {
        const r = rng();
        if (r < 0.3) out.push({ slot, op: 'delete' });
        else if (r < 0.65) out.push({ slot, op: 'reshape', shape: otherShape });
        else out.push({ slot, op: 'status', deprecated: !s.deprecated });
      }
    }
    return out;
  }

  commit(ms: readonly Mutation[]): void {
    for (const m of ms) {
      const s = this.slots[m.slot] as SlotState;
      if (m.op === 'create') Object.assign(s, { present: true, deprecated: false, shape: m.shape });
      else if (m.op === 'delete') s.present = false;
      else if (m.op === 'reshape') s.shape = m.shape;
      else s.deprecated = m.deprecated;
    }
  }
}

export const describeMutations = (ms: readonly Mutation[]): string =>
  ms.map(m => `${m.op}#${m.slot}${'shape' in m ? `/${m.shape}` : ''}`).join(' ');

/** One lab's side of the estate: its NetBox ids, names and address block (10.<base>.<slot>.0). */
export class ApplyLabEstate {
  readonly lab: Lab;
  readonly base: number;
  readonly ids = new Map<number, number>();

  constructor(lab: Lab, base: number) {
    this.lab = lab;
    this.base = base;
  }

  get namespace(): string {
    return `crash-${this.lab.cluster}`;
  }

  async ensureNamespace(): Promise<void> {
    await admin().ensureNamespace(this.namespace);
  }

  #body(slot: number, shape: number, deprecated: boolean): Record<string, unknown> {
    const k = KINDS[slot % KINDS.length] as (typeof KINDS)[number];
    const length = shape === 1 ? 25 : 24;
    const cf: Record<string, unknown> = { k8s_pool_name: `p${slot}-${this.lab.cluster}`, k8s_block_size: null };
    if (k.kind === 'whereabouts') cf['k8s_namespace'] = this.namespace;
    if (k.kind === 'calico') cf['k8s_block_size'] = shape === 2 ? 28 : 26;
    const body = prefixBody(this.lab, `10.${this.base}.${slot}.0/${length}`, k.role, cf);
    body['status'] = deprecated ? 'deprecated' : 'active';
    return body;
  }

  async apply(ms: readonly Mutation[], estate: ApplyEstate): Promise<void> {
    for (const m of ms) {
      const s = estate.slots[m.slot] as SlotState;
      const id = this.ids.get(m.slot);
      if (m.op === 'create') {
        const created = await this.lab.client.create<{ id: number }>(
          'ipam/prefixes',
          this.#body(m.slot, m.shape, false),
        );
        this.ids.set(m.slot, created.id);
      } else if (id === undefined) {
        throw new Error(`slot ${m.slot} has no NetBox prefix in ${this.lab.cluster}`);
      } else if (m.op === 'delete') {
        await this.lab.client.delete('ipam/prefixes', id);
        this.ids.delete(m.slot);
      } else {
        const shape = m.op === 'reshape' ? m.shape : s.shape;
        const deprecated = m.op === 'status' ? m.deprecated : s.deprecated;
        await this.lab.client.update('ipam/prefixes', id, this.#body(m.slot, shape, deprecated));
      }
    }
  }

  /** What the text of this lab's objects becomes when compared with the other lab's. */
  get pairs(): [string, string][] {
    return [
      [this.lab.netbox.url, 'NETBOX'],
      [this.lab.cluster, 'CLUSTER'],
      [`10.${this.base}.`, '10.X.'],
    ];
  }
}

const POOL_TYPES = [
  RESOURCES.networkAttachmentDefinition,
  RESOURCES.calicoIpPool,
  RESOURCES.calicoIpReservation,
  RESOURCES.metallbIpAddressPool,
  RESOURCES.nvIpamIpPool,
  RESOURCES.ciliumLbPool,
  RESOURCES.ciliumPodPool,
];

export interface PoolView {
  uid: string;
  /** Spec, our labels and annotations (the spec hash as present or not: it hashes the lab's own addresses). */
  content: string;
  netboxObjects: string;
}

/** Every object of ours for the lab's cluster, keyed `Kind namespace/name`, normalised for comparison. */
export async function poolSnapshot(side: ApplyLabEstate): Promise<Map<string, PoolView>> {
  const kube = admin();
  const out = new Map<string, PoolView>();
  const lists = await Promise.all(
    POOL_TYPES.map(rt => kube.list(rt, { labelSelector: `${CLUSTER_LABEL}=${side.lab.cluster}` })),
  );
  for (const o of lists.flat()) {
    const annotations = { ...(o.metadata.annotations ?? {}) };
    const hash = annotations[SPEC_HASH_ANNOTATION];
    delete annotations[SPEC_HASH_ANNOTATION];
    delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
    const ours = Object.fromEntries(Object.entries(annotations).filter(([k]) => k.startsWith('netbox-ippool-sync/')));
    const body = { ...o } as Record<string, unknown>;
    delete body['metadata'];
    delete body['status'];
    const content = JSON.stringify(
      normalise({ body, labels: o.metadata.labels ?? {}, annotations: ours, hashed: hash !== undefined }, side.pairs),
    );
    const key = normalise(`${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`, side.pairs);
    out.set(key, {
      uid: o.metadata.uid ?? '',
      content,
      netboxObjects: `${o.kind}:${annotations[NETBOX_OBJECTS_ANNOTATION] ?? ''}`,
    });
  }
  return out;
}

export const sameContent = (a: Map<string, PoolView>, b: Map<string, PoolView>): boolean =>
  a.size === b.size && [...a].every(([k, v]) => b.get(k)?.content === v.content);

export interface ApplyComparison {
  lost: string[];
  orphaned: string[];
  mismatched: string[];
  duplicated: string[];
  wronglyDeleted: string[];
}

/**
 * The crash lab after recovery against the reference lab. A pool recreated in the crash lab (new uid) while the
 * reference kept its own counts as wrongly deleted; one the reference replaced too (immutable field) does not.
 */
export function compareApply(
  crash: { before: Map<string, PoolView>; after: Map<string, PoolView> },
  ref: { before: Map<string, PoolView>; after: Map<string, PoolView> },
): ApplyComparison {
  const lost = [...ref.after.keys()].filter(k => !crash.after.has(k));
  const orphaned = [...crash.after.keys()].filter(k => !ref.after.has(k));
  const mismatched = [...ref.after].filter(([k, v]) => crash.after.has(k) && crash.after.get(k)?.content !== v.content);
  const byNetBox = new Map<string, string[]>();
  for (const [k, v] of crash.after) byNetBox.set(v.netboxObjects, [...(byNetBox.get(v.netboxObjects) ?? []), k]);
  const duplicated = [...byNetBox.values()].filter(ks => ks.length > 1).map(ks => ks.join(' + '));
  const recreated = (s: { before: Map<string, PoolView>; after: Map<string, PoolView> }, k: string): boolean => {
    const b = s.before.get(k);
    const a = s.after.get(k);
    return b !== undefined && a !== undefined && a.uid !== b.uid;
  };
  const wronglyDeleted = [...crash.after.keys()].filter(k => recreated(crash, k) && !recreated(ref, k));
  return { lost, orphaned, mismatched: mismatched.map(([k]) => k), duplicated, wronglyDeleted };
}

export { pick };
