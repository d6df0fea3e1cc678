import { describe, expect, it } from 'vitest';
import { calicoAdapter } from '../kinds/calico.ts';
import { whereaboutsAdapter } from '../kinds/whereabouts.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import { namespaceValuesAnnotation } from '../model/ownership.ts';
import type { Issue } from '../model/issue.ts';
import { calculatePlan } from './plan.ts';
import {
  CALICO_POOL,
  CALICO_RESERVATION,
  CLUSTER,
  METALLB_POOL,
  NAD,
  NV_POOL,
  input,
  obj,
  pods,
  prefix,
  want,
} from '../../test/support/plan-fixtures.ts';
import type { PlanInput } from './types.ts';
import type { ChangeAction, Plan } from '../model/plan.ts';
import { desiredOf, observedOf } from '../model/plan.ts';

const P12 = prefix(12, '10.20.0.0/24');
const PODS_A = { kind: 'calico', name: 'pods-a' } as const;
const LB = { kind: 'metallb', name: 'lb', namespace: 'metallb-system' } as const;
const BUSY = { kind: 'calico', name: 'busy' } as const;
const P30 = prefix(30, '10.30.0.0/24');

const calicoSpec = { cidr: '10.20.0.0/24', blockSize: 26 };
const calicoObserved = (spec: Record<string, unknown> = calicoSpec, o: Parameters<typeof obj>[4] = {}) =>
  obj('calico', CALICO_POOL, 'pods-a', spec, { from: 'prefix/12', hash: 'h1', ...o });
const calicoDesired = (spec: Record<string, unknown> = calicoSpec, hash = 'h1') =>
  want('calico', obj('calico', CALICO_POOL, 'pods-a', spec, { from: 'prefix/12', hash }), [P12]);

const lbSpec = { addresses: ['10.30.0.0/24'] };
const lbObserved = (spec: Record<string, unknown> = lbSpec, o: Parameters<typeof obj>[4] = {}) =>
  obj('metallb', METALLB_POOL, 'lb', spec, { namespace: 'metallb-system', from: 'prefix/30', hash: 'h1', ...o });
const lbDesired = (spec: Record<string, unknown> = lbSpec, hash = 'h1') =>
  want('metallb', lbObserved(spec, { hash }), [P30]);

const nadSpec = (range: string) => ({
  config: JSON.stringify({ cniVersion: '0.3.1', ipam: { type: 'whereabouts', range } }),
});
const nad = (range: string, o: Parameters<typeof obj>[4] = {}) =>
  obj('whereabouts', NAD, 'sriov-a', nadSpec(range), { namespace: 'apps', from: 'prefix/40', ...o });

const netboxError = (id: number, display: string): Issue => ({
  severity: 'error',
  subject: { type: 'netbox', model: 'prefix', id, display },
  field: 'custom_fields.k8s_block_size',
  reason: 'block size 33 is larger than an IPv4 address',
  hint: 'use 20-32',
});

type Expected = [ChangeAction, string, string];

function outcome(plan: Plan): [ChangeAction, string, string][] {
  return plan.changes.map(c => [c.action, c.name, c.reason]);
}

function expectOutcome(plan: Plan, expected: Expected[]): void {
  const got = outcome(plan);
  expect(got.map(([a, n]) => [a, n])).toEqual(expected.map(([a, n]) => [a, n]));
  expected.forEach(([, , reason], i) => expect(got[i]?.[2]).toContain(reason));
}

interface Case {
  name: string;
  in: Partial<PlanInput>;
  out: Expected[];
}

const cases: Case[] = [
  {
    name: 'new NetBox prefix → create',
    in: { desired: [calicoDesired()] },
    out: [['create', 'pods-a', 'NetBox prefix 10.20.0.0/24 (id 12) is new']],
  },
  {
    name: 'equal after normalise (apiserver defaults, status, foreign labels) → nothing',
    in: {
      desired: [calicoDesired({ cidr: '10.20.0.0/24' })],
      observed: [
        calicoObserved(
          { cidr: '10.20.0.0/24', blockSize: 26, natOutgoing: false, disabled: false },
          { status: { conditions: [] }, resourceVersion: '99', labels: { 'argocd.argoproj.io/instance': 'x' } },
        ),
      ],
    },
    out: [],
  },
  {
    name: 'NetBox changed → update with the changed fields',
    in: {
      desired: [lbDesired({ addresses: ['10.30.0.0/24', '10.31.0.0/24'] }, 'h2')],
      observed: [lbObserved()],
    },
    out: [['update', 'lb', 'NetBox prefix 10.30.0.0/24 (id 30) changed: spec.addresses[1]']],
  },
  {
    name: 'edited in the cluster (same spec hash) → update says drifted',
    in: { desired: [lbDesired()], observed: [lbObserved({ addresses: ['10.30.0.0/24'], autoAssign: false })] },
    out: [
      ['update', 'lb', 'drifted from NetBox prefix 10.30.0.0/24 (id 30) (edited in the cluster?): spec.autoAssign'],
    ],
  },
  {
    name: 'immutable field (path from the spec) → replace',
    in: { desired: [calicoDesired({ cidr: '10.20.0.0/24', blockSize: 24 }, 'h2')], observed: [calicoObserved()] },
    out: [['replace', 'pods-a', 'spec.blockSize 26 → 24 cannot change in place: replace']],
  },
  {
    name: 'immutable field (path from the root) → replace',
    in: { desired: [calicoDesired({ cidr: '10.20.0.0/23', blockSize: 26 }, 'h2')], observed: [calicoObserved()] },
    out: [['replace', 'pods-a', 'spec.cidr 10.20.0.0/24 → 10.20.0.0/23 cannot change in place: replace']],
  },
  {
    name: 'replace of a pool in use → drain the old, blocked with the count',
    in: {
      desired: [calicoDesired({ cidr: '10.20.0.0/24', blockSize: 24 }, 'h2')],
      observed: [calicoObserved()],
      allocations: pods('10.20.0.10', 12, PODS_A),
    },
    out: [
      [
        'drain',
        'pods-a',
        'spec.blockSize 26 → 24 needs a replacement; no new allocations while 12 live allocations remain',
      ],
      [
        'blocked',
        'pods-a',
        'spec.blockSize 26 → 24 cannot change in place; blocked: 12 live allocations in 10.20.0.0/24 — drained instead; replace is retried each cycle',
      ],
    ],
  },
  {
    name: 'replace of a pool in use that is drained already → only blocked',
    in: {
      desired: [calicoDesired({ cidr: '10.20.0.0/24', blockSize: 24 }, 'h2')],
      observed: [calicoObserved({ ...calicoSpec, disabled: true })],
      allocations: pods('10.20.0.10', 2, PODS_A),
    },
    out: [
      [
        'blocked',
        'pods-a',
        'blocked: 2 live allocations in 10.20.0.0/24 — already drained; replace is retried each cycle',
      ],
    ],
  },
  {
    name: 'NV-IPAM subnet change while no node holds a block → in-place update',
    in: {
      desired: [
        want('nv-ipam', obj('nv-ipam', NV_POOL, 'rdma', { subnet: '10.60.0.0/23' }, { namespace: 'nv', hash: 'h2' }), [
          prefix(60, '10.60.0.0/23'),
        ]),
      ],
      observed: [
        obj(
          'nv-ipam',
          NV_POOL,
          'rdma',
          { subnet: '10.60.0.0/24' },
          { namespace: 'nv', hash: 'h1', status: { allocations: [] } },
        ),
      ],
    },
    out: [['update', 'rdma', 'NetBox prefix 10.60.0.0/23 (id 60) changed: spec.subnet']],
  },
  {
    name: 'NV-IPAM subnet change while nodes hold blocks → replace',
    in: {
      desired: [
        want('nv-ipam', obj('nv-ipam', NV_POOL, 'rdma', { subnet: '10.60.0.0/23' }, { namespace: 'nv', hash: 'h2' }), [
          prefix(60, '10.60.0.0/23'),
        ]),
      ],
      observed: [
        obj(
          'nv-ipam',
          NV_POOL,
          'rdma',
          { subnet: '10.60.0.0/24' },
          { namespace: 'nv', hash: 'h1', status: { allocations: [{ nodeName: 'n1' }] } },
        ),
      ],
    },
    out: [['replace', 'rdma', 'spec.subnet 10.60.0.0/24 → 10.60.0.0/23 cannot change in place: replace']],
  },
  {
    name: 'shrink that removes addresses in use → blocked, not applied',
    in: {
      desired: [lbDesired({ addresses: ['10.30.0.0/25'] }, 'h2')],
      observed: [lbObserved()],
      allocations: pods('10.30.0.200', 1, { kind: 'metallb', name: 'lb', namespace: 'metallb-system' }),
    },
    out: [
      [
        'blocked',
        'lb',
        'blocked: 1 live allocation in 10.30.0.200/32; the update would take 10.30.0.128/25 out of the pool — not applied',
      ],
    ],
  },
  {
    name: 'shrink that removes only free addresses → update',
    in: {
      desired: [lbDesired({ addresses: ['10.30.0.0/25'] }, 'h2')],
      observed: [lbObserved()],
      allocations: pods('10.30.0.5', 3, LB),
    },
    out: [['update', 'lb', 'changed']],
  },
  {
    name: 'pool no longer in NetBox, unused → delete',
    in: { observed: [calicoObserved()] },
    out: [['delete', 'pods-a', 'no NetBox object selects it any more (it came from prefix/12)']],
  },
  {
    name: 'pool no longer in NetBox, in use → drain + blocked',
    in: { observed: [calicoObserved()], allocations: pods('10.20.0.1', 12, PODS_A) },
    out: [
      ['drain', 'pods-a', 'no NetBox object selects it any more'],
      [
        'blocked',
        'pods-a',
        'blocked: 12 live allocations in 10.20.0.0/24 — drained instead; delete is retried each cycle',
      ],
    ],
  },
  {
    name: 'pool no longer in NetBox, in use, drained already → only blocked',
    in: { observed: [calicoObserved({ ...calicoSpec, disabled: true })], allocations: pods('10.20.0.1', 1, PODS_A) },
    out: [
      [
        'blocked',
        'pods-a',
        'blocked: 1 live allocation in 10.20.0.0/24 — already drained; delete is retried each cycle',
      ],
    ],
  },
  {
    name: 'Whereabouts NAD in use (its plugin IPPool holds allocations), kind cannot drain → blocked',
    in: {
      observed: [nad('10.40.0.0/24')],
      allocations: pods('10.40.0.7', 2, { kind: 'whereabouts', name: 'sriov-a', namespace: 'apps' }),
    },
    out: [['blocked', 'sriov-a', 'blocked: 2 live allocations in 10.40.0.0/24 — whereabouts pools cannot be drained']],
  },
  {
    name: 'allocations attributed to another pool of the kind in the same addresses (another VRF) do not hold it → delete',
    in: {
      observed: [nad('10.40.0.0/24')],
      allocations: pods('10.40.0.7', 4, { kind: 'whereabouts', name: 'sriov-blue', namespace: 'apps' }),
    },
    out: [['delete', 'sriov-a', 'no NetBox object selects it any more']],
  },
  {
    name: 'allocations attributed to no pool hold none, whatever their addresses → delete',
    in: { observed: [nad('10.40.0.0/24')], allocations: pods('10.40.0.7', 3, null) },
    out: [['delete', 'sriov-a', 'no NetBox object selects it any more']],
  },
  {
    name: 'allocation attributed to a pool of another kind does not hold the pool → delete',
    in: { observed: [nad('10.40.0.0/24')], allocations: pods('10.40.0.7', 1, { kind: 'calico', name: 'other' }) },
    out: [['delete', 'sriov-a', 'no NetBox object selects it any more']],
  },
  {
    name: 'allocation whose source names the pool holds it even outside its ranges',
    in: {
      observed: [lbObserved()],
      allocations: pods('192.0.2.1', 1, { kind: 'metallb', name: 'lb', namespace: 'metallb-system' }),
    },
    out: [
      ['drain', 'lb', 'no NetBox object selects it any more'],
      ['blocked', 'lb', 'blocked: 1 live allocation in 10.30.0.0/24'],
    ],
  },
  {
    name: 'same identity exists without our label → unmanaged conflict, desired not applied',
    in: { desired: [calicoDesired()], observed: [calicoObserved(calicoSpec, { cluster: false })] },
    out: [
      [
        'unmanaged',
        'pods-a',
        'exists but is not managed by netbox-ippool-sync; adopt it explicitly or rename the NetBox pool',
      ],
    ],
  },
  {
    name: 'same identity managed for another cluster → unmanaged conflict',
    in: { desired: [calicoDesired()], observed: [calicoObserved(calicoSpec, { cluster: 'west' })] },
    out: [['unmanaged', 'pods-a', 'is managed by netbox-ippool-sync for cluster "west", not "east"']],
  },
  {
    name: "another cluster's orphan → ignored",
    in: { observed: [calicoObserved(calicoSpec, { cluster: 'west' })] },
    out: [],
  },
  {
    name: 'unmanaged pool overlapping a desired pool → reported, never touched',
    in: {
      desired: [lbDesired()],
      observed: [
        lbObserved(),
        obj(
          'metallb',
          METALLB_POOL,
          'legacy',
          { addresses: ['10.30.0.128-10.30.1.10'] },
          { namespace: 'metallb-system', cluster: false },
        ),
        obj(
          'metallb',
          METALLB_POOL,
          'elsewhere',
          { addresses: ['10.99.0.0/24'] },
          { namespace: 'metallb-system', cluster: false },
        ),
      ],
    },
    out: [
      [
        'unmanaged',
        'legacy',
        'not managed by netbox-ippool-sync and overlaps metallb.io/v1beta1 IPAddressPool metallb-system/lb in 10.30.0.128/25: reported, never touched',
      ],
    ],
  },
  {
    name: 'invalid NetBox object → invalid, and its existing pool is kept (not deleted)',
    in: { observed: [calicoObserved()], issues: [netboxError(12, '10.20.0.0/24')] },
    out: [
      [
        'blocked',
        'pods-a',
        'kept: its NetBox source prefix/12 is invalid this cycle (see the invalid entry); not deleted',
      ],
      [
        'invalid',
        'NetBox prefix 10.20.0.0/24 (id 12)',
        'block size 33 is larger than an IPv4 address [custom_fields.k8s_block_size] — use 20-32',
      ],
    ],
  },
  {
    name: 'invalid NetBox object behind a pool that would change → kept as is',
    in: {
      desired: [lbDesired({ addresses: ['10.30.0.0/25'] }, 'h2')],
      observed: [lbObserved()],
      issues: [netboxError(30, '10.30.0.0/24')],
    },
    out: [
      ['blocked', 'lb', 'kept as is: its NetBox source prefix/30 is invalid this cycle'],
      ['invalid', 'NetBox prefix 10.30.0.0/24 (id 30)', 'block size 33'],
    ],
  },
  {
    name: 'pool that failed to render → invalid, and its pool is kept',
    in: {
      observed: [lbObserved(lbSpec, { from: '' })],
      issues: [
        {
          severity: 'error',
          subject: { type: 'pool', kind: 'metallb', name: 'lb', namespace: 'metallb-system' },
          reason: 'overlaps pool x',
        },
      ],
    },
    out: [
      ['blocked', 'lb', 'kept: its pool could not be rendered this cycle'],
      ['invalid', 'lb', 'overlaps pool x'],
    ],
  },
  {
    name: 'pool that failed to render holds its per-CIDR member objects too (`<pool>-<cidr>`)',
    in: {
      observed: [
        calicoObserved(calicoSpec, { from: '' }),
        obj('calico', CALICO_POOL, 'pods-a-10-21-0-0-24', { cidr: '10.21.0.0/24', blockSize: 26 }, { from: '' }),
        obj('calico', CALICO_POOL, 'pods-b', { cidr: '10.22.0.0/24', blockSize: 26 }, { from: '' }),
      ],
      issues: [
        { severity: 'error', subject: { type: 'pool', kind: 'calico', name: 'pods-a' }, reason: 'members disagree' },
      ],
    },
    out: [
      ['delete', 'pods-b', 'no NetBox object'],
      ['blocked', 'pods-a', 'kept: its pool could not be rendered this cycle'],
      ['blocked', 'pods-a-10-21-0-0-24', 'kept: its pool could not be rendered this cycle'],
      ['invalid', 'pods-a', 'members disagree'],
    ],
  },
  {
    name: 'error about a Kubernetes object → invalid, and that object is kept',
    in: {
      observed: [lbObserved()],
      issues: [
        {
          severity: 'error',
          subject: {
            type: 'k8s',
            apiVersion: 'metallb.io/v1beta1',
            kind: 'IPAddressPool',
            name: 'lb',
            namespace: 'metallb-system',
          },
          reason: 'webhook rejected it',
        },
      ],
    },
    out: [
      ['blocked', 'lb', 'kept: an error was reported for it this cycle'],
      ['invalid', 'lb', 'webhook rejected it'],
    ],
  },
  {
    name: 'config error → invalid naming the config path',
    in: {
      issues: [
        { severity: 'error', subject: { type: 'config', path: 'kinds.calico.blockSize' }, reason: 'not a number' },
      ],
    },
    out: [['invalid', 'config kinds.calico.blockSize', 'not a number']],
  },
  {
    name: 'warnings and conflicts are not plan changes',
    in: { issues: [{ ...netboxError(12, '10.20.0.0/24'), severity: 'warning' }] },
    out: [],
  },
  {
    name: 'desired object whose old self is being deleted → blocked until it is gone',
    in: {
      desired: [calicoDesired()],
      observed: [calicoObserved(calicoSpec, { deletionTimestamp: '2026-01-01T00:00:00Z' })],
    },
    out: [['blocked', 'pods-a', 'is being deleted (since 2026-01-01T00:00:00Z)']],
  },
  {
    name: 'orphan being deleted → nothing more to do',
    in: { observed: [calicoObserved(calicoSpec, { deletionTimestamp: '2026-01-01T00:00:00Z' })] },
    out: [],
  },
  {
    name: 'two NetBox pools render one object → the lower source wins, the other is invalid',
    in: {
      desired: [
        want('calico', obj('calico', CALICO_POOL, 'pods-a', { cidr: '10.21.0.0/24' }), [prefix(13, '10.21.0.0/24')]),
        calicoDesired(),
      ],
    },
    out: [
      ['create', 'pods-a', 'NetBox prefix 10.20.0.0/24 (id 12) is new'],
      [
        'invalid',
        'pods-a',
        'NetBox prefix 10.21.0.0/24 (id 13) renders the same object as NetBox prefix 10.20.0.0/24 (id 12)',
      ],
    ],
  },
  {
    name: 'orphan companion is deleted with its orphan pool',
    in: {
      observed: [
        calicoObserved(),
        obj(
          'calico',
          CALICO_RESERVATION,
          'pods-a-reserved',
          { reservedCIDRs: ['10.20.0.1/32'] },
          { from: 'prefix/12' },
        ),
      ],
    },
    out: [
      ['delete', 'pods-a', 'no NetBox object'],
      ['delete', 'pods-a-reserved', 'no NetBox object'],
    ],
  },
  {
    name: 'orphan companion stays while its pool stays',
    in: {
      observed: [
        calicoObserved(),
        obj(
          'calico',
          CALICO_RESERVATION,
          'pods-a-reserved',
          { reservedCIDRs: ['10.20.0.1/32'] },
          { from: 'prefix/12' },
        ),
      ],
      allocations: pods('10.20.0.9', 1, PODS_A),
    },
    out: [
      ['drain', 'pods-a', 'no NetBox object'],
      ['blocked', 'pods-a', 'blocked: 1 live allocation'],
      ['blocked', 'pods-a-reserved', 'kept while its calico pool with the same NetBox source stays'],
    ],
  },
  {
    name: 'companion no longer needed while its pool stays desired → delete',
    in: {
      desired: [calicoDesired()],
      observed: [
        calicoObserved(),
        obj(
          'calico',
          CALICO_RESERVATION,
          'pods-a-reserved',
          { reservedCIDRs: ['10.20.0.1/32'] },
          { from: 'prefix/12' },
        ),
      ],
    },
    out: [['delete', 'pods-a-reserved', 'no NetBox object']],
  },
  {
    name: 'an object the adapter cannot read → blocked, the plan goes on',
    in: {
      observed: [obj('whereabouts', NAD, 'broken', { config: '{not json' }, { namespace: 'apps' })],
      desired: [calicoDesired()],
    },
    out: [
      ['create', 'pods-a', 'is new'],
      ['blocked', 'broken', 'could not plan this object ('],
    ],
  },
];

describe('calculatePlan outcomes', () => {
  it.each(cases)('$name', c => {
    expectOutcome(calculatePlan(input(c.in)), c.out);
  });
});

describe('calculatePlan details', () => {
  it('update carries a field diff and both objects', () => {
    const plan = calculatePlan(
      input({ desired: [lbDesired({ addresses: ['10.30.0.0/23'] }, 'h2')], observed: [lbObserved()] }),
    );
    const [update] = plan.changes;
    expect(update?.diff).toEqual([
      { path: 'metadata.annotations["netbox-ippool-sync/spec-hash"]', from: 'h1', to: 'h2' },
      { path: 'spec.addresses[0]', from: '10.30.0.0/24', to: '10.30.0.0/23' },
    ]);
    expect(desiredOf(update!)?.spec).toEqual({ addresses: ['10.30.0.0/23'] });
    expect(observedOf(update!)?.metadata.name).toBe('lb');
  });

  it('drain sends the drained object without server bookkeeping', () => {
    const observed = calicoObserved(calicoSpec, { resourceVersion: '7', status: { x: 1 }, labels: { team: 'net' } });
    const plan = calculatePlan(input({ observed: [observed], allocations: pods('10.20.0.1', 1, PODS_A) }));
    const drain = plan.changes.find(c => c.action === 'drain');
    expect(desiredOf(drain!)?.spec).toEqual({ ...calicoSpec, disabled: true });
    expect(desiredOf(drain!)?.metadata.resourceVersion).toBeUndefined();
    expect(desiredOf(drain!)?.status).toBeUndefined();
    expect(desiredOf(drain!)?.metadata.labels?.team).toBeUndefined();
    expect(drain?.diff).toEqual([{ path: 'spec.disabled', to: true }]);
  });

  it('blocked changes say what they would have done and how many allocations hold them', () => {
    const plan = calculatePlan(input({ observed: [calicoObserved()], allocations: pods('10.20.0.1', 5, PODS_A) }));
    const blocked = plan.changes.find(c => c.action === 'blocked');
    expect(blocked).toMatchObject({ blockedAction: 'delete', allocations: 5, sources: [{ model: 'prefix', id: 12 }] });
    expect(plan.guards).toContainEqual(
      expect.objectContaining({ guard: 'live-allocations', objects: ['projectcalico.org/v3 IPPool pods-a'] }),
    );
  });

  it('the order is create, replace, update, drain, delete, then notes, whatever the input order', () => {
    const desired = [
      calicoDesired({ cidr: '10.20.0.0/24', blockSize: 24 }, 'h2'),
      lbDesired({ addresses: ['10.30.0.0/23'] }, 'h2'),
      want('calico', obj('calico', CALICO_POOL, 'new', { cidr: '10.70.0.0/24' }), [prefix(70, '10.70.0.0/24')]),
    ];
    const observed = [
      calicoObserved(),
      lbObserved(),
      obj('calico', CALICO_POOL, 'gone', { cidr: '10.80.0.0/24' }, { from: 'prefix/80' }),
      obj('calico', CALICO_POOL, 'busy', { cidr: '10.90.0.0/24' }, { from: 'prefix/90' }),
    ];
    const a = calculatePlan(
      input({ desired, observed, allocations: pods('10.90.0.1', 1, BUSY), issues: [netboxError(5, '10.5.0.0/24')] }),
    );
    const b = calculatePlan(
      input({
        desired: [...desired].reverse(),
        observed: [...observed].reverse(),
        allocations: pods('10.90.0.1', 1, BUSY),
        issues: [netboxError(5, '10.5.0.0/24')],
      }),
    );
    expect(a.changes.map(c => `${c.action} ${c.name}`)).toEqual([
      'create new',
      'replace pods-a',
      'update lb',
      'drain busy',
      'delete gone',
      'blocked busy',
      'invalid NetBox prefix 10.5.0.0/24 (id 5)',
    ]);
    expect(b).toEqual(a);
    expect(a.summary).toEqual({
      create: 1,
      replace: 1,
      update: 1,
      annotate: 0,
      drain: 1,
      delete: 1,
      blocked: 1,
      invalid: 1,
      unmanaged: 0,
    });
  });

  it('companions go in before any pool changes and come out after the pools', () => {
    const reservation = (spec: Record<string, unknown>, hash: string) =>
      obj('calico', CALICO_RESERVATION, 'pods-a', spec, { from: 'prefix/12', hash });
    const created = calculatePlan(
      input({
        desired: [
          calicoDesired(),
          want('calico', reservation({ reservedCIDRs: ['10.20.0.1/32'] }, 'r1'), [P12], false),
        ],
      }),
    );
    expect(created.changes.map(c => `${c.action} ${c.kind}`)).toEqual(['create IPReservation', 'create IPPool']);

    const grown = calculatePlan(
      input({
        desired: [
          calicoDesired({ cidr: '10.20.0.0/23', blockSize: 26 }, 'h2'),
          want('calico', reservation({ reservedCIDRs: ['10.20.1.9/32'] }, 'r2'), [P12], false),
        ],
        observed: [calicoObserved(), reservation({ reservedCIDRs: [] }, 'r1')],
      }),
    );
    expect(grown.changes.map(c => `${c.action} ${c.kind}`)).toEqual(['update IPReservation', 'replace IPPool']);

    const gone = calculatePlan(
      input({ observed: [reservation({ reservedCIDRs: [] }, 'r1'), calicoObserved()], previousPoolCount: 0 }),
    );
    expect(gone.changes.map(c => `${c.action} ${c.kind}`)).toEqual(['delete IPPool', 'delete IPReservation']);
  });

  it('names an immutable change by the stored and rendered values, also where normalise drops a default', () => {
    // The real Calico adapter drops blockSize 26 (its default) when comparing: the reason must still say 26.
    const spec = (blockSize: number) => ({ cidr: '10.20.0.0/24', blockSize });
    const stored = obj('calico', CALICO_POOL, 'pods-a', spec(26), { from: 'prefix/12', hash: 'h1' });
    const wanted = want('calico', obj('calico', CALICO_POOL, 'pods-a', spec(27), { from: 'prefix/12', hash: 'h2' }), [
      P12,
    ]);
    const plan = calculatePlan(
      input({ adapters: [calicoAdapter], desired: [wanted], observed: [stored] }, { steady: false }),
    );
    expect(plan.changes.map(c => `${c.action}: ${c.reason}`)).toEqual([
      'replace: spec.blockSize 26 → 27 cannot change in place: replace',
    ]);
  });

  it('counts desired pool objects for the next run, not companions', () => {
    const plan = calculatePlan(
      input(
        {
          desired: [calicoDesired(), want('calico', obj('calico', CALICO_RESERVATION, 'r', {}), [P12], false)],
        },
        { steady: false },
      ),
    );
    expect(plan.desiredPools).toBe(1);
  });

  it.each<[string, Issue]>([
    [
      'its NetBox source is invalid',
      {
        severity: 'error',
        subject: { type: 'netbox', model: 'prefix', id: 12, display: '10.20.0.0/24', url: '' },
        reason: 'bad',
      },
    ],
    [
      'its pool did not render',
      { severity: 'error', subject: { type: 'pool', kind: 'calico', name: 'pods-a' }, reason: 'bad' },
    ],
  ])('a kept pool keeps its namespace assignment when %s', (_name, issue) => {
    const key = 'cni.projectcalico.org/ipv4pools';
    const annotations = { [key]: '["pods-a"]', [namespaceValuesAnnotation(CLUSTER)]: `{"${key}":["pods-a"]}` };
    const plan = calculatePlan(
      input({
        observed: [calicoObserved()],
        issues: [issue],
        namespaceAssignments: [],
        namespaces: [{ name: 'apps', annotations }],
      }),
    );
    expect(plan.changes.filter(c => c.kind === 'Namespace')).toEqual([]);
    expect(plan.changes.map(c => c.action).sort()).toEqual(['blocked', 'invalid']);
  });
});

describe('live allocations are counted for the pool they belong to, as each kind ties them', () => {
  // Two Whereabouts networks on different VLANs reuse 10.40.0.0/24, each with its own network_name (its VRF):
  // the plugin keeps them in two IPPools, red-10.40.0.0-24 and blue-10.40.0.0-24.
  const network = (name: string, vrf: string) =>
    obj(
      'whereabouts',
      NAD,
      name,
      {
        config: JSON.stringify({
          cniVersion: '1.0.0',
          name,
          type: 'macvlan',
          ipam: { type: 'whereabouts', range: '10.40.0.0/24', network_name: vrf },
        }),
      },
      { namespace: 'apps', from: `prefix/${vrf === 'red' ? 41 : 42}` },
    );
  const ippool = (name: string, offsets: number[]): K8sObject => ({
    apiVersion: 'whereabouts.cni.cncf.io/v1alpha1',
    kind: 'IPPool',
    metadata: { name, namespace: 'kube-system' },
    spec: {
      range: '10.40.0.0/24',
      allocations: Object.fromEntries(offsets.map(o => [String(o), { id: `c${o}`, podref: `apps/pod-${o}` }])),
    },
  });
  const red = network('net-red', 'red');
  const blue = network('net-blue', 'blue');
  const cluster = new Map([
    ['k8s.cni.cncf.io/v1/NetworkAttachmentDefinition', [red, blue]],
    [
      'whereabouts.cni.cncf.io/v1alpha1/IPPool',
      [ippool('red-10.40.0.0-24', [5, 6]), ippool('blue-10.40.0.0-24', [5, 6, 7, 8])],
    ],
  ]);

  it('a Whereabouts network leaving NetBox is blocked by its own 2 allocations, not by the 6 in its addresses', () => {
    const allocations = whereaboutsAdapter.allocations(cluster);
    expect(allocations).toHaveLength(6);
    const plan = calculatePlan(
      input({ desired: [want('whereabouts', blue, [prefix(42, '10.40.0.0/24')])], observed: [red, blue], allocations }),
    );
    expectOutcome(plan, [
      ['blocked', 'net-red', 'blocked: 2 live allocations in 10.40.0.0/24 — whereabouts pools cannot be drained'],
    ]);
    expect(plan.changes[0]?.allocations).toBe(2);
  });

  it('with no allocations of its own, it is deleted, though the other network holds the same addresses', () => {
    const busyBlue = new Map(cluster);
    busyBlue.set('whereabouts.cni.cncf.io/v1alpha1/IPPool', [ippool('blue-10.40.0.0-24', [5, 6, 7, 8])]);
    const plan = calculatePlan(
      input({
        desired: [want('whereabouts', blue, [prefix(42, '10.40.0.0/24')])],
        observed: [red, blue],
        allocations: whereaboutsAdapter.allocations(busyBlue),
      }),
    );
    expectOutcome(plan, [['delete', 'net-red', 'no NetBox object selects it any more']]);
  });
});
