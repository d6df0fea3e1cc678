import { createHash } from 'node:crypto';

/**
 * Canonical form of rendered and observed objects: keys sorted at every level, so the same content always prints
 * the same bytes (stable manifests for GitOps, stable spec hashes, cheap equality).
 */
export function sortKeysDeep<T>(value: T): T {
  return sortValue(value) as T;
}

function sortValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortValue);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    // undefined means "field not set": drop it so `{a: undefined}` and `{}` compare and hash alike.
    if (v !== undefined) sorted[key] = sortValue(v);
  }
  return sorted;
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeysDeep(value));
}

/** The spec-hash annotation: sha256 (hex) of the canonical JSON of a spec. */
export function specHash(spec: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(spec ?? null))
    .digest('hex');
}

/** Code-unit order, the same on every machine (localeCompare depends on the runtime's locale data). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
