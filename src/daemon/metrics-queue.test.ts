import { describe, expect, it } from 'vitest';
import { DaemonMetrics } from './metrics.ts';

describe('/metrics while the queue cannot be read', () => {
  it('answers without the queue series when the depth never comes (Redis refusing the password)', async () => {
    const metrics = new DaemonMetrics(() => new Promise<Record<string, number>>(() => undefined), 50);
    const text = await metrics.registry.metrics();
    expect(text).toContain('nbsync_webhooks_total');
    expect(text).not.toMatch(/^nbsync_queue_jobs\{/m);
  });

  it('answers when reading the depth fails, and shows the depth when it is there', async () => {
    const failing = new DaemonMetrics(() => Promise.reject(new Error('WRONGPASS')), 50);
    expect(await failing.registry.metrics()).not.toMatch(/^nbsync_queue_jobs\{/m);
    const fine = new DaemonMetrics(() => Promise.resolve({ waiting: 3, active: 1 }), 50);
    const text = await fine.registry.metrics();
    expect(text).toContain('nbsync_queue_jobs{state="waiting"} 3');
    expect(text).toContain('nbsync_queue_jobs{state="active"} 1');
  });
});
