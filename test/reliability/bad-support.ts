import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { parseConfig } from '../../src/config/config.ts';
import type { Config } from '../../src/config/config.ts';
import { formatIssue } from '../../src/model/issue.ts';
import type { Issue } from '../../src/model/issue.ts';
import type { NbIpAddress, NbIpRange, NbPrefix } from '../../src/model/netbox.ts';
import { nbIpAddress, nbIpRange, nbPrefix, nbVrf } from '../support/fake-netbox-reader.ts';

/**
 * Shared by the bad-input reliability suites (bad-*.test.ts): the seed and run count, a loopback NetBox that serves
 * whatever JSON it is given (or sits in front of a real NetBox and rewrites its answers, as a hostile proxy or
 * plugin would), and generators of hostile NetBox objects, each with the one defect it carries.
 */

/** `RELIABILITY_SEED` reproduces a run; otherwise a fresh seed, printed with the figures. */
export const SEED = Number.parseInt(process.env['RELIABILITY_SEED'] ?? '', 10) || Date.now() % 2_147_483_647;

/** fast-check runs: the default keeps the suite to a few minutes on a loaded 2-core machine; RELIABILITY_RUNS scales. */
export function runs(base: number): number {
  const scale = Number.parseFloat(process.env['RELIABILITY_RUNS'] ?? '');
  return Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/** A message bounded in size although the object held megabytes: every issue must stay below this. */
export const MAX_ISSUE_CHARS = 2000;

export function issueText(i: Issue): string {
  return formatIssue(i);
}

/* ---------- a loopback NetBox serving raw JSON ---------- */

export interface ServedData {
  /** Rows answered to the selection queries (role + tag + status). */
  selected: { prefixes: unknown[]; ipRanges: unknown[] };
  /** Rows answered to every other query (what NetBox records around the selected space). */
  recorded: { prefixes: unknown[]; ipRanges: unknown[]; ipAddresses: unknown[] };
}

export interface RawNetBox {
  url: string;
  requests: number;
  serve(data: ServedData): void;
  close(): Promise<void>;
}

const ENDPOINTS = {
  '/api/ipam/prefixes/': 'prefixes',
  '/api/ipam/ip-ranges/': 'ipRanges',
  '/api/ipam/ip-addresses/': 'ipAddresses',
} as const;

/** One page holding everything, as NetBox answers a listing under its page size. */
function page(rows: unknown[]): string {
  return JSON.stringify({ count: rows.length, next: null, previous: null, results: rows });
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  server.keepAliveTimeout = 1000;
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise(resolve => server.close(() => resolve()));
}

export async function startRawNetBox(): Promise<RawNetBox> {
  let data: ServedData = {
    selected: { prefixes: [], ipRanges: [] },
    recorded: { prefixes: [], ipRanges: [], ipAddresses: [] },
  };
  const state = { requests: 0 };
  const server = await listen((req, res) => {
    state.requests++;
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/api/status/') {
      res.writeHead(200, { 'content-type': 'application/json', 'api-version': '4.7' });
      res.end(JSON.stringify({ 'netbox-version': '4.7.3' }));
      return;
    }
    const which = ENDPOINTS[url.pathname as keyof typeof ENDPOINTS];
    if (which === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not found."}');
      return;
    }
    const selection = url.searchParams.has('role');
    const rows = selection && which !== 'ipAddresses' ? data.selected[which] : data.recorded[which];
    res.writeHead(200, { 'content-type': 'application/json' }).end(page(rows));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    serve(d) {
      data = d;
    },
    close: () => closeServer(server),
  };
}

/* ---------- a proxy in front of a real NetBox that rewrites listed rows ---------- */

export interface RewritingProxy {
  url: string;
  /** Rewrites one listed row (by endpoint) before the client sees it; return the row unchanged to pass it on. */
  rewrite: ((endpoint: string, row: Record<string, unknown>) => unknown) | undefined;
  close(): Promise<void>;
}

export async function startRewritingProxy(upstream: string): Promise<RewritingProxy> {
  const proxy: RewritingProxy = { url: '', rewrite: undefined, close: () => Promise.resolve() };
  const server = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k)) headers.set(k, v);
      }
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      fetch(new URL(req.url ?? '/', upstream), { method: req.method ?? 'GET', headers, body })
        .then(async up => {
          let text = await up.text();
          const path = new URL(req.url ?? '/', 'http://x').pathname;
          const rewrite = proxy.rewrite;
          if (req.method === 'GET' && rewrite !== undefined && up.ok) {
            const json = JSON.parse(text) as { results?: unknown };
            if (Array.isArray(json.results)) {
              json.results = json.results.map(r => rewrite(path, r as Record<string, unknown>));
              text = JSON.stringify(json);
            }
          }
          res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
          res.end(text);
        })
        .catch((err: unknown) => {
          res.writeHead(502, { 'content-type': 'text/plain' }).end(`proxy: ${String(err)}`);
        });
    });
  });
  const { port } = server.address() as AddressInfo;
  proxy.url = `http://127.0.0.1:${port}`;
  proxy.close = () => closeServer(server);
  return proxy;
}

/* ---------- config ---------- */

export function fuzzConfig(url: string, cluster = 'fuzz'): Config {
  const r = parseConfig({ cluster, netbox: { url, tokenEnv: 'BAD_INPUT_UNUSED' } }, {});
  if (!r.ok) throw new Error(r.issues.map(formatIssue).join('; '));
  return r.config;
}

/* ---------- good objects: 10.0.0.0/8 and 2001:db8::/32, global table and VRF 7, ids 1..99 ---------- */

const TAG = ['k8s-fuzz'];
const blue = nbVrf(7, 'Blue');

export function goodObjects(): { prefixes: NbPrefix[]; ipRanges: NbIpRange[]; ipAddresses: NbIpAddress[] } {
  return {
    prefixes: [
      nbPrefix(1, '10.1.0.0/24', { role: 'k8s-secondary', tags: TAG, cf: { k8s_namespace: 'team-a' } }),
      nbPrefix(2, '10.2.0.0/16', { role: 'k8s-pod', tags: TAG, cf: { k8s_block_size: 26, k8s_pool_name: 'pods' } }),
      nbPrefix(4, '10.4.0.0/24', { role: 'k8s-rdma', tags: TAG, vrf: blue, cf: { k8s_block_size: 28 } }),
      nbPrefix(5, '10.5.0.0/24', { role: 'k8s-loadbalancer', tags: TAG, cf: { k8s_pool_kind: 'cilium-lb' } }),
      nbPrefix(6, '2001:db8:6::/64', { role: 'k8s-secondary', tags: TAG, cf: { k8s_pool_name: 'v6' } }),
      nbPrefix(8, '10.8.0.0/22', { role: 'k8s-pod', tags: TAG, cf: { k8s_pool_kind: 'cilium-pod' } }),
    ],
    ipRanges: [nbIpRange(3, '10.3.0.10/24', '10.3.0.99/24', { role: 'k8s-loadbalancer', tags: TAG })],
    ipAddresses: [nbIpAddress(60, '10.1.0.1/24', { tags: ['gateway'] }), nbIpAddress(61, '10.1.0.10/24')],
  };
}

/* ---------- hostile objects ---------- */

/** One hostile object and what is wrong with it; `defective` objects must be named by exactly one error. */
export interface Hostile {
  model: 'prefix' | 'ip-range';
  row: Record<string, unknown>;
  defect: string;
  defective: boolean;
}

const HUGE = 200_000;
const hugeText = (ch: string): string => ch.repeat(HUGE);

const BAD_CIDRS = [
  '10.0.0.0/33',
  '10.0.0.256/24',
  '::/129',
  'garbage',
  '',
  '1.2.3.4/-1',
  '１０.0.0.0/24',
  ' 172.31.0.0/24',
  '172.31.0.0/24\n',
  '172.31.0.0/24/24',
  '172.31.0.0/0x18',
  '2001:db8:::/64',
  '2001:db8::/64%eth0',
  `172.31.0.0/${'9'.repeat(400)}`,
  hugeText('1'),
  '0.0.0.0/-0',
];

/** A value of the wrong JSON type for a text field. */
const wrongType = fc.constantFrom<unknown>(
  null,
  42,
  -1,
  true,
  {},
  [],
  ['10.0.0.0/24'],
  { prefix: '10.0.0.0/24' },
  1e308,
);

/** Custom field values that are wrong for the field they are in (field, value, wrong because). */
const BAD_CUSTOM_FIELDS: [string, unknown][] = [
  ['k8s_block_size', 'abc'],
  ['k8s_block_size', -1],
  ['k8s_block_size', 1e9],
  ['k8s_block_size', 26.5],
  ['k8s_block_size', { value: 26 }],
  ['k8s_pool_kind', 42],
  ['k8s_pool_kind', 'unknown-kind'],
  ['k8s_pool_kind', { value: 'no-such', label: 'x' }],
  ['k8s_pool_name', 'Bad Name!!'],
  ['k8s_pool_name', hugeText('ü')],
  ['k8s_pool_name', 7],
  ['k8s_namespace', 'Not_A_Namespace'],
  ['k8s_namespace', hugeText('n')],
  ['k8s_namespaces', 5],
  ['k8s_namespaces', ['ok', 3]],
  ['k8s_gateway', 'nope'],
  ['k8s_gateway', '300.1.1.1'],
  ['k8s_node_selector', 5],
  ['k8s_node_selector', 'zone in ('],
  ['k8s_options', 'not json {'],
  ['k8s_options', [1, 2]],
  ['k8s_options', { blockSize: 'huge' }],
];

/** The selected shape every hostile object starts from, in 172.16.0.0/12 (no good object is there). */
function selectedRow(model: 'prefix' | 'ip-range', id: number, slot: number): Record<string, unknown> {
  const net = `172.${16 + Math.floor(slot / 256)}.${slot % 256}`;
  const row =
    model === 'prefix'
      ? nbPrefix(id, `${net}.0/24`, { role: 'k8s-secondary', tags: TAG })
      : nbIpRange(id, `${net}.10/24`, `${net}.20/24`, { role: 'k8s-loadbalancer', tags: TAG });
  return structuredClone(row) as unknown as Record<string, unknown>;
}

type Build = (row: Record<string, unknown>, model: 'prefix' | 'ip-range') => string;

/** Defects: each arbitrary returns a function that damages a row and says how. */
const defects: fc.Arbitrary<{ model?: 'prefix' | 'ip-range'; build: Build }>[] = [
  fc.constantFrom(...BAD_CIDRS).map(bad => ({
    model: 'prefix' as const,
    build: (row: Record<string, unknown>) => (
      (row['prefix'] = bad),
      `malformed prefix ${JSON.stringify(bad.slice(0, 20))}`
    ),
  })),
  wrongType.map(v => ({
    model: 'prefix' as const,
    build: (row: Record<string, unknown>) => ((row['prefix'] = v), `prefix of the wrong type ${JSON.stringify(v)}`),
  })),
  fc
    .constantFrom<[string, string]>(
      ['172.30.0.20/24', '172.30.0.10/24'],
      ['172.30.0.10/24', '2001:db8::1/64'],
      ['nope', '172.30.0.10/24'],
      ['172.30.0.10/24', hugeText('9')],
      ['172.30.0.10/24', ''],
    )
    .map(([start, end]) => ({
      model: 'ip-range' as const,
      build: (row: Record<string, unknown>) => (
        (row['start_address'] = start),
        (row['end_address'] = end),
        `bad range ${start.slice(0, 20)}-${end.slice(0, 20)}`
      ),
    })),
  fc.constantFrom(...BAD_CUSTOM_FIELDS).map(([field, value]) => ({
    build: (row: Record<string, unknown>) => {
      (row['custom_fields'] as Record<string, unknown>)[field] = value;
      return `custom field ${field} = ${JSON.stringify(value).slice(0, 30)}`;
    },
  })),
  fc.constantFrom('tags', 'status', 'prefix', 'role').map(field => ({
    model: field === 'prefix' ? ('prefix' as const) : undefined,
    build: (row: Record<string, unknown>) => (delete row[field], `missing field ${field}`),
  })),
  fc
    .constantFrom<[string, unknown]>(
      ['tags', {}],
      ['tags', [{ id: 1 }]],
      ['vrf', 'blue'],
      ['vrf', { id: 'x', name: 3 }],
      ['tenant', 7],
      ['custom_fields', 'none'],
      ['custom_fields', []],
      ['status', { value: 5 }],
      ['role', 'k8s-pod'],
    )
    .map(([field, value]) => ({
      build: (row: Record<string, unknown>) => (
        (row[field] = value),
        `${field} of the wrong shape ${JSON.stringify(value)}`
      ),
    })),
];

/** A defect for a selected prefix (the subset of `defects` that applies to prefixes): damages a row in place. */
export const prefixDefect: fc.Arbitrary<(row: Record<string, unknown>) => string> = fc
  .oneof(...defects)
  .filter(d => d.model === undefined || d.model === 'prefix')
  .map(d => (row: Record<string, unknown>) => d.build(row, 'prefix'));

/** Hostile but well-formed: NetBox would take them; the daemon must survive them and keep the good pools intact. */
const wellFormed: fc.Arbitrary<{ model: 'prefix' | 'ip-range'; build: Build }> = fc.oneof(
  fc.constantFrom('0.0.0.0/0', '::/0', '2001:db8::/32', '10.0.0.0/8').map(cidr => ({
    model: 'prefix' as const,
    build: (row: Record<string, unknown>) => ((row['prefix'] = cidr), `huge prefix ${cidr}`),
  })),
  fc
    .constantFrom<[string, string]>(
      ['::1/128', 'ffff:ffff::/128'],
      ['2001:db8::/32', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff/32'],
      ['0.0.0.1/0', '255.255.255.254/0'],
    )
    .map(([s, e]) => ({
      model: 'ip-range' as const,
      build: (row: Record<string, unknown>) => (
        (row['start_address'] = s),
        (row['end_address'] = e),
        `huge range ${s}-${e}`
      ),
    })),
  fc.integer({ min: 1000, max: 5000 }).map(n => ({
    model: 'prefix' as const,
    build: (row: Record<string, unknown>) => {
      row['tags'] = [
        ...(row['tags'] as unknown[]),
        ...Array.from({ length: n }, (_, i) => ({ id: 9000 + i, name: `t${i}`, slug: `t${i}` })),
      ];
      return `${n} tags`;
    },
  })),
  fc.constantFrom(hugeText('x'), '🙂'.repeat(5000), 'ﷺ\u202e\u0000'.repeat(1000)).map(display => ({
    model: 'prefix' as const,
    build: (row: Record<string, unknown>) => ((row['display'] = display), `display of ${display.length} chars`),
  })),
);

/** The hostile-but-valid objects live in their own VRF, so their overlaps never touch the good pools. */
const HOSTILE_VRF = nbVrf(66, 'Hostile');

/** `count` hostile objects with ids from 1000, each in its own /24 of 172.16.0.0/12 (or VRF 66 when well-formed). */
export function hostileObjects(count: { min: number; max: number }): fc.Arbitrary<Hostile[]> {
  const one = fc.oneof(
    { weight: 4, arbitrary: fc.oneof(...defects).map(d => ({ ...d, defective: true })) },
    { weight: 1, arbitrary: wellFormed.map(d => ({ ...d, defective: false })) },
  );
  return fc
    .array(fc.tuple(one, fc.constantFrom<'prefix' | 'ip-range'>('prefix', 'ip-range')), {
      minLength: count.min,
      maxLength: count.max,
    })
    .map(list =>
      list.map(([d, fallback], i): Hostile => {
        const model = d.model ?? fallback;
        const row = selectedRow(model, 1000 + i, i);
        if (!d.defective) row['vrf'] = structuredClone(HOSTILE_VRF);
        const defect = d.build(row, model);
        // fast-check prints a failing input: the defect, not 200 kB of hostile JSON.
        const shown = `${model} ${String(row['id'])}: ${defect}`;
        const hostile: Hostile = { model, row, defect, defective: d.defective };
        return Object.assign(hostile, { [fc.toStringMethod]: () => shown });
      }),
    );
}
