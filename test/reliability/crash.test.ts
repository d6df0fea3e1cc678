import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startLab } from '../support/e2e.ts';
import type { Lab } from '../support/e2e.ts';
import { recordFigures } from './figures.ts';
import { debug, envInt, freePort, killDuringJob, prng, writeLabConfig } from './crash-support.ts';
import {
  ApplyEstate,
  ApplyLabEstate,
  compareApply,
  describeMutations,
  poolSnapshot,
  sameContent,
  SLOTS,
} from './crash-apply.ts';
import {
  commitWb,
  compareWriteback,
  describeWb,
  recordSnapshot,
  sameRecords,
  wbMutation,
  WritebackLabEstate,
} from './crash-writeback.ts';
import type { AllocationState } from './crash-writeback.ts';

/**
 * Crash consistency (issue 15): the daemon (`run`, a real child process) is killed with SIGKILL at a random moment
 * of a sync (apply) or writeback job, then one clean cycle runs, and the result is compared with a reference lab
 * that ran the same change uninterrupted: the cluster's pools (spec, our labels and annotations), and NetBox's
 * records (address, VRF, status, tags, the fields we own). Nothing may be lost, duplicated or wrongly deleted.
 *
 * The kill moment is uniform over the reference's measured run time, counted from the job's start line, so kills
 * land in every phase (reading, planning, writing) and a good share mid-write; the figures count how many did.
 * RELIABILITY_SEED (default 15) and RELIABILITY_CRASH_TRIALS (per job type, default 25) reproduce or scale a run.
 *
 * Apply trials read their NetBox from an emulator per lab (the apply writes go to the real apiserver, which is what
 * a kill interrupts); writeback trials write to the real NetBox, where duplicate IP addresses are allowed and so the
 * real hazard.
 */

const SEED = envInt('RELIABILITY_SEED', 15);
const TRIALS = envInt('RELIABILITY_CRASH_TRIALS', 25);
/**
 * A writeback trial on real NetBox takes 30–75 s (two daemon starts, NetBox's ~25 ms per object written, the clean
 * run and the reference run): the project's 10-minute test timeout would cut 25 trials short.
 */
const WRITEBACK_TIMEOUT_MS = TRIALS * 120_000 + 120_000;

describe('crash consistency: SIGKILL during apply', () => {
  let crash: ApplyLabEstate;
  let ref: ApplyLabEstate;
  let dir: string;
  const estate = new ApplyEstate();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nbsync-crash-'));
    const roles = { 'k8s-pod': 'calico', 'k8s-loadbalancer': 'metallb', 'k8s-secondary': 'whereabouts' };
    const labs: Lab[] = [];
    for (let i = 0; i < 2; i++) labs.push(await startLab({ roles, netbox: 'emulator' }));
    crash = new ApplyLabEstate(labs[0] as Lab, 40);
    ref = new ApplyLabEstate(labs[1] as Lab, 41);
    await Promise.all([crash.ensureNamespace(), ref.ensureNamespace()]);
    const all = Array.from({ length: SLOTS }, (_, slot) => ({ slot, op: 'create' as const, shape: 0 }));
    for (const side of [crash, ref]) await side.apply(all, estate);
    estate.commit(all);
    for (const side of [crash, ref]) await side.lab.cycle();
  });
  afterAll(async () => {
    await crash?.lab.close();
    await ref?.lab.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`${TRIALS} kills at random moments of a sync, each followed by one clean cycle: same pools as the reference`, async () => {
    const rng = prng(SEED);
    const tally = { kills: 0, midJob: 0, midWrite: 0, partial: 0, lost: 0, dup: 0, wrongDel: 0, orphaned: 0, mism: 0 };
    const problems: string[] = [];
    for (let t = 0; t < TRIALS; t++) {
      const ms = estate.mutations(rng, 3 + Math.floor(rng() * 6));
      for (const side of [crash, ref]) await side.apply(ms, estate);
      estate.commit(ms);

      const refBefore = await poolSnapshot(ref);
      const t0 = Date.now();
      const refRun = await ref.lab.cycle();
      const refMs = Date.now() - t0;
      const refAfter = await poolSnapshot(ref);

      const before = await poolSnapshot(crash);
      const port = await freePort();
      const config = writeLabConfig(crash.lab, dir, {
        port,
        schedule: { sync: { every: '1h' }, writeback: false, drift: false },
      });
      // Mostly keyed to progress (after the k-th applied change, k uniform, plus a fraction of one change's time),
      // sometimes uniform over the whole run from the job's start (kills while reading and planning too).
      const changes = refRun.plan.changes.length;
      const perChange = refMs / (changes + 2);
      const at =
        rng() < 0.2
          ? { count: 0, delayMs: Math.floor(rng() * refMs) }
          : { count: Math.floor(rng() * (changes + 1)), delayMs: Math.floor(rng() * perChange) };
      const kill = await killDuringJob(
        config,
        { DAEMON_NETBOX_TOKEN: crash.lab.netbox.tokens.v2, KUBECONFIG: inject('kubeconfigPath') },
        port,
        'sync',
        { ...at, isWork: l => typeof l['action'] === 'string' && l['outcome'] === 'applied' },
      );
      const atKill = await poolSnapshot(crash);
      const partial = !sameContent(atKill, before) && !sameContent(atKill, refAfter);

      const recovery = await crash.lab.cycle();
      const after = await poolSnapshot(crash);
      const steady = await crash.lab.cycle({ apply: false });
      const cmp = compareApply({ before, after }, { before: refBefore, after: refAfter });

      tally.kills++;
      if (kill.midJob) tally.midJob++;
      if (kill.midJob && kill.workLines > 0) tally.midWrite++;
      if (partial) tally.partial++;
      tally.lost += cmp.lost.length;
      tally.dup += cmp.duplicated.length;
      tally.wrongDel += cmp.wronglyDeleted.length;
      tally.orphaned += cmp.orphaned.length;
      tally.mism += cmp.mismatched.length;
      const failedApply = (recovery.apply?.results ?? []).filter(r => r.outcome === 'failed');
      if (steady.plan.changes.length > 0 || failedApply.length > 0 || refRun.plan.changes.length === 0) {
        problems.push(
          `trial ${t}: steady plan ${JSON.stringify(steady.actions)}, recovery failures ${failedApply.length}, reference changes ${refRun.plan.changes.length}`,
        );
      }
      const bad = Object.entries(cmp).filter(([, v]) => (v as string[]).length > 0);
      if (bad.length > 0) problems.push(`trial ${t}: ${JSON.stringify(Object.fromEntries(bad))}`);
      debug(
        `[crash/apply] trial ${t} ${describeMutations(ms)}: ref ${refMs} ms (${refRun.plan.changes.length} changes), kill at +${kill.afterStartMs} ms, midJob=${kill.midJob} applied-before-kill=${kill.workLines} partial=${partial} recovery=${recovery.plan.changes.length}`,
      );
    }
    recordFigures(inject('reliabilityFigures'), [
      {
        suite: 'crash',
        scenario: 'SIGKILL during sync/apply, one clean cycle',
        trials: TRIALS,
        faults: tally.kills,
        lost: tally.lost,
        duplicated: tally.dup,
        wronglyDeleted: tally.wrongDel,
        seed: SEED,
        extra: {
          midJob: tally.midJob,
          midApply: tally.midWrite,
          partialState: tally.partial,
          orphaned: tally.orphaned,
          mismatched: tally.mism,
        },
      },
    ]);
    expect(problems).toEqual([]);
    expect({ lost: tally.lost, dup: tally.dup, wrongDel: tally.wrongDel, orphaned: tally.orphaned }).toEqual({
      lost: 0,
      dup: 0,
      wrongDel: 0,
      orphaned: 0,
    });
    // The kills must actually interrupt work, or the suite proves nothing.
    if (TRIALS >= 10) expect(tally.midWrite).toBeGreaterThanOrEqual(Math.ceil(TRIALS / 5));
  });
});

describe('crash consistency: SIGKILL during writeback (real NetBox)', () => {
  let crash: WritebackLabEstate;
  let ref: WritebackLabEstate;
  let dir: string;
  const state: AllocationState = { pods: new Map(), calico: new Set(), nv: new Set() };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nbsync-crash-wb-'));
    const labs: Lab[] = [];
    for (let i = 0; i < 2; i++) labs.push(await startLab());
    crash = new WritebackLabEstate(labs[0] as Lab, 42);
    ref = new WritebackLabEstate(labs[1] as Lab, 43);
    for (const side of [crash, ref]) await side.setUp();
  });
  afterAll(async () => {
    await crash?.lab.close();
    await ref?.lab.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    `${TRIALS} kills at random moments of a writeback, each followed by one clean run: no record lost or twice`,
    async () => {
      const rng = prng(SEED + 1);
      const tally = {
        kills: 0,
        midJob: 0,
        midWrite: 0,
        partial: 0,
        lost: 0,
        dup: 0,
        wrongDel: 0,
        unmarked: 0,
        mism: 0,
        racedKilled: 0,
      };
      const problems: string[] = [];
      for (let t = 0; t < TRIALS; t++) {
        const liveBefore = crash.liveKeys(state);
        const m = wbMutation(rng, state, t === 0 ? 3 : 1);
        commitWb(state, m);
        for (const side of [crash, ref]) await side.write(state, m);
        const live = crash.liveKeys(state);

        const t0 = Date.now();
        const refWrite = { ms: 0 };
        const refRun = await ref.writeback(refWrite);
        const refMs = Date.now() - t0;
        const refAfter = await recordSnapshot(ref);

        const before = await recordSnapshot(crash);
        const port = await freePort();
        const config = writeLabConfig(crash.lab, dir, {
          port,
          schedule: { sync: false, writeback: { every: '1h' }, drift: false },
          writeback: { gracePeriodMinutes: 0 },
        });
        // Mostly uniform over the reference's write time after the plan line (the bulk writes), sometimes uniform
        // over the whole run from the job's start (kills while reading too).
        const at =
          rng() < 0.2
            ? { count: 0, delayMs: Math.floor(rng() * refMs) }
            : { count: 1, delayMs: Math.floor(rng() * refWrite.ms * 1.2) };
        const kill = await killDuringJob(
          config,
          { DAEMON_NETBOX_TOKEN: crash.lab.netbox.tokens.v2, KUBECONFIG: inject('kubeconfigPath') },
          port,
          'writeback',
          { ...at, isWork: l => l.msg === 'writeback planned' },
        );
        const atKill = await recordSnapshot(crash);
        const partial = !sameRecords(atKill, before) && !sameRecords(atKill, refAfter);

        let recovery = await crash.writeback();
        // A killed process's last bulk request still runs to its end inside NetBox: a clean run started at once may
        // race it (seen on real NetBox: its creates refused as duplicates of the rows that request committed). That
        // run reports them per object; the run after must then be clean.
        if ((recovery.report?.results ?? []).some(r => r.outcome !== 'applied')) {
          tally.racedKilled++;
          recovery = await crash.writeback();
        }
        const after = await recordSnapshot(crash);
        const cmp = compareWriteback(live, liveBefore, { before, after }, refAfter);
        const refLive = [...refAfter].filter(([, rows]) => rows.some(r => !r.stale)).map(([k]) => k);

        tally.kills++;
        if (kill.midJob) tally.midJob++;
        if (kill.midJob && kill.workLines > 0) tally.midWrite++;
        if (partial) tally.partial++;
        tally.lost += cmp.lost.length;
        tally.dup += cmp.duplicated.length;
        tally.wrongDel += cmp.wronglyDeleted.length;
        tally.unmarked += cmp.unmarked.length;
        tally.mism += cmp.mismatched.length;
        const failed = (recovery.report?.results ?? []).filter(r => r.outcome !== 'applied');
        const refFailed = (refRun.report?.results ?? []).filter(r => r.outcome !== 'applied');
        if (failed.length + refFailed.length > 0 || !recovery.source.healthy) {
          problems.push(`trial ${t}: recovery failures ${failed.length}, reference failures ${refFailed.length}`);
        }
        // The reference itself must be right, or the comparison proves nothing.
        if (refLive.length !== live.size || refLive.some(k => !live.has(k))) {
          problems.push(
            `trial ${t}: reference holds ${refLive.length} live records, the allocations call for ${live.size}`,
          );
        }
        const bad = Object.entries(cmp).filter(([, v]) => (v as string[]).length > 0);
        if (bad.length > 0) problems.push(`trial ${t}: ${JSON.stringify(Object.fromEntries(bad))}`);
        debug(
          `[crash/writeback] trial ${t} ${describeWb(m)}: ref ${refMs} ms, writes ${refWrite.ms} ms (${JSON.stringify(refRun.plan?.summary)}), kill at +${kill.afterStartMs} ms, midJob=${kill.midJob} planned=${kill.workLines} partial=${partial} recovery=${JSON.stringify(recovery.plan?.summary)}`,
        );
      }

      // Both labs run on until nothing is left to do: the same records, exactly, with no stale one left.
      for (const side of [crash, ref]) {
        for (let i = 0; i < 3 && ((await side.writeback()).plan?.changes.length ?? 0) > 0; i++);
      }
      const [finalCrash, finalRef] = [await recordSnapshot(crash), await recordSnapshot(ref)];
      const finalSame = sameRecords(finalCrash, finalRef);
      recordFigures(inject('reliabilityFigures'), [
        {
          suite: 'crash',
          scenario: `SIGKILL during writeback (${crash.lab.netbox.kind} NetBox), one clean run`,
          trials: TRIALS,
          faults: tally.kills,
          lost: tally.lost,
          duplicated: tally.dup,
          wronglyDeleted: tally.wrongDel,
          seed: SEED,
          extra: {
            midJob: tally.midJob,
            midWrite: tally.midWrite,
            partialState: tally.partial,
            unmarked: tally.unmarked,
            mismatched: tally.mism,
            recoveryRacedKilledRequest: tally.racedKilled,
            finalRecords: finalCrash.size,
            finalSame: String(finalSame),
          },
        },
      ]);
      expect(problems).toEqual([]);
      expect({ lost: tally.lost, dup: tally.dup, wrongDel: tally.wrongDel, unmarked: tally.unmarked }).toEqual({
        lost: 0,
        dup: 0,
        wrongDel: 0,
        unmarked: 0,
      });
      expect(finalSame).toBe(true);
      if (TRIALS >= 10) expect(tally.midWrite).toBeGreaterThanOrEqual(Math.ceil(TRIALS / 5));
    },
    WRITEBACK_TIMEOUT_MS,
  );
});
