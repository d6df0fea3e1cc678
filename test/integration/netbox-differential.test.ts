import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../dev/netbox-emulator/index.ts';
import type { Emulator } from '../../dev/netbox-emulator/index.ts';
import { NetBoxClient, SELECTIONS } from '../../src/netbox/client/index.ts';
import { NetBoxError } from '../../src/netbox/client/index.ts';
import { diff, normalise, ref, send } from '../support/differential.ts';
import type { Answer, Difference, Side, SideState } from '../support/differential.ts';
import { realNetBox, resetRealNetBox } from '../support/netbox.ts';
import type { RealNetBoxInfo } from '../support/netbox.ts';

/**
 * Differential suite: every endpoint, filter, pagination case, bulk write, validation error and auth case our
 * client uses, and a webhook, sent to real NetBox (the integration environment's, on a fresh database) and to the
 * NetBox emulator (dev/netbox-emulator) with the same tokens; answers are normalised (ids, timestamps, request
 * ids, the server's address) and compared field by field. Last, the same client operations run through our
 * NetBoxClient against both and their outcomes are compared.
 *
 * A difference fails the suite unless KNOWN lists it with its reason (the same list is in
 * dev/netbox-emulator/README.md); a KNOWN entry that no longer matches anything fails it too. Everything found is
 * printed as a table at the end.
 */

interface Known {
  step: RegExp;
  path: RegExp;
  reason: string;
}

/** Differences the emulator keeps on purpose; each also in dev/netbox-emulator/README.md ("Known differences"). */
const KNOWN: Known[] = [
  {
    step: /^prefixes: not JSON$/,
    path: /^body\.detail$/,
    reason: "the parser's own words follow `JSON parse error - `: Python's json module there, JavaScript's here",
  },
];

const real: RealNetBoxInfo | undefined = realNetBox();
if (real === undefined) {
  console.warn('[netbox-differential] NBSYNC_NETBOX=emulator: no real NetBox to compare the emulator with; skipped');
}

describe.skipIf(real === undefined)('differential: real NetBox vs the NetBox emulator', () => {
  const nb = real as RealNetBoxInfo;
  let emu: Emulator;
  let hooks: Server;
  const deliveries: { side: Side; headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  const sides: Record<Side, SideState> = {
    real: { side: 'real', url: '', refs: new Map() },
    emulator: { side: 'emulator', url: '', refs: new Map() },
  };
  const found: (Difference & { reason?: string })[] = [];
  const used = new Set<Known>();
  const timings: { step: string; real: number; emulator: number }[] = [];

  beforeAll(async () => {
    await resetRealNetBox();
    sides.real.url = nb.url;
    emu = await startEmulator({
      tokens: [
        nb.tokens.v1,
        nb.tokens.v2,
        { token: nb.tokens.readOnly, writeEnabled: false },
        { token: nb.tokens.readOnlyV2, writeEnabled: false },
      ],
    });
    sides.emulator.url = emu.url;
    hooks = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const side: Side = req.url?.includes('/real') ? 'real' : 'emulator';
        deliveries.push({ side, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>(resolve => hooks.listen(0, '127.0.0.1', resolve));
  }, 60_000);

  afterAll(async () => {
    await emu?.close();
    await new Promise<void>(resolve => (hooks ? hooks.close(() => resolve()) : resolve()));
    const rows = found.map(
      d =>
        `| ${d.step} | ${d.path} | ${JSON.stringify(d.real)?.slice(0, 120)} | ${JSON.stringify(d.emulator)?.slice(0, 120)} | ${d.reason ?? '**unexplained**'} |`,
    );
    console.log(
      `\n### NetBox ${nb.version} vs the emulator: ${found.length} differences ` +
        `(${found.filter(d => d.reason === undefined).length} unexplained)\n` +
        '| step | path | real | emulator | reason |\n| --- | --- | --- | --- | --- |\n' +
        `${rows.join('\n')}\n`,
    );
    const slow = timings.filter(t => t.real > 1000).map(t => `${t.step}: real ${t.real} ms, emulator ${t.emulator} ms`);
    if (slow.length > 0) console.log(`slow steps:\n  ${slow.join('\n  ')}`);
  });

  const tokens = () => nb.tokens;

  interface StepOptions {
    headers?: Record<string, string>;
    token?: string | null;
    authorization?: string | null;
    body?: unknown;
    rawBody?: string;
    /** Saves ids from the (real and emulated) answer: `name` ← body.id, or a function naming several. */
    save?: string | ((body: unknown) => Record<string, number>);
    /** Reduces both bodies before comparing (e.g. to the fields that can be compared at all). */
    view?: (body: unknown) => unknown;
  }

  /** Sends one request to both servers, records every difference, returns both answers. */
  async function step(name: string, method: string, path: string, opts: StepOptions = {}) {
    const { save, view, ...req } = opts;
    const token = 'token' in req ? req.token : tokens().v1;
    const ask = (s: SideState) => send(s, method, path, { ...req, token });
    const [r, e] = [await ask(sides.real), await ask(sides.emulator)];
    timings.push({ step: name, real: r.ms, emulator: e.ms });
    for (const [s, a] of [
      [sides.real, r],
      [sides.emulator, e],
    ] as const) {
      if (save === undefined || a.status >= 300) continue;
      const ids = typeof save === 'string' ? { [save]: (a.body as { id: number }).id } : save(a.body);
      for (const [k, v] of Object.entries(ids)) s.refs.set(k, v);
    }
    const shape = (a: Answer, s: SideState) => ({
      status: a.status,
      apiVersion: a.headers.apiVersion,
      requestId: a.headers.requestId,
      etag: a.headers.etag,
      body: normalise(view ? view(a.body) : a.body, s.url),
    });
    for (const d of diff(shape(r, sides.real), shape(e, sides.emulator))) {
      const known = KNOWN.find(k => k.step.test(name) && k.path.test(d.path));
      if (known) used.add(known);
      found.push({ step: name, ...d, ...(known ? { reason: known.reason } : {}) });
    }
    return { real: r, emulator: e };
  }

  /** The differences of the steps whose names start with `prefix` that KNOWN does not explain. */
  function unexplained(prefix: string): string[] {
    return found
      .filter(d => d.step.startsWith(prefix) && d.reason === undefined)
      .map(d => `${d.step}: ${d.path}: real ${JSON.stringify(d.real)} ≠ emulator ${JSON.stringify(d.emulator)}`);
  }

  const keysAndTypes = (b: unknown) =>
    Object.fromEntries(Object.entries(b as Record<string, unknown>).map(([k, v]) => [k, typeof v]));

  it('auth: tokens, keywords, missing and bad credentials, read-only tokens', async () => {
    const t = tokens();
    await step('auth: status without a token', 'GET', '/api/status/', { token: null });
    await step('auth: status with v1', 'GET', '/api/status/', { view: keysAndTypes });
    await step('auth: status with v2', 'GET', '/api/status/', { token: t.v2, view: keysAndTypes });
    await step('auth: list without a token', 'GET', '/api/ipam/prefixes/', { token: null });
    await step('auth: v2 token with the Token keyword', 'GET', '/api/ipam/roles/', { authorization: `Token ${t.v2}` });
    await step('auth: v1 token with the Bearer keyword', 'GET', '/api/ipam/roles/', {
      authorization: `Bearer ${t.v1}`,
    });
    await step('auth: unknown v1 token', 'GET', '/api/ipam/roles/', { token: 'A'.repeat(40) });
    await step('auth: unknown v2 token', 'GET', '/api/ipam/roles/', { token: `nbt_AAAAAAAAAAAA.${'b'.repeat(40)}` });
    await step('auth: v2 token of a known key, wrong secret', 'GET', '/api/ipam/roles/', {
      token: `${t.v2.split('.')[0]}.${'c'.repeat(40)}`,
    });
    await step('auth: v2 token without a dot', 'GET', '/api/ipam/roles/', { authorization: 'Bearer nbt_abcdef' });
    await step('auth: keyword only', 'GET', '/api/ipam/roles/', { authorization: 'Token' });
    await step('auth: three words', 'GET', '/api/ipam/roles/', { authorization: `Token ${t.v1} extra` });
    await step('auth: another scheme', 'GET', '/api/ipam/roles/', { authorization: 'Basic YWRtaW46YWRtaW4=' });
    await step('auth: read-only v1 reads', 'GET', '/api/ipam/roles/', { token: t.readOnly });
    await step('auth: read-only v1 writes', 'POST', '/api/extras/tags/', {
      token: t.readOnly,
      body: { name: 'ro', slug: 'ro' },
    });
    await step('auth: read-only v2 writes', 'POST', '/api/extras/tags/', {
      token: t.readOnlyV2,
      body: { name: 'ro', slug: 'ro' },
    });
    await step('auth: authentication-check', 'GET', '/api/authentication-check/', {
      view: b => (typeof b === 'object' && b !== null && 'username' in b ? { username: b.username } : b),
    });
    expect(unexplained('auth:')).toEqual([]);
  });

  it('bootstrap objects: roles, tags, choice sets, custom fields, VRFs and their validation', async () => {
    for (const slug of ['k8s-pod', 'k8s-loadbalancer']) {
      await step(`objects: role ${slug}`, 'POST', '/api/ipam/roles/', {
        body: { name: slug, slug, description: 'Kubernetes pool role' },
        save: `role:${slug}`,
      });
    }
    await step('objects: tags (bulk)', 'POST', '/api/extras/tags/', {
      body: [
        { name: 'k8s-lab', slug: 'k8s-lab', color: '009688', description: 'cluster lab' },
        { name: 'k8s-ippool-sync', slug: 'k8s-ippool-sync', color: '2196f3' },
      ],
      save: b => Object.fromEntries((b as { id: number; slug: string }[]).map(t => [`tag:${t.slug}`, t.id])),
    });
    await step('objects: duplicate tag slug', 'POST', '/api/extras/tags/', { body: { name: 'Lab', slug: 'k8s-lab' } });
    await step('objects: tag with a bad color', 'POST', '/api/extras/tags/', {
      body: { name: 'c', slug: 'c', color: 'red' },
    });
    await step('objects: choice set', 'POST', '/api/extras/custom-field-choice-sets/', {
      body: {
        name: 'k8s_pool_kind',
        extra_choices: [
          ['calico', 'Calico'],
          ['metallb', 'MetalLB'],
        ],
      },
      save: 'set:kind',
    });
    await step('objects: select field', 'POST', '/api/extras/custom-fields/', {
      body: {
        name: 'k8s_pool_kind',
        type: 'select',
        label: 'Pool kind',
        group_name: 'Kubernetes',
        object_types: ['ipam.prefix', 'ipam.iprange'],
        choice_set: ref('set:kind'),
      },
      save: 'cf:kind',
    });
    await step('objects: integer field with bounds', 'POST', '/api/extras/custom-fields/', {
      body: {
        name: 'k8s_block_size',
        type: 'integer',
        object_types: ['ipam.prefix', 'ipam.iprange'],
        validation_minimum: 1,
        validation_maximum: 128,
      },
    });
    await step('objects: text field, exact filter, three object types', 'POST', '/api/extras/custom-fields/', {
      body: {
        name: 'k8s_pool_name',
        type: 'text',
        object_types: ['ipam.prefix', 'ipam.ipaddress', 'ipam.iprange'],
        filter_logic: 'exact',
      },
    });
    await step('objects: json field', 'POST', '/api/extras/custom-fields/', {
      body: { name: 'k8s_options', type: 'json', object_types: ['ipam.prefix'] },
    });
    await step('objects: select field without a choice set', 'POST', '/api/extras/custom-fields/', {
      body: { name: 'k8s_bad', type: 'select', object_types: ['ipam.prefix'] },
    });
    await step('objects: field with a bad name', 'POST', '/api/extras/custom-fields/', {
      body: { name: 'Bad Name', type: 'text', object_types: ['ipam.prefix'] },
    });
    await step('objects: PATCH field object types', 'PATCH', '/api/extras/custom-fields/{ref:cf:kind}/', {
      body: { object_types: ['ipam.prefix', 'ipam.iprange', 'ipam.ipaddress'] },
    });
    await step('objects: PATCH choice set choices', 'PATCH', '/api/extras/custom-field-choice-sets/{ref:set:kind}/', {
      body: {
        extra_choices: [
          ['calico', 'Calico'],
          ['metallb', 'MetalLB'],
          ['whereabouts', 'Whereabouts'],
        ],
      },
    });
    await step('objects: VRF', 'POST', '/api/ipam/vrfs/', {
      body: { name: 'blue', rd: '65000:1', enforce_unique: true },
      save: 'vrf:blue',
    });
    const fields = (sel: { fields: readonly string[] }) => sel.fields.join(',');
    await step(
      'objects: list custom fields as the client does',
      'GET',
      q('/api/extras/custom-fields/', { fields: fields(SELECTIONS.customFields), limit: '100' }),
      { token: tokens().v2 },
    );
    await step(
      'objects: list choice sets as the client does',
      'GET',
      q('/api/extras/custom-field-choice-sets/', { fields: fields(SELECTIONS.customFieldChoiceSets), limit: '100' }),
    );
    await step(
      'objects: list tags as the client does',
      'GET',
      q('/api/extras/tags/', { fields: fields(SELECTIONS.tags) }),
    );
    await step('objects: list roles brief', 'GET', q('/api/ipam/roles/', { brief: 'true' }));
    await step(
      'objects: list VRFs as the client does',
      'GET',
      q('/api/ipam/vrfs/', { fields: fields(SELECTIONS.vrfs) }),
    );
    expect(unexplained('objects:')).toEqual([]);
  });

  const prefixBody = (prefix: string, extra: Record<string, unknown> = {}) => ({
    prefix,
    status: 'active',
    role: { slug: 'k8s-pod' },
    tags: [{ slug: 'k8s-lab' }],
    custom_fields: { k8s_pool_kind: 'calico', k8s_block_size: 26, k8s_pool_name: 'pods' },
    ...extra,
  });

  it('prefixes: create, read, update and every validation error the daemon can meet', async () => {
    await step('prefixes: create', 'POST', '/api/ipam/prefixes/', { body: prefixBody('10.50.0.0/24'), save: 'p:pods' });
    await step('prefixes: host bits set', 'POST', '/api/ipam/prefixes/', { body: prefixBody('10.50.1.200/28') });
    await step('prefixes: IPv6 host bits set', 'POST', '/api/ipam/prefixes/', { body: { prefix: '2001:db8::1/64' } });
    await step('prefixes: duplicate in the global table', 'POST', '/api/ipam/prefixes/', {
      body: prefixBody('10.50.0.0/24'),
    });
    await step('prefixes: /0', 'POST', '/api/ipam/prefixes/', { body: { prefix: '0.0.0.0/0' } });
    await step('prefixes: not an address', 'POST', '/api/ipam/prefixes/', { body: { prefix: '10.50.0.0/33' } });
    await step('prefixes: custom field above its maximum', 'POST', '/api/ipam/prefixes/', {
      body: prefixBody('10.50.2.0/24', { custom_fields: { k8s_block_size: 129 } }),
    });
    await step('prefixes: unknown choice', 'POST', '/api/ipam/prefixes/', {
      body: prefixBody('10.50.3.0/24', { custom_fields: { k8s_pool_kind: 'flannel' } }),
    });
    await step('prefixes: unknown custom field', 'POST', '/api/ipam/prefixes/', {
      body: prefixBody('10.50.4.0/24', { custom_fields: { nope: 1 } }),
    });
    await step('prefixes: integer field given text', 'POST', '/api/ipam/prefixes/', {
      body: prefixBody('10.50.5.0/24', { custom_fields: { k8s_block_size: 'big' } }),
    });
    await step('prefixes: bad status', 'POST', '/api/ipam/prefixes/', {
      body: prefixBody('10.50.6.0/24', { status: 'bogus' }),
    });
    await step('prefixes: unknown role', 'POST', '/api/ipam/prefixes/', {
      body: prefixBody('10.50.7.0/24', { role: { slug: 'nope' } }),
    });
    await step('prefixes: unknown tag', 'POST', '/api/ipam/prefixes/', {
      body: prefixBody('10.50.8.0/24', { tags: [{ slug: 'nope' }] }),
    });
    await step('prefixes: a good and an unknown tag', 'POST', '/api/ipam/prefixes/', {
      body: prefixBody('10.50.8.0/24', { tags: [{ slug: 'k8s-lab' }, { slug: 'nope' }] }),
    });
    await step('prefixes: tags by id, one unknown', 'POST', '/api/ipam/prefixes/', {
      body: prefixBody('10.50.8.0/24', { tags: [ref('tag:k8s-lab'), 999999] }),
    });
    await step('prefixes: role by id that does not exist', 'POST', '/api/ipam/prefixes/', {
      body: prefixBody('10.50.9.0/24', { role: 999999 }),
    });
    await step('prefixes: same prefix in a VRF', 'POST', '/api/ipam/prefixes/', {
      body: prefixBody('10.50.0.0/24', { vrf: ref('vrf:blue'), custom_fields: {} }),
      save: 'p:blue',
    });
    await step('prefixes: child prefix', 'POST', '/api/ipam/prefixes/', {
      body: { prefix: '10.50.0.0/26', status: 'reserved', description: 'child' },
      save: 'p:child',
    });
    await step('prefixes: load-balancer pool (deprecated)', 'POST', '/api/ipam/prefixes/', {
      body: prefixBody('10.51.0.0/28', {
        role: { slug: 'k8s-loadbalancer' },
        status: 'deprecated',
        custom_fields: { k8s_pool_kind: 'metallb', k8s_options: { autoAssign: false } },
      }),
    });
    await step('prefixes: read one', 'GET', '/api/ipam/prefixes/{ref:p:pods}/');
    await step('prefixes: PATCH a custom field', 'PATCH', '/api/ipam/prefixes/{ref:p:pods}/', {
      body: { custom_fields: { k8s_pool_name: 'pods-renamed' }, description: 'edited' },
    });
    await step('prefixes: PATCH to host bits', 'PATCH', '/api/ipam/prefixes/{ref:p:pods}/', {
      body: { prefix: '10.50.0.7/24' },
    });
    await step('prefixes: clear a custom field', 'PATCH', '/api/ipam/prefixes/{ref:p:pods}/', {
      body: { custom_fields: { k8s_block_size: null } },
    });
    await step('prefixes: unknown id', 'GET', '/api/ipam/prefixes/999999/');
    await step('prefixes: PATCH an unknown id', 'PATCH', '/api/ipam/prefixes/999999/', { body: { description: 'x' } });
    await step('prefixes: not JSON', 'POST', '/api/ipam/prefixes/', { rawBody: '{"prefix": ' });
    expect(unexplained('prefixes:')).toEqual([]);
  });

  it('IP ranges: create and the range rules', async () => {
    const range = (start: string, end: string, extra: Record<string, unknown> = {}) => ({
      start_address: start,
      end_address: end,
      status: 'active',
      role: { slug: 'k8s-loadbalancer' },
      tags: [{ slug: 'k8s-lab' }],
      custom_fields: { k8s_pool_kind: 'metallb' },
      ...extra,
    });
    await step('ranges: create', 'POST', '/api/ipam/ip-ranges/', {
      body: range('10.50.0.100/24', '10.50.0.150/24'),
      save: 'r:lb',
    });
    await step('ranges: overlapping', 'POST', '/api/ipam/ip-ranges/', {
      body: range('10.50.0.140/24', '10.50.0.160/24'),
    });
    await step('ranges: end before start', 'POST', '/api/ipam/ip-ranges/', {
      body: range('10.50.0.90/24', '10.50.0.80/24'),
    });
    await step('ranges: masks differ', 'POST', '/api/ipam/ip-ranges/', {
      body: range('10.50.0.200/24', '10.50.0.210/25'),
    });
    await step('ranges: families differ', 'POST', '/api/ipam/ip-ranges/', {
      body: range('10.50.0.200/24', '2001:db8::1/64'),
    });
    await step('ranges: populated range', 'POST', '/api/ipam/ip-ranges/', {
      body: range('10.50.0.170/24', '10.50.0.180/24', { mark_populated: true }),
      save: 'r:populated',
    });
    await step('ranges: an address inside a populated range', 'POST', '/api/ipam/ip-addresses/', {
      body: { address: '10.50.0.175/24' },
    });
    await step('ranges: read one', 'GET', '/api/ipam/ip-ranges/{ref:r:lb}/');
    await step('ranges: resize', 'PATCH', '/api/ipam/ip-ranges/{ref:r:lb}/', {
      body: { end_address: '10.50.0.155/24' },
    });
    expect(unexplained('ranges:')).toEqual([]);
  });

  it('webhooks: an event rule on prefixes delivers the same payload', async () => {
    const port = (hooks.address() as AddressInfo).port;
    for (const side of ['real', 'emulator'] as const) {
      const s = sides[side];
      const hook = await send(s, 'POST', '/api/extras/webhooks/', {
        token: tokens().v1,
        body: {
          name: 'k8s',
          payload_url: `http://127.0.0.1:${port}/hook/${side}`,
          http_method: 'POST',
          http_content_type: 'application/json',
          secret: 's3cret',
        },
      });
      expect(hook.status).toBe(201);
      s.refs.set('hook', (hook.body as { id: number }).id);
    }
    await step('webhooks: event rule', 'POST', '/api/extras/event-rules/', {
      body: {
        name: 'prefix changes',
        object_types: ['ipam.prefix'],
        event_types: ['object_created', 'object_updated', 'object_deleted'],
        action_type: 'webhook',
        action_object_type: 'extras.webhook',
        action_object_id: ref('hook'),
      },
    });
    // Real NetBox's RQ worker sends webhooks from one queue, after jobs queued before (search-cache updates of
    // every write): this runs before the 1,005-address bulk write, whose indexing keeps the worker busy a minute.
    const t0 = Date.now();
    await step('webhooks: create a prefix', 'POST', '/api/ipam/prefixes/', {
      body: prefixBody('10.52.0.0/24', { custom_fields: { k8s_pool_kind: 'calico' } }),
      save: 'p:hooked',
    });
    await step('webhooks: update it', 'PATCH', '/api/ipam/prefixes/{ref:p:hooked}/', { body: { description: 'x' } });
    const both = async (n: number) => {
      while (Date.now() - t0 < 120_000) {
        const bySide = (side: Side) => deliveries.filter(d => d.side === side).length;
        if (bySide('real') >= n && bySide('emulator') >= n) return;
        await new Promise(r => setTimeout(r, 250));
      }
      throw new Error(`webhooks: ${JSON.stringify(deliveries.map(d => d.side))} after 120 s`);
    };
    await both(2);
    const bodies = (side: Side) =>
      deliveries
        .filter(d => d.side === side)
        .map(d => {
          const secret = createHmac('sha512', 's3cret').update(d.body).digest('hex');
          expect(d.headers['x-hook-signature'], `${side} signature`).toBe(secret);
          expect(d.headers['content-type'], `${side} content type`).toBe('application/json');
          return JSON.parse(d.body) as { event: string };
        })
        .sort((a, b) => a.event.localeCompare(b.event));
    for (const d of diff(normalise(bodies('real'), nb.url), normalise(bodies('emulator'), emu.url), 'deliveries')) {
      const known = KNOWN.find(k => k.step.test('webhooks: payload') && k.path.test(d.path));
      if (known) used.add(known);
      found.push({ step: 'webhooks: payload', ...d, ...(known ? { reason: known.reason } : {}) });
    }
    expect(unexplained('webhooks:')).toEqual([]);
  }, 180_000);

  it('IP addresses: single and bulk writes with their error bodies (1,005 addresses for pagination)', async () => {
    await step('addresses: create', 'POST', '/api/ipam/ip-addresses/', {
      body: { address: '10.50.0.10/24', status: 'active', description: 'static server', dns_name: 'srv.example.com' },
      save: 'a:srv',
    });
    await step('addresses: duplicate', 'POST', '/api/ipam/ip-addresses/', { body: { address: '10.50.0.10/24' } });
    await step('addresses: duplicate with another mask', 'POST', '/api/ipam/ip-addresses/', {
      body: { address: '10.50.0.10/32' },
    });
    await step('addresses: network address of a /24', 'POST', '/api/ipam/ip-addresses/', {
      body: { address: '10.50.0.0/24' },
    });
    await step('addresses: bulk create with a duplicate at index 1', 'POST', '/api/ipam/ip-addresses/', {
      body: [{ address: '10.50.0.20/24' }, { address: '10.50.0.10/24' }, { address: '10.50.0.21/24' }],
    });
    await step('addresses: bulk create with two bad entries', 'POST', '/api/ipam/ip-addresses/', {
      body: [{ address: '10.50.0.20/24' }, { address: 'nope' }, { address: '10.50.0.10/24' }],
    });
    await step('addresses: bulk create of nothing', 'POST', '/api/ipam/ip-addresses/', { body: [] });
    const many = Array.from({ length: 1005 }, (_, i) => ({
      address: `10.60.${Math.floor(i / 250)}.${(i % 250) + 1}/22`,
      status: 'active',
      tags: [{ slug: 'k8s-ippool-sync' }],
      custom_fields: { k8s_pool_name: `pool-${i % 3}` },
      description: `pod ${i}`,
    }));
    await step('addresses: bulk create 1,005', 'POST', '/api/ipam/ip-addresses/', {
      body: many,
      save: b => Object.fromEntries((b as { id: number }[]).flatMap((a, i) => (i < 3 ? [[`a:bulk${i}`, a.id]] : []))),
      view: b => (Array.isArray(b) ? { length: b.length, first: b[0] as unknown, last: b.at(-1) as unknown } : b),
    });
    await step('addresses: bulk PATCH with an unknown id', 'PATCH', '/api/ipam/ip-addresses/', {
      body: [
        { id: ref('a:bulk0'), description: 'x' },
        { id: 999999, description: 'y' },
      ],
    });
    await step('addresses: bulk PATCH without an id', 'PATCH', '/api/ipam/ip-addresses/', {
      body: [{ description: 'no id' }],
    });
    await step('addresses: bulk PATCH with a bad value', 'PATCH', '/api/ipam/ip-addresses/', {
      body: [
        { id: ref('a:bulk0'), status: 'bogus' },
        { id: ref('a:bulk1'), description: 'fine' },
      ],
    });
    await step('addresses: bulk PATCH naming an id twice', 'PATCH', '/api/ipam/ip-addresses/', {
      body: [
        { id: ref('a:bulk0'), description: 'x' },
        { id: ref('a:bulk0'), description: 'y' },
      ],
    });
    await step('addresses: bulk PATCH with an object body', 'PATCH', '/api/ipam/ip-addresses/', {
      body: { id: ref('a:bulk0'), description: 'x' },
    });
    await step('addresses: bulk DELETE with no body', 'DELETE', '/api/ipam/ip-addresses/');
    await step('addresses: bulk PATCH', 'PATCH', '/api/ipam/ip-addresses/', {
      body: [
        { id: ref('a:bulk0'), description: 'patched 0', changelog_message: 'netbox-ippool-sync writeback' },
        { id: ref('a:bulk1'), status: 'deprecated', changelog_message: 'netbox-ippool-sync writeback' },
      ],
    });
    await step('addresses: bulk DELETE with an unknown id', 'DELETE', '/api/ipam/ip-addresses/', {
      body: [{ id: ref('a:bulk2') }, { id: 999999 }],
    });
    await step('addresses: bulk DELETE', 'DELETE', '/api/ipam/ip-addresses/', {
      body: [{ id: ref('a:bulk2'), changelog_message: 'netbox-ippool-sync: pod gone' }],
    });
    await step('addresses: DELETE one', 'DELETE', '/api/ipam/ip-addresses/{ref:a:srv}/');
    await step('addresses: DELETE it again', 'DELETE', '/api/ipam/ip-addresses/{ref:a:srv}/');
    expect(unexplained('addresses:')).toEqual([]);
  }, 300_000);

  it('pagination: default page, limit caps, limit=0, offsets, cursor mode and its errors', async () => {
    const list = '/api/ipam/ip-addresses/';
    // Pages are compared whole but for the 1,000-object pages, whose first and last objects stand for them.
    const page = (b: unknown) => {
      if (typeof b !== 'object' || b === null || !('results' in b) || !Array.isArray(b.results)) return b;
      const { results, ...rest } = b as { results: unknown[] };
      return results.length > 60 ? { ...rest, n: results.length, first: results[0], last: results.at(-1) } : b;
    };
    await step('pagination: no limit', 'GET', list, { view: page });
    await step('pagination: limit=10', 'GET', q(list, { limit: '10' }), { view: page });
    await step('pagination: limit above MAX_PAGE_SIZE', 'GET', q(list, { limit: '2000' }), { view: page });
    await step('pagination: limit=0', 'GET', q(list, { limit: '0' }), { view: page });
    await step('pagination: second page of 1,000', 'GET', q(list, { limit: '1000', offset: '1000' }), { view: page });
    await step('pagination: offset past the end', 'GET', q(list, { limit: '10', offset: '5000' }), { view: page });
    await step('pagination: negative limit', 'GET', q(list, { limit: '-1' }), { view: page });
    await step('pagination: limit not a number', 'GET', q(list, { limit: 'ten' }), { view: page });
    await step('pagination: cursor mode', 'GET', q(list, { start: '{ref:a:bulk0}', limit: '2' }), { view: page });
    await step('pagination: cursor with offset', 'GET', q(list, { start: '{ref:a:bulk0}', offset: '5' }));
    await step('pagination: cursor with ordering', 'GET', q(list, { start: '{ref:a:bulk0}', ordering: 'address' }));
    await step('pagination: ordering by address, descending', 'GET', q(list, { ordering: '-address', limit: '5' }));
    expect(unexplained('pagination:')).toEqual([]);
  }, 120_000);

  it('filters: the queries the source sends, and filter errors', async () => {
    const sel = (s: { fields: readonly string[] }) => s.fields.join(',');
    await step(
      'filters: selected prefixes',
      'GET',
      q('/api/ipam/prefixes/', {
        role: ['k8s-loadbalancer', 'k8s-pod'],
        tag: 'k8s-lab',
        status: ['active', 'deprecated'],
        fields: sel(SELECTIONS.prefixes),
        limit: '100',
      }),
      { token: tokens().v2 },
    );
    await step(
      'filters: selected IP ranges',
      'GET',
      q('/api/ipam/ip-ranges/', {
        role: ['k8s-loadbalancer', 'k8s-pod'],
        tag: 'k8s-lab',
        status: ['active', 'deprecated'],
        fields: sel(SELECTIONS.ipRanges),
      }),
    );
    await step(
      'filters: addresses by parent (ORed)',
      'GET',
      q('/api/ipam/ip-addresses/', {
        parent: ['10.50.0.0/24', '10.51.0.0/28'],
        fields: sel(SELECTIONS.ipAddresses),
      }),
    );
    await step('filters: prefixes within', 'GET', q('/api/ipam/prefixes/', { within: '10.50.0.0/16' }));
    await step('filters: prefixes within_include', 'GET', q('/api/ipam/prefixes/', { within_include: '10.50.0.0/24' }));
    await step('filters: prefix exact', 'GET', q('/api/ipam/prefixes/', { prefix: '10.50.0.0/24' }));
    await step('filters: prefix in a VRF', 'GET', q('/api/ipam/prefixes/', { vrf_id: '{ref:vrf:blue}' }));
    await step('filters: prefix in the global table', 'GET', q('/api/ipam/prefixes/', { vrf_id: 'null' }));
    await step('filters: prefixes containing an address', 'GET', q('/api/ipam/prefixes/', { contains: '10.50.0.9' }));
    await step(
      'filters: ranges containing a bare address',
      'GET',
      q('/api/ipam/ip-ranges/', { contains: '10.50.0.120' }),
    );
    await step('filters: ranges containing a CIDR', 'GET', q('/api/ipam/ip-ranges/', { contains: '10.50.0.120/24' }));
    await step('filters: ranges by parent', 'GET', q('/api/ipam/ip-ranges/', { parent: '10.50.0.0/24' }));
    await step('filters: ranges of the global table', 'GET', q('/api/ipam/ip-ranges/', { vrf_id: 'null' }));
    await step('filters: custom field, loose', 'GET', q('/api/ipam/prefixes/', { cf_k8s_pool_kind: 'calico' }));
    await step('filters: custom field, exact', 'GET', q('/api/ipam/prefixes/', { cf_k8s_pool_name: 'pods' }));
    await step(
      'filters: custom field, exact, other value',
      'GET',
      q('/api/ipam/prefixes/', { cf_k8s_pool_name: 'pods-renamed' }),
    );
    await step(
      'filters: addresses by custom field',
      'GET',
      q('/api/ipam/ip-addresses/', { cf_k8s_pool_name: 'pool-1', limit: '5' }),
    );
    await step('filters: family and mask length', 'GET', q('/api/ipam/prefixes/', { family: '4', mask_length: '24' }));
    await step('filters: two tags (AND)', 'GET', q('/api/ipam/ip-addresses/', { tag: ['k8s-ippool-sync', 'k8s-lab'] }));
    await step('filters: omit', 'GET', q('/api/ipam/prefixes/', { omit: 'custom_fields,tags', limit: '2' }));
    await step('filters: unknown tag', 'GET', q('/api/ipam/prefixes/', { tag: 'nope' }));
    await step('filters: unknown role', 'GET', q('/api/ipam/prefixes/', { role: 'nope' }));
    await step('filters: unknown status', 'GET', q('/api/ipam/prefixes/', { status: 'bogus' }));
    await step('filters: vrf_id that does not exist', 'GET', q('/api/ipam/prefixes/', { vrf_id: '999999' }));
    await step('filters: bad parent', 'GET', q('/api/ipam/ip-addresses/', { parent: 'nope' }));
    await step('filters: unknown filter name', 'GET', q('/api/ipam/prefixes/', { colour: 'blue' }));
    await step('filters: q', 'GET', q('/api/ipam/prefixes/', { q: '10.50.0' }));
    expect(unexplained('filters:')).toEqual([]);
  });

  it('headers: API-Version, X-Request-ID and ETag / If-Match', async () => {
    const etag = await step('headers: detail GET', 'GET', '/api/ipam/prefixes/{ref:p:child}/');
    await step('headers: list GET', 'GET', q('/api/ipam/prefixes/', { limit: '1' }));
    await step('headers: If-Match that does not match', 'PATCH', '/api/ipam/prefixes/{ref:p:child}/', {
      body: { description: 'if-match' },
      headers: { 'If-Match': 'W/"2001-01-01T00:00:00.000000+00:00"' },
    });
    expect(etag.real.headers.etag).not.toBeNull();
    expect(unexplained('headers:')).toEqual([]);
  });

  it('client: the same NetBoxClient operations end the same way on both', async () => {
    const outcome = async (side: Side, op: (c: NetBoxClient) => Promise<unknown>, token: string) => {
      const client = new NetBoxClient({
        url: sides[side].url,
        token,
        maxRetries: 0,
        timeoutMs: 60_000,
        pageSize: 7,
      });
      try {
        return normalise(JSON.parse(JSON.stringify(await op(client))) as unknown, sides[side].url);
      } catch (err) {
        if (!(err instanceof NetBoxError)) throw err;
        return normalise(
          { error: err.name, message: err.message, ...('fieldErrors' in err ? { fieldErrors: err.fieldErrors } : {}) },
          sides[side].url,
        );
      }
    };
    const compare = async (name: string, op: (c: NetBoxClient) => Promise<unknown>, token = tokens().v2) => {
      const [r, e] = [await outcome('real', op, token), await outcome('emulator', op, token)];
      for (const d of diff(r, e)) {
        const known = KNOWN.find(k => k.step.test(name) && k.path.test(d.path));
        if (known) used.add(known);
        found.push({ step: name, ...d, ...(known ? { reason: known.reason } : {}) });
      }
      return r as Record<string, unknown>;
    };
    await compare('client: list prefixes across pages', c => c.listPrefixes({ tag: 'k8s-lab' }));
    await compare('client: list addresses by parent', c =>
      c.listIpAddresses({ parent: ['10.60.0.0/24'] }).then(a => a.length),
    );
    // On real NetBox the client lands every good object and names each refused one.
    const created = await compare('client: bulk create with one duplicate', async c => {
      const r = await c.createIpAddresses([
        { address: '10.53.0.1/24', status: 'active' },
        { address: '10.50.0.20/24', status: 'active' },
        { address: '10.60.0.1/22', status: 'active' },
        { address: '10.53.0.2/24', status: 'active' },
      ]);
      return { succeeded: r.succeeded.map(a => a.address), failed: r.failed, aborted: r.aborted?.message };
    });
    expect(created['succeeded']).toEqual(['10.53.0.1/24', '10.50.0.20/24', '10.53.0.2/24']);
    expect(created['failed']).toMatchObject([
      {
        index: 2,
        outcome: 'rejected',
        fieldErrors: { address: ['Duplicate IP address found in global table: 10.60.0.1/22'] },
      },
    ]);
    const updated = await compare('client: bulk update with an unknown id', async c => {
      const [a] = await c.listIpAddresses({ address: '10.53.0.1/24' });
      const r = await c.updateIpAddresses([
        { id: a?.id ?? 0, description: 'writeback' },
        { id: 999999, description: 'gone' },
      ]);
      return { succeeded: r.succeeded.map(x => x.description), failed: r.failed, aborted: r.aborted?.message };
    });
    expect(updated['succeeded']).toEqual(['writeback']);
    expect(updated['failed']).toMatchObject([{ index: 1, outcome: 'rejected' }]);
    const deleted = await compare('client: bulk delete with an unknown id', async c => {
      const [a] = await c.listIpAddresses({ address: '10.53.0.2/24' });
      const r = await c.deleteIpAddresses([a?.id ?? 0, 999999]);
      return { succeeded: r.succeeded.length, failed: r.failed, aborted: r.aborted?.message };
    });
    expect(deleted).toMatchObject({ succeeded: 1, failed: [{ index: 1, outcome: 'rejected' }] });
    await compare('client: create a prefix with host bits', c => c.create('ipam/prefixes', { prefix: '10.54.0.9/24' }));
    await compare(
      'client: read-only token writes',
      c => c.create('extras/tags', { name: 'ro', slug: 'ro' }),
      tokens().readOnly,
    );
    await compare('client: unknown token', c => c.listRoles(), 'A'.repeat(40));
    await compare('client: server version', async c => (await c.serverVersion())?.raw.replace(/\.\d+$/, '.x'));
    expect(unexplained('client:')).toEqual([]);
  }, 120_000);

  it('lists no KNOWN difference that no longer occurs', () => {
    expect(KNOWN.filter(k => !used.has(k)).map(k => `${String(k.step)} ${String(k.path)}: ${k.reason}`)).toEqual([]);
  });
});

/** `path?query`, repeating array values as the client does; `{ref:…}` placeholders stay as they are. */
function q(path: string, params: Record<string, string | readonly string[]>): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of typeof v === 'string' ? [v] : v) query.append(k, x);
  return `${path}?${query.toString().replace(/%7Bref%3A(.+?)%7D/g, (_, name: string) => `{ref:${decodeURIComponent(name)}}`)}`;
}
