import type { Cidr } from '../ip/index.ts';
import type { Config } from '../config/config.ts';
import type { NetBoxSnapshot } from '../model/netbox.ts';
import { indexHeld } from './exclusions.ts';
import type { PoolIntent } from '../model/intent.ts';
import { boundedIssue, describeSubject } from '../model/issue.ts';
import type { Issue } from '../model/issue.ts';
import { readMember, subjectOf } from './members.ts';
import type { Member, MemberResult } from './members.ts';
import { findCollisions } from './naming.ts';
import { compareText } from '../model/values.ts';
import { buildPool, poolSubject, withheld } from './pool.ts';
import type { VrfId } from './space.ts';

/**
 * NetBox snapshot + config → the pools the cluster should have. Pure and deterministic: intents are sorted by
 * kind, namespace and name, issues by subject. One bad object never stops the others: it gets an error, and the
 * pool it belongs to is withheld (a pool-subject error), which tells the plan to leave that pool as it is.
 *
 * Objects sharing kind, namespace and `k8s_pool_name` form one pool; they must share a VRF, must not overlap,
 * and must agree on block size, node selector and option values. Families may mix (dual-stack).
 * A pool is draining only when every member is deprecated; otherwise deprecated members are left out.
 */

export interface MappingResult {
  intents: PoolIntent[];
  issues: Issue[];
}

export function buildIntents(snapshot: NetBoxSnapshot, config: Config): MappingResult {
  const { index, issues } = indexHeld(snapshot, config.selection);
  const cidrCache = new Map<VrfId, Cidr[]>();
  const recordedCidrs = (vrf: VrfId): Cidr[] => {
    let list = cidrCache.get(vrf);
    if (!list) {
      list = index.prefixes.filter(p => p.vrf === vrf).map(p => p.cidr);
      cidrCache.set(vrf, list);
    }
    return list;
  };

  const groups = new Map<string, Member[]>();
  const unplaced = new Set<string>();
  const selected = [
    ...[...snapshot.prefixes].sort((a, b) => a.id - b.id).map(nb => ({ model: 'prefix' as const, nb })),
    ...[...snapshot.ipRanges].sort((a, b) => a.id - b.id).map(nb => ({ model: 'ip-range' as const, nb })),
  ];
  for (const obj of selected) {
    const result = contained(
      () => readMember(obj, config, recordedCidrs),
      err => crashedMember(obj, err, config),
    );
    issues.push(...result.issues);
    if (result.unplaced !== undefined) unplaced.add(result.unplaced);
    if (result.member) groups.set(result.member.key, [...(groups.get(result.member.key) ?? []), result.member]);
  }

  issues.push(...withholdDuplicates([...groups.values()].flat(), config));

  const pools = [...groups].map(([key, members]) => {
    const first = members[0] as Member;
    return { key, kind: first.kind, namespace: first.namespace, name: first.name, members };
  });
  const collided = new Set<string>();
  for (const group of findCollisions(pools)) {
    const objects = group.flatMap(p => p.members.map(m => m.ref.display)).join(', ');
    for (const pool of group) {
      collided.add(pool.key);
      for (const m of pool.members) {
        issues.push({
          severity: 'error',
          subject: subjectOf(m.ref),
          reason: `pool name ${pool.name} is also claimed by another pool (NetBox ${objects}); none of them is rendered`,
          field: `custom_fields.${config.selection.customFields.poolName}`,
          hint: `give the pools distinct ${config.selection.customFields.poolName} values, or the same one if they are meant to be one pool`,
        });
      }
    }
    const pool = group[0];
    if (pool)
      issues.push(withheld(poolSubject(pool), `${group.length} different pools map to this name (NetBox ${objects})`));
  }

  const intents: PoolIntent[] = [];
  for (const pool of pools) {
    if (collided.has(pool.key)) continue;
    const built = contained<{ intent?: PoolIntent; issues: Issue[] }>(
      () => buildPool(pool, unplaced, index, config),
      err => ({ issues: [withheld(poolSubject(pool), `mapping failed on this pool: ${messageOf(err)}`)] }),
    );
    issues.push(...built.issues);
    if (built.intent) intents.push(built.intent);
  }
  intents.sort(
    (a, b) =>
      compareText(a.kind, b.kind) || compareText(a.namespace ?? '', b.namespace ?? '') || compareText(a.name, b.name),
  );
  return { intents, issues: sortIssues(issues) };
}

/**
 * Two selected objects in one VRF with exactly the same addresses, in different pools. Two prefixes with one CIDR:
 * to the exclusion rule each is the other's subnet (a prefix holding a whole block is its parent), so neither is
 * carved out of the other and both pools would hand out the same addresses. Two IP ranges with one span: each is
 * held out of the other's pool in full, so neither pool has an address left (MetalLB and Cilium LB pools failed
 * with "every address is held", Whereabouts and Calico pools rendered with nothing to hand out). A prefix and a
 * range with one span: the prefix's pool loses every address to the range. Which one is meant cannot be guessed, so
 * every object involved is marked invalid, with an error naming the others and the reason.
 */
function withholdDuplicates(members: readonly Member[], config: Config): Issue[] {
  const bySpan = new Map<string, Member[]>();
  for (const m of members) {
    const at = `${m.vrfId ?? ''}|${m.range.family}|${m.range.start}-${m.range.end}`;
    bySpan.set(at, [...(bySpan.get(at) ?? []), m]);
  }
  const poolName = config.selection.customFields.poolName;
  const issues: Issue[] = [];
  for (const same of bySpan.values()) {
    if (new Set(same.map(m => m.key)).size < 2) continue;
    for (const m of same) {
      m.valid = false;
      const others = same.filter(o => o.key !== m.key);
      const prefixes = m.ref.model === 'prefix' && others.every(o => o.ref.model === 'prefix');
      const ranges = m.ref.model === 'ip-range' && others.every(o => o.ref.model === 'ip-range');
      const named = others.map(o =>
        prefixes
          ? `${o.kind} pool ${o.name}, id ${o.ref.id}`
          : `${o.kind} pool ${o.name} (NetBox ${MODEL_NAMES[o.ref.model]} ${o.ref.display}, id ${o.ref.id})`,
      );
      const reason = prefixes
        ? `the same prefix is also selected for ${named.join('; ')}; both pools would hand out the same addresses`
        : ranges
          ? `the same IP range is also selected for ${named.join('; ')}; each range would be held out of the ` +
            'other pool in full, leaving neither pool an address to hand out'
          : `the same addresses are also selected for ${named.join('; ')}; two pools must not hand out the same ` +
            'addresses';
      const what = prefixes ? 'prefix' : ranges ? 'IP range' : 'object';
      issues.push({
        severity: 'error',
        subject: subjectOf(m.ref),
        ...(m.ref.model === 'prefix' ? { field: 'prefix' } : {}),
        reason,
        hint: `remove the duplicate ${what} in NetBox, or give both the same ${poolName} if they are one pool`,
      });
    }
  }
  return issues;
}

/**
 * Runs one object's mapping so that an exception (a bug, or NetBox data no rule foresaw) becomes an error on that
 * object instead of ending the cycle: the other objects still map, and the object's pool is withheld, not deleted.
 */
function contained<T>(run: () => T, onError: (err: unknown) => T): T {
  try {
    return run();
  } catch (err) {
    return onError(err);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const MAPPING_BUG_HINT =
  'this is a bug in netbox-ippool-sync: please report it with the object; its pool is left as it is';

/** The object as far as it can still be named, and its pool (by `k8s_pool_name`) withheld. */
function crashedMember(obj: { model: 'prefix' | 'ip-range'; nb: unknown }, err: unknown, config: Config): MemberResult {
  const nb = (typeof obj.nb === 'object' && obj.nb !== null ? obj.nb : {}) as Record<string, unknown>;
  const field = (key: string): unknown => {
    try {
      return nb[key];
    } catch (readErr) {
      return `unreadable (${messageOf(readErr)})`;
    }
  };
  const id = typeof field('id') === 'number' ? (field('id') as number) : 0;
  const display = typeof field('display') === 'string' ? (field('display') as string) : `#${id}`;
  const url = field('url');
  const issue: Issue = {
    severity: 'error',
    subject: { type: 'netbox', model: obj.model, id, display, ...(typeof url === 'string' ? { url } : {}) },
    reason: `mapping failed on this object: ${messageOf(err)}`,
    hint: MAPPING_BUG_HINT,
  };
  const cfs = field('custom_fields');
  const poolName =
    typeof cfs === 'object' && cfs !== null
      ? (cfs as Record<string, unknown>)[config.selection.customFields.poolName]
      : undefined;
  return { issues: [issue], ...(typeof poolName === 'string' && poolName !== '' ? { unplaced: poolName } : {}) };
}

const MODEL_NAMES: Record<Member['ref']['model'], string> = { prefix: 'prefix', 'ip-range': 'IP range' };

function sortIssues(issues: Issue[]): Issue[] {
  const key = (i: Issue) => `${describeSubject(i.subject)}\u0000${i.field ?? ''}\u0000${i.reason}`;
  return issues
    .map(boundedIssue)
    .map(i => ({ i, k: key(i) }))
    .sort((a, b) => compareText(a.k, b.k))
    .map(x => x.i);
}
