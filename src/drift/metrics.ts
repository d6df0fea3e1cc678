import { DRIFT_CATEGORIES } from '../model/drift.ts';
import type { DriftReport } from '../model/drift.ts';

/**
 * Prometheus metric names the daemon exports, and the gauges a drift report yields. The alert rules in
 * deploy/alerts/netbox-ippool-sync.rules.yaml use exactly these names; rename one and the rules stop matching.
 */

/** Gauge: drift entries per category. Labels: cluster, category. Every category is exported, zero included. */
export const DRIFT_ENTRIES = 'netbox_ippool_sync_drift_entries';
/** Gauge: 1 when the report's NetBox read succeeded, 0 when drift is unknown. Labels: cluster. */
export const DRIFT_SOURCE_HEALTHY = 'netbox_ippool_sync_drift_source_healthy';
/** Gauge: addresses handed out from a pool. Labels: cluster, kind, namespace ('' when cluster-scoped), pool. */
export const POOL_USED_ADDRESSES = 'netbox_ippool_sync_pool_used_addresses';
/** Gauge: addresses a pool may hand out (NetBox blocks minus NetBox-held addresses). Labels as above. */
export const POOL_SIZE_ADDRESSES = 'netbox_ippool_sync_pool_size_addresses';
/** Gauge: used / size, 0-1. Labels as above. */
export const POOL_UTILISATION_RATIO = 'netbox_ippool_sync_pool_utilisation_ratio';
/** Gauge: the configured threshold (`drift.utilisationThreshold`) as a ratio, 0-1. Labels: cluster. */
export const UTILISATION_THRESHOLD_RATIO = 'netbox_ippool_sync_utilisation_threshold_ratio';
/** Counter (the daemon's, not the report's): finished cycles. Labels: cluster, outcome (`success` | `failure`). */
export const CYCLES_TOTAL = 'netbox_ippool_sync_cycles_total';
/** Gauge (the daemon's): Unix time in seconds of the last cycle that read NetBox and finished. Labels: cluster. */
export const LAST_SUCCESSFUL_CYCLE = 'netbox_ippool_sync_last_successful_cycle_timestamp_seconds';

export interface GaugeSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The report's gauges, in a stable order: categories, source, then per pool used, size, ratio. */
export function driftGauges(report: DriftReport): GaugeSample[] {
  const cluster = report.cluster;
  const samples: GaugeSample[] = DRIFT_CATEGORIES.map(category => ({
    name: DRIFT_ENTRIES,
    labels: { cluster, category },
    value: report.counts[category],
  }));
  samples.push({ name: DRIFT_SOURCE_HEALTHY, labels: { cluster }, value: report.source.healthy ? 1 : 0 });
  samples.push({ name: UTILISATION_THRESHOLD_RATIO, labels: { cluster }, value: report.threshold / 100 });
  for (const p of report.utilisation) {
    const labels = { cluster, kind: p.poolKind, namespace: p.k8s.namespace ?? '', pool: p.k8s.name };
    const used = Number(p.used);
    const size = Number(p.size);
    samples.push({ name: POOL_USED_ADDRESSES, labels, value: used });
    samples.push({ name: POOL_SIZE_ADDRESSES, labels, value: size });
    // The exact ratio, not the rounded percent: an alert at 0.8 must not fire at 79.96%.
    samples.push({ name: POOL_UTILISATION_RATIO, labels, value: size === 0 ? (used > 0 ? 1 : 0) : used / size });
  }
  return samples;
}
