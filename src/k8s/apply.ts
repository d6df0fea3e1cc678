import type { KubeClient } from '../k8s/client.ts';
import { KubeApiError, KubeUnavailableError } from '../k8s/errors.ts';
import type { PoolKindAdapter } from '../kinds/adapter.ts';
import { NAMESPACE_TYPE } from '../k8s/observe.ts';
import type { K8sObject, ResourceType } from '../model/k8s-object.ts';
import { apiVersionOf } from '../model/k8s-object.ts';
import { isManaged, MANAGED_BY_LABEL } from '../model/ownership.ts';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import { foreignRemovals, removalPatch } from './foreign-fields.ts';
import type { AppliedChange, Change, Plan, RewriteChange } from '../model/plan.ts';
import { isApplied } from '../model/plan.ts';

/**
 * Apply: carry out a plan's changes in the plan's order (creates and replacement creates first, drains before
 * deletes), each with server-side apply as the cluster name's field manager (`netbox-ippool-sync/<cluster>`).
 *
 * Safety, per change:
 * - Updates and drains send the observed resourceVersion, so a write racing with someone else's fails with 409;
 *   it is retried (bounded) after a fresh read, and only while the object is still ours.
 * - Deletes carry uid + resourceVersion preconditions: an object that changed since it was observed (new
 *   allocations, someone relabelled it) is not deleted this cycle.
 * - Creates check first that nobody created an unmanaged object of that name in the meantime, and do not force
 *   conflicts: an object created by someone else between that check and the write is not taken over.
 * - A per-object failure (422, 403, ...) is recorded against that change and the run goes on; an unreachable
 *   apiserver stops the run, and every change not reached is reported as `not-attempted`.
 */

export type ApplyOutcome = 'applied' | 'unchanged' | 'failed' | 'skipped' | 'not-attempted';

export interface ChangeResult {
  change: Change;
  outcome: ApplyOutcome;
  /** What went wrong, with what to do, for `failed` and `skipped`. */
  message?: string;
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
  logger?: Logger;
}

function typeIndex(adapters: readonly PoolKindAdapter[]): Map<string, ResourceType> {
  const index = new Map<string, ResourceType>();
  for (const rt of [...adapters.flatMap(a => [...a.owns, ...a.reads]), NAMESPACE_TYPE]) {
    index.set(`${apiVersionOf(rt)}/${rt.kind}`, rt);
  }
  return index;
}

class SkipChange extends Error {}

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
    case 'create': {
      const existing = await kube.get(rt, name, namespace);
      if (existing && !isManaged(existing)) {
        throw new SkipChange(`an object of this name appeared without our ${MANAGED_BY_LABEL} label; it is left alone`);
      }
      // Not forced: if someone creates the object between this read and our write, their fields conflict (409) and
      // stay theirs, instead of being taken over and labelled ours.
      try {
        await kube.apply(rt, change.desired, { ...dry, force: false });
      } catch (err) {
        if (!(err instanceof KubeApiError) || !err.isConflict) throw err;
        const now = await kube.get(rt, name, namespace);
        const whose =
          now && !isManaged(now) ? `without our ${MANAGED_BY_LABEL} label` : 'with fields another writer owns';
        throw new SkipChange(
          `an object of this name appeared while it was being created, ${whose}; it is left alone and planned again ` +
            `next cycle (${err.message})`,
        );
      }
      return 'applied';
    }
    case 'update':
    case 'drain':
      return applyWithFreshReads(kube, rt, change, opts);
  }
}

/**
 * Update or drain with optimistic concurrency: on 409 re-read, re-check ownership, try again (bounded). Fields
 * another manager added are removed first (foreign-fields.ts), or the update would never take effect.
 */
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
      const foreign =
        current === undefined ? [] : foreignRemovals(change.diff ?? [], desired, current, opts.fieldManager);
      if (foreign.length > 0) {
        const patch = removalPatch(foreign, resourceVersion);
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
        throw new SkipChange(`the object lost its ${MANAGED_BY_LABEL} label; it is no longer ours`);
      current = fresh;
    }
  }
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
  const types = typeIndex(adapters);
  const results: ChangeResult[] = [];
  let aborted: string | undefined;
  for (const change of plan.changes) {
    if (!isApplied(change)) continue;
    if (aborted) {
      results.push({ change, outcome: 'not-attempted', message: `not attempted: ${aborted}` });
      continue;
    }
    const rt = types.get(`${change.apiVersion}/${change.kind}`);
    if (!rt) {
      results.push({
        change,
        outcome: 'failed',
        message: `no resource type known for ${change.apiVersion} ${change.kind}`,
      });
      continue;
    }
    const subject = { action: change.action, kind: change.kind, name: change.name, namespace: change.namespace };
    try {
      const outcome = await applyOne(kube, rt, change, settings);
      results.push({ change, outcome });
      log.info(
        { ...subject, outcome, dryRun: settings.serverDryRun },
        `${change.action} ${change.kind} ${change.name}`,
      );
    } catch (err) {
      if (err instanceof KubeUnavailableError) {
        aborted = err.message;
        results.push({ change, outcome: 'failed', message: err.message });
        log.error({ ...subject, err: err.message }, 'Kubernetes API unavailable; stopping this apply run');
      } else if (err instanceof SkipChange) {
        results.push({ change, outcome: 'skipped', message: err.message });
        log.warn({ ...subject, reason: err.message }, 'change skipped');
      } else if (err instanceof KubeApiError) {
        results.push({ change, outcome: 'failed', message: err.message });
        log.error({ ...subject, status: err.status, err: err.message }, 'change failed');
      } else {
        throw err;
      }
    }
  }
  return { results, aborted, serverDryRun: settings.serverDryRun };
}
