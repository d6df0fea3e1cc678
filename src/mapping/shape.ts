import { isRecord } from '../model/values.ts';
import type { NetBoxModel } from '../model/issue.ts';

/**
 * The structure the mapping relies on in a NetBox row, checked before anything reads it. The client does not
 * validate response bodies, so a proxy, a plugin or an API change can hand us `tags: {}` or `vrf: "blue"`; such a
 * row must become an issue on that object, never a TypeError that stops the whole sync. Values inside custom
 * fields and the address text itself are judged later, by the readers that know what they should hold.
 */

export interface ShapeProblem {
  field: string;
  reason: string;
}

/** The first structural problem of a prefix, IP range or IP address row, or undefined when it is readable. */
export function shapeProblem(model: NetBoxModel, row: object): ShapeProblem | undefined {
  const o = row as Record<string, unknown>;
  for (const rule of rulesFor(model)) {
    const value = o[rule.field];
    if (!rule.valid(value)) return { field: rule.field, reason: `expected ${rule.expected}, got ${kindOf(value)}` };
  }
  return undefined;
}

interface FieldRule {
  field: string;
  /** What the field should hold, as the problem says it: `expected <expected>, got …`. */
  expected: string;
  valid(value: unknown): boolean;
}

const ADDRESS_FIELDS: Record<NetBoxModel, string[]> = {
  prefix: ['prefix'],
  'ip-range': ['start_address', 'end_address'],
  'ip-address': ['address'],
};

const RELATIONS: FieldRule[] = [
  {
    field: 'tags',
    expected: 'a list of tags with slugs',
    valid: v => Array.isArray(v) && v.every(t => isRecord(t) && typeof t['slug'] === 'string'),
  },
  {
    field: 'vrf',
    expected: 'a VRF with id and name, or none',
    valid: v => isAbsent(v) || (isBrief(v) && typeof v['name'] === 'string' && optionalText(v['rd'])),
  },
  {
    field: 'tenant',
    expected: 'a tenant with an id, or none',
    valid: v => isAbsent(v) || (isBrief(v) && optionalText(v['name']) && optionalText(v['slug'])),
  },
];

// An IP address's role is a choice, read tolerantly where it is used; a prefix or range role is an ipam.Role.
const ROLE: FieldRule = {
  field: 'role',
  expected: 'a role with a slug, or none',
  valid: v => isAbsent(v) || (isRecord(v) && typeof v['slug'] === 'string'),
};

const CUSTOM_FIELDS: FieldRule = {
  field: 'custom_fields',
  expected: 'custom fields as a mapping',
  valid: v => isAbsent(v) || isRecord(v),
};

/** The checks for one model, in the order their problems are reported. */
function rulesFor(model: NetBoxModel): FieldRule[] {
  const address = ADDRESS_FIELDS[model].map((field): FieldRule => ({
    field,
    expected: `${field} as text`,
    valid: v => typeof v === 'string',
  }));
  return [...address, ...RELATIONS, ...(model === 'ip-address' ? [] : [ROLE]), CUSTOM_FIELDS];
}

function isAbsent(v: unknown): boolean {
  return v === null || v === undefined;
}

function isBrief(v: unknown): v is Record<string, unknown> {
  return isRecord(v) && Number.isSafeInteger(v['id']);
}

function optionalText(v: unknown): boolean {
  return v === undefined || v === null || typeof v === 'string';
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object of another shape';
  if (typeof v === 'string') return `text "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  return typeof v;
}
