/**
 * Plain HTTP to NetBox for the bench's own set-up and for the naive baseline: no retries, no batching, no
 * concurrency — exactly what a quick script does. The product's client is what is measured; this is what it is
 * measured against, and what prepares and checks the ground.
 */

export interface NetBoxTarget {
  /** Base URL without /api (the counting proxy's, or NetBox's own). */
  url: string;
  token: string;
}

export class NetBoxHttpError extends Error {
  readonly status: number;
  constructor(method: string, path: string, status: number, body: string) {
    super(`${method} ${path} answered ${status}: ${body.slice(0, 400)}`);
    this.name = 'NetBoxHttpError';
    this.status = status;
  }
}

export async function nb<T = unknown>(t: NetBoxTarget, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${t.url}/api/${path}`, {
    method,
    headers: {
      Authorization: t.token.startsWith('nbt_') ? `Bearer ${t.token}` : `Token ${t.token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json',
    },
    signal: AbortSignal.timeout(600_000),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new NetBoxHttpError(method, path, res.status, text);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

interface Page<T> {
  count: number;
  next: string | null;
  results: T[];
}

/** Every row of a listing (`path` with its query), 1,000 per page, following `next`'s query on our own URL. */
export async function listAll<T>(t: NetBoxTarget, path: string): Promise<T[]> {
  const out: T[] = [];
  let query = `${path}${path.includes('?') ? '&' : '?'}limit=1000`;
  for (;;) {
    const page = await nb<Page<T>>(t, 'GET', query);
    out.push(...page.results);
    if (page.next === null) return out;
    const next = new URL(page.next);
    query = `${path.split('?')[0] ?? path}${next.search}`;
  }
}

/** Deletes objects by id in bulk requests of `batch` (set-up and clean-up, never measured). */
export async function bulkDelete(
  t: NetBoxTarget,
  endpoint: string,
  ids: readonly number[],
  batch = 500,
): Promise<void> {
  for (let i = 0; i < ids.length; i += batch) {
    await nb(
      t,
      'DELETE',
      endpoint,
      ids.slice(i, i + batch).map(id => ({ id })),
    );
  }
}
