import { cidrRange, rangeContains, tryParseAddress, tryParseCidr, tryParseInterface } from '../../src/ip/index.ts';
import type { IpRange } from '../../src/ip/index.ts';
import type {
  NbBrief,
  NbCustomFields,
  NbIpAddress,
  NbIpRange,
  NbPrefix,
  NbQuery,
  NbVrfBrief,
  NetBoxReader,
} from '../../src/model/netbox.ts';

/**
 * An in-memory NetBoxReader for tests: plain arrays, NetBox's filter semantics for the filters the source uses
 * (repeated values OR, repeated `tag` AND, `parent` and `within` by containment, `prefix` exact, `mask_length__gte`), every call
 * recorded. An unsupported filter throws, so a test cannot pass by NetBox silently ignoring a typo.
 */

export interface FakeCall {
  endpoint: 'ipam/prefixes' | 'ipam/ip-ranges' | 'ipam/ip-addresses';
  query: NbQuery;
}

export class FakeNetBoxReader implements NetBoxReader {
  readonly calls: FakeCall[] = [];
  readonly prefixes: NbPrefix[];
  readonly ipRanges: NbIpRange[];
  readonly ipAddresses: NbIpAddress[];
  /** Set to make every call fail, as an unreachable NetBox would. */
  failWith: Error | undefined;

  constructor(data: { prefixes?: NbPrefix[]; ipRanges?: NbIpRange[]; ipAddresses?: NbIpAddress[] }) {
    this.prefixes = data.prefixes ?? [];
    this.ipRanges = data.ipRanges ?? [];
    this.ipAddresses = data.ipAddresses ?? [];
  }

  listPrefixes(query: NbQuery): Promise<NbPrefix[]> {
    return this.list('ipam/prefixes', query, this.prefixes, (p, key, values) => {
      const own = cidrOf(p.prefix);
      switch (key) {
        case 'within':
          return values.some(v => {
            const outer = cidrOf(v);
            return rangeContains(outer, own) && (outer.start !== own.start || outer.end !== own.end);
          });
        case 'prefix':
          return values.some(v => sameRange(cidrOf(v), own));
        case 'mask_length__gte':
          return values.some(v => Number(p.prefix.split('/')[1]) >= Number(v));
        default:
          return undefined;
      }
    });
  }

  listIpRanges(query: NbQuery): Promise<NbIpRange[]> {
    return this.list('ipam/ip-ranges', query, this.ipRanges, (r, key, values) => {
      const own: IpRange = { ...hostOf(r.start_address), end: hostOf(r.end_address).start };
      if (key === 'contains') return values.some(v => rangeContains(own, v.includes('/') ? cidrOf(v) : addressOf(v)));
      if (key !== 'parent') return undefined;
      return values.some(v => rangeContains(cidrOf(v), own));
    });
  }

  listIpAddresses(query: NbQuery): Promise<NbIpAddress[]> {
    return this.list('ipam/ip-addresses', query, this.ipAddresses, (ip, key, values) =>
      key === 'parent' ? values.some(v => rangeContains(cidrOf(v), hostOf(ip.address))) : undefined,
    );
  }

  private list<T extends NbPrefix | NbIpRange | NbIpAddress>(
    endpoint: FakeCall['endpoint'],
    query: NbQuery,
    rows: readonly T[],
    special: (row: T, key: string, values: string[]) => boolean | undefined,
  ): Promise<T[]> {
    this.calls.push({ endpoint, query });
    if (this.failWith) return Promise.reject(this.failWith);
    const result = rows.filter(row =>
      Object.entries(query).every(([key, raw]) => {
        if (raw === undefined) return true;
        const values = (Array.isArray(raw) ? raw : [raw]).map(String);
        const own = special(row, key, values);
        if (own !== undefined) return own;
        switch (key) {
          case 'tag':
            return values.every(v => row.tags.some(t => t.slug === v));
          case 'role':
            // ipam roles filter by slug; an IP address's role is a choice value
            return values.includes(roleKey(row.role));
          case 'status':
            return values.includes(row.status.value);
          case 'vrf_id':
            return values.includes(row.vrf === null ? 'null' : String(row.vrf.id));
          default:
            throw new Error(`FakeNetBoxReader: filter ${key} is not supported on ${endpoint}`);
        }
      }),
    );
    return Promise.resolve(result.map(r => structuredClone(r)));
  }
}

function roleKey(role: NbBrief | { value: string } | null): string {
  if (role === null) return '';
  return 'value' in role ? role.value : (role.slug ?? '');
}

function cidrOf(text: string): IpRange {
  const c = tryParseCidr(text, { allowHostBits: true });
  if (!c.ok) throw new Error(`FakeNetBoxReader: bad prefix filter value ${text}: ${c.reason}`);
  return cidrRange(c.value);
}

function addressOf(text: string): IpRange {
  const a = tryParseAddress(text);
  if (!a.ok) throw new Error(`FakeNetBoxReader: bad address filter value ${text}: ${a.reason}`);
  return { family: a.value.family, start: a.value.value, end: a.value.value };
}

function hostOf(text: string): IpRange {
  const i = tryParseInterface(text);
  if (!i.ok) throw new Error(`FakeNetBoxReader: bad address ${text}: ${i.reason}`);
  return { family: i.value.address.family, start: i.value.address.value, end: i.value.address.value };
}

function sameRange(a: IpRange, b: IpRange): boolean {
  return a.family === b.family && a.start === b.start && a.end === b.end;
}

/* ---------- builders: NetBox 4.x read shapes with only what a test cares about spelled out ---------- */

export interface NbOpts {
  role?: string;
  tags?: string[];
  status?: string;
  vrf?: NbVrfBrief | null;
  tenant?: NbBrief | null;
  cf?: NbCustomFields;
}

export function nbVrf(id: number, name: string, rd: string | null = null): NbVrfBrief {
  return { id, name, rd, url: `http://netbox.test/api/ipam/vrfs/${id}/`, display: name };
}

function base(model: string, id: number, display: string, o: NbOpts) {
  return {
    id,
    url: `http://netbox.test/api/ipam/${model}/${id}/`,
    display,
    tags: (o.tags ?? []).map((slug, n) => ({ id: 1000 + n, name: slug, slug })),
    custom_fields: o.cf ?? {},
    vrf: o.vrf ?? null,
    tenant: o.tenant ?? null,
    status: { value: o.status ?? 'active', label: o.status ?? 'active' },
  };
}

export function nbPrefix(id: number, prefix: string, o: NbOpts = {}): NbPrefix {
  const family = prefix.includes(':') ? 6 : 4;
  return {
    ...base('prefixes', id, prefix, o),
    family: { value: family, label: `IPv${family}` },
    prefix,
    role: o.role ? { id: 500 + id, name: o.role, slug: o.role } : null,
  };
}

export function nbIpRange(id: number, start: string, end: string, o: NbOpts = {}): NbIpRange {
  const family = start.includes(':') ? 6 : 4;
  return {
    ...base('ip-ranges', id, `${start.split('/')[0] ?? start}-${end}`, o),
    family: { value: family, label: `IPv${family}` },
    start_address: start,
    end_address: end,
    role: o.role ? { id: 500 + id, name: o.role, slug: o.role } : null,
  };
}

export function nbIpAddress(
  id: number,
  address: string,
  o: Omit<NbOpts, 'role'> & { role?: string } = {},
): NbIpAddress {
  const family = address.includes(':') ? 6 : 4;
  return {
    ...base('ip-addresses', id, address, o),
    family: { value: family, label: `IPv${family}` },
    address,
    role: o.role ? { value: o.role, label: o.role } : null,
  };
}
