import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../../dev/process.ts';
import { startRedis } from '../../dev/redis.ts';
import type { TestRedis } from '../../dev/redis.ts';
import { startDaemon } from '../../dev/daemon-process.ts';
import type { DaemonProcess, LogLine } from '../../dev/daemon-process.ts';
import { startLab } from '../support/e2e.ts';
import type { Lab } from '../support/e2e.ts';
import { recordFigures } from './figures.ts';
import { debug, envInt, freePort, prng, writeLabConfig } from './crash-support.ts';
import { ApplyEstate, ApplyLabEstate, poolSnapshot, SLOTS } from './crash-apply.ts';
import { commitWb, recordSnapshot, wbMutation, WritebackLabEstate } from './crash-writeback.ts';
import type { AllocationState } from './crash-writeback.ts';

/**
 * Redis restarting under a running daemon (issue 15): the daemon runs with a Redis of its own (BullMQ mode), a job is
 * started by a change (a sync with pools to apply, a writeback with records to write), and redis-server is taken
 * down while that job runs and brought back on the same port — either empty (a crash of a server without
 * persistence, like a Redis pod without a volume: queue, schedulers, locks and state all gone) or with its data
 * (saved and reloaded). The daemon must stay up, say on /readyz that Redis is unreachable while it is down, run its
 * jobs again once Redis is back, and the state must converge with nothing lost, deleted or written twice.
 * RELIABILITY_REDIS_TRIALS (per job type and restart mode, default 2) scales it.
 */

const SEED = envInt('RELIABILITY_SEED', 15);
const TRIALS = envInt('RELIABILITY_REDIS_TRIALS', 2);

describe('Redis restarting while sync and writeback jobs run', () => {
  let lab: Lab;
  let redis: TestRedis;
  let daemon: DaemonProcess;
  let dir: string;
  let pools: ApplyLabEstate;
  let records: WritebackLabEstate;
  const estate = new ApplyEstate();
  const allocations: AllocationState = { pods: new Map(), calico: new Set(), nv: new Set() };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nbsync-redis-restart-'));
    redis = await startRedis({ private: true });
    lab = await startLab();
    pools = new ApplyLabEstate(lab, 46);
    records = new WritebackLabEstate(lab, 47);
    await pools.ensureNamespace();
    await records.setUp();
    const port = await freePort();
    const config = writeLabConfig(lab, dir, {
      port,
      schedule: { sync: { every: '2s' }, writeback: { every: '2s' }, drift: false },
      writeback: { gracePeriodMinutes: 0 },
    });
    daemon = await startDaemon(
      ['-c', config],
      { DAEMON_NETBOX_TOKEN: lab.netbox.tokens.v2, KUBECONFIG: inject('kubeconfigPath'), REDIS_URL: redis.url },
      port,
      { startTimeoutMs: 60_000 },
    );
    for (const job of ['sync', 'writeback']) {
      await daemon.waitForLine(l => l.event === 'job-finished' && l.job === job, 60_000, `the first ${job}`);
    }
  });
  afterAll(async () => {
    await daemon?.stop();
    await redis?.stop();
    await lab?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function readyz(): Promise<{ status: number; redis: string }> {
    const res = await fetch(`${daemon.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { checks: Record<string, string> };
    return { status: res.status, redis: body.checks['redis'] ?? '' };
  }

  it('the daemon survives, reports Redis down, reruns its jobs after, and the state converges', async () => {
    const rng = prng(SEED + 2);
    const tally = {
      restarts: 0,
      midJob: 0,
      readyDown: 0,
      rerun: 0,
      lost: 0,
      dup: 0,
      wrongDel: 0,
      crashes: 0,
    };
    const problems: string[] = [];
    let t = 0;
    for (const job of ['sync', 'writeback'] as const) {
      for (const keepData of [false, true]) {
        for (let i = 0; i < TRIALS; i++, t++) {
          const uidsBefore = await poolSnapshot(pools);
          const mark = daemon.lines.length;
          const seen = (match: (l: LogLine) => boolean) => (l: LogLine) => daemon.lines.indexOf(l) >= mark && match(l);
          let changedSlots = new Set<number>();
          if (job === 'sync') {
            const ms = estate.mutations(rng, 4 + Math.floor(rng() * 5));
            // The first trials create every slot, so later ones update and delete too.
            const all =
              t === 0 ? Array.from({ length: SLOTS }, (_, slot) => ({ slot, op: 'create' as const, shape: 0 })) : ms;
            await pools.apply(all, estate);
            estate.commit(all);
            changedSlots = new Set(all.map(m => m.slot));
          } else {
            const m = wbMutation(rng, allocations, i === 0 ? 3 : 1);
            commitWb(allocations, m);
            await records.write(allocations, m);
          }
          const started = await daemon.waitForLine(
            seen(l => l.event === 'job-started' && l.job === job),
            30_000,
            `a ${job} start after the change`,
          );
          await redis.kill?.({ keepData });
          const downAt = Date.now();
          tally.restarts++;
          const ended = (l: LogLine) =>
            l.event === 'job-finished' && l.job === job && l['startedAt'] === started['startedAt'];
          if (!daemon.lines.some(ended)) tally.midJob++;
          let down = false;
          try {
            await waitFor(
              '/readyz to report Redis unreachable',
              async () => {
                const r = await readyz();
                return r.status === 503 && r.redis.includes('unreachable');
              },
              { timeoutMs: 15_000, intervalMs: 200 },
            );
            down = true;
            tally.readyDown++;
          } catch (err) {
            problems.push(`trial ${t} (${job}, keepData=${keepData}): ${(err as Error).message}`);
          }
          await new Promise(r => setTimeout(r, 500 + Math.floor(rng() * 1500)));
          await redis.start?.();
          const upAt = Date.now();
          try {
            await daemon.waitForLine(
              seen(
                l => l.event === 'job-finished' && l.job === job && l['ok'] === true && Number(l['startedAt']) > upAt,
              ),
              60_000,
              `a successful ${job} started after Redis came back`,
            );
            tally.rerun++;
            await waitFor('/readyz ready again', async () => (await readyz()).status === 200, { timeoutMs: 30_000 });
          } catch (err) {
            problems.push(`trial ${t} (${job}, keepData=${keepData}): ${(err as Error).message.slice(0, 600)}`);
          }
          if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) {
            tally.crashes++;
            problems.push(`trial ${t}: the daemon exited (${daemon.child.exitCode ?? daemon.child.signalCode})`);
            break;
          }
          // Converged: the pools are what NetBox asks for; the records are what the allocations ask for, each once.
          const plan = await lab.cycle({ apply: false });
          if (plan.plan.changes.length > 0) problems.push(`trial ${t}: pending ${JSON.stringify(plan.actions)}`);
          const uidsAfter = await poolSnapshot(pools);
          for (const [key, view] of uidsBefore) {
            const slot = Number(/ \S*\/p(\d+)-/.exec(key)?.[1] ?? -1);
            const now = uidsAfter.get(key);
            if (changedSlots.has(slot)) continue;
            if (now === undefined) tally.lost++;
            else if (now.uid !== view.uid) tally.wrongDel++;
          }
          const snapshot = await recordSnapshot(records);
          const live = records.liveKeys(allocations);
          for (const [key, rows] of snapshot) {
            if (rows.length > 1) tally.dup++;
            if (!live.has(key) && rows.some(r => !r.stale)) problems.push(`trial ${t}: ${key} not marked stale`);
          }
          for (const key of live) if (!snapshot.get(key)?.some(r => !r.stale)) tally.lost++;
          debug(
            `[redis-restart] trial ${t} ${job} keepData=${keepData}: down ${upAt - downAt} ms, readyz-down=${down}, lines ${daemon.lines.length - mark}`,
          );
        }
      }
    }
    recordFigures(inject('reliabilityFigures'), [
      {
        suite: 'redis-restart',
        scenario: 'redis-server restarted (empty / with data) mid sync and mid writeback',
        trials: t,
        faults: tally.restarts,
        lost: tally.lost,
        duplicated: tally.dup,
        wronglyDeleted: tally.wrongDel,
        seed: SEED,
        extra: {
          midJob: tally.midJob,
          readyzDown: tally.readyDown,
          rerunAfter: tally.rerun,
          daemonCrashes: tally.crashes,
        },
      },
    ]);
    expect(problems).toEqual([]);
    expect(tally).toMatchObject({ lost: 0, dup: 0, wrongDel: 0, crashes: 0, rerun: t, readyDown: t });
  });
});
