import type { Logger } from '../log.ts';

/**
 * SIGTERM / SIGINT: the first starts `graceful` (stop taking jobs, let the running one finish, close); a second
 * exits at once. Resolves with the exit code `graceful` decided.
 */
export function onShutdownSignal(logger: Logger, graceful: (signal: string) => Promise<number>): Promise<number> {
  return new Promise(resolve => {
    let started = false;
    const handler = (signal: NodeJS.Signals): void => {
      if (started) {
        logger.warn({ signal }, 'second signal: exiting now, without waiting for the running job');
        process.exit(130);
      }
      started = true;
      logger.info({ signal }, 'shutting down: no new jobs; waiting for the running one');
      graceful(signal).then(resolve, (err: unknown) => {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
        resolve(1);
      });
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
}
