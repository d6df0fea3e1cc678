import { NetBoxConfigError } from './errors.ts';

/** `ipam/prefixes`, `/api/ipam/prefixes/` → `ipam/prefixes/`; anything but plain path segments is refused. */
export function endpointPath(endpoint: string): string {
  const e = endpoint
    .replace(/^\/+/, '')
    .replace(/^api\//, '')
    .replace(/\/+$/, '');
  if (!/^[a-z0-9_-]+(\/[a-z0-9_-]+)*$/i.test(e)) {
    throw new NetBoxConfigError('endpoint', `"${endpoint}" is not an API path like ipam/prefixes`);
  }
  return `${e}/`;
}

export function objectPath(endpoint: string, id: number): string {
  if (!Number.isSafeInteger(id) || id < 1) throw new NetBoxConfigError('id', `${String(id)} is not an object id`);
  return `${endpointPath(endpoint)}${id}/`;
}

/** Names a write item in failure messages by what identifies it: `id 12`, `address 10.0.0.5/24`, ... */
export function describeItem(o: object): string | undefined {
  const r = o as Record<string, unknown>;
  const str = (k: string): string | undefined => {
    const v = r[k];
    return typeof v === 'string' ? v : undefined;
  };
  const parts: string[] = [];
  if (typeof r['id'] === 'number') parts.push(`id ${r['id']}`);
  const address = str('address');
  const prefix = str('prefix');
  const start = str('start_address');
  const named = str('slug') ?? str('name');
  if (address !== undefined) parts.push(`address ${address}`);
  else if (prefix !== undefined) parts.push(`prefix ${prefix}`);
  else if (start !== undefined) parts.push(`range ${start}-${str('end_address') ?? '?'}`);
  else if (named !== undefined) parts.push(`"${named}"`);
  return parts.length > 0 ? parts.join(' ') : undefined;
}
