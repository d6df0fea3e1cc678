import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

/**
 * A lock file for work two processes must not do at once (building the template database): created with O_EXCL
 * and holding the owner's pid; a lock whose owner is gone (killed mid-build) is taken over. Waiters poll.
 */
export async function withFileLock<T>(
  path: string,
  what: string,
  fn: () => Promise<T>,
  opts: { timeoutMs?: number; log?: (line: string) => void } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readOwner(path);
    if (owner !== undefined && !alive(owner)) {
      opts.log?.(`${what}: taking over the lock of pid ${owner}, which is gone (${path})`);
      if (readOwner(path) === owner) unlinkQuietly(path);
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: gave up waiting for the lock ${path} held by pid ${owner ?? '?'}`);
    }
    if (!announced) {
      opts.log?.(`${what}: another process (pid ${owner ?? '?'}) holds ${path}; waiting for it`);
      announced = true;
    }
    await new Promise(r => setTimeout(r, 1000));
  }
  try {
    return await fn();
  } finally {
    if (readOwner(path) === process.pid) unlinkQuietly(path);
  }
}

function readOwner(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
