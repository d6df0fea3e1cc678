import { describe, expect, it } from 'vitest';
import { DRIFT_CATEGORIES } from '../model/drift.ts';
import type { DriftCategory, DriftEntry, DriftReport } from '../model/drift.ts';
import { driftEvents } from './events.ts';
import { escapeHtml, renderDriftHtml } from './html.ts';
import { renderDriftJson } from './json.ts';
import { renderDriftMarkdown } from './markdown.ts';
import { DRIFT_ENTRIES, DRIFT_SOURCE_HEALTHY, POOL_UTILISATION_RATIO, driftGauges } from './metrics.ts';
import { headlineOf } from './report.ts';

const entry = (category: DriftCategory, name: string, extra: Partial<DriftEntry> = {}): DriftEntry => ({
  id: `${category}:${name}`,
  category,
  summary: `${name} summary`,
  reason: `${name} reason`,
  k8s: { kind: 'IPAddressPool', namespace: 'metallb-system', name },
  netbox: [{ model: 'prefix', id: 7, display: '10.1.0.0/24', url: 'https://nb.example/ipam/prefixes/7/' }],
  ...extra,
});

function report(entries: DriftEntry[], over: Partial<DriftReport> = {}): DriftReport {
  const counts = Object.fromEntries(DRIFT_CATEGORIES.map(c => [c, entries.filter(e => e.category === c).length]));
  const status = over.source?.healthy === false ? 'unknown' : entries.length ? 'drift' : 'clean';
  const source = over.source ?? { healthy: true };
  return {
    cluster: 'lab',
    source,
    status,
    headline: headlineOf('lab', status, counts as DriftReport['counts'], source),
    threshold: 80,
    counts: counts as DriftReport['counts'],
    entries,
    utilisation: [
      {
        poolKind: 'metallb',
        k8s: { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', namespace: 'metallb-system', name: 'lb' },
        netbox: [{ model: 'prefix', id: 7, display: '10.1.0.0/24', url: 'https://nb.example/ipam/prefixes/7/' }],
        used: '12',
        size: '15',
        percent: 80,
        overThreshold: true,
        nodeBlocks: [{ node: 'n1', block: '10.1.0.0/26', used: '3', size: '64', percent: 4.7 }],
      },
    ],
    notes: [],
    ...over,
  };
}

const every = DRIFT_CATEGORIES.map(c =>
  entry(
    c,
    `pool-${c}`,
    c === 'changed' ? { fields: [{ path: 'spec.autoAssign', netbox: 'false', cluster: 'true' }] } : {},
  ),
);

describe('renderers', () => {
  it('JSON: keys sorted at every level, stable bytes', () => {
    const text = renderDriftJson(report(every));
    expect(text).toBe(renderDriftJson(JSON.parse(text) as DriftReport));
    const keys = Object.keys(JSON.parse(text) as object);
    expect(keys).toEqual([...keys].sort());
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('Markdown: headline first, a summary row and a section for every category, fields as NetBox says / cluster has', () => {
    const md = renderDriftMarkdown(report(every));
    expect(md.split('\n').slice(0, 3)).toEqual([
      '# Drift report: cluster lab',
      '',
      expect.stringContaining('**Drift in cluster lab: 1 missing'),
    ]);
    for (const c of DRIFT_CATEGORIES) {
      expect(md).toContain(`pool-${c} summary`);
      expect(md).toMatch(new RegExp(`\\| .* ${c} — .* \\| 1 \\|`));
    }
    expect(md).toContain('spec.autoAssign: NetBox says false / the cluster has true');
    expect(md).toContain('[prefix 10.1.0.0/24](https://nb.example/ipam/prefixes/7/)');
    expect(md).toContain('↳ node n1 block 10.1.0.0/26');
  });

  it('Markdown escapes table syntax inside values', () => {
    const md = renderDriftMarkdown(report([entry('invalid', 'a|b', { reason: 'line one\nline | two' })]));
    expect(md).toContain('a\\|b summary');
    expect(md).toContain('line one<br>line \\| two');
  });

  it('HTML: self-contained, escaped, every category and its count', () => {
    const html = renderDriftHtml(report([...every, entry('invalid', '<script>alert(1)</script>')]));
    expect(html).not.toMatch(/<(link|img|iframe)\b|<script\s+src|@import|url\(/i);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain(escapeHtml('<script>alert(1)</script>'));
    for (const c of DRIFT_CATEGORIES) {
      expect(html).toContain(`data-category="${c}" aria-pressed="false"`);
    }
    expect(html).toMatch(/data-category="invalid"[^>]*><span class="count">2<\/span>/);
    expect(html).toContain('role="meter"');
    expect(html).toContain('⚠ 80.0% — at or above 80%');
  });

  it('unknown: every format says NetBox was not read, none says "no drift"', () => {
    const r = report([], { source: { healthy: false, reason: 'connect ECONNREFUSED 127.0.0.1:1' } });
    for (const text of [renderDriftJson(r), renderDriftMarkdown(r), renderDriftHtml(r)]) {
      expect(text).toContain('NetBox could not be read (connect ECONNREFUSED 127.0.0.1:1)');
      expect(text).not.toMatch(/no drift/i);
    }
  });
});

describe('driftEvents: one event when a drift appears, one when it clears', () => {
  const a = entry('missing', 'a');
  const b = entry('changed', 'b');
  const c = entry('conflict', 'c');
  it.each<[string, DriftEntry[] | undefined, DriftEntry[], string[], string[]]>([
    ['first report: everything appears', undefined, [a, b], ['changed:b', 'missing:a'], []],
    ['nothing changed: no events', [a, b], [a, b], [], []],
    ['one cleared, one new', [a, b], [b, c], ['conflict:c'], ['missing:a']],
    ['all cleared', [a, b], [], [], ['changed:b', 'missing:a']],
  ])('%s', (_n, before, now, appeared, cleared) => {
    const ev = driftEvents(before === undefined ? undefined : report(before), report(now));
    expect(ev.appeared.map(e => e.id)).toEqual(appeared);
    expect(ev.cleared.map(e => e.id)).toEqual(cleared);
  });

  it('a report while NetBox is unreadable clears nothing, and the baseline remembers what was there', () => {
    const unknown = report([c], { source: { healthy: false, reason: 'timeout' } });
    const during = driftEvents(report([a, b]), unknown);
    expect([during.appeared.map(e => e.id), during.cleared]).toEqual([['conflict:c'], []]);
    expect(during.baseline.entries.map(e => e.id)).toEqual(['changed:b', 'conflict:c', 'missing:a']);
    // Back to healthy with `a` still there: no second "appeared" for a; b and c cleared once.
    const after = driftEvents(during.baseline, report([a]));
    expect([after.appeared, after.cleared.map(e => e.id)]).toEqual([[], ['changed:b', 'conflict:c']]);
  });
});

describe('driftGauges', () => {
  it('every category (zero included), source health, threshold, and per pool used / size / exact ratio', () => {
    const samples = driftGauges(report([entry('missing', 'a')]));
    expect(samples.filter(s => s.name === DRIFT_ENTRIES)).toHaveLength(DRIFT_CATEGORIES.length);
    expect(samples).toContainEqual({ name: DRIFT_ENTRIES, labels: { cluster: 'lab', category: 'missing' }, value: 1 });
    expect(samples).toContainEqual({ name: DRIFT_SOURCE_HEALTHY, labels: { cluster: 'lab' }, value: 1 });
    expect(samples).toContainEqual({
      name: POOL_UTILISATION_RATIO,
      labels: { cluster: 'lab', kind: 'metallb', namespace: 'metallb-system', pool: 'lb' },
      value: 0.8,
    });
  });
});
