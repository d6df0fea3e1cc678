import { describe, expect, it } from 'vitest';
import { applyPhases } from './apply.ts';
import type { Change } from '../model/plan.ts';

const change = (action: Change['action'], kind: string, name: string): Change =>
  ({
    action,
    poolKind: 'calico',
    apiVersion: 'projectcalico.org/v3',
    kind,
    name,
    reason: 'test',
    sources: [],
    desired: { apiVersion: 'projectcalico.org/v3', kind, metadata: { name } },
    observed: { apiVersion: 'projectcalico.org/v3', kind, metadata: { name } },
  }) as Change;

describe('applyPhases', () => {
  it('cuts the plan where the action or the resource type changes, keeps the order, drops notes', () => {
    const plan: Change[] = [
      change('create', 'IPReservation', 'r1'),
      change('create', 'IPReservation', 'r2'),
      change('create', 'IPPool', 'p1'),
      change('create', 'IPPool', 'p2'),
      change('update', 'IPPool', 'p3'),
      change('drain', 'IPPool', 'p4'),
      change('delete', 'IPPool', 'p5'),
      change('delete', 'IPPool', 'p6'),
      change('delete', 'IPReservation', 'r5'),
      change('blocked', 'IPPool', 'p4'),
    ];
    expect(applyPhases(plan).map(p => p.map(c => c.name))).toEqual([
      ['r1', 'r2'],
      ['p1', 'p2'],
      ['p3'],
      ['p4'],
      ['p5', 'p6'],
      ['r5'],
    ]);
  });

  it('never merges two runs of one kind that the plan keeps apart', () => {
    const plan = [change('create', 'IPPool', 'a'), change('update', 'IPPool', 'b'), change('create', 'IPPool', 'c')];
    expect(applyPhases(plan).map(p => p.map(c => c.name))).toEqual([['a'], ['b'], ['c']]);
  });
});
