/**
 * NetBox's web UI as a person sees it: gunicorn serves NetBox on a private port; front() listens on the given
 * port, serves /static/ (collected once into the cache, as nginx would in production) and passes everything else
 * through unchanged. Used by `npm run netbox` and the demo.
 */
import { createReadStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { netboxEnv } from './config.ts';
import { ensureVenv, netboxCacheDir, netboxCommand } from './install.ts';
import type { RealNetBox } from './index.ts';
import { withFileLock } from './lock.ts';

const TYPES: Record<string, string> = {
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.html': 'text/html; charset=utf-8',
  '.map': 'application/json',
};

/** `netbox collectstatic` once per version into the cache (STATIC_ROOT is $NETBOX_ROOT/static). */
export async function collectStatic(say: (line: string) => void): Promise<string> {
  const root = join(netboxCacheDir(), 'static-root');
  const done = join(root, 'static', '.nbsync-collected');
  if (existsSync(done)) return join(root, 'static');
  mkdirSync(join(root, 'conf'), { recursive: true });
  return withFileLock(join(netboxCacheDir(), 'static.lock'), 'NetBox static files', async () => {
    if (existsSync(done)) return join(root, 'static');
    say('collecting static files once (CSS, JavaScript, docs) ...');
    // collectstatic needs a valid configuration, never a database.
    writeFileSync(
      join(root, 'conf', 'configuration.py'),
      "ALLOWED_HOSTS = ['*']\nDATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'NAME': 'x'}}\n" +
        "REDIS = {'tasks': {'HOST': '127.0.0.1', 'PORT': 1}, 'caching': {'HOST': '127.0.0.1', 'PORT': 1}}\n" +
        `SECRET_KEY = '${'s'.repeat(50)}'\nISOLATED_DEPLOYMENT = True\nCENSUS_REPORTING_ENABLED = False\n`,
    );
    await netboxCommand(
      ensureVenv(),
      ['collectstatic', '--no-input'],
      netboxEnv(root),
      join(root, 'collectstatic.log'),
    );
    writeFileSync(done, new Date().toISOString());
    return join(root, 'static');
  });
}

/** The front: /static/ from the collected files, everything else to gunicorn with the Host header unchanged. */
export function front(nb: RealNetBox, staticDir: string, host: string, port: number): Promise<Server> {
  const upstream = new URL(nb.url);
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    if (path.startsWith('/static/')) {
      const file = normalize(join(staticDir, path.slice('/static/'.length)));
      if (file.startsWith(staticDir + sep) && existsSync(file) && statSync(file).isFile()) {
        res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
        createReadStream(file).pipe(res);
      } else {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      }
      return;
    }
    const fwd = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      up => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    fwd.on('error', err => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`NetBox is not answering: ${err.message}\n`);
    });
    req.pipe(fwd);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
