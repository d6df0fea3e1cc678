import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../model/k8s-object.ts';
import type { FieldDiff } from '../model/plan.ts';
import { foreignRemovals, removalPatch, upgradedManagedFields } from './foreign-fields.ts';

const MANAGER = 'netbox-ippool-sync/lab';
const ours = (fields: Record<string, unknown>) => ({
  manager: MANAGER,
  operation: 'Apply',
  fieldsType: 'FieldsV1',
  fieldsV1: { 'f:spec': fields },
});
const theirs = (fields: Record<string, unknown>, manager = 'kubectl-edit') => ({
  manager,
  operation: 'Update',
  fieldsType: 'FieldsV1',
  fieldsV1: { 'f:spec': fields },
});

function pool(spec: Record<string, unknown>, managedFields: unknown[] = []): K8sObject {
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumLoadBalancerIPPool',
    metadata: { name: 'lb', managedFields },
    spec,
  };
}

const desired = pool({ blocks: [{ cidr: '10.0.0.0/26' }], serviceSelector: { matchLabels: { a: '1' } } });

describe('foreignRemovals', () => {
  it.each<{ name: string; observed: K8sObject; diff: FieldDiff[]; out: string[][] }>([
    {
      name: 'a field only another manager set → removed by patch',
      observed: pool({ blocks: [], disabled: true }, [ours({ 'f:blocks': {} }), theirs({ 'f:disabled': {} })]),
      diff: [{ path: 'spec.disabled', from: true }],
      out: [['spec', 'disabled']],
    },
    {
      name: 'a field only we set → left to apply, which drops it',
      observed: pool({ blocks: [], disabled: true }, [ours({ 'f:blocks': {}, 'f:disabled': {} })]),
      diff: [{ path: 'spec.disabled', from: true }],
      out: [],
    },
    {
      name: 'a field we share with another manager (a drain copied it) → removed by patch',
      observed: pool({ disabled: true }, [ours({ 'f:disabled': {} }), theirs({ 'f:disabled': {} })]),
      diff: [{ path: 'spec.disabled', from: true }],
      out: [['spec', 'disabled']],
    },
    {
      name: 'a key another manager added inside a map we set → only that key',
      observed: pool({ serviceSelector: { matchLabels: { a: '1', b: '2' } } }, [
        theirs({ 'f:serviceSelector': { 'f:matchLabels': { 'f:b': {} } } }),
      ]),
      diff: [{ path: 'spec.serviceSelector.matchLabels.b', from: '2' }],
      out: [['spec', 'serviceSelector', 'matchLabels', 'b']],
    },
    {
      name: 'a default nobody owns, not in the diff (normalise dropped it) → nothing',
      observed: pool({ disabled: false }, [ours({ 'f:blocks': {} })]),
      diff: [{ path: 'spec.blocks[0].cidr', to: '10.0.0.0/26' }],
      out: [],
    },
    {
      name: 'a field the shared manager of older releases set → removed by patch (handed over)',
      observed: pool({ disabled: true }, [
        { ...ours({ 'f:disabled': {} }), manager: 'netbox-ippool-sync' },
        ours({ 'f:blocks': {} }),
      ]),
      diff: [{ path: 'spec.disabled', from: true }],
      out: [['spec', 'disabled']],
    },
    {
      name: 'a field the same daemon of another cluster name set → removed by patch',
      observed: pool({ disabled: true }, [{ ...ours({ 'f:disabled': {} }), manager: 'netbox-ippool-sync/other' }]),
      diff: [{ path: 'spec.disabled', from: true }],
      out: [['spec', 'disabled']],
    },
    {
      name: 'another manager changed a value we set → apply takes it back, no patch',
      observed: pool({ blocks: [{ cidr: '10.9.0.0/26' }] }, [theirs({ 'f:blocks': {} })]),
      diff: [{ path: 'spec.blocks[0].cidr', from: '10.9.0.0/26', to: '10.0.0.0/26' }],
      out: [],
    },
  ])('$name', ({ observed, diff, out }) => {
    expect(foreignRemovals(diff, desired, observed, MANAGER)).toEqual(out);
  });
});

describe('removalPatch', () => {
  it('nulls every path, conditional on the resourceVersion', () => {
    const patch = removalPatch(
      [
        ['spec', 'disabled'],
        ['spec', 'serviceSelector', 'matchLabels', 'b'],
      ],
      '42',
    );
    expect(patch).toEqual({
      metadata: { resourceVersion: '42' },
      spec: { disabled: null, serviceSelector: { matchLabels: { b: null } } },
    });
  });
});

describe('upgradedManagedFields', () => {
  const created = { ...theirs({ 'f:disabled': {}, 'f:blocks': {} }, MANAGER) };
  const status = { ...theirs({}, MANAGER), subresource: 'status' };
  const other = theirs({ 'f:serviceSelector': {} });

  it('turns the Update entry of our create into our Apply entry, merged with the one we have', () => {
    const applied = ours({ 'f:blocks': {}, 'f:serviceSelector': { 'f:matchLabels': {} } });
    const out = upgradedManagedFields(pool({}, [created, other, applied, status]), MANAGER);
    expect(out).toEqual([
      other,
      status,
      {
        ...applied,
        fieldsV1: { 'f:spec': { 'f:blocks': {}, 'f:serviceSelector': { 'f:matchLabels': {} }, 'f:disabled': {} } },
      },
    ]);
  });

  it('makes an Apply entry of the create when we have none yet', () => {
    expect(upgradedManagedFields(pool({}, [created]), MANAGER)).toEqual([{ ...created, operation: 'Apply' }]);
  });

  it('leaves objects without such an entry alone (undefined: nothing to send)', () => {
    expect(upgradedManagedFields(pool({}, [ours({ 'f:blocks': {} }), other, status]), MANAGER)).toBeUndefined();
    expect(
      upgradedManagedFields(pool({}, [theirs({ 'f:blocks': {} }, 'netbox-ippool-sync/other')]), MANAGER),
    ).toBeUndefined();
  });
});
