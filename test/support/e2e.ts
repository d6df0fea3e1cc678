import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import type { Config } from '../../src/config.ts';
import { KubeClient } from '../../src/k8s/client.ts';
import { ADAPTERS } from '../../src/k8s/kinds/registry.ts';
import { formatIssue } from '../../src/mapping/issue.ts';
import { runBootstrap, wantedObjects } from '../../src/netbox/bootstrap.ts';
import { NetBoxClient } from '../../src/netbox/client/index.ts';
import { runCycle } from '../../src/sync/cycle.ts';
import type { CycleOptions, CycleResult } from '../../src/sync/cycle.ts';
import { startEmulator } from '../../dev/netbox-emulator/index.ts';
import type { Emulator } from '../../dev/netbox-emulator/index.ts';
import { realNetBox, resetRealNetBox } from './netbox.ts';

/**
 * End-to-end support: a NetBox bootstrapped like a real installation (roles, tags, custom fields) by our own
 * `netbox bootstrap`, the real kube-apiserver of the integration environment, and one sync cycle at a time
 * through the real pipeline. Every lab gets its own cluster name, so labs never see each other's pools.
 *
 * NetBox is the real one of the integration environment by default (dev/netbox-real); a lab that needs fault
 * injection (latency, 5xx, 429, hangs, lying pages) asks for `netbox: 'emulator'` and gets an emulator of its
 * own. Real NetBox is shared: a lab that starts while no other lab of its file is open starts from a clean
 * database (cloned from the migrated template), so labs that run one after another may reuse address space, and
 * labs open at the same time keep apart by their cluster names and their own prefixes.
 */

export type NetBoxKind = 'real' | 'emulator';

/** What every lab has of its NetBox, real or emulated. */
export interface LabNetBox {
  kind: NetBoxKind;
  url: string;
  /** v1 and v2 write tokens and a read-only v1 token. */
  tokens: { v1: string; v2: string; readOnly: string };
  /** API version, e.g. `4.7` (real: the running NetBox's full version, e.g. `4.7.3`). */
  version: string;
}

export interface Lab {
  cluster: string;
  clusterTag: string;
  netbox: LabNetBox;
  /** The lab's emulator; throws for a lab on real NetBox (ask for `netbox: 'emulator'` to inject faults). */
  emulator: Emulator;
  client: NetBoxClient;
  config: Config;
  /** One cycle with a fresh KubeClient, so `writes` counts only this cycle's write requests (apply, patch, delete). */
  cycle(opts?: Partial<CycleOptions> & { kubeconfigYaml?: string }): Promise<CycleRun>;
  close(): Promise<void>;
}

export interface CycleRun extends CycleResult {
  writes: number;
  requests: Record<string, number>;
  /** The plan's changes as `action kind name` lines, for readable assertions. */
  actions: string[];
}

export interface LabOptions {
  /** Role slug → pool kind; default maps each DESIGN.md §4 role. */
  roles?: Record<string, string>;
  kinds?: Record<string, unknown>;
  policy?: 'sync' | 'upsert-only' | 'create-only';
  deleteBudget?: { maxCount?: number; maxPercent?: number };
  /** Default: real NetBox, unless the run was started with NBSYNC_NETBOX=emulator. */
  netbox?: NetBoxKind;
}

/** Labs of this test file on real NetBox that are open now (modules are loaded anew for every file). */
let openRealLabs = 0;

/** The NetBox kind labs get when they do not ask for one. */
export function defaultNetBoxKind(): NetBoxKind {
  return realNetBox() === undefined ? 'emulator' : 'real';
}

async function labNetBox(
  kind: NetBoxKind,
): Promise<{ netbox: LabNetBox; emulator?: Emulator; close(): Promise<void> }> {
  if (kind === 'emulator') {
    const emu = await startEmulator();
    return {
      netbox: { kind, url: emu.url, tokens: emu.tokens, version: emu.knobs.apiVersion },
      emulator: emu,
      close: () => emu.close(),
    };
  }
  const real = realNetBox();
  if (real === undefined) throw new Error('a lab asked for real NetBox, but the run uses NBSYNC_NETBOX=emulator');
  if (openRealLabs === 0) await resetRealNetBox();
  openRealLabs++;
  let closed = false;
  return {
    netbox: { kind, url: real.url, tokens: real.tokens, version: real.version },
    close: () => {
      if (!closed) openRealLabs--;
      closed = true;
      return Promise.resolve();
    },
  };
}

export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  const cluster = `e2e-${randomBytes(3).toString('hex')}`;
  const nb = await labNetBox(opts.netbox ?? defaultNetBoxKind());
  const netbox = nb.netbox;
  const client = new NetBoxClient({
    url: netbox.url,
    token: netbox.tokens.v1,
    maxRetries: 1,
    retryBaseMs: 10,
    // Real NetBox takes ~25 ms per object written; a bulk write of a few hundred needs seconds.
    timeoutMs: netbox.kind === 'real' ? 60_000 : 5000,
  });
  const roles = opts.roles ?? {
    'k8s-pod': 'calico',
    'k8s-secondary': 'whereabouts',
    'k8s-rdma': 'nv-ipam',
    'k8s-loadbalancer': 'metallb',
  };
  const boot = await runBootstrap(client, wantedObjects({ cluster, roles: Object.keys(roles) }));
  if (!boot.ok) throw new Error(`bootstrap of NetBox (${netbox.kind}) failed: ${JSON.stringify(boot.results)}`);
  const parsed = parseConfig(
    {
      cluster,
      netbox: { url: netbox.url, tokenEnv: 'E2E_UNUSED_TOKEN' },
      selection: { roles },
      kinds: opts.kinds ?? {},
      policy: opts.policy ?? 'sync',
      deleteBudget: opts.deleteBudget ?? { maxCount: 50, maxPercent: 100 },
    },
    {},
  );
  if (!parsed.ok) throw new Error(`lab config invalid: ${parsed.issues.map(formatIssue).join('; ')}`);
  const config = parsed.config;
  let previousPoolCount: number | undefined;
  const lab: Lab = {
    cluster,
    clusterTag: config.selection.clusterTag,
    netbox,
    get emulator(): Emulator {
      if (nb.emulator === undefined) {
        throw new Error(`lab ${cluster} runs on real NetBox; start it with netbox: 'emulator' to inject faults`);
      }
      return nb.emulator;
    },
    client,
    config,
    async cycle(o = {}) {
      const kube = new KubeClient(
        o.kubeconfigYaml ? { kubeconfigYaml: o.kubeconfigYaml } : { kubeconfig: inject('kubeconfigPath') },
      );
      try {
        const result = await runCycle(
          { config, netbox: client, adapters: ADAPTERS, kube },
          {
            apply: o.apply ?? true,
            serverDryRun: o.serverDryRun,
            previousPoolCount: o.previousPoolCount ?? previousPoolCount,
            allowEmptySource: o.allowEmptySource,
          },
        );
        previousPoolCount = result.nextPoolCount;
        const actions = result.plan.changes.map(c => `${c.action} ${c.kind ?? '-'} ${c.name}`);
        return { ...result, writes: kube.writeCount(), requests: kube.requestCounts(), actions };
      } finally {
        kube.close();
      }
    },
    async close() {
      await nb.close();
    },
  };
  return lab;
}

/** Write shapes for seeding NetBox objects through the client (as a network engineer would create them). */
export function prefixBody(
  lab: Lab,
  prefix: string,
  role: string,
  cf: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    prefix,
    status: 'active',
    role: { slug: role },
    tags: [{ slug: lab.clusterTag }],
    custom_fields: cf,
    ...extra,
  };
}

export function rangeBody(
  lab: Lab,
  start: string,
  end: string,
  role: string,
  cf: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    start_address: start,
    end_address: end,
    status: 'active',
    role: { slug: role },
    tags: [{ slug: lab.clusterTag }],
    custom_fields: cf,
    ...extra,
  };
}
