#!/usr/bin/env node
import { Command } from 'commander';
import { VERSION } from './version.ts';

/** Builds the command tree; exported so tests can run commands without spawning a process. */
export function buildCli(): Command {
  const program = new Command('netbox-ippool-sync')
    .description(
      'Keeps Kubernetes IP pools (Whereabouts, NV-IPAM, Calico, MetalLB, Cilium) in step with NetBox\n' +
        'and records live allocations back in NetBox.',
    )
    .version(VERSION, '-V, --version', 'print the version and exit')
    .showHelpAfterError();
  return program;
}

if (import.meta.main) {
  await buildCli().parseAsync(process.argv);
}
