import { z } from 'zod';
import { isRecord } from '../model/values.ts';
import { configSchema, ENV_OVERRIDES } from './config.ts';

/**
 * The JSON Schema for editors (config/schema.json) and the reference table in config/README.md, both generated
 * from the zod schema that validates the file, so the docs cannot drift from what is accepted.
 * `npm run docs:config` writes them; a test fails when the committed files differ.
 */

export const SCHEMA_ID = 'https://github.com/netbox-ippool-sync/netbox-ippool-sync/config/schema.json';
export const BEGIN_MARK = '<!-- BEGIN GENERATED REFERENCE: `npm run docs:config` writes this section; do not edit -->';
export const END_MARK = '<!-- END GENERATED REFERENCE -->';

type JsonSchema = Record<string, unknown>;

export function configJsonSchema(): JsonSchema {
  const generated = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return {
    $schema: generated['$schema'],
    $id: SCHEMA_ID,
    title: 'netbox-ippool-sync configuration',
    ...Object.fromEntries(Object.entries(generated).filter(([k]) => k !== '$schema')),
  };
}

export function configSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

interface Row {
  key: string;
  type: string;
  default: string;
  env: string;
  description: string;
}

/** Object sections with their own properties are expanded key by key; everything else is one row. */
function rows(schema: JsonSchema, prefix: string, required: readonly string[]): Row[] {
  const props = isRecord(schema['properties']) ? schema['properties'] : {};
  const envByPath = new Map(ENV_OVERRIDES.map(o => [o.path.join('.'), o.env]));
  return Object.entries(props).flatMap(([name, value]) => {
    if (!isRecord(value)) return [];
    const key = prefix ? `${prefix}.${name}` : name;
    const own: Row = {
      key: `\`${key}\``,
      type: typeText(value),
      default: defaultText(value, required.includes(name)),
      env: envByPath.has(key) ? `\`${envByPath.get(key) ?? ''}\`` : '',
      description: typeof value['description'] === 'string' ? value['description'] : '',
    };
    if (value['type'] === 'object' && isRecord(value['properties'])) {
      const inner = Array.isArray(value['required']) ? value['required'].filter(r => typeof r === 'string') : [];
      return [
        { ...own, type: 'mapping', default: own.default === '`{}`' ? '' : own.default },
        ...rows(value, key, inner),
      ];
    }
    return [own];
  });
}

function typeText(s: JsonSchema): string {
  if (Array.isArray(s['enum'])) return s['enum'].map(v => `\`${String(v)}\``).join(', ');
  if (Array.isArray(s['anyOf'])) return s['anyOf'].filter(isRecord).map(typeText).join(' or ');
  if (s['type'] === 'boolean' && s['const'] === false) return '`false`';
  if (s['type'] === 'object') {
    const keys = isRecord(s['properties']) ? Object.keys(s['properties']) : [];
    return keys.length ? `\`{${keys.join(', ')}}\`` : 'mapping';
  }
  if (s['type'] === 'integer') {
    const min = s['minimum'];
    const max = s['maximum'];
    return typeof min === 'number' && typeof max === 'number' && max < Number.MAX_SAFE_INTEGER
      ? `integer ${min}-${max}`
      : 'integer';
  }
  if (s['type'] === 'array') {
    const items = isRecord(s['items']) ? typeText(s['items']) : 'value';
    return `list of ${items}`;
  }
  return typeof s['type'] === 'string' ? s['type'] : 'value';
}

function defaultText(s: JsonSchema, required: boolean): string {
  if ('default' in s) return `\`${inlineValue(s['default'])}\``;
  return required ? '— (required)' : 'unset';
}

function inlineValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(inlineValue).join(', ')}]`;
  if (isRecord(v)) {
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}: ${inlineValue(x)}`)
      .join(', ')}}`;
  }
  return String(v);
}

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The generated reference: one table of every key, its type, default, environment override and meaning. */
export function configReferenceMarkdown(): string {
  const schema = configJsonSchema();
  const required = Array.isArray(schema['required']) ? schema['required'].filter(r => typeof r === 'string') : [];
  const lines = [
    '| key | type | default | env override | meaning |',
    '| --- | --- | --- | --- | --- |',
    ...rows(schema, '', required).map(
      r => `| ${[r.key, r.type, r.default, r.env, r.description].map(cell).join(' | ')} |`,
    ),
  ];
  return lines.join('\n');
}

/** `readme` with the text between the marks replaced by the generated reference; throws when a mark is missing. */
export function withGeneratedReference(readme: string): string {
  const begin = readme.indexOf(BEGIN_MARK);
  const end = readme.indexOf(END_MARK);
  if (begin < 0 || end < begin) {
    throw new Error(`config/README.md lacks the marks ${BEGIN_MARK} … ${END_MARK}: put them where the table goes`);
  }
  return `${readme.slice(0, begin + BEGIN_MARK.length)}\n\n${configReferenceMarkdown()}\n\n${readme.slice(end)}`;
}
