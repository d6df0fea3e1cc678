import { describe, expect, it } from 'vitest';
import { structuralIssues } from './structural.ts';

const mapList = (items: object): object => ({
  type: 'array',
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['k'],
  items,
});
const celOn = (schema: object, rule: string): object => ({ ...schema, 'x-kubernetes-validations': [{ rule }] });

describe('structuralIssues', () => {
  it.each([
    ['missing type', { properties: { a: { type: 'string' } } }, /^root: bad or missing type/],
    ['an untyped nested field', { type: 'object', properties: { a: { description: 'x' } } }, /root\.a: bad or missing/],
    [
      'an untyped map value',
      { type: 'object', additionalProperties: { description: 'x' } },
      /root\{\}: bad or missing/,
    ],
    ['an untyped list item', { type: 'array', items: {} }, /root\[\]: bad or missing/],
    ['properties with additionalProperties', { type: 'object', properties: {}, additionalProperties: {} }, /together/],
    ['additionalProperties: false', { type: 'object', additionalProperties: false }, /false is forbidden/],
    ['an array without items', { type: 'array' }, /without a single items/],
    ['preserve-unknown-fields', { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, /preserve-unknown/],
    ['$ref', { type: 'object', $ref: '#/x' }, /forbidden keyword \$ref/],
    ['anyOf', { type: 'string', anyOf: [{ format: 'cidr' }] }, /unexpected anyOf/],
    ['uniqueItems', { type: 'array', items: { type: 'string' }, uniqueItems: true }, /uniqueItems/],
    ['an unknown format', { type: 'string', format: 'ipv4x' }, /format ipv4x/],
    ['an enum of the wrong type', { type: 'string', enum: [true] }, /enum value true/],
    ['a default of the wrong type', { type: 'integer', default: '32' }, /default is not integer/],
    ['a required field not declared', { type: 'object', required: ['a'], properties: {} }, /required a/],
    ['a set of objects', { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'object' } }, /scalar/],
    ['a map list key not required', mapList({ type: 'object', properties: { k: { type: 'string' } } }), /map key k/],
    ['a CEL rule on a missing field', celOn({ type: 'object', properties: {} }, 'self.a > 0'), /unknown field a/],
    ['unbalanced CEL', celOn({ type: 'integer' }, '(self > 0'), /unbalanced/],
    ['an empty CEL rule', celOn({ type: 'integer' }, ' '), /without a rule/],
  ])('flags %s', (_what, schema, reason) => {
    expect(structuralIssues(schema, 'root').join('\n')).toMatch(reason);
  });

  it('accepts a schema that uses every construct our CRDs use', () => {
    const schema = {
      type: 'object',
      required: ['spec'],
      properties: {
        spec: celOn(
          {
            type: 'object',
            properties: {
              cidr: { type: 'string', format: 'cidr', maxLength: 48 },
              mode: { type: 'string', enum: ['Never', 'Always'], default: 'Never' },
              uses: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
              owners: { type: 'object', additionalProperties: { type: 'string' }, 'x-kubernetes-map-type': 'atomic' },
              conds: mapList({ type: 'object', required: ['k'], properties: { k: { type: 'string' } } }),
              slots: { type: 'array', items: { type: 'integer', format: 'int64', nullable: true } },
            },
          },
          "!has(self.mode) || self.mode == 'Never' || !self.cidr.contains(':') || self.uses.exists(u, u == 'a(')",
        ),
      },
    };
    expect(structuralIssues(schema, 'root')).toEqual([]);
  });
});
