import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../dev/process.ts';
import type { Lab } from './e2e.ts';

/** `node src/cli.ts run` as a child process (dev/daemon-process.ts), and a config for a lab's cluster. */

export { startDaemon } from '../../dev/daemon-process.ts';
export type { DaemonProcess, LogLine } from '../../dev/daemon-process.ts';

export interface DaemonConfigOptions {
  schedule?: Record<string, unknown>;
  port: number;
}

/** Writes a config for the lab's cluster into `dir` and returns its path. */
export function writeDaemonConfig(lab: Lab, dir: string, opts: DaemonConfigOptions): string {
  const file = join(dir, `${lab.cluster}-${opts.port}.yaml`);
  writeFileSync(
    file,
    stringify({
      cluster: lab.cluster,
      netbox: { url: lab.netbox.url, tokenEnv: 'DAEMON_NETBOX_TOKEN', timeoutMs: 10_000 },
      selection: { roles: { 'k8s-pod': 'calico', 'k8s-loadbalancer': 'metallb' } },
      deleteBudget: { maxCount: 50, maxPercent: 100 },
      schedule: { debounce: '300ms', shutdownTimeout: '30s', ...opts.schedule },
      server: { address: '127.0.0.1', port: opts.port },
    }),
  );
  return file;
}

export { freePort };
