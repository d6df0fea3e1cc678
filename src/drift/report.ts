import type { PoolKindAdapter } from '../kinds/adapter.ts';
import type { Allocation } from '../model/allocation.ts';
import { DRIFT_CATEGORIES } from '../model/drift.ts';
import type { DriftCategory, DriftEntry, DriftReport, DriftStatus, K8sRef, NetBoxLink } from '../model/drift.ts';
import type { PoolIntent } from '../model/intent.ts';
import { formatIssue } from '../model/issue.ts';
import type { Issue } from '../model/issue.ts';
import type { Plan, SourceHealth } from '../model/plan.ts';
import { compareText } from '../model/values.ts';
import type { RecordModel, WritebackConflict, WritebackPlan } from '../writeback/types.ts';
import { entryOfChange } from './changes.ts';
import { describeK8s, linkOfSubject, pageOf, poolObjectOf, webUrl } from './links.ts';
import { allocationEntries, overlapEntries, utilisationEntries, utilisationOf } from './space.ts';

/**
 * buildDriftReport: one cycle's findings as a DriftReport. Pure: everything comes from what the cycle already read
 * (the CycleResult pieces, and writeback's conflicts and kept records when writeback ran); the same input gives the
 * same report, byte for byte once rendered.
 *
 * Where each category comes from:
 *   missing / unexpected / changed / blocked / invalid / unmanaged — the plan's changes (create; delete and drain;
 *     update, replace and namespace annotations with the field diff; blocked with its reason; invalid with its issue;
 *     unmanaged pools overlapping NetBox space)
 *   conflict      — writeback's conflicts; pools overlapping each other in one VRF; allocations outside their
 *                   pool's NetBox space or on addresses NetBox records for something else
 *   unexcludable  — `conflict` issues: NetBox-held addresses a kind cannot exclude (Cilium pod pools)
 *   stale         — writeback's kept records that wait out their grace period
 *   utilisation   — pools at or above the threshold
 * When NetBox could not be read the status is `unknown` and the headline says so: an empty report then proves nothing.
 */

/** The kinds the cycle looked for (structurally the k8s stage's KindAvailability). */
export interface KindNote {
  kind: string;
  installed: boolean;
  note?: string;
}

export interface DriftInput {
  cluster: string;
  /** NetBox base URL (`config.netbox.url`), for links to objects only known by id. */
  netboxUrl: string;
  source: SourceHealth;
  intents: readonly PoolIntent[];
  issues: readonly Issue[];
  kinds?: readonly KindNote[];
  allocations: readonly Allocation[];
  plan: Pick<Plan, 'changes'>;
  adapters: readonly PoolKindAdapter[];
  /** Percent, 0-100; default 80 (`drift.utilisationThreshold`). */
  threshold?: number;
  /** Writeback's findings, when writeback ran this cycle. */
  writeback?: { conflicts?: readonly WritebackConflict[]; kept?: WritebackPlan['kept'] };
  generatedAt?: string;
}

export const DEFAULT_UTILISATION_THRESHOLD = 80;

const ORDER = new Map<DriftCategory, number>(DRIFT_CATEGORIES.map((c, i) => [c, i]));

/** `namespace/pod`, `node/<name>` (writeback's owner text) → the object, its kind taken from the allocation. */
function ownerOfConflict(owner: string, allocations: readonly Allocation[]): K8sRef {
  const slash = owner.indexOf('/');
  const first = slash < 0 ? '' : owner.slice(0, slash);
  const name = slash < 0 ? owner : owner.slice(slash + 1);
  if (first === 'node') return { kind: 'Node', name };
  const a = allocations.find(x => x.owner.name === name && (x.owner.namespace ?? '') === first);
  const ref: K8sRef = { kind: a?.owner.kind ?? 'Pod', name };
  if (first !== '') ref.namespace = first;
  return ref;
}

function writebackConflictEntry(c: WritebackConflict, input: DriftInput): DriftEntry {
  const k8s = ownerOfConflict(c.owner, input.allocations);
  const netbox: NetBoxLink[] = c.netbox
    ? [{ model: c.netbox.model, id: c.netbox.id, display: c.netbox.display, url: webUrl(c.netbox.url) }]
    : [];
  const kind = c.pool?.split(':')[0];
  return {
    id: `conflict:${c.kind}:${c.vrf ?? 'global'}:${c.space}`,
    category: 'conflict',
    summary: `${describeK8s(k8s)} holds ${c.space}${c.netbox ? `, which NetBox records as ${c.netbox.display}` : ''}`,
    reason: c.reason,
    hint:
      c.kind === 'outside-netbox-space'
        ? 'record the space in NetBox for this cluster, or free the address'
        : 'free the address in the cluster, or change the NetBox record if the cluster is right',
    ...(kind ? { poolKind: kind } : {}),
    k8s,
    netbox,
    space: c.space,
  };
}

function staleEntries(kept: WritebackPlan['kept'], netboxUrl: string): DriftEntry[] {
  // Writeback keeps records for two reasons; only those waiting out the grace period are stale (writeback/plan.ts).
  return kept
    .filter(k => k.why === 'stale')
    .map(k => {
      const [model, , space] = k.key.split('|') as [RecordModel, string, string];
      return {
        id: `stale:${k.key}`,
        category: 'stale' as const,
        summary: `NetBox ${model} ${space} (id ${k.id}) has no allocation any more`,
        reason: k.reason,
        hint: 'nothing to do: it is deleted when the grace period ends, or unmarked if the allocation returns',
        netbox: [{ model, id: k.id, display: space, url: pageOf(netboxUrl, model, k.id) }],
        space,
      };
    });
}

function unexcludableEntries(input: DriftInput): DriftEntry[] {
  return input.issues
    .filter(i => i.severity === 'conflict')
    .map(i => {
      const link = linkOfSubject(i.subject, input.netboxUrl);
      const s = i.subject;
      const intent =
        s.type === 'netbox'
          ? input.intents.find(p => p.sources.some(r => r.model === s.model && r.id === s.id))
          : undefined;
      const k8s = intent === undefined ? undefined : poolObjectOf(intent, input.adapters);
      const entry: DriftEntry = {
        id: `unexcludable:${formatIssue(i)}`,
        category: 'unexcludable',
        summary: k8s ? `${describeK8s(k8s)}: ${i.reason}` : i.reason,
        reason: i.reason,
        netbox: link ? [link] : [],
      };
      if (i.hint !== undefined) entry.hint = i.hint;
      if (intent !== undefined) entry.poolKind = intent.kind;
      if (k8s !== undefined) entry.k8s = k8s;
      return entry;
    });
}

function notesOf(input: DriftInput): string[] {
  const kinds = (input.kinds ?? [])
    .filter(k => !k.installed)
    .map(k => `${k.kind}: not installed in the cluster${k.note ? ` (${k.note})` : ''}`);
  const warnings = input.issues.filter(i => i.severity === 'warning').map(formatIssue);
  return [...kinds, ...warnings];
}

export function headlineOf(
  cluster: string,
  status: DriftStatus,
  counts: Record<DriftCategory, number>,
  source: SourceHealth,
): string {
  const found = DRIFT_CATEGORIES.filter(c => counts[c] > 0).map(c => `${counts[c]} ${c}`);
  if (status === 'unknown') {
    const seen = found.length > 0 ? ` Found anyway: ${found.join(', ')}.` : '';
    return `Drift unknown for cluster ${cluster}: NetBox could not be read (${source.reason ?? 'no reason given'}); nothing in this report rules drift out.${seen}`;
  }
  if (status === 'clean') return `No drift for cluster ${cluster}: the cluster matches NetBox.`;
  return `Drift in cluster ${cluster}: ${found.join(', ')}.`;
}

export function buildDriftReport(input: DriftInput): DriftReport {
  const threshold = input.threshold ?? DEFAULT_UTILISATION_THRESHOLD;
  const space = { ...input, threshold };
  const utilisation = utilisationOf(space);
  const candidates: DriftEntry[] = [
    ...input.plan.changes.map(c => entryOfChange(c, input.netboxUrl, input.adapters)),
    ...(input.writeback?.conflicts ?? []).map(c => writebackConflictEntry(c, input)),
    ...overlapEntries(space),
    ...allocationEntries(space),
    ...unexcludableEntries(input),
    ...staleEntries(input.writeback?.kept ?? [], input.netboxUrl),
    ...utilisationEntries(utilisation, threshold),
  ];
  // First wins: writeback's own conflict about an address says more than ours about the same one.
  const byId = new Map<string, DriftEntry>();
  for (const e of candidates) if (!byId.has(e.id)) byId.set(e.id, e);
  const entries = [...byId.values()].sort(
    (a, b) => (ORDER.get(a.category) ?? 0) - (ORDER.get(b.category) ?? 0) || compareText(a.id, b.id),
  );
  const counts = Object.fromEntries(DRIFT_CATEGORIES.map(c => [c, 0])) as Record<DriftCategory, number>;
  for (const e of entries) counts[e.category]++;
  const status: DriftStatus = !input.source.healthy ? 'unknown' : entries.length > 0 ? 'drift' : 'clean';
  const report: DriftReport = {
    cluster: input.cluster,
    source: input.source,
    status,
    headline: headlineOf(input.cluster, status, counts, input.source),
    threshold,
    counts,
    entries,
    utilisation,
    notes: notesOf(input),
  };
  if (input.generatedAt !== undefined) report.generatedAt = input.generatedAt;
  return report;
}
