import type { Config } from '../config/config.ts';
import type { PoolKindAdapter } from '../kinds/adapter.ts';
import type { RecordGrain, WritebackSettings } from './types.ts';

/** Writeback settings from config; a kind not named in `writeback.kinds` records what its definition says. */
export function writebackSettings(config: Config, adapters: readonly PoolKindAdapter[]): WritebackSettings {
  const w = config.writeback;
  const grain: Record<string, RecordGrain> = {};
  for (const a of adapters) {
    const configured = w.kinds[a.kind];
    const byDefault: RecordGrain =
      w.perNodeBlocks === 'none' && a.writebackGrain === 'blocks' ? 'none' : a.writebackGrain;
    grain[a.kind] = configured ?? byDefault;
  }
  const settings: WritebackSettings = {
    cluster: config.cluster,
    managedTag: config.selection.managedTag,
    clusterTag: config.selection.clusterTag,
    fields: { ...w.customFields },
    addressStatus: w.status,
    blockStatus: w.blockStatus,
    blocksAs: w.perNodeBlocks === 'ip-range' ? 'ip-range' : 'prefix',
    grain,
    graceMs: w.gracePeriodMinutes * 60_000,
  };
  if (w.serviceDnsName !== undefined) settings.serviceDnsName = w.serviceDnsName;
  return settings;
}
