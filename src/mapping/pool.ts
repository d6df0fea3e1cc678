import { compareRanges, formatCidr, rangesOverlap } from '../ip/index.ts';
import type { Config, CustomFieldNames } from '../config/config.ts';
import { blockExclusions, memberKey, recordedGateway } from './exclusions.ts';
import type { HeldIndex } from './exclusions.ts';
import type { IpAddress } from '../ip/index.ts';
import type { NbBrief } from '../model/netbox.ts';
import type { NetBoxObjectRef, NodeSelector, PoolBlock, PoolIntent } from '../model/intent.ts';
import { describeSubject } from '../model/issue.ts';
import type { Issue, IssueSubject } from '../model/issue.ts';
import { subjectOf } from './members.ts';
import type { Member } from './members.ts';
import { vrfSlug } from './naming.ts';
import { compareText } from '../model/values.ts';
import { selectorKey } from './selector.ts';

/**
 * One pool from its members: the checks that make several NetBox objects one pool (same VRF, no overlap, agreeing
 * parameters), the draining rule, and the blocks with their gateways and exclusions. Any failed check withholds
 * the pool with a pool-subject error, so the plan leaves the pool in the cluster as it is.
 */

export interface Pool {
  key: string;
  kind: Member['kind'];
  namespace: string | undefined;
  name: string;
  members: Member[];
}

export function poolSubject(p: Pick<Pool, 'kind' | 'namespace' | 'name'>): IssueSubject {
  return p.namespace === undefined
    ? { type: 'pool', kind: p.kind, name: p.name }
    : { type: 'pool', kind: p.kind, name: p.name, namespace: p.namespace };
}

export function withheld(subject: IssueSubject, reason: string, field?: string): Issue {
  return {
    severity: 'error',
    subject,
    reason: `not rendered: ${reason}`,
    hint: 'the pool in the cluster is left as it is until this is fixed in NetBox',
    ...(field ? { field } : {}),
  };
}

export function buildPool(
  pool: Pool,
  unplaced: ReadonlySet<string>,
  index: HeldIndex,
  config: Config,
): { intent?: PoolIntent; issues: Issue[] } {
  const cf = config.selection.customFields;
  const refused = refusal(pool, unplaced, cf);
  if (refused !== undefined) return { issues: [refused] };
  const issues: Issue[] = [];
  const { state, members } = publishedMembers(pool, issues);
  const agreement = agreeOnParameters(pool, members, cf);
  if ('conflict' in agreement) return { issues: [...issues, ...agreement.conflict] };
  const tenant = commonTenant(pool, members, issues);
  const memberKeys = new Set(pool.members.map(m => memberKey(m.ref.model, m.ref.id)));
  const blocks = members.map(m => blockOf(m, memberKeys, index, config, issues));
  blocks.sort((a, b) => compareRanges(a.range, b.range));
  return { intent: intentOf(pool, { state, members, blocks, agreement, tenant }), issues };
}

/** A pool with an invalid member, or sharing its name with an object that has errors, is withheld whole. */
function refusal(pool: Pool, unplaced: ReadonlySet<string>, cf: CustomFieldNames): Issue | undefined {
  const subject = poolSubject(pool);
  const invalid = pool.members.filter(m => !m.valid);
  if (invalid.length > 0) {
    return withheld(subject, `${invalid.map(m => describeSubject(subjectOf(m.ref))).join(', ')} has errors`);
  }
  const poolName = pool.members[0]?.params.poolName;
  if (poolName !== undefined && unplaced.has(poolName)) {
    return withheld(subject, `another NetBox object with ${cf.poolName} "${poolName}" has errors`);
  }
  return undefined;
}

/**
 * The members that make the pool: the active ones, deprecated ones left out with a warning; a pool whose every
 * member is deprecated is draining and keeps them all.
 */
function publishedMembers(pool: Pool, issues: Issue[]): { state: PoolIntent['state']; members: Member[] } {
  const active = pool.members.filter(m => m.status === 'active');
  if (active.length === 0) return { state: 'draining', members: pool.members };
  const omitted = pool.members.filter(m => !active.includes(m));
  if (omitted.length > 0) {
    issues.push({
      severity: 'warning',
      subject: poolSubject(pool),
      reason: `deprecated member(s) ${omitted.map(m => m.ref.display).join(', ')} left out; the pool stays active with the others`,
      hint: 'deprecate every member to drain the whole pool',
    });
  }
  return { state: 'active', members: active };
}

/** What every member of one pool must agree on; a member that leaves a parameter unset does not disagree. */
interface Agreement {
  blockSize: number | undefined;
  nodeSelector: NodeSelector | undefined;
  options: Record<string, unknown>;
}

/** Members must share a VRF, must not overlap, and must not ask for different parameters. */
function agreeOnParameters(pool: Pool, members: Member[], cf: CustomFieldNames): Agreement | { conflict: Issue[] } {
  const subject = poolSubject(pool);
  const conflict = (field: string, what: string) => ({ conflict: [withheld(subject, what, field)] });
  const vrfs = vrfConflict(pool, members);
  if (vrfs !== undefined) return { conflict: vrfs };
  const overlap = overlappingPair(members);
  if (overlap !== undefined) {
    const [a, b] = overlap;
    return conflict(`custom_fields.${cf.poolName}`, `members ${a.ref.display} and ${b.ref.display} overlap`);
  }
  const blockSize = agreed(
    members.map(m => m.params.blockSize),
    String,
    String,
  );
  if (!blockSize.ok) {
    return conflict(`custom_fields.${cf.blockSize}`, `members ask for different block sizes (${blockSize.values})`);
  }
  const selector = agreed(
    members.map(m => m.params.nodeSelector),
    selectorKey,
    s => JSON.stringify(s.raw),
  );
  if (!selector.ok) {
    return conflict(
      `custom_fields.${cf.nodeSelector}`,
      `members ask for different node selectors (${selector.values})`,
    );
  }
  const options = mergedOptions(members);
  if (typeof options === 'string') {
    return conflict(`custom_fields.${cf.options}.${options}`, `members set option ${options} to different values`);
  }
  return { blockSize: blockSize.value, nodeSelector: selector.value, options };
}
/** Members in different VRFs: an error on each member, and the pool withheld. */
function vrfConflict(pool: Pool, members: Member[]): Issue[] | undefined {
  if (new Set(members.map(m => m.vrfId)).size <= 1) return undefined;
  const list = members.map(m => `${m.ref.display} in ${m.vrf ? `VRF ${m.vrf.name}` : 'the global table'}`).join(', ');
  return [
    ...members.map((m): Issue => ({
      severity: 'error',
      subject: subjectOf(m.ref),
      field: 'vrf',
      reason: `members of pool ${pool.name} are in different VRFs: ${list}`,
    })),
    withheld(poolSubject(pool), `members are in different VRFs (${list})`, 'vrf'),
  ];
}

/** The first two members whose address ranges overlap, in member order. */
function overlappingPair(members: Member[]): [Member, Member] | undefined {
  for (let i = 0; i < members.length; i++) {
    for (let j = i + 1; j < members.length; j++) {
      const [a, b] = [members[i] as Member, members[j] as Member];
      if (rangesOverlap(a.range, b.range)) return [a, b];
    }
  }
  return undefined;
}

/** Every member's `k8s_options` merged; the first option two members set differently is returned by name instead. */
function mergedOptions(members: Member[]): Record<string, unknown> | string {
  const options: Record<string, unknown> = {};
  for (const m of members) {
    for (const [k, v] of Object.entries(m.params.options ?? {})) {
      if (k in options && JSON.stringify(options[k]) !== JSON.stringify(v)) return k;
      options[k] = v;
    }
  }
  return options;
}

/** The tenant every member has, if they share one; different tenants leave the pool without one, with a warning. */
function commonTenant(pool: Pool, members: Member[], issues: Issue[]): NbBrief | undefined {
  const tenants = new Map(members.flatMap(m => (m.tenant ? [[m.tenant.id, m.tenant] as const] : [])));
  const tenantIds = new Set(members.map(m => m.tenant?.id ?? null));
  if (tenantIds.size > 1) {
    issues.push({
      severity: 'warning',
      subject: poolSubject(pool),
      field: 'tenant',
      reason: 'members have different tenants; the pool carries none',
    });
  }
  return tenantIds.size === 1 ? [...tenants.values()][0] : undefined;
}

/** One member's block: its space, its gateway, and what NetBox holds inside it that no member of the pool owns. */
function blockOf(
  m: Member,
  memberKeys: ReadonlySet<string>,
  index: HeldIndex,
  config: Config,
  issues: Issue[],
): PoolBlock {
  const gateway = m.params.gateway ?? taggedGateway(m, index, config, issues);
  const block: PoolBlock = {
    source: m.ref,
    network: m.network,
    range: m.range,
    exclusions: blockExclusions({ vrf: m.vrfId, range: m.range, members: memberKeys }, index, gateway),
  };
  if (gateway !== undefined) block.gateway = gateway;
  return block;
}

/** Without `k8s_gateway`, the address NetBox records as the network's gateway; several candidates mean none. */
function taggedGateway(m: Member, index: HeldIndex, config: Config, issues: Issue[]): IpAddress | undefined {
  const found = recordedGateway(m.network, m.vrfId, index, config.selection);
  if (found.ambiguous) {
    const cf = config.selection.customFields;
    issues.push({
      severity: 'warning',
      subject: subjectOf(m.ref),
      field: `custom_fields.${cf.gateway}`,
      reason: `several addresses in ${formatCidr(m.network)} look like its gateway (${found.ambiguous.join(', ')}); none is used`,
      hint: `set ${cf.gateway}, or tag only one address with ${config.selection.gatewayTag}`,
    });
  }
  return found.gateway;
}

interface PoolParts {
  state: PoolIntent['state'];
  members: Member[];
  blocks: PoolBlock[];
  agreement: Agreement;
  tenant: NbBrief | undefined;
}

function intentOf(pool: Pool, { state, members, blocks, agreement, tenant }: PoolParts): PoolIntent {
  const intent: PoolIntent = {
    kind: pool.kind,
    name: pool.name,
    state,
    blocks,
    namespaces: [...new Set(members.flatMap(m => m.params.namespaces ?? []))].sort(),
    options: agreement.options,
    sources: members.map(m => m.ref).sort(compareRefs),
  };
  if (pool.namespace !== undefined) intent.namespace = pool.namespace;
  const vrf = members[0]?.vrf;
  if (vrf) intent.vrf = { id: vrf.id, name: vrf.name, rd: vrf.rd ?? null, slug: vrfSlug(vrf) };
  if (tenant) {
    intent.tenant = { id: tenant.id, name: tenant.name ?? tenant.display ?? String(tenant.id) };
    if (tenant.slug !== undefined) intent.tenant.slug = tenant.slug;
  }
  if (agreement.blockSize !== undefined) intent.blockSize = agreement.blockSize;
  if (agreement.nodeSelector !== undefined) intent.nodeSelector = agreement.nodeSelector;
  return intent;
}

/** The one value the members that set it agree on; members that leave it unset do not disagree. */
function agreed<T>(
  values: (T | undefined)[],
  key: (v: T) => string,
  show: (v: T) => string,
): { ok: true; value?: T } | { ok: false; values: string } {
  const distinct = new Map<string, T>();
  for (const v of values) if (v !== undefined) distinct.set(key(v), v);
  if (distinct.size > 1) return { ok: false, values: [...distinct.values()].map(show).sort().join(' vs ') };
  const [only] = distinct.values();
  return only === undefined ? { ok: true } : { ok: true, value: only };
}

function compareRefs(a: NetBoxObjectRef, b: NetBoxObjectRef): number {
  return compareText(a.model, b.model) || a.id - b.id;
}
