import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { loadCrds, servedGroupVersions } from '../crds/index.ts';
import type { CrdManifest } from '../crds/index.ts';
import type { ManagedProcess } from '../process.ts';
import { freePort, startProcess, waitFor } from '../process.ts';
import { kubeRequest } from './http.ts';
import type { KubeCredentials, KubeResponse } from './http.ts';
import { createPki, issueClientCert } from './pki.ts';

export type { KubeCredentials, KubeResponse };
export { kubeRequest };

/**
 * A real control plane for integration tests: etcd and kube-apiserver built from the Go module proxy
 * (build.sh), started on loopback with random ports, our CRDs installed, and an admin kubeconfig written.
 * Like envtest, there is no controller-manager: no namespace finalisation, no garbage collection, no
 * default ServiceAccounts, and nobody writes Service load-balancer status but the tests.
 */
export interface ControlPlane {
  server: string;
  dir: string;
  kubeconfigPath: string;
  admin: KubeCredentials;
  versions: { kubernetes: string; etcd: string };
  startupMs: number;
  /** The etcd and kube-apiserver processes now running, for tests that check teardown. */
  readonly processes: readonly ManagedProcess[];
  /**
   * Stops kube-apiserver (SIGTERM: it finishes what it is serving, then closes) and starts it again on the same
   * port with the same etcd, certificates and flags, as a rolling control-plane upgrade or a crash-loop does to a
   * real cluster. `downMs` keeps it down that long; resolves once /readyz answers 200 again.
   */
  restartApiserver(opts?: { downMs?: number; signal?: NodeJS.Signals }): Promise<{ downMs: number; readyMs: number }>;
  /** A ServiceAccount token from the TokenRequest API. */
  mintToken(namespace: string, serviceAccount: string, expirationSeconds?: number): Promise<string>;
  /** A kubeconfig (YAML text) that authenticates with a bearer token against this control plane. */
  kubeconfigForToken(token: string, namespace?: string): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Install the CRDs of dev/crds (default true). */
  installCrds?: boolean;
  /** Extra kube-apiserver flags, e.g. audit logging for RBAC tests. */
  extraApiserverArgs?: string[];
  log?: (line: string) => void;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Builds (once, cached) or finds the binaries; NBSYNC_CONTROL_PLANE_DIR points at prebuilt ones. */
export function controlPlaneBinaries(): string {
  const preset = process.env['NBSYNC_CONTROL_PLANE_DIR'];
  if (preset) return preset;
  try {
    const out = execFileSync('bash', [join(here, 'build.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return out.trim().split('\n').at(-1) ?? '';
  } catch (err) {
    throw new Error(
      'Could not build kube-apiserver and etcd (dev/control-plane/build.sh failed); the integration tests need them. ' +
        'Run .ci/run or dev/control-plane/build.sh to see the Go build error.',
      { cause: err },
    );
  }
}

function readStamp(binDir: string): { kubernetes: string; etcd: string } {
  const stamp = readFileSync(join(binDir, 'STAMP'), 'utf8');
  const get = (k: string): string =>
    /^(\w+)=(.*)$/m.exec(stamp.split('\n').find(l => l.startsWith(`${k}=`)) ?? '')?.[2] ?? '?';
  return { kubernetes: get('kubernetes'), etcd: get('etcd') };
}

function workDir(): string {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  return mkdtempSync(join(base, 'nbsync-cp-'));
}

async function startEtcd(bin: string, dir: string): Promise<{ proc: ManagedProcess; url: string }> {
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const proc = startProcess(
    'etcd',
    join(bin, 'etcd'),
    [
      '--name=nbsync',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=nbsync=${peerUrl}`,
      '--unsafe-no-fsync=true',
      '--logger=zap',
      '--log-level=warn',
    ],
    join(dir, 'etcd.log'),
  );
  await waitFor(
    'etcd /health',
    async () => {
      const res = await fetch(`${url}/health`);
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    },
    { timeoutMs: 20_000, proc },
  );
  return { proc, url };
}

interface ApiserverSetup {
  bin: string;
  dir: string;
  port: number;
  args: string[];
  admin: KubeCredentials;
}

/** Certificates, port and flags of one kube-apiserver: made once, so a restart serves the same port and CA. */
async function prepareApiserver(bin: string, dir: string, etcdUrl: string, extra: string[]): Promise<ApiserverSetup> {
  const pki = createPki(dir);
  const adminCert = issueClientCert(pki, 'admin', ['system:masters']);
  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  const args = [
    `--etcd-servers=${etcdUrl}`,
    `--cert-dir=${dir}`,
    `--tls-cert-file=${pki.servingCert}`,
    `--tls-private-key-file=${pki.servingKey}`,
    `--client-ca-file=${pki.caCert}`,
    `--secure-port=${port}`,
    '--bind-address=127.0.0.1',
    // No default route on some sandboxes: advertise loopback and skip the endpoint reconciler that rejects it.
    '--advertise-address=127.0.0.1',
    '--endpoint-reconciler-type=none',
    '--service-cluster-ip-range=10.0.0.0/24',
    '--allow-privileged=true',
    '--authorization-mode=RBAC',
    '--disable-admission-plugins=ServiceAccount',
    `--service-account-issuer=${server}/`,
    `--service-account-key-file=${pki.saPublicKey}`,
    `--service-account-signing-key-file=${pki.saSigningKey}`,
    ...extra,
  ];
  const admin: KubeCredentials = {
    server,
    ca: readFileSync(pki.caCert, 'utf8'),
    cert: readFileSync(adminCert.cert, 'utf8'),
    key: readFileSync(adminCert.key, 'utf8'),
  };
  return { bin, dir, port, args, admin };
}

/** Starts (or starts again) the kube-apiserver and waits until it is ready; `run` numbers its log file. */
async function runApiserver(setup: ApiserverSetup, run: number): Promise<ManagedProcess> {
  const log = join(setup.dir, run === 0 ? 'kube-apiserver.log' : `kube-apiserver.${run}.log`);
  const proc = startProcess('kube-apiserver', join(setup.bin, 'kube-apiserver'), setup.args, log);
  const { admin } = setup;
  try {
    await waitFor('kube-apiserver /readyz', async () => (await kubeRequest(admin, 'GET', '/readyz')).status === 200, {
      timeoutMs: 60_000,
      intervalMs: 200,
      proc,
    });
    await waitFor(
      'namespace default',
      async () => (await kubeRequest(admin, 'GET', '/api/v1/namespaces/default')).status === 200,
      { timeoutMs: 20_000, proc },
    );
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return proc;
}

/** Applies our CRDs and waits until discovery serves every plural (envtest's WaitForCRDs). */
export async function installCrds(admin: KubeCredentials, crds: readonly CrdManifest[] = loadCrds()): Promise<void> {
  for (const crd of crds) {
    const res = await kubeRequest(
      admin,
      'PATCH',
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}?fieldManager=nbsync-test-harness&force=true`,
      crd,
      'application/apply-patch+yaml',
    );
    if (res.status >= 300) throw new Error(`installing CRD ${crd.metadata.name} failed (${res.status}): ${res.body}`);
  }
  for (const gv of servedGroupVersions(crds)) {
    await waitFor(
      `discovery of ${gv.group}/${gv.version}`,
      async () => {
        const res = await kubeRequest(admin, 'GET', `/apis/${gv.group}/${gv.version}`);
        if (res.status !== 200) return false;
        const served = new Set(res.json<{ resources: { name: string }[] }>().resources.map(r => r.name));
        return gv.plurals.every(p => served.has(p));
      },
      { timeoutMs: 20_000 },
    );
  }
}

/** Waits until every served plural of our CRDs answers a list with 200. */
async function waitForCrdStorage(admin: KubeCredentials, crds: readonly CrdManifest[] = loadCrds()): Promise<void> {
  for (const gv of servedGroupVersions(crds)) {
    for (const plural of gv.plurals) {
      await waitFor(
        `${plural}.${gv.group} storage after a restart`,
        async () =>
          (await kubeRequest(admin, 'GET', `/apis/${gv.group}/${gv.version}/${plural}?limit=1`)).status === 200,
        { timeoutMs: 30_000, intervalMs: 100 },
      );
    }
  }
}

function kubeconfigYaml(server: string, ca: string, user: Record<string, string>, namespace = 'default'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'nbsync-test', cluster: { server, 'certificate-authority-data': Buffer.from(ca).toString('base64') } },
    ],
    users: [{ name: 'nbsync-test', user }],
    contexts: [{ name: 'nbsync-test', context: { cluster: 'nbsync-test', user: 'nbsync-test', namespace } }],
    'current-context': 'nbsync-test',
  });
}

async function startOnce(bin: string, opts: StartOptions): Promise<ControlPlane> {
  const started = Date.now();
  const dir = workDir();
  const procs: ManagedProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const p of [...procs].reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const etcd = await startEtcd(bin, dir);
    procs.push(etcd.proc);
    const setup = await prepareApiserver(bin, dir, etcd.url, opts.extraApiserverArgs ?? []);
    const api = { server: setup.admin.server, admin: setup.admin };
    let apiserver = await runApiserver(setup, 0);
    procs.push(apiserver);
    let runs = 0;
    const restartApiserver = async (
      o: { downMs?: number; signal?: NodeJS.Signals } = {},
    ): Promise<{ downMs: number; readyMs: number }> => {
      const t0 = Date.now();
      if (o.signal === 'SIGKILL') apiserver.child.kill('SIGKILL');
      await apiserver.stop();
      const stoppedAt = Date.now();
      if (o.downMs) await new Promise(r => setTimeout(r, o.downMs));
      const next = await runApiserver(setup, ++runs);
      procs.splice(procs.indexOf(apiserver), 1, next);
      apiserver = next;
      // /readyz turns 200 before every custom resource's storage is back ("storage is (re)initializing", 429):
      // the restart is done when each of our types can be listed again.
      if (opts.installCrds !== false) await waitForCrdStorage(setup.admin);
      return { downMs: Date.now() - stoppedAt, readyMs: Date.now() - t0 };
    };
    if (opts.installCrds !== false) await installCrds(api.admin);
    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    const adminUser = {
      'client-certificate-data': Buffer.from(api.admin.cert ?? '').toString('base64'),
      'client-key-data': Buffer.from(api.admin.key ?? '').toString('base64'),
    };
    writeFileSync(kubeconfigPath, kubeconfigYaml(api.server, api.admin.ca, adminUser), { mode: 0o600 });
    const mintToken = async (namespace: string, sa: string, expirationSeconds = 3600): Promise<string> => {
      const res = await kubeRequest(api.admin, 'POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${sa}/token`, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds },
      });
      if (res.status !== 201)
        throw new Error(`TokenRequest for ${namespace}/${sa} failed (${res.status}): ${res.body}`);
      return res.json<{ status: { token: string } }>().status.token;
    };
    return {
      server: api.server,
      dir,
      kubeconfigPath,
      admin: api.admin,
      versions: readStamp(bin),
      startupMs: Date.now() - started,
      get processes() {
        return [...procs];
      },
      restartApiserver,
      mintToken,
      kubeconfigForToken: (token, namespace) => kubeconfigYaml(api.server, api.admin.ca, { token }, namespace),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Starts a control plane, retrying the whole start (as envtest does) when a port was taken in between. */
export async function startControlPlane(opts: StartOptions = {}): Promise<ControlPlane> {
  const bin = controlPlaneBinaries();
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const cp = await startOnce(bin, opts);
      opts.log?.(
        `control plane: kube-apiserver ${cp.versions.kubernetes} + etcd ${cp.versions.etcd} ready in ${cp.startupMs} ms at ${cp.server}`,
      );
      return cp;
    } catch (err) {
      lastError = err;
      const msg = (err as Error).message;
      if (!/address already in use/i.test(msg)) break;
      opts.log?.(`control plane: start attempt ${attempt} lost a port race, retrying`);
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
