import { describe, expect, it } from 'vitest';
import { jobForChange } from '../daemon/triggers.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import { fieldManagerFor } from '../model/ownership.ts';
import { changeOf } from './watch.ts';

const POOL = 'projectcalico.org/v3/IPPool';
const ours = fieldManagerFor('prod');
const entry = (manager: string, time: string) => ({ manager, operation: 'Apply', time, fieldsType: 'FieldsV1' });
const pool = (...managedFields: unknown[]): K8sObject => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'IPPool',
  metadata: { name: 'p1', managedFields },
});

describe('a watched change and the job it queues', () => {
  it.each([
    ['our apply created it', pool(entry(ours, '2026-12-02T12:00:01Z')), false, undefined],
    [
      'our apply is the newest write',
      pool(entry('kubectl-edit', '2026-12-02T12:00:00Z'), entry(ours, '2026-12-02T12:00:05Z')),
      false,
      undefined,
    ],
    [
      'a hand edit after our apply',
      pool(entry(ours, '2026-12-02T12:00:00Z'), entry('kubectl-edit', '2026-12-02T12:00:05Z')),
      false,
      'sync',
    ],
    [
      'a hand edit in the same second as our apply',
      pool(entry(ours, '2026-12-02T12:00:05Z'), entry('kubectl-edit', '2026-12-02T12:00:05Z')),
      false,
      'sync',
    ],
    ['deleted, even by us', pool(entry(ours, '2026-12-02T12:00:01Z')), true, 'sync'],
    ['no managedFields', pool(), false, 'sync'],
  ])('%s', (_, obj, deleted, job) => {
    expect(jobForChange(changeOf(POOL, obj, deleted), new Set([POOL]), ours)).toBe(job);
  });

  it('an allocation source always queues writeback, whoever wrote it', () => {
    const change = changeOf('v1/Service', { ...pool(entry(ours, '2026-12-02T12:00:01Z')), kind: 'Service' }, false);
    expect(jobForChange(change, new Set([POOL]), ours)).toBe('writeback');
  });

  it('without a field manager to compare (older callers) a pool change always queues sync', () => {
    expect(jobForChange(changeOf(POOL, pool(entry(ours, '2026-12-02T12:00:01Z')), false), new Set([POOL]))).toBe(
      'sync',
    );
  });
});
