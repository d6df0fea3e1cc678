import { inject } from 'vitest';
import { resetDatabase } from '../../dev/netbox-real/index.ts';
import type { NetBoxTokens, PgConnection } from '../../dev/netbox-real/index.ts';

/**
 * The real NetBox of the integration environment (test/setup/integration-env.ts), as seen from a test file.
 * One NetBox serves the whole run and files run one at a time; a file that needs an empty NetBox calls
 * resetRealNetBox(), which clones the database again from the migrated template (~0.5 s).
 * With NBSYNC_NETBOX=emulator the environment starts no real NetBox and realNetBox() returns undefined.
 */
export interface RealNetBoxInfo {
  url: string;
  version: string;
  tokens: NetBoxTokens;
  postgres: PgConnection;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Undefined when the run uses the emulator everywhere (NBSYNC_NETBOX=emulator). */
    realNetBox: RealNetBoxInfo | undefined;
  }
}

export function realNetBox(): RealNetBoxInfo | undefined {
  return inject('realNetBox');
}

/** The real NetBox, or a failure saying how the run was configured. */
export function requireRealNetBox(): RealNetBoxInfo {
  const nb = realNetBox();
  if (nb === undefined) {
    throw new Error('this test needs the real NetBox, but the run was started with NBSYNC_NETBOX=emulator');
  }
  return nb;
}

/** Back to a NetBox with nothing but the superuser and the tokens. */
export async function resetRealNetBox(): Promise<void> {
  await resetDatabase(requireRealNetBox().postgres);
}
