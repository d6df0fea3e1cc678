import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { redisCommand } from '../../dev/redis.ts';

/** Proves the integration environment runs a real Redis, configured the way BullMQ requires. */
describe('redis-server', () => {
  const url = inject('redisUrl');
  const connections: Redis[] = [];
  afterAll(async () => {
    await Promise.all(connections.map(c => c.quit()));
  });

  it('answers PING and evicts nothing (maxmemory-policy noeviction)', async () => {
    expect(await redisCommand(url, 'PING')).toMatch(/^\+PONG/);
    expect(await redisCommand(url, 'CONFIG GET maxmemory-policy')).toContain('noeviction');
  });

  it('runs a BullMQ job end to end', async () => {
    const connection = new Redis(url, { maxRetriesPerRequest: null });
    connections.push(connection);
    const name = `test-${randomUUID()}`;
    const queue = new Queue(name, { connection, prefix: '{nbsync-test}' });
    const events = new QueueEvents(name, { connection: connection.duplicate(), prefix: '{nbsync-test}' });
    const worker = new Worker(name, job => Promise.resolve({ doubled: (job.data as { n: number }).n * 2 }), {
      connection: connection.duplicate(),
      prefix: '{nbsync-test}',
    });
    try {
      await events.waitUntilReady();
      const job = await queue.add('double', { n: 21 });
      expect(await job.waitUntilFinished(events, 10_000)).toEqual({ doubled: 42 });
    } finally {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
