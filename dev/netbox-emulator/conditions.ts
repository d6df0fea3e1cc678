/**
 * Event rule conditions (NetBox ConditionSet): `{"and"|"or": [rule, ...]}` where a rule is a nested set or
 * `{"attr": "status.value", "value": …, "op": "eq|gt|gte|lt|lte|in|contains|regex", "negate": bool}`.
 */
import { isPlainObject } from './types.ts';

function valueAt(data: unknown, path: string): unknown {
  let cur: unknown = data;
  for (const part of path.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

function compare(have: unknown, op: string, want: unknown): boolean {
  switch (op) {
    case 'eq':
      return JSON.stringify(have) === JSON.stringify(want);
    case 'gt':
      return typeof have === 'number' && typeof want === 'number' && have > want;
    case 'gte':
      return typeof have === 'number' && typeof want === 'number' && have >= want;
    case 'lt':
      return typeof have === 'number' && typeof want === 'number' && have < want;
    case 'lte':
      return typeof have === 'number' && typeof want === 'number' && have <= want;
    case 'in':
      return Array.isArray(want) && want.some(w => JSON.stringify(w) === JSON.stringify(have));
    case 'contains':
      if (Array.isArray(have)) return have.some(h => JSON.stringify(h) === JSON.stringify(want));
      return typeof have === 'string' && typeof want === 'string' && have.includes(want);
    case 'regex':
      return typeof have === 'string' && typeof want === 'string' && new RegExp(want).test(have);
    default:
      return false;
  }
}

/** True when the conditions are absent or hold for `data`. */
export function conditionsHold(conditions: unknown, data: unknown): boolean {
  if (conditions === null || conditions === undefined) return true;
  if (!isPlainObject(conditions)) return false;
  const logic = Object.keys(conditions)[0]?.toLowerCase();
  if (logic === 'and' || logic === 'or') {
    const rules = Object.values(conditions)[0];
    if (!Array.isArray(rules)) return false;
    const results = rules.map(r => conditionsHold(r, data));
    return logic === 'and' ? results.every(Boolean) : results.some(Boolean);
  }
  const attr = conditions['attr'];
  if (typeof attr !== 'string') return false;
  const op = typeof conditions['op'] === 'string' ? conditions['op'] : 'eq';
  const result = compare(valueAt(data, attr), op, conditions['value']);
  return conditions['negate'] === true ? !result : result;
}
