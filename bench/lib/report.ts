/**
 * What `npm run bench` prints and files: one fixed-width table of every scenario's rows, the target checks, and
 * the JSON written to `bench/results/`. Pure formatting; run.ts does the I/O.
 */
import type { BenchRow, TargetCheck } from './types.ts';

/** Ratios and figures print with three significant digits at most (1.23, 12.3, 123, 1234). */
export function figure(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 100 || Number.isInteger(n)) return n.toFixed(0);
  if (abs >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function seconds(ms: number): string {
  return ms >= 100_000 ? `${(ms / 1000).toFixed(0)} s` : `${(ms / 1000).toFixed(2)} s`;
}

interface Column {
  title: string;
  align: 'left' | 'right';
  cell(row: BenchRow): string;
}

const COLUMNS: Column[] = [
  { title: 'scenario', align: 'left', cell: r => r.scenario },
  { title: 'step', align: 'left', cell: r => r.step },
  { title: 'netbox', align: 'left', cell: r => r.netbox },
  { title: 'size', align: 'right', cell: r => String(r.size) },
  { title: 'wall', align: 'right', cell: r => seconds(r.wallMs) },
  { title: 'NB reads', align: 'right', cell: r => String(r.netboxReads) },
  { title: 'NB writes', align: 'right', cell: r => String(r.netboxWrites) },
  { title: 'kube req', align: 'right', cell: r => (Number.isFinite(r.kubeRequests) ? String(r.kubeRequests) : '-') },
  { title: 'RSS MiB', align: 'right', cell: r => (r.peakRssMiB === undefined ? '-' : r.peakRssMiB.toFixed(0)) },
  {
    title: 'ratios',
    align: 'left',
    cell: r =>
      Object.entries(r.ratios ?? {})
        .map(([k, v]) => `${k} ${figure(v)}`)
        .join('; ') || '-',
  },
];

/** The table: a header, a rule, one line per row; then each row's extras and notes as numbered footnotes. */
export function formatTable(rows: readonly BenchRow[]): string {
  const cells = rows.map(r => COLUMNS.map(c => c.cell(r)));
  const widths = COLUMNS.map((c, i) => Math.max(c.title.length, ...cells.map(line => line[i]?.length ?? 0)));
  const line = (values: string[]): string =>
    values
      .map((v, i) => (COLUMNS[i]?.align === 'right' ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [line(COLUMNS.map(c => c.title)), widths.map(w => '-'.repeat(w)).join('  ')];
  const notes: string[] = [];
  rows.forEach((r, i) => {
    const extra = Object.entries(r.extra ?? {}).map(([k, v]) => `${k} ${typeof v === 'number' ? figure(v) : v}`);
    const text = [...extra, ...(r.notes ? [r.notes] : [])].join('; ');
    let mark = '';
    if (text !== '') {
      notes.push(`[${notes.length + 1}] ${r.scenario} / ${r.step} (${r.netbox}): ${text}`);
      mark = ` [${notes.length}]`;
    }
    out.push(line(cells[i] ?? []) + mark);
  });
  if (rows.length === 0) out.push('(no rows)');
  return [...out, ...(notes.length ? ['', ...notes] : [])].join('\n');
}

export function formatTargets(targets: readonly (TargetCheck & { scenario: string })[]): string {
  if (targets.length === 0) return '(no targets checked)';
  return targets
    .map(t => `${t.holds ? 'holds        ' : 'DOES NOT HOLD'}  [${t.scenario}] ${t.target}: ${t.measured}`)
    .join('\n');
}

/** `bench/results/<date>.json` for a run of every scenario; a run of some names its file after them. */
export function resultsFileName(date: Date, picked: readonly string[] | undefined): string {
  const day = date.toISOString().slice(0, 10);
  return picked && picked.length > 0 ? `${day}.${picked.join('-')}.json` : `${day}.json`;
}

/** Ratio a ÷ b, or NaN when b is 0 (printed as NaN rather than Infinity, so nobody reads it as a result). */
export function ratio(a: number, b: number): number {
  return b === 0 ? Number.NaN : a / b;
}

/** The p-th percentile (0..100) of `values` by nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}
