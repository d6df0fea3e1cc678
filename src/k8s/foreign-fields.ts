import { isRecord } from '../model/values.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import { formatPath } from '../plan/diff.ts';
import type { FieldDiff } from '../model/plan.ts';

/**
 * Fields someone else added to a pool of ours, which an update must remove. Server-side apply removes only fields
 * that no other manager owns: a `disabled: true` set with `kubectl edit` survives every apply of ours, so the plan
 * would find the same drift, and send the same update, every cycle for ever. These fields are removed with a merge
 * patch first. Fields only we own are left to apply, which drops them itself.
 */

/** Whether a managedFields FieldsV1 set holds the map path (`f:spec` → `f:disabled`). */
function holds(fields: unknown, path: readonly string[]): boolean {
  let node = fields;
  for (const key of path) {
    node = isRecord(node) ? node[`f:${key}`] : undefined;
    if (node === undefined) return false;
  }
  return true;
}

/**
 * Map paths under `spec` that the update's diff removes (absent from `desired`) and that a manager other than our
 * apply (as `fieldManager`) owns in `observed`. Paths into lists are left to apply: lists are replaced or merged by
 * their keys. The shared manager of older releases (`netbox-ippool-sync`) counts as another manager here.
 */
export function foreignRemovals(
  diff: readonly FieldDiff[],
  desired: K8sObject,
  observed: K8sObject,
  fieldManager: string,
): string[][] {
  const removed = new Set(diff.filter(d => d.to === undefined && d.from !== undefined).map(d => d.path));
  if (removed.size === 0) return [];
  const others = (observed.metadata.managedFields ?? [])
    .filter(isRecord)
    .filter(m => !(m.manager === fieldManager && m.operation === 'Apply'))
    .map(m => m.fieldsV1);
  const out: string[][] = [];
  const walk = (have: unknown, want: unknown, path: string[]): void => {
    if (!isRecord(have)) return;
    for (const key of Object.keys(have).sort()) {
      const at = [...path, key];
      const wanted = isRecord(want) ? want[key] : undefined;
      if (wanted !== undefined) walk(have[key], wanted, at);
      else if (removed.has(formatPath(at)) && others.some(f => holds(f, at))) out.push(at);
    }
  };
  walk(observed.spec, desired.spec, ['spec']);
  return out;
}

/** The merge patch that removes `paths`, conditional on `resourceVersion` when given. */
export function removalPatch(paths: readonly string[][], resourceVersion?: string): Record<string, unknown> {
  const patch: Record<string, unknown> = resourceVersion === undefined ? {} : { metadata: { resourceVersion } };
  for (const path of paths) {
    const leaf = path.at(-1);
    if (leaf === undefined) continue;
    let node = patch;
    for (const key of path.slice(0, -1)) {
      const child = node[key];
      const next: Record<string, unknown> = isRecord(child) ? child : {};
      node[key] = next;
      node = next;
    }
    node[leaf] = null;
  }
  return patch;
}

/** Deep union of two FieldsV1 sets. */
function unionFields(a: unknown, b: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = isRecord(a) ? { ...a } : {};
  if (!isRecord(b)) return out;
  for (const [k, v] of Object.entries(b)) out[k] = k in out ? unionFields(out[k], v) : v;
  return out;
}

/**
 * A create is a POST (it cannot overwrite anything, apply can), which the apiserver records as an `Update` by our
 * field manager. Server-side apply treats that entry as another manager: a field we later stop sending would stay,
 * owned by it. The managedFields of `observed` with that entry turned into (merged with) our `Apply` entry, as
 * client-go's csaupgrade does for kubectl; undefined when there is no such entry.
 */
export function upgradedManagedFields(observed: K8sObject, fieldManager: string): unknown[] | undefined {
  const entries = (observed.metadata.managedFields ?? []).filter(isRecord);
  const isCreate = (m: Record<string, unknown>): boolean =>
    m.manager === fieldManager && m.operation === 'Update' && (m.subresource ?? '') === '';
  const created = entries.find(isCreate);
  if (created === undefined) return undefined;
  const applied = entries.find(m => m.manager === fieldManager && m.operation === 'Apply');
  const merged = {
    ...created,
    ...(applied ?? {}),
    operation: 'Apply',
    fieldsType: 'FieldsV1',
    fieldsV1: unionFields(applied?.fieldsV1, created.fieldsV1),
  };
  return [...entries.filter(m => m !== created && m !== applied), merged];
}
