import { appendFileSync } from 'node:fs';

/**
 * One line of the reliability figures: what a suite tried and what went wrong. `lost`, `duplicated` and
 * `wronglyDeleted` must be 0; the suite asserts that itself, the table only shows it.
 */
export interface FigureRow {
  suite: string;
  scenario: string;
  /** Trials (runs, inputs, kills) made. */
  trials: number;
  /** Faults injected (kills, failed requests, bad objects, ...). */
  faults: number;
  /** NetBox records or pools that should exist afterwards and did not. */
  lost: number;
  /** NetBox records present more than once, or objects applied twice in a harmful way. */
  duplicated: number;
  /** Pools or records deleted that should have been kept. */
  wronglyDeleted: number;
  /** Seed that reproduces the run, when it is random. */
  seed?: number;
  /** Anything else worth a number (per-object errors reported, crashes, ...). */
  extra?: Record<string, number | string>;
}

/** Appends rows to the run's figures file (path from `inject('reliabilityFigures')`). */
export function recordFigures(file: string, rows: FigureRow[]): void {
  appendFileSync(file, rows.map(row => `${JSON.stringify(row)}\n`).join(''));
}

/** The figures as a fixed-width text table, one row per scenario, totals last. */
export function figuresTable(rows: FigureRow[]): string {
  const header = ['suite', 'scenario', 'trials', 'faults', 'lost', 'dup', 'wrongly deleted', 'seed', 'other'];
  const body = rows.map(r => [
    r.suite,
    r.scenario,
    String(r.trials),
    String(r.faults),
    String(r.lost),
    String(r.duplicated),
    String(r.wronglyDeleted),
    r.seed === undefined ? '' : String(r.seed),
    Object.entries(r.extra ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
  ]);
  const sum = (pick: (r: FigureRow) => number): string => String(rows.reduce((n, r) => n + pick(r), 0));
  body.push([
    'total',
    `${rows.length} scenarios`,
    sum(r => r.trials),
    sum(r => r.faults),
    sum(r => r.lost),
    sum(r => r.duplicated),
    sum(r => r.wronglyDeleted),
    '',
    '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map(row => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map(w => '-'.repeat(w))), ...body.map(line)].join('\n');
}
