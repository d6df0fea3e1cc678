import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMESPACE_TYPE } from '../../src/k8s/observe.ts';
import {
  LEGACY_NAMESPACE_VALUES_ANNOTATION,
  fieldManagerFor,
  namespaceValuesAnnotation,
} from '../../src/model/ownership.ts';
import { prefixBody, startLab } from '../support/e2e.ts';
import type { Lab } from '../support/e2e.ts';
import { editInCluster, ensureNamespace, getStored } from './e2e/kube.ts';

/**
 * Namespace annotations from k8s_namespaces. A change to one annotation of a namespace must leave the
 * other annotations we set (and others' values) as they are.
 */
describe('namespace annotations survive a change to another annotation', () => {
  let lab: Lab;
  let ns: string;
  beforeAll(async () => {
    lab = await startLab();
    ns = `rv-ns-${lab.cluster}`;
    await ensureNamespace(ns);
  });
  afterAll(async () => lab.close());

  const annotations = async (): Promise<Record<string, string>> =>
    (await getStored(NAMESPACE_TYPE, ns))?.metadata.annotations ?? {};

  it('adding an IPv6 pool to a namespace keeps its ipv4pools annotation', async () => {
    const v4 = `v4-${lab.cluster}`;
    const v6 = `v6-${lab.cluster}`;
    await lab.client.create(
      'ipam/prefixes',
      prefixBody(lab, '100.93.0.0/24', 'k8s-pod', { k8s_pool_name: v4, k8s_namespaces: ns }),
    );
    const first = await lab.cycle();
    expect(first.actions).toContain(`annotate Namespace ${ns}`);
    expect(JSON.parse((await annotations())['cni.projectcalico.org/ipv4pools'] ?? '[]')).toEqual([v4]);

    await lab.client.create(
      'ipam/prefixes',
      prefixBody(lab, 'fd00:93::/64', 'k8s-pod', { k8s_pool_name: v6, k8s_namespaces: ns }),
    );
    const second = await lab.cycle();
    expect(second.actions).toContain(`annotate Namespace ${ns}`);
    const after = await annotations();
    expect(JSON.parse(after['cni.projectcalico.org/ipv6pools'] ?? '[]')).toEqual([v6]);
    expect(JSON.parse(after['cni.projectcalico.org/ipv4pools'] ?? '[]')).toEqual([v4]);

    const third = await lab.cycle();
    expect(third.actions.filter(a => a.startsWith('annotate'))).toEqual([]);
    expect(third.writes).toBe(0);
  });
});

/**
 * Two daemons with different cluster names on one apiserver, both assigning a pool to one namespace: each records
 * and writes as its own cluster name, so neither ever takes the other's value for its own and removes it.
 */
describe('two cluster names on one apiserver share a namespace annotation', () => {
  let a: Lab;
  let b: Lab;
  let ns: string;
  const KEY = 'cni.projectcalico.org/ipv4pools';
  beforeAll(async () => {
    // One after the other: on real NetBox the first lab resets the database and both bootstrap the same roles.
    a = await startLab();
    b = await startLab();
    ns = `two-${a.cluster}`;
    await ensureNamespace(ns);
  });
  afterAll(async () => Promise.all([a.close(), b.close()]));

  const stored = async () => (await getStored(NAMESPACE_TYPE, ns))?.metadata;
  const pools = async (): Promise<string[]> => JSON.parse((await stored())?.annotations?.[KEY] ?? '[]') as string[];

  it('each keeps the other’s value, records only its own, and takes only its own away', async () => {
    const [pa, pb] = [`pa-${a.cluster}`, `pb-${b.cluster}`];
    await a.client.create(
      'ipam/prefixes',
      prefixBody(a, '100.94.0.0/24', 'k8s-pod', { k8s_pool_name: pa, k8s_namespaces: ns }),
    );
    const idB = (
      await b.client.create<{ id: number }>(
        'ipam/prefixes',
        prefixBody(b, '100.95.0.0/24', 'k8s-pod', { k8s_pool_name: pb, k8s_namespaces: ns }),
      )
    ).id;

    // B keeps another pool, so removing pb later is not an empty NetBox answer (the empty-source guard).
    await b.client.create(
      'ipam/prefixes',
      prefixBody(b, '100.97.0.0/24', 'k8s-pod', { k8s_pool_name: `pc-${b.cluster}` }),
    );

    await a.cycle();
    await b.cycle();
    expect(await pools()).toEqual([pa, pb].sort());
    // A cycle each again: nothing left to do for either, so neither undoes the other.
    for (const lab of [a, b]) {
      const again = await lab.cycle();
      expect(again.actions.filter(x => x.startsWith('annotate'))).toEqual([]);
      expect(again.writes).toBe(0);
    }
    expect(await pools()).toEqual([pa, pb].sort());

    const meta = await stored();
    expect(meta?.annotations?.[namespaceValuesAnnotation(a.cluster)]).toBe(`{"${KEY}":["${pa}"]}`);
    expect(meta?.annotations?.[namespaceValuesAnnotation(b.cluster)]).toBe(`{"${KEY}":["${pb}"]}`);
    const managers = (meta?.managedFields ?? []).map(m => (m as { manager?: string }).manager);
    expect(managers).toEqual(expect.arrayContaining([fieldManagerFor(a.cluster), fieldManagerFor(b.cluster)]));

    // B's pool leaves NetBox: B removes its own value and record; A's stay, and A has nothing to do.
    await b.client.delete('ipam/prefixes', idB);
    const gone = await b.cycle();
    expect(gone.actions).toContain(`annotate Namespace ${ns}`);
    expect(await pools()).toEqual([pa]);
    expect((await stored())?.annotations?.[namespaceValuesAnnotation(b.cluster)]).toBeUndefined();
    const steady = await a.cycle();
    expect(steady.writes).toBe(0);
    expect(await pools()).toEqual([pa]);
  });

  it('the shared record of older releases is taken over: our values by us, others’ left to them', async () => {
    const legacyNs = `legacy-${a.cluster}`;
    await ensureNamespace(legacyNs);
    const pa = `pa-${a.cluster}`;
    const theirs = `pb-${b.cluster}-gone`; // no pool of that name: whoever takes it over removes it
    await a.client.create(
      'ipam/prefixes',
      prefixBody(a, '100.96.0.0/24', 'k8s-pod', { k8s_pool_name: `${pa}-2`, k8s_namespaces: legacyNs }),
    );
    await editInCluster(NAMESPACE_TYPE, legacyNs, undefined, {
      metadata: {
        annotations: {
          [KEY]: JSON.stringify(['manual', theirs]),
          [LEGACY_NAMESPACE_VALUES_ANNOTATION]: JSON.stringify({ [KEY]: [theirs] }),
        },
      },
    });
    await a.cycle();
    const annotations = (await getStored(NAMESPACE_TYPE, legacyNs))?.metadata.annotations ?? {};
    expect(JSON.parse(annotations[KEY] ?? '[]')).toEqual(['manual', `${pa}-2`]);
    expect(annotations[LEGACY_NAMESPACE_VALUES_ANNOTATION]).toBeUndefined();
    expect(annotations[namespaceValuesAnnotation(a.cluster)]).toBe(`{"${KEY}":["${pa}-2"]}`);
  });
});
