import type { KubeClient } from '../k8s/client.ts';
import { KubeApiError, KubeUnavailableError } from '../k8s/errors.ts';
import type { PoolKindAdapter } from '../kinds/adapter.ts';
import { NAMESPACE_TYPE } from '../k8s/observe.ts';
import type { K8sObject, ResourceType } from '../model/k8s-object.ts';
import { apiVersionOf } from '../model/k8s-object.ts';
import { CLUSTER_LABEL, isManaged, MANAGED_BY_LABEL } from '../model/ownership.ts';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import { foreignRemovals, removalPatch, upgradedManagedFields } from './foreign-fields.ts';
import { isRecord } from '../model/values.ts';
import type { AppliedChange, Change, Plan, RewriteChange } from '../model/plan.ts';
import { isApplied } from '../model/plan.ts';

/**
 * Apply: carry out a plan's changes in the plan's order (creates and replacement creates first, drains before
 * deletes), updates with server-side apply as the cluster name's field manager (`netbox-ippool-sync/<cluster>`).
 *
 * Safety, per change:
 * - Updates and drains send the observed resourceVersion, so a write racing with someone else's fails with 409;
 *   it is retried (bounded) after a fresh read, and only while the object is still ours.
 * - Deletes carry uid + resourceVersion preconditions: an object that changed since it was observed (new
 *   allocations, someone relabelled it) is not deleted this cycle.
 * - A create is one POST, which cannot overwrite: 409 AlreadyExists means someone else's object took the name
 *   since the cluster was observed; it is left alone (skipped, cause `foreign`). No GET before each create.
 * - Changes go out phase by phase in the plan's order (applyPhases), up to `concurrency` at once inside a phase.
 * - A per-object failure (422, 403, ...) is recorded against that change and the run goes on; an unreachable
 *   apiserver stops the run, and every change not reached is reported as `not-attempted`.
 */

export type ApplyOutcome = 'applied' | 'unchanged' | 'failed' | 'skipped' | 'not-attempted';

export interface ChangeResult {
  change: Change;
  outcome: ApplyOutcome;
  /** What went wrong, with what to do, for `failed` and `skipped`. */
  message?: string;
  /** For `skipped`: `foreign` when an object we do not own holds the name (a create answered 409 AlreadyExists). */
  cause?: SkipCause;
}

export interface ApplyReport {
  results: ChangeResult[];
  /** Set when the apiserver became unreachable and the run stopped early. */
  aborted?: string;
  serverDryRun: boolean;
}

export interface ApplyOptions {
  /** Field manager of every write: `fieldManagerFor(cluster)`, one per cluster name. */
  fieldManager: string;
  serverDryRun?: boolean;
  /** Attempts for one change when the object changed under us (409). */
  conflictRetries?: number;
  /** Writes in flight at once inside one phase of the plan (config `apply.concurrency`). */
  concurrency?: number;
  logger?: Logger;
}

/** Writes in flight at once when the caller does not say: see config `apply.concurrency`. */
export const DEFAULT_APPLY_CONCURRENCY = 4;

function typeIndex(adapters: readonly PoolKindAdapter[]): Map<string, ResourceType> {
  const index = new Map<string, ResourceType>();
  for (const rt of [...adapters.flatMap(a => [...a.owns, ...a.reads]), NAMESPACE_TYPE]) {
    index.set(`${apiVersionOf(rt)}/${rt.kind}`, rt);
  }
  return index;
}

/** Why a change was skipped: `foreign` = someone else's object holds the name; `race` = it changed under us. */
export type SkipCause = 'foreign' | 'race';

class SkipChange extends Error {
  readonly skipCause: SkipCause;
  constructor(message: string, skipCause: SkipCause = 'race') {
    super(message);
    this.skipCause = skipCause;
  }
}

type Settings = Required<Pick<ApplyOptions, 'serverDryRun' | 'conflictRetries' | 'fieldManager'>>;

async function applyOne(
  kube: KubeClient,
  rt: ResourceType,
  change: AppliedChange,
  opts: Settings,
): Promise<ApplyOutcome> {
  const name = change.name;
  const namespace = change.namespace;
  const dry = { serverDryRun: opts.serverDryRun, fieldManager: opts.fieldManager };
  switch (change.action) {
    case 'annotate': {
      // The plan's patch names only the annotations that change (null removes one). A merge patch changes exactly
      // those; an apply of that subset would make the apiserver drop every other annotation we set before.
      const annotations = change.patch.metadata.annotations;
      await kube.mergePatch(rt, name, undefined, { metadata: { annotations } }, dry);
      return 'applied';
    }
    case 'delete': {
      const { uid, resourceVersion } = change.observed.metadata;
      const preconditions = { uid, resourceVersion };
      try {
        const res = await kube.delete(rt, name, namespace, { ...dry, preconditions });
        return res === 'deleted' ? 'applied' : 'unchanged';
      } catch (err) {
        if (err instanceof KubeApiError && err.isConflict) {
          throw new SkipChange('the object changed since it was observed; not deleted, planned again next cycle');
        }
        throw err;
      }
    }
    case 'replace': {
      const { uid, resourceVersion } = change.observed.metadata;
      await kube.delete(rt, name, namespace, { ...dry, preconditions: { uid, resourceVersion } });
      // A dry-run delete leaves the old object in place, so the replacement could only be checked against it
      // (and the immutable field would be refused): the create is validated on the real run.
      if (!opts.serverDryRun) await kube.apply(rt, change.desired, { force: true, fieldManager: opts.fieldManager });
      return 'applied';
    }
    case 'create':
      return createOne(kube, rt, change, opts);
    case 'update':
    case 'drain':
      return applyWithFreshReads(kube, rt, change, opts);
  }
}

/**
 * Update or drain with optimistic concurrency: on 409 re-read, re-check ownership, try again (bounded). Fields
 * another manager added are removed first (foreign-fields.ts), or the update would never take effect.
 */
/**
 * A create is one POST, which cannot overwrite anything. 409 AlreadyExists means the name was taken after the
 * cluster was observed: someone else's object is left alone (blocked, `foreign`); one of ours (another replica, or
 * a create whose answer was lost) is brought up to date with an apply, as an update would.
 */
async function createOne(
  kube: KubeClient,
  rt: ResourceType,
  change: AppliedChange & { action: 'create' },
  opts: Settings,
): Promise<ApplyOutcome> {
  const dry = { serverDryRun: opts.serverDryRun, fieldManager: opts.fieldManager };
  try {
    await kube.create(rt, change.desired, dry);
    return 'applied';
  } catch (err) {
    if (!(err instanceof KubeApiError) || !err.isAlreadyExists) throw err;
  }
  const existing = await kube.get(rt, change.name, change.namespace);
  if (existing === null) {
    throw new SkipChange('an object of this name existed at create time and is gone now; created next cycle', 'race');
  }
  const cluster = change.desired.metadata.labels?.[CLUSTER_LABEL];
  if (!isManaged(existing) || existing.metadata.labels?.[CLUSTER_LABEL] !== cluster) {
    throw new SkipChange(
      `blocked: an object of this name appeared without our ${MANAGED_BY_LABEL} label` +
        `${isManaged(existing) ? ' for this cluster' : ''} (someone else's); it is left alone`,
      'foreign',
    );
  }
  const update: RewriteChange = { ...change, action: 'update', observed: existing };
  return applyWithFreshReads(kube, rt, update, opts);
}

/**
 * The merge patch to send before an update's apply, if one is needed: the fields someone else added that this
 * update removes, and — only when the update removes something our create's `Update` entry would otherwise keep (a
 * field the update leaves out, or an item of a set) — the fields of our create handed to our apply. A changed value
 * needs neither: a forced apply sets it. Conditional on `resourceVersion`.
 */
function prePatch(
  change: RewriteChange,
  current: K8sObject | undefined,
  fieldManager: string,
  resourceVersion: string | undefined,
): Record<string, unknown> | undefined {
  if (current === undefined) return undefined;
  const diff = change.diff ?? [];
  const removedItem = diff.some(d => d.to === undefined && d.from !== undefined && d.path.endsWith(']'));
  const kept = foreignRemovals(diff, change.desired, current, fieldManager);
  const managedFields = kept.length === 0 && !removedItem ? undefined : upgradedManagedFields(current, fieldManager);
  const seen = managedFields === undefined ? current : { ...current, metadata: { ...current.metadata, managedFields } };
  const foreign = managedFields === undefined ? kept : foreignRemovals(diff, change.desired, seen, fieldManager);
  if (foreign.length === 0 && managedFields === undefined) return undefined;
  const patch = removalPatch(foreign, resourceVersion);
  if (managedFields !== undefined) {
    const metadata = isRecord(patch['metadata']) ? patch['metadata'] : {};
    patch['metadata'] = { ...metadata, managedFields };
  }
  return patch;
}

async function applyWithFreshReads(
  kube: KubeClient,
  rt: ResourceType,
  change: RewriteChange,
  opts: Settings,
): Promise<ApplyOutcome> {
  const desired = change.desired;
  let current: K8sObject | undefined = change.observed;
  for (let attempt = 1; ; attempt++) {
    let resourceVersion = current?.metadata.resourceVersion;
    try {
      const patch = prePatch(change, current, opts.fieldManager, resourceVersion);
      if (patch !== undefined) {
        const patched = await kube.mergePatch(rt, change.name, change.namespace, patch, opts);
        resourceVersion = patched.metadata.resourceVersion ?? resourceVersion;
      }
      const body: K8sObject = {
        ...desired,
        metadata: { ...desired.metadata, ...(resourceVersion ? { resourceVersion } : {}) },
      };
      await kube.apply(rt, body, { serverDryRun: opts.serverDryRun, force: true, fieldManager: opts.fieldManager });
      return 'applied';
    } catch (err) {
      if (!(err instanceof KubeApiError) || !err.isConflict || attempt >= opts.conflictRetries) throw err;
      const fresh = await kube.get(rt, change.name, change.namespace);
      if (!fresh) throw new SkipChange('the object was deleted while we were updating it; it is recreated next cycle');
      if (!isManaged(fresh))
        throw new SkipChange(`the object lost its ${MANAGED_BY_LABEL} label; it is no longer ours`, 'foreign');
      current = fresh;
    }
  }
}

/**
 * The plan's changes cut into phases: runs of consecutive changes with the same action on the same resource type.
 * The plan orders what must come first (companions before pools, creates before drains, drains before deletes,
 * a pool's delete before its companions'), and every such boundary falls between two phases; inside a phase the
 * changes touch different objects and do not depend on each other.
 */
export function applyPhases(changes: readonly Change[]): AppliedChange[][] {
  const phases: AppliedChange[][] = [];
  let key: string | undefined;
  for (const change of changes) {
    if (!isApplied(change)) continue;
    const k = `${change.action} ${change.apiVersion}/${change.kind}`;
    const last = phases.at(-1);
    if (k === key && last !== undefined) last.push(change);
    else phases.push([change]);
    key = k;
  }
  return phases;
}

export async function applyPlan(
  kube: KubeClient,
  plan: Plan,
  adapters: readonly PoolKindAdapter[],
  opts: ApplyOptions,
): Promise<ApplyReport> {
  const log = opts.logger ?? silentLogger;
  const settings: Settings = {
    serverDryRun: opts.serverDryRun ?? false,
    conflictRetries: opts.conflictRetries ?? 3,
    fieldManager: opts.fieldManager,
  };
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_APPLY_CONCURRENCY));
  const types = typeIndex(adapters);
  let aborted: string | undefined;

  const applyChange = async (change: AppliedChange): Promise<ChangeResult> => {
    if (aborted) return { change, outcome: 'not-attempted', message: `not attempted: ${aborted}` };
    const rt = types.get(`${change.apiVersion}/${change.kind}`);
    if (!rt) {
      return { change, outcome: 'failed', message: `no resource type known for ${change.apiVersion} ${change.kind}` };
    }
    const subject = { action: change.action, kind: change.kind, name: change.name, namespace: change.namespace };
    try {
      const outcome = await applyOne(kube, rt, change, settings);
      log.info(
        { ...subject, outcome, dryRun: settings.serverDryRun },
        `${change.action} ${change.kind} ${change.name}`,
      );
      return { change, outcome };
    } catch (err) {
      if (err instanceof KubeUnavailableError) {
        aborted ??= err.message;
        log.error({ ...subject, err: err.message }, 'Kubernetes API unavailable; stopping this apply run');
        return { change, outcome: 'failed', message: err.message };
      } else if (err instanceof SkipChange) {
        log.warn({ ...subject, reason: err.message, cause: err.skipCause }, 'change skipped');
        return { change, outcome: 'skipped', message: err.message, cause: err.skipCause };
      } else if (err instanceof KubeApiError) {
        log.error({ ...subject, status: err.status, err: err.message }, 'change failed');
        return { change, outcome: 'failed', message: err.message };
      }
      throw err;
    }
  };

  // Phases one after the other; inside a phase up to `concurrency` changes in flight. Results keep the plan's order.
  const results: ChangeResult[] = [];
  for (const phase of applyPhases(plan.changes)) {
    results.push(...(await mapLimit(phase, concurrency, applyChange)));
  }
  return { results, aborted, serverDryRun: settings.serverDryRun };
}

/** Runs `fn` over the items with at most `limit` in flight; results in the items' order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
