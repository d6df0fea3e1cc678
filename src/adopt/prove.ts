import type { PoolKindAdapter } from '../kinds/adapter.ts';
import { ADAPTERS } from '../kinds/registry.ts';
import { renderIntents } from '../kinds/render.ts';
import { buildIntents } from '../mapping/intents.ts';
import { formatIssue } from '../model/issue.ts';
import type { Issue } from '../model/issue.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import { objectKey } from '../model/k8s-object.ts';
import type { NbIpAddress, NbIpRange, NbPrefix, NbTag, NetBoxSnapshot } from '../model/netbox.ts';
import type { FieldDiff } from '../model/plan.ts';
import { diffValues } from '../plan/diff.ts';
import { isRecord } from '../model/values.ts';
import { parseJson } from '../kinds/kit/observed.ts';
import type { Proposal } from './propose.ts';
import type { AdoptContext, HeldWrite, PoolId, SpaceWrite } from './types.ts';

/**
 * The proof of an adoption: the proposed NetBox objects, laid over what NetBox records around the pool, run through
 * the real mapping and render, and the result compared with the live objects through each kind's `normalise`, field
 * for field. Only an empty difference makes a pool adoptable: adoption never changes a live pool.
 */

export interface Proof {
  /** Mapping or render errors: the daemon would not render this pool from the proposal. */
  errors: string[];
  notes: string[];
  differences: (FieldDiff & { object: string })[];
  /** The rendered objects, ownership metadata included, each paired with its live counterpart. */
  pairs: { rendered: K8sObject; live: K8sObject }[];
}

/** Ids of proposed objects that do not exist yet: far above any real id, only ever seen inside the proof. */
const NEW_ID = 2_000_000_000;

function familyOf(text: string | undefined): { value: number; label: string } {
  return text?.includes(':') === true ? { value: 6, label: 'IPv6' } : { value: 4, label: 'IPv4' };
}

function tag(slug: string): NbTag {
  return { id: 0, name: slug, slug };
}

function spanText(o: { prefix?: string; address?: string; startAddress?: string; endAddress?: string }): string {
  return o.prefix ?? o.address ?? `${o.startAddress ?? ''}-${o.endAddress ?? ''}`;
}

function existingRow(s: SpaceWrite, ctx: AdoptContext): NbPrefix | NbIpRange | undefined {
  if (s.existing === undefined) return undefined;
  const rows: readonly (NbPrefix | NbIpRange)[] = s.model === 'prefix' ? ctx.netbox.prefixes : ctx.netbox.ipRanges;
  return rows.find(o => o.id === s.existing?.id);
}

function roleRow(slug: string | undefined): NbPrefix['role'] {
  return slug === undefined ? null : { id: 0, slug, name: slug };
}

/** One proposed prefix or range as NetBox would return it: the existing object with the proposal's additions. */
function spaceRow(s: SpaceWrite, i: number, ctx: AdoptContext): NbPrefix | NbIpRange {
  const id = s.existing?.id ?? NEW_ID + i;
  const before = existingRow(s, ctx);
  const status = s.status ?? 'active';
  const common = {
    id,
    url: `adopt://${s.model}/${id}`,
    display: spanText(s),
    family: familyOf(s.prefix ?? s.startAddress),
    tags: [...(before?.tags ?? []), ...s.addTags.map(tag)],
    custom_fields: { ...before?.custom_fields, ...s.customFields },
    vrf: ctx.vrf ?? null,
    tenant: before?.tenant ?? null,
    status: before?.status ?? { value: status, label: status },
    role: before?.role ?? roleRow(s.role),
  };
  return s.model === 'prefix'
    ? { ...common, prefix: s.prefix ?? '' }
    : { ...common, start_address: s.startAddress ?? '', end_address: s.endAddress ?? '' };
}

/** One proposed hole as NetBox would return it: untagged, so it is held out of the pool. */
function heldRow(h: HeldWrite, i: number, ctx: AdoptContext): NbIpAddress | NbIpRange {
  const id = NEW_ID + 1_000_000 + i;
  const common = {
    id,
    url: `adopt://${h.model}/${id}`,
    display: spanText(h),
    tags: [],
    custom_fields: {},
    vrf: ctx.vrf ?? null,
    tenant: null,
    family: familyOf(h.address ?? h.startAddress),
    status: { value: 'active', label: 'Active' },
    role: null,
  };
  return h.model === 'ip-address'
    ? { ...common, address: h.address ?? '' }
    : { ...common, start_address: h.startAddress ?? '', end_address: h.endAddress ?? '' };
}

/** The NetBox snapshot the source would read once the proposal is written. */
export function proposedSnapshot(proposal: Proposal, ctx: AdoptContext): NetBoxSnapshot {
  const reused = new Set(proposal.spaces.flatMap(s => (s.existing ? [`${s.model}:${s.existing.id}`] : [])));
  const spaces = proposal.spaces.map((s, i) => spaceRow(s, i, ctx));
  const held = proposal.held.map((h, i) => heldRow(h, i, ctx));
  return {
    prefixes: spaces.filter(o => 'prefix' in o),
    ipRanges: spaces.filter(o => 'start_address' in o),
    recorded: {
      prefixes: ctx.netbox.prefixes.filter(p => !reused.has(`prefix:${p.id}`)),
      ipRanges: [
        ...ctx.netbox.ipRanges.filter(r => !reused.has(`ip-range:${r.id}`)),
        ...held.filter(o => 'start_address' in o),
      ],
      ipAddresses: [...ctx.netbox.ipAddresses, ...held.filter(o => 'address' in o)],
    },
  };
}

/** Renders the pool from a NetBox snapshot with the real pipeline and pairs each rendered object with the live one. */
export function proveAgainst(
  snapshot: NetBoxSnapshot,
  pool: PoolId,
  live: K8sObject,
  ctx: Pick<AdoptContext, 'config' | 'defaults' | 'observed'>,
): Proof {
  const proof: Proof = { errors: [], notes: [], differences: [], pairs: [] };
  const mapped = buildIntents(snapshot, ctx.config);
  const intent = mapped.intents.find(
    i => i.kind === pool.kind && i.name === pool.name && (i.namespace ?? '') === (pool.namespace ?? ''),
  );
  const ids = new Set(intent?.sources.map(s => `${s.model}:${s.id}`) ?? []);
  collect(
    proof,
    mapped.issues.filter(i => {
      const s = i.subject;
      if (s.type === 'pool') return s.kind === pool.kind && s.name === pool.name;
      return s.type === 'netbox' && ids.has(`${s.model}:${s.id}`);
    }),
  );
  if (intent === undefined) {
    if (proof.errors.length === 0) proof.errors.push('the proposed NetBox objects map to no pool of this name');
    return proof;
  }
  const rendered = renderIntents([intent], { cluster: ctx.config.cluster, adapters: ADAPTERS, defaults: ctx.defaults });
  collect(proof, rendered.issues);
  if (proof.errors.length > 0) return proof;
  const adapter = ADAPTERS.find(a => a.kind === pool.kind) as PoolKindAdapter;
  const liveByKey = new Map(
    [live, ...[...ctx.observed.values()].flat()].map(o => [objectKey(o), o] as const).reverse(),
  );
  liveByKey.set(objectKey(live), live);
  if (!rendered.desired.some(d => objectKey(d.object) === objectKey(live))) {
    const names = rendered.desired.map(d => `${d.object.kind} ${d.object.metadata.name}`).join(', ');
    proof.differences.push({
      object: describe(live),
      path: '(object)',
      from: 'this object',
      to: `rendered as ${names}`,
    });
  }
  for (const { object } of rendered.desired) {
    const found = liveByKey.get(objectKey(object));
    if (found === undefined) {
      proof.differences.push({ object: describe(object), path: '(object)', to: 'would be created beside the pool' });
      continue;
    }
    const diff = specDiff(adapter.normalise(found).spec, adapter.normalise(object).spec);
    proof.differences.push(...diff.map(d => ({ ...d, object: describe(object) })));
    proof.pairs.push({ rendered: object, live: found });
  }
  return proof;
}

function collect(proof: Proof, issues: readonly Issue[]): void {
  for (const i of issues) (i.severity === 'error' ? proof.errors : proof.notes).push(formatIssue(i));
}

function describe(o: K8sObject): string {
  return `${o.kind} ${o.metadata.namespace === undefined ? '' : `${o.metadata.namespace}/`}${o.metadata.name}`;
}

/** Spec differences; a JSON document in a string (a CNI config) is compared as the document, key by key. */
export function specDiff(live: unknown, rendered: unknown): FieldDiff[] {
  return diffValues(parsedJson(live), parsedJson(rendered), ['spec']);
}

function parsedJson(v: unknown): unknown {
  if (typeof v === 'string' && v.trim().startsWith('{')) return parseJson(v) ?? v;
  if (!isRecord(v)) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, parsedJson(x)]));
}
