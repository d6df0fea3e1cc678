import { describe, expect, it } from 'vitest';
import { runBulk } from './bulk.ts';
import type { BulkRun } from './bulk.ts';
import { NetBoxAuthError, NetBoxValidationError } from './errors.ts';

/**
 * Batches side by side: runBulk keeps up to `concurrency` batches in flight (NetBox serves them on several workers),
 * never more, and an error that stops the run still stops every batch not yet sent.
 */

interface Gate {
  release(): void;
  promise: Promise<void>;
}

function gate(): Gate {
  let release = (): void => undefined;
  const promise = new Promise<void>(resolve => (release = resolve));
  return { release, promise };
}

/** A `send` whose batches wait until the test releases them, recording how many were in flight at once. */
function heldSend() {
  const waiting: Gate[] = [];
  const sent: number[][] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const send: BulkRun<number, number>['send'] = async batch => {
    sent.push(batch);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const g = gate();
    waiting.push(g);
    await g.promise;
    inFlight--;
    return batch;
  };
  /** Releases whatever is waiting until the run ends. */
  const drain = async (done: Promise<unknown>): Promise<void> => {
    let finished = false;
    void done.finally(() => (finished = true));
    while (!finished) {
      await new Promise(resolve => setImmediate(resolve));
      waiting.splice(0).forEach(g => g.release());
    }
  };
  return { send, sent, drain, max: () => maxInFlight };
}

const base = (items: number[], send: BulkRun<number, number>['send']): BulkRun<number, number> => ({
  items,
  batchSize: 10,
  send,
  maxRetries: 0,
  delayMs: () => 0,
  sleep: () => Promise.resolve(),
});

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('runBulk: batches in flight at once', () => {
  it.each([
    [1, 1],
    [3, 3],
    [16, 7],
  ])('concurrency %i keeps at most %i of 7 batches in flight, and every object lands once', async (c, want) => {
    const h = heldSend();
    const done = runBulk({ ...base(range(65), h.send), concurrency: c });
    await h.drain(done);
    const result = await done;
    expect(h.max()).toBe(want);
    expect(h.sent.map(b => b.length).sort((a, b) => a - b)).toEqual([5, 10, 10, 10, 10, 10, 10]);
    expect([...result.succeeded].sort((a, b) => a - b)).toEqual(range(65));
    expect(result.failed).toEqual([]);
  });

  it('defaults to one batch at a time', async () => {
    const h = heldSend();
    const done = runBulk(base(range(30), h.send));
    await h.drain(done);
    await done;
    expect(h.max()).toBe(1);
  });

  it('an error that stops the run leaves the batches not yet sent unsent, with their own indexes', async () => {
    let calls = 0;
    const send: BulkRun<number, number>['send'] = async batch => {
      calls++;
      // The failing batch answers first; the one beside it is still in flight and lands afterwards.
      for (let tick = 0; tick < (batch[0] === 10 ? 1 : 5); tick++) await new Promise(r => setImmediate(r));
      if (batch[0] === 10)
        throw new NetBoxAuthError({ method: 'POST', path: '/api/x/' }, { status: 403, detail: 'token rejected' });
      return batch;
    };
    const result = await runBulk({ ...base(range(60), send), concurrency: 2 });
    expect(result.aborted?.message).toContain('token rejected');
    // Batches 0 and 10 went together; 0 landed, 10 failed, and nothing after it was sent.
    expect(calls).toBe(2);
    expect(result.succeeded).toEqual(range(10));
    const byOutcome = (o: string) => result.failed.filter(f => f.outcome === o).map(f => f.index);
    expect(byOutcome('rejected')).toEqual(range(10).map(i => i + 10));
    expect(byOutcome('not-attempted').sort((a, b) => a - b)).toEqual(range(40).map(i => i + 20));
  });

  it('one bad object in a batch is reported by its own index while other batches run', async () => {
    const send: BulkRun<number, number>['send'] = async batch => {
      await new Promise(resolve => setImmediate(resolve));
      const pos = batch.indexOf(23);
      if (pos >= 0) {
        throw new NetBoxValidationError({ method: 'POST', path: '/api/x/' }, { status: 400 }, [
          { index: pos, fieldErrors: { address: ['duplicate'] } },
        ]);
      }
      return batch;
    };
    const result = await runBulk({ ...base(range(40), send), concurrency: 4 });
    expect(result.failed.map(f => [f.index, f.outcome])).toEqual([[23, 'rejected']]);
    expect([...result.succeeded].sort((a, b) => a - b)).toEqual(range(40).filter(i => i !== 23));
  });
});
