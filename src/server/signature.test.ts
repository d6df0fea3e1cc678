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

  it.each([
    ['another model', { object_type: 'dcim.device', data: {} }],
    ['no cluster tag', { model: 'prefix', data: { tags: [{ slug: 'other' }] } }],
    ['not an object', [1, 2]],
  ])('ignores %s', (_, payload) => {
    expect(webhookTargets(payload, tags).kind).toBe('ignored');
  });
});
