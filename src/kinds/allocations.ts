import type { PoolKindAdapter } from './adapter.ts';
import type { Allocation, UnreadableSource } from '../model/allocation.ts';
import type { PoolKind } from '../model/intent.ts';
import type { Issue } from '../model/issue.ts';
import type { ObservedObjects } from '../model/k8s-object.ts';
import { objectKey } from '../model/k8s-object.ts';

/**
 * Live allocations of every given kind, and what could not be read of them. A source object with unreadable parts
 * (garbage offsets, impossible ordinals, an ingress address that does not parse) yields one warning naming it, and
 * every kind that reads it counts as not fully read: its allocations there are unknown, so writeback must neither
 * mark nor delete that kind's records because of it (DESIGN.md §5). Pure.
 */
export interface AllocationsRead {
  allocations: Allocation[];
  /** One warning per unreadable source object (a Service both load-balancer kinds read is named once). */
  issues: Issue[];
  /** Kinds whose sources held something unreadable. */
  unreadKinds: Set<PoolKind>;
}

/** Problems shown per object; the count says how many more there were. */
const SHOWN_PER_OBJECT = 3;

export function readAllocations(adapters: readonly PoolKindAdapter[], observed: ObservedObjects): AllocationsRead {
  const problems = new Map<string, { source: UnreadableSource; reasons: string[]; count: number }>();
  const unreadKinds = new Set<PoolKind>();
  const allocations = adapters.flatMap(adapter => {
    const report = (p: UnreadableSource): void => {
      unreadKinds.add(adapter.kind);
      const key = objectKey(p.object);
      const entry = problems.get(key) ?? { source: p, reasons: [], count: 0 };
      const line = `${p.field}: ${p.reason}`;
      if (!entry.reasons.includes(line)) {
        entry.count++;
        if (entry.reasons.length < SHOWN_PER_OBJECT) entry.reasons.push(line);
      }
      problems.set(key, entry);
    };
    try {
      return adapter.allocations(observed, report);
    } catch (err) {
      // A reader bug on data nobody foresaw: that kind's allocations are unknown, the other kinds carry on.
      unreadKinds.add(adapter.kind);
      const reason = `reading ${adapter.kind} allocations failed: ${err instanceof Error ? err.message : String(err)}`;
      problems.set(`kind/${adapter.kind}`, {
        source: {
          object: { apiVersion: '-', kind: adapter.kind, metadata: { name: 'allocations' } },
          field: '',
          reason,
        },
        reasons: [reason.slice(0, 300)],
        count: 1,
      });
      return [];
    }
  });
  const issues = [...problems.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { source, reasons, count }]): Issue => {
      const { apiVersion, kind, metadata } = source.object;
      const more = count > reasons.length ? `; and ${count - reasons.length} more` : '';
      return {
        severity: 'warning',
        subject: {
          type: 'k8s',
          apiVersion,
          kind,
          name: metadata.name,
          ...(metadata.namespace === undefined ? {} : { namespace: metadata.namespace }),
        },
        ...(source.field === '' ? {} : { field: source.field }),
        reason: `live allocations cannot be read: ${reasons.join('; ')}${more}`,
        hint: 'its allocations are unknown: records of its kind are neither marked stale nor deleted until it is fixed',
      };
    });
  return { allocations, issues, unreadKinds };
}
