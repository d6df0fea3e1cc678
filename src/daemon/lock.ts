import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Redis lock per (job, cluster), renewed while held: the last guard against two runs of one cluster's job at
 * once across replicas, for the window BullMQ cannot close alone (a job that stalled — event loop blocked past its
 * lock — is handed to another worker while the first run is still going).
 */

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export interface HeldLock {
  release(): Promise<void>;
}

export class ClusterLock {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttlMs: number;

  constructor(redis: Redis, prefix: string, ttlMs: number) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#ttlMs = ttlMs;
  }

  /** The lock, or null when someone else holds it. */
  async acquire(name: string): Promise<HeldLock | null> {
    const key = `${this.#prefix}:${name}`;
    const token = randomUUID();
    const ok = await this.#redis.set(key, token, 'PX', this.#ttlMs, 'NX');
    if (ok !== 'OK') return null;
    const renew = setInterval(() => {
      this.#redis.eval(RENEW, 1, key, token, String(this.#ttlMs)).catch((err: unknown) => {
        // A failed renewal ends in an expired lock: at worst a stalled copy may start, which BullMQ's lock covers.
        process.emitWarning(`renewing lock ${key} failed: ${String(err)}`);
      });
    }, this.#ttlMs / 3);
    return {
      release: async () => {
        clearInterval(renew);
        await this.#redis.eval(RELEASE, 1, key, token);
      },
    };
  }
}
