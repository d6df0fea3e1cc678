import { compareRanges, formatCidr, rangesOverlap } from '../ip/index.ts';
import type { Config } from '../config/config.ts';
import { blockExclusions, memberKey, recordedGateway } from './exclusions.ts';
import type { HeldIndex } from './exclusions.ts';
import type { NetBoxObjectRef, PoolBlock, PoolIntent } from '../model/intent.ts';
import { describeSubject } from '../model/issue.ts';
import type { Issue, IssueSubject } from '../model/issue.ts';
import { subjectOf } from './members.ts';
import type { Member } from './members.ts';
import { cmp, vrfSlug } from './naming.ts';
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
  const subject = poolSubject(pool);
  const cf = config.selection.customFields;
  const issues: Issue[] = [];
  const invalid = pool.members.filter(m => !m.valid);
  if (invalid.length > 0) {
    return {
      issues: [withheld(subject, `${invalid.map(m => describeSubject(subjectOf(m.ref))).join(', ')} has errors`)],
    };
  }
  const poolName = pool.members[0]?.params.poolName;
  if (poolName !== undefined && unplaced.has(poolName)) {
    return { issues: [withheld(subject, `another NetBox object with ${cf.poolName} "${poolName}" has errors`)] };
  }

  const active = pool.members.filter(m => m.status === 'active');
  const state = active.length === 0 ? 'draining' : 'active';
  const members = active.length === 0 ? pool.members : active;
  const omitted = pool.members.filter(m => !members.includes(m));
  if (omitted.length > 0) {
    issues.push({
      severity: 'warning',
      subject,
      reason: `deprecated member(s) ${omitted.map(m => m.ref.display).join(', ')} left out; the pool stays active with the others`,
      hint: 'deprecate every member to drain the whole pool',
    });
  }

  const conflict = (field: string, what: string) => withheld(subject, what, field);
  const vrfs = new Set(members.map(m => m.vrfId));
  if (vrfs.size > 1) {
    const list = members.map(m => `${m.ref.display} in ${m.vrf ? `VRF ${m.vrf.name}` : 'the global table'}`).join(', ');
    for (const m of members) {
      issues.push({
        severity: 'error',
        subject: subjectOf(m.ref),
        field: 'vrf',
        reason: `members of pool ${pool.name} are in different VRFs: ${list}`,
      });
    }
    return { issues: [...issues, conflict('vrf', `members are in different VRFs (${list})`)] };
  }
  for (let i = 0; i < members.length; i++) {
    for (let j = i + 1; j < members.length; j++) {
      const [a, b] = [members[i] as Member, members[j] as Member];
      if (rangesOverlap(a.range, b.range)) {
        return {
          issues: [
            ...issues,
            conflict(`custom_fields.${cf.poolName}`, `members ${a.ref.display} and ${b.ref.display} overlap`),
          ],
        };
      }
    }
  }
  const blockSize = agreed(
    members.map(m => m.params.blockSize),
    String,
    String,
  );
  if (!blockSize.ok)
    return {
      issues: [
        ...issues,
        conflict(`custom_fields.${cf.blockSize}`, `members ask for different block sizes (${blockSize.values})`),
      ],
    };
  const selector = agreed(
    members.map(m => m.params.nodeSelector),
    selectorKey,
    s => JSON.stringify(s.raw),
  );
  if (!selector.ok) {
    return {
      issues: [
        ...issues,
        conflict(`custom_fields.${cf.nodeSelector}`, `members ask for different node selectors (${selector.values})`),
      ],
    };
  }
  const options: Record<string, unknown> = {};
  for (const m of members) {
    for (const [k, v] of Object.entries(m.params.options ?? {})) {
      if (k in options && JSON.stringify(options[k]) !== JSON.stringify(v)) {
        return {
          issues: [
            ...issues,
            conflict(`custom_fields.${cf.options}.${k}`, `members set option ${k} to different values`),
          ],
        };
      }
      options[k] = v;
    }
  }
  const tenants = new Map(members.flatMap(m => (m.tenant ? [[m.tenant.id, m.tenant] as const] : [])));
  const tenantIds = new Set(members.map(m => m.tenant?.id ?? null));
  if (tenantIds.size > 1) {
    issues.push({
      severity: 'warning',
      subject,
      field: 'tenant',
      reason: 'members have different tenants; the pool carries none',
    });
  }

  const memberKeys = new Set(pool.members.map(m => memberKey(m.ref.model, m.ref.id)));
  const blocks: PoolBlock[] = [];
  for (const m of members) {
    let gateway = m.params.gateway;
    if (gateway === undefined) {
      const found = recordedGateway(m.network, m.vrfId, index, config.selection);
      gateway = found.gateway;
      if (found.ambiguous) {
        issues.push({
          severity: 'warning',
          subject: subjectOf(m.ref),
          field: `custom_fields.${cf.gateway}`,
          reason: `several addresses in ${formatCidr(m.network)} look like its gateway (${found.ambiguous.join(', ')}); none is used`,
          hint: `set ${cf.gateway}, or tag only one address with ${config.selection.gatewayTag}`,
        });
      }
    }
    const block: PoolBlock = {
      source: m.ref,
      network: m.network,
      range: m.range,
      exclusions: blockExclusions({ vrf: m.vrfId, range: m.range, members: memberKeys }, index, gateway),
    };
    if (gateway !== undefined) block.gateway = gateway;
    blocks.push(block);
  }
  blocks.sort((a, b) => compareRanges(a.range, b.range));

  const intent: PoolIntent = {
    kind: pool.kind,
    name: pool.name,
    state,
    blocks,
    namespaces: [...new Set(members.flatMap(m => m.params.namespaces ?? []))].sort(),
    options,
    sources: members.map(m => m.ref).sort(compareRefs),
  };
  if (pool.namespace !== undefined) intent.namespace = pool.namespace;
  const vrf = members[0]?.vrf;
  if (vrf) intent.vrf = { id: vrf.id, name: vrf.name, rd: vrf.rd ?? null, slug: vrfSlug(vrf) };
  const tenant = tenantIds.size === 1 ? [...tenants.values()][0] : undefined;
  if (tenant) {
    intent.tenant = { id: tenant.id, name: tenant.name ?? tenant.display ?? String(tenant.id) };
    if (tenant.slug !== undefined) intent.tenant.slug = tenant.slug;
  }
  if (blockSize.value !== undefined) intent.blockSize = blockSize.value;
  if (selector.value !== undefined) intent.nodeSelector = selector.value;
  return { intent, issues };
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
  return cmp(a.model, b.model) || a.id - b.id;
}
