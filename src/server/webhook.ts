import { isRecord } from '../model/values.ts';

/**
 * What a NetBox event-rule webhook concerns. NetBox's default body: `{event, timestamp, object_type, data,
 * snapshots: {prechange, postchange}, request}` (4.7: `object_type` is `ipam.prefix`; before, `model: prefix`). Prefixes and IP ranges concern the clusters whose tag
 * they carry before or after the change; IP addresses (exclusions, gateways) carry no cluster tag, so they
 * concern every cluster. Over-triggering costs one idle cycle; a missed trigger waits for the schedule.
 */

export const WEBHOOK_MODELS = ['prefix', 'iprange', 'ipaddress'] as const;

export type WebhookTarget = { kind: 'clusters'; clusters: string[] } | { kind: 'ignored'; reason: string };

/**
 * `managedTags` (cluster → its managed tag) drops a cluster from an object that is its own writeback record (both
 * its managed tag and its cluster tag, before and after the change): sync never reads those — they are not
 * exclusions of their own cluster — and each writeback would otherwise queue an idle sync of its own cluster.
 */
export function webhookTargets(
  body: unknown,
  clusterTags: ReadonlyMap<string, string>,
  managedTags: ReadonlyMap<string, string> = new Map(),
): WebhookTarget {
  if (!isRecord(body)) return { kind: 'ignored', reason: 'body is not a JSON object' };
  const objectType = body['object_type'];
  const model = typeof objectType === 'string' ? objectType.replace(/^ipam\./, '') : body['model'];
  if (typeof model !== 'string' || !(WEBHOOK_MODELS as readonly string[]).includes(model)) {
    return { kind: 'ignored', reason: `model ${String(model)} is not one of ${WEBHOOK_MODELS.join(', ')}` };
  }
  const snapshots = isRecord(body['snapshots']) ? body['snapshots'] : {};
  const states = [body['data'], snapshots['prechange'], snapshots['postchange']].filter(isRecord).map(tagSlugs);
  const ownRecord = (c: string): boolean => {
    const managed = managedTags.get(c);
    const tag = clusterTags.get(c);
    return (
      managed !== undefined && states.length > 0 && states.every(t => t.includes(managed) && t.includes(tag ?? ''))
    );
  };
  const all = [...clusterTags.keys()].filter(c => !ownRecord(c));
  if (model === 'ipaddress') {
    return all.length
      ? { kind: 'clusters', clusters: all }
      : { kind: 'ignored', reason: 'a writeback record of the cluster served here' };
  }
  const tags = new Set(states.flat());
  const concerned = all.filter(c => tags.has(clusterTags.get(c) ?? ''));
  return concerned.length
    ? { kind: 'clusters', clusters: concerned }
    : { kind: 'ignored', reason: 'carries no tag of a cluster served here, or is its own writeback record' };
}

/**
 * Tags of a serialized object: `[{slug, name}]` in `data`, names in the snapshots. Names and slugs are both
 * compared with the cluster tag's slug (`netbox bootstrap` names tags by their slug).
 */
function tagSlugs(obj: unknown): string[] {
  if (!isRecord(obj) || !Array.isArray(obj['tags'])) return [];
  return obj['tags'].flatMap((t: unknown) => {
    if (typeof t === 'string') return [t];
    if (!isRecord(t)) return [];
    return [t['slug'], t['name']].filter((v): v is string => typeof v === 'string');
  });
}
