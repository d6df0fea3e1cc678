import { ADAPTERS } from '../kinds/registry.ts';
import type { PoolKindAdapter } from '../kinds/adapter.ts';
import { apiVersionOf } from '../model/k8s-object.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import { isManaged } from '../model/ownership.ts';
import { compareText } from '../model/values.ts';
import { proposeNetBox } from './propose.ts';
import { proposedSnapshot, proveAgainst } from './prove.ts';
import type { Adoption, AdoptContext, PoolId } from './types.ts';

/**
 * Adoption of hand-written pools (issue 14), pure: for each unmanaged pool object of a supported kind, the NetBox
 * side that would render it (propose.ts) and the proof that it does (prove.ts). The caller writes the NetBox side of
 * adoptable pools and then marks the live objects as ours with the metadata the render gives them.
 */

/** The adapter whose pool type this object is; undefined for companions and other types. */
export function poolAdapterOf(obj: Pick<K8sObject, 'apiVersion' | 'kind'>): PoolKindAdapter | undefined {
  return ADAPTERS.find(a => {
    const pool = a.owns[0];
    return pool !== undefined && apiVersionOf(pool) === obj.apiVersion && pool.kind === obj.kind;
  });
}

export interface Candidates {
  /** Kind key (`--kind`); absent: every kind. */
  kind?: string;
  /** Object names (`--name`); empty: every name. */
  names?: readonly string[];
}

/** Unmanaged pool objects of the supported kinds, filtered as asked, by kind, namespace and name. */
export function adoptionCandidates(observed: readonly K8sObject[], filter: Candidates = {}): K8sObject[] {
  const names = new Set(filter.names ?? []);
  return observed
    .filter(o => !isManaged(o) && o.metadata.deletionTimestamp === undefined)
    .filter(o => {
      const adapter = poolAdapterOf(o);
      return adapter !== undefined && (filter.kind === undefined || adapter.kind === filter.kind);
    })
    .filter(o => names.size === 0 || names.has(o.metadata.name))
    .map(o => ({ o, at: `${poolAdapterOf(o)?.kind ?? ''}/${o.metadata.namespace ?? ''}/${o.metadata.name}` }))
    .sort((a, b) => compareText(a.at, b.at))
    .map(x => x.o);
}

export function poolIdOf(pool: K8sObject, adapter: PoolKindAdapter): PoolId {
  return {
    kind: adapter.kind,
    name: pool.metadata.name,
    ...(adapter.defaultNamespace === undefined || pool.metadata.namespace === undefined
      ? {}
      : { namespace: pool.metadata.namespace }),
  };
}

export function adoptPool(pool: K8sObject, ctx: AdoptContext): Adoption {
  const adapter = poolAdapterOf(pool);
  const empty = { reasons: [], differences: [], notes: [], spaces: [], held: [], objects: [] };
  if (adapter === undefined) {
    const id = { kind: pool.kind, name: pool.metadata.name };
    return { ...empty, pool: id, outcome: 'unreadable', reasons: [`${pool.kind} is no pool type of a supported kind`] };
  }
  const id = poolIdOf(pool, adapter);
  if (isManaged(pool)) return { ...empty, pool: id, outcome: 'refused', reasons: ['the pool is managed already'] };
  const shape = adapter.readBack(pool, ctx.observed);
  if (!shape.ok) return { ...empty, pool: id, outcome: 'unreadable', reasons: [shape.reason] };
  const proposal = proposeNetBox(pool, adapter, shape.shape, ctx);
  const base = { ...empty, pool: id, spaces: proposal.spaces, held: proposal.held };
  if (proposal.refusals.length > 0) return { ...base, outcome: 'refused', reasons: proposal.refusals };
  const proof = proveAgainst(proposedSnapshot(proposal, ctx), id, pool, ctx);
  const managedCompanion = proof.pairs.find(p => p.live !== pool && isManaged(p.live));
  const reasons = [
    ...proof.errors,
    ...(managedCompanion === undefined
      ? []
      : [`${managedCompanion.live.kind} ${managedCompanion.live.metadata.name} is managed already`]),
  ];
  const outcome = reasons.length > 0 || proof.differences.length > 0 ? 'differs' : 'adoptable';
  return {
    ...base,
    outcome,
    reasons,
    differences: proof.differences,
    notes: proof.notes,
    objects: outcome === 'adoptable' ? proof.pairs.map(p => p.live) : [],
  };
}
