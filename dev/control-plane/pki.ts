import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The certificates a throwaway control plane needs, made with Debian's openssl: one CA that signs the serving
 * certificate (SAN 127.0.0.1, localhost) and client certificates, plus a separate key pair that signs
 * ServiceAccount tokens. Keys are ECDSA P-256 like envtest's TinyCA.
 */
export interface Pki {
  dir: string;
  caCert: string;
  servingCert: string;
  servingKey: string;
  saSigningKey: string;
  saPublicKey: string;
}

export interface ClientCert {
  cert: string;
  key: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl ${args[0]} failed while making control-plane certificates: ${stderr.trim()}`, {
      cause: err,
    });
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function createPki(dir: string): Pki {
  openssl(
    ['req', '-x509', ...EC_KEY, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '7', '-subj', '/CN=nbsync-test-ca'],
    dir,
  );
  writeFileSync(
    join(dir, 'serving.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n',
  );
  openssl(
    ['req', '-new', ...EC_KEY, '-keyout', 'apiserver.key', '-out', 'apiserver.csr', '-subj', '/CN=kube-apiserver'],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'apiserver.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '7',
      '-extfile',
      'serving.ext',
      '-out',
      'apiserver.crt',
    ],
    dir,
  );
  const sa = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  writeFileSync(join(dir, 'sa.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    servingCert: join(dir, 'apiserver.crt'),
    servingKey: join(dir, 'apiserver.key'),
    saSigningKey: join(dir, 'sa.key'),
    saPublicKey: join(dir, 'sa.pub'),
  };
}

/** A client certificate for `user` in `groups` (O= entries), signed by the CA. */
export function issueClientCert(pki: Pki, user: string, groups: string[]): ClientCert {
  const base = `client-${user.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
  const subj = [...groups.map(g => `/O=${g}`), `/CN=${user}`].join('');
  writeFileSync(join(pki.dir, `${base}.ext`), 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n');
  openssl(['req', '-new', ...EC_KEY, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', subj], pki.dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${base}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '7',
      '-extfile',
      `${base}.ext`,
      '-out',
      `${base}.crt`,
    ],
    pki.dir,
  );
  return { cert: join(pki.dir, `${base}.crt`), key: join(pki.dir, `${base}.key`) };
}
