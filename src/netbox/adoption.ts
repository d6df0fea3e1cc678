import { formatCidr } from '../ip/index.ts';
import type { Cidr } from '../ip/index.ts';
import type { HeldWrite, Neighbourhood, SpaceWrite } from '../adopt/types.ts';
import type { NbIpRange, NbPrefix, NbTag, NbVrfBrief } from '../model/netbox.ts';
import type { NetBoxClient } from './client/index.ts';
import { describeItem } from './client/index.ts';
import type { BulkResult } from './client/bulk.ts';

/**
 * The NetBox half of adoption and release (I/O): what NetBox records around a pool's space, writing the proposed
 * prefixes, ranges and holes, and taking the cluster tag off again.
 */

/** Prefixes, ranges and addresses inside the networks (any VRF, any status or tag), each object once. */
export async function readNeighbourhood(client: NetBoxClient, networks: readonly Cidr[]): Promise<Neighbourhood> {
  const areas = [...new Set(networks.map(formatCidr))].sort();
  const reads = await Promise.all(
    areas.map(async area => ({
      prefixes: await client.listPrefixes({ within_include: area }),
      ipRanges: await client.listIpRanges({ parent: area }),
      ipAddresses: await client.listIpAddresses({ parent: area }),
    })),
  );
  const unique = <T extends { id: number }>(rows: T[]): T[] => [...new Map(rows.map(r => [r.id, r])).values()];
  return {
    prefixes: unique(reads.flatMap(r => r.prefixes)),
    ipRanges: unique(reads.flatMap(r => r.ipRanges)),
    ipAddresses: unique(reads.flatMap(r => r.ipAddresses)),
  };
}

/** The VRF `--vrf` names, by name; an error naming the choices when there is not exactly one. */
export async function findVrf(client: NetBoxClient, name: string): Promise<NbVrfBrief> {
  const found = await client.listVrfs({ name });
  const [vrf, ...more] = found;
  if (vrf === undefined || more.length > 0) {
    throw new Error(`NetBox has ${found.length} VRFs named "${name}"; give --vrf the name of exactly one VRF`);
  }
  return { id: vrf.id, name: vrf.name, rd: vrf.rd };
}

export interface NetBoxSideOptions {
  vrf?: NbVrfBrief;
  /** Role slug → id (client.listRoles). */
  roleIds: ReadonlyMap<string, number>;
}

type TagRef = { id: number } | { slug: string };

function failures<W extends object, T>(what: string, result: BulkResult<W, T>): string[] {
  const out = result.failed.map(f => `${what} ${describeItem(f.item) ?? `#${f.index}`}: ${f.message}`);
  if (result.aborted) out.push(`${what}: stopped early: ${result.aborted.message}`);
  return out;
}

function roleId(opts: NetBoxSideOptions, slug: string | undefined): number | undefined {
  if (slug === undefined) return undefined;
  const id = opts.roleIds.get(slug);
  if (id === undefined) throw new Error(`NetBox has no role ${slug}; run \`netbox bootstrap\` first`);
  return id;
}

/**
 * Writes one pool's NetBox side: new prefixes and ranges, the missing fields of reused ones, and the holes. Throws
 * with every failed object named; what was written stays (a second `adopt` reuses it).
 */
export async function writeNetBoxSide(
  client: NetBoxClient,
  side: { spaces: readonly SpaceWrite[]; held: readonly HeldWrite[] },
  opts: NetBoxSideOptions,
): Promise<void> {
  const vrf = opts.vrf?.id ?? null;
  const errors: string[] = [];
  const body = (s: SpaceWrite) => ({
    vrf,
    status: s.status ?? 'active',
    ...(s.role === undefined ? {} : { role: roleId(opts, s.role) }),
    tags: s.addTags.map(slug => ({ slug })),
    custom_fields: s.customFields,
  });
  const newPrefixes = side.spaces.filter(s => s.existing === undefined && s.model === 'prefix');
  const newRanges = side.spaces.filter(s => s.existing === undefined && s.model === 'ip-range');
  if (newPrefixes.length > 0)
    errors.push(
      ...failures(
        'create prefix',
        await client.prefixes.create(newPrefixes.map(s => ({ ...body(s), prefix: s.prefix }))),
      ),
    );
  if (newRanges.length > 0) {
    const items = newRanges.map(s => ({ ...body(s), start_address: s.startAddress, end_address: s.endAddress }));
    errors.push(...failures('create IP range', await client.ipRanges.create(items)));
  }
  for (const s of side.spaces) {
    if (s.existing === undefined) continue;
    const endpoint = s.model === 'prefix' ? 'ipam/prefixes' : 'ipam/ip-ranges';
    const current = await client.get<NbPrefix | NbIpRange>(endpoint, s.existing.id);
    const tags: TagRef[] = [...current.tags.map(t => ({ id: t.id })), ...s.addTags.map(slug => ({ slug }))];
    const patch = {
      tags,
      custom_fields: s.customFields,
      ...(s.role === undefined ? {} : { role: roleId(opts, s.role) }),
    };
    await client.update(endpoint, s.existing.id, patch);
  }
  const addresses = side.held.filter(h => h.model === 'ip-address');
  const ranges = side.held.filter(h => h.model === 'ip-range');
  if (addresses.length > 0) {
    const items = addresses.map(h => ({ address: h.address, vrf, status: 'active', description: h.description }));
    errors.push(...failures('create IP address', await client.ipAddresses.create(items)));
  }
  if (ranges.length > 0) {
    const items = ranges.map(h => ({
      start_address: h.startAddress,
      end_address: h.endAddress,
      vrf,
      status: 'active',
      description: h.description,
    }));
    errors.push(...failures('create IP range', await client.ipRanges.create(items)));
  }
  if (errors.length > 0) throw new Error(errors.join('; '));
}

/** Takes `tag` off the prefixes and ranges named `prefix/12`, `ip-range/40`; returns what changed. */
export async function removeTag(client: NetBoxClient, refs: readonly string[], tag: string): Promise<string[]> {
  const changed: string[] = [];
  for (const ref of [...new Set(refs)].sort()) {
    const [model, id] = ref.split('/');
    const endpoint = model === 'prefix' ? 'ipam/prefixes' : model === 'ip-range' ? 'ipam/ip-ranges' : undefined;
    if (endpoint === undefined || !/^\d+$/.test(id ?? ''))
      throw new Error(`cannot read NetBox object reference "${ref}"`);
    const current = await client.get<{ tags: NbTag[] }>(endpoint, Number(id));
    if (!current.tags.some(t => t.slug === tag)) continue;
    await client.update(endpoint, Number(id), {
      tags: current.tags.filter(t => t.slug !== tag).map(t => ({ id: t.id })),
    });
    changed.push(ref);
  }
  return changed;
}
