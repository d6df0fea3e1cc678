import type { PoolKindAdapter } from './adapter.ts';
import type { NamespaceAssignment } from '../model/desired.ts';
import type { PoolIntent, PoolKind } from '../model/intent.ts';
import type { Issue } from '../model/issue.ts';
import { boundedIssue } from '../model/issue.ts';
import { apiVersionOf } from '../model/k8s-object.ts';
import type { DesiredObject } from '../model/desired.ts';

/**
 * Render: each intent through its kind's adapter. An adapter that rejects an intent reports error issues and
 * renders nothing for it; an intent whose kind is not installed in the cluster is skipped with a warning, and one
 * whose kind has invalid config defaults is withheld with an error (its pool is held as it is).
 */
export interface Rendered {
  desired: DesiredObject[];
  namespaceAssignments: NamespaceAssignment[];
  issues: Issue[];
}

export interface RenderOptions {
  cluster: string;
  adapters: readonly PoolKindAdapter[];
  /** Validated `kinds.<kind>` defaults (validateKindDefaults); a kind missing here has an invalid section. */
  defaults: Partial<Record<PoolKind, Record<string, unknown>>>;
  /** Kinds whose CRDs the cluster serves; absent: render every kind (GitOps `render`, offline `plan`). */
  installed?: ReadonlySet<PoolKind>;
}

export function renderIntents(intents: readonly PoolIntent[], opts: RenderOptions): Rendered {
  const out: Rendered = { desired: [], namespaceAssignments: [], issues: [] };
  const byKind = new Map(opts.adapters.map(a => [a.kind, a]));
  for (const intent of intents) {
    const adapter = byKind.get(intent.kind);
    const subject = { type: 'pool' as const, kind: intent.kind, name: intent.name, namespace: intent.namespace };
    if (!adapter) {
      out.issues.push({ severity: 'error', subject, reason: `no adapter for pool kind ${intent.kind}` });
      continue;
    }
    if (opts.installed && !opts.installed.has(intent.kind)) {
      out.issues.push({
        severity: 'warning',
        subject,
        reason: `${intent.kind} is not installed in this cluster; the pool is not published`,
        hint: `install ${intent.kind}'s CRDs, or map this role to another kind`,
      });
      continue;
    }
    const defaults = opts.defaults[intent.kind];
    if (defaults === undefined) {
      // Rendering with the built-in defaults instead would silently change (or, for an immutable field such as
      // Calico's blockSize, replace) every pool of the kind: withhold them until the config is fixed.
      out.issues.push({
        severity: 'error',
        subject,
        reason: `not rendered: the config section kinds.${intent.kind} has errors`,
        hint: 'the pool in the cluster is left as it is until the config is fixed (see `config check`)',
      });
      continue;
    }
    const result = adapter.render(intent, { cluster: opts.cluster, defaults });
    out.issues.push(...result.issues.map(boundedIssue));
    out.namespaceAssignments.push(...result.namespaceAssignments);
    const primary = adapter.owns[0];
    for (const object of result.objects) {
      out.desired.push({
        object,
        poolKind: intent.kind,
        sources: intent.sources,
        primary: primary !== undefined && object.apiVersion === apiVersionOf(primary) && object.kind === primary.kind,
      });
    }
  }
  return out;
}
