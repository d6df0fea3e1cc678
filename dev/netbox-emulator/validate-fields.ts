/**
 * Field-level parsing of write bodies with DRF's and NetBox's messages: strings, numbers, booleans, NetBox
 * choice fields, related objects (numeric id or attribute dict), tags, content types and IP values.
 */
import { KNOWN_CONTENT_TYPES } from './choices.ts';
import { cidrOf, formatInet, networkOf, parseInet } from './ipnet.ts';
import { modelFor } from './models.ts';
import type { FieldSpec } from './models.ts';
import { pyRepr, pyText } from './pyfmt.ts';
import type { Store } from './store.ts';
import { isPlainObject, text } from './types.ts';
import type { Endpoint, Row } from './types.ts';

export type FieldOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const good = (value: unknown): FieldOutcome => ({ ok: true, value });
const fail = (...messages: string[]): FieldOutcome => ({ ok: false, error: messages });

/** Python type names as DRF prints them ("Expected a list of items but got type \"dict\"."). */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'dict';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return typeof v;
}

/** Python int() of a JSON value, as NetBox applies it to related-object references. */
export function pyInt(v: unknown): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : undefined;
  if (typeof v === 'string' && /^\s*[+-]?\d+(_\d+)*\s*$/.test(v)) return Number(v.replace(/_/g, ''));
  return undefined;
}

const TRUE_VALUES = new Set<unknown>(['t', 'T', 'y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE']);
const FALSE_VALUES = new Set<unknown>(['f', 'F', 'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE']);
for (const v of ['on', 'On', 'ON', '1', 1, true]) TRUE_VALUES.add(v);
for (const v of ['off', 'Off', 'OFF', '0', 0, false]) FALSE_VALUES.add(v);

export function parseField(spec: FieldSpec, raw: unknown, store: Store): FieldOutcome {
  if (raw === null && spec.kind !== 'choice' && spec.kind !== 'json') {
    return spec.nullable ? good(null) : fail('This field may not be null.');
  }
  switch (spec.kind) {
    case 'string':
      return parseString(spec, raw);
    case 'bool':
      if (TRUE_VALUES.has(raw)) return good(true);
      if (FALSE_VALUES.has(raw)) return good(false);
      return fail('Must be a valid boolean.');
    case 'int':
      return parseInteger(spec, raw);
    case 'number':
      return typeof raw === 'number' || (typeof raw === 'string' && raw.trim() !== '' && !Number.isNaN(Number(raw)))
        ? good(Number(raw))
        : fail('A valid number is required.');
    case 'choice':
      return parseChoice(spec, raw);
    case 'choice_list':
      return parseChoiceList(spec, raw);
    case 'fk':
      return resolveRelated(store, spec.target as Endpoint, raw);
    case 'absent_fk':
      return unresolvable(raw);
    case 'fk_ids':
      if (!Array.isArray(raw)) return fail(`Expected a list of items but got type "${pyTypeName(raw)}".`);
      return raw.length === 0 ? good([]) : fail(`Invalid pk "${pyText(raw[0])}" - object does not exist.`);
    case 'tags':
      return parseTags(store, raw);
    case 'json':
      return good(raw === undefined ? null : raw);
    case 'inet':
      return parseInetField(spec, raw);
    case 'content_type':
      return parseContentType(raw);
    case 'content_types':
      return parseContentTypes(raw);
    case 'choice_pairs':
      return parseChoicePairs(raw);
    case 'string_map':
      return isPlainObject(raw) ? good(raw) : fail(`Expected a dictionary of items but got type "${pyTypeName(raw)}".`);
    case 'custom_fields':
      return good(raw);
  }
}

function parseString(spec: FieldSpec, raw: unknown): FieldOutcome {
  if (typeof raw === 'boolean' || !(typeof raw === 'string' || typeof raw === 'number')) {
    return fail('Not a valid string.');
  }
  const value = String(raw).trim();
  if (value === '') {
    if (!spec.blank) return fail('This field may not be blank.');
    return good(spec.blankToNull ? null : '');
  }
  const errors: string[] = [];
  if (spec.maxLength !== undefined && value.length > spec.maxLength) {
    errors.push(`Ensure this field has no more than ${spec.maxLength} characters.`);
  }
  if (spec.pattern && !spec.pattern.test(value)) errors.push(spec.patternMessage ?? 'Enter a valid value.');
  return errors.length > 0 ? fail(...errors) : good(value);
}

function parseInteger(spec: FieldSpec, raw: unknown): FieldOutcome {
  const text = typeof raw === 'number' || typeof raw === 'string' ? String(raw).replace(/\.0*\s*$/, '') : '';
  if (!/^\s*[+-]?\d+\s*$/.test(text)) return fail('A valid integer is required.');
  const value = Number(text);
  if (spec.max !== undefined && value > spec.max)
    return fail(`Ensure this value is less than or equal to ${spec.max}.`);
  if (spec.min !== undefined && value < spec.min) {
    return fail(`Ensure this value is greater than or equal to ${spec.min}.`);
  }
  return good(value);
}

/** NetBox's ChoiceField: raw value in, "x is not a valid choice." out; dicts are refused explicitly. */
function parseChoice(spec: FieldSpec, raw: unknown): FieldOutcome {
  let data = raw;
  if (data === null || data === undefined) {
    if (spec.nullable) return good(null);
    data = '';
  }
  if (data === '') return spec.blank ? good('') : fail('This field may not be blank.');
  if (typeof data === 'object') {
    return fail('Value must be passed directly (e.g. "foo": 123); do not use a dictionary or list.');
  }
  if (typeof data === 'string') {
    if (data.toLowerCase() === 'true') data = true;
    else if (data.toLowerCase() === 'false') data = false;
    else if (/^\s*[+-]?\d+\s*$/.test(data)) data = Number(data);
  }
  const hit = typeof data === 'string' && (spec.choices ?? []).some(([v]) => v === data);
  return hit ? good(data) : fail(`${pyText(data)} is not a valid choice.`);
}

function parseChoiceList(spec: FieldSpec, raw: unknown): FieldOutcome {
  if (!Array.isArray(raw)) return fail(`Expected a list of items but got type "${pyTypeName(raw)}".`);
  const errors = raw
    .filter(v => !(typeof v === 'string' && (spec.choices ?? []).some(([c]) => c === v)))
    .map(v => `"${pyText(v)}" is not a valid choice.`);
  if (errors.length > 0) return fail(...errors);
  if (raw.length === 0 && spec.required) return fail('This selection may not be empty.');
  return good([...new Set(raw as string[])]);
}

function parseInetField(spec: FieldSpec, raw: unknown): FieldOutcome {
  const kind = spec.name === 'prefix' ? 'IP prefix' : 'IP address';
  const parsed = typeof raw === 'string' ? parseInet(raw) : undefined;
  if (!parsed) return fail(`Invalid ${kind} format: ${pyText(raw)}`);
  // ipam.validators.prefix_validator: a prefix with host bits set is refused, never silently truncated.
  if (spec.name === 'prefix' && networkOf(parsed) !== parsed.value) {
    return fail(`${formatInet(parsed)} is not a valid prefix. Did you mean ${formatInet(cidrOf(parsed))}?`);
  }
  return good(formatInet(parsed));
}

function parseContentType(raw: unknown): FieldOutcome {
  if (typeof raw !== 'string' || raw.split('.').length !== 2) {
    return fail("Invalid value. Specify a content type as '<app_label>.<model_name>'.");
  }
  return KNOWN_CONTENT_TYPES.has(raw) ? good(raw) : fail(`Invalid content type: ${raw}`);
}

function parseContentTypes(raw: unknown): FieldOutcome {
  if (!Array.isArray(raw)) return fail(`Expected a list of items but got type "${pyTypeName(raw)}".`);
  for (const item of raw) {
    const one = parseContentType(item);
    if (!one.ok) return one;
  }
  return good([...new Set(raw as string[])]);
}

function parseChoicePairs(raw: unknown): FieldOutcome {
  if (!Array.isArray(raw)) return fail(`Expected a list of items but got type "${pyTypeName(raw)}".`);
  const pairs: [string, string][] = [];
  for (const item of raw) {
    if (!Array.isArray(item) || item.length !== 2) return fail('Each choice must be a [value, label] pair.');
    pairs.push([pyText(item[0]), pyText(item[1])]);
  }
  return good(pairs);
}

/** A field whose targets the emulator does not model (owner, VLAN, tenant group): only null resolves. */
function unresolvable(raw: unknown): FieldOutcome {
  if (isPlainObject(raw)) {
    return fail(`Related object not found using the provided attributes: ${pyRepr(filterParams(raw))}`);
  }
  const pk = pyInt(raw);
  if (pk === undefined) return fail(unrecognized(raw));
  return fail(`Related object not found using the provided numeric ID: ${pk}`);
}

function unrecognized(raw: unknown): string {
  return `Related objects must be referenced by numeric ID or by dictionary of attributes. Received an unrecognized value: ${pyText(raw)}`;
}

/** NetBox dict_to_filter_params: nested dicts become `a__b` keys. */
export function filterParams(d: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) {
    if (isPlainObject(v)) Object.assign(out, filterParams(v, `${prefix}${k}__`));
    else out[`${prefix}${k}`] = v;
  }
  return out;
}

/** A related object written as an id, a numeric string, or an attribute dict matching exactly one object. */
export function resolveRelated(store: Store, target: Endpoint, raw: unknown): FieldOutcome {
  if (raw === null) return good(null);
  if (isPlainObject(raw)) {
    const params = filterParams(raw);
    const matched = matchRows(store, target, params);
    if (typeof matched === 'string') return fail(matched);
    if (matched.length === 1) return good((matched[0] as Row).id);
    return fail(
      matched.length === 0
        ? `Related object not found using the provided attributes: ${pyRepr(params)}`
        : `Multiple objects match the provided attributes: ${pyRepr(params)}`,
    );
  }
  const pk = pyInt(raw);
  if (pk === undefined) return fail(unrecognized(raw));
  return store.get(target, pk) ? good(pk) : fail(`Related object not found using the provided numeric ID: ${pk}`);
}

/** Rows whose attributes equal every lookup (Django `filter(**params)` with exact lookups); a string on FieldError. */
export function matchRows(store: Store, ep: Endpoint, params: Record<string, unknown>): Row[] | string {
  const rows = store.all(ep);
  const fieldNames = ['id', 'created', 'last_updated', ...modelFor(ep).fields.map(f => f.name)];
  for (const key of Object.keys(params)) {
    const head = key.split('__')[0] ?? key;
    if (!fieldNames.includes(head)) {
      const choices = fieldNames.filter(f => f !== 'custom_fields').sort();
      return `Cannot resolve keyword '${head}' into field. Choices are: ${choices.join(', ')}.`;
    }
  }
  return rows.filter(row =>
    Object.entries(params).every(([key, want]) => looseEqual(pathValue(store, ep, row, key), want)),
  );
}

function pathValue(store: Store, ep: Endpoint, row: Row, key: string): unknown {
  const [head = '', ...rest] = key.split('__');
  const value = head === 'custom_fields' ? row['custom_fields'] : row[head];
  if (rest.length === 0) return value;
  const spec = modelFor(ep).fields.find(f => f.name === head);
  if (spec?.kind === 'fk' && spec.target && typeof value === 'number') {
    const related = store.get(spec.target, value);
    return related ? pathValue(store, spec.target, related, rest.join('__')) : undefined;
  }
  if (isPlainObject(value)) return value[rest.join('__')];
  return undefined;
}

function looseEqual(have: unknown, want: unknown): boolean {
  if (have === null || have === undefined) return want === null;
  if (typeof have === 'number') return pyInt(want) === have;
  if (typeof have === 'boolean') return TRUE_VALUES.has(want) ? have : FALSE_VALUES.has(want) ? !have : false;
  return pyText(want) === text(have);
}

/**
 * NetBox 4.7.3 resolves the tags one by one and stops at the first it cannot find: `{"tags": ["Related object not
 * found …"]}` (one flat message); a value that is not a list is `{"tags": {"__all__": ["Expected a list …"]}}`.
 */
function parseTags(store: Store, raw: unknown): FieldOutcome {
  if (!Array.isArray(raw)) {
    return { ok: false, error: { __all__: [`Expected a list of items but got type "${pyTypeName(raw)}".`] } };
  }
  const ids: number[] = [];
  for (const item of raw) {
    const one = resolveRelated(store, 'extras/tags', item);
    if (!one.ok) return { ok: false, error: one.error };
    if (typeof one.value !== 'number') return fail('This field may not be null.');
    ids.push(one.value);
  }
  return good([...new Set(ids)]);
}
