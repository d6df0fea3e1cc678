/**
 * NetBox's own limit for a writeback (issue 16, scenario 4), measured inside the writeback scenario so it carries
 * exactly the records that writeback's first run wrote, on the same NetBox, in the same run: the bare bulk POSTs
 * of those bodies (batches of the same size, the best number in flight the calibration found), no reads, no diff,
 * from a child process like ours. NetBox is reset and bootstrapped first so every create lands.
 * This module is a helper of writeback.ts: it exports no scenario of its own.
 */
import { runInChild } from '../lib/measure.ts';
import type { ChildRun, CountingProxy } from '../lib/measure.ts';
import type { BenchRow } from '../lib/types.ts';
import type { ChildInput, ChildOutput } from './writeback-child.ts';
import type { RecordModel } from '../../src/writeback/types.ts';

export const CHILD = new URL('./writeback-child.ts', import.meta.url).pathname;

/** The daemon's V8 flags in its image (Dockerfile NODE_OPTIONS): the child runs as the daemon would. */
export const DAEMON_NODE_OPTIONS = '--max-semi-space-size=8';

/** runInChild with the daemon's NODE_OPTIONS (fork copies the environment when it starts the child). */
export function runAsDaemon<T>(input: ChildInput): Promise<ChildRun<T>> {
  const before = process.env['NODE_OPTIONS'];
  process.env['NODE_OPTIONS'] = [before, DAEMON_NODE_OPTIONS].filter(o => o !== undefined && o !== '').join(' ');
  try {
    return runInChild<T>(CHILD, input);
  } finally {
    if (before === undefined) delete process.env['NODE_OPTIONS'];
    else process.env['NODE_OPTIONS'] = before;
  }
}

export async function measureFloor(o: {
  proxy: CountingProxy;
  token: string;
  bodies: { model: RecordModel; bodies: object[] }[];
  batchSize: number;
  concurrency: number;
  netbox: 'real' | 'emulator';
  notes: string;
}): Promise<BenchRow> {
  o.proxy.reset();
  const input: ChildInput = {
    mode: 'floor',
    netboxUrl: o.proxy.url,
    token: o.token,
    bodies: o.bodies,
    batchSize: o.batchSize,
    concurrency: o.concurrency,
  };
  const run = await runAsDaemon<ChildOutput>(input);
  if (run.result.failed > 0) {
    throw new Error(`floor: ${run.result.failed} objects were not created: ${run.result.failures.join(' | ')}`);
  }
  const counts = o.proxy.counts();
  const size = o.bodies.reduce((n, b) => n + b.bodies.length, 0);
  return {
    scenario: 'writeback',
    step: 'floor (bare bulk POSTs)',
    netbox: o.netbox,
    size,
    wallMs: run.result.workMs,
    netboxReads: counts.reads,
    netboxWrites: counts.writes,
    kubeRequests: 0,
    peakRssMiB: run.peakRssMiB,
    extra: { concurrency: o.concurrency, batchSize: o.batchSize },
    notes: o.notes,
  };
}
