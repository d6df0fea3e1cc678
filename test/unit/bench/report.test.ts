import { describe, expect, it } from 'vitest';
import { figure, formatTable, formatTargets, percentile, ratio, resultsFileName } from '../../../bench/lib/report.ts';
import type { BenchRow } from '../../../bench/lib/types.ts';

const row = (over: Partial<BenchRow>): BenchRow => ({
  scenario: 'naive',
  step: 'ours',
  netbox: 'emulator',
  size: 10000,
  wallMs: 2345,
  netboxReads: 9,
  netboxWrites: 100,
  kubeRequests: 27,
  ...over,
});

describe('bench report', () => {
  it('prints one aligned line per row, numbers right-aligned, extras and notes as footnotes', () => {
    const text = formatTable([
      row({ peakRssMiB: 182.4, ratios: { 'naive ÷ ours': 31.234 }, extra: { 'p95 ms': 1172.4 }, notes: 'n1' }),
      row({ step: 'naive GET+POST each', wallMs: 123_456, kubeRequests: Number.NaN }),
    ]).split('\n');
    expect(text[0]).toMatch(/^scenario {2}step +netbox +size +wall +NB reads +NB writes +kube req +RSS MiB +ratios$/);
    const cols = (line: string) => line.split(/ {2,}/);
    expect(cols(text[2]!)).toEqual([
      'naive',
      'ours',
      'emulator',
      '10000',
      '2.35 s',
      '9',
      '100',
      '27',
      '182',
      'naive ÷ ours 31.2 [1]',
    ]);
    expect(cols(text[3]!)).toEqual([
      'naive',
      'naive GET+POST each',
      'emulator',
      '10000',
      '123 s',
      '9',
      '100',
      '-',
      '-',
      '-',
    ]);
    // Right-aligned columns end where their title ends.
    const end = (line: string, cell: string) => line.indexOf(cell) + cell.length;
    expect(end(text[2]!, '2.35 s')).toBe(end(text[0]!, 'wall'));
    expect(end(text[3]!, '123 s')).toBe(end(text[0]!, 'wall'));
    expect(text.at(-1)).toBe('[1] naive / ours (emulator): p95 ms 1172; n1');
  });

  it('says when there are no rows or targets, and marks targets that do not hold', () => {
    expect(formatTable([])).toContain('(no rows)');
    expect(formatTargets([])).toBe('(no targets checked)');
    expect(
      formatTargets([
        { scenario: 'events', target: 'p95 < 2 s', measured: '1.2 s', holds: true },
        { scenario: 'naive', target: '≥ 20×', measured: '15×', holds: false },
      ]),
    ).toBe('holds          [events] p95 < 2 s: 1.2 s\nDOES NOT HOLD  [naive] ≥ 20×: 15×');
  });

  it('percentiles by nearest rank, ratios without Infinity, figures with three digits at most', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, unsorted
    expect([percentile(values, 50), percentile(values, 95), percentile(values, 100)]).toEqual([50, 95, 100]);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(ratio(10, 0)).toBeNaN();
    expect(ratio(30, 1.5)).toBe(20);
    expect([figure(1.234), figure(12.34), figure(123.4), figure(5)]).toEqual(['1.23', '12.3', '123', '5']);
  });

  it('names the results file after the day, and after the scenarios when only some ran', () => {
    const d = new Date('2026-12-02T23:59:00Z');
    expect(resultsFileName(d, undefined)).toBe('2026-12-02.json');
    expect(resultsFileName(d, [])).toBe('2026-12-02.json');
    expect(resultsFileName(d, ['naive', 'events'])).toBe('2026-12-02.naive-events.json');
  });
});
