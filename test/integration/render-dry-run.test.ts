import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../../src/k8s/client.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import { poolIntent, prefixBlock, rangeBlock, renderContext } from '../support/kind-fixtures.ts';
import type { PoolBlock, PoolKind } from '../../src/model/intent.ts';
import type { ResourceType } from '../../src/model/k8s-object.ts';
import { apiVersionOf } from '../../src/model/k8s-object.ts';

/**
 * Every kind × {Prefix, IP Range, several objects in one pool} × {IPv4, IPv6}, rendered by the real adapters and
 * sent to the real kube-apiserver with dryRun=All: the CRDs' schemas and CEL rules accept what we render.
 * (Kinds that cannot express a shape — e.g. an IP range for Cilium pod pools — report an error instead; those
 * combinations are covered by the adapters' unit tables and skipped here.)
 */

type Shape = 'prefix' | 'range' | 'several';
const run = randomBytes(2).toString('hex');

const blocks: Record<4 | 6, Record<Shape, PoolBlock[]>> = {
  4: {
    prefix: [
      prefixBlock(1, '10.60.0.0/24', { held: [['10.60.0.1', 'ip-address 10.60.0.1/24']], gateway: '10.60.0.1' }),
    ],
    range: [rangeBlock(2, '10.60.1.64-10.60.1.127', '10.60.1.0/24')],
    several: [
      prefixBlock(3, '10.60.2.0/24'),
      rangeBlock(4, '10.60.2.200-10.60.2.250', '10.60.2.0/24'),
      prefixBlock(5, '10.60.3.0/26'),
    ],
  },
  6: {
    prefix: [
      prefixBlock(11, 'fd00:60::/120', { held: [['fd00:60::1', 'ip-address fd00:60::1/120']], gateway: 'fd00:60::1' }),
    ],
    range: [rangeBlock(12, 'fd00:60:1::40-fd00:60:1::7f', 'fd00:60:1::/120')],
    several: [prefixBlock(13, 'fd00:60:2::/120'), prefixBlock(14, 'fd00:60:3::/120')],
  },
};

const NAMESPACES: Partial<Record<PoolKind, string>> = {
  whereabouts: 'default',
  'nv-ipam': 'kube-system',
  metallb: 'metallb-system',
};

const cases = ADAPTERS.flatMap(adapter =>
  ([4, 6] as const).flatMap(family =>
    (['prefix', 'range', 'several'] as const).map(shape => ({ kind: adapter.kind, family, shape, adapter })),
  ),
);

describe('rendered objects pass server-side dry-run against our CRDs', () => {
  let kube: KubeClient;
  const rendered = new Set<string>();
  beforeAll(() => {
    kube = new KubeClient({ kubeconfig: inject('kubeconfigPath') });
  });
  afterAll(() => {
    kube.close();
    // Every kind must have rendered at least its prefix shapes: the dry-run proved something for each.
    for (const a of ADAPTERS) expect(rendered, a.kind).toContain(`${a.kind}/prefix/4`);
  });

  it.each(cases)('$kind: $shape IPv$family', async ({ kind, family, shape, adapter }) => {
    const namespace = NAMESPACES[kind];
    const intent = poolIntent(kind, blocks[family][shape], {
      name: `dry-${run}-${shape}-v${family}`,
      ...(namespace ? { namespace } : {}),
    });
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
    }
    rendered.add(`${kind}/${shape}/${family}`);
  });
});
