/**
 * NetBox's minimal object snapshots (utilities.serialization.serialize_object) as they appear in the change log
 * and in webhook `snapshots`: raw field values, related objects as ids, tag names sorted, custom field data raw,
 * timestamps in DjangoJSONEncoder form, no last_updated; a prefix's bookkeeping columns (`_depth`, …) included.
 */
import { customFieldsFor } from './custom-fields.ts';
import { prefixPositions } from './derived.ts';
import { modelFor } from './models.ts';
import { djangoJsonDateTime } from './pyfmt.ts';
import type { Store } from './store.ts';
import type { Endpoint, Row } from './types.ts';

export function snapshotOf(
  store: Store,
  ep: Endpoint,
  row: Row,
  opts: { prefixBookkeeping?: boolean } = {},
): Record<string, unknown> {
  const model = modelFor(ep);
  // NetBoxModel.snapshot() leaves last_updated out (CHANGELOG_SKIP_EMPTY_CHANGES, on by default).
  const out: Record<string, unknown> = { created: djangoJsonDateTime(row.created) };
  for (const field of model.fields) {
    if (field.kind === 'tags' || field.kind === 'custom_fields') continue;
    out[field.name] = row[field.name] ?? null;
  }
  if (ep === 'ipam/ip-ranges') out['size'] = row['size'];
  if (ep === 'ipam/prefixes' && opts.prefixBookkeeping !== false) {
    // Prefix's own bookkeeping columns are model fields too: depth and children counts, and the cached scope.
    const pos = prefixPositions(store).get(row.id) ?? { depth: 0, children: 0 };
    Object.assign(out, { _children: pos.children, _depth: pos.depth });
    Object.assign(out, { _location: null, _region: null, _site: null, _site_group: null });
  }
  if (model.customFields) {
    const known = new Set(customFieldsFor(store, model.objectType).map(d => String(d['name'])));
    const data = (row['custom_fields'] as Record<string, unknown> | undefined) ?? {};
    out['custom_fields'] = Object.fromEntries(Object.entries(data).filter(([k]) => known.has(k)));
  }
  if (model.taggable) {
    out['tags'] = ((row['tags'] as number[] | undefined) ?? [])
      .map(id => store.get('extras/tags', id)?.['name'])
      .filter((n): n is string => typeof n === 'string')
      .sort();
  }
  return out;
}
