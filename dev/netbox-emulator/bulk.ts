/**
 * Bulk create / update / delete on list endpoints, all-or-none. NetBox 4.7 validates every item against the
 * state left by the items before it and reports each failure: `{"detail": "N of M objects failed validation.",
 * "errors": [{"index"|"id": …, "errors": {…}}]}` (index for creates and uninterpretable items, id once the object
 * is resolved). Before 4.7 the shapes differ: a create is validated as a DRF list (every item against the state
 * before the request; a list of per-item error dicts), an update or delete stops at the first failing object and
 * returns its bare error dict, and unknown ids are skipped silently.
 */
import { versionAtLeast } from './knobs.ts';
import { modelFor } from './models.ts';
import { sortRows } from './paginate.ts';
import { isPlainObject } from './types.ts';
import type { Endpoint, FieldErrors, Row } from './types.ts';
import { pyTypeName } from './validate-fields.ts';
import { buildRow, changelogMessageOf, deleteObject, saveRow } from './write.ts';
import type { WriteContext } from './write.ts';

export type BulkOutcome = { ok: true; rows: Row[] } | { ok: false; status: number; body: unknown };

type Failure = ({ index: number } | { id: number }) & { errors: FieldErrors; status?: number };

/** The 4.7 BulkOperationError body. */
function failed(total: number, failures: Failure[]): BulkOutcome {
  const status = failures.some(f => f.status === 409) ? 409 : 400;
  return {
    ok: false,
    status,
    body: {
      detail: `${failures.length} of ${total} objects failed validation.`,
      errors: failures.map(({ status: _s, ...rest }) => rest),
    },
  };
}

/** Runs `work` and rolls the store and the queued events back unless it reports success. */
function atomically(ctx: WriteContext, work: () => BulkOutcome): BulkOutcome {
  const snapshot = ctx.store.snapshot();
  const events = ctx.events.length;
  const outcome = work();
  if (!outcome.ok) {
    ctx.store.restore(snapshot);
    ctx.events.length = events;
  }
  return outcome;
}

export function bulkCreate(ctx: WriteContext, ep: Endpoint, items: unknown[], version: string): BulkOutcome {
  return atomically(ctx, () => {
    if (!versionAtLeast(version, '4.7')) {
      const built = items.map(item => buildRow(ctx, ep, item, undefined, 'create'));
      if (built.some(b => !b.ok)) return { ok: false, status: 400, body: built.map(b => (b.ok ? {} : b.errors)) };
      return { ok: true, rows: built.map(b => saveRow(ctx, ep, (b as { value: Row }).value, undefined)) };
    }
    const rows: Row[] = [];
    const failures: Failure[] = [];
    items.forEach((item, index) => {
      const built = buildRow(ctx, ep, item, undefined, 'create');
      if (built.ok) rows.push(saveRow(ctx, ep, built.value, undefined));
      else failures.push({ index, errors: built.errors });
    });
    return failures.length > 0 ? failed(items.length, failures) : { ok: true, rows };
  });
}

interface Target {
  id: number;
  body: Record<string, unknown>;
}

/**
 * BulkOperationSerializer(many=True): a list of dicts, each with an integer `id`. Any malformed item fails the
 * whole request before an object is touched: 4.7 names each one, earlier versions list an error dict per item.
 */
function parseTargets(input: unknown, modern: boolean): Target[] | BulkOutcome {
  if (!Array.isArray(input)) {
    return {
      ok: false,
      status: 400,
      body: { non_field_errors: [`Expected a list of items but got type "${pyTypeName(input)}".`] },
    };
  }
  const targets: Target[] = [];
  const failures: Failure[] = [];
  const legacyErrors: FieldErrors[] = [];
  input.forEach((item, index) => {
    let errors: FieldErrors | undefined;
    if (!isPlainObject(item))
      errors = { non_field_errors: [`Invalid data. Expected a dictionary, but got ${pyTypeName(item)}.`] };
    else if (!Object.hasOwn(item, 'id')) errors = { id: ['This field is required.'] };
    else if (!/^\s*\d+\s*$/.test(String(item['id']))) errors = { id: ['A valid integer is required.'] };
    if (errors) failures.push({ index, errors });
    else targets.push({ id: Number((item as Record<string, unknown>)['id']), body: item as Record<string, unknown> });
    legacyErrors.push(errors ?? {});
  });
  if (failures.length === 0) return targets;
  return modern ? failed(input.length, failures) : { ok: false, status: 400, body: legacyErrors };
}

/** 4.7 handles the objects in request order; earlier versions in the model's ordering, skipping unknown ids. */
function processingOrder(ctx: WriteContext, ep: Endpoint, ids: number[], modern: boolean): number[] {
  if (modern) return ids;
  const found = ids.map(id => ctx.store.get(ep, id)).filter((r): r is Row => r !== undefined);
  return sortRows(ctx.store, ep, found).map(r => r.id);
}

function notFound(ep: Endpoint, id: number): Failure {
  return { id, errors: { id: [`No ${modelFor(ep).modelName} matches the given query.`] } };
}

export function bulkUpdate(
  ctx: WriteContext,
  ep: Endpoint,
  input: unknown,
  mode: 'update' | 'replace',
  version: string,
): BulkOutcome {
  const modern = versionAtLeast(version, '4.7');
  const targets = parseTargets(input, modern);
  if (!Array.isArray(targets)) return targets;
  // Later entries for the same id win, as NetBox maps the bodies by id.
  const byId = new Map(targets.map(t => [t.id, t.body]));
  return atomically(ctx, () => {
    const rows: Row[] = [];
    const failures: Failure[] = [];
    for (const id of processingOrder(ctx, ep, [...byId.keys()], modern)) {
      const row = ctx.store.get(ep, id);
      if (!row) {
        failures.push(notFound(ep, id));
        continue;
      }
      const built = buildRow(ctx, ep, byId.get(id), row, mode);
      if (built.ok) rows.push(saveRow(ctx, ep, built.value, row));
      else if (modern) failures.push({ id, errors: built.errors });
      else return { ok: false, status: 400, body: built.errors };
    }
    return failures.length > 0 ? failed(byId.size, failures) : { ok: true, rows };
  });
}

export function bulkDelete(ctx: WriteContext, ep: Endpoint, input: unknown, version: string): BulkOutcome {
  const modern = versionAtLeast(version, '4.7');
  const targets = parseTargets(input, modern);
  if (!Array.isArray(targets)) return targets;
  const ids = [...new Set(targets.map(t => t.id))];
  return atomically(ctx, () => {
    const failures: Failure[] = [];
    for (const id of processingOrder(ctx, ep, ids, modern)) {
      const row = ctx.store.get(ep, id);
      if (!row) {
        failures.push(notFound(ep, id));
        continue;
      }
      const message = changelogMessageOf(targets.find(t => t.id === id)?.body);
      ctx.changelogMessage = message.ok ? message.value : '';
      const blocked = deleteObject(ctx, ep, row);
      if (blocked === undefined) continue;
      if (!modern) return { ok: false, status: 409, body: { detail: blocked } };
      failures.push({ id, errors: { non_field_errors: [blocked] }, status: 409 });
    }
    return failures.length > 0 ? failed(ids.length, failures) : { ok: true, rows: [] };
  });
}
