/**
 * `cf_<name>[__lookup]` filters: text fields match loosely (icontains) or exactly per the field's filter_logic,
 * numbers compare, booleans match, selects match the raw value, multiselects contain it. Fields with
 * filter_logic "disabled", unknown names and JSON fields are not filters (ignored, like any unknown filter).
 */
import { customFieldsFor } from './custom-fields.ts';
import {
  NUMBER_LOOKUPS,
  STRING_LOOKUPS,
  boolFilter,
  dateFilter,
  emptyFilter,
  numberFilter,
  stringFilter,
} from './filter-lookups.ts';
import type { FilterOutcome } from './filter-lookups.ts';
import { modelFor } from './models.ts';
import type { Store } from './store.ts';
import type { Endpoint, Row } from './types.ts';

export function customFieldFilter(store: Store, ep: Endpoint, param: string, values: string[]): FilterOutcome {
  const model = modelFor(ep);
  if (!model.customFields) return undefined;
  const rest = param.slice(3);
  const defs = customFieldsFor(store, model.objectType);
  let def = defs.find(d => d['name'] === rest);
  let lookup = '';
  if (!def) {
    const i = rest.lastIndexOf('__');
    if (i <= 0) return undefined;
    def = defs.find(d => d['name'] === rest.slice(0, i));
    lookup = rest.slice(i + 2);
  }
  if (!def || def['filter_logic'] === 'disabled') return undefined;
  const name = String(def['name']);
  const get = (r: Row) => ((r['custom_fields'] as Record<string, unknown> | undefined) ?? {})[name] ?? null;
  switch (def['type']) {
    case 'text':
    case 'longtext':
    case 'url': {
      if (!STRING_LOOKUPS.includes(lookup) && lookup !== '') return undefined;
      const effective = lookup === '' && def['filter_logic'] === 'loose' ? 'ic' : lookup;
      return stringFilter(get, effective, values);
    }
    case 'select':
      return STRING_LOOKUPS.includes(lookup) || lookup === '' ? stringFilter(get, lookup, values) : undefined;
    case 'integer':
    case 'decimal':
    case 'object':
      return NUMBER_LOOKUPS.includes(lookup) || lookup === '' ? numberFilter(get, lookup, values) : undefined;
    case 'boolean':
      return lookup === '' ? boolFilter(get, values) : lookup === 'empty' ? emptyFilter(get, values) : undefined;
    case 'date':
    case 'datetime':
      return NUMBER_LOOKUPS.includes(lookup) || lookup === '' ? dateFilter(get, lookup, values) : undefined;
    case 'multiselect':
    case 'multiobject': {
      if (lookup === 'empty') return emptyFilter(get, values);
      if (lookup !== '' && lookup !== 'n') return undefined;
      const has = (r: Row) => {
        const list = get(r);
        return Array.isArray(list) && values.some(v => list.map(String).includes(v));
      };
      return { predicate: r => (lookup === 'n' ? !has(r) : has(r)) };
    }
    default:
      return undefined;
  }
}
