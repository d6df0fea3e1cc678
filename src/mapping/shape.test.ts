import { describe, expect, it } from 'vitest';
import { nbIpAddress, nbIpRange, nbPrefix, nbVrf } from '../../test/support/fake-netbox-reader.ts';
import type { NetBoxModel } from '../model/issue.ts';
import { shapeProblem } from './shape.ts';

const prefix = nbPrefix(1, '10.0.0.0/24', { role: 'k8s-pod', tags: ['t'], vrf: nbVrf(2, 'Blue', '65000:2') });
const range = nbIpRange(2, '10.0.0.10/24', '10.0.0.20/24');
const address = nbIpAddress(3, '10.0.0.1/24', { role: 'vrrp' });

describe('shapeProblem', () => {
  it.each<[string, NetBoxModel, object]>([
    ['a prefix as NetBox returns it', 'prefix', prefix],
    ['an IP range', 'ip-range', range],
    ['an IP address with an IP role choice', 'ip-address', address],
    ['no custom fields at all', 'prefix', { ...prefix, custom_fields: null }],
    ['a tenant brief without name', 'prefix', { ...prefix, tenant: { id: 4, display: 'Acme', slug: 'acme' } }],
  ])('%s is readable', (_name, model, row) => {
    expect(shapeProblem(model, row)).toBeUndefined();
  });

  it.each<[string, NetBoxModel, object, string, string]>([
    ['prefix not text', 'prefix', { ...prefix, prefix: 10 }, 'prefix', 'expected prefix as text, got number 10'],
    ['end address missing', 'ip-range', { ...range, end_address: undefined }, 'end_address', 'got nothing'],
    ['address a list', 'ip-address', { ...address, address: ['10.0.0.1/24'] }, 'address', 'got a list'],
    ['tags an object', 'prefix', { ...prefix, tags: {} }, 'tags', 'got an object of another shape'],
    ['a tag without slug', 'ip-address', { ...address, tags: [{ id: 1, name: 'x' }] }, 'tags', 'got a list'],
    ['VRF as text', 'prefix', { ...prefix, vrf: 'Blue' }, 'vrf', 'got text "Blue"'],
    ['VRF without id', 'prefix', { ...prefix, vrf: { name: 'Blue' } }, 'vrf', 'with id and name'],
    ['VRF rd a number', 'prefix', { ...prefix, vrf: { id: 2, name: 'Blue', rd: 65000 } }, 'vrf', 'with id and name'],
    ['tenant id as text', 'ip-range', { ...range, tenant: { id: '4' } }, 'tenant', 'with an id'],
    ['role as text', 'prefix', { ...prefix, role: 'k8s-pod' }, 'role', 'got text "k8s-pod"'],
    ['custom fields a list', 'ip-range', { ...range, custom_fields: [] }, 'custom_fields', 'got a list'],
  ])('%s', (_name, model, row, field, reason) => {
    const problem = shapeProblem(model, row);
    expect(problem?.field).toBe(field);
    expect(problem?.reason).toContain(reason);
  });
});
