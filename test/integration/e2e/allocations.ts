import { inject } from 'vitest';
import * as cni from '../../../dev/cni/index.ts';
import { KubeAdmin } from '../../../dev/cni/index.ts';

/**
 * The allocation writers of dev/cni (shared with the demo), bound to the integration environment's admin: live
 * allocation sources written the way each kind's own components write them. The daemon only ever reads them.
 */

export type { LiveAllocation } from '../../../dev/cni/index.ts';

type Opts<F> = F extends (kube: KubeAdmin, opts: infer O) => unknown ? O : never;

function admin(): KubeAdmin {
  return new KubeAdmin({
    server: inject('kubeServer'),
    ca: inject('kubeCa'),
    cert: inject('kubeAdminCert'),
    key: inject('kubeAdminKey'),
  });
}

export const whereaboutsPool = (o: Opts<typeof cni.whereaboutsPool>) => cni.whereaboutsPool(admin(), o);
export const nvIpamNodeBlocks = (o: Opts<typeof cni.nvIpamNodeBlocks>) => cni.nvIpamNodeBlocks(admin(), o);
export const calicoBlock = (o: Opts<typeof cni.calicoBlock>) => cni.calicoBlock(admin(), o);
export const loadBalancerService = (o: Opts<typeof cni.loadBalancerService>) => cni.loadBalancerService(admin(), o);
export const ciliumNode = (o: Opts<typeof cni.ciliumNode>) => cni.ciliumNode(admin(), o);
