import type { DriftEntry, DriftReport } from '../model/drift.ts';
import { compareText } from '../model/values.ts';

/**
 * Which drift appeared and which cleared between two reports, by entry id: what Kubernetes Events and NetBox journal
 * entries are written from, one when a drift appears and one when it clears, never one per cycle.
 *
 * A report built while NetBox could not be read proves nothing is gone, so it clears nothing; its `baseline` keeps
 * the previous entries (plus any new ones) so the next healthy report is compared with what was really last known.
 * Pass `baseline` as `previous` next time.
 */
export interface DriftEvents {
  appeared: DriftEntry[];
  cleared: DriftEntry[];
  baseline: DriftReport;
}

const byId = (a: DriftEntry, b: DriftEntry): number => compareText(a.id, b.id);

export function driftEvents(previous: DriftReport | undefined, current: DriftReport): DriftEvents {
  const before = new Map((previous?.entries ?? []).map(e => [e.id, e]));
  const now = new Map(current.entries.map(e => [e.id, e]));
  const appeared = current.entries.filter(e => !before.has(e.id)).sort(byId);
  if (current.status === 'unknown') {
    const kept = [...before.values(), ...appeared].sort(byId);
    return { appeared, cleared: [], baseline: { ...current, entries: kept } };
  }
  const cleared = [...before.values()].filter(e => !now.has(e.id)).sort(byId);
  return { appeared, cleared, baseline: current };
}
