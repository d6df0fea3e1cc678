import * as ip from '../ip/index.ts';
import type { Cidr, IpRange } from '../ip/index.ts';
import type { PoolKindAdapter, PoolShape } from '../kinds/adapter.ts';
import { unwrapChoice } from '../mapping/custom-fields.ts';
import { statusOf } from '../mapping/members.ts';
import { ipAddressHost, ipRangeSpan, prefixCidr, vrfIdOf } from '../mapping/space.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import type { NbIpRange, NbPrefix, NbTag } from '../model/netbox.ts';
import { canonicalJson } from '../model/values.ts';
import type { AdoptContext, HeldWrite, SpaceWrite } from './types.ts';

/**
 * The NetBox side of a pool read back from the cluster: one prefix or IP range per space (an existing one with the
 * same space and VRF is reused and only completed), role, cluster tag and custom fields, and the holes NetBox does
 * not record yet as IP addresses or ranges. Refusals say which NetBox object stands in the way and why.
 */

export interface Proposal {
  spaces: SpaceWrite[];
  held: HeldWrite[];
  refusals: string[];
}

/** The role the pool's objects get, and whether `k8s_pool_kind` must name the kind (no role maps to it). */
export function roleFor(ctx: AdoptContext, kind: string): { role: string; explicitKind: boolean } {
  const roles = ctx.config.selection.roles;
  const slugs = Object.keys(roles).sort();
  const mapped = slugs.find(r => roles[r] === kind);
  return { role: mapped ?? slugs[0] ?? '', explicitKind: mapped === undefined };
}

/** Settings that differ from the kind's config defaults: what `k8s_options` must say. */
export function optionsFor(
  ctx: AdoptContext,
  kind: string,
  settings: Record<string, unknown>,
): Record<string, unknown> {
  const defaults = ctx.defaults[kind] ?? {};
  return Object.fromEntries(
    Object.entries(settings).filter(([key, value]) => canonicalJson(value) !== canonicalJson(defaults[key])),
  );
}

/** Custom fields every object of the pool carries. */
function wantedFields(
  pool: K8sObject,
  adapter: PoolKindAdapter,
  shape: PoolShape,
  ctx: AdoptContext,
): Record<string, unknown> {
  const cf = ctx.config.selection.customFields;
  const options = optionsFor(ctx, adapter.kind, shape.settings);
  const out: Record<string, unknown> = { [cf.poolName]: pool.metadata.name };
  if (roleFor(ctx, adapter.kind).explicitKind) out[cf.poolKind] = adapter.kind;
  if (adapter.defaultNamespace !== undefined && pool.metadata.namespace !== undefined)
    out[cf.namespace] = pool.metadata.namespace;
  if (shape.blockSize !== undefined) out[cf.blockSize] = shape.blockSize;
  if (shape.nodeSelector !== undefined) out[cf.nodeSelector] = shape.nodeSelector;
  if (shape.gateway !== undefined) out[cf.gateway] = ip.formatAddress(shape.gateway);
  if (shape.namespaces !== undefined && shape.namespaces.length > 0)
    out[cf.namespaces] = [...shape.namespaces].sort().join(',');
  if (Object.keys(options).length > 0) out[cf.options] = options;
  return out;
}

function withMask(value: bigint, family: 4 | 6, prefixLength: number): string {
  return `${ip.formatAddress({ family, value })}/${prefixLength}`;
}

function sameRange(a: IpRange, b: IpRange): boolean {
  return a.family === b.family && a.start === b.start && a.end === b.end;
}

export function proposeNetBox(
  pool: K8sObject,
  adapter: PoolKindAdapter,
  shape: PoolShape,
  ctx: AdoptContext,
): Proposal {
  const fields = wantedFields(pool, adapter, shape, ctx);
  const status: SpaceWrite['status'] = shape.draining === true ? 'deprecated' : 'active';
  const refusals: string[] = [];
  const spaces = shape.spaces.map((space): SpaceWrite => {
    const whole = sameRange(space.range, ip.cidrRange(space.network));
    const base: SpaceWrite = whole
      ? { model: 'prefix', prefix: ip.formatCidr(space.network), addTags: [], customFields: {} }
      : {
          model: 'ip-range',
          startAddress: withMask(space.range.start, space.range.family, space.network.prefixLength),
          endAddress: withMask(space.range.end, space.range.family, space.network.prefixLength),
          addTags: [],
          customFields: {},
        };
    const existing = whole ? findPrefix(ctx, space.network) : findRange(ctx, space.range);
    if (existing === undefined) {
      return {
        ...base,
        role: roleFor(ctx, adapter.kind).role,
        status,
        addTags: [ctx.config.selection.clusterTag],
        customFields: fields,
      };
    }
    const completed = complete(existing, { fields, status, kind: adapter.kind }, ctx);
    if (typeof completed === 'string') refusals.push(completed);
    return typeof completed === 'string' ? base : { ...base, ...completed };
  });
  return { spaces, held: heldWrites(shape, ctx, adapter.kind, pool), refusals };
}

function findPrefix(ctx: AdoptContext, network: Cidr): NbPrefix | undefined {
  const vrf = ctx.vrf?.id ?? null;
  return ctx.netbox.prefixes.find(p => {
    const c = prefixCidr(p);
    return vrfIdOf(p) === vrf && c.ok && sameRange(ip.cidrRange(c.value), ip.cidrRange(network));
  });
}

function findRange(ctx: AdoptContext, range: IpRange): NbIpRange | undefined {
  const vrf = ctx.vrf?.id ?? null;
  return ctx.netbox.ipRanges.find(r => {
    const span = ipRangeSpan(r);
    return vrfIdOf(r) === vrf && span.ok && sameRange(span.value.range, range);
  });
}

function display(o: NbPrefix | NbIpRange): string {
  return `NetBox ${'prefix' in o ? 'prefix' : 'IP range'} ${o.display} (id ${o.id})`;
}

/** Another cluster's tag: `k8s-…` slugs other than ours and the managed tag (the default cluster tag pattern). */
function foreignClusterTag(tags: readonly NbTag[], ctx: AdoptContext): string | undefined {
  const sel = ctx.config.selection;
  return tags.map(t => t.slug).find(s => s.startsWith('k8s-') && s !== sel.clusterTag && s !== sel.managedTag);
}

/**
 * What an existing prefix or range lacks for the pool: role, tag, custom fields. Anything it already says
 * differently (another cluster's tag, a role that is no pool role, another value in a custom field, another status)
 * is refused: adoption adds, it never changes what someone else recorded.
 */
function complete(
  existing: NbPrefix | NbIpRange,
  want: { fields: Record<string, unknown>; status: string | undefined; kind: string },
  ctx: AdoptContext,
): Partial<SpaceWrite> | string {
  const sel = ctx.config.selection;
  const what = display(existing);
  const other = foreignClusterTag(existing.tags, ctx);
  if (other !== undefined)
    return `${what} carries another cluster's tag ${other}; remove it there first or leave the pool`;
  if (statusOf(existing) !== want.status)
    return `${what} has status ${statusOf(existing) || 'none'}; the pool needs ${want.status}: change it in NetBox, then adopt again`;
  const out: Partial<SpaceWrite> = { existing: { id: existing.id, display: existing.display }, customFields: {} };
  const fields = { ...want.fields };
  const roleSlug = existing.role?.slug;
  if (roleSlug === undefined) out.role = roleFor(ctx, want.kind).role;
  else if (sel.roles[roleSlug] === undefined)
    return `${what} has role ${roleSlug}, which selection.roles does not map to a pool kind; map it in the config or change the role`;
  else if (sel.roles[roleSlug] !== want.kind) fields[sel.customFields.poolKind] = want.kind;
  else delete fields[sel.customFields.poolKind];
  const cf = existing.custom_fields ?? {};
  for (const [key, value] of Object.entries(fields)) {
    const now = unwrapChoice(cf[key]);
    if (now === null || now === undefined || now === '') (out.customFields ?? {})[key] = value;
    else if (canonicalJson(now) !== canonicalJson(value))
      return `${what} has ${key} = ${canonicalJson(now)}; the pool needs ${canonicalJson(value)}: clear or correct it in NetBox`;
  }
  out.addTags = existing.tags.some(t => t.slug === sel.clusterTag) ? [] : [sel.clusterTag];
  return out;
}

/** Holes NetBox does not record yet (nothing else of this VRF holds those addresses), in the subnet's mask. */
function heldWrites(shape: PoolShape, ctx: AdoptContext, kind: string, pool: K8sObject): HeldWrite[] {
  const vrf = ctx.vrf?.id ?? null;
  const own = new Set(shape.spaces.map(s => `${s.range.family}|${s.range.start}|${s.range.end}`));
  const recorded: IpRange[] = [
    ...ctx.netbox.ipAddresses.filter(a => vrfIdOf(a) === vrf).flatMap(a => okValue(ipAddressHost(a))),
    ...ctx.netbox.ipRanges.filter(r => vrfIdOf(r) === vrf).flatMap(r => okValue(ipRangeSpan(r)).map(s => s.range)),
    ...ctx.netbox.prefixes
      .filter(p => vrfIdOf(p) === vrf)
      .flatMap(p => okValue(prefixCidr(p)).map(ip.cidrRange))
      .filter(
        r => !own.has(`${r.family}|${r.start}|${r.end}`) && !shape.spaces.some(s => ip.rangeContains(r, s.range)),
      ),
  ];
  const where =
    pool.metadata.namespace === undefined ? pool.metadata.name : `${pool.metadata.namespace}/${pool.metadata.name}`;
  const description = `held out of ${kind} pool ${where} (adopted by netbox-ippool-sync)`;
  return ip.subtractRanges(ip.mergeRanges(shape.held), recorded).map(hole => {
    const network = shape.spaces.find(s => ip.rangeContains(s.range, hole))?.network;
    const length = network?.prefixLength ?? ip.maxPrefixLength(hole.family);
    if (hole.start === hole.end)
      return { model: 'ip-address', address: withMask(hole.start, hole.family, length), description };
    return {
      model: 'ip-range',
      startAddress: withMask(hole.start, hole.family, length),
      endAddress: withMask(hole.end, hole.family, length),
      description,
    };
  });
}

function okValue<T>(r: { ok: true; value: T } | { ok: false }): T[] {
  return r.ok ? [r.value] : [];
}
