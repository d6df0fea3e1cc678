import type { PoolKindAdapter } from './adapter.ts';
import type { NamespaceAssignment } from '../model/desired.ts';
import type { PoolIntent, PoolKind } from '../model/intent.ts';
import type { Issue } from '../model/issue.ts';
import { apiVersionOf } from '../model/k8s-object.ts';
import type { DesiredObject } from '../model/desired.ts';

/**
 * Render: each intent through its kind's adapter. An adapter that rejects an intent reports error issues and
 * renders nothing for it; an intent whose kind is not installed in the cluster is skipped with a warning.
 */
export interface Rendered {
  desired: DesiredObject[];
  namespaceAssignments: NamespaceAssignment[];
  issues: Issue[];
}

export interface RenderOptions {
  cluster: string;
  adapters: readonly PoolKindAdapter[];
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
    const result = adapter.render(intent, { cluster: opts.cluster, defaults: opts.defaults[intent.kind] ?? {} });
    out.issues.push(...result.issues);
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
