import nodeCron from 'node-cron';
import { z } from 'zod';
import { envName, int, optionalText, text } from './fields.ts';

/**
 * The sections only `run` reads: when each job runs (`schedule`), the HTTP server (`server`) and the optional
 * Redis queue (`redis`). Without `redis.url` the daemon runs every job in-process (the embedded default).
 */

export const JOB_TYPES = ['sync', 'writeback', 'drift'] as const;
export type JobType = (typeof JOB_TYPES)[number];

const DURATION = /^(\d+)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `250ms`, `30s`, `5m`, `1h` → milliseconds; undefined for anything else. */
export function durationMs(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

const duration = (what: string) =>
  z.string({ error: `expected ${what} as a duration such as 30s, 5m or 1h` }).refine(s => (durationMs(s) ?? 0) >= 100, {
    error: `expected ${what} as a duration of at least 100ms (30s, 5m, 1h)`,
  });

const cron = z.string().refine(s => nodeCron.validate(s), {
  error: 'expected a cron expression of 5 fields (or 6 with seconds first), e.g. "*/5 * * * *"',
});

const jobSchedule = (every: string) =>
  z
    .union(
      [
        z.strictObject({
          every: duration('the interval').meta({ description: 'Run at this interval (`30s`, `5m`, `1h`).' }),
        }),
        z.strictObject({
          cron: cron.meta({ description: 'Run on this cron schedule (5 fields, or 6 with seconds).' }),
          timezone: z.string().min(1).optional().meta({ description: 'IANA time zone of the cron schedule.' }),
        }),
        z.literal(false),
      ],
      { error: 'expected {every: <duration>}, {cron: <expression>} or false (never on a schedule)' },
    )
    .default({ every });

export const scheduleSchema = z
  .strictObject({
    sync: jobSchedule('5m').meta({
      description: 'When NetBox is synced to the cluster: `{every: 5m}`, `{cron: "*/5 * * * *"}`, or `false`.',
    }),
    writeback: jobSchedule('5m').meta({ description: 'When live allocations are written back to NetBox.' }),
    drift: jobSchedule('15m').meta({ description: 'When the drift report is rebuilt.' }),
    debounce: duration('the debounce').default('1s').meta({
      description:
        'A webhook or watch event runs its job at once; further events within this window are collected into one more run at its end (at most one run per window).',
    }),
    shutdownTimeout: duration('the shutdown timeout')
      .default('60s')
      .meta({ description: 'On SIGTERM, how long the running job may take to finish before the process exits.' }),
  })
  .prefault({})
  .meta({ description: 'When each job runs (`run` only).' });

export const serverSchema = z
  .strictObject({
    address: text('0.0.0.0', 'Address the HTTP server binds (`/healthz`, `/readyz`, `/metrics`, webhooks).'),
    port: int(0, 65535)
      .default(8080)
      .meta({ description: 'Port of the HTTP server (0: any free port, logged at start).' }),
    webhookSecretEnv: envName('NETBOX_WEBHOOK_SECRET', 'Environment variable holding the NetBox webhook secret.'),
    webhookSecretFile: optionalText(
      'File read for the webhook secret when the variable is unset. No secret: webhooks off.',
    ),
    maxBodyBytes: int(1024, 16 * 1024 * 1024)
      .default(1024 * 1024)
      .meta({ description: 'Largest webhook body accepted; larger ones get 413.' }),
  })
  .prefault({})
  .meta({ description: 'The HTTP server of `run` (settings of the first `-c` file apply to the process).' });

export const redisSchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^rediss?:\/\//, { error: 'expected a redis:// or rediss:// URL' })
      .optional()
      .meta({ description: 'Redis for the BullMQ queue. Unset: jobs run in-process (embedded mode).' }),
    prefix: z
      .string()
      .min(1)
      .default('nbsync')
      .meta({ description: 'Key prefix of the queue and the daemon state in Redis.' }),
  })
  .prefault({})
  .meta({ description: 'The job queue shared by replicas (`run` only).' });

export type ScheduleConfig = z.output<typeof scheduleSchema>;
export type JobSchedule = ScheduleConfig['sync'];
export type ServerConfig = z.output<typeof serverSchema>;
export type RedisConfig = z.output<typeof redisSchema>;
