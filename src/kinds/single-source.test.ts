import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADAPTERS, POOL_KINDS, adapterFor, defaultRoleKinds, isPoolKind } from './registry.ts';

/**
 * docs/adding-a-pool-kind.md promises that a kind is declared once: its key appears as a string in its own file(s)
 * (`src/kinds/<key>.ts`, `src/kinds/<key>-*.ts`) and nowhere else in src/; every list of kinds derives from the
 * registry. This test reads the source tree so that a second list (a config enum, a bootstrap label table, a
 * mapping constant) fails here instead of silently missing the next kind.
 */
const SRC = join(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

function quoted(kind: string): RegExp {
  const k = kind.replace(/[-]/g, '\\-');
  return new RegExp(`(['"\`])${k}\\1`);
}

describe('pool kinds are declared once', () => {
  const files = sourceFiles(SRC).map(path => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }));

  it.each(POOL_KINDS.map(k => [k]))('the key %s appears only in its own kind file(s)', kind => {
    const own = (path: string) => path === `kinds/${kind}.ts` || path.startsWith(`kinds/${kind}-`);
    const elsewhere = files.filter(f => quoted(kind).test(f.text) && !own(f.path)).map(f => f.path);
    expect(elsewhere).toEqual([]);
    expect(files.some(f => own(f.path) && quoted(kind).test(f.text))).toBe(true);
  });

  it('only the registry imports the kind files', () => {
    const kindFile = new RegExp(`from '[./]*(?:kinds/)?(${POOL_KINDS.join('|')})\\.ts'`);
    const importers = files.filter(f => kindFile.test(f.text)).map(f => f.path);
    expect(importers).toEqual(['kinds/registry.ts']);
  });

  it('derives every list from the registry', () => {
    expect(POOL_KINDS).toEqual(ADAPTERS.map(a => a.kind));
    expect(new Set(POOL_KINDS).size).toBe(POOL_KINDS.length);
    for (const kind of POOL_KINDS) {
      expect(isPoolKind(kind)).toBe(true);
      expect(adapterFor(kind).kind).toBe(kind);
    }
    expect(isPoolKind('flannel')).toBe(false);
    for (const [role, kind] of Object.entries(defaultRoleKinds())) expect(adapterFor(kind).defaultRole).toBe(role);
  });

  it('gives every kind its traits: a label, a scope that matches its pool type, a default namespace where namespaced', () => {
    for (const a of ADAPTERS) {
      expect(a.label.length).toBeGreaterThan(0);
      const pool = a.owns[0];
      expect(pool).toBeDefined();
      expect(a.defaultNamespace !== undefined).toBe(pool?.namespaced);
    }
  });
});
