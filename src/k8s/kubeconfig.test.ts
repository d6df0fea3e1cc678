import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadKubeConfig } from './client.ts';
import { KubeConfigError } from './errors.ts';

/**
 * Which kubeconfig is used, in kubectl's order (--kubeconfig, KUBECONFIG, ~/.kube/config, in-cluster), and what a
 * user reads when none works: the sources tried and what to do — never a bare ENOENT.
 */
describe('loadKubeConfig', () => {
  let dir: string;
  let good: string;
  let emptyHome: string;
  const kubeconfig = (server: string) =>
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nbsync-kubeconfig-'));
    good = join(dir, 'good.yaml');
    writeFileSync(good, kubeconfig('https://127.0.0.1:6443'));
    emptyHome = join(dir, 'home');
    mkdirSync(emptyHome);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const failure = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(KubeConfigError);
      return (e as Error).message;
    }
    throw new Error('expected a KubeConfigError');
  };
  const nowhere = () => ({ env: {}, home: emptyHome, inClusterRoot: join(dir, 'no-root') });

  it.each<[string, () => unknown, RegExp[]]>([
    [
      '--kubeconfig names a missing file',
      () => loadKubeConfig({ kubeconfig: join(dir, 'missing.yaml') }, nowhere()),
      [/^kubeconfig .*missing\.yaml \(from --kubeconfig\) does not exist: check the path/, /KUBECONFIG/],
    ],
    [
      'KUBECONFIG names a missing file',
      () => loadKubeConfig({}, { ...nowhere(), env: { KUBECONFIG: join(dir, 'gone.yaml') } }),
      [/^no kubeconfig: KUBECONFIG names .*gone\.yaml, which does not exist — fix KUBECONFIG or pass --kubeconfig/],
    ],
    [
      'KUBECONFIG names only missing files',
      () => loadKubeConfig({}, { ...nowhere(), env: { KUBECONFIG: ['/nope/a', '/nope/b'].join(delimiter) } }),
      [/KUBECONFIG names \/nope\/a, \/nope\/b, none of which exists/],
    ],
    [
      'nothing anywhere',
      () => loadKubeConfig({}, nowhere()),
      [
        /^no kubeconfig found; tried --kubeconfig \(not given\), KUBECONFIG \(not set\)/,
        /home\/\.kube\/config \(does not exist\)/,
        /in-cluster ServiceAccount \(KUBERNETES_SERVICE_HOST\/PORT not set: not running in a pod\)/,
        /pass --kubeconfig FILE, set KUBECONFIG, or run in a pod with a ServiceAccount/,
        /--no-cluster/,
      ],
    ],
    [
      'in a pod without the ServiceAccount token',
      () =>
        loadKubeConfig(
          {},
          { ...nowhere(), env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' } },
        ),
      [/in-cluster ServiceAccount \(.*serviceaccount\/token does not exist: is automountServiceAccountToken off\?\)/],
    ],
    [
      'a kubeconfig that is a directory',
      () => loadKubeConfig({ kubeconfig: dir }, nowhere()),
      [/^cannot read kubeconfig .* \(from --kubeconfig\): EISDIR/],
    ],
  ])('%s', (_name, load, messages) => {
    const message = failure(load);
    for (const m of messages) expect(message).toMatch(m);
    expect(message).not.toMatch(/^ENOENT/);
  });

  it('a kubeconfig without a current context says which file', () => {
    const empty = join(dir, 'empty.yaml');
    writeFileSync(empty, 'apiVersion: v1\nkind: Config\n');
    expect(failure(() => loadKubeConfig({ kubeconfig: empty }, nowhere()))).toMatch(
      /^no Kubernetes cluster in kubeconfig .*empty\.yaml \(from --kubeconfig\)/,
    );
  });

  it('KUBECONFIG skips missing files, as kubectl does, and merges the rest', () => {
    const second = join(dir, 'second.yaml');
    writeFileSync(second, kubeconfig('https://127.0.0.2:6443').replaceAll(/\b(c|u|x)\b/g, '$12'));
    const env = { KUBECONFIG: ['/nope/a', good, second].join(delimiter) };
    const kc = loadKubeConfig({}, { ...nowhere(), env });
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
    expect(kc.getContexts().map(c => c.name)).toEqual(['x', 'x2']);
  });

  it('falls back to ~/.kube/config', () => {
    const home = join(dir, 'user');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(join(home, '.kube', 'config'), kubeconfig('https://127.0.0.3:6443'));
    expect(loadKubeConfig({}, { ...nowhere(), home }).getCurrentCluster()?.server).toBe('https://127.0.0.3:6443');
  });
});
