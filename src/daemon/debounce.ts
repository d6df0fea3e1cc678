/**
 * Collects bursts of events per key into one call: `fire(key)` runs once `delayMs` passed without another event
 * for that key, and at the latest `maxWaitMs` after the burst's first event, so a never-ending stream of events
 * (a busy namespace, a NetBox import) still gets its run.
 */
export class Debouncer {
  readonly #delayMs: number;
  readonly #maxWaitMs: number;
  readonly #fire: (key: string) => void;
  readonly #pending = new Map<string, { timer: NodeJS.Timeout; first: number }>();
  readonly #now: () => number;

  constructor(opts: { delayMs: number; maxWaitMs?: number; now?: () => number }, fire: (key: string) => void) {
    this.#delayMs = opts.delayMs;
    this.#maxWaitMs = opts.maxWaitMs ?? opts.delayMs * 4;
    this.#fire = fire;
    this.#now = opts.now ?? Date.now;
  }

  trigger(key: string): void {
    const now = this.#now();
    const pending = this.#pending.get(key);
    const first = pending?.first ?? now;
    if (pending) clearTimeout(pending.timer);
    const wait = Math.max(0, Math.min(this.#delayMs, first + this.#maxWaitMs - now));
    const timer = setTimeout(() => {
      this.#pending.delete(key);
      this.#fire(key);
    }, wait);
    this.#pending.set(key, { timer, first });
  }

  /** Keys waiting to fire. */
  get size(): number {
    return this.#pending.size;
  }

  /** Drops every pending call (shutdown). */
  cancelAll(): void {
    for (const { timer } of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
  }
}
