import { StaticCluster } from '../../src/k8s/cluster.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import { NAMESPACE_TYPE } from '../../src/k8s/observe.ts';
import type { K8sObject, ResourceType } from '../../src/model/k8s-object.ts';
import { apiVersionOf } from '../../src/model/k8s-object.ts';
import { CLUSTER_LABEL } from '../../src/model/ownership.ts';
import { renderToDirectory } from '../../src/commands/render-gitops.ts';
import type { GitOpsRender } from '../../src/commands/render-gitops.ts';
import { namespaceValuesAnnotation } from '../../src/model/ownership.ts';
import { APPLIED_ACTIONS } from '../../src/model/plan.ts';
import { startLab } from '../support/e2e.ts';
import type { Lab } from '../support/e2e.ts';
import { admin, ensureNamespace, notApplied, OWNED_TYPES, seedSixKinds, typePath } from './sync-support.ts';

/**
 * GitOps parity (issue 17): `render --out`, applied file by file with server-side apply as a GitOps tool does it
 * (its own field manager, the file's YAML as the body, removed files pruned), leaves the cluster exactly as `apply`
 * leaves it — pools, companions and the k8s_namespaces annotations — and `plan` afterwards has nothing to do.
 * Address space 100.76.0.0/16 (data only).
 */

const GITOPS_MANAGER = 'gitops-test';
const ANNOTATION_KEYS = [
  'cni.projectcalico.org/ipv4pools',
  'cni.projectcalico.org/ipv6pools',
  'ipam.cilium.io/ip-pool',
];

const TYPES: readonly ResourceType[] = [...OWNED_TYPES, NAMESPACE_TYPE];

function typeOfFile(rel: string): ResourceType {
  const [group = '', kind = ''] = rel.split('/');
  const rt = TYPES.find(t => (t.group === '' ? 'core' : t.group) === group && t.kind.toLowerCase() === kind);
  if (rt === undefined) throw new Error(`no resource type for ${rel}`);
  return rt;
}

/** What a GitOps tool does with the directory: server-side apply of every file, and pruning of removed ones. */
async function gitopsSync(dir: string, render: GitOpsRender): Promise<void> {
  const written = render.written;
  if (written === undefined) throw new Error('render wrote nothing');
  for (const rel of [...written.written, ...written.unchanged]) {
    const text = readFileSync(join(dir, rel), 'utf8');
    const obj = parse(text) as K8sObject;
    const rt = typeOfFile(rel);
    const path = `${typePath(rt, obj.metadata.namespace, obj.metadata.name)}?fieldManager=${GITOPS_MANAGER}&force=true`;
    await admin('PATCH', path, text, { contentType: 'application/apply-patch+yaml' });
  }
  for (const rel of written.removed) {
    const [, , namespace = '', file = ''] = rel.split('/');
    const rt = typeOfFile(rel);
    await admin('DELETE', typePath(rt, namespace === '_cluster' ? undefined : namespace, file.slice(0, -5)));
  }
}

interface Snapshot {
  objects: Record<string, { labels: unknown; annotations: unknown; spec: unknown }>;
  namespaces: Record<string, Record<string, string>>;
}

/** Everything labelled for the lab's cluster, and the annotations of the given namespaces. */
async function snapshot(lab: Lab, namespaces: readonly string[]): Promise<Snapshot> {
  const objects: Snapshot['objects'] = {};
  for (const rt of OWNED_TYPES) {
    const selector = encodeURIComponent(`${CLUSTER_LABEL}=${lab.cluster}`);
    const res = await admin('GET', `${typePath(rt)}?labelSelector=${selector}`);
    for (const o of res.json<{ items: K8sObject[] }>().items) {
      const key = `${apiVersionOf(rt)} ${rt.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;
      objects[key] = { labels: o.metadata.labels, annotations: o.metadata.annotations, spec: o.spec };
    }
  }
  const annotations: Snapshot['namespaces'] = {};
  for (const name of namespaces) {
    const ns = (await admin('GET', typePath(NAMESPACE_TYPE, undefined, name))).json<K8sObject>();
    annotations[name] = ns.metadata.annotations ?? {};
  }
  return { objects, namespaces: annotations };
}

/** Back to a cluster without the lab's pools and without our namespace annotations. */
async function wipe(lab: Lab, namespaces: readonly string[]): Promise<void> {
  for (const rt of OWNED_TYPES) {
    const selector = encodeURIComponent(`${CLUSTER_LABEL}=${lab.cluster}`);
    const res = await admin('GET', `${typePath(rt)}?labelSelector=${selector}`);
    for (const o of res.json<{ items: K8sObject[] }>().items) {
      await admin('DELETE', typePath(rt, o.metadata.namespace, o.metadata.name));
    }
  }
  const none = Object.fromEntries([...ANNOTATION_KEYS, namespaceValuesAnnotation(lab.cluster)].map(k => [k, null]));
  for (const name of namespaces) {
    await admin(
      'PATCH',
      typePath(NAMESPACE_TYPE, undefined, name),
      { metadata: { annotations: none } },
      {
        contentType: 'application/merge-patch+json',
      },
    );
  }
}

const pending = (actions: readonly string[]): string[] =>
  actions.filter(a => APPLIED_ACTIONS.some(x => a.startsWith(`${x} `)));

describe('render --out, applied by a GitOps tool with server-side apply, leaves the cluster as apply does', () => {
  let lab: Lab;
  let dir: string;
  let ns: string;
  let team: string;
  let other: string;
  beforeAll(async () => {
    lab = await startLab();
    dir = mkdtempSync(join(tmpdir(), 'nbsync-gitops-'));
    ns = `gp-${lab.cluster}`;
    team = `gp-team-${lab.cluster}`;
    other = `gp-other-${lab.cluster}`;
    for (const name of [ns, team, other]) await ensureNamespace(name);
  });
  afterAll(async () => {
    // Leave no record of ours on the shared apiserver: other files' labs read every namespace's annotations.
    await wipe(lab, [ns, team, other]);
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const render = () =>
    renderToDirectory(
      { config: lab.config, netbox: lab.client, adapters: ADAPTERS, cluster: new StaticCluster() },
      dir,
    );

  it('the same pools and namespace annotations; plan afterwards has nothing to do; and again after NetBox changes', async () => {
    const seeded = await seedSixKinds(lab, '100.76', ns, team);
    const watched = [ns, team, other];

    // The daemon's way.
    const applied = await lab.cycle();
    expect(notApplied(applied)).toEqual([]);
    expect(pending(applied.actions)).toContain(`annotate Namespace ${team}`);
    const viaApply = await snapshot(lab, watched);
    expect(Object.keys(viaApply.objects)).toHaveLength(seeded.creates.length - 1);
    expect(viaApply.namespaces[team]).toMatchObject({
      'cni.projectcalico.org/ipv4pools': JSON.stringify([seeded.names.calico]),
      'ipam.cilium.io/ip-pool': seeded.names.ciliumPod,
    });

    // The GitOps way, from the same empty start.
    await wipe(lab, watched);
    expect(await snapshot(lab, watched)).toEqual({ objects: {}, namespaces: { [ns]: {}, [team]: {}, [other]: {} } });
    const first = await render();
    expect(first.issues.filter(i => i.severity === 'error')).toEqual([]);
    expect(first.written?.written).toContain(`core/namespace/_cluster/${team}.yaml`);
    await gitopsSync(dir, first);
    expect(await snapshot(lab, watched)).toEqual(viaApply);
    expect(pending((await lab.cycle({ apply: false })).actions)).toEqual([]);

    // NetBox changes: a pool goes, another leaves its namespace, a third is assigned to one more namespace.
    await lab.client.delete(seeded.netbox.ciliumLb.endpoint, seeded.netbox.ciliumLb.id);
    await lab.client.update('ipam/prefixes', seeded.netbox.ciliumPod.id, { custom_fields: { k8s_namespaces: null } });
    await lab.client.update('ipam/prefixes', seeded.netbox.calico.id, {
      custom_fields: { k8s_namespaces: `${team},${other}` },
    });
    const second = await render();
    expect(second.pruned).toBe(true);
    expect(second.written?.removed).toEqual([
      `cilium.io/ciliumloadbalancerippool/_cluster/${seeded.names.ciliumLb}.yaml`,
    ]);
    await gitopsSync(dir, second);
    const viaGitOps = await snapshot(lab, watched);
    expect(viaGitOps.namespaces[team]?.['ipam.cilium.io/ip-pool']).toBeUndefined();
    expect(pending((await lab.cycle({ apply: false })).actions)).toEqual([]);

    // What apply makes of the changed NetBox from an empty start is the same.
    await wipe(lab, watched);
    expect(notApplied(await lab.cycle())).toEqual([]);
    expect(await snapshot(lab, watched)).toEqual(viaGitOps);

    // And when the last pool leaves a namespace, its file stays, without annotations, so the GitOps tool removes
    // ours instead of pruning the namespace.
    await wipe(lab, watched);
    await gitopsSync(dir, await render());
    await lab.client.update('ipam/prefixes', seeded.netbox.calico.id, { custom_fields: { k8s_namespaces: team } });
    const third = await render();
    expect(third.written?.removed).toEqual([]);
    expect(parse(readFileSync(join(dir, `core/namespace/_cluster/${other}.yaml`), 'utf8'))).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: other },
    });
    await gitopsSync(dir, third);
    expect((await snapshot(lab, [other])).namespaces[other]).toEqual({});
    expect(pending((await lab.cycle({ apply: false })).actions)).toEqual([]);
  });
});
