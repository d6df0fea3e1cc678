import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubeRequest } from '../../dev/control-plane/index.ts';
import { KubeApiError } from '../../src/k8s/errors.ts';
import { watchableTypes } from '../../src/k8s/watch.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import type { ApplyReport } from '../../src/k8s/apply.ts';
import { prefixBody, startLab } from '../support/e2e.ts';
import type { Lab } from '../support/e2e.ts';
import {
  allowed,
  applyManifest,
  createdTuples,
  granted,
  installCalicoV3Reads,
  manifests,
  mintToken,
  removeCalicoV3Reads,
  seedAllocations,
  waitForAccess,
} from './rbac-support.ts';
import type { Access } from './rbac-support.ts';
import {
  admin,
  adminApply,
  cycleWith,
  ensureNamespace,
  notApplied,
  RecordingKubeClient,
  seedSixKinds,
  storedObjects,
  tokenKubeconfig,
} from './sync-support.ts';
import type { SixKinds } from './sync-support.ts';

/**
 * deploy/rbac/ for real: the shipped ServiceAccount, ClusterRole, Role and bindings are applied to the integration
 * apiserver, and full sync cycles of every pool kind run with a TokenRequest token of that ServiceAccount.
 *   sufficiency  every change applied, nothing failed, no 403;
 *   minimality   the (group, resource, verb) set the cycles used — recorded request by request, plus `create` for
 *                every server-side apply that created an object and `get` for every created type (the read after a
 *                409 AlreadyExists) and `patch` (the apply when the object is ours) — equals the set the manifests grant;
 *   ablation     dropping `create` fails exactly the objects that needed it, with a 403 against each; dropping a
 *                read ends the cycle before anything is planned;
 *   forbidden    a SubjectAccessReview matrix and direct attempts with the token for what it must never do.
 */

const SA_NAMESPACE = 'netbox-ippool-sync';
const SA_NAME = 'netbox-ippool-sync';
const SA_USER = `system:serviceaccount:${SA_NAMESPACE}:${SA_NAME}`;
const METALLB_NAMESPACE = 'metallb-system';
const run = randomBytes(3).toString('hex');

describe('deploy/rbac: a full sync as the ServiceAccount', () => {
  const base = '100.71';
  const ns = `rbac-${run}`;
  const team = `rbac-${run}-team`;
  let lab: Lab;
  let kube: RecordingKubeClient;
  let token: string;
  let kubeconfigYaml: string;
  const reports: (ApplyReport | undefined)[] = [];

  beforeAll(async () => {
    for (const name of [SA_NAMESPACE, METALLB_NAMESPACE, ns, team]) await ensureNamespace(name);
    for (const m of manifests()) await applyManifest(m);
    await installCalicoV3Reads();
    token = await mintToken(SA_NAMESPACE, SA_NAME);
    kubeconfigYaml = tokenKubeconfig(token);
    await waitForAccess(SA_USER, [
      [{ group: '', resource: 'namespaces', verb: 'patch' }, true],
      [{ group: 'metallb.io', resource: 'ipaddresspools', verb: 'create', namespace: METALLB_NAMESPACE }, true],
    ]);
    lab = await startLab();
    kube = new RecordingKubeClient({ kubeconfigYaml });
  });
  afterAll(async () => {
    kube.close();
    await lab.close();
    await removeCalicoV3Reads();
  });

  it('the token authenticates as the ServiceAccount', async () => {
    const res = await kubeRequest(
      { server: inject('kubeServer'), ca: inject('kubeCa'), token },
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'SelfSubjectReview',
      },
    );
    expect(res.status).toBe(201);
    const info = res.json<{ status: { userInfo: { username: string; groups: string[] } } }>().status.userInfo;
    expect(info.username).toBe(SA_USER);
    expect(info.groups).toContain(`system:serviceaccounts:${SA_NAMESPACE}`);
  });

  let seeded: SixKinds;
  let sources: string[] = [];

  it('creates pools of all six kinds, reads every allocation source, and annotates the assigned namespace', async () => {
    seeded = await seedSixKinds(lab, base, ns, team);
    await lab.client.create(
      'ipam/prefixes',
      prefixBody(lab, `${base}.16.0/24`, 'k8s-pod', { k8s_pool_name: `keep-${lab.cluster}` }),
    );
    sources = await seedAllocations(lab, base, ns, seeded);

    const first = await cycleWith(lab, kube);
    reports.push(first.apply);
    expect(first.issues.filter(i => i.severity === 'error')).toEqual([]);
    expect(first.actions).toEqual(expect.arrayContaining([...seeded.creates, `create IPPool keep-${lab.cluster}`]));
    expect(notApplied(first)).toEqual([]);
    expect(first.apply?.results.length).toBe(seeded.creates.length + 1);
    const annotations = (await admin('GET', `/api/v1/namespaces/${team}`)).json<{
      metadata: { annotations?: Record<string, string> };
    }>().metadata.annotations;
    expect(annotations?.['cni.projectcalico.org/ipv4pools']).toBe(JSON.stringify([seeded.names.calico]));
    expect(annotations?.['ipam.cilium.io/ip-pool']).toBe(seeded.names.ciliumPod);
  });

  it('a second cycle as the ServiceAccount writes nothing and attributes live allocations to every pool', async () => {
    const second = await cycleWith(lab, kube);
    expect(second.writes).toBe(0);
    expect(second.apply?.results).toEqual([]);
    // Read as the ServiceAccount; the containment-based ones count only once their pool exists (this cycle).
    const via = second.allocations.map(a => a.via.split(' ').slice(0, 2).join(' '));
    expect(new Set(via)).toEqual(
      new Set([
        'calico IPAMBlock',
        'whereabouts IPPool',
        'nv-ipam Pod',
        'metallb Service',
        'cilium-lb Service',
        'cilium-pod CiliumNode',
        'cilium-pod CiliumEndpoint',
      ]),
    );
    const byPool = new Set(second.allocations.map(a => `${a.pool?.kind ?? '?'}/${a.pool?.name ?? '?'}`));
    for (const [kind, name] of [
      ['calico', seeded.names.calico],
      ['whereabouts', seeded.names.whereabouts],
      ['nv-ipam', seeded.names.nvIpam],
      ['metallb', seeded.names.metallbL2],
      ['cilium-lb', seeded.names.ciliumLb],
      ['cilium-pod', seeded.names.ciliumPod],
    ]) {
      expect(byPool, `${kind} allocations`).toContain(`${kind}/${name}`);
    }
  });

  it('pools leaving NetBox are drained while allocated, then deleted — all as the ServiceAccount', async () => {
    for (const { endpoint, id } of Object.values(seeded.netbox)) await lab.client.delete(endpoint, id);
    const draining = await cycleWith(lab, kube);
    reports.push(draining.apply);
    expect(notApplied(draining)).toEqual([]);
    expect(draining.actions).toEqual(
      expect.arrayContaining([`drain IPPool ${seeded.names.calico}`, `drain IPAddressPool ${seeded.names.metallbL2}`]),
    );
    expect(draining.actions.filter(a => a.startsWith('delete '))).toEqual(
      expect.arrayContaining([`delete BGPAdvertisement ${seeded.names.metallbBgp}`]),
    );

    for (const path of sources) await admin('DELETE', path);
    const deleting = await cycleWith(lab, kube);
    reports.push(deleting.apply);
    expect(notApplied(deleting)).toEqual([]);
    expect(deleting.plan.summary.blocked).toBe(0);
    expect([...(await storedObjects(lab.cluster)).keys()]).toEqual([`IPPool keep-${lab.cluster}`]);
    const left = (await admin('GET', `/api/v1/namespaces/${team}`)).json<{
      metadata: { annotations?: Record<string, string> };
    }>().metadata.annotations;
    expect(left ?? {}).toEqual({});
  });

  it('the daemon can watch every type it lists but namespaces (its triggers), as the ServiceAccount', async () => {
    const { pools, sources } = await watchableTypes(kube, ADAPTERS);
    const types = [...pools, ...sources];
    expect(types.length).toBeGreaterThan(10);
    const signal = new AbortController().signal;
    // The apiserver ends each stream after a second; a 403 would reject.
    await Promise.all(
      types.map(async rt =>
        kube.watch(rt, { resourceVersion: await kube.listVersion(rt), signal, timeoutSeconds: 1 }, () => undefined),
      ),
    );
    const watched = new Set(kube.calls.filter(c => c.verb === 'watch').map(c => `${c.group}|${c.resource}`));
    expect(watched.size).toBe(types.length);
  });

  it('the manifests grant exactly the (group, resource, verb) set the cycles and watches used', () => {
    const used = new Set([...kube.calls.map(c => `${c.group}|${c.resource}|${c.verb}`), ...createdTuples(reports)]);
    const grants = granted(manifests());
    const unused = [...grants].filter(g => !used.has(g)).sort();
    const ungranted = [...used].filter(u => !grants.has(u)).sort();
    expect({ unused, ungranted }).toEqual({ unused: [], ungranted: [] });
    // The MetalLB grant is a Role in metallb-system: every MetalLB request but the cluster-wide list and watch
    // went there.
    const metallb = kube.calls.filter(c => c.group === 'metallb.io' && c.verb !== 'list' && c.verb !== 'watch');
    expect(metallb.length).toBeGreaterThan(0);
    expect(new Set(metallb.map(c => c.namespace))).toEqual(new Set([METALLB_NAMESPACE]));
  });
});

describe('deploy/rbac: what the ServiceAccount must never do', () => {
  const forbidden: Access[] = [
    { group: '', resource: 'secrets', verb: 'get', namespace: 'default' },
    { group: '', resource: 'secrets', verb: 'list' },
    { group: '', resource: 'secrets', verb: 'watch' },
    { group: '', resource: 'configmaps', verb: 'get', namespace: 'kube-system' },
    { group: '', resource: 'services', verb: 'get', namespace: 'default' },
    { group: '', resource: 'services', verb: 'create', namespace: 'default' },
    { group: '', resource: 'services', verb: 'patch', namespace: 'default' },
    { group: '', resource: 'services', verb: 'update', namespace: 'default' },
    { group: '', resource: 'services', verb: 'delete', namespace: 'default' },
    { group: '', resource: 'services', verb: 'patch', namespace: 'default', subresource: 'status' },
    { group: '', resource: 'pods', verb: 'delete', namespace: 'default' },
    { group: '', resource: 'pods', verb: 'patch', namespace: 'default' },
    { group: '', resource: 'namespaces', verb: 'create' },
    { group: '', resource: 'namespaces', verb: 'delete' },
    { group: '', resource: 'namespaces', verb: 'update' },
    { group: '', resource: 'serviceaccounts', verb: 'create', namespace: SA_NAMESPACE, subresource: 'token' },
    { group: 'whereabouts.cni.cncf.io', resource: 'ippools', verb: 'create', namespace: 'kube-system' },
    { group: 'whereabouts.cni.cncf.io', resource: 'ippools', verb: 'patch', namespace: 'kube-system' },
    { group: 'whereabouts.cni.cncf.io', resource: 'ippools', verb: 'delete', namespace: 'kube-system' },
    { group: 'whereabouts.cni.cncf.io', resource: 'overlappingrangeipreservations', verb: 'delete' },
    { group: 'whereabouts.cni.cncf.io', resource: 'nodeslicepools', verb: 'list' },
    { group: 'crd.projectcalico.org', resource: 'ipamblocks', verb: 'create' },
    { group: 'crd.projectcalico.org', resource: 'ipamblocks', verb: 'patch' },
    { group: 'crd.projectcalico.org', resource: 'ipamblocks', verb: 'delete' },
    { group: 'crd.projectcalico.org', resource: 'blockaffinities', verb: 'patch' },
    { group: 'crd.projectcalico.org', resource: 'ippools', verb: 'patch' },
    { group: 'projectcalico.org', resource: 'ipamblocks', verb: 'delete' },
    { group: 'projectcalico.org', resource: 'ippools', verb: 'update' },
    { group: 'projectcalico.org', resource: 'ippools', verb: 'deletecollection' },
    { group: 'projectcalico.org', resource: 'ippools', verb: '*' },
    { group: 'projectcalico.org', resource: 'ippools', verb: 'patch', subresource: 'status' },
    { group: 'projectcalico.org', resource: 'networkpolicies', verb: 'list' },
    { group: 'cilium.io', resource: 'ciliumnodes', verb: 'patch' },
    { group: 'cilium.io', resource: 'ciliumendpoints', verb: 'delete', namespace: 'default' },
    { group: 'cilium.io', resource: 'ciliumnetworkpolicies', verb: 'get', namespace: 'default' },
    { group: 'nv-ipam.nvidia.com', resource: 'cidrpools', verb: 'create', namespace: 'kube-system' },
    { group: 'metallb.io', resource: 'ipaddresspools', verb: 'create', namespace: 'default' },
    { group: 'metallb.io', resource: 'ipaddresspools', verb: 'delete', namespace: 'kube-system' },
    { group: 'metallb.io', resource: 'bgppeers', verb: 'create', namespace: METALLB_NAMESPACE },
    { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', verb: 'get' },
    { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', verb: 'create' },
    { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', verb: 'delete' },
    { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', verb: 'escalate' },
    { group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', verb: 'create' },
    { group: '', resource: 'users', verb: 'impersonate' },
    { group: 'widgets.example.com', resource: 'widgets', verb: 'get' },
    { group: '*', resource: '*', verb: '*' },
    { group: '*', resource: '*', verb: 'get' },
  ];
  // Controls: the same review does say yes where the role grants, so a "no" above is the role's answer.
  const permitted: Access[] = [
    { group: 'projectcalico.org', resource: 'ippools', verb: 'create' },
    { group: 'projectcalico.org', resource: 'ippools', verb: 'delete' },
    { group: 'metallb.io', resource: 'ipaddresspools', verb: 'patch', namespace: METALLB_NAMESPACE },
    { group: 'metallb.io', resource: 'ipaddresspools', verb: 'list' },
    { group: '', resource: 'namespaces', verb: 'patch' },
    { group: '', resource: 'services', verb: 'list' },
  ];

  beforeAll(async () => {
    for (const name of [SA_NAMESPACE, METALLB_NAMESPACE]) await ensureNamespace(name);
    for (const m of manifests()) await applyManifest(m);
    await waitForAccess(
      SA_USER,
      permitted.map(a => [a, true]),
    );
  });

  it.each(
    forbidden.map(a => [
      `${a.verb} ${a.resource}${a.subresource ? `/${a.subresource}` : ''}.${a.group || 'core'} ${a.namespace ?? '(cluster)'}`,
      a,
    ]),
  )('SubjectAccessReview: %s is denied', async (_, a) => {
    expect(await allowed(SA_USER, a)).toBe(false);
  });

  it.each(permitted.map(a => [`${a.verb} ${a.resource}.${a.group || 'core'} ${a.namespace ?? '(cluster)'}`, a]))(
    'control: %s is allowed',
    async (_, a) => {
      expect(await allowed(SA_USER, a)).toBe(true);
    },
  );

  it('direct attempts with the token are refused with 403 and change nothing', async () => {
    const ns = `rbac-${run}-deny`;
    await ensureNamespace(ns);
    await admin('POST', `/api/v1/namespaces/${ns}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'keep-me' },
      spec: { ports: [{ port: 80 }] },
    });
    const creds = { server: inject('kubeServer'), ca: inject('kubeCa'), token: await mintToken(SA_NAMESPACE, SA_NAME) };
    const attempts: [string, string, unknown?][] = [
      ['GET', `/api/v1/namespaces/${ns}/secrets`],
      ['GET', '/api/v1/secrets'],
      ['POST', `/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }],
      ['DELETE', `/api/v1/namespaces/${ns}/services/keep-me`],
      ['DELETE', `/api/v1/namespaces/${ns}`],
      ['GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions'],
      ['GET', '/apis/whereabouts.cni.cncf.io/v1alpha1/nodeslicepools'],
      ['DELETE', '/apis/crd.projectcalico.org/v1/ipamblocks/anything'],
    ];
    for (const [method, path, body] of attempts) {
      const res = await kubeRequest(creds, method, path, body);
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 403 });
    }
    const still = await admin('GET', `/api/v1/namespaces/${ns}/services/keep-me`);
    expect(still.json<{ metadata: { deletionTimestamp?: string } }>().metadata.deletionTimestamp).toBeUndefined();
  });
});

describe('deploy/rbac ablation: each grant is needed', () => {
  const sa = `ablated-${run}`;
  const user = `system:serviceaccount:${SA_NAMESPACE}:${sa}`;
  const role = `nbsync-ablated-${run}`;
  const base = '100.73';
  let lab: Lab;
  let kubeconfigYaml: string;

  /** The shipped ClusterRole under another name, each rule filtered by `keep`. */
  async function ablatedRole(keep: (group: string, resource: string, verb: string) => boolean): Promise<void> {
    const shipped = manifests().find(m => m.kind === 'ClusterRole');
    if (!shipped?.rules) throw new Error('deploy/rbac has no ClusterRole');
    const rules = shipped.rules.flatMap(r =>
      r.resources.flatMap(res => {
        const group = r.apiGroups[0] ?? '';
        const verbs = r.verbs.filter(v => keep(group, res, v));
        return verbs.length === 0 ? [] : [{ apiGroups: r.apiGroups, resources: [res], verbs }];
      }),
    );
    await adminApply(`/apis/rbac.authorization.k8s.io/v1/clusterroles/${role}`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: role },
      rules,
    });
  }

  beforeAll(async () => {
    await ensureNamespace(SA_NAMESPACE);
    await adminApply(`/api/v1/namespaces/${SA_NAMESPACE}/serviceaccounts/${sa}`, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: sa, namespace: SA_NAMESPACE },
    });
    await ablatedRole(
      (group, res, verb) => !(group === 'cilium.io' && res === 'ciliumpodippools' && verb === 'create'),
    );
    await adminApply(`/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${role}`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: role },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: SA_NAMESPACE }],
    });
    kubeconfigYaml = tokenKubeconfig(await mintToken(SA_NAMESPACE, sa));
    await waitForAccess(user, [
      [{ group: 'cilium.io', resource: 'ciliumpodippools', verb: 'patch' }, true],
      [{ group: 'cilium.io', resource: 'ciliumpodippools', verb: 'create' }, false],
    ]);
    lab = await startLab();
  });
  afterAll(async () => {
    await lab.close();
    for (const path of [
      `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${role}`,
      `/apis/rbac.authorization.k8s.io/v1/clusterroles/${role}`,
      `/api/v1/namespaces/${SA_NAMESPACE}/serviceaccounts/${sa}`,
    ]) {
      await admin('DELETE', path, undefined, { ok: [200, 202, 404] });
    }
  });

  it('without `create`, server-side apply cannot create: a 403 against that object, the rest applied', async () => {
    const c = lab.cluster;
    await lab.client.create(
      'ipam/prefixes',
      prefixBody(lab, `${base}.0.0/22`, 'k8s-pod', { k8s_pool_kind: 'cilium-pod', k8s_pool_name: `cpod-${c}` }),
    );
    await lab.client.create(
      'ipam/prefixes',
      prefixBody(lab, `${base}.8.0/24`, 'k8s-pod', { k8s_pool_name: `pods-${c}` }),
    );
    const kube = new RecordingKubeClient({ kubeconfigYaml });
    try {
      const result = await cycleWith(lab, kube);
      const outcomes = result.apply?.results.map(r => `${r.outcome} ${r.change.kind ?? ''} ${r.change.name}`);
      expect(outcomes).toEqual([`failed CiliumPodIPPool cpod-${c}`, `applied IPPool pods-${c}`]);
      const failed = result.apply?.results[0]?.message ?? '';
      expect(failed).toMatch(/403 Forbidden/);
      expect(failed).toContain('ciliumpodippools.cilium.io');
      expect(failed).toContain('"create"');
      expect(kube.calls.filter(x => x.resource === 'ciliumpodippools' && x.verb === 'create')).toHaveLength(1);
      expect([...(await storedObjects(c)).keys()]).toEqual([`IPPool pods-${c}`]);
    } finally {
      kube.close();
    }
  });

  it('without `list` on an allocation source the cycle stops before planning, naming the grant', async () => {
    await ablatedRole((group, res) => !(group === '' && res === 'services'));
    await waitForAccess(user, [[{ group: '', resource: 'services', verb: 'list' }, false]]);
    const kube = new RecordingKubeClient({ kubeconfigYaml });
    try {
      const before = await storedObjects(lab.cluster);
      const err = await cycleWith(lab, kube).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeApiError);
      expect((err as KubeApiError).status).toBe(403);
      expect((err as KubeApiError).message).toContain('list services');
      expect((err as KubeApiError).message).toContain('deploy/rbac/');
      expect(kube.writeCount()).toBe(0);
      expect(await storedObjects(lab.cluster)).toEqual(before);
    } finally {
      kube.close();
    }
  });
});
