import { readFile } from 'node:fs/promises';
import { ENDPOINTS } from '../netbox-emulator/types.ts';

/**
 * Applies a seed file of the emulator's format (dev/netbox-emulator/README.md: list endpoint → objects in the
 * write shape, related objects as attribute dicts) to a real NetBox through its API, one bulk POST per endpoint in
 * dependency order. Keys starting with `_` or `$` are comments and are dropped.
 */
export async function seedNetBox(url: string, token: string, seed: string | Record<string, unknown>) {
  const data = typeof seed === 'string' ? (JSON.parse(await readFile(seed, 'utf8')) as Record<string, unknown>) : seed;
  const unknown = Object.keys(data).filter(
    k => !(ENDPOINTS as readonly string[]).includes(k) && !k.startsWith('_') && !k.startsWith('$'),
  );
  if (unknown.length > 0) throw new Error(`seed: unknown endpoints ${unknown.join(', ')}`);
  const counts: Record<string, number> = {};
  for (const ep of ENDPOINTS) {
    const list = data[ep];
    if (!Array.isArray(list) || list.length === 0) continue;
    const body = list.map(o =>
      Object.fromEntries(Object.entries(o as Record<string, unknown>).filter(([k]) => !/^[_$]/.test(k))),
    );
    const scheme = token.startsWith('nbt_') ? 'Bearer' : 'Token';
    const res = await fetch(`${url}/api/${ep}/`, {
      method: 'POST',
      headers: { Authorization: `${scheme} ${token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`seed: POST /api/${ep}/ answered ${res.status}: ${await res.text()}`);
    counts[ep] = body.length;
  }
  return counts;
}
