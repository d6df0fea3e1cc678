import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { KubeAdmin } from '../../dev/cni/index.ts';
import { kubeRequest } from '../../dev/control-plane/index.ts';
import { loadCrds } from '../../dev/crds/index.ts';
import { helmBinary } from '../../dev/go-tools.ts';
import { resourcePath } from '../../src/k8s/client.ts';
import type { K8sObject, ResourceType } from '../../src/model/k8s-object.ts';

/**
 * The Helm chart (deploy/helm/netbox-ippool-sync) with the real `helm` (built from the Go module proxy by
 * dev/helm/build.sh): lint, template with the least a user sets (ci/default-values.yaml) and with every optional
 * part on (ci/all-values.yaml), and a server-side dry-run apply of every rendered object to the real apiserver with
 * strict field validation. The ServiceMonitor and PrometheusRule CRDs (minimal, dev/crds/monitoring) are installed
 * for this file and removed after it.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const CHART = join(ROOT, 'deploy', 'helm', 'netbox-ippool-sync');
const DEFAULT_VALUES = join(CHART, 'ci', 'default-values.yaml');
const ALL_VALUES = join(CHART, 'ci', 'all-values.yaml');
const NAMESPACE = 'nbsync-chart';

function helm(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(helmBinary(), args, { cwd: CHART, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}

function template(values: string[], extra: string[] = []): K8sObject[] {
  const args = ['template', 'nbsync', '.', '--namespace', NAMESPACE, ...values.flatMap(v => ['-f', v]), ...extra];
  const r = helm(args);
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${r.err}`);
  return parseAllDocuments(r.out)
    .map(d => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

const find = (objs: K8sObject[], kind: string, namespace?: string): K8sObject => {
  const o = objs.find(x => x.kind === kind && (namespace === undefined || x.metadata.namespace === namespace));
  if (o === undefined) throw new Error(`no ${kind} rendered: ${objs.map(x => x.kind).join(', ')}`);
  return o;
};

const yamlDocs = (file: string): Record<string, unknown>[] =>
  parseAllDocuments(readFileSync(join(ROOT, file), 'utf8')).map(d => d.toJS() as Record<string, unknown>);

type Container = {
  args: string[];
  env: { name: string; value?: string }[];
  securityContext: Record<string, unknown>;
  livenessProbe: { httpGet: { path: string } };
  readinessProbe: { httpGet: { path: string } };
  volumeMounts: { name: string; mountPath: string }[];
};

function podSpec(objs: K8sObject[]): { containers: Container[]; securityContext: Record<string, unknown> } {
  const spec = find(objs, 'Deployment').spec as { template: { spec: ReturnType<typeof podSpec> } };
  return spec.template.spec;
}

const TYPES: Record<string, ResourceType> = Object.fromEntries(
  (
    [
      ['', 'v1', 'ServiceAccount', 'serviceaccounts', true],
      ['', 'v1', 'ConfigMap', 'configmaps', true],
      ['', 'v1', 'Service', 'services', true],
      ['apps', 'v1', 'Deployment', 'deployments', true],
      ['rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false],
      ['rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false],
      ['rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true],
      ['rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true],
      ['monitoring.coreos.com', 'v1', 'ServiceMonitor', 'servicemonitors', true],
      ['monitoring.coreos.com', 'v1', 'PrometheusRule', 'prometheusrules', true],
    ] as const
  ).map(([group, version, kind, plural, namespaced]) => [kind, { group, version, kind, plural, namespaced }]),
);

function admin(): KubeAdmin {
  return new KubeAdmin({
    server: inject('kubeServer'),
    ca: inject('kubeCa'),
    cert: inject('kubeAdminCert'),
    key: inject('kubeAdminKey'),
  });
}

/** Server-side apply with dryRun=All and strict field validation: the apiserver validates, nothing is stored. */
async function dryRunApply(kube: KubeAdmin, obj: K8sObject): Promise<string> {
  const rt = TYPES[obj.kind];
  if (rt === undefined) return `${obj.kind} ${obj.metadata.name}: no resource type known to the test`;
  const path = `${resourcePath(rt, obj.metadata.namespace, obj.metadata.name)}?dryRun=All&fieldManager=helm&force=true&fieldValidation=Strict`;
  const res = await kubeRequest(kube.creds, 'PATCH', path, obj, 'application/apply-patch+yaml');
  return res.status === 200 || res.status === 201 ? '' : `${obj.kind} ${obj.metadata.name}: ${res.status} ${res.body}`;
}

const MONITORING_CRDS = loadCrds(join(ROOT, 'dev', 'crds', 'monitoring'));

describe('Helm chart deploy/helm/netbox-ippool-sync', () => {
  const kube = admin();

  beforeAll(async () => {
    for (const ns of [NAMESPACE, 'metallb']) await kube.ensureNamespace(ns);
    for (const crd of MONITORING_CRDS) {
      await kube.send('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    }
    // The CRDs serve once they are Established; ask until their group answers discovery.
    for (;;) {
      const res = await kubeRequest(kube.creds, 'GET', '/apis/monitoring.coreos.com/v1');
      const served = res.status === 200 ? res.json<{ resources: { name: string }[] }>().resources.length : 0;
      if (served >= MONITORING_CRDS.length) break;
      await new Promise(r => setTimeout(r, 200));
    }
  });

  afterAll(async () => {
    for (const crd of MONITORING_CRDS) {
      await kube.send('DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
    }
  });

  it.each([
    ['the least a user sets', DEFAULT_VALUES],
    ['every optional part on', ALL_VALUES],
  ])('passes helm lint --strict with %s', (_name, values) => {
    const r = helm(['lint', '--strict', '.', '-f', values]);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it('refuses to render without the required values, naming each, and refuses a config the daemon would refuse', () => {
    const bare = helm(['template', 'x', '.']);
    expect(bare.code).not.toBe(0);
    expect(bare.err).toContain("at '/config/cluster'");
    expect(bare.err).toContain("at '/config/netbox/url'");
    expect(bare.err).toContain("at '/netbox/tokenSecret/name'");
    const bad = helm(['template', 'x', '.', '-f', DEFAULT_VALUES, '--set', 'config.policy=delete-everything']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain("at '/config/policy'");
    const replicas = helm(['template', 'x', '.', '-f', DEFAULT_VALUES, '--set', 'replicaCount=2']);
    expect(replicas.err).toContain('replicaCount > 1 needs Redis');
  });

  it('takes the RBAC rules from deploy/rbac and the alert rules from deploy/alerts, unchanged', () => {
    const objs = template([ALL_VALUES]);
    const clusterRole = yamlDocs('deploy/rbac/clusterrole.yaml')[0];
    const metallbRole = yamlDocs('deploy/rbac/role-metallb.yaml').find(d => d['kind'] === 'Role');
    const alerts = yamlDocs('deploy/alerts/netbox-ippool-sync.rules.yaml')[0];
    expect(find(objs, 'ClusterRole')['rules']).toEqual(clusterRole?.['rules']);
    expect(find(objs, 'Role')['rules']).toEqual(metallbRole?.['rules']);
    expect((find(objs, 'PrometheusRule').spec as { groups: unknown }).groups).toEqual(alerts?.['groups']);
    // The MetalLB Role follows config.kinds.metallb.namespace; subjects name the release's ServiceAccount.
    expect(find(objs, 'Role').metadata.namespace).toBe('metallb');
    const subjects = find(objs, 'RoleBinding')['subjects'];
    expect(subjects).toEqual([{ kind: 'ServiceAccount', name: 'nbsync-netbox-ippool-sync', namespace: NAMESPACE }]);
  });

  it('renders a restricted pod: non-root, read-only root filesystem, probes on /healthz and /readyz', () => {
    const objs = template([DEFAULT_VALUES]);
    expect(objs.map(o => o.kind).sort()).toEqual(
      [
        'ClusterRole',
        'ClusterRoleBinding',
        'ConfigMap',
        'Deployment',
        'Role',
        'RoleBinding',
        'Service',
        'ServiceAccount',
      ].sort(),
    );
    const pod = podSpec(objs);
    const [container] = pod.containers;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container?.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container?.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container?.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container?.args).toEqual(['run', '--config', '/etc/netbox-ippool-sync/config.yaml']);
    const config = parse(String((find(objs, 'ConfigMap')['data'] as Record<string, string>)['config.yaml'])) as {
      netbox: Record<string, unknown>;
    };
    expect(config).toEqual({
      cluster: 'lab',
      netbox: { url: 'https://netbox.example.com', tokenFile: '/var/run/secrets/netbox/token' },
    });
    expect(container?.volumeMounts.map(m => m.mountPath)).toContain('/var/run/secrets/netbox');
    expect(container?.env.find(e => e.name === 'REDIS_URL')).toBeUndefined();
  });

  it.each([
    ['the least a user sets', DEFAULT_VALUES, 8],
    ['every optional part on', ALL_VALUES, 10],
  ])('applies with server-side dry-run to the real apiserver: %s', async (_name, values, count) => {
    const objs = template([values]);
    expect(objs).toHaveLength(count);
    const failures: string[] = [];
    for (const o of objs) {
      const failure = await dryRunApply(kube, o);
      if (failure) failures.push(failure);
    }
    expect(failures).toEqual([]);
    // Dry run: nothing was stored.
    const stored = await kube.list(TYPES['Deployment'] as ResourceType, { namespace: NAMESPACE });
    expect(stored).toEqual([]);
  });

  it('Chart.yaml appVersion follows package.json', () => {
    const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(chart.appVersion).toBe(pkg.version);
  });
});
