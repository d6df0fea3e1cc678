import type { IpAddress } from '../../ip/index.ts';
import type { K8sObject } from '../../model/k8s-object.ts';
import type { ObservedObjects } from '../../model/k8s-object.ts';
import type { Allocation } from '../../model/allocation.ts';
import { addressFrom, asArray, at, displayName, listObserved, ownerOf } from './observed.ts';
import { RESOURCES } from '../resources.ts';

/** One load-balancer address a Service holds (`status.loadBalancer.ingress[].ip`). */
export interface ServiceAddress {
  service: K8sObject;
  address: IpAddress;
  owner: Allocation['owner'];
}

/** Load-balancer ingress IPs of every observed Service; hostnames and unparsable entries are skipped. */
export function serviceAddresses(observed: ObservedObjects): ServiceAddress[] {
  return listObserved(observed, RESOURCES.service).flatMap(service => {
    const owner = ownerOf('Service', service);
    return asArray(at(service.status, 'loadBalancer', 'ingress')).flatMap(entry => {
      const address = addressFrom(at(entry, 'ip'));
      return address === undefined ? [] : [{ service, address, owner }];
    });
  });
}

export function serviceVia(kind: string, s: ServiceAddress, detail: string): string {
  return `${kind} Service ${displayName(s.service)} status.loadBalancer.ingress${detail}`;
}
