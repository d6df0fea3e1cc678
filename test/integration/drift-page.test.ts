import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDriftHtml } from '../../src/drift/html.ts';
import { renderDriftJson } from '../../src/drift/json.ts';
import { buildDriftReport } from '../../src/drift/report.ts';
import { DRIFT_CATEGORIES } from '../../src/model/drift.ts';
import type { DriftReport } from '../../src/model/drift.ts';
import { fullDriftInput } from '../support/drift-fixtures.ts';

/**
 * The drift page in real headless Chromium (Debian's `chromium`, driven by playwright-core): the summary counts are
 * the JSON's, a column sorts, the filters filter, the layout stacks on a phone. Screenshots go to
 * test/output/drift-page/ (gitignored) for people to look at.
 */

const OUT = join(import.meta.dirname, '..', 'output', 'drift-page');
const report = buildDriftReport(fullDriftInput());
const json = JSON.parse(renderDriftJson(report)) as DriftReport;
const html = renderDriftHtml(report);

let browser: Browser;
let page: Page;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'drift.html'), html);
  writeFileSync(join(OUT, 'drift.json'), renderDriftJson(report));
  // Root in a container has no user namespaces for Chromium's sandbox; the page is our own, loaded offline.
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const requests: string[] = [];
  page.on('request', r => requests.push(r.url()));
  const errors: string[] = [];
  page.on('pageerror', e => errors.push(e.message));
  page.on('console', m => (m.type() === 'error' ? errors.push(m.text()) : undefined));
  await page.setContent(html, { waitUntil: 'load' });
  expect(requests.filter(u => !u.startsWith('data:') && u !== 'about:blank')).toEqual([]);
  expect(errors).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
});

const entryRows = () => page.locator('#entries tbody tr');
async function visibleCategories(): Promise<(string | null)[]> {
  const rows = page.locator('#entries tbody tr:not([hidden])');
  const out: (string | null)[] = [];
  for (let i = 0; i < (await rows.count()); i++) out.push(await rows.nth(i).getAttribute('data-category'));
  return out;
}

describe('drift page in headless Chromium', () => {
  it('shows the headline and, for every category, the count the JSON has', async () => {
    expect(await page.locator('#headline').textContent()).toContain(json.headline);
    for (const c of DRIFT_CATEGORIES) {
      const count = await page.locator(`#summary [data-category="${c}"] .count`).textContent();
      expect(Number(count), c).toBe(json.counts[c]);
      expect(json.counts[c], `the fixture has no ${c} entry`).toBeGreaterThan(0);
    }
    expect(await entryRows().count()).toBe(json.entries.length);
    expect(await page.locator('#shown').textContent()).toBe(
      `Showing ${json.entries.length} of ${json.entries.length} entries`,
    );
  });

  it('shows a utilisation bar per pool, the flagged ones marked in words too', async () => {
    const bars = page.locator('#utilisation [role="meter"]');
    expect(await bars.count()).toBe(json.utilisation.length);
    const flagged = json.utilisation.filter(p => p.overThreshold).map(p => p.k8s.name);
    const marked = await page.locator('#utilisation tbody tr[data-over="true"] td:first-child').allTextContents();
    expect(marked.map(t => t.split('/').pop())).toEqual(flagged);
    expect(await page.locator('#utilisation .flag.over').first().textContent()).toMatch(
      /^⚠ \d+\.\d% — at or above 80%$/,
    );
  });

  it('sorts a column both ways by clicking its heading', async () => {
    const what = async () => page.locator('#entries tbody tr td:nth-child(2)').allTextContents();
    const header = page.locator('#entries thead th').nth(1);
    await header.locator('button').click();
    const up = await what();
    expect(up).toEqual(
      [...up].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0)),
    );
    expect(await header.getAttribute('aria-sort')).toBe('ascending');
    await header.locator('button').click();
    expect(await what()).toEqual([...up].reverse());
    expect(await header.getAttribute('aria-sort')).toBe('descending');
  });

  it('filters by text, by category, and by clicking a summary card', async () => {
    await page.fill('#filter', 'edge-busy');
    expect(await visibleCategories()).toEqual(['blocked']);
    await page.fill('#filter', '');
    await page.selectOption('#category', 'conflict');
    expect(await visibleCategories()).toEqual(Array.from({ length: json.counts.conflict }, () => 'conflict'));
    expect(await page.locator('#shown').textContent()).toBe(
      `Showing ${json.counts.conflict} of ${json.entries.length} entries`,
    );
    await page.selectOption('#category', '');
    await page.click('#summary [data-category="missing"]');
    expect(await visibleCategories()).toEqual(['missing']);
    expect(await page.locator('#summary [data-category="missing"]').getAttribute('aria-pressed')).toBe('true');
    await page.click('#summary [data-category="missing"]');
    expect(await visibleCategories()).toHaveLength(json.entries.length);
  });

  it('screenshots the page (desktop) for people to look at', async () => {
    await page.locator('#entries thead th').nth(0).locator('button').click(); // back to category order
    await page.screenshot({ path: join(OUT, 'drift-desktop.png'), fullPage: true });
  });

  it('stacks on a phone: no sideways scrolling, table rows become cards with their labels', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    // (Expressions as strings: this file is compiled without the DOM library.)
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    const display = await page.evaluate<string>(
      "getComputedStyle(document.querySelector('#entries tbody tr')).display",
    );
    expect(display).toBe('block');
    const label = await page.evaluate<string>(
      "getComputedStyle(document.querySelector('#entries tbody td'), '::before').content",
    );
    expect(label).toBe('"Category"');
    await page.screenshot({ path: join(OUT, 'drift-phone.png'), fullPage: false });
  });
});
