import type { DriftEntry, DriftReport, NetBoxLink, PoolUtilisation } from '../model/drift.ts';
import { DRIFT_CATEGORIES, DRIFT_CATEGORY_TITLES } from '../model/drift.ts';
import { CATEGORY_ICON, STATUS_ICON, linkLabel, detailLines, fieldText, k8sText } from './present.ts';

/**
 * The report as one self-contained web page: no external assets (a Content-Security-Policy forbids loading any),
 * summary counts first, utilisation bars, tables that sort (click a column heading) and filter (text and category)
 * with a little inline script, icons and words beside every colour, and a layout that stacks on a phone.
 */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const percentText = (p: number): string => `${p.toFixed(1)}%`;

const STYLE = `
:root{--fg:#1b1f24;--muted:#57606a;--bg:#fff;--line:#d0d7de;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--unknown:#6e40c9;--bar:#0969da}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1200px;margin:0 auto;padding:16px}h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.banner{border:2px solid;border-left-width:10px;border-radius:6px;padding:10px 14px;margin:10px 0;font-weight:600}
.banner.clean{border-color:var(--ok)}.banner.drift{border-color:var(--warn)}.banner.unknown{border-color:var(--unknown);border-style:dashed}
.meta{color:var(--muted);font-size:.9rem}
#summary{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px;margin:8px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 10px;background:#f6f8fa;text-align:left;font:inherit;color:inherit;cursor:pointer}
.card .count{display:block;font-size:1.6rem;font-weight:700}.card.nonzero{border-color:var(--warn);border-width:2px;background:#fff8c5}
.card[aria-pressed=true]{outline:3px solid var(--bar)}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th button{font:inherit;font-weight:700;background:none;border:0;padding:0;cursor:pointer;color:inherit}
th[aria-sort=ascending] button::after{content:" ▲"}th[aria-sort=descending] button::after{content:" ▼"}
.controls{display:flex;flex-wrap:wrap;gap:8px;align-items:center}.controls input,.controls select{font:inherit;padding:6px;min-width:12rem}
.badge{white-space:nowrap;font-weight:600}.fields{margin:4px 0 0;padding-left:1.1rem}.fields code{white-space:pre-wrap;word-break:break-all}
.bar{position:relative;height:1.1rem;border:1px solid var(--fg);border-radius:3px;min-width:8rem;background:#fff}
.bar span{display:block;height:100%;background:var(--bar)}
.bar.over span{background:repeating-linear-gradient(45deg,var(--bad) 0 6px,#fff 6px 9px)}
.flag{font-weight:700}.flag.over{color:var(--bad)}
details summary{cursor:pointer;color:var(--muted)}a{color:#0550ae}.muted{color:var(--muted)}
@media (max-width:700px){main{padding:8px}table,thead,tbody,tr,td{display:block}thead{display:none}
tr{border:1px solid var(--line);border-radius:6px;margin:8px 0;padding:4px}td{border:0;padding:3px 6px}
td::before{content:attr(data-label);display:block;font-size:.8rem;color:var(--muted);font-weight:600}
.sorter{display:flex}}
@media print{.controls,.sorter{display:none}}
`;

const SCRIPT = `
(function(){
  function key(td){var v=td.getAttribute('data-sort');var t=(v===null?td.textContent:v).trim();var n=Number(t);return t!==''&&!isNaN(n)?n:t.toLowerCase();}
  function sortBy(table,i,asc){var tb=table.tBodies[0];var rows=Array.prototype.slice.call(tb.rows);
    rows.sort(function(a,b){var x=key(a.cells[i]),y=key(b.cells[i]);var r=typeof x==='number'&&typeof y==='number'?x-y:String(x)<String(y)?-1:String(x)>String(y)?1:0;return asc?r:-r;});
    rows.forEach(function(r){tb.appendChild(r);});
    Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,j){if(j===i)th.setAttribute('aria-sort',asc?'ascending':'descending');else th.removeAttribute('aria-sort');});}
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'),function(table){
    Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){var b=th.querySelector('button');if(!b)return;
      b.addEventListener('click',function(){sortBy(table,i,th.getAttribute('aria-sort')!=='ascending');});});});
  var q=document.getElementById('filter'),cat=document.getElementById('category'),shown=document.getElementById('shown');
  var rows=document.querySelectorAll('#entries tbody tr');
  function apply(){var text=q.value.trim().toLowerCase(),c=cat.value,n=0;
    Array.prototype.forEach.call(rows,function(r){var ok=(c===''||r.getAttribute('data-category')===c)&&(text===''||r.textContent.toLowerCase().indexOf(text)>=0);r.hidden=!ok;if(ok)n++;});
    shown.textContent='Showing '+n+' of '+rows.length+' entries';
    Array.prototype.forEach.call(document.querySelectorAll('.card'),function(b){b.setAttribute('aria-pressed',String(b.getAttribute('data-category')===c));});}
  q.addEventListener('input',apply);cat.addEventListener('change',apply);
  Array.prototype.forEach.call(document.querySelectorAll('.card'),function(b){b.addEventListener('click',function(){var v=b.getAttribute('data-category');cat.value=cat.value===v?'':v;apply();});});
  apply();
})();
`;

function links(ls: readonly NetBoxLink[]): string {
  if (ls.length === 0) return '<span class="muted">—</span>';
  return ls.map(l => `<a href="${escapeHtml(l.url)}">${escapeHtml(linkLabel(l))}</a>`).join('<br>');
}

function th(label: string, sortable = true): string {
  return sortable ? `<th scope="col"><button type="button">${label}</button></th>` : `<th scope="col">${label}</th>`;
}

function entryRow(e: DriftEntry): string {
  const fields =
    e.fields === undefined
      ? ''
      : `<ul class="fields">${e.fields.map(f => `<li><code>${escapeHtml(fieldText(f))}</code></li>`).join('')}</ul>`;
  const details = detailLines(e).map(escapeHtml).join('<br>');
  return (
    `<tr data-category="${e.category}" data-id="${escapeHtml(e.id)}">` +
    `<td data-label="Category" data-sort="${String(DRIFT_CATEGORIES.indexOf(e.category)).padStart(2, '0')} ${e.category}"><span class="badge">${CATEGORY_ICON[e.category]} ${e.category}</span></td>` +
    `<td data-label="What">${escapeHtml(e.summary)}</td>` +
    `<td data-label="Kubernetes object">${escapeHtml(k8sText(e.k8s))}</td>` +
    `<td data-label="NetBox">${links(e.netbox)}</td>` +
    `<td data-label="Details">${details}${fields}</td></tr>`
  );
}

function bar(percent: number, over: boolean): string {
  const width = Math.min(100, Math.max(0, percent));
  return (
    `<div class="bar${over ? ' over' : ''}" role="meter" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${percent}" ` +
    `aria-label="${percentText(percent)} used"><span style="width:${width}%"></span></div>`
  );
}

function poolRow(p: PoolUtilisation, threshold: number): string {
  const flag = p.overThreshold
    ? `<span class="flag over">⚠ ${percentText(p.percent)} — at or above ${threshold}%</span>`
    : `<span class="flag">✓ ${percentText(p.percent)}</span>`;
  const nodes =
    p.nodeBlocks.length === 0
      ? ''
      : `<details><summary>${p.nodeBlocks.length} node block${p.nodeBlocks.length === 1 ? '' : 's'}</summary><ul>${p.nodeBlocks
          .map(n => `<li>${escapeHtml(`${n.node} ${n.block}: ${n.used} / ${n.size} (${percentText(n.percent)})`)}</li>`)
          .join('')}</ul></details>`;
  return (
    `<tr data-over="${p.overThreshold}">` +
    `<td data-label="Pool">${escapeHtml(k8sText(p.k8s))}</td>` +
    `<td data-label="Kind">${escapeHtml(p.poolKind)}</td>` +
    `<td data-label="NetBox">${links(p.netbox)}</td>` +
    `<td data-label="Used / size" data-sort="${p.used}">${p.used} / ${p.size}${nodes}</td>` +
    `<td data-label="Utilisation" data-sort="${p.percent}">${bar(p.percent, p.overThreshold)}${flag}</td></tr>`
  );
}

function summary(report: DriftReport): string {
  return DRIFT_CATEGORIES.map(c => {
    const n = report.counts[c];
    return (
      `<button type="button" class="card${n > 0 ? ' nonzero' : ''}" data-category="${c}" aria-pressed="false" ` +
      `title="${escapeHtml(DRIFT_CATEGORY_TITLES[c])}"><span class="count">${n}</span>${CATEGORY_ICON[c]} ${c}</button>`
    );
  }).join('');
}

export function renderDriftHtml(report: DriftReport): string {
  const generated = report.generatedAt === undefined ? '' : ` · generated ${escapeHtml(report.generatedAt)}`;
  const source = report.source.healthy
    ? 'NetBox read'
    : `NetBox NOT read: ${escapeHtml(report.source.reason ?? 'no reason given')}`;
  const pools =
    report.utilisation.length === 0
      ? '<p class="muted">No pools selected from NetBox.</p>'
      : `<table id="utilisation" class="sortable"><thead><tr>${th('Pool')}${th('Kind')}${th('NetBox', false)}${th('Used / size')}${th('Utilisation')}</tr></thead><tbody>${report.utilisation
          .map(p => poolRow(p, report.threshold))
          .join('')}</tbody></table>`;
  const options = DRIFT_CATEGORIES.map(c => `<option value="${c}">${CATEGORY_ICON[c]} ${c}</option>`).join('');
  const notes =
    report.notes.length === 0
      ? ''
      : `<h2>Notes</h2><ul>${report.notes.map(n => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>Drift: ${escapeHtml(report.cluster)} — ${report.status}</title>
<style>${STYLE}</style></head>
<body><main>
<h1>Drift report: cluster ${escapeHtml(report.cluster)}</h1>
<p id="headline" class="banner ${report.status}" data-status="${report.status}">${STATUS_ICON[report.status]} ${escapeHtml(report.headline)}</p>
<p class="meta">${source}${generated} · threshold ${report.threshold}%</p>
<h2>Summary</h2>
<div id="summary">${summary(report)}</div>
<h2>Utilisation</h2>
${pools}
<h2>Entries</h2>
<div class="controls"><label>Filter <input id="filter" type="search" placeholder="name, address, reason…"></label>
<label>Category <select id="category"><option value="">all categories</option>${options}</select></label>
<span id="shown" aria-live="polite"></span></div>
<table id="entries" class="sortable"><thead><tr>${th('Category')}${th('What')}${th('Kubernetes object')}${th('NetBox', false)}${th('Details', false)}</tr></thead>
<tbody>${report.entries.map(entryRow).join('')}</tbody></table>
${report.entries.length === 0 ? `<p class="muted">${report.status === 'unknown' ? 'No entries — but NetBox was not read, so this proves nothing.' : 'No drift.'}</p>` : ''}
${notes}
</main><script>${SCRIPT}</script></body></html>
`;
}
