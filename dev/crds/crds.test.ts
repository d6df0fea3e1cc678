import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CRD_DIR, loadCrds, parseCrdFile, servedGroupVersions, type CrdManifest } from './index.ts';
import { isJsonObject, structuralIssues, type JsonSchema } from './structural.ts';

function rootSchema(crd: CrdManifest, version: string): JsonSchema {
  const v = crd.spec.versions.find(x => x.name === version);
  const schema = isJsonObject(v?.schema) ? v.schema.openAPIV3Schema : undefined;
  if (!isJsonObject(schema)) throw new Error(`${crd.metadata.name} ${version}: no openAPIV3Schema`);
  return schema;
}

/** Walks `a.b[].c{}` (items and additionalProperties) from a version's root schema. */
function schemaAt(crd: CrdManifest, version: string, path: string): JsonSchema {
  let node: JsonSchema = rootSchema(crd, version);
  for (const step of path.split('.')) {
    const [, name = '', suffix = ''] = /^([^[{]*)((?:\[\]|\{\})*)$/.exec(step) ?? [];
    const props = node.properties;
    const next = isJsonObject(props) ? props[name] : undefined;
    if (!isJsonObject(next)) throw new Error(`${crd.metadata.name} ${version}: no field ${name} on the way to ${path}`);
    node = next;
    for (const hop of suffix.match(/\[\]|\{\}/g) ?? []) {
      const inner = hop === '[]' ? node.items : node.additionalProperties;
      if (!isJsonObject(inner)) throw new Error(`${crd.metadata.name} ${version}: ${path} has no ${hop}`);
      node = inner;
    }
  }
  return node;
}

const crds = loadCrds();
const byName = new Map(crds.map(c => [c.metadata.name, c]));
const crd = (name: string): CrdManifest => {
  const found = byName.get(name);
  if (found === undefined) throw new Error(`CRD ${name} is missing from ${CRD_DIR}`);
  return found;
};
const storageVersion = (c: CrdManifest): string => c.spec.versions.find(v => v.storage)?.name ?? '(none)';
const allVersions = crds.flatMap(c => c.spec.versions.map(v => [c.metadata.name, v.name] as const));

// [CRD name, kind, scope, served versions, storage version, status subresource]
const EXPECTED = [
  ['network-attachment-definitions.k8s.cni.cncf.io', 'NetworkAttachmentDefinition', 'Namespaced', 'v1', 'v1', false],
  ['ippools.whereabouts.cni.cncf.io', 'IPPool', 'Namespaced', 'v1alpha1', 'v1alpha1', false],
  [
    'overlappingrangeipreservations.whereabouts.cni.cncf.io',
    'OverlappingRangeIPReservation',
    'Namespaced',
    'v1alpha1',
    'v1alpha1',
    false,
  ],
  ['nodeslicepools.whereabouts.cni.cncf.io', 'NodeSlicePool', 'Namespaced', 'v1alpha1', 'v1alpha1', false],
  ['ippools.nv-ipam.nvidia.com', 'IPPool', 'Namespaced', 'v1alpha1', 'v1alpha1', true],
  ['cidrpools.nv-ipam.nvidia.com', 'CIDRPool', 'Namespaced', 'v1alpha1', 'v1alpha1', true],
  ['ippools.projectcalico.org', 'IPPool', 'Cluster', 'v3', 'v3', true],
  ['ipreservations.projectcalico.org', 'IPReservation', 'Cluster', 'v3', 'v3', false],
  ['ipamblocks.crd.projectcalico.org', 'IPAMBlock', 'Cluster', 'v1', 'v1', false],
  ['blockaffinities.crd.projectcalico.org', 'BlockAffinity', 'Cluster', 'v1', 'v1', false],
  ['ipaddresspools.metallb.io', 'IPAddressPool', 'Namespaced', 'v1beta1', 'v1beta1', true],
  ['l2advertisements.metallb.io', 'L2Advertisement', 'Namespaced', 'v1beta1', 'v1beta1', true],
  ['bgpadvertisements.metallb.io', 'BGPAdvertisement', 'Namespaced', 'v1beta1', 'v1beta1', true],
  ['ciliumloadbalancerippools.cilium.io', 'CiliumLoadBalancerIPPool', 'Cluster', 'v2,v2alpha1', 'v2', true],
  ['ciliumpodippools.cilium.io', 'CiliumPodIPPool', 'Cluster', 'v2alpha1', 'v2alpha1', false],
  ['ciliumnodes.cilium.io', 'CiliumNode', 'Cluster', 'v2', 'v2', true],
  ['ciliumendpoints.cilium.io', 'CiliumEndpoint', 'Namespaced', 'v2', 'v2', false],
] as const;

/** `<plural>.<group>`: plurals never contain a dot, groups always do. */
const splitName = (name: string): { plural: string; group: string } => {
  const dot = name.indexOf('.');
  return { plural: name.slice(0, dot), group: name.slice(dot + 1) };
};

describe('CRD files', () => {
  const files = readdirSync(CRD_DIR).filter(f => f.endsWith('.yaml'));

  it('has exactly the expected CRDs', () => {
    expect(crds.map(c => c.metadata.name).sort()).toEqual(EXPECTED.map(([name]) => name).sort());
  });

  it.each(EXPECTED)(
    '%s: %s, %s, serves %s, stores %s, status subresource %s',
    (name, kind, scope, served, storage, status) => {
      const c = crd(name);
      const actual = { plural: c.spec.names.plural, group: c.spec.group, kind: c.spec.names.kind, scope: c.spec.scope };
      expect(actual).toEqual({ ...splitName(name), kind, scope });
      expect(c.spec.versions.filter(v => v.served).map(v => v.name)).toEqual(served.split(','));
      expect(storageVersion(c)).toBe(storage);
      const withStatus = c.spec.versions.map(v => isJsonObject(v.subresources) && 'status' in v.subresources);
      expect(withStatus).toEqual(c.spec.versions.map(() => status));
    },
  );

  it.each(files)('%s: file name is <plural>.<group>.yaml and matches metadata.name', file => {
    const c = parseCrdFile(join(CRD_DIR, file));
    expect(`${c.spec.names.plural}.${c.spec.group}.yaml`).toBe(file);
    expect(`${c.metadata.name}.yaml`).toBe(file);
  });

  it.each(files)('%s: starts with a comment naming our project and the upstream source', file => {
    const header = /^(#.*\n)+/.exec(readFileSync(join(CRD_DIR, file), 'utf8'))?.[0] ?? '';
    expect(header).toMatch(/netbox-ippool-sync/);
    expect(header).toMatch(/upstream facts \([^)]*\b(v\d|\d+\.\d+)/);
  });

  // kube tooling reads YAML with 1.1 rules, where bare Yes/No/on/off are booleans.
  it.each(files)('%s: means the same under YAML 1.1 and 1.2', file => {
    const text = readFileSync(join(CRD_DIR, file), 'utf8');
    expect(parse(text, { version: '1.1' })).toEqual(parse(text));
  });

  it.each(crds.map(c => [c.metadata.name, c] as const))('%s: exactly one storage version', (_name, c) => {
    expect(c.spec.versions.filter(v => v.storage)).toHaveLength(1);
  });

  it.each(allVersions)('%s %s: schema is structural', (name, version) => {
    const root = rootSchema(crd(name), version);
    expect(root.type).toBe('object');
    expect(schemaAt(crd(name), version, 'metadata')).toEqual({ type: 'object' });
    expect(structuralIssues(root, `${name}/${version}`)).toEqual([]);
  });
});

describe('validation the daemon relies on', () => {
  // [crd, version, path, message fragment]
  it.each([
    ['ippools.projectcalico.org', 'v3', 'spec.cidr', 'CIDR cannot be changed'],
    ['ippools.projectcalico.org', 'v3', 'spec.blockSize', 'Block size cannot be changed'],
    ['ippools.projectcalico.org', 'v3', 'spec', 'ipipMode and vxlanMode cannot both be enabled'],
    ['ippools.projectcalico.org', 'v3', 'spec', 'IPIP is not supported on IPv6 pools'],
    ['ippools.projectcalico.org', 'v3', 'spec', 'LoadBalancer IP pool cannot have IPIP or VXLAN'],
    ['ippools.projectcalico.org', 'v3', 'spec', 'LoadBalancer cannot be combined with Workload or Tunnel'],
    ['ippools.projectcalico.org', 'v3', 'spec', 'blockSize must be between 20 and 32'],
    ['ippools.projectcalico.org', 'v3', 'spec', 'LoadBalancer IP pools cannot disable BGP export'],
    ['ippools.projectcalico.org', 'v3', 'spec', 'LoadBalancer must have nodeSelector set to all()'],
    ['ippools.nv-ipam.nvidia.com', 'v1alpha1', 'spec.perNodeExclusions[]', 'endIndex must be greater'],
    ['cidrpools.nv-ipam.nvidia.com', 'v1alpha1', 'spec.perNodeExclusions[]', 'endIndex must be greater'],
    ['bgpadvertisements.metallb.io', 'v1beta1', 'spec', 'serviceSelectors and aggregationLength'],
  ])('%s %s %s has the CEL rule "%s"', (name, version, path, message) => {
    const rules = schemaAt(crd(name), version, path)['x-kubernetes-validations'];
    const messages = Array.isArray(rules) ? rules.map(r => (isJsonObject(r) ? r.message : undefined)) : [];
    expect(messages.some(m => typeof m === 'string' && m.includes(message))).toBe(true);
  });

  it('makes the Calico immutability rules transition rules', () => {
    for (const field of ['cidr', 'blockSize']) {
      const rules = schemaAt(crd('ippools.projectcalico.org'), 'v3', `spec.${field}`)['x-kubernetes-validations'];
      expect(rules).toContainEqual(expect.objectContaining({ rule: 'self == oldSelf' }));
    }
  });

  // [crd, version, path, expected subset of the schema node]
  it.each([
    ['network-attachment-definitions.k8s.cni.cncf.io', 'v1', 'spec.config', { type: 'string' }],
    ['ippools.whereabouts.cni.cncf.io', 'v1alpha1', 'spec', { required: ['allocations', 'range'] }],
    ['ippools.whereabouts.cni.cncf.io', 'v1alpha1', 'spec.allocations{}', { required: ['id', 'podref'] }],
    ['overlappingrangeipreservations.whereabouts.cni.cncf.io', 'v1alpha1', 'spec', { required: ['podref'] }],
    [
      'nodeslicepools.whereabouts.cni.cncf.io',
      'v1alpha1',
      'status.allocations[]',
      { required: ['nodeName', 'sliceRange'] },
    ],
    ['ippools.nv-ipam.nvidia.com', 'v1alpha1', 'spec', { required: ['perNodeBlockSize', 'subnet'] }],
    ['ippools.nv-ipam.nvidia.com', 'v1alpha1', 'status.allocations[]', { required: ['endIP', 'nodeName', 'startIP'] }],
    ['cidrpools.nv-ipam.nvidia.com', 'v1alpha1', 'spec.staticAllocations[]', { required: ['prefix'] }],
    ['cidrpools.nv-ipam.nvidia.com', 'v1alpha1', 'spec.perNodeExclusions[].startIndex', { minimum: 0 }],
    ['ippools.projectcalico.org', 'v3', 'spec.cidr', { format: 'cidr', maxLength: 48 }],
    ['ippools.projectcalico.org', 'v3', 'spec.blockSize', { minimum: 0, maximum: 128 }],
    ['ippools.projectcalico.org', 'v3', 'spec.ipipMode', { enum: ['Never', 'Always', 'CrossSubnet'] }],
    ['ippools.projectcalico.org', 'v3', 'spec.vxlanMode', { enum: ['Never', 'Always', 'CrossSubnet'] }],
    ['ippools.projectcalico.org', 'v3', 'spec.nodeSelector', { default: 'all()', maxLength: 1024 }],
    ['ippools.projectcalico.org', 'v3', 'spec.allowedUses', { 'x-kubernetes-list-type': 'set', maxItems: 10 }],
    ['ippools.projectcalico.org', 'v3', 'spec.assignmentMode', { enum: ['Automatic', 'Manual'], default: 'Automatic' }],
    ['ipreservations.projectcalico.org', 'v3', 'spec.reservedCIDRs[]', { type: 'string', format: 'cidr' }],
    ['ipamblocks.crd.projectcalico.org', 'v1', 'spec.allocations[]', { type: 'integer', nullable: true }],
    ['ipamblocks.crd.projectcalico.org', 'v1', 'spec.attributes[].secondary{}', { type: 'string' }],
    ['blockaffinities.crd.projectcalico.org', 'v1', 'spec.deleted', { type: 'string' }],
    ['ipaddresspools.metallb.io', 'v1beta1', 'spec', { required: ['addresses'] }],
    ['ipaddresspools.metallb.io', 'v1beta1', 'spec.autoAssign', { type: 'boolean', default: true }],
    ['ipaddresspools.metallb.io', 'v1beta1', 'spec.serviceAllocation.priority', { type: 'integer' }],
    ['bgpadvertisements.metallb.io', 'v1beta1', 'spec.aggregationLength', { minimum: 1, default: 32 }],
    ['ciliumloadbalancerippools.cilium.io', 'v2', 'spec.blocks[].cidr', { format: 'cidr' }],
    ['ciliumloadbalancerippools.cilium.io', 'v2', 'spec.allowFirstLastIPs', { enum: ['Yes', 'No'] }],
    ['ciliumloadbalancerippools.cilium.io', 'v2', 'spec.disabled', { type: 'boolean', default: false }],
    ['ciliumpodippools.cilium.io', 'v2alpha1', 'spec.ipv4.cidrs', { minItems: 1 }],
    ['ciliumpodippools.cilium.io', 'v2alpha1', 'spec.ipv4.cidrs[]', { type: 'string', format: 'cidr' }],
    ['ciliumpodippools.cilium.io', 'v2alpha1', 'spec.ipv4.maskSize', { minimum: 1, maximum: 32 }],
    ['ciliumpodippools.cilium.io', 'v2alpha1', 'spec.ipv6.maskSize', { minimum: 1, maximum: 128 }],
    ['ciliumnodes.cilium.io', 'v2', 'spec.ipam.pools.allocated[].cidrs[]', { format: 'cidr' }],
    ['ciliumnodes.cilium.io', 'v2', 'spec.ipam.pools.requested[]', { required: ['pool'] }],
    ['ciliumendpoints.cilium.io', 'v2', 'status.networking.addressing[].ipv4', { type: 'string' }],
    ['ciliumendpoints.cilium.io', 'v2', 'status.networking.node', { type: 'string' }],
  ])('%s %s %s', (name, version, path, expected) => {
    expect(schemaAt(crd(name), version, path)).toMatchObject(expected);
  });

  it('serves CiliumLoadBalancerIPPool v2alpha1 deprecated, with the v2 schema', () => {
    const [v2, v2alpha1] = crd('ciliumloadbalancerippools.cilium.io').spec.versions;
    expect(v2alpha1).toMatchObject({ name: 'v2alpha1', served: true, storage: false, deprecated: true });
    expect(v2alpha1?.schema).toEqual(v2?.schema);
  });
});

describe('servedGroupVersions', () => {
  it('lists every served plural once per group/version', () => {
    const gvs = servedGroupVersions(crds);
    const expected = new Map<string, string[]>();
    for (const [name, , , served] of EXPECTED) {
      const { group, plural } = splitName(name);
      for (const v of served.split(','))
        expected.set(`${group}/${v}`, [...(expected.get(`${group}/${v}`) ?? []), plural]);
    }
    expect(gvs.map(gv => `${gv.group}/${gv.version}`)).toEqual([...expected.keys()].sort());
    for (const gv of gvs) expect(gv.plurals).toEqual([...(expected.get(`${gv.group}/${gv.version}`) ?? [])].sort());
  });

  it('skips versions that are not served', () => {
    const c = structuredClone(crd('ciliumloadbalancerippools.cilium.io'));
    c.spec.versions[1]!.served = false;
    expect(servedGroupVersions([c])).toEqual([
      { group: 'cilium.io', version: 'v2', plurals: ['ciliumloadbalancerippools'] },
    ]);
  });
});

describe('loadCrds errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nbsync-crds-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['two documents', 'a: 1\n---\nb: 2\n', /exactly one YAML document/],
    [
      'a non-CRD',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n',
      /not an apiextensions.k8s.io\/v1 CustomResourceDefinition/,
    ],
    ['broken YAML', 'a: [1, 2\n', /YAML syntax error/],
  ])('names the file when it holds %s', (what, text, reason) => {
    const file = join(dir, `${what.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, text);
    expect(() => parseCrdFile(file)).toThrow(reason);
    expect(() => parseCrdFile(file)).toThrow(file);
  });
});
