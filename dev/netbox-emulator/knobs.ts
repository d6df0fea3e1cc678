/**
 * Behaviour switches for tests and benchmarks (latency, faults, page limits, NetBox settings, API version), set
 * at start or at runtime through `/_emulator/knobs`, and the request counters behind `/_emulator/stats`.
 */
import { z } from 'zod';

export const knobsSchema = z
  .object({
    /** Added to every API request. */
    latencyMs: z.number().min(0),
    /** Added per object in the response body. */
    latencyPerObjectMs: z.number().min(0),
    /**
     * Added per object a successful write created, changed or deleted (a bulk POST of 100 costs 100×). With
     * `latencyMs` this is the benchmarks' latency model of real NetBox, whose cost is mostly per object written.
     */
    latencyPerWrittenObjectMs: z.number().min(0),
    /**
     * Requests served at once, like gunicorn's web workers (0: no limit). Others wait in arrival order; latency
     * is spent inside a worker, as on a real server.
     */
    workers: z.number().int().min(0),
    /** Share of API requests answered 503 (0..1), drawn from a seeded generator. */
    errorRate: z.number().min(0).max(1),
    errorSeed: z.number().int(),
    /** The next N API requests are answered 503. */
    failNext: z.number().int().min(0),
    /** The next N API requests are answered 429 with Retry-After. */
    throttleNext: z.number().int().min(0),
    retryAfterSeconds: z.number().int().min(0),
    /** The next N API requests are never answered (the socket stays open until the client gives up). */
    hangNext: z.number().int().min(0),
    /** List pages omit their `next` link (a truncated listing). */
    dropNextLink: z.boolean(),
    /** Added to `count` of list pages (a count that lies). */
    countOffset: z.number().int(),
    /** Faults and page tampering only hit API paths containing this text (null: all). */
    faultPath: z.string().nullable(),
    /**
     * Faults and page tampering (all the knobs above and below that inject them) start only after this many more
     * API requests (of `faultPath`) have been served normally: a fault at request N of a cycle. Counts down.
     */
    faultSkip: z.number().int().min(0),
    /** API requests are refused 403 `Invalid v1 token` / `Invalid v2 token`, as NetBox answers a deleted token. */
    tokenRevoked: z.boolean(),
    /** The next N list pages come back with `results: []` (count and next as they were): a page lost on the way. */
    emptyPageNext: z.number().int().min(0),
    /** Those pages also say `count: 0` and no `next`: an answer of "nothing here" from a broken cache or proxy. */
    emptyPageSaysEmpty: z.boolean(),
    /**
     * Pages after the first are served as if this many objects had been created (+) or deleted (−) ahead of them
     * since the first page was read: a page that changes between reads. `count` follows unless
     * `pageShiftKeepsCount` (as many objects deleted or created elsewhere, so the total stays the same).
     */
    pageShift: z.number().int(),
    pageShiftKeepsCount: z.boolean(),
    /** NetBox PAGINATE_COUNT. */
    paginateCount: z.number().int().min(1),
    /** NetBox MAX_PAGE_SIZE; 0 disables the cap. */
    maxPageSize: z.number().int().min(0),
    /** NetBox ENFORCE_GLOBAL_UNIQUE. */
    enforceGlobalUnique: z.boolean(),
    /** "major.minor" served; below 4.7 select custom fields read raw and bulk errors take the old shape. */
    apiVersion: z.string().regex(/^\d+\.\d+$/),
    webhookTimeoutMs: z.number().int().min(1),
  })
  .strict();

export type Knobs = z.infer<typeof knobsSchema>;

export function defaultKnobs(): Knobs {
  return {
    latencyMs: 0,
    latencyPerObjectMs: 0,
    latencyPerWrittenObjectMs: 0,
    workers: 0,
    errorRate: 0,
    errorSeed: 1,
    failNext: 0,
    throttleNext: 0,
    retryAfterSeconds: 1,
    hangNext: 0,
    dropNextLink: false,
    countOffset: 0,
    faultPath: null,
    faultSkip: 0,
    tokenRevoked: false,
    emptyPageNext: 0,
    emptyPageSaysEmpty: false,
    pageShift: 0,
    pageShiftKeepsCount: false,
    paginateCount: 50,
    maxPageSize: 1000,
    enforceGlobalUnique: true,
    apiVersion: '4.7',
    webhookTimeoutMs: 10_000,
  };
}

/** Validates a partial knob update; the message names every bad key. */
export function parseKnobPatch(input: unknown): { ok: true; value: Partial<Knobs> } | { ok: false; message: string } {
  const parsed = knobsSchema.partial().safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  const message = parsed.error.issues.map(i => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
  return { ok: false, message };
}

/** `a.b` of an API version at or above `want`. */
export function versionAtLeast(version: string, want: string): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number);
  const [c = 0, d = 0] = want.split('.').map(Number);
  return a !== c ? a > c : b >= d;
}

/** Deterministic generator for errorRate, so a seeded run fails the same requests every time. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

export interface StatsSnapshot {
  total: number;
  objectsReturned: number;
  byMethod: Record<string, number>;
  byEndpoint: Record<string, number>;
  byStatus: Record<string, number>;
  /** "GET ipam/prefixes 200" → count. */
  byRoute: Record<string, number>;
  /** List pages the page-tampering knobs changed (count, next, rows). */
  tamperedPages: number;
}

export class Stats {
  private data: StatsSnapshot = Stats.empty();

  private static empty(): StatsSnapshot {
    return { total: 0, objectsReturned: 0, byMethod: {}, byEndpoint: {}, byStatus: {}, byRoute: {}, tamperedPages: 0 };
  }

  record(method: string, endpoint: string, status: number, objects: number): void {
    const d = this.data;
    d.total++;
    d.objectsReturned += objects;
    d.byMethod[method] = (d.byMethod[method] ?? 0) + 1;
    d.byEndpoint[endpoint] = (d.byEndpoint[endpoint] ?? 0) + 1;
    d.byStatus[String(status)] = (d.byStatus[String(status)] ?? 0) + 1;
    const route = `${method} ${endpoint} ${status}`;
    d.byRoute[route] = (d.byRoute[route] ?? 0) + 1;
  }

  tampered(): void {
    this.data.tamperedPages++;
  }

  snapshot(): StatsSnapshot {
    return structuredClone(this.data);
  }

  reset(): void {
    this.data = Stats.empty();
  }
}
