import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startControlPlane } from '../../dev/control-plane/index.ts';
import { startRedis } from '../../dev/redis.ts';

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** The harness must leave nothing behind: no processes, no temp dirs, even when a start fails. */
describe('test harness teardown', () => {
  it('stops kube-apiserver and etcd and removes its directory', async () => {
    const cp = await startControlPlane({ installCrds: false });
    const pids = cp.processes.map(p => p.child.pid);
    expect(pids.every(alive)).toBe(true);
    await cp.stop();
    expect(pids.some(alive)).toBe(false);
    expect(existsSync(cp.dir)).toBe(false);
  });

  it('cleans up after a start that fails, and says why', async () => {
    await expect(startControlPlane({ installCrds: false, extraApiserverArgs: ['--no-such-flag=1'] })).rejects.toThrow(
      /kube-apiserver exited .*no-such-flag/s,
    );
  });

  it('stops redis-server', async () => {
    const saved = process.env['REDIS_URL'];
    delete process.env['REDIS_URL'];
    try {
      const redis = await startRedis();
      await redis.stop();
      await expect(fetch(redis.url.replace('redis:', 'http:'))).rejects.toThrow();
    } finally {
      if (saved !== undefined) process.env['REDIS_URL'] = saved;
    }
  });
});
