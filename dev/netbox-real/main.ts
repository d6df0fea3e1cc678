/**
 * A real NetBox for a person: `npm run netbox -- --port 8000` starts the pinned NetBox (see README.md in this
 * folder) on 127.0.0.1:8000 — web UI and API — prints the superuser's credentials and the API tokens, and stops
 * cleanly on Ctrl-C or SIGTERM. The first run builds the venv and the template (~10 minutes); later runs take
 * seconds. `--prepare` only builds the cache (what .ci/run calls).
 *
 * gunicorn serves NetBox on a private port; this process listens on the given port, serves /static/ (collected
 * once into the cache, as nginx would in production) and passes everything else through unchanged.
 */
import type { Server } from 'node:http';
import { parseArgs } from 'node:util';
import { collectStatic, front } from './front.ts';
import { prepareNetBox, startNetBox } from './index.ts';
import { seedNetBox } from './seed.ts';

const USAGE = `Usage: npm run netbox -- [options]
  --port <n>          port of the web UI and API (default 8000)
  --host <addr>       address to bind (default 127.0.0.1)
  --seed <file.json>  create these objects after start (the emulator's seed format, e.g. dev/seed/example.json)
  --prepare           only build the cache (venv + migrated template) and exit
  --help`;

const say = (line: string): void => void process.stderr.write(`[netbox] ${line}\n`);

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        seed: { type: 'string' },
        prepare: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.prepare) {
    await prepareNetBox(say);
    return;
  }
  const port = values.port === undefined ? 8000 : Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port must be a port number, got "${values.port}"`);
  const host = values.host ?? '127.0.0.1';

  const nb = await startNetBox({ log: say });
  let frontServer: Server | undefined;
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping NetBox ...`);
    await new Promise<void>(resolve => (frontServer ? frontServer.close(() => resolve()) : resolve()));
    frontServer?.closeAllConnections();
    await nb.stop();
    say('stopped; nothing left behind');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  try {
    const staticDir = await collectStatic(say);
    frontServer = await front(nb, staticDir, host, port);
    const url = `http://${host}:${port}`;
    if (values.seed !== undefined) {
      const counts = await seedNetBox(nb.url, nb.tokens.v1, values.seed);
      say(
        `seeded from ${values.seed}: ${Object.entries(counts)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ')}`,
      );
    }
    process.stdout.write(
      [
        `NetBox ${nb.version} at ${url}/ (API ${url}/api/), started in ${(nb.startupMs / 1000).toFixed(1)} s`,
        `  web UI login:        ${nb.admin.username} / ${nb.admin.password}`,
        `  v1 write token:      ${nb.tokens.v1}   (Authorization: Token …)`,
        `  v2 write token:      ${nb.tokens.v2}   (Authorization: Bearer …)`,
        `  read-only v1 token:  ${nb.tokens.readOnly}`,
        `  read-only v2 token:  ${nb.tokens.readOnlyV2}`,
        `  files and logs:      ${nb.dir} (removed on exit)`,
        'These are throwaway test credentials. Ctrl-C stops NetBox and removes everything it started.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    await nb.stop();
    frontServer?.close();
    throw err;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
