import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.ts';
import type { Config } from '../config.ts';
import { ADAPTERS } from '../k8s/kinds/registry.ts';
import type { K8sObject } from '../k8s/object.ts';
import { FakeNetBoxReader, nbPrefix } from '../netbox/fake-reader.ts';
import { runCycle } from './cycle.ts';
import type { CycleOptions } from './cycle.ts';

/**
 * The cycle orchestrator offline (NetBox fake, observed objects from a map): the pipeline stages meet, and the
 * pool count that feeds the next cycle's empty-source guard is only learned from a cycle that saw something.
 */
function labConfig(kinds: Record<string, unknown> = {}): Config {
  const r = parseConfig(
    { cluster: 'lab', netbox: { url: 'https://nb' }, selection: { roles: { 'k8s-pod': 'calico' } }, kinds },
    {},
  );
  if (!r.ok) throw new Error('test config invalid');
  return r.config;
}

const pods = nbPrefix(1, '10.20.0.0/24', { role: 'k8s-pod', tags: ['k8s-lab'], cf: { k8s_pool_name: 'pods' } });

async function cycle(
  netbox: FakeNetBoxReader,
  observed: K8sObject[],
  opts: Partial<CycleOptions> = {},
  config: Config = labConfig(),
) {
  const observedObjects = new Map<string, K8sObject[]>();
  for (const o of observed)
    observedObjects.set(`${o.apiVersion}/${o.kind}`, [...(observedObjects.get(`${o.apiVersion}/${o.kind}`) ?? []), o]);
  return runCycle({ config, netbox, adapters: ADAPTERS, observedObjects }, { apply: false, ...opts });
}

describe('runCycle (offline)', () => {
  it('turns a NetBox prefix into a planned Calico pool and learns the pool count', async () => {
    const result = await cycle(new FakeNetBoxReader({ prefixes: [pods] }), []);
    expect(result.source).toEqual({ healthy: true });
    expect(result.plan.changes.map(c => `${c.action} ${c.kind} ${c.name}`)).toEqual(['create IPPool pods']);
    expect(result.nextPoolCount).toBe(1);
  });

  it('keeps the previous count when NetBox fails, and deletes nothing', async () => {
    const first = await cycle(new FakeNetBoxReader({ prefixes: [pods] }), []);
    const observed = first.rendered.desired.map(d => d.object);
    const down = new FakeNetBoxReader({ prefixes: [pods] });
    down.failWith = new Error('NetBox answered 503');
    const result = await cycle(down, observed, { previousPoolCount: 1 });
    expect(result.source).toEqual({ healthy: false, reason: 'NetBox answered 503' });
    expect(result.plan.changes.filter(c => c.action === 'delete')).toEqual([]);
    expect(result.nextPoolCount).toBe(1);
  });

  it('keeps the previous count when it saw no pools on either side', async () => {
    const result = await cycle(new FakeNetBoxReader({}), [], { previousPoolCount: 3 });
    expect(result.plan.changes).toEqual([]);
    expect(result.nextPoolCount).toBe(3);
  });

  it('keeps the previous count when the empty-source guard trips', async () => {
    const first = await cycle(new FakeNetBoxReader({ prefixes: [pods] }), []);
    const observed = first.rendered.desired.map(d => d.object);
    const result = await cycle(new FakeNetBoxReader({}), observed, { previousPoolCount: 1 });
    expect(result.plan.guards.map(g => g.guard)).toContain('empty-source');
    expect(result.nextPoolCount).toBe(1);
  });

  it('an invalid kinds.<kind> section withholds that kind: no pool is rendered from built-in defaults instead', async () => {
    const netbox = new FakeNetBoxReader({ prefixes: [pods] });
    const first = await cycle(netbox, [], {}, labConfig({ calico: { blockSizeV4: 24 } }));
    const observed = first.rendered.desired.map(d => d.object);
    expect(observed.map(o => (o.spec as { blockSize?: number } | undefined)?.blockSize)).toEqual([24]);
    // A typo beside blockSizeV4: the section fails as a whole; blockSize 26 (the default) would be a replacement.
    const result = await cycle(netbox, observed, {}, labConfig({ calico: { blockSizeV4: 24, natOutgoin: false } }));
    expect(result.rendered.desired).toEqual([]);
    expect(result.plan.changes.map(c => `${c.action} ${c.name}: ${c.reason}`)).toEqual([
      'blocked pods: kept: its pool could not be rendered this cycle (see the invalid entry); not deleted',
      'invalid config kinds.calico.natOutgoin: unknown key — check the spelling against config/README.md',
      'invalid pods: not rendered: the config section kinds.calico has errors — the pool in the cluster is left as it is until the config is fixed (see `config check`)',
    ]);
  });
});
