/**
 * Shared fixtures for the client's unit tests (imported only by *.test.ts; tsconfig.build.json keeps it out of
 * dist, so it may import vitest and nock).
 */
import nock from 'nock';
import { afterEach, beforeAll, expect } from 'vitest';
import type { NbIpAddress, NbPrefix } from '../../src/model/netbox.ts';
import { NetBoxClient } from '../../src/netbox/client/client.ts';
import type { NetBoxClientOptions } from '../../src/netbox/client/options.ts';

/** Never connected: nock answers every request to it. */
export const BASE = 'https://netbox.test';
export const V1_TOKEN = '0123456789abcdef0123456789abcdef0badc0de';
export const V2_TOKEN = `nbt_k3yK3yK3yK3y.${'S3cr3t'.repeat(6)}abcd`;

/**
 * Registers the nock hooks of a test file: no connection leaves the host except to loopback, and after each test
 * every interceptor it set up must have been used.
 */
export function interceptNetBox(): void {
  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterEach(() => {
    const done = nock.isDone();
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
    expect(done).toBe(true);
  });
}

export interface TestClient {
  client: NetBoxClient;
  /** Every backoff delay the client asked for, in order. */
  sleeps: number[];
}

/** A client with instant, recorded sleeps and jitter pinned to the top of the window (random() → 0.999...). */
export function testClient(opts: Partial<NetBoxClientOptions> = {}): TestClient {
  const sleeps: number[] = [];
  const client = new NetBoxClient({
    url: BASE,
    token: V1_TOKEN,
    retryBaseMs: 100,
    retryMaxMs: 1000,
    sleep: ms => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => 0.999,
    ...opts,
  });
  return { client, sleeps };
}

export function statusBody(version: string): Record<string, unknown> {
  return { 'netbox-version': version, 'django-version': '5.2', 'python-version': '3.12.3', plugins: {} };
}

/** A NetBox list envelope. */
export function page(results: unknown[], count: number, next: string | null = null): Record<string, unknown> {
  return { count, next, previous: null, results };
}

export function prefix(id: number, cidr = `10.${Math.floor(id / 256) % 256}.${id % 256}.0/24`): NbPrefix {
  return {
    id,
    url: `${BASE}/api/ipam/prefixes/${id}/`,
    display: cidr,
    prefix: cidr,
    family: { value: 4, label: 'IPv4' },
    vrf: null,
    tenant: null,
    status: { value: 'active', label: 'Active' },
    role: { id: 1, name: 'k8s-pod', slug: 'k8s-pod' },
    tags: [],
    custom_fields: {},
  };
}

export function ipAddress(id: number, address: string): NbIpAddress {
  return {
    id,
    url: `${BASE}/api/ipam/ip-addresses/${id}/`,
    display: address,
    address,
    family: { value: 4, label: 'IPv4' },
    vrf: null,
    tenant: null,
    status: { value: 'reserved', label: 'Reserved' },
    role: null,
    tags: [],
    custom_fields: {},
  };
}
