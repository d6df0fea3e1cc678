import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { createServer } from 'node:tls';

/**
 * NetBox over TLS on loopback for test/reliability/security.test.ts: a private CA and server certificates made
 * with openssl (a good one, one for another host name, an expired one, a self-signed one), and a TLS-terminating
 * proxy that forwards the decrypted bytes to NetBox's plain HTTP port, as nginx or an ingress does in front of it.
 */

export interface Pki {
  dir: string;
  /** PEM of the private CA (what `netbox.caFile` points at). */
  caFile: string;
  /** Server certificates by name: `{cert, key}` PEM texts. */
  certs: Record<CertName, { cert: string; key: string }>;
}

export type CertName = 'good' | 'wrongHost' | 'expired' | 'selfSigned';

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A CA and four server certificates in `dir` (a few hundred ms with EC keys). */
export function makePki(dir: string): Pki {
  openssl(dir, [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=nbsync test CA',
  ]);
  const issue = (name: string, san: string, days: string): { cert: string; key: string } => {
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
    openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      days,
      '-extfile',
      `${name}.ext`,
    ]);
    return {
      cert: readFileSync(join(dir, `${name}.pem`), 'utf8'),
      key: readFileSync(join(dir, `${name}.key`), 'utf8'),
    };
  };
  const good = issue('good', 'IP:127.0.0.1,DNS:localhost', '2');
  const wrongHost = issue('wrong-host', 'DNS:netbox.other.invalid', '2');
  // notAfter one day before notBefore (= now): valid never, expired since yesterday.
  const expired = issue('expired', 'IP:127.0.0.1,DNS:localhost', '-1');
  openssl(dir, [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    'self.key',
    '-out',
    'self.pem',
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  const selfSigned = {
    cert: readFileSync(join(dir, 'self.pem'), 'utf8'),
    key: readFileSync(join(dir, 'self.key'), 'utf8'),
  };
  return { dir, caFile: join(dir, 'ca.pem'), certs: { good, wrongHost, expired, selfSigned } };
}

export interface TlsProxy {
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** TLS handshakes that completed (a client that refused the certificate never completes one). */
  readonly handshakes: number;
  close(): Promise<void>;
}

/** Terminates TLS with `cert` on a free loopback port and forwards every connection to `upstream` (http://host:port). */
export async function startTlsProxy(cert: { cert: string; key: string }, upstream: string): Promise<TlsProxy> {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  let handshakes = 0;
  const server = createServer({ cert: cert.cert, key: cert.key }, client => {
    handshakes++;
    const up = connect(Number(target.port), target.hostname);
    sockets.add(client).add(up);
    client.pipe(up).pipe(client);
    const drop = (): void => {
      client.destroy();
      up.destroy();
      sockets.delete(client);
      sockets.delete(up);
    };
    client.on('error', drop).on('close', drop);
    up.on('error', drop).on('close', drop);
  });
  // A client that refuses the certificate aborts the handshake: expected here, not an error of the proxy.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    get handshakes() {
      return handshakes;
    },
    close: () =>
      new Promise<void>(resolve => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
