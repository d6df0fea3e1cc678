/**
 * One object's create / update / delete: DRF field validation, custom field merge, uniqueness, model clean(),
 * save-time normalisation, change record and queued event. Bulk operations (bulk.ts) call these per item.
 */
import { customFieldProblem, customFieldsFor, mergeCustomFieldData } from './custom-fields.ts';
import { modelFor } from './models.ts';
import { drfDateTime, nowMicros } from './pyfmt.ts';
import { snapshotOf } from './snapshot.ts';
import type { ChangeAction, Store } from './store.ts';
import { bad, isPlainObject, ok } from './types.ts';
import type { Endpoint, FieldErrors, Result, Row, WriteMode } from './types.ts';
import { parseField, pyTypeName } from './validate-fields.ts';
import {
  cleanChoiceSet,
  cleanCustomField,
  cleanEventRule,
  cleanJournalEntry,
  uniqueErrors,
} from './validate-extras.ts';
import { cleanIpAddress, cleanIpRange, cleanPrefix, normalisePrefix, rangeSize } from './validate-ipam.ts';
import type { IpamRules } from './validate-ipam.ts';

export type EventName = 'created' | 'updated' | 'deleted';

export interface PendingEvent {
  ep: Endpoint;
  event: EventName;
  id: number;
  prechange: Record<string, unknown> | null;
  postchange: Record<string, unknown> | null;
  /** REST representation captured before a delete (afterwards the object is gone). */
  data?: unknown;
}

export interface WriteContext {
  store: Store;
  rules: IpamRules;
  user: { id: number; username: string };
  requestId: string;
  changelogMessage: string;
  events: PendingEvent[];
  /** Webhook `data`: the REST representation with relative URLs. */
  describe: (ep: Endpoint, row: Row) => unknown;
  /** `str(obj)` for the change log. */
  display: (ep: Endpoint, row: Row) => string;
  /**
   * Whether snapshots carry a prefix's `_children`/`_depth` (rebuilding the prefix tree per write: seeds of
   * thousands of prefixes turn this off; they fire no webhooks).
   */
  prefixBookkeeping?: boolean;
}

function clone<T>(v: T): T {
  return v === null || typeof v !== 'object' ? v : structuredClone(v);
}

/** Validates a write body into the row that would be stored; nothing is saved. */
export function buildRow(
  ctx: WriteContext,
  ep: Endpoint,
  body: unknown,
  existing: Row | undefined,
  mode: WriteMode,
): Result<Row> {
  if (!isPlainObject(body)) {
    return bad({ non_field_errors: [`Invalid data. Expected a dictionary, but got ${pyTypeName(body)}.`] });
  }
  const model = modelFor(ep);
  const errors: FieldErrors = {};
  const parsed: Record<string, unknown> = {};
  for (const field of model.fields) {
    if (field.kind === 'custom_fields') continue;
    if (Object.hasOwn(body, field.name)) {
      const out = parseField(field, body[field.name], ctx.store);
      if (out.ok) parsed[field.name] = out.value;
      else errors[field.name] = out.error;
    } else if (mode !== 'update' && field.required) {
      errors[field.name] = ['This field is required.'];
    } else if (mode === 'create' && field.default !== undefined) {
      parsed[field.name] = clone(field.default);
    }
  }
  if (mode === 'create' && ep === 'extras/journal-entries' && !Object.hasOwn(body, 'created_by')) {
    parsed['created_by'] = ctx.user.id;
  }
  const defs = model.customFields ? customFieldsFor(ctx.store, model.objectType) : [];
  if (model.customFields) {
    const existingData = existing?.['custom_fields'] as Record<string, unknown> | undefined;
    const merged = mergeCustomFieldData(defs, existingData, body['custom_fields']);
    if (merged.ok) parsed['custom_fields'] = merged.value;
    else Object.assign(errors, merged.errors);
  }
  const message = changelogMessageOf(body);
  if (message.ok) parsed[MESSAGE_KEY] = message.value;
  else errors['changelog_message'] = message.error;
  const candidate: Row = { ...(existing ?? { id: 0, created: '', last_updated: '' }), ...parsed };
  normalise(ep, candidate);
  const changed = new Set(Object.keys(parsed).filter(k => !(k in errors)));
  Object.assign(errors, uniqueErrors(ctx.store, ep, candidate, changed));
  if (Object.keys(errors).length > 0) return bad(errors);

  if (model.customFields) {
    const problem = customFieldProblem(ctx.store, defs, candidate['custom_fields'] as Record<string, unknown>);
    if (problem) return bad({ __all__: [problem] });
  }
  const modelErrors = clean(ctx, ep, candidate, existing === undefined);
  return modelErrors ? bad(modelErrors) : ok(candidate);
}

/** Travels with a built row until saveRow records it; never stored. */
const MESSAGE_KEY = '__changelog_message';

/** `changelog_message` (NetBox 4.4+): optional, a string of at most 200 characters. */
export function changelogMessageOf(body: unknown): { ok: true; value: string } | { ok: false; error: string[] } {
  const raw = isPlainObject(body) ? body['changelog_message'] : undefined;
  if (raw === undefined || raw === null) return { ok: true, value: '' };
  if (typeof raw !== 'string' && typeof raw !== 'number') return { ok: false, error: ['Not a valid string.'] };
  const value = String(raw).trim();
  if (value.length > 200) return { ok: false, error: ['Ensure this field has no more than 200 characters.'] };
  return { ok: true, value };
}

function normalise(ep: Endpoint, row: Row): void {
  if (ep === 'ipam/prefixes' && typeof row['prefix'] === 'string') row['prefix'] = normalisePrefix(row['prefix']);
  if (ep === 'ipam/ip-ranges') row['size'] = rangeSize(row);
  if (ep === 'ipam/ip-addresses' && typeof row['dns_name'] === 'string')
    row['dns_name'] = row['dns_name'].toLowerCase();
}

function clean(ctx: WriteContext, ep: Endpoint, row: Row, isNew: boolean): FieldErrors | undefined {
  switch (ep) {
    case 'ipam/prefixes':
      return cleanPrefix(ctx.store, row, ctx.rules);
    case 'ipam/ip-ranges':
      return cleanIpRange(ctx.store, row);
    case 'ipam/ip-addresses':
      return cleanIpAddress(ctx.store, row, isNew, ctx.rules);
    case 'extras/custom-fields':
      return cleanCustomField(row);
    case 'extras/custom-field-choice-sets':
      return cleanChoiceSet(row);
    case 'extras/event-rules':
      return cleanEventRule(ctx.store, row);
    case 'extras/journal-entries':
      return cleanJournalEntry(ctx.store, row);
    default:
      return undefined;
  }
}

function sameSnapshot(a: Record<string, unknown> | null, b: Record<string, unknown> | null): boolean {
  const strip = (s: Record<string, unknown> | null) => JSON.stringify({ ...s, last_updated: null });
  return a !== null && b !== null && strip(a) === strip(b);
}

function record(ctx: WriteContext, ep: Endpoint, action: ChangeAction, row: Row, pre: Row | undefined): PendingEvent {
  const opts = { prefixBookkeeping: ctx.prefixBookkeeping !== false };
  const prechange = pre ? snapshotOf(ctx.store, ep, pre, opts) : null;
  const postchange = action === 'delete' ? null : snapshotOf(ctx.store, ep, row, opts);
  // CHANGELOG_SKIP_EMPTY_CHANGES (default true): an update that changes nothing leaves no change record.
  if (!(action === 'update' && sameSnapshot(prechange, postchange))) {
    ctx.store.record({
      time: action === 'delete' ? drfDateTime(nowMicros()) : row.last_updated,
      request_id: ctx.requestId,
      user_name: ctx.user.username,
      action,
      changed_object_type: modelFor(ep).objectType,
      changed_object_id: row.id,
      object_repr: ctx.display(ep, row),
      message: ctx.changelogMessage,
      prechange_data: prechange,
      postchange_data: postchange,
    });
  }
  const event: EventName = action === 'create' ? 'created' : action === 'update' ? 'updated' : 'deleted';
  return { ep, event, id: row.id, prechange, postchange };
}

/** Saves a row built by buildRow: assigns the id and timestamps, records the change, queues the event. */
export function saveRow(ctx: WriteContext, ep: Endpoint, candidate: Row, existing: Row | undefined): Row {
  const now = drfDateTime(nowMicros());
  const id = existing?.id ?? ctx.store.allocateId(ep);
  const { [MESSAGE_KEY]: message, ...fields } = candidate;
  ctx.changelogMessage = typeof message === 'string' ? message : '';
  const row: Row = { ...fields, id, created: existing?.created ?? now, last_updated: now };
  ctx.store.put(ep, row);
  ctx.events.push(record(ctx, ep, existing ? 'update' : 'create', row, existing));
  return row;
}

export function writeObject(
  ctx: WriteContext,
  ep: Endpoint,
  body: unknown,
  existing: Row | undefined,
  mode: WriteMode,
): Result<Row> {
  const built = buildRow(ctx, ep, body, existing, mode);
  return built.ok ? ok(saveRow(ctx, ep, built.value, existing)) : built;
}

interface Relation {
  from: Endpoint;
  field: string;
  to: Endpoint;
  onDelete: 'protect' | 'set_null' | 'pull';
}

const TAGGED: Endpoint[] = ['ipam/prefixes', 'ipam/ip-ranges', 'ipam/ip-addresses', 'ipam/roles', 'ipam/vrfs'];
const RELATIONS: Relation[] = [
  ...(['ipam/prefixes', 'ipam/ip-ranges', 'ipam/ip-addresses'] as const).flatMap(from => [
    { from, field: 'vrf', to: 'ipam/vrfs' as const, onDelete: 'protect' as const },
    { from, field: 'tenant', to: 'tenancy/tenants' as const, onDelete: 'protect' as const },
  ]),
  { from: 'ipam/vrfs', field: 'tenant', to: 'tenancy/tenants', onDelete: 'protect' },
  { from: 'ipam/prefixes', field: 'role', to: 'ipam/roles', onDelete: 'set_null' },
  { from: 'ipam/ip-ranges', field: 'role', to: 'ipam/roles', onDelete: 'set_null' },
  { from: 'ipam/ip-addresses', field: 'nat_inside', to: 'ipam/ip-addresses', onDelete: 'set_null' },
  { from: 'extras/custom-fields', field: 'choice_set', to: 'extras/custom-field-choice-sets', onDelete: 'protect' },
  ...[...TAGGED, 'tenancy/tenants', 'extras/journal-entries', 'extras/webhooks', 'extras/event-rules'].map(from => ({
    from: from as Endpoint,
    field: 'tags',
    to: 'extras/tags' as const,
    onDelete: 'pull' as const,
  })),
];

function refersTo(row: Row, field: string, id: number): boolean {
  const v = row[field];
  return Array.isArray(v) ? v.includes(id) : v === id;
}

/**
 * Deletes one object. Returns NetBox's 409 text when PROTECT relations block it. SET_NULL and tag removal
 * happen as queryset updates in Django, so they leave no change records and fire no events; neither do the
 * cascaded journal entries.
 */
export function deleteObject(ctx: WriteContext, ep: Endpoint, row: Row): string | undefined {
  const relations = RELATIONS.filter(r => r.to === ep);
  const blockers = relations
    .filter(r => r.onDelete === 'protect')
    .flatMap(r =>
      ctx.store
        .all(r.from)
        .filter(o => refersTo(o, r.field, row.id))
        .map(o => ({ r, o })),
    );
  if (blockers.length > 0) {
    const list = blockers.map(({ r, o }) => `${ctx.display(r.from, o)} (${o.id})`).join(', ');
    return `Unable to delete object. ${blockers.length} dependent objects were found: ${list}`;
  }
  const data = ctx.describe(ep, row);
  const event = record(ctx, ep, 'delete', row, row);
  for (const r of relations.filter(x => x.onDelete !== 'protect')) {
    for (const o of ctx.store.all(r.from).filter(x => refersTo(x, r.field, row.id))) {
      const v = o[r.field];
      const next = Array.isArray(v) ? v.filter(x => x !== row.id) : null;
      ctx.store.put(r.from, { ...o, [r.field]: next });
    }
  }
  const objectType = modelFor(ep).objectType;
  for (const j of ctx.store.all('extras/journal-entries')) {
    if (j['assigned_object_type'] === objectType && j['assigned_object_id'] === row.id) {
      ctx.store.remove('extras/journal-entries', j.id);
    }
  }
  ctx.store.remove(ep, row.id);
  ctx.events.push({ ...event, data });
  return undefined;
}
