/**
 * Generated seeds for tests and benchmarks: `n` selected /24 prefixes of one role under cluster tag `k8s-lab`,
 * in NetBox's write shape (see dev/netbox-emulator/README.md for the seed format).
 */
export function prefixSeed(n: number, role = 'k8s-pod', clusterTag = 'k8s-lab'): Record<string, unknown> {
  const prefixes = Array.from({ length: n }, (_, i) => ({
    prefix: `10.${Math.floor(i / 256)}.${i % 256}.0/24`,
    status: 'active',
    role: { slug: role },
    tags: [{ slug: clusterTag }],
  }));
  return {
    'extras/tags': [
      { name: clusterTag, slug: clusterTag },
      { name: 'k8s-ippool-sync', slug: 'k8s-ippool-sync' },
    ],
    'ipam/roles': [{ name: role, slug: role }],
    'ipam/prefixes': prefixes,
  };
}

/** `n` reserved IP addresses inside the prefixes of prefixSeed (two per /24, .10 and .11). */
export function ipAddressBodies(
  n: number,
): { address: string; status: string; description: string; tags: { slug: string }[] }[] {
  return Array.from({ length: n }, (_, i) => ({
    address: `10.${Math.floor(i / 512)}.${Math.floor(i / 2) % 256}.${i % 2 === 0 ? 10 : 11}/24`,
    status: 'reserved',
    description: `pod ns/p-${i}`,
    tags: [{ slug: 'k8s-ippool-sync' }],
  }));
}
