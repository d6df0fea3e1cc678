import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prefixBody, startLab } from '../../support/e2e.ts';
import type { Lab } from '../../support/e2e.ts';

describe('e2e smoke: NetBox prefix → Calico IPPool on the real apiserver', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab();
  });
  afterAll(async () => lab.close());

  it('creates the pool, then a second cycle writes nothing', async () => {
    await lab.client.create(
      'ipam/prefixes',
      prefixBody(lab, '10.77.0.0/24', 'k8s-pod', { k8s_pool_name: `pods-${lab.cluster}` }),
    );
    const first = await lab.cycle();
    expect(first.actions).toContain(`create IPPool pods-${lab.cluster}`);
    expect(first.apply?.results.every(r => r.outcome === 'applied')).toBe(true);
    const second = await lab.cycle();
    expect(second.writes).toBe(0);
  });
});
