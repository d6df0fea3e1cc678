import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/docs.ts';
import { VALUES_SCHEMA_PATH, valuesSchema, valuesSchemaText } from './values-schema.ts';

describe("the Helm chart's values.schema.json", () => {
  it('is what the generator writes (run `npm run docs:config` after changing the config schema)', () => {
    expect(readFileSync(VALUES_SCHEMA_PATH, 'utf8')).toBe(valuesSchemaText());
  });

  it("validates `config` with the daemon's own config schema", () => {
    const config = (valuesSchema()['properties'] as Record<string, Record<string, unknown>>)['config'];
    expect(config?.['properties']).toEqual(configJsonSchema()['properties']);
    expect(config?.['required']).toEqual(['cluster', 'netbox']);
  });
});
