/**
 * django-filter semantics for list queries: repeated parameters OR (tags AND), `__n`/`__ic`/... lookups,
 * `null` for empty foreign keys, and NetBox's 400 for values that name no object or choice. Unknown parameter
 * names are ignored, as NetBox does.
 */
import { customFieldFilter } from './filters-custom-fields.ts';
import { FILTER_SPECS } from './filters-specs.ts';
import type { FilterDef } from './filters-specs.ts';
import {
  NUMBER_LOOKUPS,
  STRING_LOOKUPS,
  boolFilter,
  choiceFilter,
  dateFilter,
  numberFilter,
  relatedFilter,
  stringFilter,
} from './filter-lookups.ts';
import type { FilterOutcome, Predicate } from './filter-lookups.ts';
import type { Store } from './store.ts';
import { ApiError } from './types.ts';
import type { Endpoint, FieldErrors, Row } from './types.ts';

/** Query parameters that are not filters. */
const RESERVED = new Set(['limit', 'offset', 'ordering', 'brief', 'fields', 'omit', 'format', 'start', 'exclude']);

function splitLookup(param: string): { base: string; lookup: string } {
  const i = param.lastIndexOf('__');
  if (i <= 0) return { base: param, lookup: '' };
  return { base: param.slice(0, i), lookup: param.slice(i + 2) };
}

/** Applies every filter in `params` to `rows`; throws a 400 ApiError listing every bad filter value. */
export function applyFilters(store: Store, ep: Endpoint, rows: Row[], params: URLSearchParams): Row[] {
  const errors: FieldErrors = {};
  const predicates: Predicate[] = [];
  let narrowest: Row[] | undefined;
  const defs = FILTER_SPECS[ep];
  for (const param of new Set(params.keys())) {
    if (RESERVED.has(param)) continue;
    const values = params.getAll(param).filter(v => v !== '');
    if (values.length === 0) continue;
    const outcome = param.startsWith('cf_')
      ? customFieldFilter(store, ep, param, values)
      : filterFor(store, defs, param, values);
    if (!outcome) continue;
    if ('error' in outcome) errors[param] = outcome.error;
    else {
      predicates.push(outcome.predicate);
      const candidates = outcome.candidates?.();
      if (candidates !== undefined && (narrowest === undefined || candidates.length < narrowest.length)) {
        narrowest = candidates;
      }
    }
  }
  if (Object.keys(errors).length > 0) throw new ApiError(400, errors);
  // Candidates come from the store, so they stand in for `rows` only when those are the whole table (as listings
  // pass them); in id order, the order of store.all().
  if (narrowest !== undefined && rows.length === store.count(ep)) rows = [...narrowest].sort((a, b) => a.id - b.id);
  return predicates.length === 0 ? rows : rows.filter(r => predicates.every(p => p(r)));
}

function filterFor(store: Store, defs: readonly FilterDef[], param: string, values: string[]): FilterOutcome {
  const exact = defs.find(d => d.param === param);
  if (exact) return build(store, exact, '', values);
  const { base, lookup } = splitLookup(param);
  const def = defs.find(d => d.param === base);
  return def ? build(store, def, lookup, values) : undefined;
}

function build(store: Store, def: FilterDef, lookup: string, values: string[]): FilterOutcome {
  switch (def.kind) {
    case 'custom':
      return lookup === '' ? def.build(store, values) : undefined;
    case 'string':
      return STRING_LOOKUPS.includes(lookup) || lookup === '' ? stringFilter(def.get, lookup, values) : undefined;
    case 'number':
      return NUMBER_LOOKUPS.includes(lookup) || lookup === ''
        ? numberFilter(r => def.get(r, store), lookup, values)
        : undefined;
    case 'datetime':
      return NUMBER_LOOKUPS.includes(lookup) || lookup === '' ? dateFilter(def.get, lookup, values) : undefined;
    case 'bool':
      return lookup === '' ? boolFilter(def.get, values) : undefined;
    case 'choice':
      if (lookup === '' || lookup === 'n') return choiceFilter(def.get, def.choices, lookup === 'n', values);
      return STRING_LOOKUPS.includes(lookup) ? stringFilter(def.get, lookup, values) : undefined;
    case 'related':
      return lookup === '' || lookup === 'n' ? relatedFilter(store, def, lookup === 'n', values) : undefined;
  }
}
