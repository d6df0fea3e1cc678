import { describe, expect, it } from 'vitest';
import { ADAPTERS } from './registry.ts';
import { readAllocations } from './allocations.ts';
import { formatIssue } from '../model/issue.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import { describeAllocation, observedMap, observedObject } from '../../test/support/kind-fixtures.ts';

/**
 * Unreadable allocation sources are reported, one warning per object, and their kinds count as not fully read, so
 * writeback never marks or deletes a record because its source became garbage. Before this, every malformed entry
 * read as "no allocation" without a word, and a record of a live address would have been marked stale.
 */

const wbPool = (name: string, range: unknown, allocations: unknown): K8sObject =>
  observedObject({
    apiVersion: 'whereabouts.cni.cncf.io/v1alpha1',
    kind: 'IPPool',
    name,
    namespace: 'net',
    spec: { range, allocations },
  });

const good = wbPool('10.9.0.0-24', '10.9.0.0/24', { '5': { id: 'c5', podref: 'net/pod-5' } });

const read = (objects: K8sObject[]) => {
  const r = readAllocations(ADAPTERS, observedMap(objects));
  return {
    allocations: r.allocations.map(describeAllocation),
    issues: r.issues.map(formatIssue),
    unread: [...r.unreadKinds].sort(),
  };
};

describe('readAllocations', () => {
  it('reads clean sources without a word', () => {
    const r = read([good]);
    expect(r.allocations).toHaveLength(1);
    expect(r.issues).toEqual([]);
    expect(r.unread).toEqual([]);
  });

  it('names a Whereabouts IPPool with garbage offsets once, keeps the good allocations, marks the kind unread', () => {
    const bad = wbPool('10.9.1.0-24', '10.9.1.0/24', {
      x1: { podref: 'net/a' },
      '-3': { podref: 'net/b' },
      '999': { podref: 'net/c' },
      '7': { podref: 'no-slash' },
      '8': { podref: 'net/fine' },
    });
    const r = read([good, bad]);
    expect(r.allocations.map(a => a.split(' ')[0])).toEqual(['10.9.0.5', '10.9.1.8']);
    expect(r.unread).toEqual(['whereabouts']);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toContain('IPPool net/10.9.1.0-24');
    expect(r.issues[0]).toContain('offset "x1" is not a decimal number');
    expect(r.issues[0]).toContain('and 1 more');
  });

  it('names an IPPool whose range is not a CIDR', () => {
    const r = read([wbPool('junk', 'ten.nine/24', { '1': { podref: 'net/a' } })]);
    expect(r.issues).toEqual([expect.stringContaining('range "ten.nine/24" is not a CIDR')]);
    expect(r.unread).toEqual(['whereabouts']);
  });

  it('names Calico IPAMBlocks with impossible ordinals and attribute indexes', () => {
    const block = (name: string, allocations: unknown[], attributes: unknown[]): K8sObject =>
      observedObject({
        apiVersion: 'crd.projectcalico.org/v1',
        kind: 'IPAMBlock',
        name,
        spec: { cidr: '10.8.0.0/30', affinity: 'host:n1', allocations, attributes },
      });
    const attr = { handle_id: 'h', secondary: { namespace: 'ns', pod: 'p' } };
    const r = read([
      block('ok', [0, null, null, null], [attr]),
      block('past', [null, null, null, null, 0], [attr]),
      block('index', [7, 'x', -1, null], [attr]),
    ]);
    expect(r.unread).toEqual(['calico']);
    expect(r.issues.map(i => i.split(':')[1])).toEqual([
      ' IPAMBlock index [spec.allocations[0]]',
      ' IPAMBlock past [spec.allocations[4]]',
    ]);
    expect(r.issues.join('\n')).toContain('ordinal 4 lies past the block 10.8.0.0/30');
    expect(r.issues.join('\n')).toContain('attribute index 7 names no attribute');
    expect(r.allocations.filter(a => a.includes('Pod'))).toHaveLength(1);
  });

  it('names a Service with a garbage ingress address once although two kinds read it; hostnames are no allocation', () => {
    const service = (name: string, ingress: unknown[]): K8sObject =>
      observedObject({
        apiVersion: 'v1',
        kind: 'Service',
        name,
        namespace: 'web',
        spec: { type: 'LoadBalancer' },
        status: { loadBalancer: { ingress } },
      });
    const r = read([service('elb', [{ hostname: 'x.elb.example.com' }]), service('junk', [{ ip: '300.1.1.1' }])]);
    expect(r.issues).toEqual([expect.stringContaining('Service web/junk [status.loadBalancer.ingress[0].ip]')]);
    expect(r.unread).toEqual(['cilium-lb', 'metallb']);
  });

  it('names junk in NV-IPAM statuses, CiliumNodes and pod network-status', () => {
    const r = read([
      observedObject({
        apiVersion: 'nv-ipam.nvidia.com/v1alpha1',
        kind: 'IPPool',
        name: 'rdma',
        namespace: 'net',
        spec: { subnet: '10.7.0.0/24', perNodeBlockSize: 8 },
        status: { allocations: [{ nodeName: 'n1', startIP: '10.7.0.9', endIP: '10.7.0.1' }] },
      }),
      observedObject({
        apiVersion: 'cilium.io/v2',
        kind: 'CiliumNode',
        name: 'n1',
        spec: { ipam: { pools: { allocated: [{ pool: 'p', cidrs: ['10.6.0.0/33'] }, { cidrs: [] }] } } },
      }),
      observedObject({
        apiVersion: 'v1',
        kind: 'Pod',
        name: 'pod',
        namespace: 'net',
        metadata: { name: 'pod', namespace: 'net', annotations: { 'k8s.v1.cni.cncf.io/network-status': '{not json' } },
      }),
    ]);
    expect(r.unread).toEqual(['cilium-pod', 'nv-ipam']);
    expect(r.issues).toHaveLength(3);
  });

  it('contains a reader that throws: that kind is unread, the others are read', () => {
    const throwing = {
      ...ADAPTERS[0]!,
      allocations: () => {
        throw new Error('boom');
      },
    };
    const r = readAllocations([throwing, ...ADAPTERS.slice(1)], observedMap([good]));
    expect([...r.unreadKinds]).toEqual([throwing.kind]);
    expect(r.issues.map(formatIssue)).toEqual([expect.stringContaining('boom')]);
  });
});
