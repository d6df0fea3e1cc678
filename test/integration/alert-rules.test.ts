import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as metrics from '../../src/drift/metrics.ts';

/**
 * The shipped Prometheus alert rules, evaluated by the real rule tester: `promtool test rules` (Prometheus built from
 * the Go module proxy by dev/promtool/build.sh, cached; `.ci/run` builds it and sets NBSYNC_PROMTOOL_DIR).
 */

const ROOT = join(import.meta.dirname, '..', '..');
const ALERTS = join(ROOT, 'deploy', 'alerts');
const RULES = join(ALERTS, 'netbox-ippool-sync.rules.yaml');

function promtool(): string {
  const dir =
    process.env['NBSYNC_PROMTOOL_DIR'] ??
    execFileSync('bash', [join(ROOT, 'dev', 'promtool', 'build.sh')], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop();
  if (dir === undefined || dir === '')
    throw new Error('dev/promtool/build.sh printed no directory; run it by hand to see why');
  return join(dir, 'promtool');
}

function run(args: string[]): string {
  try {
    return execFileSync(promtool(), args, { cwd: ALERTS, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`, { cause: err });
  }
}

describe('alert rules (deploy/alerts)', () => {
  it('pass promtool check rules', () => {
    expect(run(['check', 'rules', RULES])).toContain('SUCCESS: 5 rules found');
  });

  it('pass promtool test rules: each alert fires when it should and not before', () => {
    expect(run(['test', 'rules', 'netbox-ippool-sync.rules.test.yaml'])).toContain('SUCCESS');
  });

  it('use only the metric names src/drift/metrics.ts exports, and every one the report yields', () => {
    const exported = new Set<unknown>(Object.values(metrics));
    const used = new Set<string>(readFileSync(RULES, 'utf8').match(/netbox_ippool_sync_[a-z_]+/g));
    expect([...used].filter(n => !exported.has(n))).toEqual([]);
    for (const name of [
      metrics.POOL_UTILISATION_RATIO,
      metrics.DRIFT_ENTRIES,
      metrics.DRIFT_SOURCE_HEALTHY,
      metrics.CYCLES_TOTAL,
      metrics.LAST_SUCCESSFUL_CYCLE,
    ]) {
      expect(used, name).toContain(name);
    }
  });
});
