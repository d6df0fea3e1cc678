import { cidrContainsAddress, cidrRange, formatCidr } from '../ip/index.ts';
import type { Cidr, IpAddress, IpRange } from '../ip/index.ts';
import type { Config, CustomFieldNames } from '../config/config.ts';
import type { NbBrief, NbIpRange, NbPrefix, NbVrfBrief } from '../model/netbox.ts';
import { adapterFor } from '../kinds/registry.ts';
import { readPoolParams } from './custom-fields.ts';
import type { PoolParams } from './custom-fields.ts';
import type { NetBoxObjectRef, PoolKind } from '../model/intent.ts';
import type { Issue, IssueSubject } from '../model/issue.ts';
import { prefixName, rangeName, vrfSlug } from './naming.ts';
import { shapeProblem } from './shape.ts';
import { ipRangeSpan, prefixCidr, rangeNetwork } from './space.ts';
import type { VrfId } from './space.ts';

/**
 * One selected NetBox prefix or IP range read as a pool member: its space, status, kind, namespace, name and
 * custom-field parameters. Problems are collected as issues on the object; when the pool's identity can still
 * be worked out the member is kept (marked invalid) so its whole pool is withheld rather than shrunk.
 */

export interface Member {
  ref: NetBoxObjectRef;
  status: 'active' | 'deprecated';
  vrf: NbVrfBrief | null;
  vrfId: VrfId;
  tenant: NbBrief | null;
  range: IpRange;
  network: Cidr;
  kind: PoolKind;
  namespace?: string;
  /** Grouping key: kind/namespace/pool name, or the object itself when it has no k8s_pool_name. */
  key: string;
  name: string;
  params: PoolParams;
  /** False when the object has errors: its pool is withheld. */
  valid: boolean;
}

/** `unplaced`: the k8s_pool_name of an object whose pool could not be identified; pools of that name are withheld. */
export type MemberResult = { member?: Member; issues: Issue[]; unplaced?: string };

export function subjectOf(ref: NetBoxObjectRef): IssueSubject {
  return { type: 'netbox', model: ref.model, id: ref.id, display: ref.display, url: ref.url };
}

export function statusOf(o: { status: unknown }): string {
  const s = o.status;
  if (typeof s === 'string') return s;
  if (typeof s === 'object' && s !== null && 'value' in s && typeof s.value === 'string') return s.value;
  return '';
}

/**
 * Reads one selected object. Returns no member for statuses that are not published (reserved, container, …)
 * and for objects whose pool cannot be identified (unparseable space, unknown kind).
 */
export function readMember(obj: SelectedObject, config: Config, recordedCidrs: (vrf: VrfId) => Cidr[]): MemberResult {
  const nb = obj.nb;
  const ref: NetBoxObjectRef = { model: obj.model, id: nb.id, url: nb.url, display: nb.display };
  const issues: Issue[] = [];
  const report = reporter(subjectOf(ref), issues);

  const status = publishedStatus(nb, report);
  if (status === undefined) return { issues };
  const shape = shapeProblem(obj.model, nb);
  if (shape !== undefined) {
    report.error(`cannot be read: ${shape.reason}`, shape.field, UNREADABLE_HINT);
    return unplacedResult(issues, shape.field === 'custom_fields' ? undefined : poolNameOf(nb, config));
  }

  const read = readParams(nb, config);
  const { params } = read;
  for (const p of read.problems) report.error(p.reason, p.field, p.hint);
  const kind = kindOf(nb, read, config, report);
  const vrfId = nb.vrf?.id ?? null;
  const space = readSpace(obj, kind, () => recordedCidrs(vrfId), report);
  if (space !== undefined) checkGateway(params.gateway, space.network, config.selection.customFields, report);
  const namespace = namespaceOf(kind, params, config, report);

  if (kind === undefined || space === undefined) return unplacedResult(issues, params.poolName);
  const member: Member = {
    ref,
    status,
    vrf: nb.vrf,
    vrfId,
    tenant: nb.tenant,
    ...space,
    kind,
    key: memberKeyOf(obj, kind, namespace, params.poolName),
    name: params.poolName ?? generatedName(obj, space),
    params,
    valid: !issues.some(i => i.severity === 'error'),
  };
  if (namespace !== undefined) member.namespace = namespace;
  return { member, issues };
}

type SelectedObject = { model: 'prefix'; nb: NbPrefix } | { model: 'ip-range'; nb: NbIpRange };

/** Where a member's addresses are: its own range and the network (subnet) they belong to. */
type Space = Pick<Member, 'range' | 'network'>;

interface Reporter {
  error(reason: string, field?: string, hint?: string): void;
  warning(reason: string, field: string): void;
}

function reporter(subject: IssueSubject, issues: Issue[]): Reporter {
  return {
    error: (reason, field, hint) =>
      issues.push({ severity: 'error', subject, reason, ...(field ? { field } : {}), ...(hint ? { hint } : {}) }),
    warning: (reason, field) => issues.push({ severity: 'warning', subject, field, reason }),
  };
}

const UNREADABLE_HINT = 'check the NetBox API version and the object in NetBox';

function unplacedResult(issues: Issue[], poolName: string | undefined): MemberResult {
  return poolName === undefined ? { issues } : { issues, unplaced: poolName };
}

/** `active` and `deprecated` are published; other statuses are not, and an unreadable one is an error. */
function publishedStatus(nb: { status: unknown }, report: Reporter): Member['status'] | undefined {
  const status = statusOf(nb);
  if (status === '') {
    // Selected as active or deprecated, yet unreadable: unpublishing it on a guess would delete its pool.
    report.error('has no readable status', 'status', UNREADABLE_HINT);
    return undefined;
  }
  return status === 'active' || status === 'deprecated' ? status : undefined;
}

function readParams(nb: NbPrefix | NbIpRange, config: Config): ReturnType<typeof readPoolParams> {
  return readPoolParams(nb.custom_fields ?? {}, config.selection.customFields);
}

/** The pool name of an object whose shape is wrong elsewhere, so its pool can be withheld as a whole. */
function poolNameOf(nb: NbPrefix | NbIpRange, config: Config): string | undefined {
  return readParams(nb, config).params.poolName;
}

/** `k8s_pool_kind` wins; else the role's kind from `selection.roles`. */
function kindOf(
  nb: NbPrefix | NbIpRange,
  { params, problems }: ReturnType<typeof readPoolParams>,
  config: Config,
  report: Reporter,
): PoolKind | undefined {
  const cf = config.selection.customFields;
  // An unreadable k8s_pool_kind must not fall back to the role: that could publish the space as another kind.
  if (problems.some(p => p.field === `custom_fields.${cf.poolKind}`)) return undefined;
  if (params.kind !== undefined) return params.kind;
  const hint = `set custom field ${cf.poolKind} or map the role in the config`;
  const roleSlug = nb.role?.slug;
  if (roleSlug === undefined) {
    report.error('has no role, so its pool kind is unknown', 'role', hint);
    return undefined;
  }
  const kind = config.selection.roles[roleSlug];
  if (kind === undefined) {
    report.error(
      `role ${roleSlug} is not mapped to a pool kind in selection.roles`,
      `custom_fields.${cf.poolKind}`,
      hint,
    );
  }
  return kind;
}

function readSpace(
  obj: SelectedObject,
  kind: PoolKind | undefined,
  recorded: () => Cidr[],
  report: Reporter,
): Space | undefined {
  return obj.model === 'prefix' ? prefixSpace(obj.nb, report) : ipRangeSpace(obj.nb, kind, recorded, report);
}

function prefixSpace(nb: NbPrefix, report: Reporter): Space | undefined {
  const cidr = prefixCidr(nb);
  if (!cidr.ok) {
    report.error(`invalid prefix "${nb.prefix}": ${cidr.reason}`, 'prefix');
    return undefined;
  }
  return { range: cidrRange(cidr.value), network: cidr.value };
}

/**
 * An IP range's network is the recorded prefix around it, else its own mask. A mask that does not cover the
 * range is only a guess, and kinds whose spec carries the subnet must not publish a guess.
 */
function ipRangeSpace(
  nb: NbIpRange,
  kind: PoolKind | undefined,
  recorded: () => Cidr[],
  report: Reporter,
): Space | undefined {
  const span = ipRangeSpan(nb);
  if (!span.ok) {
    report.error(`invalid IP range: ${span.reason}`, 'start_address');
    return undefined;
  }
  const found = rangeNetwork(span.value, recorded());
  if (found.source === 'covering' && kind !== undefined && adapterFor(kind).needsSubnet) {
    report.error(
      `no NetBox prefix contains this IP range and its /${span.value.maskNetwork.prefixLength} mask does not cover it, so its subnet is unknown`,
      'start_address',
      `enter the range with its subnet's mask (e.g. /24) or record the parent prefix in NetBox`,
    );
  }
  return { range: span.value.range, network: found.network };
}

function checkGateway(gateway: IpAddress | undefined, network: Cidr, cf: CustomFieldNames, report: Reporter): void {
  if (gateway === undefined || cidrContainsAddress(network, gateway)) return;
  report.error(
    `gateway is outside the object's network ${formatCidr(network)}`,
    `custom_fields.${cf.gateway}`,
    'set a gateway inside the network, or clear the field to use the address tagged as gateway',
  );
}

/** Namespaced kinds: the field, else the kind's configured namespace, else its default. Others have none. */
function namespaceOf(
  kind: PoolKind | undefined,
  params: PoolParams,
  config: Config,
  report: Reporter,
): string | undefined {
  if (kind === undefined) return undefined;
  const defaultNamespace = adapterFor(kind).defaultNamespace;
  if (defaultNamespace !== undefined) {
    return params.namespace ?? configuredNamespace(config, kind) ?? defaultNamespace;
  }
  if (params.namespace !== undefined) {
    report.warning(
      `${kind} pools are cluster-scoped; the namespace "${params.namespace}" is ignored`,
      `custom_fields.${config.selection.customFields.namespace}`,
    );
  }
  return undefined;
}

/** Objects sharing a k8s_pool_name (same kind and namespace) form one pool; without one, each is its own pool. */
function memberKeyOf(
  obj: SelectedObject,
  kind: PoolKind,
  namespace: string | undefined,
  poolName: string | undefined,
): string {
  return `${kind}/${namespace ?? ''}/${poolName === undefined ? `#${obj.model}:${obj.nb.id}` : poolName}`;
}

function generatedName(obj: SelectedObject, space: Space): string {
  const vrfPart = obj.nb.vrf ? vrfSlug(obj.nb.vrf) : undefined;
  return obj.model === 'prefix'
    ? prefixName(space.network, obj.nb.id, vrfPart)
    : rangeName(space.range, obj.nb.id, vrfPart);
}

function configuredNamespace(config: Config, kind: PoolKind): string | undefined {
  const ns = config.kinds[kind]?.['namespace'];
  return typeof ns === 'string' && ns !== '' ? ns : undefined;
}
