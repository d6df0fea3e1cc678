import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/config.ts';
import type { Config } from '../config/config.ts';
import { formatIssue } from '../model/issue.ts';
import { nbPrefix } from '../../test/support/fake-netbox-reader.ts';
import { readMember } from './members.ts';

function testConfig(): Config {
  const r = parseConfig({ cluster: 'lab', netbox: { url: 'https://nb' } }, {});
  if (!r.ok) throw new Error(r.issues.map(formatIssue).join('; '));
  return r.config;
}

const config = testConfig();

describe('readMember: which pool kind an object is', () => {
  // k8s_pool_kind wins; else the role's mapping; an unreadable k8s_pool_kind never falls back to the role.
  it.each<[string, { role?: string; cf?: Record<string, unknown> }, string | undefined, string[]]>([
    ['the role maps to a kind', { role: 'k8s-pod' }, 'calico', []],
    ['k8s_pool_kind overrides the role', { role: 'k8s-pod', cf: { k8s_pool_kind: 'cilium-pod' } }, 'cilium-pod', []],
    ['k8s_pool_kind without a role', { cf: { k8s_pool_kind: 'metallb' } }, 'metallb', []],
    [
      'no role and no k8s_pool_kind',
      {},
      undefined,
      [
        'error: NetBox prefix 10.1.0.0/24 (id 1) [role]: has no role, so its pool kind is unknown — set custom field k8s_pool_kind or map the role in the config',
      ],
    ],
    [
      'an unreadable k8s_pool_kind does not fall back to the role',
      { role: 'k8s-pod', cf: { k8s_pool_kind: 'flannel' } },
      undefined,
      [
        'error: NetBox prefix 10.1.0.0/24 (id 1) [custom_fields.k8s_pool_kind]: unknown pool kind "flannel"; expected one of whereabouts, nv-ipam, calico, metallb, cilium-lb, cilium-pod',
      ],
    ],
  ])('%s', (_, o, kind, issues) => {
    const r = readMember(
      { model: 'prefix', nb: nbPrefix(1, '10.1.0.0/24', { tags: ['k8s-lab'], ...o }) },
      config,
      () => [],
    );
    expect(r.member?.kind).toBe(kind);
    expect(r.issues.map(formatIssue)).toEqual(issues);
  });
});
