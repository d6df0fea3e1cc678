/**
 * Model-level validation of the extras models (custom fields, choice sets, event rules, journal entries) and
 * the unique-field check every model shares (DRF UniqueValidator messages).
 */
import { modelByObjectType, modelFor } from './models.ts';
import type { Store } from './store.ts';
import { text } from './types.ts';
import type { Endpoint, FieldErrors, Row } from './types.ts';

/** Django verbose names of the fields that carry a unique constraint, where they differ from the field name. */
const FIELD_VERBOSE: Record<string, string> = { rd: 'route distinguisher' };

/** DRF UniqueValidator: "<model verbose name> with this <field verbose name> already exists." */
export function uniqueErrors(store: Store, ep: Endpoint, row: Row, changed: Set<string>): FieldErrors {
  const model = modelFor(ep);
  const errors: FieldErrors = {};
  for (const field of model.fields) {
    if (!field.unique || !changed.has(field.name)) continue;
    const value = row[field.name];
    if (value === null || value === undefined) continue;
    const norm = (v: unknown) => (field.unique === 'ci' ? text(v).toLowerCase() : text(v));
    const key = (r: Row) => (r[field.name] === null || r[field.name] === undefined ? undefined : norm(r[field.name]));
    const clash = store.lookup(ep, `unique:${field.name}`, key, norm(value)).some(other => other.id !== row.id);
    if (clash) {
      const label = FIELD_VERBOSE[field.name] ?? field.name.replace(/_/g, ' ');
      errors[field.name] = [`${model.verboseName} with this ${label} already exists.`];
    }
  }
  return errors;
}

export function cleanCustomField(row: Row): FieldErrors | undefined {
  const type = row['type'];
  const selection = type === 'select' || type === 'multiselect';
  if (selection && (row['choice_set'] ?? null) === null) {
    return { choice_set: ['Selection fields must specify a set of choices.'] };
  }
  if (!selection && (row['choice_set'] ?? null) !== null) {
    return { choice_set: ['Choices may be set only on selection fields.'] };
  }
  if ((type === 'object' || type === 'multiobject') && (row['related_object_type'] ?? null) === null) {
    return { related_object_type: ['Object fields must define an object type.'] };
  }
  return undefined;
}

export function cleanChoiceSet(row: Row): FieldErrors | undefined {
  const extra = row['extra_choices'] as unknown[] | null;
  if ((row['base_choices'] ?? null) === null && (extra === null || extra.length === 0)) {
    return { __all__: ['Must define base or extra choices.'] };
  }
  return undefined;
}

export function cleanEventRule(store: Store, row: Row): FieldErrors | undefined {
  const id = row['action_object_id'];
  if (row['action_object_type'] === 'extras.webhook' && typeof id === 'number' && !store.get('extras/webhooks', id)) {
    return { action_object_id: [`Related object not found using the provided numeric ID: ${id}`] };
  }
  return undefined;
}

const APP_VERBOSE: Record<string, string> = { ipam: 'IPAM', extras: 'Extras', tenancy: 'Tenancy', dcim: 'DCIM' };

/** ContentType.__str__: "IPAM | prefix". */
export function contentTypeLabel(objectType: string): string {
  const [app = '', model = ''] = objectType.split('.');
  const verbose = modelByObjectType(objectType)?.verboseName ?? model;
  return `${APP_VERBOSE[app] ?? app} | ${verbose}`;
}

export function cleanJournalEntry(store: Store, row: Row): FieldErrors | undefined {
  const type = String(row['assigned_object_type']);
  const id = row['assigned_object_id'] as number;
  const model = modelByObjectType(type);
  if (!model || !store.get(model.endpoint, id)) {
    return { non_field_errors: [`Invalid assigned_object: ${contentTypeLabel(type)} ID ${id}`] };
  }
  return undefined;
}
