import type { Config } from './config/config.ts';
import { validateKindDefaults } from './config/config.ts';
import type { ApplyReport } from './k8s/apply.ts';
import type { ClusterReader, ClusterWriter } from './k8s/cluster.ts';
import type { KindAvailability } from './k8s/observe.ts';
import type { PoolKindAdapter } from './kinds/adapter.ts';
import { readAllocations } from './kinds/allocations.ts';
import { renderIntents } from './kinds/render.ts';
import type { Rendered } from './kinds/render.ts';
import type { Logger } from './log.ts';
import { silentLogger } from './log.ts';
import { buildIntents } from './mapping/intents.ts';
import type { Allocation } from './model/allocation.ts';
import type { PoolIntent, PoolKind } from './model/intent.ts';
import type { Issue } from './model/issue.ts';
import { formatIssue } from './model/issue.ts';
import type { NetBoxReader, NetBoxSnapshot } from './model/netbox.ts';
import { CLUSTER_LABEL, fieldManagerFor, isManaged } from './model/ownership.ts';
import type { Plan, SourceHealth } from './model/plan.ts';
import { readSnapshot } from './netbox/source.ts';
import { applyWriteback, foreignRecords, readOwnedRecords } from './netbox/records.ts';
import type { RecordsApi, WritebackReport } from './netbox/records.ts';
import type { OwnedRecord } from './writeback/types.ts';
import { desiredRecords } from './writeback/desired.ts';
import { calculateWriteback } from './writeback/plan.ts';
import { writebackSettings } from './writeback/settings.ts';
import type { WritebackPlan } from './writeback/types.ts';
import { calculatePlan } from './plan/plan.ts';
import { buildDriftReport } from './drift/report.ts';
import type { DriftReport } from './model/drift.ts';

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
  /** What the cluster holds: the live apiserver (`LiveCluster`), or objects given offline (`StaticCluster`). */
  cluster: ClusterReader;
  /** Carries the plan out; absent when planning offline, where nothing can be applied. */
  writer?: ClusterWriter;
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

interface SourceResult {
  intents: PoolIntent[];
  issues: Issue[];
  source: SourceHealth;
  /** What NetBox answered; absent when it could not be read. */
  snapshot?: NetBoxSnapshot;
}

/** Steps 1 and 2. A failed read is a NetBox outage; a failed mapping is our bug, reported as such, never as an outage. */
async function readSource(deps: CycleDeps, log: Logger): Promise<SourceResult> {
  let snapshot: NetBoxSnapshot;
  try {
    snapshot = await readSnapshot(deps.netbox, deps.config.selection, {
      filterBatchSize: deps.config.netbox.filterBatchSize,
      concurrency: deps.config.netbox.concurrency,
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    log.error({ err: reason }, 'NetBox read failed; nothing will be deleted this cycle');
    return { intents: [], issues: [], source: { healthy: false, reason } };
  }
  try {
    const { intents, issues } = buildIntents(snapshot, deps.config);
    log.info(
      { prefixes: snapshot.prefixes.length, ipRanges: snapshot.ipRanges.length, pools: intents.length },
      'read NetBox',
    );
    return { intents, issues, source: { healthy: true }, snapshot };
  } catch (err) {
    // Mapping contains errors per object; reaching here means a bug outside any one object. Without intents the
    // plan must not read "NetBox is empty", so the source counts as untrusted: nothing is deleted this cycle.
    const reason = `mapping NetBox objects to pools failed: ${err instanceof Error ? err.message : String(err)}`;
    log.error({ err: reason }, 'mapping failed; nothing will be deleted this cycle');
    const issue: Issue = {
      severity: 'error',
      subject: { type: 'config', path: 'selection' },
      reason,
      hint: 'this is a bug in netbox-ippool-sync: please report it; NetBox itself was read',
    };
    return { intents: [], issues: [issue], source: { healthy: false, reason } };
  }
}

export async function runCycle(deps: CycleDeps, opts: CycleOptions): Promise<CycleResult> {
  const log = deps.logger ?? silentLogger;
  const { config, adapters } = deps;
  const kindDefaults = validateKindDefaults(config, adapters);

  const { intents, issues: mappingIssues, source } = await readSource(deps, log);

  const observation = await deps.cluster.observe(adapters, log);
  const installed = new Set(observation.kinds.filter(k => k.installed).map(k => k.kind));

  const rendered = renderIntents(intents, {
    cluster: config.cluster,
    adapters,
    defaults: kindDefaults.defaults,
    installed,
  });
  const live = readAllocations(
    adapters.filter(a => installed.has(a.kind)),
    observation.objects,
  );
  const allocations = live.allocations;
  const issues = [...kindDefaults.issues, ...mappingIssues, ...rendered.issues, ...live.issues];

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
  // Pools held for an invalid NetBox source still exist in NetBox: counting only the readable ones would let a
  // cycle where everything is invalid lower the count to 0, and a later empty answer would then delete them all.
  const heldInvalid = plan.guards.some(g => g.guard === 'invalid-source');
  const counted =
    heldInvalid && opts.previousPoolCount === undefined
      ? undefined
      : heldInvalid
        ? Math.max(plan.desiredPools, opts.previousPoolCount ?? 0)
        : plan.desiredPools;
  const result: CycleResult = {
    source,
    intents,
    rendered,
    issues,
    kinds: observation.kinds,
    allocations,
    plan,
    nextPoolCount: guardTripped || !source.healthy || learnedNothing ? opts.previousPoolCount : counted,
  };
  if (opts.apply) {
    if (deps.writer === undefined) throw new Error('this cycle has no cluster writer: it can plan, not apply');
    result.apply = await deps.writer.apply(plan, adapters, {
      fieldManager: fieldManagerFor(config.cluster),
      serverDryRun: opts.serverDryRun,
      concurrency: config.apply.concurrency,
      logger: log,
    });
  }
  return result;
}

export interface WritebackCycleOptions {
  /** Plan only: read both sides, write nothing. */
  dryRun: boolean;
  /** The clock, for stale marks and the grace period. */
  now?: Date;
}

export interface WritebackCycleResult {
  source: SourceHealth;
  /** Mapping and config issues of this read (the pools whose allocations could not be placed). */
  issues: Issue[];
  kinds: KindAvailability[];
  /** Kinds whose records may be marked stale or deleted this cycle. */
  fullyRead: PoolKind[];
  allocations: Allocation[];
  plan?: WritebackPlan;
  report?: WritebackReport;
}

/**
 * One writeback cycle: the pipeline's other half.
 *   1. source   — NetBox's selected space and what it records there (as for sync)
 *   2. observe  — the cluster's live allocations, each tied to its pool by the kind's own rules
 *   3. desired  — allocations → records (VRF and mask from the pool's NetBox object)
 *   4. plan     — against the records we own; conflicts where NetBox holds the address for something else
 *   5. apply    — bulk writes (unless a dry run)
 * When NetBox cannot be read nothing is planned: an allocation cannot be placed without its pool's NetBox object.
 */
export async function runWriteback(
  deps: CycleDeps & { netbox: RecordsApi },
  opts: WritebackCycleOptions,
): Promise<WritebackCycleResult> {
  const log = deps.logger ?? silentLogger;
  const { config, adapters } = deps;
  const { intents, issues, source, snapshot } = await readSource(deps, log);
  const observation = await deps.cluster.observe(adapters, log);
  const installed = new Set(observation.kinds.filter(k => k.installed).map(k => k.kind));
  const live = readAllocations(
    adapters.filter(a => installed.has(a.kind)),
    observation.objects,
  );
  const allocations = live.allocations;
  // A kind with an unreadable source was not fully read: its records are neither marked stale nor deleted.
  const fullyRead = observation.fullyRead.filter(k => !live.unreadKinds.has(k));
  for (const issue of live.issues) log.warn({ issue: formatIssue(issue) }, 'allocation source unreadable');
  const base = { source, issues: [...issues, ...live.issues], kinds: observation.kinds, fullyRead, allocations };
  if (!source.healthy || snapshot === undefined) {
    log.error({ reason: source.reason }, 'NetBox could not be read: writeback planned nothing');
    return base;
  }
  const settings = writebackSettings(config, adapters);
  const desired = desiredRecords(allocations, intents, settings);
  let owned: OwnedRecord[];
  try {
    owned = await readOwnedRecords(deps.netbox, settings, snapshot);
  } catch (err) {
    // Without the full list of our records every allocation would look unrecorded (re-created) and every record
    // unknown: plan nothing, and say that NetBox was not read.
    const reason = `the records this cluster owns in NetBox could not be read: ${err instanceof Error ? err.message : String(err)}`;
    log.error({ reason }, 'NetBox could not be read: writeback planned nothing');
    return { ...base, source: { healthy: false, reason } };
  }
  const plan = calculateWriteback({
    desired: desired.records,
    owned,
    foreign: foreignRecords(snapshot, owned),
    readKinds: new Set(fullyRead),
    settings,
    now: opts.now ?? new Date(),
  });
  plan.conflicts.unshift(...desired.conflicts);
  plan.summary.conflict = plan.conflicts.length;
  log.info({ ...plan.summary, dryRun: opts.dryRun }, 'writeback planned');
  if (opts.dryRun) return { ...base, plan };
  const report = await applyWriteback(deps.netbox, plan, settings);
  if (report.aborted !== undefined) log.error({ reason: report.aborted }, 'writeback stopped early');
  return { ...base, plan, report };
}

/**
 * One drift cycle: a read-only sync cycle and a dry-run writeback (conflicts, stale records), and the report built
 * from both. Nothing is written to either system.
 */
export async function runDriftReport(
  deps: CycleDeps & { netbox: RecordsApi },
  opts: { now?: Date } = {},
): Promise<DriftReport> {
  const now = opts.now ?? new Date();
  const result = await runCycle(deps, { apply: false });
  const wb = result.source.healthy ? await runWriteback(deps, { dryRun: true, now }) : undefined;
  // The writeback half reads NetBox again; when that read fails, its conflicts and stale records are unknown, so
  // the report must not say "no drift" on the strength of the sync half alone.
  const source = wb !== undefined && !wb.source.healthy ? wb.source : result.source;
  return buildDriftReport({
    cluster: deps.config.cluster,
    netboxUrl: deps.config.netbox.url,
    source,
    intents: result.intents,
    issues: result.issues,
    kinds: result.kinds,
    allocations: result.allocations,
    plan: result.plan,
    adapters: deps.adapters,
    threshold: deps.config.drift.utilisationThreshold,
    ...(wb?.plan === undefined ? {} : { writeback: { conflicts: wb.plan.conflicts, kept: wb.plan.kept } }),
    generatedAt: now.toISOString(),
  });
}
