// @ts-check
/**
 * The layer rules of src/ (DESIGN.md §2), checked by `npm run lint`.
 *
 * LAYERS is the pipeline from the bottom up: a module may import its own layer and the layers below it, never one
 * above. Because every layer has a rank of its own, a cycle between two folders is impossible too: one of the two
 * imports would point up. Tests (`*.test.ts`) may reach anything; test support lives in test/support, never in src.
 */

/** Bottom first. Each entry: name and the path pattern (relative to the repo root) of its files. */
const LAYERS = [
  ['ip', '^src/ip/'],
  ['model', '^src/model/'],
  ['log', '^src/(log|version)\\.ts$'],
  ['kinds', '^src/kinds/'],
  ['config', '^src/config/'],
  ['mapping', '^src/mapping/'],
  ['plan', '^src/plan/'],
  ['writeback', '^src/writeback/'],
  ['adopt', '^src/adopt/'],
  ['drift', '^src/drift/'],
  ['netbox', '^src/netbox/'],
  ['k8s', '^src/k8s/'],
  ['cycle', '^src/cycle\\.ts$'],
  ['daemon', '^src/daemon/'],
  ['server', '^src/server/'],
  ['commands', '^src/commands/'],
  ['cli', '^src/cli\\.ts$'],
];

/** Stages that must stay pure (DESIGN.md §2): plain data in, plain data out, no network, files or clocks of their own. */
const PURE = ['ip', 'model', 'kinds', 'mapping', 'plan', 'writeback', 'adopt', 'drift'];
const IO_MODULES =
  '^(node:)?(fs|fs/promises|net|http|https|http2|child_process|dgram|dns|tls|worker_threads)$' +
  '|^node_modules/(axios|@kubernetes/client-node|ioredis|bullmq|node-cron|pino)/';

const TEST_FILE = '\\.test\\.ts$';
const pathOf = name => {
  const layer = LAYERS.find(([n]) => n === name);
  if (!layer) throw new Error(`unknown layer ${name}`);
  return layer[1];
};

const upward = LAYERS.slice(0, -1).map(([name, path], i) => ({
  name: `layer-${name}`,
  comment: `${name} may import only the layers below it (${LAYERS.slice(0, i)
    .map(([n]) => n)
    .join(', ')}): arrows point down (DESIGN.md §2)`,
  severity: 'error',
  from: { path, pathNot: TEST_FILE },
  to: {
    path: LAYERS.slice(i + 1)
      .map(([, p]) => `(${p})`)
      .join('|'),
  },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'pure-stages-do-no-io',
      comment: 'pure stages get what they need as data from the I/O layers (netbox, k8s, daemon, server)',
      severity: 'error',
      from: {
        path: PURE.map(pathOf)
          .map(p => `(${p})`)
          .join('|'),
        pathNot: TEST_FILE,
      },
      to: { path: IO_MODULES },
    },
    {
      name: 'no-test-support-in-src',
      comment: 'src ships: it never imports test support, dev harnesses or test libraries (tests may)',
      severity: 'error',
      from: { path: '^src/', pathNot: TEST_FILE },
      to: { path: '^(test|dev|bench)/|^node_modules/(vitest|nock|fast-check|@vitest)/' },
    },
    {
      name: 'no-src-outside-layers',
      comment: 'every file of src/ belongs to a layer; add a new stage folder to LAYERS in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: `${TEST_FILE}|${LAYERS.map(([, p]) => `(${p})`).join('|')}` },
      to: {},
    },
    {
      name: 'no-circular',
      comment: 'modules import in one direction; a cycle means two modules are one idea or one belongs lower',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
