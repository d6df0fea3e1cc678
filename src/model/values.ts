/**
 * Plain-value helpers every stage uses on JSON-shaped data (NetBox answers, Kubernetes objects, config). One copy
 * here so that "what is a record" and "what order is canonical" mean the same everywhere.
 */

/** A JSON object: not null, not an array. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Keys sorted at every level and undefined-valued keys dropped, so the same content always prints the same bytes
 * (stable manifests for GitOps, stable spec hashes, cheap equality): `{a: undefined}` and `{}` compare alike.
 */
export function sortKeysDeep<T>(value: T): T {
  return sortValue(value) as T;
}

function sortValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortValue);
  if (!isRecord(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = value[key];
    if (v !== undefined) sorted[key] = sortValue(v);
  }
  return sorted;
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeysDeep(value));
}

/** Code-unit order, the same on every machine (localeCompare depends on the runtime's locale data). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
