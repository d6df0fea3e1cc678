import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCycle, runWriteback } from '../../src/cycle.ts';
import type { WritebackCycleResult } from '../../src/cycle.ts';
import { parseConfig } from '../../src/config/config.ts';
import type { Config } from '../../src/config/config.ts';
import { KubeClient } from '../../src/k8s/client.ts';
import { liveCluster } from '../../src/k8s/cluster.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import { RESOURCES } from '../../src/kinds/resources.ts';
import { formatIssue } from '../../src/model/issue.ts';
import { runBootstrap, wantedObjects } from '../../src/netbox/bootstrap/bootstrap.ts';
import { NetBoxClient } from '../../src/netbox/client/index.ts';
import { startNetBox } from '../../dev/netbox-real/index.ts';
import type { RealNetBox } from '../../dev/netbox-real/index.ts';
import { psql } from '../../dev/netbox-real/postgres.ts';
import { waitFor } from '../../dev/process.ts';
import { createObject, ensureNamespace } from '../integration/e2e/kube.ts';
import { recordFigures } from './figures.ts';

/**
 * Issue 15: the PostgreSQL behind a real NetBox 4.7 restarts in the middle of a writeback of a few hundred
 * records. A private NetBox (its own PostgreSQL, so the restart hurts no other suite), the real apiserver with
 * Whereabouts allocations, and the real writeback cycle. In each trial a new pool of allocations is written back
 * and PostgreSQL is stopped (fast shutdown: sessions cut, open transactions rolled back) once a chosen number of
 * records has landed, kept down for a while and started again. The writeback must either finish or fail saying
 * so; reruns must then converge to exactly one record per allocation, with none lost and none twice — counted in
 * PostgreSQL itself, not through the client under test.
 */

const TRIALS = Number(process.env['RELIABILITY_PG_TRIALS'] ?? 3);
const PER_POOL = Number(process.env['RELIABILITY_PG_RECORDS'] ?? 120);

describe(`PostgreSQL restarts under real NetBox mid-writeback (${TRIALS} trials × ${PER_POOL} records)`, () => {
  let nb: RealNetBox;
  let client: NetBoxClient;
  let config: Config;
  let cluster: string;
  const net = `10.${randomInt(128, 251)}`;
  /** Third octet of each trial's /24; addresses .2 onwards are allocated. */
  const pools: number[] = [];
  const rows: { trial: number; landedBeforeRestart: number; outcome: string; reruns: number }[] = [];

  const cidr = (p: number): string => `${net}.${p}.0/24`;

  async function sql(query: string): Promise<string[]> {
    const out = await psql(nb.postgres, [query], 'netbox');
    return out
      .trim()
      .split('\n')
      .filter(l => l !== '');
  }

  /** Our records' addresses as PostgreSQL holds them (every row, so a duplicate shows twice). */
  async function recordedHosts(): Promise<string[]> {
    return sql(
      `SELECT host(address) FROM ipam_ipaddress WHERE custom_field_data->>'k8s_cluster' = '${cluster}' ORDER BY 1`,
    );
  }

  function allocatedHosts(): string[] {
    return pools.flatMap(p => Array.from({ length: PER_POOL }, (_, i) => `${net}.${p}.${i + 2}`)).sort();
  }

  async function writeback(): Promise<WritebackCycleResult> {
    const kube = new KubeClient({ kubeconfig: inject('kubeconfigPath') });
    try {
      return await runWriteback(
        { config, netbox: client, adapters: ADAPTERS, ...liveCluster(kube) },
        { dryRun: false, now: new Date() },
      );
    } finally {
      kube.close();
    }
  }

  /** One sync cycle with apply: writeback ties allocations to the pools the sync created (the Whereabouts NAD). */
  async function sync(): Promise<void> {
    const kube = new KubeClient({ kubeconfig: inject('kubeconfigPath') });
    try {
      const r = await runCycle({ config, netbox: client, adapters: ADAPTERS, ...liveCluster(kube) }, { apply: true });
      expect(r.source.healthy, r.source.reason).toBe(true);
    } finally {
      kube.close();
    }
  }

  /** What a writeback said about itself: `ok`, or why not (the clearer the better: it goes to the logs and metrics). */
  function outcomeOf(r: WritebackCycleResult): string {
    if (!r.source.healthy) return `not read: ${r.source.reason ?? ''}`;
    if (r.report?.aborted !== undefined) return `aborted: ${r.report.aborted}`;
    const failed = (r.report?.results ?? []).filter(x => x.outcome !== 'applied');
    return failed.length === 0 ? 'ok' : `${failed.length} failed: ${failed[0]?.message ?? ''}`;
  }

  beforeAll(async () => {
    nb = await startNetBox({ log: line => console.log(`[postgres-restart] ${line}`) });
    cluster = `pg-${randomBytes(3).toString('hex')}`;
    client = new NetBoxClient({
      url: nb.url,
      token: nb.tokens.v1,
      maxRetries: 3,
      retryBaseMs: 200,
      timeoutMs: 60_000,
      batchSize: 40,
    });
    const roles = { 'k8s-secondary': 'whereabouts' };
    const boot = await runBootstrap(client, wantedObjects({ cluster, roles: Object.keys(roles) }));
    if (!boot.ok) throw new Error(`bootstrap failed: ${JSON.stringify(boot.results)}`);
    const parsed = parseConfig(
      { cluster, netbox: { url: nb.url, tokenEnv: 'UNUSED' }, selection: { roles }, policy: 'sync' },
      {},
    );
    if (!parsed.ok) throw new Error(parsed.issues.map(formatIssue).join('; '));
    config = parsed.config;
    await ensureNamespace(cluster);
  }, 1_800_000);

  afterAll(async () => {
    console.log(
      `[postgres-restart] ${rows.map(r => `trial ${r.trial}: ${r.landedBeforeRestart} landed before the restart; first run ${r.outcome}; ${r.reruns} rerun(s) to converge`).join('\n[postgres-restart] ')}`,
    );
    await nb?.stop();
  });

  it.each(Array.from({ length: TRIALS }, (_, t) => t))(
    'trial %i: restart mid-writeback; fails clearly or finishes; reruns converge to one record per allocation',
    async t => {
      const third = 10 + t;
      pools.push(third);
      const before = await recordedHosts();
      await client.create('ipam/prefixes', {
        prefix: cidr(third),
        status: 'active',
        role: { slug: 'k8s-secondary' },
        tags: [{ slug: config.selection.clusterTag }],
        custom_fields: { k8s_pool_name: `pg-${t}`, k8s_namespace: cluster },
      });
      const allocations = Object.fromEntries(
        Array.from({ length: PER_POOL }, (_, i) => [
          String(i + 2),
          { id: `c-${t}-${i}`, podref: `${cluster}/pod-${t}-${i}`, ifname: 'net1' },
        ]),
      );
      await createObject(
        RESOURCES.whereaboutsIpPool,
        { name: cidr(third).replace(/[:/]/g, '-'), namespace: cluster },
        { spec: { range: cidr(third), allocations } },
      );

      await sync();
      // Restart once the trial's chosen share has landed: none yet, one batch, or most of them.
      const threshold = before.length + [0, 1, Math.floor(PER_POOL * 0.6)][t % 3]!;
      const running = writeback().then(
        r => ({ result: r, error: undefined }),
        (err: unknown) => ({ result: undefined, error: err instanceof Error ? err.message : String(err) }),
      );
      let landed = 0;
      await waitFor(
        `${threshold - before.length} records of trial ${t} in PostgreSQL`,
        async () => {
          landed = Number(
            (
              await sql(`SELECT count(*) FROM ipam_ipaddress WHERE custom_field_data->>'k8s_cluster' = '${cluster}'`)
            )[0],
          );
          return landed >= threshold;
        },
        { timeoutMs: 120_000, intervalMs: 50 },
      );
      await nb.restartPostgres({ downMs: [1500, 500, 3000][t % 3]! });
      const first = await running;
      const outcome = first.error !== undefined ? `threw: ${first.error}` : outcomeOf(first.result);
      console.log(`[postgres-restart] trial ${t}: first writeback ${outcome}`);
      // Failing is allowed; failing silently is not. A run that wrote everything says ok, any other says why.
      const afterFirst = await recordedHosts();
      const expected = allocatedHosts();
      if (outcome === 'ok') expect(afterFirst).toEqual(expected);
      else expect(outcome).toMatch(/NetBox|PostgreSQL|database|HTTP|connect/i);
      // Nothing recorded earlier is gone, nothing is there twice, even right after the fault.
      expect(before.filter(h => !afterFirst.includes(h))).toEqual([]);
      expect(afterFirst.length - new Set(afterFirst).size).toBe(0);

      // Reruns (NetBox is healthy again) converge: the last one plans nothing.
      let reruns = 0;
      for (;;) {
        reruns++;
        const r = await writeback();
        expect(outcomeOf(r)).toBe('ok');
        if ((r.plan?.changes.length ?? 0) === 0) break;
        expect(reruns, 'writeback did not converge in 3 reruns').toBeLessThan(3);
      }
      const final = await recordedHosts();
      const lost = expected.filter(h => !final.includes(h));
      const duplicated = final.length - new Set(final).size;
      rows.push({ trial: t, landedBeforeRestart: landed - before.length, outcome, reruns });
      recordFigures(inject('reliabilityFigures'), [
        {
          suite: 'postgres-restart',
          scenario: `restart after ${landed - before.length} of ${PER_POOL} landed`,
          trials: 1,
          faults: 1,
          lost: lost.length,
          duplicated,
          wronglyDeleted: before.filter(h => !final.includes(h)).length,
          extra: {
            firstRun: outcome === 'ok' ? 'finished' : 'failed-clearly',
            reruns,
            records: final.length,
          },
        },
      ]);
      expect(lost).toEqual([]);
      expect(duplicated).toBe(0);
      expect(final).toEqual(expected);
    },
    600_000,
  );
});
