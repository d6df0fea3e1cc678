import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { validateKindDefaults } from '../../src/config/config.ts';
import { renderIntents } from '../../src/kinds/render.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import { buildIntents } from '../../src/mapping/intents.ts';
import type { MappingResult } from '../../src/mapping/intents.ts';
import type { PoolIntent } from '../../src/model/intent.ts';
import type { Issue } from '../../src/model/issue.ts';
import { NetBoxClient } from '../../src/netbox/client/index.ts';
import { readSnapshot } from '../../src/netbox/source.ts';
import { recordFigures } from './figures.ts';
import {
  fuzzConfig,
  goodObjects,
  hostileObjects,
  issueText,
  MAX_ISSUE_CHARS,
  runs,
  SEED,
  startRawNetBox,
} from './bad-support.ts';
import type { Hostile, RawNetBox } from './bad-support.ts';

/**
 * Issue 15, NetBox payloads: hostile prefixes and IP ranges, as a NetBox behind a proxy or plugin could deliver them
 * (real NetBox refuses many of them on write, so a loopback server hands out the raw JSON), mixed with good objects
 * and read through the real path: the HTTP client with pagination, the source, the mapping. Properties: nothing
 * throws; every defective object is named by exactly one error that says what is wrong, in bounded size; every good
 * object maps to exactly the pool it maps to alone.
 */

let nb: RawNetBox;
let client: NetBoxClient;
const figures = {
  inputs: 0,
  objects: 0,
  bad: 0,
  wellFormedHostile: 0,
  errors: 0,
  crashes: 0,
  goodChanged: 0,
  maxIssueChars: 0,
};

beforeAll(async () => {
  nb = await startRawNetBox();
  client = new NetBoxClient({
    url: nb.url,
    token: '0123456789abcdef0123456789abcdef01234567',
    maxRetries: 0,
    timeoutMs: 60_000,
  });
});

afterAll(async () => {
  await nb.close();
  recordFigures(inject('reliabilityFigures'), [
    {
      suite: 'bad-input',
      scenario: 'NetBox payloads: client+source+mapping',
      trials: figures.inputs,
      faults: figures.bad,
      lost: figures.goodChanged,
      duplicated: 0,
      wronglyDeleted: 0,
      seed: SEED,
      extra: {
        objects: figures.objects,
        hostileValid: figures.wellFormedHostile,
        perObjectErrors: figures.errors,
        crashes: figures.crashes,
        maxIssueChars: figures.maxIssueChars,
      },
    },
  ]);
});

const good = goodObjects();
const GOOD_IDS = new Set([...good.prefixes, ...good.ipRanges].map(o => o.id));

async function readAndMap(hostile: readonly Hostile[]): Promise<MappingResult & { mapped: PoolIntent[] }> {
  nb.serve({
    selected: {
      prefixes: [...good.prefixes, ...hostile.filter(h => h.model === 'prefix').map(h => h.row)],
      ipRanges: [...good.ipRanges, ...hostile.filter(h => h.model === 'ip-range').map(h => h.row)],
    },
    recorded: { prefixes: [], ipRanges: [], ipAddresses: good.ipAddresses },
  });
  const config = fuzzConfig(nb.url);
  const snapshot = await readSnapshot(client, config.selection);
  const mapped = buildIntents(snapshot, config);
  // Render too: some defects (a k8s_options key of the wrong type) only the kind's adapter can judge.
  const defaults = validateKindDefaults(config, ADAPTERS).defaults;
  const rendered = renderIntents(mapped.intents, { cluster: config.cluster, adapters: ADAPTERS, defaults });
  const failed = new Set(rendered.issues.filter(i => i.severity === 'error').map(i => JSON.stringify(i.subject)));
  return {
    // What the cluster would get: intents the render did not reject.
    intents: mapped.intents.filter(
      i =>
        !failed.has(
          JSON.stringify({
            type: 'pool',
            kind: i.kind,
            name: i.name,
            ...(i.namespace === undefined ? {} : { namespace: i.namespace }),
          }),
        ),
    ),
    issues: [...mapped.issues, ...rendered.issues],
    mapped: mapped.intents,
  };
}

/** Intents built only from good objects, as canonical JSON (bigints spelled out). */
function goodIntents(intents: readonly PoolIntent[]): string[] {
  return intents
    .filter(i => i.blocks.every(b => GOOD_IDS.has(b.source.id)))
    .map(i => JSON.stringify(i, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
}

const about = (i: Issue, h: Hostile) =>
  i.subject.type === 'netbox' && i.subject.model === h.model && i.subject.id === (h.row['id'] as number);

describe('hostile NetBox payloads through the real read path', () => {
  it('never throw, name every defective object once, and leave the good pools exactly as they map alone', async () => {
    const alone = await readAndMap([]);
    expect(alone.issues.filter(i => i.severity === 'error').map(issueText)).toEqual([]);
    const expected = goodIntents(alone.intents);
    expect(expected).toHaveLength(alone.intents.length);

    await fc.assert(
      fc.asyncProperty(hostileObjects({ min: 1, max: 10 }), async hostile => {
        figures.inputs++;
        figures.objects += hostile.length + GOOD_IDS.size;
        let result: MappingResult & { mapped: PoolIntent[] };
        try {
          result = await readAndMap(hostile);
        } catch (err) {
          figures.crashes++;
          throw err;
        }
        const sizes = result.issues.map(i => issueText(i).length);
        figures.maxIssueChars = Math.max(figures.maxIssueChars, ...sizes);
        const oversized = result.issues.filter(i => issueText(i).length > MAX_ISSUE_CHARS);
        expect(oversized.map(i => issueText(i).slice(0, 300))).toEqual([]);

        const got = goodIntents(result.intents);
        if (JSON.stringify(got) !== JSON.stringify(expected)) figures.goodChanged++;
        expect(got).toEqual(expected);
        // No good object is blamed for a hostile one.
        const blamed = result.issues.filter(
          i => i.severity === 'error' && i.subject.type === 'netbox' && GOOD_IDS.has(i.subject.id),
        );
        expect(blamed.map(issueText)).toEqual([]);

        for (const h of hostile) {
          if (!h.defective) {
            figures.wellFormedHostile++;
            continue;
          }
          figures.bad++;
          const errors = result.issues.filter(i => i.severity === 'error' && about(i, h));
          // A defect only the kind can judge (a k8s_options value) is reported on the object's pool by the render.
          const pools = result.mapped
            .filter(i => i.blocks.some(b => b.source.model === h.model && b.source.id === h.row['id']))
            .map(i => `${i.kind}/${i.namespace ?? ''}/${i.name}`);
          const poolErrors = result.issues.filter(
            i =>
              i.severity === 'error' &&
              i.subject.type === 'pool' &&
              pools.includes(`${i.subject.kind}/${i.subject.namespace ?? ''}/${i.subject.name}`),
          );
          const named = errors.length === 1 ? errors : errors.length === 0 ? poolErrors.slice(0, 1) : errors;
          figures.errors += named.length;
          expect({ defect: h.defect, errors: named.map(issueText).map(t => t.slice(0, 300)) }).toEqual({
            defect: h.defect,
            errors: [expect.any(String)],
          });
          // No intent is published from a defective object.
          expect(
            result.intents.filter(i => i.blocks.some(b => b.source.model === h.model && b.source.id === h.row['id'])),
          ).toEqual([]);
        }
      }),
      { seed: SEED, numRuns: runs(200), endOnFailure: true },
    );
  });
});
