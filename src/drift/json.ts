import type { DriftReport } from '../model/drift.ts';
import { sortKeysDeep } from '../model/values.ts';

/** The report as JSON: keys sorted at every level, entries in report order, two-space indent, one trailing newline. */
export function renderDriftJson(report: DriftReport): string {
  return `${JSON.stringify(sortKeysDeep(report), null, 2)}\n`;
}
