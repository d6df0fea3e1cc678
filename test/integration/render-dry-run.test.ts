import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../../src/k8s/client.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import {
  MATRIX_FAMILIES,
  MATRIX_SHAPES,
  matrixIntent,
  renderContext,
  YAML11_TRICKY_NAMES,
} from '../support/kind-fixtures.ts';
import type { K8sObject, ResourceType } from '../../src/model/k8s-object.ts';
import { apiVersionOf } from '../../src/model/k8s-object.ts';
import { manifestYaml } from '../../src/k8s/manifests.ts';
import { admin, typePath } from './sync-support.ts';

/**
 * Every kind × {Prefix, IP Range, several objects in one pool} × {IPv4, IPv6} × {plain, tricky for YAML 1.1}, rendered
 * by the real adapters and sent to the real kube-apiserver with dryRun=All: the CRDs' schemas and CEL rules accept
 * what we render, and the manifest file `render --out` writes for it decodes to the same object.
 * (Kinds that cannot express a shape — e.g. an IP range for Cilium pod pools — report an error instead; those
 * combinations are covered by the adapters' unit tables and skipped here.)
 */

const run = randomBytes(2).toString('hex');

const cases = ADAPTERS.flatMap(adapter =>
  MATRIX_FAMILIES.flatMap(family =>
    MATRIX_SHAPES.flatMap(shape =>
      (['plain', 'tricky'] as const).map(variant => ({ kind: adapter.kind, family, shape, variant, adapter })),
    ),
  ),
).map((c, i) => ({ ...c, trickyName: YAML11_TRICKY_NAMES[i % YAML11_TRICKY_NAMES.length] ?? 'no' }));

describe('rendered objects pass server-side dry-run against our CRDs', () => {
  let kube: KubeClient;
  const rendered = new Set<string>();
  beforeAll(() => {
    kube = new KubeClient({ kubeconfig: inject('kubeconfigPath') });
  });
  afterAll(() => {
    kube.close();
    // Every kind must have rendered at least its prefix shapes: the dry-run proved something for each.
    for (const a of ADAPTERS) {
      expect(rendered, a.kind).toContain(`${a.kind}/prefix/4/plain`);
      expect(rendered, a.kind).toContain(`${a.kind}/prefix/4/tricky`);
    }
  });

  it.each(cases)(
    '$kind: $shape IPv$family, $variant',
    async ({ kind, family, shape, variant, adapter, trickyName }) => {
      const name = variant === 'plain' ? `dry-${run}-${shape}-v${family}` : trickyName;
      const intent = matrixIntent(kind, family, shape, variant, { name });
      const result = adapter.render(intent, renderContext(adapter));
      const errors = result.issues.filter(i => i.severity === 'error');
      if (errors.length > 0) {
        // Only the shapes a kind cannot express may be refused, and never the plain prefix.
        expect(shape, errors.map(e => e.reason).join('; ')).not.toBe('prefix');
        return;
      }
      expect(result.objects.length).toBeGreaterThan(0);
      for (const obj of result.objects) {
        const rt = adapter.owns.find(t => apiVersionOf(t) === obj.apiVersion && t.kind === obj.kind) as ResourceType;
        const stored = await kube.apply(rt, obj, { serverDryRun: true });
        expect(stored.metadata.name).toBe(obj.metadata.name);
        expect(stored.spec).toMatchObject(obj.spec as object);
        // The file `render --out` writes, decoded by the apiserver's own YAML reader (sigs.k8s.io/yaml, YAML 1.1, as
        // kubectl, Flux and Argo CD read it): the same object, or the apiserver refuses it.
        const path = `${typePath(rt, obj.metadata.namespace, obj.metadata.name)}?fieldManager=gitops-test&dryRun=All`;
        const res = await admin('PATCH', path, manifestYaml(obj), { contentType: 'application/apply-patch+yaml' });
        const fromFile = res.json<K8sObject>();
        expect(fromFile.metadata.name).toBe(obj.metadata.name);
        expect(fromFile.metadata.labels).toEqual(obj.metadata.labels);
        expect(fromFile.metadata.annotations).toEqual(obj.metadata.annotations);
        expect(fromFile.spec).toEqual(stored.spec);
      }
      rendered.add(`${kind}/${shape}/${family}/${variant}`);
    },
  );
});
