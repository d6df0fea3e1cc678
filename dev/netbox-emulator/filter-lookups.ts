/** The value tests behind each filter kind: django-filter lookups, choice and related-object validation. */
import type { Choices } from './choices.ts';
import { parseDateTimeMicros } from './pyfmt.ts';
import type { Store } from './store.ts';
import { text } from './types.ts';
import type { Endpoint, Row } from './types.ts';

export type Predicate = (row: Row) => boolean;
/**
 * `candidates`, when a filter can name them from an index, is a superset of the rows it matches: the listing then
 * tests only those instead of every row (as PostgreSQL would use its index). The predicate still decides.
 */
export type FilterOutcome = { predicate: Predicate; candidates?: () => Row[] } | { error: string[] } | undefined;

export const STRING_LOOKUPS = ['n', 'ic', 'nic', 'isw', 'nisw', 'iew', 'niew', 'ie', 'nie', 'regex', 'iregex', 'empty'];
export const NUMBER_LOOKUPS = ['n', 'gt', 'gte', 'lt', 'lte', 'empty'];

export function invalidChoice(v: string): string {
  return `Select a valid choice. ${v} is not one of the available choices.`;
}

export function stringMatch(have: unknown, lookup: string, v: string): boolean {
  const s = text(have);
  const [a, b] = [s.toLowerCase(), v.toLowerCase()];
  switch (lookup) {
    case '':
      return have !== null && have !== undefined && s === v;
    case 'n':
      return !(have !== null && have !== undefined && s === v);
    case 'ic':
      return a.includes(b);
    case 'nic':
      return !a.includes(b);
    case 'isw':
      return a.startsWith(b);
    case 'nisw':
      return !a.startsWith(b);
    case 'iew':
      return a.endsWith(b);
    case 'niew':
      return !a.endsWith(b);
    case 'ie':
      return a === b;
    case 'nie':
      return a !== b;
    case 'regex':
      return safeRegex(v, '')?.test(s) ?? false;
    case 'iregex':
      return safeRegex(v, 'i')?.test(s) ?? false;
    default:
      return false;
  }
}

function safeRegex(source: string, flags: string): RegExp | undefined {
  try {
    return new RegExp(source, flags);
  } catch (err) {
    // PostgreSQL would answer an invalid pattern with an error; an empty match keeps the emulator up.
    void err;
    return undefined;
  }
}

export function isEmptyValue(v: unknown): boolean {
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

export function emptyFilter(get: (r: Row) => unknown, values: string[]): FilterOutcome {
  const want = values[0]?.toLowerCase() === 'true';
  return { predicate: r => isEmptyValue(get(r)) === want };
}

export function stringFilter(get: (r: Row) => unknown, lookup: string, values: string[]): FilterOutcome {
  if (lookup === 'empty') return emptyFilter(get, values);
  const negated = lookup.startsWith('n') && lookup !== '';
  const match = (r: Row) => values.map(v => stringMatch(get(r), lookup, v));
  return { predicate: r => (negated ? match(r).every(Boolean) : match(r).some(Boolean)) };
}

export function numberFilter(get: (r: Row) => unknown, lookup: string, values: string[]): FilterOutcome {
  if (lookup === 'empty') return emptyFilter(get, values);
  const nums = values.map(Number);
  if (nums.some(n => Number.isNaN(n))) return { error: ['Enter a number.'] };
  return { predicate: r => compareLookup(get(r), lookup, nums) };
}

function compareLookup(have: unknown, lookup: string, wants: (number | bigint)[]): boolean {
  if (typeof have !== 'number' && typeof have !== 'bigint') return lookup === 'n';
  const test = (w: number | bigint): boolean => {
    switch (lookup) {
      case 'gt':
        return have > w;
      case 'gte':
        return have >= w;
      case 'lt':
        return have < w;
      case 'lte':
        return have <= w;
      default:
        return have == w;
    }
  };
  return lookup === 'n' ? !wants.some(test) : wants.some(test);
}

export function dateFilter(get: (r: Row) => unknown, lookup: string, values: string[]): FilterOutcome {
  if (lookup === 'empty') return emptyFilter(get, values);
  const wants = values.map(parseDateTimeMicros);
  if (wants.some(w => w === undefined)) return { error: ['Enter a valid date/time.'] };
  const micros = (r: Row) => {
    const v = get(r);
    return typeof v === 'string' ? parseDateTimeMicros(v) : undefined;
  };
  return { predicate: r => compareLookup(micros(r), lookup, wants as bigint[]) };
}

export function boolFilter(get: (r: Row) => unknown, values: string[]): FilterOutcome {
  const v = (values[0] ?? '').toLowerCase();
  const want = ['true', '1', 'yes', 'on'].includes(v) ? true : ['false', '0', 'no', 'off'].includes(v) ? false : null;
  return want === null ? undefined : { predicate: r => get(r) === want };
}

export function choiceFilter(
  get: (r: Row) => unknown,
  choices: Choices,
  negate: boolean,
  values: string[],
): FilterOutcome {
  const bad = values.find(v => v !== 'null' && !choices.some(([c]) => c === v));
  if (bad !== undefined) return { error: [invalidChoice(bad)] };
  const hit = (r: Row) => values.some(v => (v === 'null' ? isEmptyValue(get(r)) : get(r) === v));
  return { predicate: r => (negate ? !hit(r) : hit(r)) };
}

/** `role=<slug>` / `role_id=<id>` style filters; `null` selects objects without one. */
export function relatedFilter(
  store: Store,
  def: { field: string; target: Endpoint; by: 'id' | 'slug' | 'rd' | 'name' },
  negate: boolean,
  values: string[],
): FilterOutcome {
  const ids: (number | null)[] = [];
  for (const v of values) {
    if (v === 'null') {
      ids.push(null);
      continue;
    }
    if (def.by === 'id' && !/^\s*-?\d+\s*$/.test(v)) return { error: [`“${v}” is not a valid value.`] };
    const target = store.all(def.target).find(t => {
      if (def.by === 'id') return t.id === Number(v);
      // Route distinguishers use a case-insensitive collation in NetBox; slugs and names compare exactly.
      const have = text(t[def.by]);
      return def.by === 'rd' ? have.toLowerCase() === v.toLowerCase() : have === v;
    });
    if (!target) return { error: [invalidChoice(v)] };
    ids.push(target.id);
  }
  const hit = (r: Row) => ids.some(id => (r[def.field] ?? null) === id);
  return { predicate: r => (negate ? !hit(r) : hit(r)) };
}
