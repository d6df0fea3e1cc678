import type { Issue } from '../model/issue.ts';
import { runCycle } from '../cycle.ts';
import type { CycleDeps } from '../cycle.ts';
import { renderNamespaces } from '../plan/namespaces.ts';
import { readNamespaceFiles, renderManifests, writeManifests } from '../k8s/manifests.ts';
import type { WriteResult } from '../k8s/manifests.ts';
import type { SourceHealth } from '../model/plan.ts';

/**
 * GitOps mode (`render --out DIR`): everything `apply` would change, as files a GitOps tool applies with server-side
 * apply — the pool objects, and a Namespace file per namespace that `k8s_namespaces` assigns pools to (its name and
 * our annotations only). The files already in DIR stand for the cluster: they are what the GitOps tool applied.
 *
 * Removals (a stale pool file, a namespace annotation value) happen only when NetBox's input was valid this run and
 * the policy removes things (`sync`): in GitOps a removed file is a deleted pool.
 */
export interface GitOpsRender {
  source: SourceHealth;
  /** Mapping, render and namespace issues; errors mean bad NetBox input (nothing was removed). */
  issues: Issue[];
  /** Absent when NetBox could not be read: nothing was written. */
  written?: WriteResult;
  /** Whether stale files and namespace values were removed this run. */
  pruned: boolean;
}

export async function renderToDirectory(deps: CycleDeps, dir: string): Promise<GitOpsRender> {
  const result = await runCycle(deps, { apply: false });
  if (!result.source.healthy) return { source: result.source, issues: result.issues, pruned: false };
  const hasErrors = result.issues.some(i => i.severity === 'error');
  const pruned = !hasErrors && deps.config.policy === 'sync';
  const namespaces = renderNamespaces(result.rendered.namespaceAssignments, await readNamespaceFiles(dir), {
    cluster: deps.config.cluster,
    prune: pruned,
  });
  const files = renderManifests([...result.rendered.desired.map(d => d.object), ...namespaces.objects]);
  const written = await writeManifests(dir, files, { prune: pruned });
  return { source: result.source, issues: [...result.issues, ...namespaces.issues], written, pruned };
}
