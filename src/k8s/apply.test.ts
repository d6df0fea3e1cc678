import { describe, expect, it } from 'vitest';
import { applyPlan } from './apply.ts';
import type { ApplyOptions, KubeClient } from './client.ts';
import { KubeApiError } from './errors.ts';
import { ADAPTERS } from '../kinds/registry.ts';
import type { K8sObject, ResourceType } from '../model/k8s-object.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../model/ownership.ts';
import type { CreateChange, Plan } from '../model/plan.ts';

/**
 * Apply's create path when another writer creates an object of the same name between our existence check and our
 * write (seen with a real apiserver in test/reliability/kube-faults.test.ts): the write must not force the other
 * writer's fields over to us, and the conflict is a skipped change with a reason, not a crash or a takeover.
 */
const desired: K8sObject = {
  apiVersion: 'projectcalico.org/v3',
  kind: 'IPPool',
  metadata: { name: 'pods', labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } },
  spec: { cidr: '10.1.0.0/24' },
};
const change: CreateChange = {
  action: 'create',
  poolKind: 'calico',
  apiVersion: 'projectcalico.org/v3',
  kind: 'IPPool',
  name: 'pods',
  reason: 'new in NetBox',
  sources: [],
  desired,
};
const plan = { changes: [change] } as unknown as Plan;
const intruder: K8sObject = { ...desired, metadata: { name: 'pods' }, spec: { cidr: '10.9.0.0/24' } };

/** A client whose object appears (as `intruder`) right after the existence check; conflicts unless forced. */
function racingClient(): { kube: KubeClient; applies: ApplyOptions[] } {
  let reads = 0;
  const applies: ApplyOptions[] = [];
  const stub = {
    get: (_rt: ResourceType, _name: string): Promise<K8sObject | null> =>
      Promise.resolve(reads++ === 0 ? null : intruder),
    apply: (rt: ResourceType, obj: K8sObject, opts: ApplyOptions = {}): Promise<K8sObject> => {
      applies.push(opts);
      if (opts.force === true) return Promise.resolve(obj);
      const ctx = { verb: 'apply', resource: `${rt.plural}.${rt.group}`, name: obj.metadata.name };
      const message = 'Apply failed with 1 conflict: conflict with "intruder": .spec.cidr';
      return Promise.reject(new KubeApiError(409, 'Conflict', message, ctx));
    },
  };
  return { kube: stub as unknown as KubeClient, applies };
}

describe('applyPlan: create racing another writer', () => {
  it('does not force the write, and reports the object that appeared as skipped', async () => {
    const { kube, applies } = racingClient();
    const report = await applyPlan(kube, plan, ADAPTERS, { fieldManager: 'netbox-ippool-sync/east' });
    expect(applies.map(o => o.force)).toEqual([false]);
    expect(report.aborted).toBeUndefined();
    expect(report.results.map(r => r.outcome)).toEqual(['skipped']);
    expect(report.results[0]?.message).toMatch(/appeared while it was being created, without our .* label/);
    expect(report.results[0]?.message).toContain('conflict with "intruder"');
  });
});
