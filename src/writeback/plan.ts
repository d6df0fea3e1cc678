import { compareText } from '../model/values.ts';
import type { PoolKind } from '../model/intent.ts';
import type {
  DesiredRecord,
  ForeignRecord,
  OwnedRecord,
  WritebackChange,
  WritebackConflict,
  WritebackPlan,
  WritebackSettings,
} from './types.ts';

/**
 * The writeback plan: desired records against the records we own, written as the difference only. Pure.
 *
 * Rules (docs/writeback.md):
 * - A record is ours when it carries the managed tag and this cluster's tag; nothing else is ever changed or
 *   deleted. A desired record whose address NetBox already holds for something else is a conflict, not a write.
 * - Fields we own: the location (address with mask, prefix, range), our two tags, and the custom fields
 *   cluster / owner / pool / stale-since. Description and DNS name are written on create and rewritten only when
 *   the owner changes, so a person's edit of them stands. Status is written on create only. Other tags stay.
 * - A record whose allocation is gone is marked stale (stale-since = now) and deleted once the grace period has
 *   passed; one whose allocation comes back is unmarked. A kind whose allocation sources were not all read this
 *   cycle marks and deletes nothing.
 */

export interface WritebackInput {
  desired: readonly DesiredRecord[];
  owned: readonly OwnedRecord[];
  /** Records NetBox holds inside the selected space that are not ours (no managed tag or another cluster's). */
  foreign: readonly ForeignRecord[];
  /** Kinds whose allocations were read completely this cycle; records of other kinds are only added to. */
  readKinds: ReadonlySet<PoolKind>;
  settings: WritebackSettings;
  now: Date;
}

const stringOf = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The kind a record was written for, from its pool field (`calico:pods-a`); undefined when unreadable. */
export function kindOfPool(pool: string): string | undefined {
  const colon = pool.indexOf(':');
  return colon > 0 ? pool.slice(0, colon) : undefined;
}

export function calculateWriteback(input: WritebackInput): WritebackPlan {
  const { settings } = input;
  const f = settings.fields;
  const owned = oneRecordPerKey(input.owned, f.staleSince);
  const foreign = new Map<string, ForeignRecord>();
  for (const r of input.foreign) if (!owned.has(r.key)) foreign.set(hostKey(r), r);

  const changes: WritebackChange[] = [];
  const conflicts: WritebackConflict[] = [];
  const kept: WritebackPlan['kept'] = [];
  let unchanged = 0;

  for (const d of input.desired) {
    const mine = owned.get(d.key);
    if (mine === undefined) {
      const other = foreign.get(hostKey(d));
      if (other !== undefined) conflicts.push(heldBy(d, other, settings));
      else changes.push({ action: 'create', record: d });
      continue;
    }
    const patch = patchFor(d, mine, settings);
    if (Object.keys(patch).length === 0) unchanged++;
    else changes.push({ action: 'update', record: d, id: mine.id, patch, why: whyUpdate(patch, mine, f.staleSince) });
  }

  const desiredKeys = new Set(input.desired.map(d => d.key));
  for (const r of input.owned) {
    // A desired key's other records are duplicates of the one kept, and go the way of records no allocation holds.
    const duplicateOf = desiredKeys.has(r.key) ? owned.get(r.key)?.id : undefined;
    if (duplicateOf === r.id) continue;
    const pool = stringOf(r.customFields[f.pool]);
    const kind = kindOfPool(pool);
    if (kind !== undefined && !input.readKinds.has(kind)) {
      kept.push({
        key: r.key,
        id: r.id,
        why: 'not-read',
        reason: `${kind} allocations were not fully read this cycle`,
      });
      continue;
    }
    const since = Date.parse(stringOf(r.customFields[f.staleSince]));
    if (Number.isNaN(since)) {
      const why = markWhy(r, duplicateOf, f.owner);
      changes.push({
        action: 'mark-stale',
        id: r.id,
        model: r.model,
        key: r.key,
        patch: { custom_fields: { [f.staleSince]: input.now.toISOString() } },
        why,
      });
    } else if (input.now.getTime() - since >= settings.graceMs) {
      const why = `stale since ${new Date(since).toISOString()}, past the grace period`;
      changes.push({ action: 'delete', id: r.id, model: r.model, key: r.key, why });
    } else {
      const reason = `stale since ${new Date(since).toISOString()}, in its grace period`;
      kept.push({ key: r.key, id: r.id, why: 'stale', reason });
    }
  }

  changes.sort((a, b) => ORDER[a.action] - ORDER[b.action] || compareText(keyOf(a), keyOf(b)));
  const summary: WritebackPlan['summary'] = {
    create: 0,
    update: 0,
    'mark-stale': 0,
    delete: 0,
    conflict: conflicts.length,
    unchanged,
    kept: kept.length,
  };
  for (const c of changes) summary[c.action]++;
  return { changes, conflicts, kept, summary };
}

/**
 * One record per key: an unmarked one before a stale one, then the oldest. Others of the same key (two runs that
 * raced, e.g. two replicas after Redis lost their lock) are duplicates; left out here, they are marked and deleted
 * like records no allocation holds, instead of staying forever beside the one kept.
 */
function oneRecordPerKey(records: readonly OwnedRecord[], staleField: string): Map<string, OwnedRecord> {
  const stale = (r: OwnedRecord): number => Number(!Number.isNaN(Date.parse(stringOf(r.customFields[staleField]))));
  const out = new Map<string, OwnedRecord>();
  for (const r of [...records].sort((a, b) => stale(a) - stale(b) || a.id - b.id))
    if (!out.has(r.key)) out.set(r.key, r);
  return out;
}

function markWhy(r: OwnedRecord, duplicateOf: number | undefined, ownerField: string): string {
  return duplicateOf === undefined
    ? `no live allocation holds ${r.space} any more (was ${stringOf(r.customFields[ownerField]) || 'unknown'})`
    : `duplicate of record #${duplicateOf}, which is kept for ${r.space}`;
}

const ORDER: Record<WritebackChange['action'], number> = { delete: 0, 'mark-stale': 1, update: 2, create: 3 };

function keyOf(c: WritebackChange): string {
  return c.action === 'create' || c.action === 'update' ? c.record.key : c.key;
}

/** Addresses collide on their host part in NetBox, whatever the mask: key foreign records the same way. */
function hostKey(r: { model: string; vrf: number | null; space: string }): string {
  return `${r.model}|${r.vrf ?? 'global'}|${r.space}`;
}

/** Only what differs in the fields we own; description and DNS name only when the owner changed. */
function patchFor(d: DesiredRecord, r: OwnedRecord, s: WritebackSettings): Record<string, unknown> {
  const f = s.fields;
  const patch: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(d.location)) if (r.location[field] !== value) patch[field] = value;
  const cf: Record<string, unknown> = {};
  const ownerChanged = stringOf(r.customFields[f.owner]) !== d.owner;
  if (stringOf(r.customFields[f.cluster]) !== s.cluster) cf[f.cluster] = s.cluster;
  if (ownerChanged) cf[f.owner] = d.owner;
  if (stringOf(r.customFields[f.pool]) !== d.pool) cf[f.pool] = d.pool;
  if (r.customFields[f.staleSince] !== null && r.customFields[f.staleSince] !== undefined) cf[f.staleSince] = null;
  if (Object.keys(cf).length > 0) patch['custom_fields'] = cf;
  const missing = [s.managedTag, s.clusterTag].filter(t => !r.tags.includes(t));
  if (missing.length > 0) patch['tags'] = [...r.tags, ...missing].map(slug => ({ slug }));
  if (ownerChanged) {
    if (r.description !== d.description) patch['description'] = d.description;
    if (d.model === 'ip-address' && r.dnsName !== (d.dnsName ?? '')) patch['dns_name'] = d.dnsName ?? '';
  }
  return patch;
}

function whyUpdate(patch: Record<string, unknown>, r: OwnedRecord, staleField: string): string {
  const cf = (patch['custom_fields'] ?? {}) as Record<string, unknown>;
  if (staleField in cf && cf[staleField] === null && r.customFields[staleField] !== undefined) {
    return `the allocation is back: no longer stale`;
  }
  const fields = [...Object.keys(patch).filter(k => k !== 'custom_fields'), ...Object.keys(cf)];
  return `changed: ${fields.sort().join(', ')}`;
}

function heldBy(d: DesiredRecord, other: ForeignRecord, s: WritebackSettings): WritebackConflict {
  const otherCluster = other.tags.includes(s.managedTag) && !other.tags.includes(s.clusterTag);
  return {
    kind: otherCluster ? 'held-by-other-cluster' : 'held-by-other-record',
    space: d.space,
    vrf: d.vrf,
    owner: d.owner,
    pool: d.pool,
    reason: otherCluster
      ? `${d.space} is recorded by netbox-ippool-sync for another cluster (${other.display}); ${d.owner} of ${d.pool} also holds it here`
      : `${d.space} is recorded in NetBox as ${other.display}, which netbox-ippool-sync does not own; ${d.owner} of ${d.pool} holds it in the cluster`,
    netbox: { model: other.model, id: other.id, url: other.url, display: other.display },
  };
}
