import { describe, expect, it } from 'vitest';
import { BOOTSTRAP_DEFAULTS, planBootstrap, runBootstrap, wantedObjects } from './bootstrap.ts';
import type { BootstrapHave, BootstrapStep } from './bootstrap.ts';
import { NetBoxAuthError, NetBoxUnavailableError, NetBoxValidationError } from '../client/errors.ts';
import { FakeBootstrapApi } from '../../../test/support/fake-bootstrap-api.ts';
import type { NbCustomField, NbCustomFieldChoiceSet } from '../../model/netbox.ts';

const want = wantedObjects({ cluster: 'lab' });
const POOL_FIELDS = ['k8s_pool_kind', 'k8s_pool_name', 'k8s_namespace', 'k8s_block_size', 'k8s_node_selector'];
const ALL_FIELDS = [
  ...POOL_FIELDS,
  'k8s_gateway',
  'k8s_namespaces',
  'k8s_options',
  'k8s_cluster',
  'k8s_owner',
  'k8s_pool',
  'k8s_stale_since',
];
const KINDS = ['whereabouts', 'nv-ipam', 'calico', 'metallb', 'cilium-lb', 'cilium-pod'];

const empty = (): BootstrapHave => ({ roles: [], tags: [], choiceSets: [], customFields: [] });
const brief = (id: number, name: string) => ({ id, url: `u/${id}`, display: name, name });
const role = (id: number, slug: string, name = slug) => ({ ...brief(id, name), slug });
const choiceSet = (id: number, name: string, values: string[]): NbCustomFieldChoiceSet => ({
  ...brief(id, name),
  extra_choices: values.map(v => [v, v.toUpperCase()]),
});
const field = (id: number, name: string, type: string, objectTypes: string[], setId?: number): NbCustomField => ({
  ...brief(id, name),
  type: { value: type, label: type },
  object_types: objectTypes,
  choice_set: setId === undefined ? null : { id: setId, name: `set ${setId}` },
});

/** What a NetBox bootstrapped by us holds. */
function complete(): BootstrapHave {
  const have = empty();
  have.roles = want.roles.map((r, i) => role(i + 1, r.slug));
  have.tags = want.tags.map((t, i) => role(i + 10, t.slug));
  have.choiceSets = [choiceSet(20, 'k8s_pool_kind', KINDS)];
  have.customFields = want.customFields.map((f, i) =>
    field(i + 30, f.name, f.type, f.object_types, f.choiceSet === undefined ? undefined : 20),
  );
  return have;
}

const summary = (steps: BootstrapStep[]) => steps.map(s => `${s.action} ${s.thing} ${s.name}`);
const stepFor = (steps: BootstrapStep[], name: string) => steps.find(s => s.name === name);

describe('wantedObjects', () => {
  it('holds the roles, tags, choice set and custom fields of DESIGN §4 with their defaults', () => {
    expect(want.roles.map(r => r.slug)).toEqual(['k8s-pod', 'k8s-secondary', 'k8s-rdma', 'k8s-loadbalancer']);
    expect(want.tags.map(t => t.slug)).toEqual(['k8s-ippool-sync', 'k8s-lab', 'gateway']);
    expect(want.choiceSets[0]?.extra_choices.map(([v]) => v)).toEqual(KINDS);
    expect(want.customFields.map(f => f.name)).toEqual(ALL_FIELDS);
  });

  it.each([
    ['k8s_pool_kind', 'select', ['ipam.prefix', 'ipam.iprange']],
    ['k8s_block_size', 'integer', ['ipam.prefix', 'ipam.iprange']],
    ['k8s_namespaces', 'text', ['ipam.prefix', 'ipam.iprange']],
    ['k8s_options', 'json', ['ipam.prefix', 'ipam.iprange']],
    ['k8s_gateway', 'text', ['ipam.prefix', 'ipam.iprange']],
    ['k8s_cluster', 'text', ['ipam.ipaddress', 'ipam.prefix', 'ipam.iprange']],
    ['k8s_owner', 'text', ['ipam.ipaddress', 'ipam.prefix', 'ipam.iprange']],
    ['k8s_pool', 'text', ['ipam.ipaddress', 'ipam.prefix', 'ipam.iprange']],
    ['k8s_stale_since', 'text', ['ipam.ipaddress', 'ipam.prefix', 'ipam.iprange']],
  ])('%s is a %s field on %j', (name, type, objectTypes) => {
    const f = want.customFields.find(c => c.name === name);
    expect(f?.type).toBe(type);
    expect(f?.object_types).toEqual(objectTypes);
  });

  it('bounds the block size to 1-128, leaves the gateway without a regex, uses the choice set for the kind', () => {
    const bs = want.customFields.find(f => f.name === 'k8s_block_size');
    expect([bs?.validation_minimum, bs?.validation_maximum]).toEqual([1, 128]);
    expect(want.customFields.find(f => f.name === 'k8s_gateway')).not.toHaveProperty('validation_regex');
    expect(want.customFields.find(f => f.name === 'k8s_pool_kind')?.choiceSet).toBe('k8s_pool_kind');
  });

  it('gives every field a label, description and the Kubernetes group within NetBox limits', () => {
    for (const f of want.customFields) {
      expect(f.name).toMatch(/^[a-z0-9_]{1,50}$/);
      expect(f.label.length, f.name).toBeGreaterThan(0);
      expect(f.label.length, f.name).toBeLessThanOrEqual(50);
      expect(f.description.length, f.name).toBeGreaterThan(0);
      expect(f.description.length, f.name).toBeLessThanOrEqual(200);
      expect(f.group_name).toBe('Kubernetes');
    }
    for (const t of [...want.tags, ...want.roles]) expect(t.description.length).toBeLessThanOrEqual(200);
    for (const t of want.tags) expect(t).toHaveProperty('color', expect.stringMatching(/^[0-9a-f]{6}$/));
  });

  it('takes every name from the plan', () => {
    const w = wantedObjects({
      cluster: 'prod',
      clusterTag: 'cluster-prod',
      managedTag: 'owned',
      roles: ['pods'],
      poolKinds: ['calico'],
      choiceSet: 'kinds',
      customFields: { poolKind: 'kind', pool: 'pool_x' },
    });
    expect(w.tags.map(t => t.slug)).toEqual(['owned', 'cluster-prod', 'gateway']);
    expect(w.roles.map(r => r.slug)).toEqual(['pods']);
    expect(w.choiceSets).toEqual([expect.objectContaining({ name: 'kinds', extra_choices: [['calico', 'Calico']] })]);
    expect(w.customFields.find(f => f.type === 'select')).toMatchObject({ name: 'kind', choiceSet: 'kinds' });
    expect(w.customFields.map(f => f.name)).toContain('pool_x');
    expect(w.customFields.map(f => f.name)).toContain(BOOTSTRAP_DEFAULTS.customFields.poolName);
  });
});

describe('planBootstrap', () => {
  it('creates everything on an empty NetBox, in dependency order', () => {
    const steps = planBootstrap(want, empty());
    expect(steps.every(s => s.action === 'create')).toBe(true);
    expect(summary(steps)).toEqual([
      ...want.roles.map(r => `create role ${r.slug}`),
      'create tag k8s-ippool-sync',
      'create tag k8s-lab',
      'create tag gateway',
      'create choice set k8s_pool_kind',
      ...ALL_FIELDS.map(n => `create custom field ${n}`),
    ]);
    expect(stepFor(steps, 'k8s_pool_kind')).toMatchObject({ thing: 'choice set' });
    const kind = steps.find(s => s.thing === 'custom field' && s.name === 'k8s_pool_kind');
    expect(kind).toMatchObject({ choiceSet: { name: 'k8s_pool_kind' } });
    expect(kind).not.toHaveProperty('body.accepts');
  });

  it('plans nothing but "ok" on a NetBox that holds everything', () => {
    const steps = planBootstrap(want, complete());
    expect(steps.map(s => s.action)).toEqual(steps.map(() => 'ok'));
    expect(steps).toHaveLength(want.roles.length + want.tags.length + 1 + want.customFields.length);
  });

  type Case = [string, (h: BootstrapHave) => void, string, Record<string, unknown>];
  const cases: Case[] = [
    [
      'a role with our slug but another name is ours',
      h => (h.roles[0] = role(1, 'k8s-pod', 'Pods')),
      'k8s-pod',
      {
        action: 'ok',
      },
    ],
    [
      'a role with our name but another slug blocks the create',
      h => (h.roles[0] = role(1, 'pods', 'k8s-pod')),
      'k8s-pod',
      {
        action: 'conflict',
        reason: expect.stringContaining('slug "pods"'),
      },
    ],
    [
      'a tag with our name but another slug blocks the create',
      h => (h.tags[1] = role(11, 'lab', 'k8s-lab')),
      'k8s-lab',
      {
        action: 'conflict',
        thing: 'tag',
      },
    ],
    [
      'a field missing an object type gets it added, keeping its own',
      h => (h.customFields[1] = field(31, 'k8s_pool_name', 'text', ['dcim.site', 'ipam.prefix'])),
      'k8s_pool_name',
      {
        action: 'update',
        patch: { object_types: ['dcim.site', 'ipam.prefix', 'ipam.iprange'] },
        change: 'add object types ipam.iprange',
      },
    ],
    [
      'a field of a type the daemon cannot read is a conflict, left alone',
      h => (h.customFields[1] = field(31, 'k8s_pool_name', 'integer', ['ipam.prefix', 'ipam.iprange'])),
      'k8s_pool_name',
      { action: 'conflict', reason: expect.stringContaining('type integer') },
    ],
    [
      'a field of a readable other type is kept, with a note',
      h => (h.customFields[7] = field(37, 'k8s_options', 'longtext', ['ipam.prefix', 'ipam.iprange'])),
      'k8s_options',
      { action: 'ok', note: expect.stringContaining('longtext') },
    ],
    [
      'our choice set lacking kinds gets them appended, keeping its own choices',
      h => (h.choiceSets[0] = choiceSet(20, 'k8s_pool_kind', ['calico', 'custom'])),
      'k8s_pool_kind',
      {
        action: 'update',
        thing: 'choice set',
        change: 'add choices whereabouts, nv-ipam, metallb, cilium-lb, cilium-pod',
        patch: {
          extra_choices: [
            ['calico', 'CALICO'],
            ['custom', 'CUSTOM'],
            ['whereabouts', 'Whereabouts'],
            ['nv-ipam', 'NVIDIA IPAM'],
            ['metallb', 'MetalLB'],
            ['cilium-lb', 'Cilium LB IPAM'],
            ['cilium-pod', 'Cilium pod IP pool'],
          ],
        },
      },
    ],
  ];
  it.each(cases)('%s', (_title, change, name, expected) => {
    const have = complete();
    change(have);
    const steps = planBootstrap(want, have);
    expect(stepFor(steps, name)).toMatchObject(expected);
    expect(steps.filter(s => s.action !== 'ok')).toHaveLength(expected.action === 'ok' ? 0 : 1);
  });

  it('completes the choice set a person gave the existing kind field, and creates none of ours', () => {
    const have = complete();
    have.choiceSets = [choiceSet(7, 'site kinds', ['calico', 'metallb'])];
    have.customFields[0] = field(30, 'k8s_pool_kind', 'select', ['ipam.prefix', 'ipam.iprange'], 7);
    const steps = planBootstrap(want, have).filter(s => s.action !== 'ok');
    expect(summary(steps)).toEqual(['update choice set site kinds']);
    expect(steps[0]).toMatchObject({ id: 7, change: 'add choices whereabouts, nv-ipam, cilium-lb, cilium-pod' });
  });

  it('needs no choice set when the kind field exists as text', () => {
    const have = complete();
    have.choiceSets = [];
    have.customFields[0] = field(30, 'k8s_pool_kind', 'text', ['ipam.prefix', 'ipam.iprange']);
    const steps = planBootstrap(want, have);
    expect(steps.filter(s => s.thing === 'choice set')).toEqual([]);
    expect(stepFor(steps, 'k8s_pool_kind')).toMatchObject({
      action: 'ok',
      note: expect.stringContaining('text') as unknown,
    });
  });

  it('points a new select field at the existing choice set by id', () => {
    const have = complete();
    have.customFields.splice(0, 1);
    const steps = planBootstrap(want, have).filter(s => s.action !== 'ok');
    expect(steps).toEqual([
      expect.objectContaining({ action: 'create', choiceSet: { name: 'k8s_pool_kind', id: 20 } }),
    ]);
  });
});

describe('runBootstrap', () => {
  it('creates everything on the first run and changes nothing on the second', async () => {
    const api = new FakeBootstrapApi();
    const first = await runBootstrap(api, want);
    expect(first.ok).toBe(true);
    expect(first.changed).toBe(true);
    expect(first.counts.created).toBe(want.roles.length + want.tags.length + 1 + ALL_FIELDS.length);
    expect(api.roles.map(r => r.slug)).toEqual(want.roles.map(r => r.slug));
    expect(api.tags.map(t => [t.slug, t.color])).toEqual(want.tags.map(t => [t.slug, t.color]));
    const kind = api.customFields.find(f => f.name === 'k8s_pool_kind');
    expect(kind?.choice_set?.id).toBe(api.choiceSets[0]?.id);
    expect(api.writes.find(w => w.body['name'] === 'k8s_block_size')?.body).toMatchObject({
      type: 'integer',
      validation_minimum: 1,
      validation_maximum: 128,
      group_name: 'Kubernetes',
    });

    const writes = api.writes.length;
    const second = await runBootstrap(api, want);
    expect(api.writes).toHaveLength(writes);
    expect(second).toMatchObject({ ok: true, changed: false });
    expect(second.counts.unchanged).toBe(first.counts.created);
  });

  it('writes nothing in a dry run and says what it would do', async () => {
    const api = new FakeBootstrapApi();
    const report = await runBootstrap(api, want, { dryRun: true });
    expect(api.writes).toEqual([]);
    expect(report).toMatchObject({ dryRun: true, ok: true, changed: true });
    expect(report.counts['would-create']).toBe(report.results.length);
  });

  it('lists what the token may not create and creates the rest', async () => {
    const api = new FakeBootstrapApi();
    api.denied.add('extras/custom-fields');
    const report = await runBootstrap(api, want);
    expect(report.ok).toBe(false);
    expect(report.counts).toMatchObject({ created: 8, failed: ALL_FIELDS.length });
    const failed = report.results.filter(r => r.status === 'failed');
    expect(failed.map(r => r.name)).toEqual(ALL_FIELDS);
    expect(failed[0]?.reason).toBe(
      'the token cannot create custom field k8s_pool_kind (NetBox answered 403: read-only token or missing ' +
        'permission extras.add_customfield)',
    );
    expect(api.tags).toHaveLength(3);
  });

  it('fails the select field, not the others, when its choice set cannot be created', async () => {
    const api = new FakeBootstrapApi();
    api.denied.add('extras/custom-field-choice-sets');
    const report = await runBootstrap(api, want);
    const failed = report.results.filter(r => r.status === 'failed');
    expect(failed.map(r => `${r.thing} ${r.name}`)).toEqual(['choice set k8s_pool_kind', 'custom field k8s_pool_kind']);
    expect(failed[0]?.reason).toContain('extras.add_customfieldchoiceset');
    expect(failed[1]?.reason).toContain('needs choice set k8s_pool_kind');
    expect(api.customFields).toHaveLength(ALL_FIELDS.length - 1);
    expect(api.writes.filter(w => w.body['name'] === 'k8s_pool_kind' && w.endpoint === 'extras/custom-fields')).toEqual(
      [],
    );
  });

  it('adds missing object types and choices with PATCH and names the change permission on 403', async () => {
    const api = new FakeBootstrapApi();
    await runBootstrap(api, want);
    api.customFields[1]!.object_types = ['ipam.prefix'];
    api.choiceSets[0]!.extra_choices = [['calico', 'Calico']];
    api.writes.length = 0;
    const report = await runBootstrap(api, want);
    expect(api.writes.map(w => `${w.method} ${w.endpoint}`)).toEqual([
      'PATCH extras/custom-field-choice-sets',
      'PATCH extras/custom-fields',
    ]);
    expect(api.customFields[1]?.object_types).toEqual(['ipam.prefix', 'ipam.iprange']);
    expect(api.choiceSets[0]?.extra_choices?.map(([v]) => v)).toEqual(['calico', ...KINDS.filter(k => k !== 'calico')]);
    expect(report.counts).toMatchObject({ updated: 2, failed: 0 });

    api.customFields[1]!.object_types = ['ipam.prefix'];
    api.readOnly = true;
    const denied = await runBootstrap(api, want);
    expect(denied.results.find(r => r.status === 'failed')?.reason).toContain('permission extras.change_customfield');
  });

  it('reports a listing it cannot read and writes nothing', async () => {
    const api = new FakeBootstrapApi();
    api.failNext = new NetBoxAuthError(
      { method: 'GET', path: '/api/ipam/roles/' },
      { status: 403, detail: 'Invalid token' },
    );
    const report = await runBootstrap(api, want);
    expect(api.writes).toEqual([]);
    expect(report).toMatchObject({ ok: false, results: [] });
    expect(report.readError?.reason).toMatch(/^cannot read roles from NetBox: .*Invalid token/);
    expect(report.readError?.hint).toContain('token');
  });

  it('stops writing once NetBox is unavailable, reporting the rest as not attempted', async () => {
    const api = new FakeBootstrapApi();
    const create = api.create.bind(api);
    let calls = 0;
    api.create = <T>(endpoint: string, body: object): Promise<T> => {
      calls++;
      if (calls < 2) return create<T>(endpoint, body);
      const ctx = { method: 'POST', path: `/api/${endpoint}/` };
      return Promise.reject(new NetBoxUnavailableError(ctx, { reason: 'network', transient: true }));
    };
    const report = await runBootstrap(api, want);
    expect(calls).toBe(2);
    expect(report.counts).toMatchObject({ created: 1, failed: report.results.length - 1 });
    expect(report.results[1]?.reason).toContain('NetBox could not be reached');
    const rest = report.results.slice(2);
    expect(rest.every(r => r.status === 'failed' && r.reason?.startsWith('not attempted'))).toBe(true);
  });

  it("quotes NetBox's field errors when it rejects an object", async () => {
    const api = new FakeBootstrapApi();
    const original = api.create.bind(api);
    api.create = <T>(endpoint: string, body: object): Promise<T> =>
      endpoint === 'extras/tags'
        ? Promise.reject(
            new NetBoxValidationError(
              { method: 'POST', path: '/api/extras/tags/' },
              { status: 400, fieldErrors: { slug: ['Enter a valid "slug".'] } },
            ),
          )
        : original<T>(endpoint, body);
    const report = await runBootstrap(api, want);
    const tag = report.results.find(r => r.thing === 'tag');
    expect(tag?.reason).toBe('NetBox rejected tag k8s-ippool-sync: slug: Enter a valid "slug".');
    expect(report.counts.failed).toBe(3);
  });
});
