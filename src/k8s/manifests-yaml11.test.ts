import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ADAPTERS } from '../kinds/registry.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import {
  MATRIX_FAMILIES,
  MATRIX_NAMESPACES,
  MATRIX_SHAPES,
  matrixIntent,
  renderContext,
  YAML11_TRICKY_NAMES,
} from '../../test/support/kind-fixtures.ts';
import { manifestYaml } from './manifests.ts';

/**
 * kubectl, Flux and Argo CD read manifests through sigs.k8s.io/yaml, a YAML 1.1 decoder: there `No`, `on`, `y`,
 * `0x1f`, `1_000`, `010` or `1:20` are not strings. Every manifest we write must mean the same to a YAML 1.1
 * reader and to a YAML 1.2 reader (the real decoder is exercised in test/integration/render-dry-run.test.ts).
 */

const decode11 = (text: string): unknown => parse(text, { version: '1.1' });
const decode12 = (text: string): unknown => parse(text, { version: '1.2' });

/** Strings a YAML 1.1 reader (or go-yaml v2, which sigs.k8s.io/yaml is built on) reads as something else. */
const TRICKY = [
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'yEs', 'n', 'N', 'no', 'No', 'NO', 'nO'],
  ...['on', 'On', 'ON', 'oN', 'off', 'Off', 'OFF', 'true', 'True', 'TRUE', 'tRue', 'false', 'False', 'FALSE'],
  ...['~', 'null', 'Null', 'NULL', 'nuLL', ''],
  ...['0x1f', '0X1F', '-0x1F', '0o17', '0O17', '0b101', '0B101', '-0b1', '010', '-010', '08', '+12', '-0', '0'],
  ...['1_000', '1__0', '0x_1f', '1_0.5', '+1_000'],
  ...['1:20', '-1:20:30', '12:30:00', '190:20:30.15'],
  ...['.inf', '.Inf', '.INF', '-.inf', '+.inf', '.nan', '.NaN', '.NAN'],
  ...['1e3', '1E3', '1e+3', '-1.5e-3', '1.', '.5', '3.14', '6.8523015e+5'],
  ...['2001-12-14', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10 -5', '2002-12-14T21:59:43Z'],
  ...['<<', '=', '?', '-', 'a: b', '- a', '# x', '@x', '`x', '%x', '!x', '&x', '*x', '{a}', '[a]', "'a'", '"a"'],
];

/** Strings every reader reads back as the same string: they may stay plain. */
const HARMLESS = ['10.20.0.0/24', '10.20.0.1', 'fd00::1', 'fd00:60::/120', 'pods-a', 'all()', 'Never', 'Always'];

describe('manifest YAML means the same to YAML 1.1 and YAML 1.2 readers', () => {
  const withValue = (value: string): K8sObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', namespace: 'ns', labels: { [value === '' ? 'empty' : 'l']: value } },
    data: { value, list: [value, `${value}x`], [`k${value}`]: value },
  });

  it.each(TRICKY)('%j is quoted and read back as the same string', value => {
    const o = withValue(value);
    const text = manifestYaml(o);
    expect(text).toContain(`\n  value: ${JSON.stringify(value)}\n`);
    expect(decode11(text)).toEqual(o);
    expect(decode12(text)).toEqual(o);
  });

  it.each(TRICKY.filter(v => v !== '' && !/^[-?:,[\]{}#&*!|>'"%@`]/.test(v)))('%j as a mapping key', value => {
    const o: K8sObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', annotations: { [value]: 'v' } },
      data: { [value]: 'v' },
    };
    const text = manifestYaml(o);
    expect(decode11(text)).toEqual(o);
    expect(decode12(text)).toEqual(o);
  });

  it.each(HARMLESS)('%j stays plain', value => {
    expect(manifestYaml(withValue(value))).toContain(`\n  value: ${value}\n`);
  });
});

const matrix = ADAPTERS.flatMap(adapter =>
  MATRIX_FAMILIES.flatMap(family =>
    MATRIX_SHAPES.flatMap(shape =>
      (['plain', 'tricky'] as const).map(variant => ({ kind: adapter.kind, adapter, family, shape, variant })),
    ),
  ),
);

describe('every manifest of the render matrix decodes under YAML 1.1 to exactly the object rendered', () => {
  const rendered = new Set<string>();

  it.each(matrix.map((c, i) => ({ ...c, i })))('$kind: $shape IPv$family, $variant', c => {
    // Tricky names in turn; MetalLB only takes pools from its own namespace, the others get a tricky one too.
    const tricky = {
      name: YAML11_TRICKY_NAMES[c.i % YAML11_TRICKY_NAMES.length] ?? 'no',
      ...(MATRIX_NAMESPACES[c.kind] === undefined || c.kind === 'metallb' ? {} : { namespace: 'off' }),
    };
    const intent = matrixIntent(c.kind, c.family, c.shape, c.variant, c.variant === 'tricky' ? tricky : {});
    const result = c.adapter.render(intent, renderContext(c.adapter));
    if (result.issues.some(i => i.severity === 'error')) {
      expect(c.shape, result.issues.map(i => i.reason).join('; ')).not.toBe('prefix');
      return;
    }
    expect(result.objects.length).toBeGreaterThan(0);
    for (const o of result.objects) {
      const text = manifestYaml(o);
      expect(decode11(text), text).toEqual(o);
      expect(decode12(text), text).toEqual(o);
    }
    rendered.add(`${c.kind}/${c.variant}`);
  });

  it('rendered the tricky variant of every kind', () => {
    for (const a of ADAPTERS) expect(rendered).toContain(`${a.kind}/tricky`);
  });
});
