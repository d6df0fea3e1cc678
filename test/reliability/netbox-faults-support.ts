import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { Emulator } from '../../dev/netbox-emulator/index.ts';
import type { Knobs } from '../../dev/netbox-emulator/knobs.ts';
import { seededRandom } from '../../dev/netbox-emulator/knobs.ts';

/**
 * The fault schedule of the NetBox fault suite: which fault, at which API request of a job, in which job. Every
 * trial is drawn from one seeded generator, so `RELIABILITY_SEED=<seed>` replays a run exactly.
 */

export const FAULTS = [
  'down',
  '5xx',
  '429-storm',
  'hang',
  'truncated-pages',
  'empty-page',
  'empty-answer',
  'lying-count',
  'page-shift',
  'token-revoked',
] as const;
export type FaultType = (typeof FAULTS)[number];

export const JOBS = ['sync', 'writeback', 'drift'] as const;
export type JobName = (typeof JOBS)[number];

export interface Trial {
  index: number;
  fault: FaultType;
  job: JobName;
  /** API requests served normally before the fault starts (the emulator's faultSkip). */
  atRequest: number;
  /** Knobs that inject the fault (empty for `down`, which is a closed port). */
  knobs: Partial<Knobs>;
  /**
   * Whether the job may finish without reporting the fault: the client's retries may hide a few 5xx, 429 or hangs,
   * and an answer of "nothing" cannot be told from an empty NetBox (the guards stop what it would do instead).
   */
  absorbable: boolean;
  /** One line for logs and failure messages. */
  describe: string;
}

/** The client's retries in the trials: a fault of at most this many requests in a row may be absorbed. */
export const TRIAL_RETRIES = 1;

export function drawTrials(seed: number, count: number): Trial[] {
  const random = seededRandom(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const trials: Trial[] = [];
  for (let index = 0; index < count; index++) {
    // Every fault type comes round in turn (so a short run still covers all), the rest is drawn.
    const fault = FAULTS[index % FAULTS.length] as FaultType;
    const job = pick(JOBS);
    const atRequest = int(0, 14);
    const { knobs, absorbable } = knobsFor(fault, int, pick);
    const describe = `#${index} ${fault} in ${job} at request ${atRequest} ${JSON.stringify(knobs)}`;
    trials.push({ index, fault, job, atRequest, knobs, absorbable, describe });
  }
  return trials;
}

function knobsFor(
  fault: FaultType,
  int: (lo: number, hi: number) => number,
  pick: <T>(list: readonly T[]) => T,
): { knobs: Partial<Knobs>; absorbable: boolean } {
  switch (fault) {
    case 'down':
      return { knobs: {}, absorbable: false };
    // Requests run concurrently, so N failures may land on N different requests that each succeed on retry: whether
    // one failed for good is not known in advance. The suite checks that from the client's side instead.
    case '5xx':
      return { knobs: { failNext: int(1, 4) }, absorbable: true };
    case '429-storm':
      return { knobs: { throttleNext: int(1, 4), retryAfterSeconds: pick([0, 1]) }, absorbable: true };
    case 'hang':
      return { knobs: { hangNext: int(1, 3) }, absorbable: true };
    case 'truncated-pages':
      return { knobs: { dropNextLink: true }, absorbable: false };
    case 'empty-page':
      return { knobs: { emptyPageNext: 1 }, absorbable: false };
    case 'empty-answer':
      // A cache or proxy that answers every listing with nothing at all: count 0, no next. Indistinguishable from
      // an empty NetBox by the page itself, so no error is owed; the guards must hold (nothing deleted or re-created).
      return { knobs: { emptyPageNext: 1000, emptyPageSaysEmpty: true }, absorbable: true };
    case 'lying-count':
      return { knobs: { countOffset: pick([-2, -1, 1, 3]) }, absorbable: false };
    case 'page-shift':
      return {
        knobs: { pageShift: pick([-2, -1, 1, 2]), pageShiftKeepsCount: pick([false, true]) },
        absorbable: false,
      };
    case 'token-revoked':
      return { knobs: { tokenRevoked: true }, absorbable: false };
  }
}

/** Knobs of a healthy NetBox (every fault off). */
export const HEALTHY: Partial<Knobs> = {
  failNext: 0,
  throttleNext: 0,
  hangNext: 0,
  errorRate: 0,
  dropNextLink: false,
  countOffset: 0,
  faultSkip: 0,
  tokenRevoked: false,
  emptyPageNext: 0,
  emptyPageSaysEmpty: false,
  pageShift: 0,
  pageShiftKeepsCount: false,
};

/** How many injected faults the emulator served (hangs, 429s, 503s, refused tokens); page tampering is not counted. */
export function servedFaults(emu: Emulator): number {
  const r = emu.stats().byEndpoint;
  return (r['hang'] ?? 0) + (r['throttled'] ?? 0) + (r['unavailable'] ?? 0) + (r['revoked'] ?? 0);
}

/**
 * A TCP forwarder in front of the emulator: the daemon talks to NetBox through it, and closing it makes NetBox
 * "down" (connection refused on the same address) until it is opened again on the same port.
 */
export class Door {
  readonly #target: number;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;

  constructor(targetPort: number) {
    this.#target = targetPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async open(): Promise<void> {
    const server = createServer(client => {
      const upstream = connect(this.#target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => (client.destroy(), upstream.destroy()));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the door has no TCP address');
    this.port = address.port;
    this.#server = server;
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    if (server) await new Promise<void>(resolve => server.close(() => resolve()));
  }
}
