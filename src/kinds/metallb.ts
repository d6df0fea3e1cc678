import { z } from 'zod';
import type { K8sObject } from '../model/k8s-object.ts';
import * as ip from '../ip/index.ts';
import type { PoolKindAdapter } from './adapter.ts';
import { availableRanges, rangeText } from './kit/address-space.ts';
import { defineAdapter, withoutDefaults } from './kit/define.ts';
import type { BuildInput, BuildOutput, DesiredObject, Spec } from './kit/define.ts';
import { FIELDS, settingField, poolSubject } from './kit/issues.ts';
import * as read from './kit/observed.ts';
import { RESOURCES } from './resources.ts';
import { labelRequirements, labelSelector, labelSelectorSchema } from './kit/selectors.ts';
import { serviceAddresses, serviceVia } from './kit/services.ts';
import type { ObservedObjects } from '../model/k8s-object.ts';
import type { ReadBack } from './adapter.ts';
import { adoptable, notAdoptable, present, requirementsOf, selectorText, spacesOfEntries } from './kit/readback.ts';

const KIND = 'metallb';
const DEFAULT_NAMESPACE = 'metallb-system';
/**
 * MetalLB: one IPAddressPool (metallb.io/v1beta1, in MetalLB's own namespace) whose `addresses` are the pool's
 * blocks split around NetBox-held addresses, plus optionally the L2Advertisement or BGPAdvertisement that
 * announces it. Draining sets `autoAssign: false`: services that ask for the pool by name still get addresses.
 */

export const metallbSettings = z.strictObject({
  namespace: z.string().min(1).default(DEFAULT_NAMESPACE),
  autoAssign: z.boolean().default(true),
  avoidBuggyIPs: z.boolean().default(false),
  advertisement: z.enum(['l2', 'bgp', 'none']).default('l2'),
  serviceAllocation: z
    .strictObject({
      priority: z.number().int().optional(),
      namespaceSelectors: z.array(labelSelectorSchema).optional(),
      serviceSelectors: z.array(labelSelectorSchema).optional(),
    })
    .optional(),
  l2Advertisement: z.strictObject({ interfaces: z.array(z.string().min(1)).optional() }).optional(),
  bgpAdvertisement: z
    .strictObject({
      aggregationLength: z.number().int().min(1).max(32).optional(),
      aggregationLengthV6: z.number().int().min(1).max(128).optional(),
      localPref: z.number().int().min(0).optional(),
      communities: z.array(z.string().min(1)).optional(),
      peers: z.array(z.string().min(1)).optional(),
    })
    .optional(),
});
type MetallbSettings = z.output<typeof metallbSettings>;

const ADVERTISEMENTS = { l2: RESOURCES.metallbL2Advertisement, bgp: RESOURCES.metallbBgpAdvertisement };
const POOL_ANNOTATIONS = ['metallb.io/ip-allocated-from-pool', 'metallb.universe.tf/ip-allocated-from-pool'];

function build({ intent, settings, issues }: BuildInput<MetallbSettings>): BuildOutput {
  const namespace = intent.namespace ?? settings.namespace;
  if (namespace !== settings.namespace) {
    issues.error(poolSubject(intent), `MetalLB only accepts pools in its own namespace ${settings.namespace}`, {
      field: FIELDS.namespace,
      hint: 'clear k8s_namespace, or set kinds.metallb.namespace in config to where MetalLB runs',
    });
  }
  const addresses = availableRanges(intent.blocks).map(rangeText);
  if (addresses.length === 0) {
    issues.error(poolSubject(intent), 'every address of the pool is held in NetBox: nothing left to hand out');
  }
  const requirements = labelRequirements(intent, issues) ?? [];
  const namespaces = intent.namespaces.length > 0 ? { namespaces: intent.namespaces } : {};
  const serviceAllocation = { ...settings.serviceAllocation, ...namespaces };
  const pool: DesiredObject = {
    type: RESOURCES.metallbIpAddressPool,
    name: intent.name,
    namespace,
    spec: {
      addresses,
      autoAssign: settings.autoAssign,
      avoidBuggyIPs: settings.avoidBuggyIPs,
      ...(Object.keys(serviceAllocation).length > 0 ? { serviceAllocation } : {}),
    },
  };
  const selector = labelSelector(requirements);
  const common: Spec = { ipAddressPools: [intent.name], ...(selector ? { nodeSelectors: [selector] } : {}) };
  const wanted = { l2: 'l2Advertisement', bgp: 'bgpAdvertisement', none: undefined }[settings.advertisement];
  for (const key of ['l2Advertisement', 'bgpAdvertisement'] as const) {
    if (settings[key] === undefined || key === wanted) continue;
    issues.error(poolSubject(intent), `${key} is set but advertisement is "${settings.advertisement}"`, {
      field: settingField(intent, [key]),
      hint: `set advertisement to "${key === 'l2Advertisement' ? 'l2' : 'bgp'}" or drop ${key}`,
    });
  }
  if (settings.advertisement === 'none') return { objects: [pool] };
  const extra = settings.advertisement === 'l2' ? settings.l2Advertisement : settings.bgpAdvertisement;
  const type = ADVERTISEMENTS[settings.advertisement];
  return { objects: [pool, { type, name: intent.name, namespace, spec: { ...common, ...extra } }] };
}

function coveredAddresses(spec: Spec) {
  return ip.mergeRanges(read.asArray(spec.addresses).flatMap(a => read.rangeFrom(a) ?? []));
}

/** The advertisement of the pool's own name that announces exactly it: what the daemon would render beside it. */
function advertisementOf(pool: K8sObject, observed: ObservedObjects): Record<string, unknown> | string {
  for (const [advertisement, type] of [
    ['l2', RESOURCES.metallbL2Advertisement],
    ['bgp', RESOURCES.metallbBgpAdvertisement],
  ] as const) {
    const found = read
      .listObserved(observed, type)
      .find(a => a.metadata.name === pool.metadata.name && a.metadata.namespace === pool.metadata.namespace);
    if (found === undefined) continue;
    const { ipAddressPools: _pools, nodeSelectors, ...extra } = read.specOf(found);
    const selectors = read.asArray(nodeSelectors);
    const reqs = selectors.length === 0 ? [] : requirementsOf(selectors[0]);
    if (selectors.length > 1 || reqs === undefined)
      return `its ${type.kind} has node selectors k8s_node_selector cannot spell`;
    const key = advertisement === 'l2' ? 'l2Advertisement' : 'bgpAdvertisement';
    return {
      advertisement,
      ...(Object.keys(extra).length === 0 ? {} : { [key]: extra }),
      ...(reqs.length === 0 ? {} : { nodeSelector: selectorText(reqs) }),
    };
  }
  return { advertisement: 'none' };
}

function readBack(pool: K8sObject, observed: ObservedObjects): ReadBack {
  const spec = read.specOf(pool);
  const entries = read.asArray(spec.addresses).map(a => {
    const range = read.rangeFrom(a);
    return range === undefined ? undefined : { range, cidr: String(a).includes('/') };
  });
  if (entries.length === 0 || entries.some(e => e === undefined)) return notAdoptable('spec.addresses is unreadable');
  const advertised = advertisementOf(pool, observed);
  if (typeof advertised === 'string') return notAdoptable(advertised);
  const { nodeSelector, ...advertisement } = advertised;
  const { namespaces, ...allocation } = read.asRecord(spec.serviceAllocation) ?? {};
  const namespaceList = read.asArray(namespaces).filter(n => typeof n === 'string');
  return adoptable({
    ...spacesOfEntries(entries.flatMap(e => e ?? [])),
    ...(typeof nodeSelector === 'string' ? { nodeSelector } : {}),
    ...(namespaceList.length === 0 ? {} : { namespaces: namespaceList }),
    settings: {
      autoAssign: spec.autoAssign !== false,
      avoidBuggyIPs: spec.avoidBuggyIPs === true,
      ...(Object.keys(allocation).length === 0 ? {} : { serviceAllocation: allocation }),
      ...advertisement,
      ...present({ namespace: pool.metadata.namespace }, ['namespace']),
    },
  });
}

export const metallbAdapter: PoolKindAdapter = defineAdapter({
  kind: KIND,
  label: 'MetalLB',
  writebackGrain: 'addresses',
  defaultNamespace: DEFAULT_NAMESPACE,
  defaultRole: 'k8s-loadbalancer',
  settings: metallbSettings,
  drainNote: 'MetalLB drains by autoAssign: false',
  owns: [
    {
      type: RESOURCES.metallbIpAddressPool,
      normaliseSpec: spec => withoutDefaults(spec, { autoAssign: true, avoidBuggyIPs: false }),
      drain: spec => ({ ...spec, autoAssign: false }),
      covered: coveredAddresses,
    },
    { type: RESOURCES.metallbL2Advertisement },
    {
      type: RESOURCES.metallbBgpAdvertisement,
      normaliseSpec: spec => withoutDefaults(spec, { aggregationLength: 32, aggregationLengthV6: 128 }),
    },
  ],
  reads: [RESOURCES.service],
  build,
  readBack,
  allocations: (observed, unreadable) => {
    const pools = read.listObserved(observed, RESOURCES.metallbIpAddressPool);
    const byAddress = new read.PoolIndex(KIND, pools, coveredAddresses);
    return serviceAddresses(observed, unreadable).flatMap(s => {
      const annotations = s.service.metadata.annotations ?? {};
      const key = POOL_ANNOTATIONS.find(k => read.asString(annotations[k]) !== undefined);
      const name = key === undefined ? undefined : annotations[key];
      if (key === undefined || name === undefined) {
        // No pool annotation (a MetalLB release before it, or the controller has not written it yet): MetalLB
        // itself then finds an address's pool by containment (its webhook keeps pools from overlapping), so do we.
        // A Service of another load-balancer class is not MetalLB's.
        if (read.asString(read.at(s.service.spec, 'loadBalancerClass')) !== undefined) return [];
        const pool = byAddress.find(s.address);
        const via = serviceVia(KIND, s, ' (no pool annotation; pool by containment)');
        return pool === undefined ? [] : [read.allocationOf(ip.rangeOfAddress(s.address), s.owner, via, { pool })];
      }
      // The annotation names the pool, not its namespace (MetalLB reads pools in its own namespace only): when
      // pools of that name exist in several namespaces, the one holding the address is meant.
      const named = pools
        .filter(p => p.metadata.name === name)
        .sort((a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? ''));
      const holds = (p: K8sObject) => coveredAddresses(read.specOf(p)).some(r => ip.rangeContainsAddress(r, s.address));
      const pool = named.length === 1 ? named[0] : named.find(holds);
      const ref = pool === undefined ? { kind: KIND, name } : read.poolRef(KIND, pool);
      const via = serviceVia(KIND, s, ` (${key})`);
      return [read.allocationOf(ip.rangeOfAddress(s.address), s.owner, via, { pool: read.recorded(ref) })];
    });
  },
});
