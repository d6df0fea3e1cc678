/** Which filters each endpoint understands (the subset of NetBox's filtersets the emulator implements). */
import {
  CF_TYPES,
  EVENT_TYPES,
  FILTER_LOGIC,
  HTTP_METHODS,
  IP_ROLE,
  IP_STATUS,
  JOURNAL_KIND,
  PREFIX_STATUS,
  RANGE_STATUS,
} from './choices.ts';
import type { Choices } from './choices.ts';
import { prefixPositions } from './derived.ts';
import type { FilterOutcome } from './filter-lookups.ts';
import {
  addressIn,
  familyFilter,
  inetField,
  maskLength,
  parentFilter,
  prefixContains,
  prefixExact,
  prefixSearch,
  rangeContains,
  tagFilter,
  textSearch,
  within,
} from './filters-ipam.ts';
import type { Store } from './store.ts';
import type { Endpoint, Row } from './types.ts';

export type FilterDef =
  | { param: string; kind: 'string' | 'datetime' | 'bool'; get: (r: Row) => unknown }
  | { param: string; kind: 'number'; get: (r: Row, store: Store) => unknown }
  | { param: string; kind: 'choice'; get: (r: Row) => unknown; choices: Choices }
  | { param: string; kind: 'related'; field: string; target: Endpoint; by: 'id' | 'slug' | 'rd' | 'name' }
  | { param: string; kind: 'custom'; build: (store: Store, values: string[]) => FilterOutcome };

const field = (r: Row, f: string) => r[f];
const str = (param: string, f = param): FilterDef => ({ param, kind: 'string', get: r => field(r, f) });
const num = (param: string, f = param): FilterDef => ({ param, kind: 'number', get: r => field(r, f) });
const bool = (param: string): FilterDef => ({ param, kind: 'bool', get: r => field(r, param) });
const choice = (param: string, choices: Choices): FilterDef => ({
  param,
  kind: 'choice',
  get: r => field(r, param),
  choices,
});
const custom = (param: string, build: (store: Store, values: string[]) => FilterOutcome): FilterDef => ({
  param,
  kind: 'custom',
  build,
});
/** `<name>_id` by id and `<name>` by a natural key (slug, RD, name), each with `__n`. */
const related = (name: string, target: Endpoint, by: 'slug' | 'rd' | 'name'): FilterDef[] => [
  { param: `${name}_id`, kind: 'related', field: name, target, by: 'id' },
  { param: name, kind: 'related', field: name, target, by },
];

const BASE: FilterDef[] = [
  num('id'),
  { param: 'created', kind: 'datetime', get: r => r.created },
  { param: 'last_updated', kind: 'datetime', get: r => r.last_updated },
];

const TAGS: FilterDef[] = [
  custom('tag', (s, v) => tagFilter(s, 'slug', 'all', v)),
  custom('tag__n', (s, v) => tagFilter(s, 'slug', 'none', v)),
  custom('tag__any', (s, v) => tagFilter(s, 'slug', 'any', v)),
  custom('tag_id', (s, v) => tagFilter(s, 'id', 'all', v)),
  custom('tag_id__n', (s, v) => tagFilter(s, 'id', 'none', v)),
  custom('tag_id__any', (s, v) => tagFilter(s, 'id', 'any', v)),
];

const ORGANISATIONAL: FilterDef[] = [...BASE, ...TAGS, str('name'), str('slug'), str('description')];
const nameSearch = custom('q', (_s, v) => textSearch(['name', 'slug', 'description'])(v));
const containsValue = (param: string, f: string): FilterDef =>
  custom(param, (_s, v) => ({ predicate: r => v.some(x => ((r[f] as string[] | undefined) ?? []).includes(x)) }));

const prefix = inetField('prefix');
const start = inetField('start_address');
const end = inetField('end_address');
const address = inetField('address');

const IP_COMMON: FilterDef[] = [
  ...BASE,
  ...TAGS,
  str('description'),
  ...related('vrf', 'ipam/vrfs', 'rd'),
  ...related('tenant', 'tenancy/tenants', 'slug'),
  { param: 'present_in_vrf_id', kind: 'related', field: 'vrf', target: 'ipam/vrfs', by: 'id' },
];

const maskLengths = (get: ReturnType<typeof inetField>): FilterDef[] =>
  ['', '__gte', '__lte'].map(suffix => custom(`mask_length${suffix}`, (_s, v) => maskLength(get, suffix.slice(2), v)));

export const FILTER_SPECS: Record<Endpoint, readonly FilterDef[]> = {
  'ipam/prefixes': [
    ...IP_COMMON,
    choice('status', PREFIX_STATUS),
    ...related('role', 'ipam/roles', 'slug'),
    bool('is_pool'),
    bool('mark_utilized'),
    custom('prefix', (_s, v) => prefixExact(prefix, v)),
    custom('family', (_s, v) => familyFilter(prefix, v)),
    custom('within', (_s, v) => within(prefix, v, false)),
    custom('within_include', (_s, v) => within(prefix, v, true)),
    custom('contains', (_s, v) => prefixContains(prefix, v)),
    ...maskLengths(prefix),
    { param: 'children', kind: 'number', get: (r, s) => prefixPositions(s).get(r.id)?.children },
    { param: 'depth', kind: 'number', get: (r, s) => prefixPositions(s).get(r.id)?.depth },
    custom('q', (_s, v) => prefixSearch(v)),
  ],
  'ipam/ip-ranges': [
    ...IP_COMMON,
    choice('status', RANGE_STATUS),
    ...related('role', 'ipam/roles', 'slug'),
    bool('mark_populated'),
    bool('mark_utilized'),
    num('size'),
    custom('start_address', (_s, v) => addressIn(start, v)),
    custom('end_address', (_s, v) => addressIn(end, v)),
    custom('family', (_s, v) => familyFilter(start, v)),
    custom('contains', (_s, v) => rangeContains(v)),
    custom('parent', (_s, v) => parentFilter([start, end], v)),
    custom('q', (_s, v) => textSearch(['description'], ['start_address', 'end_address'])(v)),
  ],
  'ipam/ip-addresses': [
    ...IP_COMMON,
    choice('status', IP_STATUS),
    choice('role', IP_ROLE),
    str('dns_name'),
    custom('address', (s, v) => addressIn(address, v, s)),
    custom('parent', (_s, v) => parentFilter([address], v)),
    custom('family', (_s, v) => familyFilter(address, v)),
    ...maskLengths(address),
    num('nat_inside_id', 'nat_inside'),
    custom('q', (_s, v) => textSearch(['dns_name', 'description'], ['address'])(v)),
  ],
  'ipam/roles': [...ORGANISATIONAL, num('weight'), nameSearch],
  'ipam/vrfs': [
    ...BASE,
    ...TAGS,
    str('name'),
    str('rd'),
    str('description'),
    bool('enforce_unique'),
    ...related('tenant', 'tenancy/tenants', 'slug'),
    custom('q', (_s, v) => textSearch(['name', 'rd', 'description'])(v)),
  ],
  'tenancy/tenants': [...ORGANISATIONAL, nameSearch],
  'extras/tags': [
    ...BASE,
    str('name'),
    str('slug'),
    str('color'),
    str('description'),
    num('weight'),
    containsValue('object_types', 'object_types'),
    nameSearch,
  ],
  'extras/custom-field-choice-sets': [
    ...BASE,
    str('name'),
    str('description'),
    custom('q', (_s, v) => textSearch(['name', 'description'])(v)),
  ],
  'extras/custom-fields': [
    ...BASE,
    str('name'),
    str('label'),
    str('group_name'),
    str('description'),
    choice('type', CF_TYPES),
    choice('filter_logic', FILTER_LOGIC),
    bool('required'),
    num('weight'),
    containsValue('object_type', 'object_types'),
    ...related('choice_set', 'extras/custom-field-choice-sets', 'name'),
    custom('q', (_s, v) => textSearch(['name', 'label', 'description'])(v)),
  ],
  'extras/journal-entries': [
    ...BASE,
    ...TAGS,
    str('assigned_object_type'),
    num('assigned_object_id'),
    num('created_by'),
    choice('kind', JOURNAL_KIND),
    custom('q', (_s, v) => textSearch(['comments'])(v)),
  ],
  'extras/webhooks': [
    ...BASE,
    ...TAGS,
    str('name'),
    str('payload_url'),
    choice('http_method', HTTP_METHODS),
    str('http_content_type'),
    str('description'),
    custom('q', (_s, v) => textSearch(['name', 'payload_url', 'description'])(v)),
  ],
  'extras/event-rules': [
    ...BASE,
    ...TAGS,
    str('name'),
    bool('enabled'),
    str('description'),
    str('action_object_type'),
    num('action_object_id'),
    str('action_type'),
    containsValue('object_type', 'object_types'),
    custom('event_type', (_s, v) => {
      const bad = v.find(x => !EVENT_TYPES.some(([c]) => c === x));
      if (bad !== undefined) return { error: [`Select a valid choice. ${bad} is not one of the available choices.`] };
      return { predicate: r => v.some(x => ((r['event_types'] as string[] | undefined) ?? []).includes(x)) };
    }),
    custom('q', (_s, v) => textSearch(['name', 'description'])(v)),
  ],
};
