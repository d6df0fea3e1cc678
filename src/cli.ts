#!/usr/bin/env node
import { Command } from 'commander';
import { CommandError } from './commands/wiring.ts';
import { registerConfigCheck } from './commands/config-check.ts';
import { registerDrift } from './commands/drift.ts';
import { registerNetboxBootstrap } from './commands/netbox-bootstrap.ts';
import { registerPipelineCommands } from './commands/pipeline.ts';
import { registerWritebackCommand } from './commands/writeback.ts';
import { registerRun } from './commands/run.ts';
import { registerAdoptCommands } from './commands/adopt.ts';
import { VERSION } from './version.ts';

/** Builds the command tree; exported so tests can run commands without spawning a process. */
export function buildCli(setExit: (code: number) => void = code => (process.exitCode = code)): Command {
  const program = new Command('netbox-ippool-sync')
    .description(
      'Keeps Kubernetes IP pools (Whereabouts, NV-IPAM, Calico, MetalLB, Cilium) in step with NetBox\n' +
        'and records live allocations back in NetBox.',
    )
    .version(VERSION, '-V, --version', 'print the version and exit')
    .showHelpAfterError();
  registerRun(program, setExit);
  registerPipelineCommands(program, setExit);
  registerWritebackCommand(program, setExit);
  registerAdoptCommands(program, setExit);
  registerConfigCheck(program, setExit);
  registerDrift(program, setExit);
  registerNetboxBootstrap(program, { setExit });
  return program;
}

if (import.meta.main) {
  try {
    await buildCli().parseAsync(process.argv);
  } catch (err) {
    // Expected failures (bad config, NetBox or Kubernetes unreachable) are one readable line; the stack of an
    // unexpected one is shown with LOG_LEVEL=debug.
    if (!(err instanceof Error)) throw err;
    const debug = process.env['LOG_LEVEL'] === 'debug' && !(err instanceof CommandError);
    process.stderr.write(`netbox-ippool-sync: ${debug ? (err.stack ?? err.message) : err.message}\n`);
    process.exitCode = 1;
  }
}
