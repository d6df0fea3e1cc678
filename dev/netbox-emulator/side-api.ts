/**
 * `/_emulator/...`: the unauthenticated control surface for tests and benchmarks (knobs, counters, data reset
 * and seeding, change log, recorded webhook deliveries). Not part of NetBox.
 */
import { parseKnobPatch } from './knobs.ts';
import type { Emulation } from './router.ts';
import { SeedError, applySeed } from './seed.ts';

export interface SideResponse {
  status: number;
  body?: unknown;
}

export interface SideHooks {
  /** Wipes data; `reseed` re-applies the seed the emulator started with. */
  reset: (reseed: boolean) => void;
}

const ROUTES = [
  'GET|PATCH|PUT|POST /_emulator/knobs',
  'GET /_emulator/stats',
  'POST /_emulator/reset-stats',
  'POST /_emulator/reset[?reseed=true]',
  'POST /_emulator/seed',
  'GET /_emulator/changelog',
  'GET|DELETE /_emulator/webhook-deliveries',
];

export function handleSide(emu: Emulation, hooks: SideHooks, method: string, url: URL, body: unknown): SideResponse {
  const path = url.pathname.replace(/\/+$/, '');
  const route = `${method} ${path}`;
  switch (route) {
    case 'GET /_emulator/knobs':
      return { status: 200, body: emu.knobs };
    case 'PATCH /_emulator/knobs':
    case 'PUT /_emulator/knobs':
    case 'POST /_emulator/knobs': {
      const patch = parseKnobPatch(body ?? {});
      if (!patch.ok) return { status: 400, body: { detail: `Invalid knobs: ${patch.message}` } };
      Object.assign(emu.knobs, patch.value);
      return { status: 200, body: emu.knobs };
    }
    case 'GET /_emulator/stats':
      return { status: 200, body: emu.stats.snapshot() };
    case 'POST /_emulator/reset-stats':
      emu.stats.reset();
      return { status: 200, body: emu.stats.snapshot() };
    case 'POST /_emulator/reset':
      hooks.reset(['1', 'true'].includes(url.searchParams.get('reseed') ?? ''));
      return { status: 200, body: { detail: 'Data wiped.' } };
    case 'POST /_emulator/seed':
      try {
        const counts = applySeed(emu.store, body, { enforceGlobalUnique: emu.knobs.enforceGlobalUnique });
        return { status: 200, body: { created: counts } };
      } catch (err) {
        if (err instanceof SeedError) {
          return {
            status: 400,
            body: { detail: err.message, endpoint: err.endpoint, index: err.index, errors: err.errors },
          };
        }
        throw err;
      }
    case 'GET /_emulator/changelog':
      return { status: 200, body: emu.store.changelog };
    case 'GET /_emulator/webhook-deliveries':
      return { status: 200, body: emu.webhooks.deliveries };
    case 'DELETE /_emulator/webhook-deliveries':
      emu.webhooks.clear();
      return { status: 204 };
    default:
      return { status: 404, body: { detail: `No emulator route ${route}. Routes: ${ROUTES.join(', ')}` } };
  }
}
