/** Pure parts: retry policy, version capabilities, error bodies, options, the semaphore. */
import { describe, expect, it } from 'vitest';
import { parseNetBoxVersion, selectionParams } from './capabilities.ts';
import { errorFromResponse, flattenFieldErrors, parseErrorBody } from './error-body.ts';
import {
  NetBoxAuthError,
  NetBoxConfigError,
  NetBoxConflictError,
  NetBoxNotFoundError,
  NetBoxRequestError,
  NetBoxUnavailableError,
  NetBoxValidationError,
} from './errors.ts';
import { apiRootOf, resolveOptions } from './options.ts';
import { endpointPath } from './paths.ts';
import { isTransientStatus, MAX_RETRY_AFTER_MS, parseRetryAfter, retryDelayMs } from './retry.ts';
import { Semaphore } from './semaphore.ts';

describe('retry policy', () => {
  it.each([
    [429, true],
    [502, true],
    [503, true],
    [504, true],
    [500, false],
    [501, false],
    [400, false],
    [404, false],
    [409, false],
  ])('status %i transient: %s', (status, transient) => {
    expect(isTransientStatus(status)).toBe(transient);
  });

  it('full jitter stays within [0, min(max, base·2^attempt)]', () => {
    const policy = (r: number) => ({ baseMs: 200, maxMs: 10_000, random: () => r });
    expect([0, 1, 2, 3, 10].map(a => retryDelayMs(a, policy(0.999999)))).toEqual([199, 399, 799, 1599, 9999]);
    expect([0, 1, 2, 3, 10].map(a => retryDelayMs(a, policy(0)))).toEqual([0, 0, 0, 0, 0]);
  });

  it('lets Retry-After replace the jitter, capped', () => {
    const policy = { baseMs: 200, maxMs: 10_000, random: () => 0.5 };
    expect(retryDelayMs(0, policy, 3000)).toBe(3000);
    expect(retryDelayMs(0, policy, 3_600_000)).toBe(MAX_RETRY_AFTER_MS);
  });

  it.each([
    ['3', 3000],
    [' 0 ', 0],
    ['Wed, 21 Oct 2015 07:28:10 GMT', 10_000],
    ['Wed, 21 Oct 2015 07:27:50 GMT', 0], // already past
    ['soon', undefined],
    ['-5', undefined],
    ['1.5', undefined],
    [undefined, undefined],
  ])('Retry-After %j → %j ms', (value, ms) => {
    expect(parseRetryAfter(value, Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(ms);
  });
});

describe('server version and field selection', () => {
  it.each([
    ['4.2.5-Docker-3.2.0', { major: 4, minor: 2, patch: 5 }],
    ['4.7.0-beta1', { major: 4, minor: 7, patch: 0 }],
    ['v4.6.1', { major: 4, minor: 6, patch: 1 }],
    ['4.7', { major: 4, minor: 7, patch: 0 }],
  ])('parses %s', (raw, expected) => {
    expect(parseNetBoxVersion(raw)).toMatchObject(expected);
  });

  it.each(['', 'dev', undefined])('gives up on %j', raw => {
    expect(parseNetBoxVersion(raw)).toBeUndefined();
  });

  const sel = { fields: ['id', 'name'], briefFallback: true };
  it.each([
    { v: '4.0.0', s: sel, params: [['fields', 'id,name']] },
    { v: '3.7.8', s: sel, params: [['brief', 'true']] },
    { v: '3.7.8', s: { fields: ['id'] }, params: [] },
    { v: undefined, s: sel, params: [] },
    { v: '4.5.2', s: { omit: ['comments'] }, params: [['omit', 'comments']] },
    { v: '4.5', s: { omit: ['comments'] }, params: [] },
    { v: '4.7.0', s: { fields: ['id'], omit: ['comments'] }, params: [['fields', 'id']] },
    { v: '3.0.0', s: { brief: true }, params: [['brief', 'true']] },
  ])('on $v, $s → $params', ({ v, s, params }) => {
    expect(selectionParams(s, parseNetBoxVersion(v))).toEqual(params);
  });
});

describe('NetBox error bodies', () => {
  it('reads the 4.7 bulk envelope, index- and id-keyed, with bare message lists', () => {
    expect(
      parseErrorBody({
        detail: '2 of 3 objects failed validation.',
        errors: [
          { index: 0, errors: { slug: ['Enter a valid slug.'] } },
          { id: 9, errors: ['Expected a dictionary of items.'] },
        ],
      }),
    ).toEqual({
      detail: '2 of 3 objects failed validation.',
      fieldErrors: {},
      bulkErrors: [
        { index: 0, fieldErrors: { slug: ['Enter a valid slug.'] } },
        { id: 9, fieldErrors: { __all__: ['Expected a dictionary of items.'] } },
      ],
    });
  });

  it('reads a ≤4.6 per-item list, skipping the empty entries', () => {
    expect(parseErrorBody([{}, { address: ['Duplicate'] }, {}]).bulkErrors).toEqual([
      { index: 1, fieldErrors: { address: ['Duplicate'] } },
    ]);
  });

  it('flattens nested and non-field errors', () => {
    expect(
      flattenFieldErrors({
        non_field_errors: ['Defined addresses overlap with range 10.0.0.10-99/24 in VRF None'],
        custom_fields: { k8s_pool_kind: ['Invalid choice'] },
        tags: [{}, { slug: ['Related object not found'] }],
      }),
    ).toEqual({
      __all__: ['Defined addresses overlap with range 10.0.0.10-99/24 in VRF None'],
      'custom_fields.k8s_pool_kind': ['Invalid choice'],
      'tags[1].slug': ['Related object not found'],
    });
  });

  const ctx = { method: 'PATCH', path: '/api/ipam/prefixes/4/', object: 'id 4' };
  const opts = { tokenSource: 'file /run/secrets/nb', scrub: (t: string) => t };
  it.each([
    [400, NetBoxValidationError],
    [401, NetBoxAuthError],
    [403, NetBoxAuthError],
    [404, NetBoxNotFoundError],
    [405, NetBoxRequestError],
    [409, NetBoxConflictError],
    [412, NetBoxConflictError],
    [429, NetBoxUnavailableError],
    [500, NetBoxUnavailableError],
    [503, NetBoxUnavailableError],
  ])('status %i → %o', (status, cls) => {
    const err = errorFromResponse(ctx, { status, body: { detail: 'x' }, text: '{"detail":"x"}', attempts: 1 }, opts);
    expect(err).toBeInstanceOf(cls);
    expect(err.message).toMatch(/^PATCH \/api\/ipam\/prefixes\/4\/ \(id 4\) failed \[HTTP \d+\]/);
  });

  it('names the field and NetBox’s message in the error text', () => {
    const body = { status: ['"bogus" is not a valid choice.'] };
    const err = errorFromResponse(ctx, { status: 400, body, text: JSON.stringify(body), attempts: 1 }, opts);
    expect(err.message).toContain('status: "bogus" is not a valid choice.');
  });
});

describe('options and paths', () => {
  it.each([
    ['https://netbox.example.com', 'https://netbox.example.com/api/'],
    ['https://netbox.example.com/', 'https://netbox.example.com/api/'],
    ['https://netbox.example.com/api', 'https://netbox.example.com/api/'],
    ['http://10.0.0.1:8000/netbox/api/', 'http://10.0.0.1:8000/netbox/api/'],
  ])('API root of %s is %s', (url, root) => {
    expect(apiRootOf(url).href).toBe(root);
  });

  it.each(['netbox', 'ftp://netbox', 'https://admin:pw@netbox', 'https://netbox/?x=1'])('refuses url %s', url => {
    expect(() => apiRootOf(url)).toThrow(NetBoxConfigError);
  });

  it('fills defaults and checks ranges', () => {
    expect(resolveOptions({ url: 'https://nb', token: 'x' })).toMatchObject({
      timeoutMs: 30_000,
      maxRetries: 5,
      retryBaseMs: 200,
      retryMaxMs: 10_000,
      concurrency: 4,
      pageSize: 1000,
      batchSize: 100,
      insecureSkipVerify: false,
    });
    expect(() => resolveOptions({ url: 'https://nb', token: 'x', concurrency: 0 })).toThrow(/concurrency/);
    expect(() => resolveOptions({ url: 'https://nb', token: 'x', caFile: '/ca', insecureSkipVerify: true })).toThrow(
      /choose one/,
    );
  });

  it.each([
    ['ipam/prefixes', 'ipam/prefixes/'],
    ['/api/ipam/ip-ranges/', 'ipam/ip-ranges/'],
    ['plugins/netbox_dns/zones', 'plugins/netbox_dns/zones/'],
  ])('endpoint %s → %s', (given, path) => {
    expect(endpointPath(given)).toBe(path);
  });

  it.each(['../users/tokens', 'ipam/prefixes?x=1', 'ipam//prefixes', ''])('refuses endpoint %j', given => {
    expect(() => endpointPath(given)).toThrow(NetBoxConfigError);
  });
});

describe('Semaphore', () => {
  it('runs at most `limit` tasks at once, in arrival order', async () => {
    const sem = new Semaphore(2);
    const started: number[] = [];
    const gates = Array.from({ length: 5 }, () => {
      let resolve = (): void => undefined;
      const promise = new Promise<void>(r => (resolve = r));
      return { promise, resolve: () => resolve() };
    });
    const runs = gates.map((g, i) =>
      sem.run(async () => {
        started.push(i);
        await g.promise;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(sem.waiting).toBe(3);
    gates[1]!.resolve();
    await runs[1];
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.resolve();
    await Promise.all(runs);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(sem.active).toBe(0);
  });

  it('releases the slot when a task throws', async () => {
    const sem = new Semaphore(1);
    await expect(sem.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(sem.run(() => Promise.resolve(7))).resolves.toBe(7);
  });
});
