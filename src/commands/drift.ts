import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { Option } from 'commander';
import { runDriftReport } from '../cycle.ts';
import { renderDriftHtml } from '../drift/html.ts';
import { renderDriftJson } from '../drift/json.ts';
import { renderDriftMarkdown } from '../drift/markdown.ts';
import type { DriftReport } from '../model/drift.ts';
import { CommandError, pipelineDeps } from './wiring.ts';
import type { PipelineOptions } from './wiring.ts';

/**
 * `drift`: one read-only cycle (nothing is applied) and its drift report, as JSON, Markdown or a web page.
 * Exit 0: report written (clean, or drift without --fail-on-drift); 3: drift found with --fail-on-drift;
 * 1: an error, including NetBox not read (the report is still written and says so: drift is unknown, not absent).
 */

export const DRIFT_FORMATS = ['json', 'md', 'html'] as const;
type DriftFormat = (typeof DRIFT_FORMATS)[number];

interface DriftCommandOptions extends PipelineOptions {
  format: DriftFormat;
  failOnDrift?: boolean;
  output?: string;
}

const RENDER: Readonly<Record<DriftFormat, (r: DriftReport) => string>> = {
  json: renderDriftJson,
  md: renderDriftMarkdown,
  html: renderDriftHtml,
};

export function driftExitCode(report: DriftReport, failOnDrift: boolean): 0 | 1 | 3 {
  if (report.status === 'unknown') return 1;
  return report.status === 'drift' && failOnDrift ? 3 : 0;
}

async function runDrift(opts: DriftCommandOptions): Promise<number> {
  const { deps, close } = await pipelineDeps(opts);
  let report: DriftReport;
  try {
    report = await runDriftReport(deps);
  } finally {
    close();
  }
  const text = RENDER[opts.format](report);
  if (opts.output === undefined) process.stdout.write(text);
  else {
    try {
      await writeFile(opts.output, text);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new CommandError(`cannot write the drift report to ${opts.output} (${why}); check the -o path`);
    }
    process.stderr.write(`${report.headline}\nwrote ${opts.output}\n`);
  }
  if (report.status === 'unknown') process.stderr.write(`${report.headline}\n`);
  return driftExitCode(report, opts.failOnDrift === true);
}

export function registerDrift(program: Command, setExit: (code: number) => void): void {
  program
    .command('drift')
    .description(
      'report where the cluster and NetBox disagree, read-only (exit 0: written, 3: drift with --fail-on-drift, 1: error or NetBox not read)',
    )
    .option('-c, --config <file>', 'config file (default $NBSYNC_CONFIG or /etc/netbox-ippool-sync/config.yaml)')
    .option('--kubeconfig <file>', 'kubeconfig (default $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--observed <dir>', 'report against Kubernetes objects in YAML files instead of a live cluster')
    .option('--log-level <level>', 'log level on stderr (default warn)')
    .addOption(new Option('--format <format>', 'report format').choices(DRIFT_FORMATS).default('json'))
    .option('--fail-on-drift', 'exit 3 when the report finds drift')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .action(async (opts: DriftCommandOptions) => setExit(await runDrift(opts)));
}
