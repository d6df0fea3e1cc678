import { liveCluster } from '../../src/k8s/cluster.ts';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import type { Config } from '../../src/config/config.ts';
import { KubeClient } from '../../src/k8s/client.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import { formatIssue } from '../../src/model/issue.ts';
import { runBootstrap, wantedObjects } from '../../src/netbox/bootstrap/bootstrap.ts';
import { NetBoxClient } from '../../src/netbox/client/index.ts';
import { runCycle } from '../../src/cycle.ts';
import type { CycleOptions, CycleResult } from '../../src/cycle.ts';
import { startEmulator } from '../../dev/netbox-emulator/index.ts';
import type { Emulator } from '../../dev/netbox-emulator/index.ts';

/**
 * End-to-end support: a NetBox emulator bootstrapped like a real installation (roles, tags, custom fields), the
 * real kube-apiserver of the integration environment, and one sync cycle at a time through the real pipeline.
 * Every lab gets its own cluster name, so labs never see each other's pools.
 */

export interface Lab {
  cluster: string;
  clusterTag: string;
  netbox: Emulator;
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
}

export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  const cluster = `e2e-${randomBytes(3).toString('hex')}`;
  const netbox = await startEmulator();
  const client = new NetBoxClient({
    url: netbox.url,
    token: netbox.tokens.v1,
    maxRetries: 1,
    retryBaseMs: 10,
    timeoutMs: 5000,
  });
  const roles = opts.roles ?? {
    'k8s-pod': 'calico',
    'k8s-secondary': 'whereabouts',
    'k8s-rdma': 'nv-ipam',
    'k8s-loadbalancer': 'metallb',
  };
  const boot = await runBootstrap(client, wantedObjects({ cluster, roles: Object.keys(roles) }));
  if (!boot.ok) throw new Error(`bootstrap of the emulator failed: ${JSON.stringify(boot.counts)}`);
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
    client,
    config,
    async cycle(o = {}) {
      const kube = new KubeClient(
        o.kubeconfigYaml ? { kubeconfigYaml: o.kubeconfigYaml } : { kubeconfig: inject('kubeconfigPath') },
      );
      try {
        const result = await runCycle(
          { config, netbox: client, adapters: ADAPTERS, ...liveCluster(kube) },
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
      await netbox.close();
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
