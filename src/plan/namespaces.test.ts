import { patchOf } from '../model/plan.ts';
import type { NoteChange } from '../model/plan.ts';
import { describe, expect, it } from 'vitest';
import type { NamespaceAssignment } from '../model/desired.ts';
import { LEGACY_NAMESPACE_VALUES_ANNOTATION as LEGACY, namespaceValuesAnnotation } from '../model/ownership.ts';
import { planNamespaces, renderNamespaces } from './namespaces.ts';
import type { StepClass } from './policy.ts';
import type { ObservedNamespace } from '../model/desired.ts';

const KEY = 'cni.projectcalico.org/ipv4pools';
const OWNED = namespaceValuesAnnotation('lab');
const lab = { cluster: 'lab' };
const assign = (namespace: string, ...values: string[]): NamespaceAssignment => ({
  namespace,
  annotation: KEY,
  values,
});
const ns = (annotations: Record<string, string>, name = 'apps'): ObservedNamespace => ({ name, annotations });

interface Case {
  name: string;
  assignments: NamespaceAssignment[];
  namespaces: ObservedNamespace[];
  /** Expected merge patch (annotation → value, null removes); undefined: no change. */
  patch?: Record<string, string | null>;
  cls?: StepClass;
}

const cases: Case[] = [
  {
    name: 'values of several pools merge into one sorted array',
    assignments: [assign('apps', 'pool-b'), assign('apps', 'pool-a', 'pool-b')],
    namespaces: [ns({ unrelated: 'keep' })],
    patch: { [KEY]: '["pool-a","pool-b"]', [OWNED]: `{"${KEY}":["pool-a","pool-b"]}` },
    cls: 'create',
  },
  {
    name: 'values others set stay, and are not claimed as ours',
    assignments: [assign('apps', 'pool-a')],
    namespaces: [ns({ [KEY]: '["manual"]' })],
    patch: { [KEY]: '["manual","pool-a"]', [OWNED]: `{"${KEY}":["pool-a"]}` },
    cls: 'update',
  },
  {
    name: 'as wanted already → nothing',
    assignments: [assign('apps', 'pool-a')],
    namespaces: [ns({ [KEY]: '["manual","pool-a"]', [OWNED]: `{"${KEY}":["pool-a"]}` })],
  },
  {
    name: 'same values in another order → nothing',
    assignments: [assign('apps', 'pool-a', 'pool-b')],
    namespaces: [ns({ [KEY]: '["pool-b","pool-a"]', [OWNED]: `{"${KEY}":["pool-a","pool-b"]}` })],
  },
  {
    name: 'a value we set and no longer want is removed; others stay',
    assignments: [assign('apps', 'pool-a')],
    namespaces: [ns({ [KEY]: '["manual","pool-a","pool-old"]', [OWNED]: `{"${KEY}":["pool-a","pool-old"]}` })],
    patch: { [KEY]: '["manual","pool-a"]', [OWNED]: `{"${KEY}":["pool-a"]}` },
    cls: 'removal',
  },
  {
    name: 'the last of our values goes → annotation and record removed',
    assignments: [],
    namespaces: [ns({ [KEY]: '["pool-old"]', [OWNED]: `{"${KEY}":["pool-old"]}` })],
    patch: { [KEY]: null, [OWNED]: null },
    cls: 'removal',
  },
  {
    name: 'a value that was there before us is never removed by us',
    assignments: [],
    namespaces: [ns({ [KEY]: '["pool-a"]' })],
  },
  {
    name: 'wanting a value someone else set claims nothing',
    assignments: [assign('apps', 'pool-a')],
    namespaces: [ns({ [KEY]: '["pool-a"]' })],
  },
  {
    name: 'an unreadable record of ours means we own nothing: nothing is removed, the record is dropped',
    assignments: [assign('apps', 'pool-a')],
    namespaces: [ns({ [KEY]: '["pool-a","pool-old"]', [OWNED]: 'garbage' })],
    patch: { [OWNED]: null },
    cls: 'update',
  },
];

const CILIUM = 'ipam.cilium.io/ip-pool';
const one = (namespace: string, value: string): NamespaceAssignment => ({
  namespace,
  annotation: CILIUM,
  values: [value],
  format: 'single',
});

const singleCases: Case[] = [
  {
    name: 'a single-name annotation is set to the plain name, not a JSON array',
    assignments: [one('apps', 'pool-a')],
    namespaces: [ns({})],
    patch: { [CILIUM]: 'pool-a', [OWNED]: `{"${CILIUM}":["pool-a"]}` },
    cls: 'create',
  },
  {
    name: 'a single-name annotation as wanted already → nothing',
    assignments: [one('apps', 'pool-a')],
    namespaces: [ns({ [CILIUM]: 'pool-a', [OWNED]: `{"${CILIUM}":["pool-a"]}` })],
  },
  {
    name: 'our single name, no longer wanted, is removed though no assignment says how it is spelled',
    assignments: [],
    namespaces: [ns({ [CILIUM]: 'pool-a', [OWNED]: `{"${CILIUM}":["pool-a"]}` })],
    patch: { [CILIUM]: null, [OWNED]: null },
    cls: 'removal',
  },
  {
    name: 'our single name is replaced by another pool',
    assignments: [one('apps', 'pool-b')],
    namespaces: [ns({ [CILIUM]: 'pool-a', [OWNED]: `{"${CILIUM}":["pool-a"]}` })],
    patch: { [CILIUM]: 'pool-b', [OWNED]: `{"${CILIUM}":["pool-b"]}` },
    cls: 'removal',
  },
];

describe('planNamespaces', () => {
  it.each(singleCases)('$name', c => {
    const steps = planNamespaces(c.assignments, c.namespaces, lab);
    if (c.patch === undefined) {
      expect(steps).toEqual([]);
      return;
    }
    expect(steps.map(s => s.cls)).toEqual([c.cls]);
    expect(patchOf(steps[0]!.changes[0]!)).toEqual({ metadata: { annotations: c.patch } });
  });

  it.each<[string, NamespaceAssignment[], Record<string, string>]>([
    ['two pools want one single-name annotation', [one('apps', 'pool-a'), one('apps', 'pool-b')], {}],
    ['someone else named another pool there', [one('apps', 'pool-a')], { [CILIUM]: 'manual' }],
  ])('%s → blocked, left alone', (_name, assignments, annotations) => {
    const steps = planNamespaces(assignments, [ns(annotations)], lab);
    expect(steps.map(s => s.changes[0]?.action)).toEqual(['blocked']);
    expect(steps[0]?.changes[0]?.reason).toContain(`annotation ${CILIUM} holds one pool name`);
  });

  it.each(cases)('$name', c => {
    const steps = planNamespaces(c.assignments, c.namespaces, lab);
    if (c.patch === undefined) {
      expect(steps).toEqual([]);
      return;
    }
    expect(steps).toHaveLength(1);
    const [step] = steps;
    expect(step?.cls).toBe(c.cls);
    expect(step?.changes[0]).toMatchObject({ action: 'annotate', apiVersion: 'v1', kind: 'Namespace', name: 'apps' });
    expect(patchOf(step!.changes[0]!)).toEqual({ metadata: { annotations: c.patch } });
  });

  it('says what it adds and removes, with a field diff', () => {
    const [step] = planNamespaces(
      [assign('apps', 'pool-a')],
      [ns({ [KEY]: '["pool-old"]', [OWNED]: `{"${KEY}":["pool-old"]}` })],
      lab,
    );
    expect(step?.changes[0]?.reason).toBe(
      `pools assigned in NetBox (k8s_namespaces): ${KEY} adds pool-a and removes pool-old`,
    );
    expect(step?.changes[0]?.diff).toEqual([
      { path: `metadata.annotations["${KEY}"]`, from: '["pool-old"]', to: '["pool-a"]' },
      { path: `metadata.annotations["${OWNED}"]`, from: `{"${KEY}":["pool-old"]}`, to: `{"${KEY}":["pool-a"]}` },
    ]);
  });

  it.each<[string, ObservedNamespace[] | undefined, string]>([
    ['missing namespace', [], 'namespace apps does not exist; cannot set cni.projectcalico.org/ipv4pools'],
    ['namespaces not observed at all', undefined, 'namespace apps does not exist'],
    ['unreadable annotation', [ns({ [KEY]: 'pool-a' })], `annotation ${KEY} is unreadable (`],
  ])('%s → blocked, left alone', (_name, namespaces, reason) => {
    const steps = planNamespaces([assign('apps', 'pool-a')], namespaces, lab);
    expect(steps.map(s => s.changes[0]?.action)).toEqual(['blocked']);
    expect(steps[0]?.changes[0]?.reason).toContain(reason);
    expect((steps[0]?.changes[0] as NoteChange | undefined)?.blockedAction).toBe('annotate');
  });

  it('plans namespaces in name order, one change each', () => {
    const steps = planNamespaces(
      [assign('b', 'x'), assign('a', 'y'), assign('b', 'z')],
      [ns({}, 'b'), ns({}, 'a')],
      lab,
    );
    expect(steps.map(s => s.changes[0]?.name)).toEqual(['a', 'b']);
  });

  it('the record is per cluster name: another daemon on the same apiserver never removes our values', () => {
    const other = namespaceValuesAnnotation('other');
    // Cluster "lab" set pool-a; cluster "other" now wants pool-b there and nothing else.
    const annotations = { [KEY]: '["pool-a"]', [OWNED]: `{"${KEY}":["pool-a"]}` };
    const [step] = planNamespaces([assign('apps', 'pool-b')], [ns(annotations)], { cluster: 'other' });
    expect(step?.cls).toBe('update');
    expect(patchOf(step!.changes[0]!)).toEqual({
      metadata: { annotations: { [KEY]: '["pool-a","pool-b"]', [other]: `{"${KEY}":["pool-b"]}` } },
    });
    // And "other" leaving takes only pool-b away; "lab" leaving only pool-a.
    const both = { [KEY]: '["pool-a","pool-b"]', [OWNED]: `{"${KEY}":["pool-a"]}`, [other]: `{"${KEY}":["pool-b"]}` };
    expect(patchOf(planNamespaces([], [ns(both)], { cluster: 'other' })[0]!.changes[0]!)).toEqual({
      metadata: { annotations: { [KEY]: '["pool-a"]', [other]: null } },
    });
    expect(planNamespaces([assign('apps', 'pool-a')], [ns(both)], lab)).toEqual([]);
  });

  it.each<[string, string[], Record<string, string>, Record<string, string | null> | undefined]>([
    [
      'values of the shared record of older releases are taken over; the record goes once empty',
      ['pool-a'],
      { [KEY]: '["manual","pool-a","pool-old"]', [LEGACY]: `{"${KEY}":["pool-a","pool-old"]}` },
      { [KEY]: '["manual","pool-a"]', [OWNED]: `{"${KEY}":["pool-a"]}`, [LEGACY]: null },
    ],
    [
      'values of another cluster name’s pools stay in the shared record, for that daemon to take over',
      ['pool-a'],
      { [KEY]: '["pool-a","theirs"]', [LEGACY]: `{"${KEY}":["pool-a","theirs"]}` },
      { [OWNED]: `{"${KEY}":["pool-a"]}`, [LEGACY]: `{"${KEY}":["theirs"]}` },
    ],
    [
      'a shared record holding only other cluster names’ values is left as it is',
      [],
      { [KEY]: '["theirs"]', [LEGACY]: `{"${KEY}":["theirs"]}` },
      undefined,
    ],
  ])('%s', (_name, values, annotations, patch) => {
    const assignments = values.length > 0 ? [assign('apps', ...values)] : [];
    const steps = planNamespaces(assignments, [ns(annotations)], { ...lab, otherClusters: new Set(['theirs']) });
    if (patch === undefined) return expect(steps).toEqual([]);
    expect(steps.map(s => patchOf(s.changes[0]!))).toEqual([{ metadata: { annotations: patch } }]);
  });

  it('record names: one per cluster name, a valid annotation key for every cluster name', () => {
    expect(namespaceValuesAnnotation('lab')).toBe('netbox-ippool-sync/namespace-values.lab');
    const long = 'c'.repeat(63);
    const key = namespaceValuesAnnotation(long);
    const [prefix, name = ''] = key.split('/');
    expect(prefix).toBe('netbox-ippool-sync');
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(namespaceValuesAnnotation(`${'c'.repeat(62)}d`)).not.toBe(key);
  });
});

describe('renderNamespaces: the Namespace files render --out writes', () => {
  const CILIUM = 'ipam.cilium.io/ip-pool';
  const single = (namespace: string, value: string): NamespaceAssignment => ({
    namespace,
    annotation: CILIUM,
    values: [value],
    format: 'single',
  });
  const file = (name: string, annotations?: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, ...(annotations === undefined ? {} : { annotations }) },
  });

  it('first render: our annotations and the ownership record, as apply would leave them', () => {
    const out = renderNamespaces([assign('apps', 'pool-b', 'pool-a'), single('web', 'cpod')], [], {
      cluster: 'lab',
      prune: true,
    });
    expect(out).toEqual({
      objects: [
        file('apps', { [KEY]: '["pool-a","pool-b"]', [OWNED]: `{"${KEY}":["pool-a","pool-b"]}` }),
        file('web', { [CILIUM]: 'cpod', [OWNED]: `{"${CILIUM}":["cpod"]}` }),
      ],
      issues: [],
    });
  });

  it('the same as what apply patches onto a namespace without annotations', () => {
    const assignments = [assign('apps', 'pool-a'), single('apps', 'cpod')];
    const [step] = planNamespaces(assignments, [ns({})], { cluster: 'lab' });
    const patch = patchOf(step!.changes[0]!)?.metadata.annotations;
    expect(renderNamespaces(assignments, [], { cluster: 'lab', prune: true }).objects[0]?.metadata.annotations).toEqual(
      patch,
    );
  });

  it('a value no longer assigned is removed; the file of a namespace left with none stays, without annotations', () => {
    const previous = [
      ns({ [KEY]: '["pool-a","pool-old"]', [OWNED]: `{"${KEY}":["pool-a","pool-old"]}` }),
      ns({ [KEY]: '["gone"]', [OWNED]: `{"${KEY}":["gone"]}` }, 'old-team'),
      ns({}, 'emptied-before'),
    ];
    expect(renderNamespaces([assign('apps', 'pool-a')], previous, { cluster: 'lab', prune: true })).toEqual({
      objects: [
        file('apps', { [KEY]: '["pool-a"]', [OWNED]: `{"${KEY}":["pool-a"]}` }),
        file('emptied-before'),
        file('old-team'),
      ],
      issues: [],
    });
  });

  it('without pruning (bad NetBox input, or a policy that never removes) no value is taken away', () => {
    const previous = [
      ns({ [KEY]: '["pool-a","pool-old"]', [OWNED]: `{"${KEY}":["pool-a","pool-old"]}` }),
      ns({ [KEY]: '["gone"]', [OWNED]: `{"${KEY}":["gone"]}` }, 'old-team'),
    ];
    expect(
      renderNamespaces([assign('apps', 'pool-a', 'pool-new')], previous, { cluster: 'lab', prune: false }).objects,
    ).toEqual([
      file('apps', {
        [KEY]: '["pool-a","pool-new","pool-old"]',
        [OWNED]: `{"${KEY}":["pool-a","pool-new","pool-old"]}`,
      }),
      file('old-team', { [KEY]: '["gone"]', [OWNED]: `{"${KEY}":["gone"]}` }),
    ]);
  });

  it('what cannot be said in one annotation is a warning, and the annotation is left as it was', () => {
    const out = renderNamespaces([single('web', 'a'), single('web', 'b')], [], { cluster: 'lab', prune: true });
    expect(out.objects).toEqual([file('web')]);
    expect(out.issues).toEqual([
      {
        severity: 'warning',
        subject: { type: 'k8s', apiVersion: 'v1', kind: 'Namespace', name: 'web' },
        reason: `annotation ${CILIUM} holds one pool name but would need a, b; left alone — assign at most one such pool per namespace (k8s_namespaces)`,
      },
    ]);
  });

  it('is stable: rendering over its own output changes nothing', () => {
    const assignments = [assign('apps', 'pool-a'), single('web', 'cpod')];
    const first = renderNamespaces(assignments, [], { cluster: 'lab', prune: true }).objects;
    const previous = first.map(o => ns(o.metadata.annotations ?? {}, o.metadata.name));
    expect(renderNamespaces(assignments, previous, { cluster: 'lab', prune: true }).objects).toEqual(first);
  });
});
