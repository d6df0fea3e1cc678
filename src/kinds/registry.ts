import type { PoolKind } from '../model/intent.ts';
import type { PoolKindAdapter } from './adapter.ts';
import { calicoAdapter } from './calico.ts';
import { ciliumLbAdapter } from './cilium-lb.ts';
import { ciliumPodAdapter } from './cilium-pod.ts';
import { metallbAdapter } from './metallb.ts';
import { nvIpamAdapter } from './nv-ipam.ts';
import { whereaboutsAdapter } from './whereabouts.ts';

/** Every pool kind's adapter, in POOL_KINDS order. A new kind is one file plus one line here. */
export const ADAPTERS: readonly PoolKindAdapter[] = [
  whereaboutsAdapter,
  nvIpamAdapter,
  calicoAdapter,
  metallbAdapter,
  ciliumLbAdapter,
  ciliumPodAdapter,
];

const BY_KIND: ReadonlyMap<PoolKind, PoolKindAdapter> = new Map(ADAPTERS.map(a => [a.kind, a]));

export function adapterFor(kind: PoolKind): PoolKindAdapter {
  const adapter = BY_KIND.get(kind);
  if (adapter === undefined)
    throw new Error(`no adapter for pool kind "${kind}"; register it in src/k8s/kinds/registry.ts`);
  return adapter;
}
