import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * NetBox signs a webhook with the shared secret: `X-Hook-Signature` is the hex HMAC-SHA512 of the raw body.
 * Compared in constant time; anything that is not exactly 128 hex digits fails before comparing.
 */
export function signBody(body: Buffer | string, secret: string): string {
  return createHmac('sha512', secret).update(body).digest('hex');
}

export function verifySignature(body: Buffer, header: string | string[] | undefined, secret: string): boolean {
  if (typeof header !== 'string' || !/^[0-9a-fA-F]{128}$/.test(header)) return false;
  const expected = Buffer.from(signBody(body, secret), 'hex');
  const given = Buffer.from(header, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
