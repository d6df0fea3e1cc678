import { describe, expect, it } from 'vitest';
import { parseAddress } from '../ip/index.ts';
import { parseConfig } from '../config/config.ts';
import {
  readBlockSize,
  readGateway,
  readNamespaces,
  readNodeSelector,
  readOptions,
  readPoolKind,
  readPoolName,
  readPoolParams,
  unwrapChoice,
} from './custom-fields.ts';
import type { Field } from './custom-fields.ts';

const choice = (value: unknown) => ({ value, label: String(value) });

function value<T>(f: Field<T>): T | undefined {
  if (!f.ok) throw new Error(`expected a value, got problem: ${f.reason}`);
  return f.value;
}

function problem<T>(f: Field<T>): string {
  if (f.ok) throw new Error(`expected a problem, got ${JSON.stringify(f.value)}`);
  return f.reason;
}

describe('unwrapChoice', () => {
  it.each([
    [choice('metallb'), 'metallb'],
    [
      [choice('a'), choice('b')],
      ['a', 'b'],
    ],
    ['metallb', 'metallb'],
    [
      { value: 1, label: 'x', extra: true },
      { value: 1, label: 'x', extra: true },
    ],
    [null, null],
  ])('%j → %j', (input, expected) => {
    expect(unwrapChoice(input)).toEqual(expected);
  });
});

describe('readPoolKind', () => {
  it.each([
    [undefined, undefined],
    [null, undefined],
    ['', undefined],
    ['metallb', 'metallb'],
    [' NV-IPAM ', 'nv-ipam'],
  ])('%j → %j', (input, expected) => {
    expect(value(readPoolKind(input))).toBe(expected);
  });

  it.each([
    [
      'flannel',
      'unknown pool kind "flannel"; expected one of whereabouts, nv-ipam, calico, metallb, cilium-lb, cilium-pod',
    ],
    [3, 'expected text, got number 3'],
    [['calico'], 'expected text, got a list'],
  ])('%j is a problem', (input, reason) => {
    expect(problem(readPoolKind(input))).toBe(reason);
  });
});

describe('readPoolName', () => {
  it.each([['lb-pool'], ['pool1']])('%s is accepted', name => {
    expect(value(readPoolName(name))).toBe(name);
  });

  it.each([
    ['LB_Pool', 'use "lb-pool"'],
    ['-x', 'use "x"'],
    ['a'.repeat(64), `use "${'a'.repeat(63)}"`],
  ])('%s is refused with a suggestion', (name, hint) => {
    const f = readPoolName(name);
    expect(f).toMatchObject({ ok: false, hint });
    expect(problem(f)).toContain('is not a DNS-1123 label');
  });
});

describe('readBlockSize', () => {
  it.each([
    [26, 26],
    ['26', 26],
    [' 120 ', 120],
    [undefined, undefined],
    ['', undefined],
  ])('%j → %j', (input, expected) => {
    expect(value(readBlockSize(input))).toBe(expected);
  });

  it.each([
    [0, 'expected a prefix length 1-128, got number 0'],
    [129, 'expected a prefix length 1-128, got number 129'],
    [24.5, 'expected a prefix length 1-128, got number 24.5'],
    ['/26', 'expected a prefix length 1-128, got "/26"'],
    [true, 'expected a prefix length 1-128, got boolean true'],
  ])('%j is a problem', (input, reason) => {
    expect(problem(readBlockSize(input))).toBe(reason);
  });
});

describe('readNodeSelector', () => {
  it('parses text', () => {
    expect(value(readNodeSelector('team=backend'))).toMatchObject({ syntax: 'labels', raw: 'team=backend' });
  });

  it('takes a JSON object of labels', () => {
    expect(value(readNodeSelector({ team: 'backend' }))).toMatchObject({ syntax: 'labels', raw: 'team=backend' });
  });

  it.each([
    ['team in (a', 'invalid node selector: at character 11'],
    [5, 'expected a label selector as text, got number 5'],
  ])('%j is a problem', (input, reason) => {
    expect(problem(readNodeSelector(input))).toContain(reason);
  });
});

describe('readGateway', () => {
  it.each([
    ['10.20.0.1', '10.20.0.1'],
    ['10.20.0.1/24', '10.20.0.1'],
    ['2001:db8::1/64', '2001:db8::1'],
  ])('%s → %s', (input, expected) => {
    expect(value(readGateway(input))).toEqual(parseAddress(expected));
  });

  it.each([['10.20.0.256'], ['10.20.0.1/33'], ['gateway']])('%s is a problem', input => {
    expect(problem(readGateway(input))).toContain(`invalid gateway address "${input}"`);
  });
});

describe('readNamespaces', () => {
  it.each([
    [
      ['team-b', 'team-a'],
      ['team-a', 'team-b'],
    ],
    [
      [choice('team-a'), choice('team-b')],
      ['team-a', 'team-b'],
    ],
    ['team-b, team-a,team-b', ['team-a', 'team-b']],
    ['team-a team-b', ['team-a', 'team-b']],
    ['["team-a","team-b"]', ['team-a', 'team-b']],
    ['', undefined],
  ])('%j → %j', (input, expected) => {
    expect(value(readNamespaces(input))).toEqual(expected);
  });

  it.each([
    [['Team_A'], 'namespace "Team_A" is not a DNS-1123 label'],
    ['[1,2]', 'namespace 1 is not a DNS-1123 label'],
    ['["a"', 'expected a JSON array of namespace names'],
    [{ a: 1 }, 'expected a list of namespace names, got an object'],
  ])('%j is a problem', (input, reason) => {
    expect(problem(readNamespaces(input))).toBe(reason);
  });
});

describe('readOptions', () => {
  it.each([
    [{ natOutgoing: false }, { natOutgoing: false }],
    ['{"autoAssign": false}', { autoAssign: false }],
    [null, undefined],
  ])('%j → %j', (input, expected) => {
    expect(value(readOptions(input))).toEqual(expected);
  });

  it.each([
    [[1], 'expected a JSON object such as {"natOutgoing": true}, got a list'],
    ['"text"', 'expected a JSON object such as {"natOutgoing": true}, got "text"'],
    ['{bad', 'expected a JSON object: '],
  ])('%j is a problem', (input, reason) => {
    expect(problem(readOptions(input))).toContain(reason);
  });
});

describe('readPoolParams', () => {
  const parsed = parseConfig(
    { cluster: 'lab', netbox: { url: 'https://nb' }, selection: { customFields: { poolName: 'pool' } } },
    {},
  );
  if (!parsed.ok) throw new Error('config');
  const names = parsed.config.selection.customFields;

  it('reads 4.7 select shapes and ≤4.6 raw values alike, under the configured field names', () => {
    const v47 = readPoolParams({ k8s_pool_kind: choice('metallb'), pool: 'lb', k8s_namespaces: [choice('a')] }, names);
    const v46 = readPoolParams({ k8s_pool_kind: 'metallb', pool: 'lb', k8s_namespaces: ['a'] }, names);
    expect(v47).toEqual({ params: { kind: 'metallb', poolName: 'lb', namespaces: ['a'] }, problems: [] });
    expect(v46).toEqual(v47);
  });

  it('names every bad field and keeps the good ones', () => {
    const r = readPoolParams({ k8s_block_size: 'big', pool: 'ok', k8s_options: '[]' }, names);
    expect(r.params).toEqual({ poolName: 'ok' });
    expect(r.problems.map(p => p.field)).toEqual(['custom_fields.k8s_block_size', 'custom_fields.k8s_options']);
  });
});
