/**
 * Seed files: `{"<app>/<model>": [<write body>, ...], ...}`, applied as if each body were POSTed, endpoints in
 * dependency order (tags, choice sets, custom fields, tenants, roles, VRFs, prefixes, ranges, addresses,
 * webhooks, event rules, journal entries). Keys starting with "_" or "$" are comments. The first invalid object
 * aborts with NetBox's error body. Seeding records change-log entries but fires no webhooks.
 */
import { readFile } from 'node:fs/promises';
import { directWriteContext } from './direct.ts';
import type { Store } from './store.ts';
import { ENDPOINTS, isEndpoint, isPlainObject } from './types.ts';
import type { FieldErrors } from './types.ts';
import { writeObject } from './write.ts';
import type { WriteContext } from './write.ts';

export type SeedData = Record<string, unknown>;

export class SeedError extends Error {
  readonly endpoint: string;
  readonly index: number;
  readonly errors: FieldErrors;

  constructor(endpoint: string, index: number, errors: FieldErrors, hint: string) {
    super(`seed object ${endpoint}[${index}] is invalid: ${JSON.stringify(errors)}. ${hint}`);
    this.name = 'SeedError';
    this.endpoint = endpoint;
    this.index = index;
    this.errors = errors;
  }
}

export interface SeedOptions {
  enforceGlobalUnique: boolean;
}

/** Validates and stores every object of a seed, all or none; throws SeedError on the first invalid one. */
export function applySeed(store: Store, data: unknown, opts: SeedOptions): Record<string, number> {
  if (!isPlainObject(data)) {
    throw new SeedError('(file)', 0, { non_field_errors: ['A seed must be a JSON object'] }, 'See the README.');
  }
  const unknown = Object.keys(data).filter(k => !isEndpoint(k) && !k.startsWith('_') && !k.startsWith('$'));
  if (unknown.length > 0) {
    throw new SeedError(
      unknown[0] ?? '',
      0,
      { non_field_errors: ['Unknown endpoint'] },
      `Known: ${ENDPOINTS.join(', ')}.`,
    );
  }
  const ctx = directWriteContext(store, { enforceGlobalUnique: opts.enforceGlobalUnique }, 'seed');
  const counts: Record<string, number> = {};
  const snapshot = store.snapshot();
  try {
    applyLists(data, ctx, counts);
  } catch (err) {
    store.restore(snapshot);
    throw err;
  }
  return counts;
}

function applyLists(data: Record<string, unknown>, ctx: WriteContext, counts: Record<string, number>): void {
  for (const ep of ENDPOINTS) {
    const list = data[ep];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      throw new SeedError(ep, 0, { non_field_errors: ['Expected a list of objects'] }, 'Wrap the objects in [...].');
    }
    list.forEach((body, index) => {
      const out = writeObject(ctx, ep, body, undefined, 'create');
      if (!out.ok) {
        throw new SeedError(
          ep,
          index,
          out.errors,
          'Fix the object or the ones it refers to (ids are assigned from 1).',
        );
      }
    });
    counts[ep] = list.length;
  }
}

export async function readSeedFile(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`seed file ${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}
