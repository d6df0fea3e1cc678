import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Go tools built once into the cache by their build.sh (dev/helm, dev/compose-check, like dev/promtool): the
 * directory comes from the environment variable `.ci/run` sets, else from running the script (a warm cache answers
 * in milliseconds; a cold build prints its progress on stderr).
 */

const ROOT = join(import.meta.dirname, '..');

const built = new Map<string, string>();

export function goToolDir(envName: string, buildScript: string): string {
  const preset = process.env[envName] ?? built.get(buildScript);
  if (preset) return preset;
  let out: string;
  try {
    out = execFileSync('bash', [join(ROOT, buildScript)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  } catch (err) {
    throw new Error(`${buildScript} failed (it needs Go and the Go module proxy); run it by hand to see why`, {
      cause: err,
    });
  }
  const dir = out.trim().split('\n').pop();
  if (dir === undefined || dir === '')
    throw new Error(`${buildScript} printed no directory; run it by hand to see why`);
  return dir;
}

/** `helm`, built by dev/helm/build.sh (NBSYNC_HELM_DIR). */
export const helmBinary = (): string => join(goToolDir('NBSYNC_HELM_DIR', 'dev/helm/build.sh'), 'helm');

/** `compose-check`, built by dev/compose-check/build.sh (NBSYNC_COMPOSE_CHECK_DIR). */
export const composeCheckBinary = (): string =>
  join(goToolDir('NBSYNC_COMPOSE_CHECK_DIR', 'dev/compose-check/build.sh'), 'compose-check');
