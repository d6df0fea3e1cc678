import { beforeEach, describe, expect, it } from 'vitest';
import { directWriteContext } from './direct.ts';
import { Store } from './store.ts';
import type { Endpoint, FieldErrors, Row, WriteMode } from './types.ts';
import { writeObject } from './write.ts';
import type { WriteContext } from './write.ts';

let store: Store;
let ctx: WriteContext;

function create(ep: Endpoint, body: unknown): Row {
  const out = writeObject(ctx, ep, body, undefined, 'create');
  if (!out.ok) throw new Error(`setup object ${ep} ${JSON.stringify(body)} rejected: ${JSON.stringify(out.errors)}`);
  return out.value;
}

function errorsOf(ep: Endpoint, body: unknown, existing?: Row, mode: WriteMode = 'create'): FieldErrors {
  const out = writeObject(ctx, ep, body, existing, mode);
  if (out.ok) throw new Error(`expected ${JSON.stringify(body)} to be rejected, it was stored as ${out.value.id}`);
  return out.errors;
}

beforeEach(() => {
  store = new Store();
  ctx = directWriteContext(store, { enforceGlobalUnique: true });
  create('extras/tags', { name: 'k8s-lab', slug: 'k8s-lab' });
  create('ipam/roles', { name: 'k8s-pod', slug: 'k8s-pod' });
  create('ipam/vrfs', { name: 'strict', rd: '65000:1' });
  create('ipam/vrfs', { name: 'loose', rd: '65000:2', enforce_unique: false });
  create('extras/custom-field-choice-sets', { name: 'kinds', extra_choices: [['calico', 'Calico']] });
  const on = ['ipam.prefix', 'ipam.iprange', 'ipam.ipaddress'];
  create('extras/custom-fields', {
    name: 'k8s_pool_kind',
    type: 'select',
    choice_set: { name: 'kinds' },
    object_types: on,
  });
  create('extras/custom-fields', {
    name: 'k8s_block_size',
    type: 'integer',
    object_types: on,
    validation_maximum: 128,
  });
  create('extras/custom-fields', { name: 'k8s_options', type: 'json', object_types: on });
  create('extras/custom-fields', { name: 'k8s_flag', type: 'boolean', object_types: on });
});

describe('prefixes', () => {
  it('refuses host bits (real NetBox 4.7.3 does; it used to be truncated here) and computes nothing from the body', () => {
    expect(errorsOf('ipam/prefixes', { prefix: '10.0.0.5/24' })).toEqual({
      prefix: ['10.0.0.5/24 is not a valid prefix. Did you mean 10.0.0.0/24?'],
    });
    expect(errorsOf('ipam/prefixes', { prefix: '2001:DB8::1/64' })).toEqual({
      prefix: ['2001:db8::1/64 is not a valid prefix. Did you mean 2001:db8::/64?'],
    });
    expect(create('ipam/prefixes', { prefix: '10.0.0.0/24', family: 6 })['prefix']).toBe('10.0.0.0/24');
    expect(create('ipam/prefixes', { prefix: '2001:DB8::/64' })['prefix']).toBe('2001:db8::/64');
  });

  it.each([
    [{}, { prefix: ['This field is required.'] }],
    [{ prefix: '0.0.0.0/0' }, { prefix: ['Cannot create prefix with /0 mask.'] }],
    [{ prefix: 'nonsense' }, { prefix: ['Invalid IP prefix format: nonsense'] }],
    [{ prefix: '10.0.0.0/33' }, { prefix: ['Invalid IP prefix format: 10.0.0.0/33'] }],
    [{ prefix: '10.1.0.0/24', status: 'bogus' }, { status: ['bogus is not a valid choice.'] }],
    [
      { prefix: '10.1.0.0/24', status: { value: 'active' } },
      { status: ['Value must be passed directly (e.g. "foo": 123); do not use a dictionary or list.'] },
    ],
    [
      { prefix: '10.1.0.0/24', description: 'x'.repeat(201) },
      { description: ['Ensure this field has no more than 200 characters.'] },
    ],
    [{ prefix: '10.1.0.0/24', is_pool: 'maybe' }, { is_pool: ['Must be a valid boolean.'] }],
  ])('rejects %j', (body, errors) => {
    expect(errorsOf('ipam/prefixes', body)).toEqual(errors);
  });

  it('detects duplicates in the global table only while ENFORCE_GLOBAL_UNIQUE is on', () => {
    create('ipam/prefixes', { prefix: '10.0.0.0/24' });
    expect(errorsOf('ipam/prefixes', { prefix: '10.0.0.0/24' })).toEqual({
      prefix: ['Duplicate prefix found in global table: 10.0.0.0/24'],
    });
    ctx.rules.enforceGlobalUnique = false;
    expect(create('ipam/prefixes', { prefix: '10.0.0.0/24' }).id).toBeGreaterThan(0);
  });

  it('detects duplicates inside a VRF only when the VRF enforces unique space', () => {
    create('ipam/prefixes', { prefix: '10.0.0.0/24', vrf: { rd: '65000:1' } });
    expect(errorsOf('ipam/prefixes', { prefix: '10.0.0.0/24', vrf: { rd: '65000:1' } })).toEqual({
      prefix: ['Duplicate prefix found in VRF strict (65000:1): 10.0.0.0/24'],
    });
    create('ipam/prefixes', { prefix: '10.0.0.0/24', vrf: { name: 'loose' } });
    expect(create('ipam/prefixes', { prefix: '10.0.0.0/24', vrf: { name: 'loose' } }).id).toBeGreaterThan(0);
  });

  it('resolves related objects by id, numeric string or attribute dict matching exactly one', () => {
    expect(create('ipam/prefixes', { prefix: '10.2.0.0/24', role: '1', vrf: 1 })['role']).toBe(1);
    expect(errorsOf('ipam/prefixes', { prefix: '10.3.0.0/24', role: 99 })).toEqual({
      role: ['Related object not found using the provided numeric ID: 99'],
    });
    expect(errorsOf('ipam/prefixes', { prefix: '10.3.0.0/24', role: { slug: 'nope' } })).toEqual({
      role: ["Related object not found using the provided attributes: {'slug': 'nope'}"],
    });
    expect(
      errorsOf('ipam/prefixes', { prefix: '10.3.0.0/24', vrf: { enforce_unique: true, description: 'x' } }),
    ).toEqual({
      vrf: ["Related object not found using the provided attributes: {'enforce_unique': True, 'description': 'x'}"],
    });
    create('ipam/vrfs', { name: 'strict', rd: '65000:3' });
    expect(errorsOf('ipam/prefixes', { prefix: '10.3.0.0/24', vrf: { name: 'strict' } })).toEqual({
      vrf: ["Multiple objects match the provided attributes: {'name': 'strict'}"],
    });
    expect(errorsOf('ipam/prefixes', { prefix: '10.3.0.0/24', role: 'pod' })).toEqual({
      role: [
        'Related objects must be referenced by numeric ID or by dictionary of attributes. Received an unrecognized value: pod',
      ],
    });
  });

  it('takes tags as ids or attribute dicts and reports the first it cannot find, as NetBox 4.7.3 does', () => {
    expect(create('ipam/prefixes', { prefix: '10.4.0.0/24', tags: [1, { slug: 'k8s-lab' }] })['tags']).toEqual([1]);
    expect(
      errorsOf('ipam/prefixes', { prefix: '10.4.1.0/24', tags: [{ slug: 'k8s-lab' }, { slug: 'x' }, 999] }),
    ).toEqual({ tags: ["Related object not found using the provided attributes: {'slug': 'x'}"] });
    expect(errorsOf('ipam/prefixes', { prefix: '10.4.1.0/24', tags: 'k8s-lab' })).toEqual({
      tags: { __all__: ['Expected a list of items but got type "str".'] },
    });
  });
});

describe('custom fields', () => {
  it('stores what a create names (every field only when it names none) and merges on update', () => {
    const none = create('ipam/prefixes', { prefix: '10.6.0.0/24' });
    expect(none['custom_fields']).toEqual({
      k8s_pool_kind: null,
      k8s_block_size: null,
      k8s_options: null,
      k8s_flag: null,
    });
    const p = create('ipam/prefixes', { prefix: '10.5.0.0/24', custom_fields: { k8s_block_size: 26 } });
    expect(p['custom_fields']).toEqual({ k8s_block_size: 26 });
    const out = writeObject(ctx, 'ipam/prefixes', { custom_fields: { k8s_pool_kind: 'calico' } }, p, 'update');
    expect(out.ok && out.value['custom_fields']).toMatchObject({ k8s_pool_kind: 'calico', k8s_block_size: 26 });
  });

  it.each([
    [{ nope: 1 }, { custom_fields: { nope: "Custom field 'nope' does not exist for this object type." } }],
    [
      { k8s_block_size: 'big' },
      { __all__: ["Invalid value for custom field 'k8s_block_size': Value must be an integer."] },
    ],
    [
      { k8s_block_size: 129 },
      { __all__: ["Invalid value for custom field 'k8s_block_size': Value must not exceed 128.0000"] },
    ],
    [{ k8s_flag: 'yes' }, { __all__: ["Invalid value for custom field 'k8s_flag': Value must be true or false."] }],
    [
      { k8s_pool_kind: 'metallb' },
      { __all__: ["Invalid value for custom field 'k8s_pool_kind': Invalid choice (metallb) for choice set kinds."] },
    ],
    [
      { k8s_pool_kind: { value: 'calico', label: 'Calico' } },
      {
        __all__: [
          "Invalid value for custom field 'k8s_pool_kind': Invalid choice ({'value': 'calico', 'label': 'Calico'}) for choice set kinds.",
        ],
      },
    ],
  ])('rejects %j', (data, errors) => {
    expect(errorsOf('ipam/prefixes', { prefix: '10.6.0.0/24', custom_fields: data })).toEqual(errors);
  });

  it('accepts any JSON in a json field', () => {
    const data = { k8s_options: { autoAssign: false, nested: [1, 'two'] } };
    expect(create('ipam/prefixes', { prefix: '10.7.0.0/24', custom_fields: data })['custom_fields']).toMatchObject(
      data,
    );
  });
});

describe('IP ranges', () => {
  it('computes size and refuses overlaps in the same VRF regardless of uniqueness settings', () => {
    ctx.rules.enforceGlobalUnique = false;
    expect(create('ipam/ip-ranges', { start_address: '10.0.0.10/24', end_address: '10.0.0.99/24' })['size']).toBe(90);
    expect(errorsOf('ipam/ip-ranges', { start_address: '10.0.0.99/24', end_address: '10.0.0.120/24' })).toEqual({
      __all__: ['Defined addresses overlap with range 10.0.0.10-99/24 in VRF None'],
    });
    create('ipam/ip-ranges', { start_address: '10.0.0.99/24', end_address: '10.0.0.120/24', vrf: 2 });
    expect(errorsOf('ipam/ip-ranges', { start_address: '10.0.0.5/24', end_address: '10.0.0.200/24', vrf: 2 })).toEqual({
      __all__: ['Defined addresses overlap with range 10.0.0.99-120/24 in VRF loose (65000:2)'],
    });
  });

  it.each([
    [
      { start_address: '10.0.0.1/24', end_address: '2001:db8::1/24' },
      'Starting and ending IP address versions must match',
    ],
    [{ start_address: '10.0.0.1/24', end_address: '10.0.0.9/25' }, 'Starting and ending IP address masks must match'],
    [
      { start_address: '10.0.0.9/24', end_address: '10.0.0.1/24' },
      'Ending address must be greater than or equal to the starting address (10.0.0.9/24)',
    ],
  ])('rejects %j on end_address', (body, message) => {
    expect(errorsOf('ipam/ip-ranges', body)).toEqual({ end_address: [message] });
  });

  it('accepts a single-address range and refuses one larger than 2^32-1 addresses', () => {
    expect(create('ipam/ip-ranges', { start_address: '10.9.0.1/24', end_address: '10.9.0.1/24' })['size']).toBe(1);
    expect(errorsOf('ipam/ip-ranges', { start_address: '2001:db8::/32', end_address: '2001:db8:1::/32' })).toEqual({
      __all__: ['Defined range exceeds maximum supported size (4294967295)'],
    });
  });
});

describe('IP addresses', () => {
  it('compares duplicates by host regardless of mask; VIP-style roles may share an address', () => {
    create('ipam/ip-addresses', { address: '10.0.0.1/24' });
    expect(errorsOf('ipam/ip-addresses', { address: '10.0.0.1/32' })).toEqual({
      address: ['Duplicate IP address found in global table: 10.0.0.1/24'],
    });
    create('ipam/ip-addresses', { address: '10.0.0.2/24', role: 'vip' });
    expect(create('ipam/ip-addresses', { address: '10.0.0.2/24', role: 'vrrp' })['role']).toBe('vrrp');
  });

  it('refuses new addresses inside a mark_populated range but allows editing existing ones', () => {
    const ip = create('ipam/ip-addresses', { address: '10.1.0.50/24' });
    create('ipam/ip-ranges', { start_address: '10.1.0.10/24', end_address: '10.1.0.99/24', mark_populated: true });
    expect(errorsOf('ipam/ip-addresses', { address: '10.1.0.20/24' })).toEqual({
      address: ['Cannot create IP address 10.1.0.20/24 inside range 10.1.0.10-99/24.'],
    });
    expect(writeObject(ctx, 'ipam/ip-addresses', { description: 'kept' }, ip, 'update').ok).toBe(true);
  });

  it.each([
    [{ address: '10.0.0.1' }, 'address', '10.0.0.1/32'],
    [{ address: '10.0.0.3/24', dns_name: 'Host.Example' }, 'dns_name', 'host.example'],
  ])('normalises %j', (body, field, value) => {
    expect(create('ipam/ip-addresses', body)[field]).toBe(value);
  });

  it.each([
    [{ address: '10.0.0.300/24' }, { address: ['Invalid IP address format: 10.0.0.300/24'] }],
    [{ address: '10.0.0.4/24', status: 'slaac' }, { status: ['Only IPv6 addresses can be assigned SLAAC status'] }],
    [{ address: '0.0.0.0/0' }, { address: ['Cannot create IP address with /0 mask.'] }],
    [
      { address: '10.0.0.5/24', dns_name: 'bad name' },
      {
        dns_name: [
          'Only alphanumeric characters, asterisks, hyphens, periods, and underscores are allowed in DNS names',
        ],
      },
    ],
    [
      { address: '10.0.0.6/24', changelog_message: 'x'.repeat(201) },
      { changelog_message: ['Ensure this field has no more than 200 characters.'] },
    ],
  ])('rejects %j', (body, errors) => {
    expect(errorsOf('ipam/ip-addresses', body)).toEqual(errors);
  });

  it('requires every required field on PUT but not on PATCH', () => {
    const ip = create('ipam/ip-addresses', { address: '10.2.0.1/24' });
    expect(errorsOf('ipam/ip-addresses', { description: 'x' }, ip, 'replace')).toEqual({
      address: ['This field is required.'],
    });
    expect(writeObject(ctx, 'ipam/ip-addresses', { description: 'x' }, ip, 'update').ok).toBe(true);
  });
});

describe('organisational objects', () => {
  it.each([
    ['ipam/roles', { name: 'k8s-pod', slug: 'other' }, { name: ['role with this name already exists.'] }],
    [
      'ipam/roles',
      { name: 'x', slug: 'bad slug' },
      { slug: ['Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'] },
    ],
    ['ipam/vrfs', { name: 'v', rd: '65000:1' }, { rd: ['VRF with this route distinguisher already exists.'] }],
    ['extras/tags', { name: 't', slug: 't', color: 'red' }, { color: ['Enter a valid hexadecimal RGB color code.'] }],
    [
      'extras/custom-fields',
      { name: 'x', type: 'select', object_types: ['ipam.prefix'] },
      { choice_set: ['Selection fields must specify a set of choices.'] },
    ],
    [
      'extras/custom-fields',
      { name: 'y', object_types: ['ipam.nope'] },
      { object_types: ['Invalid content type: ipam.nope'] },
    ],
    [
      'extras/journal-entries',
      { assigned_object_type: 'ipam.prefix', assigned_object_id: 42, comments: 'x' },
      { non_field_errors: ['Invalid assigned_object: IPAM | prefix ID 42'] },
    ],
  ] as const)('%s rejects %j', (ep, body, errors) => {
    expect(errorsOf(ep, body)).toEqual(errors);
  });

  it('refuses a body that is not an object', () => {
    expect(errorsOf('ipam/roles', 'role')).toEqual({
      non_field_errors: ['Invalid data. Expected a dictionary, but got str.'],
    });
  });
});
