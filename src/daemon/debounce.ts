/**
 * Turns streams of events per key into few calls without making the first one wait: the first event of a quiet
 * key fires at once (leading edge); events within `delayMs` of that call are collected into one more call at the
 * end of the window (trailing edge), and so on — at most one call per `delayMs` per key, and every event is
 * covered by a call at most `delayMs` after it. A burst (a NetBox bulk import: one webhook per object) costs two
 * runs at most, an endless stream one run per window, and a lone change runs now.
 *
 * (It used to wait for `delayMs` of quiet before the first call, up to 4 × `delayMs`: with the 5 s default a
 * single webhook waited 5 s and a busy stream 20 s — the bench's `events` scenario measured p95 14 s.) Runs never
 * pile up behind it either way: the job runner keeps at most one follow-up per running job.
 */
export class Debouncer {
  readonly #delayMs: number;
  readonly #fire: (key: string) => void;
  /** Keys with a trailing call scheduled. */
  readonly #pending = new Map<string, NodeJS.Timeout>();
  /** When each key last fired (one entry per job and cluster: bounded). */
  readonly #lastFired = new Map<string, number>();
  readonly #now: () => number;

  constructor(opts: { delayMs: number; now?: () => number }, fire: (key: string) => void) {
    this.#delayMs = opts.delayMs;
    this.#fire = fire;
    this.#now = opts.now ?? Date.now;
  }

  trigger(key: string): void {
    if (this.#pending.has(key)) return; // the scheduled call covers this event
    const now = this.#now();
    const last = this.#lastFired.get(key);
    if (last === undefined || now - last >= this.#delayMs) {
      this.#call(key, now);
      return;
    }
    const timer = setTimeout(
      () => {
        this.#pending.delete(key);
        this.#call(key, this.#now());
      },
      last + this.#delayMs - now,
    );
    this.#pending.set(key, timer);
  }

  #call(key: string, now: number): void {
    this.#lastFired.set(key, now);
    this.#fire(key);
  }

  /** Keys waiting to fire. */
  get size(): number {
    return this.#pending.size;
  }

  /** Drops every pending call (shutdown). */
  cancelAll(): void {
    for (const timer of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
  }
}
