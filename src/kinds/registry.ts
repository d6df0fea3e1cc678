import type { PoolKind } from '../model/intent.ts';
import type { PoolKindAdapter } from './adapter.ts';
import { calicoAdapter } from './calico.ts';
import { ciliumLbAdapter } from './cilium-lb.ts';
import { ciliumPodAdapter } from './cilium-pod.ts';
import { metallbAdapter } from './metallb.ts';
import { nvIpamAdapter } from './nv-ipam.ts';
import { whereaboutsAdapter } from './whereabouts.ts';

/**
 * The only list of pool kinds. A new kind is one file in this folder plus one line here; config enums, NetBox
 * bootstrap choices, mapping traits, RBAC and test tables all derive from this list (docs/adding-a-pool-kind.md).
 */
export const ADAPTERS: readonly PoolKindAdapter[] = [
  whereaboutsAdapter,
  nvIpamAdapter,
  calicoAdapter,
  metallbAdapter,
  ciliumLbAdapter,
  ciliumPodAdapter,
];

/** Every pool kind key, in registry order. */
// The list above is a literal with entries, so the tuple type (what z.enum wants) is true.
export const POOL_KINDS = ADAPTERS.map(a => a.kind) as readonly string[] as readonly [PoolKind, ...PoolKind[]];

const BY_KIND: ReadonlyMap<PoolKind, PoolKindAdapter> = new Map(ADAPTERS.map(a => [a.kind, a]));

export function isPoolKind(s: string): s is PoolKind {
  return BY_KIND.has(s);
}

export function adapterFor(kind: PoolKind): PoolKindAdapter {
  const adapter = BY_KIND.get(kind);
  if (adapter === undefined)
    throw new Error(`no adapter for pool kind "${kind}"; register it in src/kinds/registry.ts`);
  return adapter;
}

/** Roles that map to a kind when config says nothing (`k8s-pod` → calico), from each kind's `defaultRole`. */
export function defaultRoleKinds(): Record<string, PoolKind> {
  return Object.fromEntries(ADAPTERS.flatMap(a => (a.defaultRole === undefined ? [] : [[a.defaultRole, a.kind]])));
}
