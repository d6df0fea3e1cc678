import type { Redis } from 'ioredis';

/**
 * What one cycle leaves for the next of the same cluster (the pool count the empty-source guard compares
 * against; writeback's stale-record marks). With Redis it lives there, so it survives a restart and moves with
 * the job to whichever replica runs it; embedded, it is kept in memory and starts afresh after a restart.
 */
export interface StateStore {
  readonly durable: boolean;
  get(cluster: string, key: string): Promise<unknown>;
  set(cluster: string, key: string, value: unknown): Promise<void>;
}

export class MemoryStateStore implements StateStore {
  readonly durable = false;
  readonly #values = new Map<string, unknown>();

  get(cluster: string, key: string): Promise<unknown> {
    return Promise.resolve(this.#values.get(`${cluster}\u0000${key}`));
  }

  set(cluster: string, key: string, value: unknown): Promise<void> {
    this.#values.set(`${cluster}\u0000${key}`, structuredClone(value));
    return Promise.resolve();
  }
}

/** One Redis hash per cluster (`<prefix>:state:<cluster>`), each value JSON. */
export class RedisStateStore implements StateStore {
  readonly durable = true;
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async get(cluster: string, key: string): Promise<unknown> {
    const text = await this.#redis.hget(this.#key(cluster), key);
    if (text === null) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new Error(
        `daemon state ${this.#key(cluster)} ${key} in Redis is not JSON; delete that field (HDEL) to start afresh`,
        { cause: err },
      );
    }
  }

  async set(cluster: string, key: string, value: unknown): Promise<void> {
    await this.#redis.hset(this.#key(cluster), key, JSON.stringify(value));
  }

  #key(cluster: string): string {
    return `${this.#prefix}:state:${cluster}`;
  }
}
