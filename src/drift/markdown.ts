import type { DriftEntry, DriftReport } from '../model/drift.ts';
import { DRIFT_CATEGORIES, DRIFT_CATEGORY_TITLES } from '../model/drift.ts';
import {
  CATEGORY_ICON,
  STATUS_ICON,
  linkLabel,
  categoriesWithEntries,
  detailLines,
  fieldText,
  k8sText,
  textBar,
} from './present.ts';

/** The report as GitHub-flavoured Markdown: headline, summary counts, utilisation, one table per category, notes. */

/** Table cell text: pipes escaped, line breaks as <br>. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

function linkText(display: string, url: string): string {
  return `[${display.replace(/([[\]\\])/g, '\\$1')}](${url.replace(/[()\s]/g, c => encodeURIComponent(c))})`;
}

function entryRow(e: DriftEntry): string {
  const netbox = e.netbox.map(l => linkText(linkLabel(l), l.url)).join('<br>') || '—';
  const fields = (e.fields ?? []).map(f => `\`${fieldText(f).replace(/`/g, "'")}\``);
  const details = [...detailLines(e), ...fields].join('\n');
  return `| ${cell(e.summary)} | ${cell(k8sText(e.k8s))} | ${cell(netbox)} | ${cell(details)} |`;
}

function utilisationSection(report: DriftReport): string[] {
  if (report.utilisation.length === 0) return [];
  const rows = report.utilisation.flatMap(p => {
    const flag = p.overThreshold ? `⚠ at or above ${report.threshold}%` : 'ok';
    const netbox = p.netbox.map(l => linkText(l.display, l.url)).join('<br>');
    const pool = `| ${cell(k8sText(p.k8s))} | ${cell(netbox)} | ${p.used} / ${p.size} | \`${textBar(p.percent)}\` ${p.percent}% | ${flag} |`;
    const nodes = p.nodeBlocks.map(
      n =>
        `| ↳ node ${cell(n.node)} block ${cell(n.block)} | | ${n.used} / ${n.size} | \`${textBar(n.percent)}\` ${n.percent}% | |`,
    );
    return [pool, ...nodes];
  });
  return [
    `## Utilisation (threshold ${report.threshold}%)`,
    '',
    '| pool | NetBox | used / size | percent | flag |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ];
}

export function renderDriftMarkdown(report: DriftReport): string {
  const lines = [
    `# Drift report: cluster ${report.cluster}`,
    '',
    `${STATUS_ICON[report.status]} **${report.headline}**`,
    '',
  ];
  const meta = [
    `NetBox: ${report.source.healthy ? 'read' : `NOT READ — ${report.source.reason ?? 'no reason given'}`}`,
  ];
  if (report.generatedAt !== undefined) meta.unshift(`Generated: ${report.generatedAt}`);
  lines.push(meta.join(' · '), '', '## Summary', '', '| category | count |', '| --- | --- |');
  for (const c of DRIFT_CATEGORIES)
    lines.push(`| ${CATEGORY_ICON[c]} ${c} — ${DRIFT_CATEGORY_TITLES[c]} | ${report.counts[c]} |`);
  lines.push('', ...utilisationSection(report));
  for (const c of categoriesWithEntries(report)) {
    lines.push(
      `## ${CATEGORY_ICON[c]} ${DRIFT_CATEGORY_TITLES[c]} (${report.counts[c]})`,
      '',
      '| what | Kubernetes object | NetBox | details |',
      '| --- | --- | --- | --- |',
      ...report.entries.filter(e => e.category === c).map(entryRow),
      '',
    );
  }
  if (report.notes.length > 0) lines.push('## Notes', '', ...report.notes.map(n => `- ${n}`), '');
  return `${lines.join('\n').trimEnd()}\n`;
}
