/**
 * The NetBox objects the daemon reads and writes, as NetBox 4.x returns them (the subset of fields we use).
 * Read shapes follow the API: choices are `{value, label}`, related objects are nested brief objects.
 * Write shapes take raw choice values and related objects by id.
 */

export interface NbChoice<T extends string | number = string> {
  value: T;
  label: string;
}

/** A nested brief object (VRF, role, tenant, ...). Which naming fields are present depends on the model. */
export interface NbBrief {
  id: number;
  url?: string;
  display?: string;
  name?: string;
  slug?: string;
}

export interface NbVrfBrief extends NbBrief {
  name: string;
  rd?: string | null;
}

export interface NbTag {
  id: number;
  name: string;
  slug: string;
  url?: string;
  display?: string;
  color?: string;
}

/** Custom field values as read. Select fields read as `{value,label}` on 4.7+ and as raw values before. */
export type NbCustomFields = Record<string, unknown>;

interface NbObjectBase {
  id: number;
  url: string;
  display: string;
  tags: NbTag[];
  custom_fields: NbCustomFields;
  description?: string;
  created?: string | null;
  last_updated?: string | null;
}

export interface NbPrefix extends NbObjectBase {
  family: NbChoice<number>;
  prefix: string;
  vrf: NbVrfBrief | null;
  tenant: NbBrief | null;
  status: NbChoice;
  role: NbBrief | null;
}

export interface NbIpRange extends NbObjectBase {
  family: NbChoice<number>;
  start_address: string;
  end_address: string;
  size?: number;
  vrf: NbVrfBrief | null;
  tenant: NbBrief | null;
  status: NbChoice;
  role: NbBrief | null;
  mark_populated?: boolean;
}

export interface NbIpAddress extends NbObjectBase {
  family: NbChoice<number>;
  address: string;
  vrf: NbVrfBrief | null;
  tenant: NbBrief | null;
  status: NbChoice;
  /** The IP role choice (vip, anycast, ...), not an ipam.Role. */
  role: NbChoice | null;
  dns_name?: string;
}

export interface NbRole {
  id: number;
  url: string;
  display: string;
  name: string;
  slug: string;
  weight?: number;
  description?: string;
}

export interface NbVrf {
  id: number;
  url: string;
  display: string;
  name: string;
  rd: string | null;
  enforce_unique?: boolean;
}

export interface NbCustomField {
  id: number;
  url: string;
  display: string;
  name: string;
  type: NbChoice;
  object_types: string[];
  label?: string;
  description?: string;
  required?: boolean;
  choice_set?: NbBrief | null;
}

export interface NbCustomFieldChoiceSet {
  id: number;
  url: string;
  display: string;
  name: string;
  extra_choices: [string, string][] | null;
}

/** Paginated list envelope. */
export interface NbPage<T> {
  count: number | null;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** List endpoints the daemon uses, relative to `/api/`. */
export type NbEndpoint =
  | 'ipam/prefixes'
  | 'ipam/ip-ranges'
  | 'ipam/ip-addresses'
  | 'ipam/roles'
  | 'ipam/vrfs'
  | 'extras/tags'
  | 'extras/custom-fields'
  | 'extras/custom-field-choice-sets'
  | 'extras/journal-entries'
  | 'extras/webhooks'
  | 'extras/event-rules';

/** Filter values as NetBox takes them in a query string; arrays repeat the parameter. */
export type NbQuery = Record<string, string | number | boolean | (string | number)[] | undefined>;

/** Write shape of an IP address (POST / PATCH bodies). Related objects by id, choices as raw values. */
export interface NbIpAddressWrite {
  id?: number;
  address?: string;
  vrf?: number | null;
  tenant?: number | null;
  status?: string;
  role?: string | null;
  dns_name?: string;
  description?: string;
  tags?: ({ id: number } | { slug: string } | { name: string; slug: string })[];
  custom_fields?: Record<string, unknown>;
}

/** Fields a prefix and an IP range share on write. */
interface NbSpaceWrite {
  id?: number;
  vrf?: number | null;
  tenant?: number | null;
  status?: string;
  role?: number | null;
  description?: string;
  tags?: ({ id: number } | { slug: string } | { name: string; slug: string })[];
  custom_fields?: Record<string, unknown>;
}

export interface NbPrefixWrite extends NbSpaceWrite {
  prefix?: string;
}

export interface NbIpRangeWrite extends NbSpaceWrite {
  start_address?: string;
  end_address?: string;
}

/**
 * What the source needs from NetBox: complete (all pages) filtered reads. The HTTP client implements it;
 * tests may implement it over plain arrays. Filters are NetBox's own query parameters.
 */
export interface NetBoxReader {
  listPrefixes(query: NbQuery): Promise<NbPrefix[]>;
  listIpRanges(query: NbQuery): Promise<NbIpRange[]>;
  listIpAddresses(query: NbQuery): Promise<NbIpAddress[]>;
}

/**
 * Filters the source sends when reading prefixes (NetBox's own names). Repeating a value ORs it, except `tag`,
 * where repeated slugs must all be present. Any other NetBox filter may be added.
 */
export type NbPrefixQuery = NbQuery & {
  role?: string | string[];
  tag?: string | string[];
  status?: string | string[];
  vrf_id?: number | string | (number | string)[];
  within?: string;
  within_include?: string;
  family?: 4 | 6;
};

export type NbIpRangeQuery = NbQuery & {
  role?: string | string[];
  tag?: string | string[];
  status?: string | string[];
  vrf_id?: number | string | (number | string)[];
  /** A prefix (CIDR) the ranges must lie in. */
  parent?: string | string[];
  family?: 4 | 6;
};

export type NbIpAddressQuery = NbQuery & {
  tag?: string | string[];
  status?: string | string[];
  vrf_id?: number | string | (number | string)[];
  /** A prefix (CIDR) the addresses must lie in. */
  parent?: string | string[];
  address?: string | string[];
  family?: 4 | 6;
};

/** Body of `GET /api/status/` (untyped in NetBox's schema; these are the keys real servers send). */
export interface NbStatus {
  /** e.g. `4.2.5-Docker-3.2.0`, `4.7.0-beta1`. */
  'netbox-version': string;
  'django-version'?: string;
  'python-version'?: string;
  'installed-apps'?: Record<string, string>;
  plugins?: Record<string, string>;
  'rq-workers-running'?: number;
  [key: string]: unknown;
}

export interface NetBoxSnapshot {
  /** Prefixes selected for the cluster (configured role, cluster tag, status active or deprecated). */
  prefixes: NbPrefix[];
  /** IP ranges selected the same way. */
  ipRanges: NbIpRange[];
  /**
   * What NetBox records in and around that space: addresses, ranges and prefixes inside the selected prefixes
   * and IP range networks, and prefixes containing IP ranges. May include the selected objects themselves and
   * objects of other VRFs. Sorted by id, no duplicates.
   */
  recorded: { prefixes: NbPrefix[]; ipRanges: NbIpRange[]; ipAddresses: NbIpAddress[] };
}

export interface TokenSource {
  /** Name of an environment variable holding the token, e.g. `NETBOX_TOKEN`. */
  env?: string;
  /** Path of a file holding the token, e.g. a mounted Kubernetes Secret. Wins over `env` when both are given. */
  file?: string;
}
