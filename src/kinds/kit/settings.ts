import { z } from 'zod';
import { tryParseAddress, tryParseCidr } from '../../ip/index.ts';
import type { PoolIntent } from '../../model/intent.ts';
import type { IssueSubject } from '../../model/issue.ts';
import type { RenderContext } from '../adapter.ts';
import { poolSubject, settingField } from './issues.ts';
import type { Issues } from './issues.ts';

/**
 * A kind's effective settings: config defaults (`kinds.<kind>`) with `k8s_options` laid over them key by key.
 * One strict schema serves both, so an option can override any default and an unknown key is always caught,
 * named, and reported against the object that carries it. `layer` adds what the options imply beyond the keys they
 * set (the config layer had it applied when config was validated).
 */
export function resolveSettings<T extends z.ZodObject>(
  intent: PoolIntent,
  ctx: RenderContext,
  schema: T,
  issues: Issues,
  layer: (keys: Record<string, unknown>) => Record<string, unknown> = keys => keys,
): z.output<T> | undefined {
  const parsed = schema.safeParse({ ...ctx.defaults, ...layer(intent.options) });
  if (parsed.success) return parsed.data;
  const allowed = Object.keys(schema.shape).sort().join(', ');
  for (const problem of parsed.error.issues) {
    const keys = problem.code === 'unrecognized_keys' ? problem.keys : [undefined];
    for (const key of keys) {
      const path = key === undefined ? problem.path : [...problem.path, key];
      const where = locate(intent, path);
      const reason =
        key === undefined
          ? `invalid value for ${intent.kind} option "${path.map(String).join('.')}": ${problem.message}`
          : `unknown ${intent.kind} option "${path.map(String).join('.')}"`;
      const hint = path.length === 1 && key !== undefined ? `${intent.kind} accepts: ${allowed}` : undefined;
      issues.error(where.subject, reason, hint === undefined ? { field: where.field } : { field: where.field, hint });
    }
  }
  return undefined;
}

/** A bad value came from the NetBox object's k8s_options when that key is set there, else from config. */
function locate(intent: PoolIntent, path: readonly PropertyKey[]): { subject: IssueSubject; field: string } {
  const field = settingField(intent, path);
  return field.startsWith('kinds.')
    ? { subject: { type: 'config', path: field }, field }
    : { subject: poolSubject(intent), field };
}

/** Option values that must be addresses or CIDRs, checked with the same strict parser as NetBox data. */
export const cidrText = z.string().refine(s => tryParseCidr(s).ok, { message: 'expected a CIDR such as 10.0.0.0/8' });
export const addressText = z.string().refine(s => tryParseAddress(s).ok, { message: 'expected an IP address' });

/**
 * An integer setting with bounds the kind's own validation enforces. The bounds belong in the schema, not only in
 * render: `config check` and every cycle then report an out-of-range default next to any other problem in its
 * section, instead of only once the section is otherwise clean and a pool of that family renders.
 */
export const intBetween = (min: number, max: number) =>
  z
    .number({ error: `expected an integer ${min}-${max}` })
    .int({ error: `expected an integer ${min}-${max}` })
    .min(min, { error: `expected ${min}-${max}` })
    .max(max, { error: `expected ${min}-${max}` });
