import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ENV_OVERRIDES, loadConfig, parseConfig } from '../../src/config/config.ts';
import type { ConfigResult } from '../../src/config/config.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import type { Issue } from '../../src/model/issue.ts';
import { recordFigures } from './figures.ts';
import type { FigureRow } from './figures.ts';
import { issueText, MAX_ISSUE_CHARS, runs, SEED } from './bad-support.ts';

/**
 * Issue 15, configuration: hostile config values (wrong types, unknown keys, huge values, unicode), hostile
 * environment overrides and hostile YAML text. parseConfig and loadConfig never throw and name every problem with
 * its path, in bounded size; the CLI (`config check`, `run`, `plan`) exits 1 with a clear message and no stack.
 */

const dir = mkdtempSync(join(tmpdir(), 'nbsync-bad-config-'));
const rows: FigureRow[] = [];
const BASE = { cluster: 'lab', netbox: { url: 'https://netbox.example.com' } };
const HUGE = 'ü'.repeat(300_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  recordFigures(inject('reliabilityFigures'), rows);
});

function issuesOf(r: ConfigResult): Issue[] {
  return r.ok ? [] : r.issues;
}

function pathOf(i: Issue): string {
  return i.subject.type === 'config' ? i.subject.path : `(not a config subject: ${i.subject.type})`;
}

/** Every issue is about the config, names a path, says what is wrong, and stays small. */
function wellFormed(issues: readonly Issue[]): void {
  for (const i of issues) {
    expect(i.subject.type).toBe('config');
    expect(pathOf(i)).not.toBe('');
    expect(i.reason.trim()).not.toBe('');
    expect(issueText(i).length).toBeLessThanOrEqual(MAX_ISSUE_CHARS);
  }
}

function setAt(obj: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let at = obj;
  for (const key of path.slice(0, -1)) {
    const next = at[key];
    at[key] = typeof next === 'object' && next !== null && !Array.isArray(next) ? { ...next } : {};
    at = at[key] as Record<string, unknown>;
  }
  at[path[path.length - 1] as string] = value;
}

/** Values a known key must refuse, and the path its issue must name. */
const KNOWN_BAD: [string[], unknown][] = [
  [['cluster'], 42],
  [['cluster'], ''],
  [['cluster'], 'Bad_Name!'],
  [['cluster'], HUGE],
  [['netbox', 'url'], 'ftp://netbox'],
  [['netbox', 'url'], 5],
  [['netbox', 'url'], HUGE],
  [['netbox', 'timeoutMs'], -1],
  [['netbox', 'timeoutMs'], 'soon'],
  [['netbox', 'timeoutMs'], 1e308],
  [['netbox', 'pageSize'], 0],
  [['netbox', 'insecureSkipVerify'], 'maybe'],
  [['netbox', 'token'], 'secret-in-file'],
  [['policy'], 'yolo'],
  [['deleteBudget', 'maxPercent'], 500],
  [['deleteBudget', 'maxCount'], -3],
  [['selection', 'roles'], 'k8s-pod'],
  [['selection', 'roles'], { 'k8s-pod': 'flannel' }],
  [['selection', 'customFields', 'poolKind'], 'Bad Name'],
  [['writeback', 'gracePeriodMinutes'], 'forever'],
  [['logLevel'], 'loud'],
  [['server', 'port'], 70_000],
  [['redis', 'url'], 'http://not-redis'],
  [['drift', 'utilisationThreshold'], 250],
  [['kinds', 'calico'], 'fast'],
  [['kinds', 'flannel'], {}],
  [['bogusKey'], 1],
  [['netbox', 'bogus'], true],
  [[HUGE.slice(0, 100_000)], 'a key of 100k characters'],
  [['ключ'], '🙂'],
];

describe('config values', () => {
  it('every wrong value is named by its path; nothing throws; messages stay small', () => {
    let inputs = 0;
    let problems = 0;
    let reported = 0;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...KNOWN_BAD), { minLength: 1, maxLength: 5, selector: ([p]) => p.join('.') }),
        fc.option(fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.anything()), { nil: undefined }),
        (bad, junk) => {
          inputs++;
          const raw: Record<string, unknown> = structuredClone(BASE);
          for (const [path, value] of bad) setAt(raw, path, value);
          if (junk !== undefined) raw[`x-${junk[0]}`] = junk[1];
          const result = parseConfig(raw, {}, ADAPTERS);
          expect(result.ok).toBe(false);
          const issues = issuesOf(result);
          wellFormed(issues);
          problems += bad.length;
          for (const [path] of bad) {
            const want = path.join('.').slice(0, 100);
            const hit = issues.some(i => pathOf(i).startsWith(want) || want.startsWith(pathOf(i).replace(/…$/, '')));
            expect({
              path: want.slice(0, 40),
              hit,
              issues: issues.map(issueText).map(t => t.slice(0, 200)),
            }).toMatchObject({
              hit: true,
            });
            reported++;
          }
        },
      ),
      { seed: SEED, numRuns: runs(300) },
    );
    rows.push({
      suite: 'bad-input',
      scenario: 'config values (parseConfig)',
      trials: inputs,
      faults: problems,
      lost: 0,
      duplicated: 0,
      wronglyDeleted: 0,
      seed: SEED,
      extra: { problemsNamedByPath: reported, crashes: 0 },
    });
  });

  it('anything at all as the config document is refused or accepted, never thrown', () => {
    let inputs = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true }),
        raw => {
          inputs++;
          const result = parseConfig(raw, {}, ADAPTERS);
          if (!result.ok) refused++;
          wellFormed(issuesOf(result));
        },
      ),
      { seed: SEED, numRuns: runs(300) },
    );
    rows.push({
      suite: 'bad-input',
      scenario: 'config documents of any shape',
      trials: inputs,
      faults: refused,
      lost: 0,
      duplicated: 0,
      wronglyDeleted: 0,
      seed: SEED,
      extra: { crashes: 0 },
    });
  });
});

const HOSTILE_ENV = fc.oneof(
  fc.constantFrom(
    '-1',
    '1e400',
    '99999999999999999999',
    'true ',
    'yes please',
    '\u0000',
    'garbage',
    '::',
    'http://',
    HUGE,
    '１２３',
  ),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
);

describe('environment overrides', () => {
  it('a hostile value of any override is named by the key it overrides, never thrown', () => {
    let inputs = 0;
    let refused = 0;
    const pathFor = new Map(ENV_OVERRIDES.map(o => [o.env, o.path.join('.')]));
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...ENV_OVERRIDES.map(o => o.env)), HOSTILE_ENV, { minKeys: 1, maxKeys: 4 }),
        env => {
          inputs++;
          const result = parseConfig(structuredClone(BASE), env, ADAPTERS);
          const issues = issuesOf(result);
          wellFormed(issues);
          if (!result.ok) refused++;
          const overridden = Object.entries(env)
            .filter(([, v]) => v !== '')
            .map(([k]) => pathFor.get(k) ?? k);
          // Every problem is about a key an env value overrode (the file itself is valid).
          for (const i of issues) expect(overridden.some(p => pathOf(i).startsWith(p))).toBe(true);
        },
      ),
      { seed: SEED, numRuns: runs(300) },
    );
    rows.push({
      suite: 'bad-input',
      scenario: 'environment overrides',
      trials: inputs,
      faults: refused,
      lost: 0,
      duplicated: 0,
      wronglyDeleted: 0,
      seed: SEED,
      extra: { crashes: 0 },
    });
  });
});

describe('config files', () => {
  it('any text as a YAML file is refused with the file path or parsed, never thrown', async () => {
    let inputs = 0;
    let refused = 0;
    const yamlish = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc
        .array(
          fc.constantFrom(
            'cluster: lab',
            'netbox:',
            '  url: https://nb',
            '- x',
            '&a [1]',
            '*a',
            '? ',
            ': :',
            '{',
            '"',
            '\t',
            '%YAML 9',
            '!!js/function x',
            '<<: *a',
          ),
          { maxLength: 12 },
        )
        .map(l => l.join('\n')),
    );
    await fc.assert(
      fc.asyncProperty(yamlish, async text => {
        inputs++;
        const file = join(dir, `f${inputs}.yaml`);
        writeFileSync(file, text);
        const result = await loadConfig(file, {}, ADAPTERS);
        if (!result.ok) refused++;
        wellFormed(issuesOf(result));
      }),
      { seed: SEED, numRuns: runs(300) },
    );
    rows.push({
      suite: 'bad-input',
      scenario: 'config files (YAML text)',
      trials: inputs,
      faults: refused,
      lost: 0,
      duplicated: 0,
      wronglyDeleted: 0,
      seed: SEED,
      extra: { crashes: 0 },
    });
  });
});

/* ---------- the CLI, as a process ---------- */

interface Exit {
  code: number | null;
  out: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Exit> {
  return new Promise(resolve => {
    execFile(
      process.execPath,
      ['src/cli.ts', ...args],
      { env: { PATH: process.env['PATH'] ?? '', HOME: dir, ...env }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        resolve({ code, out: `${stdout}${stderr}` });
      },
    );
  });
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('the CLI', () => {
  it('exits 1 with a clear message and no stack trace for bad config files and environment values', async () => {
    const ok = file('ok.yaml', 'cluster: lab\nnetbox:\n  url: http://127.0.0.1:9\n');
    const types = file(
      'types.yaml',
      'cluster: 42\nnetbox:\n  url: ftp://x\n  timeoutMs: soon\npolicy: yolo\nserver:\n  port: 70000\n',
    );
    const bomb = file(
      'bomb.yaml',
      [
        'a: &a [x,x,x,x,x,x,x,x,x]',
        ...'bcdefgh'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefg'[i]}`).join(',')}]`),
        'cluster: lab',
      ].join('\n'),
    );
    const binary = file('binary.yaml', '\u00ff\u00fe\u0000garbage: [\n\u0001');
    const hugeKey = file(
      'huge-key.yaml',
      `cluster: lab\nnetbox:\n  url: http://127.0.0.1:9\n${'k'.repeat(1_000_000)}: 1\n`,
    );
    const cases: { name: string; args: string[]; env?: Record<string, string>; says: RegExp }[] = [
      {
        name: 'missing file',
        args: ['config', 'check', '-c', join(dir, 'absent.yaml')],
        says: /cannot read the config file \(ENOENT\)/,
      },
      { name: 'wrong types', args: ['config', 'check', '-c', types], says: /netbox\.timeoutMs/ },
      { name: 'alias bomb', args: ['config', 'check', '-c', bomb], says: /Excessive alias count/ },
      { name: 'binary garbage', args: ['config', 'check', '-c', binary], says: /YAML syntax/ },
      { name: '1 MB key', args: ['config', 'check', '-c', hugeKey], says: /unknown key|KEY_OVER_1024_CHARS/ },
      {
        name: 'bad env values',
        args: ['config', 'check', '-c', ok],
        env: { NBSYNC_PORT: 'abc', REDIS_URL: '::', NETBOX_TIMEOUT_MS: '-5' },
        says: /server\.port/,
      },
      { name: 'run: wrong types', args: ['run', '-c', types], says: /netbox\.timeoutMs/ },
      { name: 'run: LOG_LEVEL', args: ['run', '-c', ok], env: { LOG_LEVEL: 'garbage' }, says: /logLevel/ },
      { name: 'run: NBSYNC_PORT', args: ['run', '-c', ok], env: { NBSYNC_PORT: '99999' }, says: /server\.port/ },
      { name: 'run: NETBOX_URL', args: ['run', '-c', ok], env: { NETBOX_URL: 'not a url' }, says: /netbox\.url/ },
      {
        name: 'plan: LOG_LEVEL',
        args: ['plan', '-c', ok],
        env: { LOG_LEVEL: 'loud', NETBOX_TOKEN: 'x' },
        says: /LOG_LEVEL "loud"|logLevel/,
      },
    ];
    const results: { name: string; code: number | null; clear: boolean; stack: boolean; chars: number }[] = [];
    for (let i = 0; i < cases.length; i += 2) {
      const batch = cases.slice(i, i + 2);
      const exits = await Promise.all(batch.map(c => cli(c.args, c.env)));
      batch.forEach((c, n) => {
        const e = exits[n] as Exit;
        results.push({
          name: c.name,
          code: e.code,
          clear: c.says.test(e.out),
          stack: /\n\s+at .+:\d+:\d+\)?/.test(e.out),
          chars: e.out.length,
        });
        if (!c.says.test(e.out) || e.code !== 1)
          console.log(`[bad-config] ${c.name}: exit ${e.code}\n${e.out.slice(0, 800)}`);
      });
    }
    rows.push({
      suite: 'bad-input',
      scenario: 'CLI: bad config/env (processes)',
      trials: results.length,
      faults: results.length,
      lost: 0,
      duplicated: 0,
      wronglyDeleted: 0,
      extra: {
        exit1: results.filter(r => r.code === 1).length,
        clear: results.filter(r => r.clear).length,
        stackTraces: results.filter(r => r.stack).length,
        maxOutputChars: Math.max(...results.map(r => r.chars)),
      },
    });
    expect(results.filter(r => r.code !== 1 || !r.clear || r.stack || r.chars > 20_000)).toEqual([]);
  });
});
