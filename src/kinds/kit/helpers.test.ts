import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../ip/index.ts';
import { blockProblem, describeExclusion, edgeAddresses, memberName, rangeText } from './address-space.ts';
import { specHash } from './canonical.ts';
import { canonicalJson, sortKeysDeep } from '../../model/values.ts';
import { comparableMetadata } from './metadata.ts';
import { metallbAdapter } from '../metallb.ts';
import { calicoSelector, labelSelector, nodeSelector } from './selectors.ts';
import * as kit from '../../../test/support/kind-fixtures.ts';

/** The shared building blocks behind every adapter, tested on their own. */

describe('canonical JSON and the spec hash', () => {
  it('sorts keys at every level, keeps array order, drops undefined', () => {
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: undefined, c: null })).toBe('{"b":[{"c":2,"d":1}],"c":null}');
    expect(JSON.stringify(sortKeysDeep({ z: { y: 1, x: 2 } }))).toBe('{"z":{"x":2,"y":1}}');
  });

  it('hashes the canonical JSON with sha256', () => {
    const expected = createHash('sha256').update('{"a":1,"b":[2,1]}').digest('hex');
    expect(specHash({ b: [2, 1], a: 1 })).toBe(expected);
    expect(specHash({ a: 1, b: [1, 2] })).not.toBe(expected);
  });
});

describe('selectors', () => {
  const req = (key: string, operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist', values: string[] = []) => ({
    key,
    operator,
    values,
  });

  it.each([
    { reqs: [], calico: 'all()' },
    { reqs: [req('zone', 'In', ['b', 'a', 'b'])], calico: "zone in {'a', 'b'}" },
    { reqs: [req('team', 'NotIn', ["o'neil"])], calico: `team not in {"o'neil"}` },
    { reqs: [req('b', 'DoesNotExist'), req('a', 'Exists')], calico: 'has(a) && !has(b)' },
  ])('Calico expression $calico', ({ reqs, calico }) => {
    expect(calicoSelector(reqs)).toBe(calico);
  });

  it('core NodeSelector: one term, no values for Exists, nothing for no requirements', () => {
    expect(nodeSelector([])).toBeUndefined();
    expect(nodeSelector([req('gpu', 'Exists', ['ignored'])])).toEqual({
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }],
    });
  });

  it('LabelSelector merges options with requirements', () => {
    expect(labelSelector([])).toBeUndefined();
    expect(
      labelSelector([req('ns', 'In', ['a'])], {
        matchLabels: { app: 'x' },
        matchExpressions: [{ key: 'tier', operator: 'Exists' }],
      }),
    ).toEqual({
      matchLabels: { app: 'x' },
      matchExpressions: [
        { key: 'ns', operator: 'In', values: ['a'] },
        { key: 'tier', operator: 'Exists' },
      ],
    });
  });
});

describe('address space helpers', () => {
  it('names members after their CIDR and prints ranges as CIDRs where they are one', () => {
    expect(memberName('p', { family: 6, network: parseAddress('fd00:1::').value, prefixLength: 64 })).toBe(
      'p-fd00-1---64',
    );
    expect(rangeText(kit.addresses('10.0.0.8-10.0.0.15'))).toBe('10.0.0.8/29');
    expect(rangeText(kit.addresses('10.0.0.8-10.0.0.14'))).toBe('10.0.0.8-10.0.0.14');
    expect(describeExclusion({ range: kit.addresses('10.0.0.1'), heldBy: 'gateway' })).toBe('10.0.0.1 (gateway)');
  });

  it('keeps the first and last address only where a CIDR has four or more', () => {
    const cidr = (text: string, prefixLength: number) => ({
      family: 4 as const,
      network: parseAddress(text).value,
      prefixLength,
    });
    expect(edgeAddresses(cidr('10.0.0.0', 31))).toEqual([]);
    expect(edgeAddresses(cidr('10.0.0.0', 30)).map(kit.describeRange)).toEqual(['10.0.0.0', '10.0.0.3']);
  });

  it.each([
    {
      name: 'range outside its network',
      block: { ...kit.prefixBlock(1, '10.0.0.0/24'), range: kit.addresses('10.0.1.0-10.0.1.5') },
      problem: 'its addresses are not a range inside its network 10.0.0.0/24',
    },
    {
      name: 'held addresses outside the block',
      block: kit.rangeBlock(2, '10.0.0.10-10.0.0.20', '10.0.0.0/24', { held: [['10.0.0.30', 'printer']] }),
      problem: 'held addresses 10.0.0.30 (printer) lie outside the block',
    },
    { name: 'a sound block', block: kit.prefixBlock(3, '10.0.0.0/24'), problem: undefined },
  ])('blockProblem: $name', ({ block, problem }) => {
    expect(blockProblem(block)).toBe(problem);
  });
});

describe('settings: k8s_options over config defaults', () => {
  it('blames k8s_options when the bad key is set there, config otherwise', () => {
    const intent = kit.poolIntent('metallb', [kit.prefixBlock(1, '10.0.0.0/28')], { options: { autoAssign: 1 } });
    const fromOptions = metallbAdapter.render(intent, { cluster: kit.CLUSTER, defaults: {} });
    expect(fromOptions.issues.map(i => [i.subject.type, i.field])).toEqual([
      ['pool', 'custom_fields.k8s_options.autoAssign'],
    ]);
    const fromConfig = metallbAdapter.render(kit.poolIntent('metallb', [kit.prefixBlock(1, '10.0.0.0/28')]), {
      cluster: kit.CLUSTER,
      defaults: { avoidBuggyIPs: 'no' },
    });
    expect(fromConfig.issues.map(i => [i.subject, i.field])).toEqual([
      [{ type: 'config', path: 'kinds.metallb.avoidBuggyIPs' }, 'kinds.metallb.avoidBuggyIPs'],
    ]);
  });

  it('lists the accepted keys when a top-level key is unknown', () => {
    const intent = kit.poolIntent('metallb', [kit.prefixBlock(1, '10.0.0.0/28')], { options: { adresses: [] } });
    expect(kit.render(metallbAdapter, intent).issues[0]?.hint).toBe(
      'metallb accepts: advertisement, autoAssign, avoidBuggyIPs, bgpAdvertisement, l2Advertisement, namespace, serviceAllocation',
    );
  });
});

describe('comparable metadata', () => {
  it('keeps identity and our own labels and annotations only', () => {
    expect(
      comparableMetadata({
        name: 'p',
        namespace: 'n',
        uid: 'u',
        resourceVersion: '1',
        finalizers: ['x'],
        labels: { 'app.kubernetes.io/managed-by': 'netbox-ippool-sync', 'netbox-ippool-sync/cluster': 'c', team: 'a' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      }),
    ).toEqual({
      name: 'p',
      namespace: 'n',
      labels: { 'app.kubernetes.io/managed-by': 'netbox-ippool-sync', 'netbox-ippool-sync/cluster': 'c' },
    });
  });
});
