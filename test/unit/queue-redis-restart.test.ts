import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../dev/process.ts';
import { startRedis } from '../../dev/redis.ts';
import type { TestRedis } from '../../dev/redis.ts';
import { parseConfig } from '../../src/config/config.ts';
import type { CycleDeps } from '../../src/cycle.ts';
import { Daemon } from '../../src/daemon/daemon.ts';
import type { JobFn } from '../../src/daemon/jobs.ts';
import { silentLogger } from '../../src/log.ts';
import type { RecordsApi } from '../../src/netbox/records.ts';

/**
 * The BullMQ scheduler against a real redis-server that restarts empty (no persistence): the job schedulers went
 * with the data, and before the fix the daemon never ran a scheduled job again (while /readyz said ok).
 */
describe('QueueScheduler after Redis comes back empty', () => {
  let redis: TestRedis;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    redis = await startRedis({ private: true });
  }, 30_000);
  afterAll(async () => {
    await daemon?.stop(5000);
    await redis?.stop();
  });

  it('installs its job schedulers again, so scheduled jobs run again', async () => {
    const parsed = parseConfig(
      {
        cluster: 'restart-unit',
        netbox: { url: 'http://127.0.0.1:9', tokenEnv: 'UNUSED_TOKEN' },
        // Hourly: only the run each scheduler makes when it is installed can happen during this test.
        schedule: { sync: { every: '1h' }, writeback: false, drift: false },
      },
      {},
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const config = parsed.config;
    let runs = 0;
    const sync: JobFn = () => {
      runs++;
      return Promise.resolve({ ok: true, summary: {} });
    };
    const unused: JobFn = () => Promise.reject(new Error('not scheduled in this test'));
    // The jobs are fakes, so the pipeline's dependencies are never touched.
    const deps = { config, netbox: {} as RecordsApi, adapters: [], cluster: {} } as unknown as CycleDeps & {
      netbox: RecordsApi;
    };
    daemon = new Daemon({
      clusters: [{ config, deps, logger: silentLogger }],
      jobs: { sync, writeback: unused, drift: unused },
      redis: { url: redis.url, prefix: 'nbsync-unit-restart' },
      debounceMs: 1000,
      logger: silentLogger,
    });
    await daemon.start();
    await waitFor('the sync run at start', () => Promise.resolve(runs === 1), { timeoutMs: 20_000 });

    await redis.restart?.({ keepData: false });
    expect(await daemon.scheduler.depth().catch(() => undefined)).toBeDefined();
    await waitFor('a scheduled sync after Redis came back empty', () => Promise.resolve(runs >= 2), {
      timeoutMs: 30_000,
    });
    expect(runs).toBe(2);
  }, 60_000);
});
