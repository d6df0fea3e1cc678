import { cidrContainsAddress, cidrRange, formatCidr } from '../ip/index.ts';
import type { Cidr, IpRange } from '../ip/index.ts';
import type { Config } from '../config/config.ts';
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
export function readMember(
  obj: { model: 'prefix'; nb: NbPrefix } | { model: 'ip-range'; nb: NbIpRange },
  config: Config,
  recordedCidrs: (vrf: VrfId) => Cidr[],
): MemberResult {
  const nb = obj.nb;
  const ref: NetBoxObjectRef = { model: obj.model, id: nb.id, url: nb.url, display: nb.display };
  const subject = subjectOf(ref);
  const issues: Issue[] = [];
  const error = (reason: string, field?: string, hint?: string) =>
    issues.push({ severity: 'error', subject, reason, ...(field ? { field } : {}), ...(hint ? { hint } : {}) });

  const status = statusOf(nb);
  if (status === '') {
    // Selected as active or deprecated, yet unreadable: unpublishing it on a guess would delete its pool.
    error('has no readable status', 'status', 'check the NetBox API version and the object in NetBox');
    return { issues };
  }
  if (status !== 'active' && status !== 'deprecated') return { issues };
  const shape = shapeProblem(obj.model, nb);
  if (shape !== undefined) {
    error(`cannot be read: ${shape.reason}`, shape.field, 'check the NetBox API version and the object in NetBox');
    const poolName =
      shape.field === 'custom_fields'
        ? undefined
        : readPoolParams(nb.custom_fields ?? {}, config.selection.customFields).params.poolName;
    return poolName === undefined ? { issues } : { issues, unplaced: poolName };
  }

  const { params, problems } = readPoolParams(nb.custom_fields ?? {}, config.selection.customFields);
  for (const p of problems) error(p.reason, p.field, p.hint);

  const cf = config.selection.customFields;
  const roleSlug = nb.role?.slug;
  // An unreadable k8s_pool_kind must not fall back to the role: that could publish the space as another kind.
  const kindUnreadable = problems.some(p => p.field === `custom_fields.${cf.poolKind}`);
  const kind = kindUnreadable
    ? undefined
    : (params.kind ?? (roleSlug === undefined ? undefined : config.selection.roles[roleSlug]));
  if (kind === undefined && !kindUnreadable) {
    error(
      roleSlug === undefined
        ? 'has no role, so its pool kind is unknown'
        : `role ${roleSlug} is not mapped to a pool kind in selection.roles`,
      roleSlug === undefined ? 'role' : `custom_fields.${cf.poolKind}`,
      `set custom field ${cf.poolKind} or map the role in the config`,
    );
  }

  let range: IpRange | undefined;
  let network: Cidr | undefined;
  const vrfId = nb.vrf?.id ?? null;
  if (obj.model === 'prefix') {
    const cidr = prefixCidr(obj.nb);
    if (cidr.ok) {
      network = cidr.value;
      range = cidrRange(cidr.value);
    } else error(`invalid prefix "${obj.nb.prefix}": ${cidr.reason}`, 'prefix');
  } else {
    const span = ipRangeSpan(obj.nb);
    if (!span.ok) error(`invalid IP range: ${span.reason}`, 'start_address');
    else {
      range = span.value.range;
      const found = rangeNetwork(span.value, recordedCidrs(vrfId));
      network = found.network;
      if (found.source === 'covering' && kind !== undefined && adapterFor(kind).needsSubnet) {
        error(
          `no NetBox prefix contains this IP range and its /${span.value.maskNetwork.prefixLength} mask does not cover it, so its subnet is unknown`,
          'start_address',
          `enter the range with its subnet's mask (e.g. /24) or record the parent prefix in NetBox`,
        );
      }
    }
  }

  if (params.gateway !== undefined && network !== undefined && !cidrContainsAddress(network, params.gateway)) {
    error(
      `gateway is outside the object's network ${formatCidr(network)}`,
      `custom_fields.${cf.gateway}`,
      'set a gateway inside the network, or clear the field to use the address tagged as gateway',
    );
  }

  let namespace: string | undefined;
  const defaultNamespace = kind === undefined ? undefined : adapterFor(kind).defaultNamespace;
  if (kind !== undefined && defaultNamespace !== undefined) {
    namespace = params.namespace ?? configuredNamespace(config, kind) ?? defaultNamespace;
  } else if (kind !== undefined && params.namespace !== undefined) {
    issues.push({
      severity: 'warning',
      subject,
      field: `custom_fields.${cf.namespace}`,
      reason: `${kind} pools are cluster-scoped; the namespace "${params.namespace}" is ignored`,
    });
  }

  if (kind === undefined || range === undefined || network === undefined) {
    return params.poolName === undefined ? { issues } : { issues, unplaced: params.poolName };
  }
  const vrfPart = nb.vrf ? vrfSlug(nb.vrf) : undefined;
  const name =
    params.poolName ??
    (obj.model === 'prefix' ? prefixName(network, nb.id, vrfPart) : rangeName(range, nb.id, vrfPart));
  const key = `${kind}/${namespace ?? ''}/${params.poolName === undefined ? `#${obj.model}:${nb.id}` : params.poolName}`;
  const member: Member = {
    ref,
    status,
    vrf: nb.vrf,
    vrfId,
    tenant: nb.tenant,
    range,
    network,
    kind,
    key,
    name,
    params,
    valid: !issues.some(i => i.severity === 'error'),
  };
  if (namespace !== undefined) member.namespace = namespace;
  return { member, issues };
}

function configuredNamespace(config: Config, kind: PoolKind): string | undefined {
  const ns = config.kinds[kind]?.['namespace'];
  return typeof ns === 'string' && ns !== '' ? ns : undefined;
}
