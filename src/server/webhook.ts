import { isRecord } from '../model/values.ts';

/**
 * What a NetBox event-rule webhook concerns. NetBox's default body: `{event, timestamp, object_type, data,
 * snapshots: {prechange, postchange}, request}` (4.7: `object_type` is `ipam.prefix`; before, `model: prefix`). Prefixes and IP ranges concern the clusters whose tag
 * they carry before or after the change; IP addresses (exclusions, gateways) carry no cluster tag, so they
 * concern every cluster. Over-triggering costs one idle cycle; a missed trigger waits for the schedule.
 */

export const WEBHOOK_MODELS = ['prefix', 'iprange', 'ipaddress'] as const;

export type WebhookTarget = { kind: 'clusters'; clusters: string[] } | { kind: 'ignored'; reason: string };

export function webhookTargets(body: unknown, clusterTags: ReadonlyMap<string, string>): WebhookTarget {
  if (!isRecord(body)) return { kind: 'ignored', reason: 'body is not a JSON object' };
  const objectType = body['object_type'];
  const model = typeof objectType === 'string' ? objectType.replace(/^ipam\./, '') : body['model'];
  if (typeof model !== 'string' || !(WEBHOOK_MODELS as readonly string[]).includes(model)) {
    return { kind: 'ignored', reason: `model ${String(model)} is not one of ${WEBHOOK_MODELS.join(', ')}` };
  }
  const all = [...clusterTags.keys()];
  if (model === 'ipaddress') return { kind: 'clusters', clusters: all };
  const snapshots = isRecord(body['snapshots']) ? body['snapshots'] : {};
  const tags = new Set([body['data'], snapshots['prechange'], snapshots['postchange']].flatMap(tagSlugs));
  const concerned = all.filter(c => tags.has(clusterTags.get(c) ?? ''));
  return concerned.length
    ? { kind: 'clusters', clusters: concerned }
    : { kind: 'ignored', reason: 'carries no tag of a cluster served here' };
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
