import { z } from 'zod';

/** Field builders the config schemas share, so every message reads the same: `expected 1024-16777216`. */

export const int = (min: number, max: number) =>
  z
    .int({ error: `expected an integer ${min}-${max}` })
    .min(min, { error: `expected ${min}-${max}` })
    .max(max, { error: `expected ${min}-${max}` });

/** One of `values`, defaulting to `fallback`; the error lists them (`expected a, b or c`). */
export function oneOf<const T extends readonly [string, ...string[]]>(
  values: T,
  fallback: T[number],
  description: string,
) {
  const list = values.length === 1 ? values[0] : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
  return z
    .enum(values, { error: `expected ${list}` })
    .default(fallback as never)
    .meta({ description });
}

/** An optional non-empty string (a file path, a name). */
export function optionalText(description: string) {
  return z.string().min(1).optional().meta({ description });
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The name of an environment variable, with a default. */
export function envName(fallback: string, description: string) {
  return z
    .string()
    .regex(ENV_NAME, { error: 'expected an environment variable name' })
    .default(fallback)
    .meta({ description });
}

/** A non-empty string with a default (an address, a path). */
export function text(fallback: string, description: string) {
  return z.string().min(1).default(fallback).meta({ description });
}
