import { describe, expect, it } from 'vitest';
import { deepEqual, diffValues, formatPath, formatValue, getPath } from './diff.ts';
import { sortKeysDeep } from '../model/values.ts';
import type { PathSegment } from './diff.ts';
import type { FieldDiff } from '../model/plan.ts';

describe('diffValues', () => {
  it.each<[string, unknown, unknown, FieldDiff[]]>([
    ['equal scalars', 1, 1, []],
    ['key order does not matter', { a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 }, []],
    ['undefined-valued key equals absent', { a: 1, b: undefined }, { a: 1 }, []],
    [
      'changed leaf',
      { spec: { blockSize: 26 } },
      { spec: { blockSize: 24 } },
      [{ path: 'spec.blockSize', from: 26, to: 24 }],
    ],
    ['added field', { spec: {} }, { spec: { disabled: true } }, [{ path: 'spec.disabled', to: true }]],
    ['removed field', { spec: { disabled: true } }, { spec: {} }, [{ path: 'spec.disabled', from: true }]],
    [
      'array element changed and appended',
      { a: ['x', 'y'] },
      { a: ['x', 'z', 'w'] },
      [
        { path: 'a[1]', from: 'y', to: 'z' },
        { path: 'a[2]', to: 'w' },
      ],
    ],
    ['array shortened', { a: [1, 2] }, { a: [1] }, [{ path: 'a[1]', from: 2 }]],
    [
      'objects inside arrays',
      { blocks: [{ cidr: '10.0.0.0/24' }] },
      { blocks: [{ cidr: '10.0.0.0/23' }] },
      [{ path: 'blocks[0].cidr', from: '10.0.0.0/24', to: '10.0.0.0/23' }],
    ],
    ['type change is one leaf', { a: [1] }, { a: { 0: 1 } }, [{ path: 'a', from: [1], to: { 0: 1 } }]],
    ['null is a value', { a: null }, { a: 0 }, [{ path: 'a', from: null, to: 0 }]],
    [
      'keys that are not identifiers are quoted',
      { metadata: { labels: { 'app.kubernetes.io/managed-by': 'x' } } },
      { metadata: { labels: { 'app.kubernetes.io/managed-by': 'y' } } },
      [{ path: 'metadata.labels["app.kubernetes.io/managed-by"]', from: 'x', to: 'y' }],
    ],
    [
      'sorted by key',
      { z: 1, a: 1, m: 1 },
      { z: 2, a: 2, m: 2 },
      [
        { path: 'a', from: 1, to: 2 },
        { path: 'm', from: 1, to: 2 },
        { path: 'z', from: 1, to: 2 },
      ],
    ],
    ['whole value differs at the root', 1, 2, [{ path: '', from: 1, to: 2 }]],
  ])('%s', (_name, from, to, expected) => {
    expect(diffValues(from, to)).toEqual(expected);
    expect(deepEqual(from, to)).toBe(expected.length === 0);
  });

  it('prefixes a base path', () => {
    expect(diffValues(1, 2, ['spec', 'x'])).toEqual([{ path: 'spec.x', from: 1, to: 2 }]);
  });
});

describe('paths and values', () => {
  it.each<[PathSegment[], string]>([
    [['spec', 'blocks', 0, 'cidr'], 'spec.blocks[0].cidr'],
    [['metadata', 'annotations', 'a/b'], 'metadata.annotations["a/b"]'],
    [['spec', 'ipv4', 'maskSize'], 'spec.ipv4.maskSize'],
    [['under_score', 'with-dash'], 'under_score.with-dash'],
    [[0], '[0]'],
  ])('formatPath %j', (segments, text) => {
    expect(formatPath(segments)).toBe(text);
  });

  it.each<[unknown, PathSegment[], unknown]>([
    [{ a: { b: [1, { c: 2 }] } }, ['a', 'b', 1, 'c'], 2],
    [{ a: 1 }, ['a', 'b'], undefined],
    [{ a: [1] }, ['a', 'x'], undefined],
    [{ a: { x: 1 } }, ['a', 0], undefined],
  ])('getPath %j %j', (value, path, expected) => {
    expect(getPath(value, path)).toEqual(expected);
  });

  it('canonical sorts keys at every level and drops undefined', () => {
    expect(JSON.stringify(sortKeysDeep({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } }))).toBe(
      '{"a":{"d":[{"y":2,"z":1}]},"b":1}',
    );
  });

  it.each<[unknown, string]>([
    [undefined, '(none)'],
    ['x', '"x"'],
    [{ b: 1, a: 2 }, '{"a":2,"b":1}'],
    [10n, '"10"'],
  ])('formatValue case %#', (v, text) => {
    expect(formatValue(v)).toBe(text);
  });
});
