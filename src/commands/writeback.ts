import type { Command } from 'commander';
import { runWriteback } from '../cycle.ts';
import type { WritebackCycleResult } from '../cycle.ts';
import { formatWritebackPlan } from '../writeback/format.ts';
import { outputOption, pipelineDeps } from './wiring.ts';
import type { PipelineOptions } from './wiring.ts';

/** `writeback`: one writeback cycle — live allocations recorded in NetBox. */

interface WritebackCommandOptions extends PipelineOptions {
  dryRun?: boolean;
  output: 'text' | 'json';
}

function resultText(result: WritebackCycleResult): string {
  if (result.plan === undefined) {
    return `NetBox could not be read, so nothing was planned or written: ${result.source.reason ?? 'unknown reason'}\n`;
  }
  const lines = [formatWritebackPlan(result.plan)];
  const notRead = result.kinds.filter(k => k.installed && !result.fullyRead.includes(k.kind)).map(k => k.kind);
  if (notRead.length > 0) lines.push(`Not fully read (nothing of theirs marked or deleted): ${notRead.join(', ')}\n`);
  if (result.report !== undefined) {
    const failed = result.report.results.filter(r => r.outcome !== 'applied');
    lines.push(`Written: ${result.report.results.length - failed.length} of ${result.report.results.length}.\n`);
    for (const f of failed) lines.push(`  ${f.outcome} ${f.change.action}: ${f.message ?? ''}\n`);
    if (result.report.aborted !== undefined) lines.push(`Stopped early: ${result.report.aborted}\n`);
  } else {
    lines.push('Dry run: nothing written.\n');
  }
  return lines.join('');
}

function exitCode(result: WritebackCycleResult): number {
  if (!result.source.healthy) return 1;
  if (result.report?.aborted !== undefined) return 1;
  return result.report?.results.some(r => r.outcome !== 'applied') ? 1 : 0;
}

export function registerWritebackCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('writeback')
    .description('record live allocations in NetBox (exit 0: done, 1: NetBox unreadable or a write failed)')
    .option('-c, --config <file>', 'config file (default $NBSYNC_CONFIG or /etc/netbox-ippool-sync/config.yaml)')
    .option('--kubeconfig <file>', 'kubeconfig (default $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--log-level <level>', 'log level on stderr (default warn)')
    .option('--dry-run', 'print what would be written; write nothing')
    .addOption(outputOption())
    .action(async (opts: WritebackCommandOptions) => {
      const { deps, close } = await pipelineDeps(opts);
      try {
        const result = await runWriteback(deps, { dryRun: opts.dryRun === true });
        const out =
          opts.output === 'json'
            ? `${JSON.stringify({ ...result, allocations: result.allocations.length }, null, 2)}\n`
            : resultText(result);
        process.stdout.write(out);
        setExit(exitCode(result));
      } finally {
        close();
      }
    });
}
