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
  const addressFields =
    model === 'prefix' ? ['prefix'] : model === 'ip-range' ? ['start_address', 'end_address'] : ['address'];
  for (const field of addressFields) {
    if (typeof o[field] !== 'string') return { field, reason: `expected ${field} as text, got ${kindOf(o[field])}` };
  }
  const tags = o['tags'];
  if (!Array.isArray(tags) || !tags.every(t => isRecord(t) && typeof t['slug'] === 'string')) {
    return { field: 'tags', reason: `expected a list of tags with slugs, got ${kindOf(tags)}` };
  }
  const vrf = o['vrf'];
  if (!isAbsent(vrf) && !(isBrief(vrf) && typeof vrf['name'] === 'string' && optionalText(vrf['rd']))) {
    return { field: 'vrf', reason: `expected a VRF with id and name, or none, got ${kindOf(vrf)}` };
  }
  const tenant = o['tenant'];
  if (!isAbsent(tenant) && !(isBrief(tenant) && optionalText(tenant['name']) && optionalText(tenant['slug']))) {
    return { field: 'tenant', reason: `expected a tenant with an id, or none, got ${kindOf(tenant)}` };
  }
  // An IP address's role is a choice, read tolerantly where it is used; a prefix or range role is an ipam.Role.
  const role = o['role'];
  if (model !== 'ip-address' && !isAbsent(role) && !(isRecord(role) && typeof role['slug'] === 'string')) {
    return { field: 'role', reason: `expected a role with a slug, or none, got ${kindOf(role)}` };
  }
  const cf = o['custom_fields'];
  if (!isAbsent(cf) && !isRecord(cf)) {
    return { field: 'custom_fields', reason: `expected custom fields as a mapping, got ${kindOf(cf)}` };
  }
  return undefined;
}

function isAbsent(v: unknown): boolean {
  return v === null || v === undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
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
