import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { NetBoxUnavailableError } from './errors.ts';
import { BASE, interceptNetBox, testClient } from '../../../test/support/nock-netbox.ts';
import { tlsFailureHint } from './transport.ts';

interceptNetBox();

/** Node's TLS failure as the socket reports it (test/reliability/security.test.ts makes the real ones). */
function tlsError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('TLS failures say which server, what failed and which setting fixes it', () => {
  it.each([
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate', /not signed by a CA trusted here.*netbox\.caFile/],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate', /set netbox\.caFile/],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain', /NETBOX_CA_FILE/],
    [
      'ERR_TLS_CERT_ALTNAME_INVALID',
      "Hostname/IP does not match certificate's altnames",
      /not issued for netbox\.test/,
    ],
    ['CERT_HAS_EXPIRED', 'certificate has expired', /outside its validity period: renew it/],
  ])('%s: the message names the origin and the fix; no retry', async (code, message, hint) => {
    const { client, sleeps } = testClient();
    nock(BASE).get('/api/status/').replyWithError(tlsError(code, message));
    const err = await client.status().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetBoxUnavailableError);
    const text = (err as Error).message;
    expect(text).toContain(`GET /api/status/ failed`);
    expect(text).toContain(`${code}: ${message}`);
    expect(text).toContain(BASE);
    expect(text).toMatch(hint);
    // A certificate problem does not go away by asking again.
    expect(sleeps).toEqual([]);
    expect(err).toMatchObject({ attempts: 1, transient: false });
  });

  it('names the configured caFile when the chain is still untrusted', () => {
    expect(tlsFailureHint('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'https://nb:8443', '/etc/ca.pem')).toContain(
      "Node's built-in CAs and caFile /etc/ca.pem",
    );
  });

  it('a refused connection names the server, not TLS', async () => {
    const { client } = testClient({ maxRetries: 0 });
    nock(BASE).get('/api/status/').replyWithError(tlsError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:443'));
    const err = await client.status().catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/Hint: check that https:\/\/netbox\.test is reachable from here/);
    expect(tlsFailureHint('ECONNREFUSED', BASE)).toBeUndefined();
  });
});
