import { apiVersionOf } from '../model/k8s-object.ts';
import type { ResourceType } from '../model/k8s-object.ts';

/** Every resource type the pool-kind adapters write or read, in one place so `owns`/`reads` stay consistent. */
function resource(group: string, version: string, kind: string, plural: string, namespaced: boolean): ResourceType {
  return { group, version, kind, plural, namespaced };
}

export const RESOURCES = {
  service: resource('', 'v1', 'Service', 'services', true),
  pod: resource('', 'v1', 'Pod', 'pods', true),
  networkAttachmentDefinition: resource(
    'k8s.cni.cncf.io',
    'v1',
    'NetworkAttachmentDefinition',
    'network-attachment-definitions',
    true,
  ),
  whereaboutsIpPool: resource('whereabouts.cni.cncf.io', 'v1alpha1', 'IPPool', 'ippools', true),
  whereaboutsReservation: resource(
    'whereabouts.cni.cncf.io',
    'v1alpha1',
    'OverlappingRangeIPReservation',
    'overlappingrangeipreservations',
    true,
  ),
  nvIpamIpPool: resource('nv-ipam.nvidia.com', 'v1alpha1', 'IPPool', 'ippools', true),
  calicoIpPool: resource('projectcalico.org', 'v3', 'IPPool', 'ippools', false),
  calicoIpReservation: resource('projectcalico.org', 'v3', 'IPReservation', 'ipreservations', false),
  calicoIpamBlockV1: resource('crd.projectcalico.org', 'v1', 'IPAMBlock', 'ipamblocks', false),
  calicoIpamBlockV3: resource('projectcalico.org', 'v3', 'IPAMBlock', 'ipamblocks', false),
  calicoBlockAffinityV1: resource('crd.projectcalico.org', 'v1', 'BlockAffinity', 'blockaffinities', false),
  calicoBlockAffinityV3: resource('projectcalico.org', 'v3', 'BlockAffinity', 'blockaffinities', false),
  metallbIpAddressPool: resource('metallb.io', 'v1beta1', 'IPAddressPool', 'ipaddresspools', true),
  metallbL2Advertisement: resource('metallb.io', 'v1beta1', 'L2Advertisement', 'l2advertisements', true),
  metallbBgpAdvertisement: resource('metallb.io', 'v1beta1', 'BGPAdvertisement', 'bgpadvertisements', true),
  ciliumLbPool: resource('cilium.io', 'v2', 'CiliumLoadBalancerIPPool', 'ciliumloadbalancerippools', false),
  ciliumLbPoolV2alpha1: resource(
    'cilium.io',
    'v2alpha1',
    'CiliumLoadBalancerIPPool',
    'ciliumloadbalancerippools',
    false,
  ),
  ciliumPodPool: resource('cilium.io', 'v2alpha1', 'CiliumPodIPPool', 'ciliumpodippools', false),
  ciliumPodPoolV2: resource('cilium.io', 'v2', 'CiliumPodIPPool', 'ciliumpodippools', false),
  ciliumNode: resource('cilium.io', 'v2', 'CiliumNode', 'ciliumnodes', false),
  ciliumEndpoint: resource('cilium.io', 'v2', 'CiliumEndpoint', 'ciliumendpoints', true),
} as const satisfies Record<string, ResourceType>;

/** Key of a resource type in ObservedObjects: `apiVersion/kind`. */
export function observedKey(r: ResourceType): string {
  return `${apiVersionOf(r)}/${r.kind}`;
}
