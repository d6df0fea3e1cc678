import type { IpAddress } from '../../ip/index.ts';
import type { K8sObject } from '../../model/k8s-object.ts';
import type { ObservedObjects } from '../../model/k8s-object.ts';
import type { Allocation, ReportUnreadable } from '../../model/allocation.ts';
import { addressFrom, asArray, at, displayName, listObserved, ownerOf, shown, unreadablePart } from './observed.ts';
import { RESOURCES } from '../resources.ts';

/** One load-balancer address a Service holds (`status.loadBalancer.ingress[].ip`). */
export interface ServiceAddress {
  service: K8sObject;
  address: IpAddress;
  owner: Allocation['owner'];
}

/** Load-balancer ingress IPs of every observed Service; hostnames and unparsable entries are skipped. */
export function serviceAddresses(observed: ObservedObjects, unreadable: ReportUnreadable): ServiceAddress[] {
  return listObserved(observed, RESOURCES.service).flatMap(service => {
    const owner = ownerOf('Service', service);
    return asArray(at(service.status, 'loadBalancer', 'ingress')).flatMap((entry, i) => {
      const ip = at(entry, 'ip');
      const address = addressFrom(ip);
      // An entry with only a hostname is a cloud load balancer's, not an address of any pool: not an allocation.
      if (address === undefined && ip !== undefined && ip !== '') {
        const reason = `ip ${shown(ip)} is not an address`;
        unreadablePart(unreadable, service, `status.loadBalancer.ingress[${i}].ip`, reason);
      }
      return address === undefined ? [] : [{ service, address, owner }];
    });
  });
}

export function serviceVia(kind: string, s: ServiceAddress, detail: string): string {
  return `${kind} Service ${displayName(s.service)} status.loadBalancer.ingress${detail}`;
}
