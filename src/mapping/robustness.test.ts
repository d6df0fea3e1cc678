/**
 * Bad input is contained (DESIGN §5): snapshots mixing good NetBox objects with garbage (wrong types in every field
 * the mapping reads, unknown statuses, duplicate ids) never crash mapping or rendering, never change what the good
 * objects render to, and every bad object that is selected is named by an error. Fixed seeds keep CI deterministic.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig, validateKindDefaults } from '../config/config.ts';
import type { Config } from '../config/config.ts';
import { formatRange, intersectRanges, subtractRanges } from '../ip/index.ts';
import { ADAPTERS } from '../kinds/registry.ts';
import { nbIpAddress, nbIpRange, nbPrefix, nbVrf } from '../../test/support/fake-netbox-reader.ts';
import type { NbIpAddress, NbIpRange, NbPrefix, NetBoxReader } from '../model/netbox.ts';
import { readSnapshot } from '../netbox/source.ts';
import type { NetBoxSnapshot } from '../model/netbox.ts';
import { renderIntents } from '../kinds/render.ts';
import type { PoolIntent } from '../model/intent.ts';
import { buildIntents } from './intents.ts';
import { describeSubject, formatIssue } from '../model/issue.ts';
import type { Issue } from '../model/issue.ts';

function testConfig(): Config {
  const r = parseConfig({ cluster: 'lab', netbox: { url: 'https://nb' } }, {});
  if (!r.ok) throw new Error(r.issues.map(formatIssue).join('; '));
  return r.config;
}
const config = testConfig();
const defaults = validateKindDefaults(config, ADAPTERS).defaults;
const render = (intents: readonly PoolIntent[]) =>
  renderIntents(intents, { cluster: config.cluster, adapters: ADAPTERS, defaults });

const CLUSTER_TAG = ['k8s-lab'];
const ROLES = Object.keys(config.selection.roles);
const blue = nbVrf(7, 'Blue');

/** JSON with bigints (addresses) spelled out and keys sorted, so "identical" means byte-identical. */
function canon(v: unknown): string {
  const sort = (x: unknown): unknown => {
    if (typeof x === 'bigint') return `${x}n`;
    if (Array.isArray(x)) return x.map(sort);
    if (x === null || typeof x !== 'object') return x;
    return Object.fromEntries(
      Object.keys(x)
        .sort()
        .filter(k => (x as Record<string, unknown>)[k] !== undefined)
        .map(k => [k, sort((x as Record<string, unknown>)[k])]),
    );
  };
  return JSON.stringify(sort(v));
}

/* ---------- the known-good part: 10.0.0.0/8 and 2001:db8::/32, ids < 100, pool names good-* or generated ---------- */

function goodSnapshot(): NetBoxSnapshot {
  return {
    prefixes: [
      nbPrefix(1, '10.1.0.0/24', { role: 'k8s-secondary', tags: CLUSTER_TAG, cf: { k8s_namespaces: 'team-a' } }),
      nbPrefix(2, '10.2.0.0/16', {
        role: 'k8s-pod',
        tags: CLUSTER_TAG,
        cf: { k8s_block_size: 26, k8s_node_selector: 'zone in (a,b)', k8s_options: { natOutgoing: true } },
      }),
      nbPrefix(4, '10.4.0.0/24', { role: 'k8s-rdma', tags: CLUSTER_TAG, vrf: blue, cf: { k8s_block_size: 28 } }),
      nbPrefix(5, '10.5.0.0/24', { role: 'k8s-loadbalancer', tags: CLUSTER_TAG, cf: shared('cilium-lb') }),
      nbPrefix(6, '10.6.0.0/24', { role: 'k8s-loadbalancer', tags: CLUSTER_TAG, cf: shared('cilium-lb') }),
      nbPrefix(8, '2001:db8:8::/64', { role: 'k8s-secondary', tags: CLUSTER_TAG, status: 'deprecated' }),
    ],
    ipRanges: [
      nbIpRange(3, '10.3.0.10/24', '10.3.0.99/24', {
        role: 'k8s-loadbalancer',
        tags: CLUSTER_TAG,
        cf: { k8s_namespaces: ['team-b'] },
      }),
    ],
    recorded: {
      prefixes: [nbPrefix(50, '10.3.0.0/24')],
      ipRanges: [nbIpRange(51, '10.1.0.200/24', '10.1.0.250/24')],
      ipAddresses: [
        nbIpAddress(60, '10.1.0.1/24', { tags: ['gateway'] }),
        nbIpAddress(61, '10.1.0.10/24'),
        nbIpAddress(62, '10.4.0.1/24', { vrf: blue, role: 'vrrp' }),
        nbIpAddress(63, '10.3.0.50/24'),
      ],
    },
  };
}

const GOOD_POOL_NAMES = new Set(buildIntents(goodSnapshot(), config).intents.map(i => i.name));

function shared(kind: string) {
  return { k8s_pool_kind: kind, k8s_pool_name: 'good-shared' };
}

/* ---------- garbage ---------- */

/** Strings that cannot themselves put the tokens property 4 looks for into a message. */
const text = fc.string({ maxLength: 12 }).filter(s => !/undefined|NaN|object/i.test(s));
const scalar = fc.oneof(
  text,
  fc.integer({ min: -5, max: 300 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
/** Any JSON-representable value a broken NetBox object (or a wrong custom field type) could hold. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  scalar,
  fc.constant(undefined),
  fc.array(scalar, { maxLength: 3 }),
  fc.dictionary(text, scalar, { maxKeys: 3 }),
  scalar.map(value => ({ value, label: 'x' })),
);
/** Mostly valid values, some plausible mistakes, sometimes junk: valid ones reach the deeper checks. */
const value = <T, U>(good: readonly T[], bad: readonly U[]): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 14, arbitrary: fc.constantFrom(...good) },
    { weight: 2, arbitrary: fc.constantFrom(...bad) },
    { weight: 1, arbitrary: junk },
  );

/** Garbage lives in 172.16.0.0/12 and fd00::/8: nothing of it is inside the good objects' space. */
const octet = fc.integer({ min: 0, max: 40 });
const validPrefix = fc.oneof(
  octet.map(n => `172.16.${n}.0/24`),
  octet.map(n => `172.16.${n}.128/25`),
  octet.map(n => `172.16.${n}.7/24`),
  octet.map(n => `172.${16 + n}.0.0/16`),
  octet.map(n => `fd00:${n}::/64`),
);
const garbagePrefix = fc.oneof(
  { weight: 14, arbitrary: validPrefix },
  {
    weight: 2,
    arbitrary: fc.constantFrom('172.16.0.0/33', 'fd00::/129', '172.300.0.0/24', '', ' 172.16.2.0/24', '172.16.0.0'),
  },
  { weight: 1, arbitrary: junk },
);
/** Start and end of a range: mostly in one /24, sometimes crossed, of mixed families, or junk. */
const garbageSpan = fc.oneof(
  {
    weight: 14,
    arbitrary: fc
      .tuple(octet, fc.nat(255), fc.nat(255), fc.constantFrom(24, 32, 16))
      .map(([n, a, b, m]) => [`172.16.${n}.${Math.min(a, b)}/${m}`, `172.16.${n}.${Math.max(a, b)}/${m}`]),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(octet, fc.nat(255), fc.nat(255))
      .map(([n, a, b]) => [`fd00:${n}::${a.toString(16)}/64`, `fd00:${n}::${b.toString(16)}/64`]),
  },
  {
    weight: 3,
    arbitrary: fc.tuple(
      fc.constantFrom('172.16.0.10/24', '172.16.0.1', '172.16.0.999/24', '', 'fd00::1/64', ' 172.16.0.3/24'),
      fc.constantFrom('172.16.0.99/24', '172.16.0.5', 'fd00::ff/64', ''),
    ),
  },
  { weight: 1, arbitrary: fc.tuple(junk, junk) },
);
const garbageAddress = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(octet, fc.nat(255)).map(([n, a]) => `172.16.${n}.${a}/24`) },
  { weight: 2, arbitrary: fc.constantFrom('172.16.0.1', '172.16.0.999/24', '', 'fd00::1/64') },
  { weight: 1, arbitrary: junk },
);
/** Structure (tags, VRF, tenant, role, status) is mostly well-formed, so most objects reach the deeper checks. */
const rarely = <T>(plausible: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 14, arbitrary: plausible }, { weight: 1, arbitrary: junk });
const garbageStatus = rarely(
  fc.oneof(
    fc
      .constantFrom('active', 'active', 'deprecated', 'reserved', 'container', 'bogus')
      .map(v => ({ value: v, label: v })),
    fc.constantFrom('active', 'deprecated'),
  ),
);
const garbageRole = rarely(
  fc.oneof(
    fc.constantFrom(...ROLES, 'k8s-unknown').map(slug => ({ id: 900, name: slug, slug })),
    fc.constant(null),
  ),
);
const garbageVrf = rarely(fc.constantFrom(null, null, blue, nbVrf(9, 'Green'), nbVrf(10, '***')));
const garbageTenant = rarely(fc.constantFrom(null, { id: 3, name: 'T' }, { id: 4, display: 'U', slug: 'u' }));
const garbageTags = rarely(fc.constant(CLUSTER_TAG.map((slug, n) => ({ id: n, name: slug, slug }))));
const garbageCustomFields = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record(
      {
        k8s_pool_kind: value(
          ['calico', 'whereabouts', 'nv-ipam', 'metallb', 'cilium-lb', 'cilium-pod'],
          ['Calico', 'nope'],
        ),
        k8s_pool_name: value(['g-one', 'g-two', 'g-3', 'g-4', 'g-5', 'g-6'], ['G_Bad', 'a'.repeat(64), '-x']),
        k8s_namespace: value(['ns-a'], ['Bad NS']),
        k8s_block_size: value([24, 26, 28, 120, '26', ' 26 '], [0, 1, 31, 32, 64, 128, 129, '26.5', -1, 2.5]),
        k8s_node_selector: value(
          ['zone=a', 'all()', "has(x) && y == 'z'", '!spot', { zone: 'a' }],
          ['zone in (a', { z: 1 }],
        ),
        k8s_gateway: fc.oneof(
          { weight: 3, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: value(['172.16.0.1', '172.16.1.1/24', 'fd00::1', 'fd00:1::1'], ['10.1.0.1', 'gw']) },
        ),
        k8s_namespaces: value(['a, b', '["a","b"]', ['x']], ['[1]', ['x', 'Y'], '[', '']),
        k8s_options: value(['{}', {}], ['{', '[]', { natOutgoing: 'yes' }, { unknownKey: 1 }, { disabled: true }]),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: junk },
);

interface GarbageOpts {
  /** Ids to draw from; overlapping ranges give duplicate ids. */
  ids: fc.Arbitrary<number>;
}

function garbageCommon({ ids }: GarbageOpts) {
  return fc.record({
    id: ids,
    status: garbageStatus,
    role: garbageRole,
    tags: garbageTags,
    vrf: garbageVrf,
    tenant: garbageTenant,
    custom_fields: garbageCustomFields,
  });
}

const garbageSelectedPrefix = (o: GarbageOpts) =>
  fc.tuple(garbageCommon(o), garbagePrefix).map(([c, prefix]) => ({
    ...nbPrefix(c.id, typeof prefix === 'string' ? prefix : 'junk'),
    ...c,
    prefix,
  })) as unknown as fc.Arbitrary<NbPrefix>;

const garbageSelectedRange = (o: GarbageOpts) =>
  fc.tuple(garbageCommon(o), garbageSpan).map(([c, [start_address, end_address]]) => ({
    ...nbIpRange(
      c.id,
      typeof start_address === 'string' ? start_address : 'junk',
      typeof end_address === 'string' ? end_address : 'junk',
    ),
    ...c,
    start_address,
    end_address,
  })) as unknown as fc.Arbitrary<NbIpRange>;

const garbageRecordedAddress = (o: GarbageOpts) =>
  fc
    .tuple(
      garbageCommon(o),
      garbageAddress,
      fc.oneof(fc.constant(null), fc.constant({ value: 'vrrp', label: 'VRRP' }), junk),
    )
    .map(([c, address, role]) => ({
      ...nbIpAddress(c.id, 'junk'),
      ...c,
      address,
      role,
    })) as unknown as fc.Arbitrary<NbIpAddress>;

interface Garbage {
  prefixes: NbPrefix[];
  ipRanges: NbIpRange[];
  recorded: { prefixes: NbPrefix[]; ipRanges: NbIpRange[]; ipAddresses: NbIpAddress[] };
}

function garbage(o: GarbageOpts): fc.Arbitrary<Garbage> {
  return fc.record({
    prefixes: fc.array(garbageSelectedPrefix(o), { maxLength: 5 }),
    ipRanges: fc.array(garbageSelectedRange(o), { maxLength: 5 }),
    recorded: fc.record({
      prefixes: fc.array(garbageSelectedPrefix(o), { maxLength: 3 }),
      ipRanges: fc.array(garbageSelectedRange(o), { maxLength: 3 }),
      ipAddresses: fc.array(garbageRecordedAddress(o), { maxLength: 4 }),
    }),
  });
}

function merge(a: NetBoxSnapshot, b: Garbage): NetBoxSnapshot {
  return {
    prefixes: [...a.prefixes, ...b.prefixes],
    ipRanges: [...a.ipRanges, ...b.ipRanges],
    recorded: {
      prefixes: [...a.recorded.prefixes, ...b.recorded.prefixes],
      ipRanges: [...a.recorded.ipRanges, ...b.recorded.ipRanges],
      ipAddresses: [...a.recorded.ipAddresses, ...b.recorded.ipAddresses],
    },
  };
}

/** What the source guarantees: one row per id in each list (byId), though selected rows may reappear as recorded. */
function uniqueIds(g: Garbage): Garbage {
  const byId = <T extends { id: number }>(rows: T[]) => [...new Map(rows.map(r => [r.id, r])).values()];
  return {
    prefixes: byId(g.prefixes),
    ipRanges: byId(g.ipRanges),
    recorded: {
      prefixes: byId(g.recorded.prefixes),
      ipRanges: byId(g.recorded.ipRanges),
      ipAddresses: byId(g.recorded.ipAddresses),
    },
  };
}

const RUNS = { seed: 42, numRuns: 300 } as const;

/* ---------- properties ---------- */

describe('mapping and rendering survive garbage', () => {
  const snapshots = fc
    .tuple(garbage({ ids: fc.integer({ min: 1, max: 12 }) }), fc.boolean())
    .map(([g, withGood]) => (withGood ? merge(goodSnapshot(), g) : merge(empty(), g)));

  it('buildIntents and renderIntents never throw, duplicate ids included', () => {
    fc.assert(
      fc.property(snapshots, snapshot => {
        const { intents } = buildIntents(snapshot, config);
        render(intents);
      }),
      RUNS,
    );
  });

  it('every issue has a subject and a reason, and no message leaks undefined, [object Object] or NaN', () => {
    fc.assert(
      fc.property(snapshots, snapshot => {
        const mapped = buildIntents(snapshot, config);
        for (const issue of [...mapped.issues, ...render(mapped.intents).issues]) {
          expect(issue.reason.trim()).not.toBe('');
          expect(describeSubject(issue.subject).trim()).not.toBe('');
          expect(formatIssue(issue)).not.toMatch(/undefined|\[object Object\]|NaN/);
        }
      }),
      RUNS,
    );
  });
});

describe('reading, mapping and rendering survive garbage', () => {
  it('the source reads around rows it cannot parse, and the mapping then reports them', async () => {
    // The reader answers the selection query with the selected rows and every other query with the recorded ones.
    const snapshots = garbage({ ids: fc.integer({ min: 1, max: 12 }) });
    await fc.assert(
      fc.asyncProperty(snapshots, async g => {
        const reader: NetBoxReader = {
          listPrefixes: q => Promise.resolve('role' in q ? g.prefixes : g.recorded.prefixes),
          listIpRanges: q => Promise.resolve('role' in q ? g.ipRanges : g.recorded.ipRanges),
          listIpAddresses: () => Promise.resolve(g.recorded.ipAddresses),
        };
        const snapshot = await readSnapshot(reader, config.selection);
        render(buildIntents(snapshot, config).intents);
      }),
      { ...RUNS, numRuns: 100 },
    );
  });
});

describe('garbage is contained', () => {
  const good = goodSnapshot();
  const baseline = buildIntents(good, config);
  const baselineRendered = render(baseline.intents);
  const goodPoolName = (v: string) => !GOOD_POOL_NAMES.has(v.trim()) && !v.startsWith('good');
  const mixed = garbage({ ids: fc.integer({ min: 100, max: 110 }) }).filter(g =>
    [...g.prefixes, ...g.ipRanges].every(o => {
      const cf: unknown = o.custom_fields;
      const name = typeof cf === 'object' && cf !== null ? (cf as Record<string, unknown>)['k8s_pool_name'] : undefined;
      return name === undefined || typeof name !== 'string' || goodPoolName(name);
    }),
  );

  it('the good objects are clean to begin with', () => {
    expect(baseline.issues.filter(i => i.severity === 'error').map(formatIssue)).toEqual([]);
    expect(baselineRendered.issues.filter(i => i.severity === 'error').map(formatIssue)).toEqual([]);
    expect(baseline.intents.map(i => i.name).sort()).toHaveLength(6);
  });

  it("leaves the good objects' intents, rendered objects and issues byte-identical", () => {
    const isGood = (i: Issue) => !isGarbageSubject(i);
    fc.assert(
      fc.property(mixed, g => {
        const result = buildIntents(merge(good, g), config);
        const rendered = render(result.intents);
        const goodIntents = result.intents.filter(i => i.sources.every(s => s.id < 100));
        expect(canon(goodIntents)).toBe(canon(baseline.intents));
        const goodObjects = rendered.desired.filter(d => d.sources.every(s => s.id < 100));
        expect(canon(goodObjects)).toBe(canon(baselineRendered.desired));
        expect(canon(result.issues.filter(isGood))).toBe(canon(baseline.issues));
      }),
      RUNS,
    );
  });

  it('names every selected garbage object it does not publish, unless its status is not published', () => {
    fc.assert(
      fc.property(mixed, g => {
        const result = buildIntents(merge(good, g), config);
        const rendered = render(result.intents);
        const published = new Set(rendered.desired.flatMap(d => d.sources.map(s => `${s.model}:${s.id}`)));
        const drainedOnly = new Set(
          result.issues.filter(i => i.severity === 'warning' && /deprecated member/.test(i.reason)).map(i => i.reason),
        );
        const named = new Set(
          [...result.issues, ...rendered.issues]
            .filter(i => i.severity === 'error' && i.subject.type === 'netbox')
            .map(i => (i.subject.type === 'netbox' ? `${i.subject.model}:${i.subject.id}` : '')),
        );
        const poolErrors = new Set<string>();
        for (const i of [...result.issues, ...rendered.issues]) {
          if (i.severity !== 'error' || i.subject.type !== 'pool') continue;
          poolErrors.add(`name:${i.subject.name}`);
        }
        for (const i of rendered.issues) {
          if (i.severity !== 'error' || i.subject.type !== 'pool') continue;
          const { kind, name, namespace } = i.subject;
          const intent = result.intents.find(x => x.kind === kind && x.name === name && x.namespace === namespace);
          for (const s of intent?.sources ?? []) poolErrors.add(`${s.model}:${s.id}`);
        }
        const poolKeyOf = (nb: NbPrefix | NbIpRange): string => {
          const cf: unknown = nb.custom_fields;
          const name =
            typeof cf === 'object' && cf !== null ? (cf as Record<string, unknown>)['k8s_pool_name'] : undefined;
          return typeof name === 'string' && name.trim() !== ''
            ? `name:${name.trim()}`
            : `${'prefix' in nb ? 'prefix' : 'ip-range'}:${nb.id}`;
        };
        const objects = [
          ...g.prefixes.map(nb => ({ key: `prefix:${nb.id}`, nb })),
          ...g.ipRanges.map(nb => ({ key: `ip-range:${nb.id}`, nb })),
        ];
        for (const { key, nb } of objects) {
          if (published.has(key) || named.has(key)) continue;
          const status = statusText(nb.status);
          if (status !== 'active' && status !== 'deprecated' && status !== '') continue;
          // A deprecated member of a pool that stays active is left out with a warning naming it.
          if (status === 'deprecated' && [...drainedOnly].some(r => r.includes(nb.display))) continue;
          // Its pool is withheld or rejected as a whole: the error names the pool it belongs to.
          if (poolErrors.has(poolKeyOf(nb))) continue;
          expect.fail(`${key} (${canon(nb)}) is neither published nor named by an error`);
        }
      }),
      RUNS,
    );
  });
});

describe('overlapping space', () => {
  it('never hands one address to two published pools of one VRF', () => {
    // Well-formed objects crowded into a little space, so pools of every kind overlap each other often.
    const opts = fc.record({
      role: fc.constantFrom(...ROLES),
      tags: fc.constant(CLUSTER_TAG),
      vrf: fc.constantFrom(null, blue),
      cf: fc.record({ k8s_pool_name: fc.constantFrom('p-1', 'p-2', 'p-3') }, { requiredKeys: [] }),
    });
    const small = fc.integer({ min: 0, max: 3 });
    const prefix = fc
      .tuple(fc.integer({ min: 1, max: 999 }), small, fc.constantFrom(23, 24, 25), opts)
      .map(([id, n, len, o]) => nbPrefix(id, `172.16.${n}.0/${len}`, o));
    const range = fc
      .tuple(fc.integer({ min: 1, max: 999 }), small, fc.nat(255), fc.nat(255), opts)
      .map(([id, n, a, b, o]) =>
        nbIpRange(id, `172.16.${n}.${Math.min(a, b)}/24`, `172.16.${n}.${Math.max(a, b)}/24`, o),
      );
    const snapshots = fc
      .record({ prefixes: fc.array(prefix, { maxLength: 5 }), ipRanges: fc.array(range, { maxLength: 4 }) })
      .map(g => merge(empty(), uniqueIds({ ...g, recorded: empty().recorded })));
    fc.assert(
      fc.property(snapshots, snapshot => {
        const { intents } = buildIntents(snapshot, config);
        const published = new Set(render(intents).desired.map(d => d.sources));
        const handedOut = intents
          .filter(i => [...published].some(s => s === i.sources))
          .map(i => ({
            pool: `${i.kind} ${i.name}`,
            vrf: i.vrf?.id ?? null,
            free: subtractRanges(
              i.blocks.map(b => b.range),
              i.blocks.flatMap(b => b.exclusions.map(e => e.range)),
            ),
          }));
        for (const [n, a] of handedOut.entries()) {
          for (const b of handedOut.slice(n + 1)) {
            if (a.vrf !== b.vrf) continue;
            const shared = intersectRanges(a.free, b.free);
            expect(shared.map(formatRange), `${a.pool} and ${b.pool}`).toEqual([]);
          }
        }
      }),
      RUNS,
    );
  });
});

describe('determinism', () => {
  it('buildIntents does not depend on the order of the snapshot lists', () => {
    const input = fc
      .tuple(garbage({ ids: fc.integer({ min: 100, max: 140 }) }).map(uniqueIds), fc.boolean())
      .map(([g, withGood]) => (withGood ? merge(goodSnapshot(), g) : merge(empty(), g)))
      .chain(s =>
        fc.record({
          original: fc.constant(s),
          shuffled: fc.record({
            prefixes: fc.shuffledSubarray(s.prefixes, { minLength: s.prefixes.length }),
            ipRanges: fc.shuffledSubarray(s.ipRanges, { minLength: s.ipRanges.length }),
            recorded: fc.record({
              prefixes: fc.shuffledSubarray(s.recorded.prefixes, { minLength: s.recorded.prefixes.length }),
              ipRanges: fc.shuffledSubarray(s.recorded.ipRanges, { minLength: s.recorded.ipRanges.length }),
              ipAddresses: fc.shuffledSubarray(s.recorded.ipAddresses, { minLength: s.recorded.ipAddresses.length }),
            }),
          }),
        }),
      );
    fc.assert(
      fc.property(input, ({ original, shuffled }) => {
        const a = buildIntents(original, config);
        const b = buildIntents(shuffled, config);
        expect(canon(b)).toBe(canon(a));
        expect(canon(render(b.intents))).toBe(canon(render(a.intents)));
      }),
      RUNS,
    );
  });
});

function empty(): NetBoxSnapshot {
  return { prefixes: [], ipRanges: [], recorded: { prefixes: [], ipRanges: [], ipAddresses: [] } };
}

/** Garbage ids are >= 100 and garbage pool names never equal a good one (the arbitrary filters them). */
function isGarbageSubject(i: Issue): boolean {
  const s = i.subject;
  if (s.type === 'netbox') return s.id >= 100;
  if (s.type === 'pool') return !GOOD_POOL_NAMES.has(s.name);
  return true;
}

function statusText(s: unknown): string {
  if (typeof s === 'string') return s;
  if (typeof s === 'object' && s !== null && 'value' in s && typeof s.value === 'string') return s.value;
  return '';
}
