import { pino } from 'pino';
import type { Logger, LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths pino censors in every log line. Tokens reach logs through HTTP configs, headers and our own config
 * object; listing the paths explicitly is cheaper than wildcards and keeps the rule visible in one place.
 */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.Authorization',
  'config.headers.authorization',
  'config.headers.Authorization',
  'request.headers.authorization',
  'netbox.token',
  'webhookSecret',
  '*.webhookSecret',
  'secret',
  '*.secret',
  'password',
  '*.password',
];

export interface LogOptions {
  level?: string;
  pretty?: boolean;
  /** Where lines go; defaults to stdout. Tests pass a stream to read lines back. */
  destination?: NodeJS.WritableStream;
}

/** Levels a logger takes (pino's, plus `silent`). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The level to log at: `level`, else LOG_LEVEL, else `info` (empty counts as unset). An unknown level is a clear
 * error naming where it came from, not pino's "default level:… must be included in custom levels".
 */
export function logLevelOf(
  level: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const fromEnv = env['LOG_LEVEL'];
  const chosen = level || fromEnv || 'info';
  if ((LOG_LEVELS as readonly string[]).includes(chosen)) return chosen;
  const source = level ? 'log level' : 'LOG_LEVEL';
  const shown = chosen.length > 40 ? `${chosen.slice(0, 39)}…` : chosen;
  throw new Error(`${source} ${JSON.stringify(shown)} is not one of ${LOG_LEVELS.join(', ')}`);
}

export function createLogger(opts: LogOptions = {}): Logger {
  const options: LoggerOptions = {
    name: 'netbox-ippool-sync',
    level: logLevelOf(opts.level),
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (opts.pretty ?? process.env['LOG_PRETTY'] === '1') {
    options.transport = { target: 'pino-pretty', options: { colorize: true } };
    return pino(options);
  }
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that drops everything: the default for pure code paths and unit tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
