import { mkdtempSync, readFileSync, rmSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { setup as setupIntegration, teardown as teardownIntegration } from './integration-env.ts';
import { figuresTable, type FigureRow } from '../reliability/figures.ts';

/**
 * Global setup of the reliability project: the integration environment (real kube-apiserver + etcd, Redis, real
 * NetBox) plus a figures file every suite appends its counts to (`recordFigures`). At the end the figures are
 * printed as one table and written to test/reliability/results/latest.json.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    reliabilityFigures: string;
  }
}

let dir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), 'nbsync-reliability-'));
  project.provide('reliabilityFigures', join(dir, 'figures.jsonl'));
  await setupIntegration(project);
}

export async function teardown(): Promise<void> {
  await teardownIntegration();
  if (dir === undefined) return;
  const file = join(dir, 'figures.jsonl');
  const rows: FigureRow[] = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(line => line.trim() !== '')
        .map(line => JSON.parse(line) as FigureRow)
    : [];
  console.log(`\n[reliability] figures\n${figuresTable(rows)}`);
  const out = new URL('../reliability/results/', import.meta.url);
  mkdirSync(out, { recursive: true });
  writeFileSync(
    new URL('latest.json', out),
    `${JSON.stringify({ finishedAt: new Date().toISOString(), rows }, null, 2)}\n`,
  );
  rmSync(dir, { recursive: true, force: true });
}
