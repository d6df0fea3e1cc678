import { request } from 'node:https';

/**
 * A minimal HTTPS client for the harness itself (readiness, CRD install, token minting). The product talks to the
 * apiserver through @kubernetes/client-node; the harness stays independent of it so a client bug cannot hide
 * behind a harness built on the same client.
 */
export interface KubeCredentials {
  server: string;
  ca: string;
  cert?: string;
  key?: string;
  token?: string;
}

export interface KubeResponse {
  status: number;
  body: string;
  json<T = unknown>(): T;
}

export async function kubeRequest(
  creds: KubeCredentials,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<KubeResponse> {
  const url = new URL(path, creds.server);
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (payload !== undefined) headers['Content-Type'] = contentType;
  if (creds.token) headers['Authorization'] = `Bearer ${creds.token}`;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, headers, ca: creds.ca, cert: creds.cert, key: creds.key, timeout: 15_000 },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: text, json: <T>() => JSON.parse(text) as T });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname} timed out`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
