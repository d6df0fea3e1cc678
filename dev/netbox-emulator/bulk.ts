/**
 * Bulk create / update / delete on list endpoints, all-or-none. NetBox 4.7 (netbox/api/viewsets/mixins.py)
 * validates every item against the state left by the items before it and reports each failure:
 * `{"detail": "N of M objects could not be created.", "errors": [{"index"|"id": …, "errors": {…}}]}`. Updates and
 * deletes first check the entries (`failed validation`, by index), then repeated ids (`are listed more than
 * once`), then unknown ids (`could not be found`, all of them, before any work), and only then work through the
 * objects in the model's ordering (`could not be updated` / `could not be deleted`, by id). Before 4.7 the shapes
 * differ: a create is validated as a DRF list (every item against the state
 * before the request; a list of per-item error dicts), an update or delete stops at the first failing object and
 * returns its bare error dict, and unknown ids are skipped silently.
 */
import { versionAtLeast } from './knobs.ts';
import { sortRows } from './paginate.ts';
import { isPlainObject } from './types.ts';
import type { Endpoint, FieldErrors, Row } from './types.ts';
import { pyTypeName } from './validate-fields.ts';
import { buildRow, changelogMessageOf, deleteObject, saveRow } from './write.ts';
import type { WriteContext } from './write.ts';

export type BulkOutcome = { ok: true; rows: Row[] } | { ok: false; status: number; body: unknown };

type Failure = ({ index: number } | { id: number }) & { errors: FieldErrors; status?: number };

type Verdict = 'failed validation' | 'could not be created' | 'could not be updated' | 'could not be deleted';

/** The 4.7 error body: `N of M objects <verdict>.` and one entry per failing object. */
function failed(total: number, failures: Failure[], verdict: Verdict): BulkOutcome {
  const status = failures.some(f => f.status === 409) ? 409 : 400;
  return {
    ok: false,
    status,
    body: {
      detail: `${failures.length} of ${total} objects ${verdict}.`,
      errors: failures.map(({ status: _s, ...rest }) => rest),
    },
  };
}

/** Ids named more than once (get_duplicate_objects_response), in order of first appearance. */
function duplicates(ids: number[]): BulkOutcome | undefined {
  const counts = new Map<number, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  const errors = [...counts]
    .filter(([, n]) => n > 1)
    .map(([id, n]) => ({
      id,
      errors: { id: [`Each object may be specified only once; ID ${id} is listed ${n} times`] },
    }));
  if (errors.length === 0) return undefined;
  return {
    ok: false,
    status: 400,
    body: { detail: `${errors.length} of ${ids.length} objects are listed more than once.`, errors },
  };
}

/** Ids that match no object (get_missing_objects_response), all of them, before anything is written. */
function missing(ctx: WriteContext, ep: Endpoint, ids: number[]): BulkOutcome | undefined {
  const errors = [...new Set(ids)]
    .filter(id => ctx.store.get(ep, id) === undefined)
    .map(id => ({ id, errors: { id: [`Object with ID ${id} does not exist`] } }));
  if (errors.length === 0) return undefined;
  return {
    ok: false,
    status: 400,
    body: { detail: `${errors.length} of ${ids.length} objects could not be found.`, errors },
  };
}

/** get_non_list_response: a bulk update or delete body that is not a list. */
function notAList(input: unknown): BulkOutcome {
  const empty =
    input === null || input === undefined || input === '' || (isPlainObject(input) && Object.keys(input).length === 0);
  const detail = empty
    ? 'Expected a list of objects, but no data was submitted.'
    : `Expected a list of objects, but got ${isPlainObject(input) ? 'dict' : pyTypeName(input)}.`;
  return { ok: false, status: 400, body: { detail } };
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
    return failures.length > 0 ? failed(items.length, failures, 'could not be created') : { ok: true, rows };
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
    if (modern) return notAList(input);
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
  return modern ? failed(input.length, failures, 'failed validation') : { ok: false, status: 400, body: legacyErrors };
}

/** The objects in the model's ordering (NetBox iterates `queryset.filter(pk__in=ids)`), unknown ids skipped. */
function processingOrder(ctx: WriteContext, ep: Endpoint, ids: number[]): number[] {
  const found = ids.map(id => ctx.store.get(ep, id)).filter((r): r is Row => r !== undefined);
  return sortRows(ctx.store, ep, found).map(r => r.id);
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
  const ids = targets.map(t => t.id);
  if (modern) {
    const refused = duplicates(ids) ?? missing(ctx, ep, ids);
    if (refused) return refused;
  }
  // Before 4.7 later entries for the same id win, as NetBox maps the bodies by id.
  const byId = new Map(targets.map(t => [t.id, t.body]));
  return atomically(ctx, () => {
    const rows: Row[] = [];
    const failures: Failure[] = [];
    for (const id of processingOrder(ctx, ep, [...byId.keys()])) {
      const row = ctx.store.get(ep, id);
      if (!row) continue;
      const built = buildRow(ctx, ep, byId.get(id), row, mode);
      if (built.ok) rows.push(saveRow(ctx, ep, built.value, row));
      else if (modern) failures.push({ id, errors: built.errors });
      else return { ok: false, status: 400, body: built.errors };
    }
    if (failures.length > 0) return failed(rows.length + failures.length, failures, 'could not be updated');
    return { ok: true, rows };
  });
}

export function bulkDelete(ctx: WriteContext, ep: Endpoint, input: unknown, version: string): BulkOutcome {
  const modern = versionAtLeast(version, '4.7');
  const targets = parseTargets(input, modern);
  if (!Array.isArray(targets)) return targets;
  const all = targets.map(t => t.id);
  if (modern) {
    const refused = duplicates(all) ?? missing(ctx, ep, all);
    if (refused) return refused;
  }
  const ids = [...new Set(all)];
  return atomically(ctx, () => {
    const failures: Failure[] = [];
    let total = 0;
    for (const id of processingOrder(ctx, ep, ids)) {
      const row = ctx.store.get(ep, id);
      if (!row) continue;
      total++;
      const message = changelogMessageOf(targets.find(t => t.id === id)?.body);
      ctx.changelogMessage = message.ok ? message.value : '';
      const blocked = deleteObject(ctx, ep, row);
      if (blocked === undefined) continue;
      if (!modern) return { ok: false, status: 409, body: { detail: blocked } };
      // The bulk form names only how many objects block it (the single-object 409 lists them).
      const n = /(\d+) dependent objects/.exec(blocked)?.[1] ?? '?';
      failures.push({
        id,
        errors: { __all__: [`Unable to delete: ${n} dependent object(s) prevent deletion.`] },
        status: 409,
      });
    }
    return failures.length > 0 ? failed(total, failures, 'could not be deleted') : { ok: true, rows: [] };
  });
}
