import type { Config } from '../config.ts';
import { validateKindDefaults } from '../config.ts';
import type { KubeClient } from '../k8s/client.ts';
import type { Allocation, ObservedObjects, PoolKindAdapter } from '../k8s/kinds/adapter.ts';
import type { K8sObject } from '../k8s/object.ts';
import { observedKey } from '../k8s/kinds/resources.ts';
import { observe } from '../k8s/observe.ts';
import { CLUSTER_LABEL, fieldManagerFor, isManaged } from '../k8s/ownership.ts';
import type { KindAvailability, Observation } from '../k8s/observe.ts';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import { buildIntents } from '../mapping/intents.ts';
import type { PoolIntent } from '../mapping/intent.ts';
import type { Issue } from '../mapping/issue.ts';
import { readSnapshot } from '../netbox/source.ts';
import type { NetBoxReader } from '../netbox/types.ts';
import { applyPlan } from './apply.ts';
import type { ApplyReport } from './apply.ts';
import { calculatePlan } from './plan.ts';
import { renderIntents } from './render.ts';
import type { Rendered } from './render.ts';
import type { Plan, SourceHealth } from './types.ts';

/**
 * One sync cycle, the pipeline in order:
 *   1. source   — read the cluster's prefixes and ranges (and what NetBox holds inside them) from NetBox
 *   2. mapping  — NetBox objects + config → PoolIntents (bad objects become issues, never crashes)
 *   3. render   — each intent through its kind's adapter → desired Kubernetes objects
 *   4. observe  — what the cluster holds: our pools, others' pools, live allocations
 *   5. plan     — the safe difference (policies, guards, live-allocation protection)
 *   6. apply    — carry the plan out (unless this is a plan-only or dry run)
 * A NetBox failure does not end the cycle: the source is marked unhealthy and the plan's guards make sure
 * nothing is deleted because of it. An unreachable apiserver does end it.
 */

export interface CycleDeps {
  config: Config;
  netbox: NetBoxReader;
  adapters: readonly PoolKindAdapter[];
  /** The live cluster; without it the cycle plans against `observedObjects` (offline plan). */
  kube?: KubeClient;
  /** Offline observed state, keyed `apiVersion/kind` (from `plan --observed DIR`). */
  observedObjects?: ObservedObjects;
  logger?: Logger;
}

export interface CycleOptions {
  apply: boolean;
  serverDryRun?: boolean;
  previousPoolCount?: number;
  allowEmptySource?: boolean;
}

export interface CycleResult {
  source: SourceHealth;
  intents: PoolIntent[];
  rendered: Rendered;
  /** Mapping, render and config issues together. */
  issues: Issue[];
  kinds: KindAvailability[];
  allocations: Allocation[];
  plan: Plan;
  apply?: ApplyReport;
  /** What to pass as `previousPoolCount` next cycle: unchanged when the empty-source guard tripped. */
  nextPoolCount?: number;
}

async function readSource(
  deps: CycleDeps,
  log: Logger,
): Promise<{ intents: PoolIntent[]; issues: Issue[]; source: SourceHealth }> {
  try {
    const snapshot = await readSnapshot(deps.netbox, deps.config.selection, {
      filterBatchSize: deps.config.netbox.filterBatchSize,
      concurrency: deps.config.netbox.concurrency,
    });
    const { intents, issues } = buildIntents(snapshot, deps.config);
    log.info(
      { prefixes: snapshot.prefixes.length, ipRanges: snapshot.ipRanges.length, pools: intents.length },
      'read NetBox',
    );
    return { intents, issues, source: { healthy: true } };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    log.error({ err: reason }, 'NetBox read failed; nothing will be deleted this cycle');
    return { intents: [], issues: [], source: { healthy: false, reason } };
  }
}

function offlineObservation(objects: ObservedObjects, adapters: readonly PoolKindAdapter[]): Observation {
  const ownedKeys = new Set(adapters.flatMap(a => a.owns.map(observedKey)));
  const owned: K8sObject[] = [...objects.entries()].filter(([k]) => ownedKeys.has(k)).flatMap(([, v]) => [...v]);
  const namespaces = (objects.get('v1/Namespace') ?? []).map(ns => ({
    name: ns.metadata.name,
    annotations: { ...(ns.metadata.annotations ?? {}) },
  }));
  return {
    objects,
    owned,
    namespaces,
    kinds: adapters.map(a => ({ kind: a.kind, installed: true })),
    unservedSources: [],
  };
}

export async function runCycle(deps: CycleDeps, opts: CycleOptions): Promise<CycleResult> {
  const log = deps.logger ?? silentLogger;
  const { config, adapters } = deps;
  const kindDefaults = validateKindDefaults(config, adapters);

  const { intents, issues: mappingIssues, source } = await readSource(deps, log);

  const observation = deps.kube
    ? await observe(deps.kube, adapters, { logger: log })
    : offlineObservation(deps.observedObjects ?? new Map(), adapters);
  const installed = new Set(observation.kinds.filter(k => k.installed).map(k => k.kind));

  const rendered = renderIntents(intents, {
    cluster: config.cluster,
    adapters,
    defaults: kindDefaults.defaults,
    installed,
  });
  const allocations = adapters.filter(a => installed.has(a.kind)).flatMap(a => a.allocations(observation.objects));
  const issues = [...kindDefaults.issues, ...mappingIssues, ...rendered.issues];

  const plan = calculatePlan({
    cluster: config.cluster,
    desired: rendered.desired,
    observed: observation.owned,
    allocations,
    issues,
    namespaceAssignments: rendered.namespaceAssignments,
    namespaces: observation.namespaces,
    policy: config.policy,
    deleteBudget: config.deleteBudget,
    source,
    previousPoolCount: opts.previousPoolCount,
    allowEmptySource: opts.allowEmptySource,
    adapters: adapters.filter(a => installed.has(a.kind)),
  });
  const guardTripped = plan.guards.some(g => g.guard === 'empty-source');
  // A cycle that saw no pools on either side learned nothing about how many there should be: keep the old count,
  // so a later empty answer from NetBox still trips the guard if our pools show up again in between.
  const ours = observation.owned.filter(o => isManaged(o) && o.metadata.labels?.[CLUSTER_LABEL] === config.cluster);
  const learnedNothing = plan.desiredPools === 0 && ours.length === 0;
  const result: CycleResult = {
    source,
    intents,
    rendered,
    issues,
    kinds: observation.kinds,
    allocations,
    plan,
    nextPoolCount: guardTripped || !source.healthy || learnedNothing ? opts.previousPoolCount : plan.desiredPools,
  };
  if (opts.apply && deps.kube) {
    result.apply = await applyPlan(deps.kube, plan, adapters, {
      fieldManager: fieldManagerFor(config.cluster),
      serverDryRun: opts.serverDryRun,
      logger: log,
    });
  }
  return result;
}
