import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configReferenceMarkdown, configSchemaText, END_MARK, withGeneratedReference } from './docs.ts';
import { ENV_OVERRIDES } from './config.ts';

const read = (rel: string): string => readFileSync(new URL(`../../${rel}`, import.meta.url), 'utf8');

describe('generated configuration docs', () => {
  it('config/schema.json is what the zod schema generates (run `npm run docs:config` after changing it)', () => {
    expect(read('config/schema.json')).toBe(configSchemaText());
  });

  it('the reference section of config/README.md is what the zod schema generates, prose around it kept', () => {
    const readme = read('config/README.md');
    expect(readme).toBe(withGeneratedReference(readme));
    expect(readme).toContain('### How NetBox objects become pools');
  });

  it('names every key with a meaning, and every environment override', () => {
    const table = configReferenceMarkdown();
    for (const o of ENV_OVERRIDES) expect(table).toContain(`| \`${o.env}\` |`);
    const rows = table.split('\n').slice(2);
    const undocumented = rows.filter(r => r.endsWith('|  |')).map(r => r.split('|')[1]?.trim());
    expect(undocumented).toEqual([]);
  });

  it('refuses a README without the marks rather than writing the table somewhere', () => {
    expect(() => withGeneratedReference('# Configuration\n')).toThrow(/lacks the marks/);
    expect(() => withGeneratedReference(`${END_MARK}\n`)).toThrow(/lacks the marks/);
  });
});
