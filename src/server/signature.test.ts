import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from './signature.ts';
import { webhookTargets } from './webhook.ts';

const secret = 'shared-secret';
const body = Buffer.from('{"event":"created","model":"prefix"}');
const good = createHmac('sha512', secret).update(body).digest('hex');

describe('X-Hook-Signature', () => {
  it('is the hex HMAC-SHA512 of the raw body', () => {
    expect(signBody(body, secret)).toBe(good);
    expect(verifySignature(body, good, secret)).toBe(true);
    expect(verifySignature(body, good.toUpperCase(), secret)).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['repeated header', [good, good]],
    ['another secret', createHmac('sha512', 'other').update(body).digest('hex')],
    ['SHA-256 length', createHmac('sha256', secret).update(body).digest('hex')],
    ['not hex', 'z'.repeat(128)],
    ['one digit changed', `${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}`],
  ])('refuses a signature that is %s', (_, header) => {
    expect(verifySignature(body, header, secret)).toBe(false);
  });

  it('covers every byte: a re-serialised body fails', () => {
    expect(verifySignature(Buffer.from('{"event": "created", "model": "prefix"}'), good, secret)).toBe(false);
  });
});

describe('which clusters a webhook concerns', () => {
  const tags = new Map([
    ['a', 'k8s-a'],
    ['b', 'k8s-b'],
  ]);
  it.each([
    [
      'a prefix tagged for a',
      { object_type: 'ipam.prefix', data: { tags: [{ slug: 'k8s-a', name: 'k8s-a' }] } },
      ['a'],
    ],
    ['a prefix, NetBox before 4.7 (`model`)', { model: 'prefix', data: { tags: [{ slug: 'k8s-a' }] } }, ['a']],
    [
      'a range that lost b’s tag',
      { model: 'iprange', data: { tags: [] }, snapshots: { prechange: { tags: ['k8s-b'] }, postchange: { tags: [] } } },
      ['b'],
    ],
    ['an IP address (exclusions): every cluster', { model: 'ipaddress', data: {} }, ['a', 'b']],
  ])('%s', (_, payload, clusters) => {
    expect(webhookTargets(payload, tags)).toEqual({ kind: 'clusters', clusters });
  });

  describe('a writeback record (managed tag + cluster tag) does not queue its own cluster’s sync', () => {
    const managed = new Map([
      ['a', 'k8s-ippool-sync'],
      ['b', 'k8s-ippool-sync'],
    ]);
    const record = (tags: string[]) => ({
      object_type: 'ipam.ipaddress',
      data: { tags: tags.map(slug => ({ slug, name: slug })) },
      snapshots: { prechange: null, postchange: { tags } },
    });
    it.each([
      ['a’s record created: b only (it is an exclusion there)', record(['k8s-ippool-sync', 'k8s-a']), ['b']],
      ['a static address: every cluster', record([]), ['a', 'b']],
      ['a’s tag without the managed tag: every cluster', record(['k8s-a']), ['a', 'b']],
      [
        'someone took the managed tag off a’s record: a too',
        {
          object_type: 'ipam.ipaddress',
          data: { tags: [{ slug: 'k8s-a' }] },
          snapshots: { prechange: { tags: ['k8s-ippool-sync', 'k8s-a'] }, postchange: { tags: ['k8s-a'] } },
        },
        ['a', 'b'],
      ],
      [
        'a’s per-node block prefix: nobody',
        { object_type: 'ipam.prefix', data: { tags: [{ slug: 'k8s-ippool-sync' }, { slug: 'k8s-a' }] } },
        [],
      ],
    ])('%s', (_, payload, clusters) => {
      const got = webhookTargets(payload, tags, managed);
      expect(got.kind === 'clusters' ? got.clusters : []).toEqual(clusters);
    });
    it('only a', () => {
      expect(webhookTargets(record(['k8s-ippool-sync', 'k8s-a']), new Map([['a', 'k8s-a']]), managed).kind).toBe(
        'ignored',
      );
    });
  });

  it.each([
    ['another model', { object_type: 'dcim.device', data: {} }],
    ['no cluster tag', { model: 'prefix', data: { tags: [{ slug: 'other' }] } }],
    ['not an object', [1, 2]],
  ])('ignores %s', (_, payload) => {
    expect(webhookTargets(payload, tags).kind).toBe('ignored');
  });
});
