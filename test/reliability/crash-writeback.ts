import { inject } from 'vitest';
import { RESOURCES } from '../../src/kinds/resources.ts';
import { runWriteback } from '../../src/cycle.ts';
import type { WritebackCycleResult } from '../../src/cycle.ts';
import type { Config } from '../../src/config/config.ts';
import { KubeClient } from '../../src/k8s/client.ts';
import { liveCluster } from '../../src/k8s/cluster.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import type { NbIpAddress, NbIpRange, NbPrefix } from '../../src/model/netbox.ts';
import type { BulkEndpoint } from '../../src/netbox/client/client.ts';
import type { RecordsApi } from '../../src/netbox/records.ts';
import { prefixBody } from '../support/e2e.ts';
import type { Lab } from '../support/e2e.ts';
import { admin, normalise, sample } from './crash-support.ts';
import type { Rng } from './crash-support.ts';

/**
 * The estate of the writeback crash trials: live allocations of three kinds, so writeback writes all three record
 * models — Whereabouts pods (one IP address each), Calico IPAMBlocks (one child prefix each) and NV-IPAM node
 * blocks (one IP range each). A trial adds and removes allocations and moves pods to new owners (creates, marks,
 * updates; with a grace period of 0 the marks of the trial before are deleted).
 */

export const WB_OFFSETS = Array.from({ length: 180 }, (_, i) => i + 2);
export const CALICO_BLOCKS = 16;
export const NV_BLOCKS = 24;

export interface AllocationState {
  /** Whereabouts offset → owner version (a new version is a new pod on the same address). */
  pods: Map<number, number>;
  calico: Set<number>;
  nv: Set<number>;
}

export interface WbMutation {
  add: number[];
  remove: number[];
  reown: number[];
  calicoOn: number[];
  calicoOff: number[];
  nvOn: number[];
  nvOff: number[];
}

export function wbMutation(rng: Rng, s: AllocationState, scale = 1): WbMutation {
  const free = WB_OFFSETS.filter(o => !s.pods.has(o));
  const used = [...s.pods.keys()];
  const n = (lo: number, hi: number): number => Math.round((lo + Math.floor(rng() * (hi - lo + 1))) * scale);
  const remove = sample(rng, used, n(1, 6));
  const reown = sample(
    rng,
    used.filter(o => !remove.includes(o)),
    n(0, 3),
  );
  const blocksOf = (all: number, on: Set<number>) => {
    const ids = Array.from({ length: all }, (_, i) => i);
    return {
      on: sample(
        rng,
        ids.filter(i => !on.has(i)),
        n(0, 2),
      ),
      off: sample(
        rng,
        ids.filter(i => on.has(i)),
        n(0, 1),
      ),
    };
  };
  const calico = blocksOf(CALICO_BLOCKS, s.calico);
  const nv = blocksOf(NV_BLOCKS, s.nv);
  return {
    add: sample(rng, free, n(2, 10)),
    remove,
    reown,
    calicoOn: calico.on,
    calicoOff: calico.off,
    nvOn: nv.on,
    nvOff: nv.off,
  };
}

export function commitWb(s: AllocationState, m: WbMutation): void {
  for (const o of m.remove) s.pods.delete(o);
  for (const o of m.reown) s.pods.set(o, (s.pods.get(o) ?? 0) + 1);
  for (const o of m.add) s.pods.set(o, 0);
  for (const b of m.calicoOff) s.calico.delete(b);
  for (const b of m.calicoOn) s.calico.add(b);
  for (const b of m.nvOff) s.nv.delete(b);
  for (const b of m.nvOn) s.nv.add(b);
}

export const describeWb = (m: WbMutation): string =>
  `+${m.add.length} -${m.remove.length} ~${m.reown.length} calico +${m.calicoOn.length}-${m.calicoOff.length} nv +${m.nvOn.length}-${m.nvOff.length}`;

/** One lab's side: NetBox prefixes, pools (synced once), and its allocations written as each system writes them. */
export class WritebackLabEstate {
  readonly lab: Lab;
  readonly base: number;
  /** The lab's config with a grace period of 0, so marked records are deleted by the next run. */
  readonly config: Config;

  constructor(lab: Lab, base: number) {
    this.lab = lab;
    this.base = base;
    this.config = { ...lab.config, writeback: { ...lab.config.writeback, gracePeriodMinutes: 0 } };
  }

  get namespace(): string {
    return `crashwb-${this.lab.cluster}`;
  }
  get ippool(): string {
    return `10.${this.base}.0.0-24`;
  }
  calicoCidr(b: number): string {
    return `10.${this.base}.${16 + Math.floor(b / 4)}.${64 * (b % 4)}/26`;
  }
  nvRange(b: number): { startIP: string; endIP: string } {
    const third = 64 + Math.floor((b * 16) / 256);
    const fourth = (b * 16) % 256;
    return { startIP: `10.${this.base}.${third}.${fourth + 1}`, endIP: `10.${this.base}.${third}.${fourth + 14}` };
  }

  async setUp(): Promise<void> {
    const kube = admin();
    await kube.ensureNamespace(this.namespace);
    const c = this.lab.cluster;
    const create = (prefix: string, role: string, cf: Record<string, unknown>) =>
      this.lab.client.create('ipam/prefixes', prefixBody(this.lab, prefix, role, cf));
    await create(`10.${this.base}.0.0/24`, 'k8s-secondary', {
      k8s_pool_name: `wb-${c}`,
      k8s_namespace: this.namespace,
    });
    await create(`10.${this.base}.16.0/20`, 'k8s-pod', { k8s_pool_name: `pods-${c}` });
    await create(`10.${this.base}.64.0/22`, 'k8s-rdma', { k8s_pool_name: `rdma-${c}`, k8s_namespace: this.namespace });
    const sync = await this.lab.cycle();
    const failed = (sync.apply?.results ?? []).filter(r => r.outcome === 'failed');
    if (failed.length > 0 || sync.plan.changes.length === 0) {
      throw new Error(`setting up ${c}: ${JSON.stringify(sync.plan.changes.map(x => x.action))} ${sync.issues.length}`);
    }
    await kube.create(
      RESOURCES.whereaboutsIpPool,
      { name: this.ippool, namespace: this.namespace },
      { spec: { range: `10.${this.base}.0.0/24`, allocations: {} } },
    );
  }

  /** Writes the allocation sources to match `s` (the IPPool, the IPAMBlocks, the NV-IPAM status). */
  async write(s: AllocationState, m: WbMutation): Promise<void> {
    const kube = admin();
    const allocations = Object.fromEntries(
      [...s.pods].map(([o, v]) => [
        String(o),
        { id: `c-${o}-${v}`, podref: `${this.namespace}/pod-${o}-v${v}`, ifname: 'net1' },
      ]),
    );
    const rt = RESOURCES.whereaboutsIpPool;
    const path = `/apis/${rt.group}/${rt.version}/namespaces/${this.namespace}/${rt.plural}/${this.ippool}`;
    const current = (await kube.send('GET', path)) as { metadata: Record<string, unknown> };
    await kube.send('PUT', path, {
      apiVersion: `${rt.group}/${rt.version}`,
      kind: rt.kind,
      metadata: current.metadata,
      spec: { range: `10.${this.base}.0.0/24`, allocations },
    });
    for (const b of m.calicoOff)
      await kube.delete(RESOURCES.calicoIpamBlockV1, this.calicoCidr(b).replace(/[./]/g, '-'));
    for (const b of m.calicoOn) {
      const cidr = this.calicoCidr(b);
      const node = `node-${b % 4}-${this.lab.cluster}`;
      await kube.create(
        RESOURCES.calicoIpamBlockV1,
        { name: cidr.replace(/[./]/g, '-') },
        {
          spec: {
            cidr,
            affinity: `host:${node}`,
            allocations: Array.from({ length: 64 }, () => null),
            unallocated: Array.from({ length: 64 }, (_, i) => i),
            attributes: [],
            strictAffinity: false,
          },
        },
      );
    }
    if (m.nvOn.length + m.nvOff.length > 0) {
      const blocks = [...s.nv]
        .sort((a, b) => a - b)
        .map(b => ({ nodeName: `node-${b}-${this.lab.cluster}`, ...this.nvRange(b) }));
      await kube.patchStatus(RESOURCES.nvIpamIpPool, `rdma-${this.lab.cluster}`, this.namespace, {
        allocations: blocks,
      });
    }
  }

  /** One in-process writeback cycle (the reference run, or the clean run after a kill); `timed` sums write time. */
  async writeback(timed?: { ms: number }): Promise<WritebackCycleResult> {
    const kube = new KubeClient({ kubeconfig: inject('kubeconfigPath') });
    try {
      return await runWriteback(
        {
          config: this.config,
          netbox: timed ? timedWrites(this.lab.client, timed) : this.lab.client,
          adapters: ADAPTERS,
          ...liveCluster(kube),
        },
        { dryRun: false },
      );
    } finally {
      kube.close();
    }
  }

  /** The keys of the records the allocations in `s` call for (normalised). */
  liveKeys(s: AllocationState): Set<string> {
    const keys = new Set<string>();
    for (const o of s.pods.keys()) keys.add(`ip-address 10.X.0.${o}`);
    for (const b of s.calico) keys.add(`prefix ${normalise(this.calicoCidr(b), this.pairs)}`);
    for (const b of s.nv) {
      const r = this.nvRange(b);
      keys.add(`ip-range ${normalise(`${r.startIP}-${r.endIP}`, this.pairs)}`);
    }
    return keys;
  }

  get pairs(): [string, string][] {
    return [
      [this.lab.netbox.url, 'NETBOX'],
      [this.lab.cluster, 'CLUSTER'],
      [`10.${this.base}.`, '10.X.'],
    ];
  }
}

/** The client with the time its bulk writes take added up in `into.ms`. */
function timedWrites(c: RecordsApi, into: { ms: number }): RecordsApi {
  const time = async <R>(work: () => Promise<R>): Promise<R> => {
    const t0 = Date.now();
    try {
      return await work();
    } finally {
      into.ms += Date.now() - t0;
    }
  };
  const wrap = <W extends object, T>(ep: BulkEndpoint<W, T>): BulkEndpoint<W, T> => ({
    create: (items, opts) => time(() => ep.create(items, opts)),
    update: (items, opts) => time(() => ep.update(items, opts)),
    delete: (ids, opts) => time(() => ep.delete(ids, opts)),
  });
  return {
    listPrefixes: q => c.listPrefixes(q),
    listIpRanges: q => c.listIpRanges(q),
    listIpAddresses: q => c.listIpAddresses(q),
    ipAddresses: wrap(c.ipAddresses),
    prefixes: wrap(c.prefixes),
    ipRanges: wrap(c.ipRanges),
  };
}

export interface RecordRow {
  id: number;
  stale: boolean;
  content: string;
}

const host = (a: string): string => a.split('/')[0] ?? a;

/** Every record of ours for the lab (managed tag + its cluster tag), by normalised key; duplicates stay listed. */
export async function recordSnapshot(side: WritebackLabEstate): Promise<Map<string, RecordRow[]>> {
  const { lab } = side;
  const tag = [lab.config.selection.managedTag, lab.clusterTag];
  const [addresses, prefixes, ranges] = await Promise.all([
    lab.client.listIpAddresses({ tag }),
    lab.client.listPrefixes({ tag }),
    lab.client.listIpRanges({ tag }),
  ]);
  const out = new Map<string, RecordRow[]>();
  const add = (key: string, r: NbIpAddress | NbPrefix | NbIpRange, location: Record<string, unknown>) => {
    const cf = r.custom_fields;
    const stale = typeof cf['k8s_stale_since'] === 'string';
    const content = JSON.stringify(
      normalise(
        {
          ...location,
          vrf: r.vrf?.id ?? null,
          status: r.status.value,
          description: r.description ?? '',
          tags: r.tags.map(t => t.slug).sort(),
          cluster: cf['k8s_cluster'],
          owner: cf['k8s_owner'],
          pool: cf['k8s_pool'],
          stale,
        },
        side.pairs,
      ),
    );
    const k = normalise(key, side.pairs);
    out.set(k, [...(out.get(k) ?? []), { id: r.id, stale, content }]);
  };
  for (const a of addresses) add(`ip-address ${host(a.address)}`, a, { address: a.address, dns: a.dns_name ?? '' });
  for (const p of prefixes) add(`prefix ${p.prefix}`, p, { prefix: p.prefix });
  for (const r of ranges) {
    add(`ip-range ${host(r.start_address)}-${host(r.end_address)}`, r, {
      start: r.start_address,
      end: r.end_address,
    });
  }
  return out;
}

export const sameRecords = (a: Map<string, RecordRow[]>, b: Map<string, RecordRow[]>): boolean =>
  a.size === b.size &&
  [...a].every(
    ([k, rows]) => JSON.stringify(rows.map(r => r.content)) === JSON.stringify(b.get(k)?.map(r => r.content)),
  );

export interface WritebackComparison {
  lost: string[];
  duplicated: string[];
  mismatched: string[];
  /** Records of allocations gone that are still there and not marked stale. */
  unmarked: string[];
  wronglyDeleted: string[];
}

/**
 * The crash lab after its clean run against the reference lab after its one uninterrupted run. Live allocations
 * must have exactly the reference's record; records of gone allocations may be marked stale or already deleted
 * (the killed run plus the clean run are two runs, and with a grace period of 0 the second deletes what the first
 * marked), never left unmarked; a record of an allocation live before and after the trial keeps its id.
 */
export function compareWriteback(
  live: Set<string>,
  liveBefore: Set<string>,
  crash: { before: Map<string, RecordRow[]>; after: Map<string, RecordRow[]> },
  ref: Map<string, RecordRow[]>,
): WritebackComparison {
  const c: WritebackComparison = { lost: [], duplicated: [], mismatched: [], unmarked: [], wronglyDeleted: [] };
  for (const [k, rows] of crash.after) if (rows.length > 1) c.duplicated.push(k);
  for (const k of live) {
    const rows = crash.after.get(k) ?? [];
    const want = ref.get(k) ?? [];
    if (rows.length === 0) c.lost.push(k);
    else if (rows.length === 1 && (want.length !== 1 || want[0]?.content !== rows[0]?.content)) c.mismatched.push(k);
    const before = crash.before.get(k);
    if (liveBefore.has(k) && before?.length === 1 && rows.length >= 1 && !rows.some(r => r.id === before[0]?.id)) {
      c.wronglyDeleted.push(k);
    }
  }
  for (const [k, rows] of crash.after) if (!live.has(k) && rows.some(r => !r.stale)) c.unmarked.push(k);
  return c;
}
