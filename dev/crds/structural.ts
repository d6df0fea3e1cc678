/**
 * A small offline check of the apiextensions.k8s.io/v1 structural-schema rules, so a broken CRD shows up in unit
 * tests instead of as a failed install against the real kube-apiserver. It is deliberately stricter than the API
 * server where our manifests should be (no preserve-unknown-fields, no combinators, only the formats we use).
 */

export type JsonSchema = Record<string, unknown>;

/** One problem, as `<path>: <reason>`; paths use `.field`, `[]` for items and `{}` for additionalProperties. */
export type SchemaIssue = string;

export const isJsonObject = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

const TYPES = ['object', 'array', 'string', 'integer', 'number', 'boolean'];
const SCALARS = ['string', 'integer', 'number', 'boolean'];
const FORBIDDEN = ['$ref', '$schema', 'definitions', 'dependencies', 'id', 'patternProperties', 'additionalItems'];
// Legal in a structural schema under conditions; our manifests never need them, so any use is a mistake.
const COMBINATORS = ['allOf', 'anyOf', 'oneOf', 'not'];
const FORMATS: Record<string, string[]> = { string: ['cidr', 'date-time'], integer: ['int32', 'int64'] };
// Method names that follow `self.` in CEL without being fields.
const CEL_METHODS = ['size', 'exists', 'all', 'contains'];

function valueMatchesType(v: unknown, type: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isJsonObject(v);
    default:
      return false;
  }
}

/** Every structural-schema violation in `node` and below. An empty list means the schema is fine. */
export function structuralIssues(node: unknown, path: string): SchemaIssue[] {
  if (!isJsonObject(node)) return [`${path}: schema is not an object`];
  const reasons: string[] = [];
  const { type } = node;
  const props = isJsonObject(node.properties) ? node.properties : {};

  if (node['x-kubernetes-preserve-unknown-fields'] === true) reasons.push('preserve-unknown-fields is not used');
  if (node['x-kubernetes-int-or-string'] !== true && !TYPES.includes(type as string)) {
    reasons.push(`bad or missing type ${String(type)}`);
  }
  reasons.push(...FORBIDDEN.filter(k => k in node).map(k => `forbidden keyword ${k}`));
  reasons.push(...COMBINATORS.filter(k => k in node).map(k => `unexpected ${k}`));
  if (node.uniqueItems === true) reasons.push('uniqueItems: true is forbidden');
  if (node.additionalProperties === false) reasons.push('additionalProperties: false is forbidden');
  if ('properties' in node && 'additionalProperties' in node)
    reasons.push('properties and additionalProperties together');
  if (('properties' in node || 'additionalProperties' in node) && type !== 'object')
    reasons.push('fields on a non-object');
  if ('items' in node && type !== 'array') reasons.push('items on a non-array');
  if (type === 'array' && !isJsonObject(node.items)) reasons.push('array without a single items schema');
  if ('format' in node && !(FORMATS[type as string] ?? []).includes(node.format as string)) {
    reasons.push(`format ${String(node.format)} not expected on ${String(type)}`);
  }
  if ('enum' in node) {
    const values: unknown[] = Array.isArray(node.enum) ? node.enum : [];
    if (values.length === 0) reasons.push('enum must be a non-empty list');
    const wrong = values.filter(e => !valueMatchesType(e, type));
    reasons.push(...wrong.map(e => `enum value ${String(e)} is not ${String(type)}`));
  }
  if ('default' in node && !valueMatchesType(node.default, type)) reasons.push(`default is not ${String(type)}`);
  const required: unknown[] = Array.isArray(node.required) ? node.required : [];
  const undeclared = required.filter(r => typeof r !== 'string' || !(r in props));
  reasons.push(...undeclared.map(r => `required ${String(r)} is not a property`));
  const mapType = node['x-kubernetes-map-type'];
  if (mapType !== undefined && (type !== 'object' || !['atomic', 'granular'].includes(mapType as string))) {
    reasons.push('bad map-type');
  }
  reasons.push(...listTypeIssues(node), ...celIssues(node, props));

  const issues = reasons.map(r => `${path}: ${r}`);
  for (const [name, child] of Object.entries(props)) issues.push(...structuralIssues(child, `${path}.${name}`));
  if (isJsonObject(node.additionalProperties)) {
    issues.push(...structuralIssues(node.additionalProperties, `${path}{}`));
  }
  if ('items' in node) issues.push(...structuralIssues(node.items, `${path}[]`));
  return issues;
}

function listTypeIssues(node: JsonSchema): string[] {
  const listType = node['x-kubernetes-list-type'];
  const keys = node['x-kubernetes-list-map-keys'];
  if (listType === undefined) return keys === undefined ? [] : ['list-map-keys without list-type map'];
  if (node.type !== 'array' || !['atomic', 'set', 'map'].includes(listType as string)) return ['bad list-type'];
  const items = isJsonObject(node.items) ? node.items : {};
  if (listType === 'set' && !SCALARS.includes(items.type as string)) return ['list-type set needs scalar items'];
  if (listType !== 'map') return [];
  if (!Array.isArray(keys) || keys.length === 0) return ['list-type map without keys'];
  const required: unknown[] = Array.isArray(items.required) ? items.required : [];
  return keys.filter(k => !required.includes(k)).map(k => `map key ${String(k)} is not required`);
}

/** Rules must be non-empty, balanced, and name only fields that exist on the node they sit on. */
function celIssues(node: JsonSchema, props: JsonSchema): string[] {
  const rules = node['x-kubernetes-validations'];
  if (rules === undefined) return [];
  if (!Array.isArray(rules) || rules.length === 0) return ['x-kubernetes-validations must be a non-empty list'];
  const reasons: string[] = [];
  for (const entry of rules as unknown[]) {
    const rule = isJsonObject(entry) ? entry.rule : undefined;
    if (typeof rule !== 'string' || rule.trim() === '') {
      reasons.push('CEL entry without a rule');
      continue;
    }
    const unquoted = rule.replace(/'[^']*'/g, "''");
    let depth = 0;
    for (const ch of unquoted) depth += ch === '(' ? 1 : ch === ')' ? -1 : 0;
    if (depth !== 0 || (rule.match(/'/g) ?? []).length % 2 !== 0) reasons.push(`unbalanced CEL rule ${rule}`);
    if (node.type !== 'object') continue;
    for (const [, field = ''] of unquoted.matchAll(/\bself\.([A-Za-z][\w-]*)/g)) {
      if (!(field in props) && !CEL_METHODS.includes(field)) reasons.push(`CEL rule names unknown field ${field}`);
    }
  }
  return reasons;
}
