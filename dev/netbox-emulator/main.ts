/**
 * Runs the emulator alone: `npm run emulator -- --port 8000 --seed dev/seed/example.json --token <40 chars>`.
 * Prints the URL and the tokens it accepts (emulator-only test credentials), stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../../src/log.ts';
import type { TokenSpec } from './auth.ts';
import type { Knobs } from './knobs.ts';
import { startEmulator } from './server.ts';

const USAGE = `Usage: node dev/netbox-emulator/main.ts [options]
  --port <n>              port to listen on (default 8000; 0 = any free port)
  --host <addr>           address to bind (default 127.0.0.1)
  --seed <file.json>      seed file (format: dev/netbox-emulator/README.md)
  --token <t>             accept this write token (repeatable): 40 chars (v1) or nbt_<key>.<token> (v2)
  --read-only-token <t>   accept this token for reads only (repeatable)
  --api-version <x.y>     NetBox API version to serve (default 4.7)
  --max-page-size <n>     MAX_PAGE_SIZE (default 1000; 0 = no cap)
  --latency-ms <n>        latency added to every API request
  --help`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) fail(`--${name} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        seed: { type: 'string' },
        token: { type: 'string', multiple: true },
        'read-only-token': { type: 'string', multiple: true },
        'api-version': { type: 'string' },
        'max-page-size': { type: 'string' },
        'latency-ms': { type: 'string' },
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
  const knobs: Partial<Knobs> = {};
  if (values['api-version'] !== undefined) knobs.apiVersion = values['api-version'];
  const maxPageSize = intOption(values['max-page-size'], 'max-page-size');
  if (maxPageSize !== undefined) knobs.maxPageSize = maxPageSize;
  const latency = intOption(values['latency-ms'], 'latency-ms');
  if (latency !== undefined) knobs.latencyMs = latency;
  const tokens: TokenSpec[] = [
    ...(values.token ?? []).map(token => ({ token })),
    ...(values['read-only-token'] ?? []).map(token => ({ token, writeEnabled: false })),
  ];
  const logger = createLogger();
  const emulator = await startEmulator({
    port: intOption(values.port, 'port') ?? 8000,
    host: values.host ?? '127.0.0.1',
    ...(values.seed !== undefined ? { seed: values.seed } : {}),
    tokens,
    knobs,
    logger,
  });
  const given = new Set(tokens.map(t => t.token));
  const show = (t: string) => (given.has(t) ? '(as given with --token)' : t);
  process.stdout.write(
    [
      `NetBox emulator (API ${emulator.knobs.apiVersion}) at ${emulator.url}/api/`,
      `  write v1 token:  Authorization: Token ${show(emulator.tokens.v1)}`,
      `  write v2 token:  Authorization: Bearer ${show(emulator.tokens.v2)}`,
      `  read-only token: Authorization: Token ${show(emulator.tokens.readOnly)}`,
      `  control surface: ${emulator.url}/_emulator/knobs, /_emulator/stats (no auth)`,
      '',
    ].join('\n'),
  );
  const stop = () => {
    emulator.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'netbox emulator did not close cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`netbox emulator failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
