/**
 * What the connected NetBox supports, from its version: `fields=` (4.0), `changelog_message` (4.4), `omit=`
 * (4.5.2), per-object bulk errors (4.7). With an unknown version the client asks for nothing optional.
 */

export interface NetBoxVersion {
  major: number;
  minor: number;
  patch: number;
  /** As the server wrote it: `4.2.5-Docker-3.2.0`, `4.7.0-beta1`, or the `API-Version` header's `4.7`. */
  raw: string;
}

/** Parses `4.2.5-Docker-3.2.0`, `4.7.0-beta1`, `v4.6.1`, `4.7`; undefined when there is no major.minor. */
export function parseNetBoxVersion(text: string | undefined): NetBoxVersion | undefined {
  if (text === undefined) return undefined;
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), raw: text.trim() };
}

export function atLeast(v: NetBoxVersion | undefined, major: number, minor: number, patch = 0): boolean {
  if (v === undefined) return false;
  if (v.major !== major) return v.major > major;
  if (v.minor !== minor) return v.minor > minor;
  return v.patch >= patch;
}

export const supports = {
  fields: (v: NetBoxVersion | undefined): boolean => atLeast(v, 4, 0),
  changelogMessage: (v: NetBoxVersion | undefined): boolean => atLeast(v, 4, 4),
  // Known only from a full version: the `API-Version` header (`4.5`) reads as 4.5.0 and so says no.
  omit: (v: NetBoxVersion | undefined): boolean => atLeast(v, 4, 5, 2),
} as const;

/**
 * Which fields to ask for. `fields` is used on 4.0+; below that, `briefFallback` says the brief form holds
 * everything we read, so `brief=true` is sent instead. `omit` applies on 4.5.2+ when `fields` is not given.
 * `brief: true` asks for the brief form on every version.
 */
export interface FieldSelection {
  fields?: readonly string[];
  briefFallback?: boolean;
  omit?: readonly string[];
  brief?: boolean;
}

/** Query parameters that select fields, for this server version. */
export function selectionParams(sel: FieldSelection | undefined, v: NetBoxVersion | undefined): [string, string][] {
  if (sel === undefined) return [];
  if (sel.brief === true) return [['brief', 'true']];
  if (sel.fields && sel.fields.length > 0) {
    if (supports.fields(v)) return [['fields', sel.fields.join(',')]];
    if (sel.briefFallback === true && v !== undefined) return [['brief', 'true']];
    return [];
  }
  if (sel.omit && sel.omit.length > 0 && supports.omit(v)) return [['omit', sel.omit.join(',')]];
  return [];
}

/** Fields of the typed reads: exactly those of the types in ../types.ts. */
const COMMON = ['id', 'url', 'display', 'tags', 'custom_fields', 'description', 'created', 'last_updated'] as const;

export const SELECTIONS = {
  prefixes: { fields: [...COMMON, 'family', 'prefix', 'vrf', 'tenant', 'status', 'role'] },
  ipRanges: {
    fields: [
      ...COMMON,
      'family',
      'start_address',
      'end_address',
      'size',
      'vrf',
      'tenant',
      'status',
      'role',
      'mark_populated',
    ],
  },
  ipAddresses: { fields: [...COMMON, 'family', 'address', 'vrf', 'tenant', 'status', 'role', 'dns_name'] },
  roles: { fields: ['id', 'url', 'display', 'name', 'slug', 'weight', 'description'], briefFallback: true },
  vrfs: { fields: ['id', 'url', 'display', 'name', 'rd', 'enforce_unique'], briefFallback: true },
  tags: { fields: ['id', 'url', 'display', 'name', 'slug', 'color'], briefFallback: true },
  customFields: {
    fields: ['id', 'url', 'display', 'name', 'type', 'object_types', 'label', 'description', 'required', 'choice_set'],
  },
  customFieldChoiceSets: { fields: ['id', 'url', 'display', 'name', 'extra_choices'] },
} as const satisfies Record<string, FieldSelection>;
