/**
 * Bulk writes in batches. NetBox applies a bulk request all-or-none, so one bad object sinks its whole batch.
 * We report that object and still land the others: 4.7 names the failing objects (by index or id) and ≤4.6
 * bulk creates answer one error entry per submitted object, so those are dropped and the rest re-sent; a bare
 * field dict (≤4.6 bulk update: first failure only, no index) is narrowed down by bisecting the batch.
 *
 * A failure that is not about one object (auth, NetBox unavailable after retries, protocol) stops the run:
 * its batch is reported with that error and later batches as not attempted.
 */
import {
  describeFieldErrors,
  NetBoxConflictError,
  NetBoxError,
  NetBoxUnavailableError,
  NetBoxValidationError,
} from './errors.ts';
import type { NbBulkErrorEntry, NbFieldErrors } from './errors.ts';

/**
 * - `rejected`: NetBox refused this object (see fieldErrors / message); nothing was written for it.
 * - `unknown`: the request failed in a way that may or may not have written it (timeout on a create); re-read.
 * - `not-attempted`: an earlier failure stopped the run before this object was sent.
 */
export type BulkOutcome = 'rejected' | 'unknown' | 'not-attempted';

export interface BulkFailure<W> {
  item: W;
  /** Position of the item in the list the caller passed. */
  index: number;
  fieldErrors: NbFieldErrors;
  message: string;
  outcome: BulkOutcome;
  status?: number;
}

export interface BulkResult<W, T> {
  /** Objects as NetBox returned them (for deletes: the deleted `{id}`s), in the order they landed. */
  succeeded: T[];
  failed: BulkFailure<W>[];
  /** The error that stopped the run early, if any. */
  aborted?: NetBoxError;
}

/**
 * Looks up which of `items` already exist in NetBox, returning the existing object or undefined for each (same
 * order and length). Used after a create failed in transit: only the missing ones are sent again.
 */
export type Recheck<W, T> = (items: W[]) => Promise<(T | undefined)[]>;

export interface BulkRun<W, T> {
  items: readonly W[];
  batchSize: number;
  /**
   * Batches in flight at once (default 1). NetBox serves requests on several workers and spends most of a bulk
   * write's time per object, so batches sent side by side finish sooner; the transport's own limit still caps
   * all requests together. Results keep the callers' indexes whatever order the batches land in.
   */
  concurrency?: number;
  /** One bulk request; `object` describes the batch for error messages. Throws NetBoxError. */
  send: (batch: W[], object: string) => Promise<T[]>;
  /** Creates only: makes transient failures retryable without risking duplicates. */
  recheck?: Recheck<W, T>;
  maxRetries: number;
  delayMs: (attempt: number, err: NetBoxUnavailableError) => number;
  sleep: (ms: number) => Promise<void>;
  /** The object id of an item (updates, deletes), to match 4.7 errors keyed by id. */
  idOf?: (item: W) => number | undefined;
  /** Names an item in messages: `address 10.0.0.5/24`, `id 12`. */
  describe?: (item: W) => string | undefined;
  /** Rejects an item before anything is sent (e.g. an update without id); returns the reason. */
  precheck?: (item: W) => string | undefined;
}

interface Entry<W> {
  item: W;
  index: number;
}

function chunks<X>(xs: X[], size: number): X[][] {
  const out: X[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

function itemName<W>(entry: Entry<W>, describe: ((item: W) => string | undefined) | undefined): string {
  const name = describe?.(entry.item);
  return name === undefined ? `item ${entry.index}` : `${name} (item ${entry.index})`;
}

function label<W>(chunk: Entry<W>[], describe: ((item: W) => string | undefined) | undefined): string {
  const first = chunk[0];
  if (first === undefined) return 'empty batch';
  return chunk.length === 1 ? itemName(first, describe) : `batch of ${chunk.length} from item ${first.index}`;
}

/** Batch positions of the objects NetBox named, or undefined when its entries cannot all be matched. */
function locate<W>(
  entries: NbBulkErrorEntry[],
  chunk: Entry<W>[],
  idOf: ((item: W) => number | undefined) | undefined,
): Map<number, NbFieldErrors> | undefined {
  if (entries.length === 0) return undefined;
  const found = new Map<number, NbFieldErrors>();
  for (const e of entries) {
    let pos = -1;
    if (e.id !== undefined && idOf) pos = chunk.findIndex(c => idOf(c.item) === e.id);
    else if (e.index !== undefined && e.index < chunk.length) pos = e.index;
    if (pos < 0) return undefined;
    found.set(pos, { ...found.get(pos), ...e.fieldErrors });
  }
  return found;
}

export async function runBulk<W, T>(run: BulkRun<W, T>): Promise<BulkResult<W, T>> {
  const result: BulkResult<W, T> = { succeeded: [], failed: [] };

  const fail = (chunk: Entry<W>[], err: NetBoxError, outcome: BulkOutcome, fieldErrors: NbFieldErrors = {}): void => {
    const said = describeFieldErrors(fieldErrors);
    for (const entry of chunk) {
      const { item, index } = entry;
      const name = itemName(entry, run.describe);
      let message = err.message;
      if (outcome === 'not-attempted') message = `${name} not sent: an earlier request failed: ${err.message}`;
      else if (said !== '') message = `NetBox rejected ${name}: ${said}`;
      const f: BulkFailure<W> = { item, index, fieldErrors, message, outcome };
      if (err.status !== undefined) f.status = err.status;
      result.failed.push(f);
    }
  };

  const onFailure = async (chunk: Entry<W>[], err: NetBoxError): Promise<void> => {
    const itemLevel =
      err instanceof NetBoxValidationError || (err instanceof NetBoxConflictError && err.status === 409);
    if (!itemLevel) {
      result.aborted = err;
      const mayHaveLanded = err instanceof NetBoxUnavailableError || (err.status !== undefined && err.status < 300);
      fail(chunk, err, mayHaveLanded ? 'unknown' : 'rejected');
      return;
    }
    if (chunk.length === 1) {
      const only = locate(err.bulkErrors, chunk, run.idOf)?.get(0);
      fail(chunk, err, 'rejected', only ?? err.fieldErrors);
      return;
    }
    const located = locate(err.bulkErrors, chunk, run.idOf);
    if (located) {
      const rest: Entry<W>[] = [];
      chunk.forEach((entry, pos) => {
        const fieldErrors = located.get(pos);
        if (fieldErrors) fail([entry], err, 'rejected', fieldErrors);
        else rest.push(entry);
      });
      if (rest.length > 0) await write(rest);
      return;
    }
    // NetBox named no object (≤4.6 bare dict): halve until the culprits stand alone; the others land on the way.
    const mid = Math.ceil(chunk.length / 2);
    await write(chunk.slice(0, mid));
    if (result.aborted) fail(chunk.slice(mid), result.aborted, 'not-attempted');
    else await write(chunk.slice(mid));
  };

  const write = async (chunk: Entry<W>[]): Promise<void> => {
    let pending = chunk;
    for (let attempt = 0; ; attempt++) {
      let err: unknown;
      try {
        result.succeeded.push(
          ...(await run.send(
            pending.map(e => e.item),
            label(pending, run.describe),
          )),
        );
        return;
      } catch (e) {
        err = e;
      }
      if (!(err instanceof NetBoxError)) throw err;
      const transient = err instanceof NetBoxUnavailableError && err.transient ? err : undefined;
      if (!run.recheck || !transient || attempt >= run.maxRetries) return onFailure(pending, err);
      await run.sleep(run.delayMs(attempt, transient));
      let found: (T | undefined)[];
      try {
        found = await run.recheck(pending.map(e => e.item));
      } catch (e) {
        if (e instanceof NetBoxError) return onFailure(pending, e);
        throw e;
      }
      if (found.length !== pending.length) {
        throw new RangeError(`recheck returned ${found.length} entries for ${pending.length} items; it must align`);
      }
      const missing: Entry<W>[] = [];
      pending.forEach((entry, i) => {
        const existing = found[i];
        if (existing === undefined) missing.push(entry);
        else result.succeeded.push(existing);
      });
      if (missing.length === 0) return;
      pending = missing;
    }
  };

  const entries: Entry<W>[] = [];
  run.items.forEach((item, index) => {
    const reason = run.precheck?.(item);
    if (reason === undefined) entries.push({ item, index });
    else result.failed.push({ item, index, fieldErrors: {}, message: `not sent: ${reason}`, outcome: 'rejected' });
  });
  const queue = chunks(entries, run.batchSize);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < queue.length) {
      const chunk = queue[next++] as Entry<W>[];
      if (result.aborted) fail(chunk, result.aborted, 'not-attempted');
      else await write(chunk);
    }
  };
  const lanes = Math.max(1, Math.min(Math.floor(run.concurrency ?? 1), queue.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  return result;
}
