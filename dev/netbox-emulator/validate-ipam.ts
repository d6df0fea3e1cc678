/**
 * Model-level validation of prefixes, IP ranges and IP addresses (NetBox's clean() methods): /0 masks,
 * duplicates per VRF under ENFORCE_GLOBAL_UNIQUE / vrf.enforce_unique, range family/mask/order/overlap/size,
 * mark_populated ranges, SLAAC on IPv4. Each rule stops at its first problem, as NetBox raises on the first.
 */
import { NON_UNIQUE_IP_ROLES } from './choices.ts';
import { rangeName, vrfName } from './derived.ts';
import { cidrOf, compareHosts, compareInet, formatInet, parseInet } from './ipnet.ts';
import type { Inet } from './ipnet.ts';
import type { Store } from './store.ts';
import { text } from './types.ts';
import type { FieldErrors, Row } from './types.ts';

export interface IpamRules {
  enforceGlobalUnique: boolean;
}

const MAX_RANGE_SIZE = 2n ** 32n - 1n;

function vrfRow(store: Store, row: Row): Row | undefined {
  return typeof row['vrf'] === 'number' ? store.get('ipam/vrfs', row['vrf']) : undefined;
}

/** Whether duplicates are refused in the row's table: the global table by setting, a VRF by its flag. */
function uniqueSpace(store: Store, row: Row, rules: IpamRules): { enforced: boolean; table: string } {
  const vrf = vrfRow(store, row);
  if (!vrf) return { enforced: rules.enforceGlobalUnique, table: 'global table' };
  return { enforced: vrf['enforce_unique'] === true, table: `VRF ${vrfName(vrf)}` };
}

function sameVrf(a: Row, b: Row): boolean {
  return (a['vrf'] ?? null) === (b['vrf'] ?? null);
}

function inetOf(row: Row, field: string): Inet | undefined {
  return parseInet(String(row[field]));
}

/** Index key: VRF and network of a prefix (duplicate detection). */
function prefixKey(row: Row): string | undefined {
  const net = inetOf(row, 'prefix');
  return net ? `${text(row['vrf'], '-')}|${net.family}:${cidrOf(net).value}/${net.len}` : undefined;
}

/** Index key: VRF and host of an address, mask ignored (duplicate detection). */
function hostKey(row: Row): string | undefined {
  const ip = inetOf(row, 'address');
  return ip ? `${text(row['vrf'], '-')}|${ip.family}:${ip.value}` : undefined;
}

export function cleanPrefix(store: Store, row: Row, rules: IpamRules): FieldErrors | undefined {
  const net = inetOf(row, 'prefix');
  if (!net) return undefined;
  if (net.len === 0) return { prefix: ['Cannot create prefix with /0 mask.'] };
  const space = uniqueSpace(store, row, rules);
  if (space.enforced) {
    const dup = store
      .lookup('ipam/prefixes', 'network', prefixKey, prefixKey(row) ?? '')
      .filter(p => p.id !== row.id)
      .sort((a, b) => a.id - b.id)[0];
    if (dup) return { prefix: [`Duplicate prefix found in ${space.table}: ${String(dup['prefix'])}`] };
  }
  return undefined;
}

export function cleanIpRange(store: Store, row: Row): FieldErrors | undefined {
  const start = inetOf(row, 'start_address');
  const end = inetOf(row, 'end_address');
  if (!start || !end) return undefined;
  if (start.family !== end.family) {
    return { end_address: ['Starting and ending IP address versions must match'] };
  }
  if (start.len !== end.len) return { end_address: ['Starting and ending IP address masks must match'] };
  // NetBox 4.6.1 (#21993) allows a single-address range; only an end below the start is refused.
  if (compareInet(end, start) < 0) {
    return {
      end_address: [
        `Ending address must be greater than or equal to the starting address (${String(row['start_address'])})`,
      ],
    };
  }
  const overlapping = store
    .all('ipam/ip-ranges')
    .filter(r => r.id !== row.id && sameVrf(r, row))
    .filter(r => {
      const s = inetOf(r, 'start_address');
      const e = inetOf(r, 'end_address');
      if (!s || !e || s.family !== start.family) return false;
      return compareHosts(s, end) <= 0 && compareHosts(e, start) >= 0;
    })
    .sort((a, b) => compareInet(inetOf(a, 'start_address') as Inet, inetOf(b, 'start_address') as Inet) || a.id - b.id);
  const first = overlapping[0];
  if (first) {
    const vrf = vrfRow(store, row);
    const name = rangeName(String(first['start_address']), String(first['end_address']));
    return { __all__: [`Defined addresses overlap with range ${name} in VRF ${vrf ? vrfName(vrf) : 'None'}`] };
  }
  if (end.value - start.value + 1n > MAX_RANGE_SIZE) {
    return { __all__: [`Defined range exceeds maximum supported size (${MAX_RANGE_SIZE})`] };
  }
  return undefined;
}

export function rangeSize(row: Row): number {
  const start = inetOf(row, 'start_address');
  const end = inetOf(row, 'end_address');
  return start && end ? Number(end.value - start.value + 1n) : 0;
}

export function cleanIpAddress(store: Store, row: Row, isNew: boolean, rules: IpamRules): FieldErrors | undefined {
  const addr = inetOf(row, 'address');
  if (!addr) return undefined;
  if (addr.len === 0) return { address: ['Cannot create IP address with /0 mask.'] };
  const space = uniqueSpace(store, row, rules);
  if (space.enforced) {
    const dups = store
      .lookup('ipam/ip-addresses', 'host', hostKey, hostKey(row) ?? '')
      .filter(ip => ip.id !== row.id)
      .sort((a, b) => compareInet(inetOf(a, 'address') as Inet, inetOf(b, 'address') as Inet) || a.id - b.id);
    const exempt = (r: unknown) => typeof r === 'string' && NON_UNIQUE_IP_ROLES.has(r);
    const first = dups[0];
    if (first && (!exempt(row['role']) || dups.some(d => !exempt(d['role'])))) {
      return { address: [`Duplicate IP address found in ${space.table}: ${String(first['address'])}`] };
    }
  }
  if (isNew) {
    // NetBox compares inet values here (mask included), not host parts; kept as is.
    const blocking = store
      .all('ipam/ip-ranges')
      .filter(r => r['mark_populated'] === true && sameVrf(r, row))
      .find(r => {
        const s = inetOf(r, 'start_address');
        const e = inetOf(r, 'end_address');
        return s !== undefined && e !== undefined && compareInet(s, addr) <= 0 && compareInet(e, addr) >= 0;
      });
    if (blocking) {
      const name = rangeName(String(blocking['start_address']), String(blocking['end_address']));
      return { address: [`Cannot create IP address ${String(row['address'])} inside range ${name}.`] };
    }
  }
  if (row['status'] === 'slaac' && addr.family !== 6) {
    return { status: ['Only IPv6 addresses can be assigned SLAAC status'] };
  }
  return undefined;
}

/** The network of a prefix (host bits are refused by field validation before this runs; kept for seeds). */
export function normalisePrefix(text: string): string {
  const net = parseInet(text);
  return net ? formatInet(cidrOf(net)) : text;
}
