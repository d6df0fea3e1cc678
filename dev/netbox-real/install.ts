import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The pinned NetBox version, the cache folder keyed by it, the venv (install.sh) and running NetBox's commands. */

const here = dirname(fileURLToPath(import.meta.url));

export const NETBOX_VERSION = readFileSync(join(here, 'netbox.version'), 'utf8').trim();

/** `~/.cache/netbox-ippool-sync/netbox-<version>`: the venv and the template live here. */
export function netboxCacheDir(): string {
  const root =
    process.env['NBSYNC_CACHE_DIR'] ??
    join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'netbox-ippool-sync');
  return join(root, `netbox-${NETBOX_VERSION}`);
}

/** The venv with netbox==<pinned> (built by install.sh once, under a lock); returns its folder. */
export function ensureVenv(): string {
  try {
    const out = execFileSync('bash', [join(here, 'install.sh'), 'venv'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return out.trim().split('\n').at(-1) ?? '';
  } catch (err) {
    throw new Error(
      `Could not prepare the NetBox ${NETBOX_VERSION} venv (dev/netbox-real/install.sh venv failed; its message is ` +
        'above). Run .ci/run or dev/netbox-real/install.sh to install PostgreSQL, a Python >= 3.12 and NetBox.',
      { cause: err },
    );
  }
}

export interface CommandResult {
  stdout: string;
  ms: number;
}

/**
 * Runs `netbox <args>` from the venv (stdout and stderr appended to `logFile`); rejects with the log's tail when
 * it fails. `onLine` sees stdout line by line (migrate's progress).
 */
export async function netboxCommand(
  venv: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  opts: { input?: string; onLine?: (line: string) => void; cwd?: string } = {},
): Promise<CommandResult> {
  const started = Date.now();
  const log = createWriteStream(logFile, { flags: 'a' });
  log.write(`$ netbox ${args.join(' ')}\n`);
  const child = spawn(join(venv, 'bin', 'netbox'), args, {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
  });
  let stdout = '';
  let partial = '';
  let tail = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stdout += text;
    log.write(text);
    tail = (tail + text).slice(-4000);
    if (opts.onLine) {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) opts.onLine(l);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    log.write(chunk);
    tail = (tail + chunk.toString()).slice(-4000);
  });
  child.stdin.end(opts.input ?? '');
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', c => resolve(c));
  });
  await new Promise<void>(resolve => log.end(() => resolve()));
  if (code !== 0) {
    throw new Error(`netbox ${args.join(' ')} failed (exit ${code}); log ${logFile}:\n${tail.trimEnd()}`);
  }
  return { stdout, ms: Date.now() - started };
}
