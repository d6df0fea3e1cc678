import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCycle, runDriftReport, runWriteback } from '../../src/cycle.ts';
import { KubeClient } from '../../src/k8s/client.ts';
import { liveCluster } from '../../src/k8s/cluster.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import { RESOURCES } from '../../src/kinds/resources.ts';
import { NetBoxClient } from '../../src/netbox/client/index.ts';
import type { CreateOptions, Identified, WriteOptions } from '../../src/netbox/client/index.ts';
import type { BulkEndpoint } from '../../src/netbox/client/client.ts';
import type { RecordsApi } from '../../src/netbox/records.ts';
import type { NbQuery } from '../../src/model/netbox.ts';
import { formatSummary } from '../../src/plan/format.ts';
import { freePort, waitFor } from '../../dev/process.ts';
import { startDaemon } from '../support/daemon-process.ts';
import { createObject, editInCluster, ensureNamespace } from '../integration/e2e/kube.ts';
import { storedObjects } from '../integration/sync-support.ts';
import { prefixBody, startLab } from '../support/e2e.ts';
import type { Lab } from '../support/e2e.ts';
import { recordFigures } from './figures.ts';
import type { FigureRow } from './figures.ts';
import { Door, drawTrials, FAULTS, HEALTHY, servedFaults, TRIAL_RETRIES } from './netbox-faults-support.ts';
import type { FaultType, Trial } from './netbox-faults-support.ts';

/**
 * Issue 15: NetBox misbehaving under sync, writeback and drift — down, 5xx, 429 storms, hanging requests,
 * truncated pages, lost pages, an empty answer, a lying count, pages that shift between reads, a token revoked
 * mid-cycle — on the NetBox emulator (the only NetBox that fails on demand) and the real apiserver.
 *
 * One lab holds 12 Whereabouts pools with live allocations recorded in NetBox. Every trial first changes something
 * on both sides (a new pod allocation, a new NetBox-held address, one of our records deleted by hand), so the job
 * under fault has real work; then one fault from a seeded schedule hits the Nth API request of one job. After the
 * faulty job: no pool deleted, no record lost or duplicated, and a fault that was not absorbed by a retry is
 * reported (unhealthy source, an error, a drift status of `unknown`, never "No changes"/"clean"). Then healthy
 * cycles run and must converge: a second healthy round changes nothing, and NetBox holds exactly one record per
 * allocation. `RELIABILITY_SEED` replays a schedule; `RELIABILITY_NB_TRIALS` sets its length.
 */

const SEED = Number(process.env['RELIABILITY_SEED'] ?? randomInt(1, 2 ** 31));
const TRIALS = Number(process.env['RELIABILITY_NB_TRIALS'] ?? 40);
const POOLS = 12;

interface Tally {
  trials: number;
  fired: number;
  reported: number;
  absorbed: number;
  lost: number;
  duplicated: number;
  wronglyDeleted: number;
  converged: number;
}

const tallies = new Map<FaultType, Tally>(
  FAULTS.map(f => [
    f,
    { trials: 0, fired: 0, reported: 0, absorbed: 0, lost: 0, duplicated: 0, wronglyDeleted: 0, converged: 0 },
  ]),
);

describe(`NetBox faults across sync, writeback and drift (seed ${SEED}, ${TRIALS} trials)`, () => {
  let lab: Lab;
  let net: string;
  let ns: string;
  /** Offsets (within each /27) that hold a pod, per pool index. */
  const pods = new Map<number, number[]>();
  let nextHeld = 16;
  let previousPoolCount: number | undefined;
  let clock = Date.parse('2026-12-02T12:00:00Z');

  const poolName = (i: number): string => `wb-${i}`;
  /** Pool i is the i-th /27 of the lab's /22 (`net` is `10.a.b` with b a multiple of 4). */
  const octets = (i: number): [string, number, number] => {
    const [a, b, c] = net.split('.');
    return [`${a}.${b}`, Number(c) + Math.floor(i / 8), (i % 8) * 32];
  };
  const cidr = (i: number): string => {
    const [ab, c, d] = octets(i);
    return `${ab}.${c}.${d}/27`;
  };
  const host = (i: number, offset: number): string => {
    const [ab, c, d] = octets(i);
    return `${ab}.${c}.${d + offset}`;
  };
  const ippoolName = (i: number): string => cidr(i).replace(/[:/]/g, '-');

  /**
   * The trial's NetBox client (short timeout, one retry), with every call that ended in an error recorded: a job
   * one of whose reads or writes failed must say so.
   */
  function faultyClient(url: string): { api: RecordsApi; failures: string[] } {
    const c = new NetBoxClient({
      url,
      token: lab.netbox.tokens.v1,
      maxRetries: TRIAL_RETRIES,
      retryBaseMs: 10,
      timeoutMs: 1500,
    });
    const failures: string[] = [];
    function watch<A extends unknown[], R>(what: string, f: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
      return async (...args) => {
        try {
          return await f(...args);
        } catch (err) {
          failures.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
          throw err;
        }
      };
    }
    function bulk<W extends object, T>(what: string, ep: BulkEndpoint<W, T>): BulkEndpoint<W, T> {
      return {
        create: watch(`${what} create`, (items: W[], opts?: CreateOptions<W, T>) => ep.create(items, opts)),
        update: watch(`${what} update`, (items: (W & Identified)[], opts?: WriteOptions) => ep.update(items, opts)),
        delete: watch(`${what} delete`, (ids: number[], opts?: WriteOptions) => ep.delete(ids, opts)),
      };
    }
    const api: RecordsApi = {
      listPrefixes: watch('list prefixes', (q: NbQuery) => c.listPrefixes(q)),
      listIpRanges: watch('list ip-ranges', (q: NbQuery) => c.listIpRanges(q)),
      listIpAddresses: watch('list ip-addresses', (q: NbQuery) => c.listIpAddresses(q)),
      ipAddresses: bulk('ip-addresses', c.ipAddresses),
      prefixes: bulk('prefixes', c.prefixes),
      ipRanges: bulk('ip-ranges', c.ipRanges),
    };
    return { api, failures };
  }

  function deps(client: RecordsApi, kube: KubeClient) {
    return { config: lab.config, netbox: client, adapters: ADAPTERS, ...liveCluster(kube) };
  }

  /** Our records as NetBox stores them (read from the emulator's store, not through the client under test). */
  function storedRecords(): { address: string; owner: string; stale: boolean; id: number }[] {
    return lab.emulator.store
      .all('ipam/ip-addresses')
      .map(row => ({ row, cf: (row['custom_fields'] ?? {}) as Record<string, unknown> }))
      .filter(({ cf }) => cf['k8s_cluster'] === lab.cluster)
      .map(({ row, cf }) => ({
        address: String(row['address']),
        owner: String(cf['k8s_owner']),
        stale: typeof cf['k8s_stale_since'] === 'string',
        id: row.id,
      }));
  }

  /** The addresses the cluster allocates now: `host/27 namespace/pod`. */
  function allocationLines(): string[] {
    return [...pods.entries()]
      .flatMap(([i, offsets]) => offsets.map(o => `${host(i, o)}/27 ${ns}/pod-${i}-${o}`))
      .sort();
  }

  async function sync(client: RecordsApi) {
    const kube = new KubeClient({ kubeconfig: inject('kubeconfigPath') });
    try {
      const result = await runCycle(deps(client, kube), { apply: true, previousPoolCount });
      // As the daemon does: only a trusted cycle moves the empty-source guard's memory.
      if (result.nextPoolCount !== undefined) previousPoolCount = result.nextPoolCount;
      return result;
    } finally {
      kube.close();
    }
  }

  async function writeback(client: RecordsApi) {
    const kube = new KubeClient({ kubeconfig: inject('kubeconfigPath') });
    try {
      return await runWriteback(deps(client, kube), { dryRun: false, now: new Date((clock += 1000)) });
    } finally {
      kube.close();
    }
  }

  async function drift(client: RecordsApi) {
    const kube = new KubeClient({ kubeconfig: inject('kubeconfigPath') });
    try {
      return await runDriftReport(deps(client, kube), { now: new Date((clock += 1000)) });
    } finally {
      kube.close();
    }
  }

  /** Healthy rounds until one changes nothing; returns how many it took (fails after 3). */
  async function converge(): Promise<number> {
    lab.emulator.setKnobs(HEALTHY);
    for (let round = 1; round <= 3; round++) {
      const s = await sync(lab.client);
      expect(s.source.healthy, s.source.reason).toBe(true);
      expect(s.apply?.results.filter(r => r.outcome === 'failed')).toEqual([]);
      const w = await writeback(lab.client);
      expect(w.source.healthy, w.source.reason).toBe(true);
      expect(w.report?.aborted).toBeUndefined();
      const changed =
        (s.apply?.results.filter(r => r.outcome === 'applied').length ?? 0) + (w.plan?.changes.length ?? 0);
      if (changed === 0) return round;
    }
    throw new Error('three healthy rounds after the fault still changed something: no convergence');
  }

  beforeAll(async () => {
    lab = await startLab({ netbox: 'emulator' });
    // Small pages, so every listing the cycle reads spans several pages and page faults have somewhere to hit.
    lab.emulator.setKnobs({ maxPageSize: 10 });
    ns = lab.cluster;
    net = `10.${randomInt(128, 251)}.${randomInt(0, 62) * 4}`;
    await ensureNamespace(ns);
    for (let i = 0; i < POOLS; i++) {
      await lab.client.create(
        'ipam/prefixes',
        prefixBody(lab, cidr(i), 'k8s-secondary', { k8s_pool_name: poolName(i), k8s_namespace: ns }),
      );
      // A gateway NetBox holds in every pool: an exclusion for sync, a foreign record for writeback.
      await lab.client.create('ipam/ip-addresses', { address: `${host(i, 1)}/27`, status: 'active' });
      pods.set(i, [2, 3, 4]);
    }
    for (let i = 0; i < POOLS; i++) {
      const allocations = Object.fromEntries(
        (pods.get(i) ?? []).map(o => [String(o), { id: `c-${i}-${o}`, podref: `${ns}/pod-${i}-${o}`, ifname: 'net1' }]),
      );
      await createObject(
        RESOURCES.whereaboutsIpPool,
        { name: ippoolName(i), namespace: ns },
        { spec: { range: cidr(i), allocations } },
      );
    }
    await converge();
    expect((await storedObjects(lab.cluster)).size).toBe(POOLS);
    expect(
      storedRecords()
        .map(r => `${r.address} ${r.owner}`)
        .sort(),
    ).toEqual(allocationLines());
  }, 120_000);

  afterAll(async () => {
    const rows: FigureRow[] = FAULTS.map(f => {
      const t = tallies.get(f)!;
      return {
        suite: 'netbox-faults',
        scenario: f,
        trials: t.trials,
        faults: t.fired,
        lost: t.lost,
        duplicated: t.duplicated,
        wronglyDeleted: t.wronglyDeleted,
        seed: SEED,
        extra: { reported: t.reported, absorbed: t.absorbed, converged: t.converged },
      };
    });
    recordFigures(inject('reliabilityFigures'), rows);
    console.log(
      `[netbox-faults] seed ${SEED}\n${rows.map(r => `${r.scenario}: ${JSON.stringify({ ...r, suite: undefined })}`).join('\n')}`,
    );
    await lab?.close();
  });

  /** Work for the job under fault: a new pod, a new NetBox-held address, one of our records deleted by hand. */
  async function changeBothSides(trial: Trial): Promise<{ deletedByHand?: string }> {
    const i = trial.index % POOLS;
    const offsets = pods.get(i) ?? [];
    const offset = offsets.length + 2;
    if (offset < 16) {
      offsets.push(offset);
      await editInCluster(RESOURCES.whereaboutsIpPool, ippoolName(i), ns, {
        spec: {
          allocations: {
            [String(offset)]: { id: `c-${i}-${offset}`, podref: `${ns}/pod-${i}-${offset}`, ifname: 'net1' },
          },
        },
      });
    }
    if (trial.index % 2 === 0 && nextHeld < 31) {
      await lab.client.create('ipam/ip-addresses', {
        address: `${host((trial.index + 5) % POOLS, nextHeld)}/27`,
        status: 'active',
      });
      if ((trial.index + 5) % POOLS === POOLS - 1) nextHeld++;
    }
    if (trial.index % 3 === 0) {
      const victim = storedRecords()[trial.index % (POOLS * 3)];
      if (victim) {
        await lab.client.delete('ipam/ip-addresses', victim.id);
        return { deletedByHand: victim.address };
      }
    }
    return {};
  }

  it.each(drawTrials(SEED, TRIALS).map(t => [t.describe, t] as const))(
    '%s',
    async (_, trial) => {
      const tally = tallies.get(trial.fault)!;
      tally.trials++;
      const { deletedByHand } = await changeBothSides(trial);
      const poolsBefore = new Set((await storedObjects(lab.cluster)).keys());
      const recordsBefore = new Set(storedRecords().map(r => r.address));
      if (deletedByHand) recordsBefore.delete(deletedByHand);

      lab.emulator.setKnobs(HEALTHY);
      lab.emulator.resetStats();
      lab.emulator.setKnobs({ ...trial.knobs, faultSkip: trial.atRequest });
      const { api: client, failures } = faultyClient(
        trial.fault === 'down' ? `http://127.0.0.1:${await freePort()}` : lab.emulator.url,
      );
      let error: string | undefined;
      let reported: boolean;
      let said: string;
      try {
        if (trial.job === 'sync') {
          const r = await sync(client);
          said = formatSummary(r.plan);
          reported = !r.source.healthy || r.plan.guards.length > 0;
          if (!r.source.healthy) {
            // Never "No changes" when NetBox was not read; and nothing deleted.
            expect(said).toMatch(/NetBox could not be read/);
            expect(r.plan.changes.filter(c => c.action === 'delete')).toEqual([]);
          }
        } else if (trial.job === 'writeback') {
          const r = await writeback(client);
          const failed = (r.report?.results ?? []).filter(x => x.outcome !== 'applied');
          said = r.source.reason ?? r.report?.aborted ?? failed.map(f => f.message ?? '').join('; ');
          reported =
            !r.source.healthy ||
            r.report?.aborted !== undefined ||
            failed.length > 0 ||
            (r.plan?.conflicts.length ?? 0) > 0;
          if (!r.source.healthy) expect(r.plan).toBeUndefined();
        } else {
          const r = await drift(client);
          said = r.headline;
          reported = r.status === 'unknown';
          if (!r.source.healthy) {
            expect(r.status).toBe('unknown');
            expect(r.headline).not.toMatch(/no drift|clean/i);
          }
        }
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
        said = error;
        reported = true;
      }
      // Whether the fault reached the job at all: the job may have made fewer requests than the schedule skips.
      const fired = trial.fault === 'down' || servedFaults(lab.emulator) > 0 || lab.emulator.stats().tamperedPages > 0;
      lab.emulator.setKnobs(HEALTHY);
      if (fired) tally.fired++;
      if (fired && reported) tally.reported++;
      if (fired && !reported) tally.absorbed++;
      if (fired && !trial.absorbable) {
        expect(reported, `${trial.describe}: the fault was not reported (said: ${said})`).toBe(true);
      }
      // Whatever the schedule, a job one of whose NetBox calls failed must not look like a clean run.
      if (failures.length > 0) {
        expect(reported, `${trial.describe}: ${failures.join(' | ')} — yet the job said: ${said}`).toBe(true);
      }
      if (trial.fault === 'token-revoked' && fired) {
        // Says what happened and what to do, wherever it surfaced (plan summary, writeback reason, drift headline).
        expect(said).toMatch(/NetBox no longer accepts the token in .* create a new API token/);
      }

      // Right after the faulty job: nothing deleted, nothing lost, nothing twice.
      const poolsDuring = new Set((await storedObjects(lab.cluster)).keys());
      const deletedPools = [...poolsBefore].filter(p => !poolsDuring.has(p));
      const during = storedRecords();
      const lost = [...recordsBefore].filter(a => !during.some(r => r.address === a));
      const dup = during.length - new Set(during.map(r => r.address)).size;
      tally.wronglyDeleted += deletedPools.length;
      tally.lost += lost.length;
      tally.duplicated += dup;
      expect(deletedPools, trial.describe).toEqual([]);
      expect(lost, trial.describe).toEqual([]);
      expect(dup, trial.describe).toBe(0);

      // The next healthy cycles converge to the state a run without faults reaches.
      await converge();
      const after = storedRecords();
      expect(after.filter(r => r.stale)).toEqual([]);
      expect(after.map(r => `${r.address} ${r.owner}`).sort()).toEqual(allocationLines());
      expect(new Set((await storedObjects(lab.cluster)).keys())).toEqual(poolsDuring);
      expect(poolsDuring.size).toBe(POOLS);
      tally.converged++;
    },
    60_000,
  );
  it('the daemon: /readyz says NetBox is down or refuses the token, deletes nothing, and recovers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nbsync-nbfaults-'));
    const door = new Door(lab.emulator.port);
    await door.open();
    const port = await freePort();
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      stringify({
        cluster: lab.cluster,
        netbox: { url: door.url, tokenEnv: 'DAEMON_NETBOX_TOKEN', timeoutMs: 2000 },
        selection: { roles: { 'k8s-secondary': 'whereabouts' } },
        deleteBudget: { maxCount: 50, maxPercent: 100 },
        schedule: { sync: { every: '300ms' }, writeback: false, drift: false, debounce: '100ms' },
        server: { address: '127.0.0.1', port },
      }),
    );
    lab.emulator.setKnobs(HEALTHY);
    let pools = await storedObjects(lab.cluster);
    const daemon = await startDaemon(
      ['-c', config],
      { DAEMON_NETBOX_TOKEN: lab.netbox.tokens.v1, KUBECONFIG: inject('kubeconfigPath') },
      port,
    );
    const sync = `sync/${lab.cluster}`;
    /** Waits until /readyz answers `status` with the sync check matching `text`; returns that check. */
    const readyz = async (status: number, text: RegExp): Promise<string> => {
      let last = '';
      await waitFor(
        `/readyz ${status} ${String(text)}`,
        async () => {
          const res = await fetch(`${daemon.url}/readyz`);
          const body = (await res.json()) as { checks: Record<string, string> };
          last = `${res.status} ${body.checks[sync] ?? ''}`;
          return res.status === status && text.test(body.checks[sync] ?? '');
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      ).catch((err: unknown) => {
        throw new Error(`${err instanceof Error ? err.message : String(err)}; last answer: ${last}`);
      });
      return last;
    };
    let faults = 0;
    try {
      await readyz(200, /^ok$/);
      // Its own config renders the pools a little differently from the lab's: the steady state starts here.
      pools = await storedObjects(lab.cluster);
      await door.close(); // NetBox down: connection refused
      faults++;
      expect(await readyz(503, /NetBox was not read .*could not be reached.*nothing was deleted/)).toBeTruthy();
      expect(await storedObjects(lab.cluster)).toEqual(pools);
      await door.open();
      await readyz(200, /^ok$/);
      lab.emulator.setKnobs({ tokenRevoked: true });
      faults++;
      expect(
        await readyz(503, /NetBox was not read .*NetBox no longer accepts the token in env DAEMON_NETBOX_TOKEN/),
      ).toBeTruthy();
      expect(await storedObjects(lab.cluster)).toEqual(pools);
      lab.emulator.setKnobs({ tokenRevoked: false });
      await readyz(200, /^ok$/);
      expect(await storedObjects(lab.cluster)).toEqual(pools);
    } finally {
      lab.emulator.setKnobs(HEALTHY);
      await daemon.stop();
      await door.close();
      rmSync(dir, { recursive: true, force: true });
      recordFigures(inject('reliabilityFigures'), [
        {
          suite: 'netbox-faults',
          scenario: 'daemon /readyz: down, token revoked',
          trials: 1,
          faults,
          lost: 0,
          duplicated: 0,
          wronglyDeleted: pools.size - [...(await storedObjects(lab.cluster)).keys()].filter(k => pools.has(k)).length,
        },
      ]);
    }
  }, 120_000);
});
