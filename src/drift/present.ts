import type { DriftCategory, DriftEntry, DriftReport, FieldDrift, K8sRef, NetBoxLink } from '../model/drift.ts';
import { DRIFT_CATEGORIES } from '../model/drift.ts';

/** What the Markdown and HTML renderers share: icons, labels, phrasing. Icons carry meaning without colour. */

/**
 * Symbols from the Dingbats, Geometric Shapes and Math Operators blocks, which ordinary text fonts (DejaVu, Liberation)
 * carry: colour emoji are missing on many servers and headless browsers and would show as empty boxes. Every symbol
 * stands beside its category's word, never alone.
 */
export const CATEGORY_ICON: Readonly<Record<DriftCategory, string>> = {
  missing: '✚',
  unexpected: '⊖',
  changed: '✎',
  blocked: '⊘',
  invalid: '✖',
  unmanaged: '?',
  conflict: '⚠',
  unexcludable: '⊗',
  stale: '◷',
  utilisation: '▮',
};

export const STATUS_ICON = { clean: '✔', drift: '⚠', unknown: '?' } as const;

export function k8sText(r: K8sRef | undefined): string {
  if (r === undefined) return '—';
  return `${r.kind} ${r.namespace === undefined ? '' : `${r.namespace}/`}${r.name}`;
}

export function fieldText(f: FieldDrift): string {
  return `${f.path}: NetBox says ${f.netbox ?? '(absent)'} / the cluster has ${f.cluster ?? '(absent)'}`;
}

/** Reason plus the details an entry carries, as plain sentences. */
export function detailLines(e: DriftEntry): string[] {
  const lines = [e.reason];
  if (e.blockedAction !== undefined) lines.push(`would have: ${e.blockedAction}`);
  if (e.allocations !== undefined) lines.push(`live allocations: ${e.allocations}`);
  if (e.space !== undefined) lines.push(`space: ${e.space}`);
  if (e.hint !== undefined) lines.push(`next step: ${e.hint}`);
  return lines;
}

export function categoriesWithEntries(report: DriftReport): DriftCategory[] {
  return DRIFT_CATEGORIES.filter(c => report.counts[c] > 0);
}

/** A text bar for Markdown: 20 cells. */
export function textBar(percent: number): string {
  const full = Math.max(0, Math.min(20, Math.round(percent / 5)));
  return `${'█'.repeat(full)}${'░'.repeat(20 - full)}`;
}

/** `prefix 10.20.0.0/24`; a display that already names the model (`prefix 12`, from an annotation) is kept as it is. */
export function linkLabel(l: NetBoxLink): string {
  return l.display.startsWith(`${l.model} `) ? l.display : `${l.model} ${l.display}`;
}
