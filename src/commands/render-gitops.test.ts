import { StaticCluster } from '../k8s/cluster.ts';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../config/config.ts';
import type { Config } from '../config/config.ts';
import { ADAPTERS } from '../kinds/registry.ts';
import { FakeNetBoxReader, nbPrefix } from '../../test/support/fake-netbox-reader.ts';
import { renderToDirectory } from './render-gitops.ts';
import { namespaceValuesAnnotation } from '../model/ownership.ts';

/** `render --out` offline: NetBox from a fake, the files written to a temporary directory. */

function config(policy: Config['policy'] = 'sync'): Config {
  const r = parseConfig(
    { cluster: 'lab', netbox: { url: 'https://nb' }, selection: { roles: { 'k8s-pod': 'calico' } }, policy },
    {},
  );
  if (!r.ok) throw new Error('test config invalid');
  return r.config;
}

const pool = (id: number, cidr: string, name: string, cf: Record<string, unknown> = {}) =>
  nbPrefix(id, cidr, { role: 'k8s-pod', tags: ['k8s-lab'], cf: { k8s_pool_name: name, ...cf } });

const KEY = 'cni.projectcalico.org/ipv4pools';

describe('renderToDirectory', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gitops-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const render = (prefixes: ReturnType<typeof pool>[], policy: Config['policy'] = 'sync') =>
    renderToDirectory(
      {
        config: config(policy),
        netbox: new FakeNetBoxReader({ prefixes }),
        adapters: ADAPTERS,
        cluster: new StaticCluster(),
      },
      dir,
    );
  const files = async () => (await readdir(dir, { recursive: true })).filter(f => f.endsWith('.yaml')).sort();
  const annotations = async (ns: string) =>
    (
      parse(await readFile(join(dir, `core/namespace/_cluster/${ns}.yaml`), 'utf8')) as {
        metadata: { annotations?: Record<string, string> };
      }
    ).metadata.annotations;

  it('writes the pools and a Namespace file for each namespace k8s_namespaces names', async () => {
    const result = await render([pool(1, '10.20.0.0/24', 'a', { k8s_namespaces: 'team,ops' })]);
    expect(result.pruned).toBe(true);
    expect(await files()).toEqual([
      'core/namespace/_cluster/ops.yaml',
      'core/namespace/_cluster/team.yaml',
      'projectcalico.org/ippool/_cluster/a.yaml',
    ]);
    expect(await annotations('team')).toEqual({
      [KEY]: '["a"]',
      [namespaceValuesAnnotation('lab')]: `{"${KEY}":["a"]}`,
    });
  });

  it('under sync, a pool that leaves removes its file and its values; the namespace file stays', async () => {
    await render([pool(1, '10.20.0.0/24', 'a', { k8s_namespaces: 'team' }), pool(2, '10.21.0.0/24', 'b')]);
    const second = await render([pool(2, '10.21.0.0/24', 'b')]);
    expect(second.written?.removed).toEqual(['projectcalico.org/ippool/_cluster/a.yaml']);
    expect(await files()).toEqual(['core/namespace/_cluster/team.yaml', 'projectcalico.org/ippool/_cluster/b.yaml']);
    expect(await annotations('team')).toBeUndefined();
  });

  it.each(['upsert-only', 'create-only'] as const)('under %s, nothing is removed', async policy => {
    await render([pool(1, '10.20.0.0/24', 'a', { k8s_namespaces: 'team' }), pool(2, '10.21.0.0/24', 'b')]);
    const second = await render([pool(2, '10.21.0.0/24', 'b')], policy);
    expect(second.pruned).toBe(false);
    expect(second.written?.removed).toEqual([]);
    expect(await annotations('team')).toEqual({
      [KEY]: '["a"]',
      [namespaceValuesAnnotation('lab')]: `{"${KEY}":["a"]}`,
    });
  });

  it('with invalid NetBox input, nothing is removed', async () => {
    await render([pool(1, '10.20.0.0/24', 'a', { k8s_namespaces: 'team' })]);
    const second = await render([pool(1, '10.20.0.0/24', 'a', { k8s_namespaces: 'team', k8s_block_size: 'big' })]);
    expect(second.issues.some(i => i.severity === 'error')).toBe(true);
    expect(second.written?.removed).toEqual([]);
    expect(await files()).toEqual(['core/namespace/_cluster/team.yaml', 'projectcalico.org/ippool/_cluster/a.yaml']);
    expect(await annotations('team')).toEqual({
      [KEY]: '["a"]',
      [namespaceValuesAnnotation('lab')]: `{"${KEY}":["a"]}`,
    });
  });

  it('writes nothing when NetBox cannot be read', async () => {
    const netbox = new FakeNetBoxReader({});
    netbox.failWith = new Error('NetBox answered 503');
    const result = await renderToDirectory(
      { config: config(), netbox, adapters: ADAPTERS, cluster: new StaticCluster() },
      dir,
    );
    expect(result).toMatchObject({ source: { healthy: false, reason: 'NetBox answered 503' }, pruned: false });
    expect(result.written).toBeUndefined();
    expect(await files()).toEqual([]);
  });
});
