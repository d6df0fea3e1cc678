import type { Command } from 'commander';
import { formatIssue } from '../model/issue.ts';
import { runCycle } from '../cycle.ts';
import type { CycleResult } from '../cycle.ts';
import type { ApplyReport } from '../k8s/apply.ts';
import { formatPlan, planExitCode, planToJson } from '../plan/format.ts';
import { renderToDirectory } from './render-gitops.ts';
import { outputOption, pipelineDeps } from './wiring.ts';
import type { PipelineOptions } from './wiring.ts';

/** `plan`, `apply` and `render`: the pipeline's one-shot commands. */

interface PlanCommandOptions extends PipelineOptions {
  output: 'text' | 'json';
  allowEmptySource?: boolean;
}

interface ApplyCommandOptions extends PlanCommandOptions {
  dryRun?: boolean;
  serverDryRun?: boolean;
}

function commonPipelineOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'config file (default $NBSYNC_CONFIG or /etc/netbox-ippool-sync/config.yaml)')
    .option('--kubeconfig <file>', 'kubeconfig (default $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--log-level <level>', 'log level on stderr (default warn)')
    .option(
      '--allow-empty-source',
      'NetBox really is meant to hold no pools for this cluster: allow deleting them all',
    );
}

function issuesText(result: CycleResult): string {
  const notes = result.issues.filter(i => i.severity !== 'error').map(i => `  ${formatIssue(i)}`);
  const kinds = result.kinds.filter(k => !k.installed).map(k => `  ${k.kind}: not installed (${k.note ?? ''})`);
  // An unreadable NetBox is the plan's headline (formatSummary), not a note under it.
  const lines = [...kinds, ...notes];
  return lines.length ? `\nNotes:\n${lines.join('\n')}\n` : '';
}

function applyText(report: ApplyReport): string {
  const lines = report.results.map(r => {
    const c = r.change;
    const where = `${c.kind ?? ''} ${c.namespace ? `${c.namespace}/` : ''}${c.name}`;
    return `  ${r.outcome.padEnd(13)} ${c.action} ${where}${r.message ? ` — ${r.message}` : ''}`;
  });
  const head = report.serverDryRun ? 'Applied (server dry-run: the apiserver validated, nothing stored):' : 'Applied:';
  const tail = report.aborted ? `\nStopped early: ${report.aborted}\n` : '';
  return `\n${head}\n${lines.join('\n') || '  nothing to do'}\n${tail}`;
}

async function runPipelineCommand(opts: ApplyCommandOptions, apply: boolean): Promise<number> {
  const { deps, close } = await pipelineDeps(opts);
  try {
    const result = await runCycle(deps, {
      apply,
      serverDryRun: opts.serverDryRun,
      allowEmptySource: opts.allowEmptySource,
    });
    if (opts.output === 'json') {
      const plan = JSON.parse(planToJson(result.plan)) as unknown;
      const body = {
        source: result.source,
        kinds: result.kinds,
        issues: result.issues,
        plan,
        apply: result.apply ?? null,
      };
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    } else {
      process.stdout.write(
        formatPlan(result.plan) + issuesText(result) + (result.apply ? applyText(result.apply) : ''),
      );
    }
    // A cycle that could not read NetBox decided nothing (the guards kept everything as it was): that is an
    // error for a one-shot command, not "nothing to do".
    if (!result.source.healthy) return 1;
    if (result.apply) {
      const failed = result.apply.aborted || result.apply.results.some(r => r.outcome === 'failed');
      return failed ? 1 : 0;
    }
    return planExitCode(result.plan);
  } finally {
    close();
  }
}

export function registerPipelineCommands(program: Command, setExit: (code: number) => void): void {
  commonPipelineOptions(
    program
      .command('plan')
      .description('show what a sync would change (exit 0: nothing to do, 2: changes pending, 1: error)')
      .option('--observed <dir>', 'plan against Kubernetes objects in YAML files instead of a live cluster')
      .option('--no-cluster', 'plan as if the cluster held nothing (no kubeconfig needed)')
      .addOption(outputOption()),
  ).action(async (opts: PlanCommandOptions) => setExit(await runPipelineCommand(opts, false)));

  commonPipelineOptions(
    program
      .command('apply')
      .description('run one full cycle: read NetBox, plan, and apply the changes to the cluster')
      .option('--dry-run', 'compute the plan only; send nothing to the cluster (same as `plan`)')
      .option('--server-dry-run', 'send every change with dryRun=All: the apiserver validates, nothing is stored')
      .addOption(outputOption()),
  ).action(async (opts: ApplyCommandOptions) => setExit(await runPipelineCommand(opts, !opts.dryRun)));

  program
    .command('render')
    .description(
      'GitOps mode: write what apply would change (pools, k8s_namespaces annotations) as YAML files for server-side apply',
    )
    .requiredOption(
      '--out <dir>',
      'directory to write (pool files we wrote before and no longer render are removed; namespace files are kept)',
    )
    .option('-c, --config <file>', 'config file')
    .option('--log-level <level>', 'log level on stderr (default warn)')
    .action(async (opts: PipelineOptions & { out: string }) => {
      const { deps, close } = await pipelineDeps({ ...opts, cluster: false });
      try {
        const result = await renderToDirectory(deps, opts.out);
        if (result.written === undefined) {
          process.stderr.write(`NetBox unavailable: ${result.source.reason ?? ''}; nothing written\n`);
          return setExit(1);
        }
        const hasErrors = result.issues.some(i => i.severity === 'error');
        for (const i of result.issues) process.stderr.write(`${formatIssue(i)}\n`);
        const kept = result.pruned
          ? ''
          : hasErrors
            ? ' (invalid NetBox input: nothing removed this run)'
            : ` (policy ${deps.config.policy}: nothing removed)`;
        const { written, unchanged, removed } = result.written;
        process.stdout.write(
          `${opts.out}: ${written.length} written, ${unchanged.length} unchanged, ${removed.length} removed${kept}\n`,
        );
        setExit(hasErrors ? 1 : 0);
      } finally {
        close();
      }
    });
}
