/**
 * REST representations as NetBox 4.7 returns them: field order of the real serializers, nested brief objects
 * for related objects, NestedTag lists, {value,label} choices, absolute URLs (relative in webhook bodies).
 */
import { CHOICES_BY_FIELD } from './choices.ts';
import { customFieldsFor, readCustomFields } from './custom-fields.ts';
import { countOf, prefixPositions, rangeName, reverseIds, vrfName } from './derived.ts';
import { parseInet } from './ipnet.ts';
import { modelByObjectType, modelFor } from './models.ts';
import { representExtras } from './serialize-extras.ts';
import type { Store } from './store.ts';
import { text } from './types.ts';
import type { Endpoint, Row } from './types.ts';

export interface ReprContext {
  store: Store;
  /** Origin for absolute URLs (`http://host:port`), '' for the relative URLs of webhook bodies. */
  base: string;
  /** 4.7+ reads select custom fields as {value,label}. */
  selectAsObjects: boolean;
  /** Per-request memo of nested brief objects. */
  memo: Map<string, Record<string, unknown>>;
}

export function reprContext(store: Store, base: string, selectAsObjects: boolean): ReprContext {
  return { store, base, selectAsObjects, memo: new Map() };
}

export function urlOf(ctx: ReprContext, ep: Endpoint, id: number): string {
  return `${ctx.base}/api/${ep}/${id}/`;
}

function displayUrl(ctx: ReprContext, ep: Endpoint, id: number): string {
  return `${ctx.base}/${modelFor(ep).uiPath}/${id}/`;
}

/** `str(obj)`, which NetBox returns as `display`. */
export function displayOf(store: Store, ep: Endpoint, row: Row): string {
  switch (ep) {
    case 'ipam/prefixes':
      return String(row['prefix']);
    case 'ipam/ip-addresses':
      return String(row['address']);
    case 'ipam/ip-ranges':
      return rangeName(String(row['start_address']), String(row['end_address']));
    case 'ipam/vrfs':
      return vrfName(row);
    case 'extras/custom-fields': {
      const label = text(row['label']);
      if (label !== '') return label;
      const words = String(row['name']).replace(/_/g, ' ');
      return words.charAt(0).toUpperCase() + words.slice(1).toLowerCase();
    }
    case 'extras/journal-entries': {
      const kind = CHOICES_BY_FIELD.kind?.find(([v]) => v === row['kind'])?.[1] ?? '';
      return `${row.created.slice(0, 10)} ${row.created.slice(11, 16)} (${kind})`;
    }
    default:
      void store;
      return String(row['name']);
  }
}

function choice(field: string, value: unknown): { value: unknown; label: string } | null {
  if (value === null || value === undefined || value === '') return null;
  const label = CHOICES_BY_FIELD[field]?.find(([v]) => v === value)?.[1] ?? '';
  return { value, label };
}

function family(text: unknown): { value: number; label: string } | null {
  const inet = typeof text === 'string' ? parseInet(text) : undefined;
  return inet ? { value: inet.family, label: inet.family === 4 ? 'IPv4' : 'IPv6' } : null;
}

/**
 * Brief representation of an object (`?brief=true` lists), or null. Related-object counts (`prefix_count`, …) are
 * annotations of the list's queryset in NetBox; objects nested in another object's representation lack them, so
 * `nested` leaves them out (role and VRF inside a prefix: no counts).
 */
export function brief(
  ctx: ReprContext,
  ep: Endpoint,
  id: unknown,
  mode: 'brief' | 'nested' = 'brief',
): Record<string, unknown> | null {
  if (typeof id !== 'number') return null;
  const key = `${mode}:${ep}:${id}`;
  const hit = ctx.memo.get(key);
  if (hit) return hit;
  const row = ctx.store.get(ep, id);
  if (!row) return null;
  const full = represent(ctx, ep, row);
  const fields = modelFor(ep).briefFields.filter(f => mode === 'brief' || !ANNOTATED_COUNTS.has(f));
  const out = pick(full, fields);
  ctx.memo.set(key, out);
  return out;
}

const ANNOTATED_COUNTS = new Set(['prefix_count', 'vlan_count', 'asn_count']);

/** A related object inside another object's representation. */
export function nested(ctx: ReprContext, ep: Endpoint, id: unknown): Record<string, unknown> | null {
  return brief(ctx, ep, id, 'nested');
}

export function pick(obj: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f in obj) out[f] = obj[f];
  return out;
}

function nestedTags(ctx: ReprContext, ids: unknown): Record<string, unknown>[] {
  const rows = ((ids as number[] | undefined) ?? [])
    .map(id => ctx.store.get('extras/tags', id))
    .filter((r): r is Row => r !== undefined)
    .sort(
      (a, b) => (a['weight'] as number) - (b['weight'] as number) || String(a['name']).localeCompare(String(b['name'])),
    );
  return rows.map(t => ({
    id: t.id,
    url: urlOf(ctx, 'extras/tags', t.id),
    display_url: displayUrl(ctx, 'extras/tags', t.id),
    display: String(t['name']),
    name: t['name'],
    slug: t['slug'],
    color: t['color'],
  }));
}

function customFields(ctx: ReprContext, ep: Endpoint, row: Row): Record<string, unknown> {
  const defs = customFieldsFor(ctx.store, modelFor(ep).objectType);
  return readCustomFields(ctx.store, defs, (row['custom_fields'] as Record<string, unknown> | undefined) ?? {}, {
    selectAsObjects: ctx.selectAsObjects,
    relatedBrief: (type, id) => {
      const model = modelByObjectType(type);
      return model ? nested(ctx, model.endpoint, id) : id;
    },
  });
}

/** Full representation of one object. */
export function represent(ctx: ReprContext, ep: Endpoint, row: Row): Record<string, unknown> {
  const head = {
    id: row.id,
    url: urlOf(ctx, ep, row.id),
    display_url: displayUrl(ctx, ep, row.id),
    display: displayOf(ctx.store, ep, row),
  };
  const common = {
    tags: nestedTags(ctx, row['tags']),
    custom_fields: modelFor(ep).customFields ? customFields(ctx, ep, row) : {},
    created: row.created,
    last_updated: row.last_updated,
  };
  const s = ctx.store;
  switch (ep) {
    case 'ipam/prefixes': {
      const pos = prefixPositions(s).get(row.id) ?? { depth: 0, children: 0 };
      return {
        ...head,
        family: family(row['prefix']),
        prefix: row['prefix'],
        vrf: nested(ctx, 'ipam/vrfs', row['vrf']),
        scope_type: row['scope_type'],
        scope_id: row['scope_id'],
        scope: null,
        tenant: nested(ctx, 'tenancy/tenants', row['tenant']),
        vlan: null,
        status: choice('prefix_status', row['status']),
        role: nested(ctx, 'ipam/roles', row['role']),
        is_pool: row['is_pool'],
        mark_utilized: row['mark_utilized'],
        description: row['description'],
        owner: null,
        comments: row['comments'],
        ...common,
        children: pos.children,
        _depth: pos.depth,
      };
    }
    case 'ipam/ip-ranges':
      return {
        ...head,
        family: family(row['start_address']),
        start_address: row['start_address'],
        end_address: row['end_address'],
        size: row['size'],
        vrf: nested(ctx, 'ipam/vrfs', row['vrf']),
        tenant: nested(ctx, 'tenancy/tenants', row['tenant']),
        status: choice('range_status', row['status']),
        role: nested(ctx, 'ipam/roles', row['role']),
        description: row['description'],
        owner: null,
        comments: row['comments'],
        ...common,
        mark_populated: row['mark_populated'],
        mark_utilized: row['mark_utilized'],
      };
    case 'ipam/ip-addresses':
      return {
        ...head,
        family: family(row['address']),
        address: row['address'],
        vrf: nested(ctx, 'ipam/vrfs', row['vrf']),
        tenant: nested(ctx, 'tenancy/tenants', row['tenant']),
        status: choice('ip_status', row['status']),
        role: choice('ip_role', row['role']),
        assigned_object_type: row['assigned_object_type'],
        assigned_object_id: row['assigned_object_id'],
        assigned_object: null,
        nat_inside: natInside(ctx, row['nat_inside']),
        nat_outside: (reverseIds(s, 'ipam/ip-addresses', 'nat_inside').get(row.id) ?? []).map(id => natInside(ctx, id)),
        dns_name: row['dns_name'],
        description: row['description'],
        owner: null,
        comments: row['comments'],
        ...common,
      };
    case 'ipam/roles':
      return {
        ...head,
        name: row['name'],
        slug: row['slug'],
        weight: row['weight'],
        description: row['description'],
        owner: null,
        comments: row['comments'],
        ...common,
        prefix_count: countOf(s, 'ipam/prefixes', 'role', row.id),
        vlan_count: 0,
        asn_count: 0,
      };
    case 'ipam/vrfs':
      return {
        ...head,
        name: row['name'],
        rd: row['rd'],
        tenant: nested(ctx, 'tenancy/tenants', row['tenant']),
        enforce_unique: row['enforce_unique'],
        description: row['description'],
        owner: null,
        comments: row['comments'],
        import_targets: [],
        export_targets: [],
        ...common,
        ipaddress_count: countOf(s, 'ipam/ip-addresses', 'vrf', row.id),
        prefix_count: countOf(s, 'ipam/prefixes', 'vrf', row.id),
      };
    case 'tenancy/tenants': {
      const zero = { circuit_count: 0, device_count: 0, rack_count: 0, site_count: 0, virtualmachine_count: 0 };
      return {
        ...head,
        name: row['name'],
        slug: row['slug'],
        group: null,
        description: row['description'],
        owner: null,
        comments: row['comments'],
        ...common,
        ...zero,
        ipaddress_count: countOf(s, 'ipam/ip-addresses', 'tenant', row.id),
        prefix_count: countOf(s, 'ipam/prefixes', 'tenant', row.id),
        vlan_count: 0,
        vrf_count: countOf(s, 'ipam/vrfs', 'tenant', row.id),
        cluster_count: 0,
      };
    }
    default:
      return { ...head, ...representExtras(ep, row, { ctx, nested, choice, common }) };
  }
}

function natInside(ctx: ReprContext, id: unknown): Record<string, unknown> | null {
  if (typeof id !== 'number') return null;
  const row = ctx.store.get('ipam/ip-addresses', id);
  if (!row) return null;
  return {
    id,
    url: urlOf(ctx, 'ipam/ip-addresses', id),
    display_url: displayUrl(ctx, 'ipam/ip-addresses', id),
    display: String(row['address']),
    family: family(row['address'])?.value ?? null,
    address: row['address'],
  };
}
