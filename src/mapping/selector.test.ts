import { describe, expect, it } from 'vitest';
import type { LabelRequirement } from '../model/intent.ts';
import { parseNodeSelector, selectorFromLabels, selectorKey } from './selector.ts';

const req = (key: string, operator: LabelRequirement['operator'], ...values: string[]): LabelRequirement => ({
  key,
  operator,
  values,
});

describe('parseNodeSelector: Kubernetes label selectors', () => {
  it.each<[string, LabelRequirement[]]>([
    ['team=backend', [req('team', 'In', 'backend')]],
    ['team==backend', [req('team', 'In', 'backend')]],
    ['team != backend', [req('team', 'NotIn', 'backend')]],
    ['nvidia.com/gpu.present=true', [req('nvidia.com/gpu.present', 'In', 'true')]],
    ['zone in (b, a,a)', [req('zone', 'In', 'a', 'b')]],
    ['zone notin (a)', [req('zone', 'NotIn', 'a')]],
    ['gpu', [req('gpu', 'Exists')]],
    ['!spot', [req('spot', 'DoesNotExist')]],
    ['! spot', [req('spot', 'DoesNotExist')]],
    ['tier=', [req('tier', 'In', '')]],
    [
      ' team=backend, gpu ,!spot,rack in (r1,r2) ',
      [req('team', 'In', 'backend'), req('gpu', 'Exists'), req('spot', 'DoesNotExist'), req('rack', 'In', 'r1', 'r2')],
    ],
    ['node-role.kubernetes.io/worker', [req('node-role.kubernetes.io/worker', 'Exists')]],
  ])('%s', (text, requirements) => {
    expect(parseNodeSelector(text)).toEqual({ ok: true, value: { syntax: 'labels', raw: text.trim(), requirements } });
  });

  it.each<[string, string]>([
    ['team=back end', 'at character 11: expected "," or end of input, found "end"'],
    ['zone in a,b', 'at character 9: expected "(" after "in", found "a"'],
    ['zone in ()', 'at character 10: expected a label value, found ")"'],
    ['zone in (a b)', 'at character 12: expected "," or ")", found "b"'],
    ['zone in (a', 'at character 11: expected "," or ")", found end of input'],
    ['a=b,,c', 'at character 5: expected a label key, found ","'],
    [',a', 'at character 1: expected a label key, found ","'],
    ['a=b,', 'at character 5: expected a label key, found end of input'],
    ['=b', 'at character 1: expected a label key, found "="'],
    ['-team=x', 'at character 1: label key "-team" is invalid'],
    ['Example.COM/x=y', 'at character 1: label key prefix "Example.COM" must be a DNS subdomain'],
    ['team=-x', 'at character 6: label value "-x" is invalid'],
    [`team=${'v'.repeat(64)}`, 'at character 6: label value'],
    ['cpus > 4', 'at character 6: ">" is not supported in pool node selectors'],
    ['team backend', 'at character 6: expected "=", "==", "!=", "in", "notin", "," or end of input, found "backend"'],
    ['!team=x', 'at character 6: expected "," or end of input, found "="'],
  ])('rejects %s', (text, reason) => {
    const r = parseNodeSelector(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });
});

describe('parseNodeSelector: Calico expressions pass through', () => {
  it.each([
    'all()',
    "has(gpu) && zone == 'a'",
    "zone in {'a', 'b'} || !has(spot)",
    'global()',
    "name starts with 'gpu-'",
  ])('%s', text => {
    expect(parseNodeSelector(` ${text} `)).toEqual({ ok: true, value: { syntax: 'calico-expression', raw: text } });
  });

  it.each([
    ["zone == 'a", 'at character 9: unterminated single quote'],
    ['has(gpu && x', 'at character 4: bracket never closed'],
    ['all())', 'at character 6: unexpected ")"'],
    ["zone in {'a')", 'at character 13: unexpected ")"'],
  ])('rejects %s', (text, reason) => {
    expect(parseNodeSelector(text)).toEqual({ ok: false, reason: expect.stringContaining(reason) as string });
  });
});

describe('selectorFromLabels', () => {
  it('turns a label map into In requirements, sorted by key', () => {
    expect(selectorFromLabels({ zone: 'a', team: 'backend' })).toEqual({
      ok: true,
      value: {
        syntax: 'labels',
        raw: 'team=backend,zone=a',
        requirements: [req('team', 'In', 'backend'), req('zone', 'In', 'a')],
      },
    });
  });

  it.each([
    [{ team: 5 }, 'label team must map to a string value'],
    [{ 'bad key!': 'x' }, 'label key "bad key!" is invalid'],
    [{ team: 'a b' }, 'label team: label value "a b" is invalid'],
  ])('rejects %j', (labels, reason) => {
    expect(selectorFromLabels(labels)).toEqual({ ok: false, reason: expect.stringContaining(reason) as string });
  });
});

describe('selectorKey', () => {
  const key = (text: string) => {
    const r = parseNodeSelector(text);
    if (!r.ok) throw new Error(r.reason);
    return selectorKey(r.value);
  };

  it.each([
    ['team=a,zone in (x,y)', 'zone in (y,x), team==a', true],
    ['team=a', 'team!=a', false],
    ['gpu', '!gpu', false],
    ['all()', 'all()', true],
    ['all()', "has(x) && y == 'z'", false],
  ])('%s vs %s → equal %s', (a, b, equal) => {
    expect(key(a) === key(b)).toBe(equal);
  });
});

describe('parseNodeSelector: where a requirement ends', () => {
  it.each<[string, LabelRequirement[]]>([
    ['tier=,gpu', [req('tier', 'In', ''), req('gpu', 'Exists')]],
    ['tier!=', [req('tier', 'NotIn', '')]],
    ['gpu,!spot', [req('gpu', 'Exists'), req('spot', 'DoesNotExist')]],
  ])('%s', (text, requirements) => {
    expect(parseNodeSelector(text)).toEqual({ ok: true, value: { syntax: 'labels', raw: text, requirements } });
  });

  it.each<[string, string]>([
    ['team=(', 'at character 6: expected a label value, found "("'],
    ['!team in (a)', 'at character 7: expected "," or end of input, found "in"'],
    ['zone in (a,)', 'at character 12: expected a label value, found ")"'],
  ])('%s is refused', (text, reason) => {
    const r = parseNodeSelector(text);
    expect(r.ok ? 'accepted' : r.reason).toBe(reason);
  });
});
