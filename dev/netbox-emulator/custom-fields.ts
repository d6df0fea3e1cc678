/**
 * Custom field data: which fields apply to an object type, how written data is merged and validated (NetBox's
 * CustomField.validate messages), and how values read back (4.7: select/multiselect as {value, label}).
 */
import { pyText } from './pyfmt.ts';
import type { Store } from './store.ts';
import { isPlainObject, text } from './types.ts';
import type { FieldErrors, Row } from './types.ts';

export function customFieldsFor(store: Store, objectType: string): Row[] {
  return store
    .all('extras/custom-fields')
    .filter(cf => (cf['object_types'] as string[]).includes(objectType))
    .sort(
      (a, b) =>
        String(a['group_name']).localeCompare(String(b['group_name'])) ||
        (a['weight'] as number) - (b['weight'] as number) ||
        String(a['name']).localeCompare(String(b['name'])),
    );
}

/**
 * Field-level check of `custom_fields` in a write body, then merge: a create starts from every field's default
 * (null when none), an update from the stored data.
 */
export function mergeCustomFieldData(
  defs: Row[],
  existing: Record<string, unknown> | undefined,
  incoming: unknown,
): { ok: true; value: Record<string, unknown> } | { ok: false; errors: FieldErrors } {
  if (incoming !== undefined && !isPlainObject(incoming)) {
    const message =
      'Invalid data format. Custom field data must be passed as a dictionary mapping field names to their values.';
    return { ok: false, errors: { custom_fields: [message] } };
  }
  const known = new Set(defs.map(d => String(d['name'])));
  const unknown = Object.keys(incoming ?? {})
    .filter(k => !known.has(k))
    .sort();
  if (unknown.length > 0) {
    // extras/api/customfields.py: one message per unknown name, keyed by it (a dict, not a list).
    const errors = Object.fromEntries(
      unknown.map(k => [k, `Custom field '${k}' does not exist for this object type.`]),
    );
    return { ok: false, errors: { custom_fields: errors } };
  }
  // The serializer's default (every field, with its default or null) applies only when the request has no
  // `custom_fields` at all; a create that names some fields stores just those (the change log shows that).
  const base: Record<string, unknown> = existing
    ? { ...existing }
    : incoming === undefined
      ? Object.fromEntries(defs.map(d => [String(d['name']), d['default'] ?? null]))
      : {};
  return { ok: true, value: { ...base, ...(incoming ?? {}) } };
}

/** Model-level validation (CustomFieldsMixin.clean): the first problem, as NetBox reports it, or undefined. */
export function customFieldProblem(store: Store, defs: Row[], data: Record<string, unknown>): string | undefined {
  for (const def of defs) {
    const name = String(def['name']);
    if (!(name in data)) {
      if (def['required'] === true && def['default'] === null) return `Missing required custom field '${name}'.`;
      continue;
    }
    const problem = valueProblem(store, def, data[name]);
    if (problem) return `Invalid value for custom field '${name}': ${problem}`;
  }
  return undefined;
}

function choiceValues(store: Store, def: Row): string[] {
  const setId = def['choice_set'];
  const set = typeof setId === 'number' ? store.get('extras/custom-field-choice-sets', setId) : undefined;
  return ((set?.['extra_choices'] as [string, string][] | null) ?? []).map(([v]) => v);
}

function choiceSetName(store: Store, def: Row): string {
  const setId = def['choice_set'];
  const set = typeof setId === 'number' ? store.get('extras/custom-field-choice-sets', setId) : undefined;
  return text(set?.['name'], 'None');
}

function valueProblem(store: Store, def: Row, value: unknown): string | undefined {
  if (value === null || value === '') return def['required'] === true ? 'Required field cannot be empty.' : undefined;
  const min = def['validation_minimum'] as number | null;
  const max = def['validation_maximum'] as number | null;
  switch (def['type']) {
    case 'text':
    case 'longtext': {
      if (typeof value !== 'string') return 'Value must be a string.';
      const regex = text(def['validation_regex']);
      if (regex !== '' && !new RegExp(`^(?:${regex})`).test(value)) return `Value must match regex '${regex}'`;
      return undefined;
    }
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return 'Value must be an integer.';
      // The bounds are DecimalField(decimal_places=4): Python prints them as 128.0000.
      if (min !== null && value < min) return `Value must be at least ${min.toFixed(4)}`;
      if (max !== null && value > max) return `Value must not exceed ${max.toFixed(4)}`;
      return undefined;
    case 'decimal':
      return typeof value === 'number' || (typeof value === 'string' && !Number.isNaN(Number(value)))
        ? undefined
        : 'Value must be a decimal.';
    case 'boolean':
      return value === true || value === false || value === 1 || value === 0
        ? undefined
        : 'Value must be true or false.';
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d\d-\d\d$/.test(value)
        ? undefined
        : 'Date values must be in ISO 8601 format (YYYY-MM-DD).';
    case 'datetime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value))
        ? undefined
        : 'Date and time values must be in ISO 8601 format (YYYY-MM-DD HH:MM:SS).';
    case 'select':
      return typeof value === 'string' && choiceValues(store, def).includes(value)
        ? undefined
        : `Invalid choice (${pyText(value)}) for choice set ${choiceSetName(store, def)}.`;
    case 'multiselect': {
      const values = choiceValues(store, def);
      const ok = Array.isArray(value) && value.every(v => typeof v === 'string' && values.includes(v));
      return ok ? undefined : `Invalid choice(s) (${pyText(value)}) for choice set ${choiceSetName(store, def)}.`;
    }
    case 'object':
      return typeof value === 'number' && Number.isInteger(value)
        ? undefined
        : `Value must be an object ID, not ${pyTypeOf(value)}`;
    case 'multiobject':
      return Array.isArray(value) ? undefined : `Value must be a list of object IDs, not ${pyTypeOf(value)}`;
    default:
      return undefined;
  }
}

function pyTypeOf(v: unknown): string {
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return Array.isArray(v) ? 'list' : 'dict';
}

export interface CustomFieldReadOptions {
  /** 4.7+: select/multiselect values read as {value, label}. */
  selectAsObjects: boolean;
  /** Brief form of a related object for object/multiobject fields. */
  relatedBrief: (objectType: string, id: number) => unknown;
}

/** `custom_fields` as the API returns it: every field defined for the type, null when unset. */
export function readCustomFields(
  store: Store,
  defs: Row[],
  data: Record<string, unknown>,
  opts: CustomFieldReadOptions,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const def of defs) {
    const name = String(def['name']);
    const value = data[name] ?? null;
    out[name] = value === null ? null : readValue(store, def, value, opts);
  }
  return out;
}

function readValue(store: Store, def: Row, value: unknown, opts: CustomFieldReadOptions): unknown {
  const type = def['type'];
  if ((type === 'select' || type === 'multiselect') && opts.selectAsObjects) {
    const setId = def['choice_set'];
    const set = typeof setId === 'number' ? store.get('extras/custom-field-choice-sets', setId) : undefined;
    const pairs = (set?.['extra_choices'] as [string, string][] | null) ?? [];
    const labelled = (v: unknown) => ({ value: v, label: pairs.find(([c]) => c === v)?.[1] ?? pyText(v) });
    return type === 'select' ? labelled(value) : Array.isArray(value) ? value.map(labelled) : value;
  }
  const target = def['related_object_type'];
  if (type === 'object' && typeof target === 'string' && typeof value === 'number') {
    return opts.relatedBrief(target, value);
  }
  if (type === 'multiobject' && typeof target === 'string' && Array.isArray(value)) {
    return value.filter((v): v is number => typeof v === 'number').map(v => opts.relatedBrief(target, v));
  }
  return value;
}
