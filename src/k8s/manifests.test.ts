import { mkdtemp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { K8sObject } from '../model/k8s-object.ts';
import {
  MANIFEST_HEADER,
  NAMESPACE_DIR,
  isManifestPath,
  manifestPath,
  readNamespaceFiles,
  renderManifests,
  writeManifests,
} from './manifests.ts';
import { CALICO_POOL, METALLB_POOL, obj } from '../../test/support/plan-fixtures.ts';

const calicoPool = obj(
  'calico',
  CALICO_POOL,
  'pods-a',
  { cidr: '10.20.0.0/24', blockSize: 26 },
  { from: 'prefix/12', hash: 'h' },
);
const lbPool = obj(
  'metallb',
  METALLB_POOL,
  'lb',
  { addresses: ['10.30.0.0/24'], autoAssign: true },
  { namespace: 'metallb-system' },
);
const configMap: K8sObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c', namespace: 'ns' },
  data: { a: '1' },
};

describe('manifest paths', () => {
  it.each<[K8sObject, string]>([
    [calicoPool, 'projectcalico.org/ippool/_cluster/pods-a.yaml'],
    [lbPool, 'metallb.io/ipaddresspool/metallb-system/lb.yaml'],
    [configMap, 'core/configmap/ns/c.yaml'],
  ])('%#: %s', (o, path) => {
    expect(manifestPath(o)).toBe(path);
    expect(isManifestPath(path)).toBe(true);
  });

  it.each(['../evil', 'a/b', 'Upper', '', '.hidden'])('refuses the name %j', name => {
    expect(() => manifestPath({ ...calicoPool, metadata: { name } })).toThrow(/not a safe manifest path/);
  });

  it.each(['kustomization.yaml', 'projectcalico.org/ippool/_cluster/x.yml', 'a/b/c/d/e.yaml', 'a/b/c.yaml'])(
    '%s is not ours',
    path => expect(isManifestPath(path)).toBe(false),
  );
});

describe('renderManifests', () => {
  it('writes identity first, sorted keys, no server fields, and our header', () => {
    const observedLike: K8sObject = {
      ...calicoPool,
      metadata: { ...calicoPool.metadata, resourceVersion: '5', uid: 'u', managedFields: [] },
      status: { conditions: [] },
    };
    const text = renderManifests([observedLike]).get('projectcalico.org/ippool/_cluster/pods-a.yaml');
    expect(text).toBe(
      MANIFEST_HEADER +
        [
          'apiVersion: projectcalico.org/v3',
          'kind: IPPool',
          'metadata:',
          '  name: pods-a',
          '  labels:',
          '    app.kubernetes.io/managed-by: netbox-ippool-sync',
          '    netbox-ippool-sync/cluster: east',
          '    netbox-ippool-sync/pool-kind: calico',
          '  annotations:',
          '    netbox-ippool-sync/netbox-objects: prefix/12',
          '    netbox-ippool-sync/spec-hash: h',
          'spec:',
          '  blockSize: 26',
          '  cidr: 10.20.0.0/24',
          '',
        ].join('\n'),
    );
  });

  it('is byte-identical whatever the key and object order', () => {
    const shuffled: K8sObject = {
      spec: { blockSize: 26, cidr: '10.20.0.0/24' },
      metadata: {
        annotations: { 'netbox-ippool-sync/spec-hash': 'h', 'netbox-ippool-sync/netbox-objects': 'prefix/12' },
        labels: Object.fromEntries(Object.entries(calicoPool.metadata.labels ?? {}).reverse()),
        name: 'pods-a',
      },
      kind: 'IPPool',
      apiVersion: 'projectcalico.org/v3',
    };
    const a = renderManifests([calicoPool, lbPool]);
    const b = renderManifests([lbPool, shuffled]);
    expect([...b]).toEqual([...a]);
    expect([...a.keys()]).toEqual([...a.keys()].sort());
  });

  it('refuses two objects with one path', () => {
    expect(() => renderManifests([calicoPool, calicoPool])).toThrow(
      /share projectcalico.org\/ippool\/_cluster\/pods-a.yaml/,
    );
  });
});

describe('writeManifests', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'render-out-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes, leaves unchanged files alone, removes only stale files of ours', async () => {
    const first = await writeManifests(dir, renderManifests([calicoPool, lbPool]));
    expect(first).toEqual({
      written: ['metallb.io/ipaddresspool/metallb-system/lb.yaml', 'projectcalico.org/ippool/_cluster/pods-a.yaml'],
      unchanged: [],
      removed: [],
    });
    const foreignInLayout = join(dir, 'metallb.io/ipaddresspool/metallb-system/hand-made.yaml');
    await writeFile(foreignInLayout, 'apiVersion: metallb.io/v1beta1\n');
    await writeFile(join(dir, 'kustomization.yaml'), 'resources: []\n');
    const before = await stat(join(dir, 'projectcalico.org/ippool/_cluster/pods-a.yaml'));

    const second = await writeManifests(dir, renderManifests([calicoPool]));
    expect(second).toEqual({
      written: [],
      unchanged: ['projectcalico.org/ippool/_cluster/pods-a.yaml'],
      removed: ['metallb.io/ipaddresspool/metallb-system/lb.yaml'],
    });
    const after = await stat(join(dir, 'projectcalico.org/ippool/_cluster/pods-a.yaml'));
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(await readFile(foreignInLayout, 'utf8')).toBe('apiVersion: metallb.io/v1beta1\n');
    expect(await readFile(join(dir, 'kustomization.yaml'), 'utf8')).toBe('resources: []\n');
  });

  it('prunes directories it emptied, never the output directory', async () => {
    await writeManifests(dir, renderManifests([lbPool]));
    await mkdir(join(dir, 'notes'));
    await writeManifests(dir, new Map());
    expect((await readdir(dir)).sort()).toEqual(['notes']);
  });

  it('rewrites a file whose content changed', async () => {
    await writeManifests(dir, renderManifests([calicoPool]));
    const changed = { ...calicoPool, spec: { cidr: '10.20.0.0/24', blockSize: 24 } };
    const r = await writeManifests(dir, renderManifests([changed]));
    expect(r.written).toEqual(['projectcalico.org/ippool/_cluster/pods-a.yaml']);
    expect(await readFile(join(dir, r.written[0]!), 'utf8')).toContain('blockSize: 24');
  });

  it('works on a directory that does not exist yet', async () => {
    const r = await writeManifests(join(dir, 'out'), renderManifests([lbPool]));
    expect(r.written).toHaveLength(1);
  });

  it('refuses paths outside the layout', async () => {
    await expect(writeManifests(dir, new Map([['../escape.yaml', 'x']]))).rejects.toThrow(/not in the manifest layout/);
  });
});

describe('readNamespaceFiles', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'render-ns-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const namespace = (name: string, annotations?: Record<string, string>): K8sObject => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, ...(annotations === undefined ? {} : { annotations }) },
  });

  it('reads back the Namespace files render wrote, and nothing else', async () => {
    await writeManifests(
      dir,
      renderManifests([calicoPool, namespace('no', { 'cni.projectcalico.org/ipv4pools': '["on"]' }), namespace('b')]),
    );
    await mkdir(join(dir, NAMESPACE_DIR), { recursive: true });
    await writeFile(join(dir, NAMESPACE_DIR, 'hand-made.yaml'), 'apiVersion: v1\nkind: Namespace\n');
    expect(await readNamespaceFiles(dir)).toEqual([
      { name: 'b', annotations: {} },
      { name: 'no', annotations: { 'cni.projectcalico.org/ipv4pools': '["on"]' } },
    ]);
  });

  it('finds none in a directory that does not exist yet', async () => {
    expect(await readNamespaceFiles(join(dir, 'absent'))).toEqual([]);
  });

  it.each([
    ['not YAML', `${MANIFEST_HEADER}metadata: [\n`, /cannot read .*apps\.yaml: .*restore or delete it/],
    ['another kind', `${MANIFEST_HEADER}kind: ConfigMap\nmetadata: {name: apps}\n`, /not the Namespace apps/],
    ['another name', `${MANIFEST_HEADER}kind: Namespace\nmetadata: {name: other}\n`, /not the Namespace apps/],
    [
      'an annotation that is no string',
      `${MANIFEST_HEADER}kind: Namespace\nmetadata: {name: apps, annotations: {a: 1}}\n`,
      /annotation values must be strings/,
    ],
  ])('refuses a file of ours that was edited into %s', async (_what, text, error) => {
    await mkdir(join(dir, NAMESPACE_DIR), { recursive: true });
    await writeFile(join(dir, NAMESPACE_DIR, 'apps.yaml'), text);
    await expect(readNamespaceFiles(dir)).rejects.toThrow(error);
  });
});
