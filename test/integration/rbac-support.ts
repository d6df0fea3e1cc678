import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import { apiVersionOf } from '../../src/model/k8s-object.ts';
import type { ResourceType } from '../../src/model/k8s-object.ts';
import type { ApplyReport } from '../../src/k8s/apply.ts';
import type { Lab } from '../support/e2e.ts';
import { admin, adminApply } from './sync-support.ts';
import type { SixKinds } from './sync-support.ts';

/**
 * What rbac.test.ts needs around deploy/rbac/: the manifests as data, TokenRequest, SubjectAccessReview, the
 * (group, resource, verb) tuples a role grants and a cycle used, and allocation sources for every pool kind.
 */

const RBAC_DIR = join(import.meta.dirname, '../../deploy/rbac');

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  [k: string]: unknown;
}

export function manifests(): Manifest[] {
  return readdirSync(RBAC_DIR)
    .filter(f => f.endsWith('.yaml'))
    .sort()
    .flatMap(f => parseAllDocuments(readFileSync(join(RBAC_DIR, f), 'utf8')).map(d => d.toJS() as Manifest))
    .filter(m => m !== null);
}

const COLLECTIONS: Record<string, (m: Manifest) => string> = {
  ServiceAccount: m => `/api/v1/namespaces/${m.metadata.namespace ?? ''}/serviceaccounts`,
  ClusterRole: () => '/apis/rbac.authorization.k8s.io/v1/clusterroles',
  ClusterRoleBinding: () => '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
  Role: m => `/apis/rbac.authorization.k8s.io/v1/namespaces/${m.metadata.namespace ?? ''}/roles`,
  RoleBinding: m => `/apis/rbac.authorization.k8s.io/v1/namespaces/${m.metadata.namespace ?? ''}/rolebindings`,
};

export async function applyManifest(m: Manifest): Promise<void> {
  const collection = COLLECTIONS[m.kind];
  if (!collection) throw new Error(`deploy/rbac holds a ${m.kind}; teach rbac.test.ts where it goes`);
  await adminApply(`${collection(m)}/${m.metadata.name}`, m);
}

export async function mintToken(namespace: string, sa: string): Promise<string> {
  const res = await admin('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${sa}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 3600 },
  });
  return res.json<{ status: { token: string } }>().status.token;
}

export interface Access {
  group: string;
  resource: string;
  verb: string;
  namespace?: string;
  subresource?: string;
}

/** SubjectAccessReview as admin for a ServiceAccount, with the groups the authenticator would give it. */
export async function allowed(user: string, a: Access): Promise<boolean> {
  const ns = user.split(':')[2] ?? '';
  const res = await admin('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
      resourceAttributes: a,
    },
  });
  return res.json<{ status: { allowed?: boolean } }>().status.allowed === true;
}

/** RBAC reaches the authorizer through informers: poll until every probe answers as expected. */
export async function waitForAccess(user: string, probes: [Access, boolean][]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const answers = await Promise.all(probes.map(([a]) => allowed(user, a)));
    if (answers.every((got, i) => got === probes[i]?.[1])) return;
    if (Date.now() > deadline) throw new Error(`RBAC for ${user} did not take effect: ${JSON.stringify(answers)}`);
    await new Promise(r => setTimeout(r, 50));
  }
}

/** `group|resource|verb` of every rule in the manifests. */
export function granted(ms: Manifest[]): Set<string> {
  const out = new Set<string>();
  for (const m of ms.filter(x => x.kind === 'ClusterRole' || x.kind === 'Role')) {
    for (const r of m.rules ?? []) {
      for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) out.add(`${g}|${res}|${v}`);
    }
  }
  return out;
}

function typeOf(apiVersion: string | undefined, kind: string | undefined): ResourceType | undefined {
  return ADAPTERS.flatMap(a => a.owns).find(rt => apiVersionOf(rt) === apiVersion && rt.kind === kind);
}

/** Server-side apply that created an object is also authorised as `create` (apiserver patch handler). */
export function createdTuples(reports: (ApplyReport | undefined)[]): string[] {
  return reports.flatMap(r =>
    (r?.results ?? [])
      .filter(x => x.outcome === 'applied' && (x.change.action === 'create' || x.change.action === 'replace'))
      .flatMap(x => {
        const rt = typeOf(x.change.apiVersion, x.change.kind);
        // A create that finds the name taken (409 AlreadyExists) reads the object to see whose it is, and brings one
        // of ours up to date with an apply (k8s/apply.ts): get and patch stay needed on every type we create.
        return rt ? ['create', 'get', 'patch'].map(verb => `${rt.group}|${rt.plural}|${verb}`) : [];
      }),
  );
}

/**
 * Calico's projectcalico.org/v3 IPAMBlock and BlockAffinity exist only where Calico serves its v3 API (API server
 * or native-CRD mode). Stand-ins make the calico adapter list them, so the role's grant for them is exercised too.
 */
const CALICO_V3_READS = [
  ['ipamblocks', 'IPAMBlock'],
  ['blockaffinities', 'BlockAffinity'],
] as const;

async function calicoV3Served(plurals: readonly string[], want: boolean): Promise<boolean> {
  const res = await admin('GET', '/apis/projectcalico.org/v3');
  const served = new Set(res.json<{ resources: { name: string }[] }>().resources.map(r => r.name));
  return plurals.every(p => served.has(p) === want);
}

export async function installCalicoV3Reads(): Promise<void> {
  for (const [plural, kind] of CALICO_V3_READS) {
    await adminApply(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${plural}.projectcalico.org`, {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${plural}.projectcalico.org` },
      spec: {
        group: 'projectcalico.org',
        scope: 'Cluster',
        names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
        versions: [
          {
            name: 'v3',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    });
  }
  await until('projectcalico.org/v3 stand-ins served', () =>
    calicoV3Served(
      CALICO_V3_READS.map(p => p[0]),
      true,
    ),
  );
}

/** Later files in this apiserver must not see the stand-ins: wait until they are gone from discovery too. */
export async function removeCalicoV3Reads(): Promise<void> {
  for (const [plural] of CALICO_V3_READS) {
    await admin(
      'DELETE',
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${plural}.projectcalico.org`,
      undefined,
      {
        ok: [200, 202, 404],
      },
    );
  }
  await until('projectcalico.org/v3 stand-ins removed', async () => {
    for (const [plural] of CALICO_V3_READS) {
      const res = await admin(
        'GET',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${plural}.projectcalico.org`,
        undefined,
        { ok: [200, 404] },
      );
      if (res.status !== 404) return false;
    }
    return calicoV3Served(
      CALICO_V3_READS.map(p => p[0]),
      false,
    );
  });
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 50));
  }
}

/** Allocation sources inside the seeded pools, as the CNI plugins and controllers would write them. */
export async function seedAllocations(lab: Lab, base: string, ns: string, seeded: SixKinds): Promise<string[]> {
  const c = lab.cluster;
  const paths: string[] = [];
  const create = async (collection: string, obj: Record<string, unknown>): Promise<string> => {
    const res = await admin('POST', collection, obj);
    const path = `${collection}/${res.json<{ metadata: { name: string } }>().metadata.name}`;
    paths.push(path);
    return path;
  };
  await create('/apis/crd.projectcalico.org/v1/ipamblocks', {
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'IPAMBlock',
    metadata: { name: `${base.replace('.', '-')}-0-0-26-${c}` },
    spec: {
      cidr: `${base}.0.0/26`,
      affinity: `host:node-${c}`,
      allocations: [null, 0],
      unallocated: [0],
      attributes: [
        { handle_id: `k8s-pod-network.${c}`, secondary: { namespace: ns, pod: 'web-0', node: `node-${c}` } },
      ],
      strictAffinity: false,
    },
  });
  await create(`/apis/whereabouts.cni.cncf.io/v1alpha1/namespaces/${ns}/ippools`, {
    apiVersion: 'whereabouts.cni.cncf.io/v1alpha1',
    kind: 'IPPool',
    metadata: { name: `${base}.1.0-24` },
    spec: { range: `${base}.1.0/24`, allocations: { '5': { id: 'c0ffee', podref: `${ns}/web-1` } } },
  });
  await create(`/api/v1/namespaces/${ns}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-2',
      annotations: {
        'k8s.v1.cni.cncf.io/network-status': JSON.stringify([
          { name: `${ns}/${seeded.names.nvIpam}`, interface: 'net1', ips: [`${base}.2.7`] },
        ]),
      },
    },
    spec: { containers: [{ name: 'web', image: 'registry.example/web:1' }] },
  });
  for (const [name, ip, annotations] of [
    ['lb-metallb', `${base}.3.11`, { 'metallb.io/ip-allocated-from-pool': seeded.names.metallbL2 }],
    ['lb-cilium', `${base}.4.5`, {}],
  ] as const) {
    const path = await create(`/api/v1/namespaces/${ns}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, annotations },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
    });
    await admin(
      'PATCH',
      `${path}/status`,
      { status: { loadBalancer: { ingress: [{ ip }] } } },
      {
        contentType: 'application/merge-patch+json',
      },
    );
  }
  await create('/apis/cilium.io/v2/ciliumnodes', {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNode',
    metadata: { name: `node-${c}` },
    spec: { ipam: { pools: { allocated: [{ pool: seeded.names.ciliumPod, cidrs: [`${base}.8.0/24`] }] } } },
  });
  await create(`/apis/cilium.io/v2/namespaces/${ns}/ciliumendpoints`, {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumEndpoint',
    metadata: { name: 'web-3' },
    status: { networking: { addressing: [{ ipv4: `${base}.8.9` }] } },
  });
  return paths;
}
