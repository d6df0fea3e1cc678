import { ADAPTERS } from '../../src/kinds/registry.ts';
import type { Allocation } from '../../src/model/allocation.ts';
import type { K8sObject } from '../../src/model/k8s-object.ts';
import type { Change } from '../../src/model/plan.ts';
import type { DriftInput } from '../../src/drift/report.ts';
import { addresses, poolIntent, prefixBlock } from './kind-fixtures.ts';

/**
 * A drift input with an entry in every category and pools at several fill levels, built from the same shapes a cycle
 * hands the report (plan changes, intents, allocations, issues, writeback's conflicts and kept records). For the
 * browser test and anything else that wants a full page.
 */

export const FIXTURE_NETBOX = 'https://netbox.example.net';
const api = (model: string, id: number) => `${FIXTURE_NETBOX}/api/ipam/${model}/${id}/`;
const LB = {
  apiVersion: 'metallb.io/v1beta1',
  kind: 'IPAddressPool',
  poolKind: 'metallb',
  namespace: 'metallb-system',
};
const lbObject = (name: string, spec: unknown = {}): K8sObject => ({
  apiVersion: LB.apiVersion,
  kind: LB.kind,
  metadata: { name, namespace: LB.namespace },
  spec,
});
const src = (id: number, display: string) => ({ model: 'prefix' as const, id, url: api('prefixes', id), display });

function services(first: string, count: number, name: string): Allocation[] {
  const start = addresses(first).start;
  return Array.from({ length: count }, (_, i) => ({
    range: { family: 4, start: start + BigInt(i), end: start + BigInt(i) },
    owner: { kind: 'Service', name: `web-${i}`, namespace: 'shop' },
    pool: { by: 'record', kind: 'metallb', namespace: LB.namespace, name },
    via: `metallb Service shop/web-${i} status.loadBalancer.ingress`,
  }));
}

export function fullDriftInput(): DriftInput {
  const changes: Change[] = [
    {
      ...LB,
      action: 'create',
      name: 'edge-new',
      desired: lbObject('edge-new'),
      sources: [src(11, '10.10.1.0/24')],
      reason: 'prefix 10.10.1.0/24 is new',
    },
    {
      ...LB,
      action: 'delete',
      name: 'edge-old',
      observed: lbObject('edge-old'),
      sources: [src(12, '10.10.2.0/24')],
      reason: 'prefix 10.10.2.0/24 is gone from NetBox',
    },
    {
      ...LB,
      action: 'update',
      name: 'edge-a',
      desired: lbObject('edge-a'),
      observed: lbObject('edge-a'),
      sources: [src(13, '10.10.3.0/24')],
      reason: 'drifted from prefix 10.10.3.0/24 (edited in the cluster?)',
      diff: [
        { path: 'spec.addresses[0]', from: '10.10.3.0/25', to: '10.10.3.0/24' },
        { path: 'spec.autoAssign', from: false, to: true },
      ],
    },
    {
      ...LB,
      action: 'blocked',
      blockedAction: 'delete',
      allocations: 3,
      name: 'edge-busy',
      sources: [src(14, '10.10.4.0/24')],
      reason: 'blocked: 3 live allocations in 10.10.4.0/24 — draining; delete is retried each cycle',
    },
    {
      action: 'invalid',
      name: 'NetBox prefix 10.10.5.0/24 (id 15)',
      sources: [src(15, '10.10.5.0/24')],
      reason: 'k8s_block_size 99 is out of range',
      issue: {
        severity: 'error',
        subject: { type: 'netbox', model: 'prefix', id: 15, display: '10.10.5.0/24', url: api('prefixes', 15) },
        field: 'custom_fields.k8s_block_size',
        reason: 'k8s_block_size 99 is out of range',
        hint: 'set it to 20-32 or clear it',
      },
    },
    {
      ...LB,
      action: 'unmanaged',
      name: 'team-pool',
      desired: lbObject('team-pool'),
      observed: lbObject('team-pool'),
      sources: [src(16, '10.10.6.0/24')],
      reason: 'exists but is not managed by netbox-ippool-sync; adopt it explicitly or rename the NetBox pool',
    },
  ];
  const intents = [
    poolIntent(
      'metallb',
      [prefixBlock(20, '10.20.0.0/28', { held: [['10.20.0.1', 'ip-address 10.20.0.1/28 (gateway)']] })],
      { name: 'lb-full', namespace: LB.namespace },
    ),
    poolIntent('metallb', [prefixBlock(21, '10.21.0.0/27')], { name: 'lb-half', namespace: LB.namespace }),
    poolIntent('metallb', [prefixBlock(22, '10.21.0.16/28')], { name: 'lb-overlap', namespace: LB.namespace }),
    poolIntent('cilium-pod', [prefixBlock(23, '10.23.0.0/22')], { name: 'pods' }),
  ];
  const allocations: Allocation[] = [
    ...services('10.20.0.2', 13, 'lb-full'),
    ...services('10.21.0.1', 8, 'lb-half'),
    ...services('10.99.0.7', 1, 'lb-half'),
    {
      range: addresses('10.23.0.0/24'),
      owner: { kind: 'Node', name: 'worker-1' },
      node: 'worker-1',
      pool: { by: 'record', kind: 'cilium-pod', name: 'pods' },
      via: 'cilium-pod CiliumNode worker-1 spec.ipam.pools.allocated',
    },
  ];
  return {
    cluster: 'lab',
    netboxUrl: FIXTURE_NETBOX,
    source: { healthy: true },
    intents,
    issues: [
      {
        severity: 'conflict',
        subject: { type: 'netbox', model: 'prefix', id: 23, display: '10.23.0.0/22', url: api('prefixes', 23) },
        reason:
          'Cilium pod pools cannot exclude addresses: 10.23.0.10 (ip-address 10.23.0.10/22) may be given to a pod',
        hint: 'move the address out of the prefix, or accept the risk (CiliumPodIPPool has no exclusion list)',
      },
    ],
    kinds: [{ kind: 'calico', installed: false, note: 'the IPPool CRD is not served' }],
    allocations,
    plan: { changes },
    adapters: ADAPTERS,
    writeback: {
      kept: [
        {
          key: 'ip-address|global|10.21.0.30',
          id: 77,
          why: 'stale',
          reason: 'stale since 2026-11-20T08:00:00.000Z, in its grace period',
        },
      ],
    },
    generatedAt: '2026-11-24T09:00:00.000Z',
  };
}
