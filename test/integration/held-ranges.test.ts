import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCES } from '../../src/kinds/resources.ts';
import { prefixBody, startLab } from '../support/e2e.ts';
import type { Lab } from '../support/e2e.ts';
import { getStored } from './e2e/kube.ts';

/**
 * Every address NetBox holds inside a pool is held back, including an IP range that is only partly inside
 * the pool's prefix (a DHCP scope of the /24 that reaches into a /25 carved out for the cluster).
 */
describe('NetBox-held IP ranges that cross the pool prefix boundary', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab();
  });
  afterAll(async () => lab.close());

  it('reserves the part of a straddling IP range that lies inside the pool', async () => {
    const name = `straddle-${lab.cluster}`;
    await lab.client.create('ipam/ip-ranges', {
      start_address: '100.94.0.120/24',
      end_address: '100.94.0.135/24',
      status: 'active',
      description: 'DHCP scope',
    });
    await lab.client.create('ipam/prefixes', prefixBody(lab, '100.94.0.0/25', 'k8s-pod', { k8s_pool_name: name }));
    const run = await lab.cycle();
    expect(run.actions).toContain(`create IPReservation ${name}`);
    const reservation = await getStored(RESOURCES.calicoIpReservation, name);
    expect(reservation?.spec).toEqual({ reservedCIDRs: ['100.94.0.120/29'] });
    expect((await lab.cycle()).writes).toBe(0);
  });
});
