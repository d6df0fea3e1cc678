import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runAdopt, runRelease } from '../../src/commands/adopt.ts';
import type { AdoptionDeps } from '../../src/commands/adopt.ts';
import { runWriteback } from '../../src/cycle.ts';
import { KubeClient } from '../../src/k8s/client.ts';
import { liveCluster } from '../../src/k8s/cluster.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import { RESOURCES } from '../../src/kinds/resources.ts';
import { silentLogger } from '../../src/log.ts';
import type { K8sObject, ResourceType } from '../../src/model/k8s-object.ts';
import { canonicalJson } from '../../src/model/values.ts';
import { startLab } from '../support/e2e.ts';
import type { Lab } from '../support/e2e.ts';
import { loadBalancerService } from './e2e/allocations.ts';
import type { LiveAllocation } from './e2e/allocations.ts';
import { createObject, deleteObject, ensureNamespace, getStored } from './e2e/kube.ts';

/**
 * Adoption end to end on the real apiserver and the lab's NetBox: hand-written pools of every kind (the seed guide's
 * shapes) are adopted without a change to their spec, the next sync plans nothing for them, the next writeback
 * records an allocation of one, and `release` leaves them intact and unmanaged.
 */

interface HandWritten {
  rt: ResourceType;
  name: string;
  namespace?: string;
  content: Record<string, unknown>;
}

describe('adopt and release hand-written pools', () => {
  let lab: Lab;
  let kube: KubeClient;
  let deps: AdoptionDeps;
  let service: LiveAllocation | undefined;
  const before = new Map<string, K8sObject>();
  const n = (s: string) => `${lab.cluster}-${s}`;

  const pools = (): HandWritten[] => [
    {
      rt: RESOURCES.networkAttachmentDefinition,
      name: n('macvlan'),
      namespace: 'default',
      content: {
        spec: {
          config: JSON.stringify({
            cniVersion: '1.0.0',
            name: n('macvlan'),
            type: 'macvlan',
            master: 'eth1',
            mode: 'bridge',
            ipam: {
              type: 'whereabouts',
              range: '10.231.10.0/24',
              exclude: ['10.231.10.0/30', '10.231.10.255/32'],
              gateway: '10.231.10.1',
            },
          }),
        },
      },
    },
    {
      rt: RESOURCES.nvIpamIpPool,
      name: n('rdma'),
      namespace: 'kube-system',
      content: {
        spec: {
          subnet: '10.231.20.0/24',
          perNodeBlockSize: 64,
          gateway: '10.231.20.1',
          exclusions: [{ startIP: '10.231.20.1', endIP: '10.231.20.9' }],
          nodeSelector: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'feature.node.kubernetes.io/rdma', operator: 'Exists' }] }],
          },
        },
      },
    },
    {
      rt: RESOURCES.calicoIpPool,
      name: n('pods-ipip'),
      content: {
        spec: {
          cidr: '10.231.64.0/18',
          blockSize: 26,
          ipipMode: 'Always',
          vxlanMode: 'Never',
          natOutgoing: true,
          nodeSelector: "zone == 'a'",
        },
      },
    },
    {
      rt: RESOURCES.calicoIpPool,
      name: n('pods-vx'),
      content: { spec: { cidr: '10.231.30.0/24', blockSize: 28, vxlanMode: 'Always', natOutgoing: true } },
    },
    { rt: RESOURCES.calicoIpReservation, name: n('pods-vx'), content: { spec: { reservedCIDRs: ['10.231.30.0/29'] } } },
    {
      rt: RESOURCES.metallbIpAddressPool,
      name: n('lb'),
      namespace: 'metallb-system',
      content: { spec: { addresses: ['10.231.40.10-10.231.40.20', '10.231.40.100/32'] } },
    },
    {
      rt: RESOURCES.ciliumLbPool,
      name: n('cilium-lb'),
      content: { spec: { blocks: [{ cidr: '10.231.50.0/28' }, { start: '10.231.50.100', stop: '10.231.50.120' }] } },
    },
    {
      rt: RESOURCES.ciliumPodPool,
      name: n('cilium-pods'),
      content: { spec: { ipv4: { cidrs: ['10.231.128.0/20'], maskSize: 24 } } },
    },
  ];
  const poolNames = () => [...new Set(pools().map(p => p.name))];
  const key = (p: { rt: ResourceType; name: string }) => `${p.rt.kind}/${p.name}`;

  beforeAll(async () => {
    lab = await startLab();
    kube = new KubeClient({ kubeconfig: inject('kubeconfigPath') });
    deps = { config: lab.config, netbox: lab.client, kube, logger: silentLogger };
    await ensureNamespace('metallb-system');
    for (const p of pools()) {
      const stored = await createObject(
        p.rt,
        { name: p.name, ...(p.namespace ? { namespace: p.namespace } : {}) },
        p.content,
      );
      before.set(key(p), stored);
    }
  });

  afterAll(async () => {
    await service?.remove();
    for (const p of pools()) await deleteObject(p.rt, p.name, p.namespace);
    kube.close();
    await lab.close();
  });

  const ourActions = (actions: string[]) => actions.filter(a => poolNames().some(name => a.endsWith(` ${name}`)));

  it('a dry run finds every pool adoptable and writes nothing', async () => {
    const report = await runAdopt(deps, { names: poolNames(), dryRun: true });
    const outcomes = report.adoptions.map(a => `${a.outcome} ${a.pool.kind} ${a.pool.name}`);
    expect(outcomes).toEqual([
      `adoptable calico ${n('pods-ipip')}`,
      `adoptable calico ${n('pods-vx')}`,
      `adoptable cilium-lb ${n('cilium-lb')}`,
      `adoptable cilium-pod ${n('cilium-pods')}`,
      `adoptable metallb ${n('lb')}`,
      `adoptable nv-ipam ${n('rdma')}`,
      `adoptable whereabouts ${n('macvlan')}`,
    ]);
    expect(report.adoptions.flatMap(a => a.differences)).toEqual([]);
    expect(await lab.client.listPrefixes({ tag: lab.clusterTag })).toEqual([]);
  });

  it('adopts every pool: spec and generation unchanged, our labels and annotations added', async () => {
    const report = await runAdopt(deps, { names: poolNames(), dryRun: false });
    expect(report.failed).toEqual([]);
    expect(report.adopted).toHaveLength(7);
    for (const p of pools()) {
      const stored = await getStored(p.rt, p.name, p.namespace);
      const was = before.get(key(p));
      expect(canonicalJson(stored?.spec), key(p)).toBe(canonicalJson(was?.spec));
      expect(stored?.metadata.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'netbox-ippool-sync',
        'netbox-ippool-sync/cluster': lab.cluster,
      });
      expect(stored?.metadata.annotations?.['netbox-ippool-sync/spec-hash']).toMatch(/^[0-9a-f]{64}$/);
      expect(stored?.metadata.generation, key(p)).toBe(was?.metadata.generation);
    }
    // NetBox now records the pools' space and holes.
    const prefixes = await lab.client.listPrefixes({ tag: lab.clusterTag });
    expect(prefixes.map(p => p.prefix).sort()).toEqual(
      [
        '10.231.10.0/24',
        '10.231.20.0/24',
        '10.231.30.0/24',
        '10.231.40.100/32',
        '10.231.50.0/28',
        '10.231.64.0/18',
        '10.231.128.0/20',
      ].sort(),
    );
  });

  it('the next sync plans nothing for them and writes nothing', async () => {
    const run = await lab.cycle();
    expect(run.issues.filter(i => i.severity === 'error')).toEqual([]);
    expect(ourActions(run.actions)).toEqual([]);
    expect(run.writes).toBe(0);
  });

  it('the next writeback records an allocation of an adopted pool', async () => {
    service = await loadBalancerService({ namespace: 'default', name: n('svc'), ip: '10.231.40.15', pool: n('lb') });
    const wb = new KubeClient({ kubeconfig: inject('kubeconfigPath') });
    try {
      const result = await runWriteback(
        { config: lab.config, netbox: lab.client, adapters: ADAPTERS, ...liveCluster(wb) },
        { dryRun: false },
      );
      expect((result.report?.results ?? []).filter(r => r.outcome !== 'applied')).toEqual([]);
    } finally {
      wb.close();
    }
    const recorded = await lab.client.listIpAddresses({ tag: lab.clusterTag, address: '10.231.40.15' });
    expect(recorded.map(r => r.address)).toEqual(['10.231.40.15/27']);
  });

  it('release leaves the pools intact and unmanaged, and the next sync leaves them alone', async () => {
    const report = await runRelease(deps, { names: poolNames(), netboxTags: true, dryRun: false });
    expect(report.released).toHaveLength(8);
    for (const p of pools()) {
      const stored = await getStored(p.rt, p.name, p.namespace);
      expect(canonicalJson(stored?.spec), key(p)).toBe(canonicalJson(before.get(key(p))?.spec));
      const ours = Object.keys({ ...stored?.metadata.labels, ...stored?.metadata.annotations }).filter(
        k => k.startsWith('netbox-ippool-sync/') || k === 'app.kubernetes.io/managed-by',
      );
      expect(ours, key(p)).toEqual([]);
    }
    expect(await lab.client.listPrefixes({ tag: lab.clusterTag })).toEqual([]);
    const run = await lab.cycle();
    expect(ourActions(run.actions).filter(a => !a.startsWith('unmanaged'))).toEqual([]);
    expect(run.writes).toBe(0);
  });
});
