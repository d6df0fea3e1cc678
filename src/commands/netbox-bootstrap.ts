import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import type { Config } from '../config/config.ts';
import { formatIssue } from '../model/issue.ts';
import { runBootstrap, wantedObjects } from '../netbox/bootstrap/bootstrap.ts';
import type { BootstrapApi, BootstrapPlan, BootstrapReport, StepResult } from '../netbox/bootstrap/bootstrap.ts';
import { loadToken, NetBoxClient, NetBoxConfigError } from '../netbox/client/index.ts';
import type { NetBoxToken } from '../netbox/client/index.ts';
import type { TokenSource } from '../model/netbox.ts';
import { outputOption } from './wiring.ts';

/**
 * `netbox bootstrap`: creates, idempotently, the roles, tags, choice set and custom fields DESIGN.md §4 needs.
 * Names come from --config (selection.*) or §4's defaults. Exit code 0 when NetBox holds everything (or, with
 * --dry-run, when nothing blocks it), 1 when anything failed or conflicts.
 */

export interface NetBoxConnection {
  url: string;
  token: NetBoxToken;
  caFile?: string;
  insecureSkipVerify?: boolean;
  timeoutMs?: number;
}

export interface NetboxBootstrapDeps {
  setExit: (code: number) => void;
  /** Where the report goes; default stdout. Errors before the run go to `stderr`. */
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Builds the NetBox API; tests inject a fake. Default: NetBoxClient. */
  connect?: (conn: NetBoxConnection) => BootstrapApi;
}

export interface NetboxBootstrapOptions {
  netboxUrl?: string;
  tokenEnv?: string;
  tokenFile?: string;
  cluster?: string;
  config?: string;
  dryRun?: boolean;
  output: 'text' | 'json';
}

/** A failure before anything is asked of NetBox (bad flags, config or token): one line on stderr, exit 1. */
class UsageError extends Error {}

const CLUSTER = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function registerNetboxBootstrap(program: Command, deps: NetboxBootstrapDeps): void {
  const netbox =
    program.commands.find(c => c.name() === 'netbox') ?? program.command('netbox').description('NetBox helpers');
  netbox
    .command('bootstrap')
    .description(
      'create the roles, tags, choice set and custom fields netbox-ippool-sync needs (idempotent).\n' +
        'Never deletes anything; existing objects only get missing object types or choices added.',
    )
    .option('--netbox-url <url>', 'NetBox URL (default: netbox.url from --config, else $NETBOX_URL)')
    .option('--token-env <name>', 'environment variable holding the API token (default NETBOX_TOKEN)')
    .option('--token-file <file>', 'file holding the API token (wins over --token-env)')
    .option('--cluster <name>', 'cluster name; the cluster tag is k8s-<name> (default: cluster from --config)')
    .option('-c, --config <file>', 'config file to take the cluster, tag, role and custom field names from')
    .option('--dry-run', 'read NetBox and print what would be created or changed, write nothing')
    .addOption(outputOption())
    .action(async (opts: NetboxBootstrapOptions) => {
      deps.setExit(await runNetboxBootstrap(opts, deps));
    });
}

/** The command without commander: resolves the inputs, runs the bootstrap, prints, returns the exit code. */
export async function runNetboxBootstrap(
  opts: NetboxBootstrapOptions,
  deps: Omit<NetboxBootstrapDeps, 'setExit'>,
): Promise<number> {
  const out = deps.stdout ?? ((t: string) => void process.stdout.write(t));
  const err = deps.stderr ?? ((t: string) => void process.stderr.write(t));
  const env = deps.env ?? process.env;
  let inputs: { plan: BootstrapPlan; conn: NetBoxConnection };
  try {
    inputs = await resolveInputs(opts, env);
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof NetBoxConfigError)) throw e;
    err(`netbox bootstrap: ${e.message}\n`);
    return 1;
  }
  const connect = deps.connect ?? ((c: NetBoxConnection) => new NetBoxClient(c));
  const report = await runBootstrap(connect(inputs.conn), wantedObjects(inputs.plan), { dryRun: opts.dryRun === true });
  const context = { cluster: inputs.plan.cluster, url: inputs.conn.url };
  out(
    opts.output === 'json'
      ? `${JSON.stringify({ ...context, ...report }, null, 2)}\n`
      : formatBootstrap(report, context),
  );
  return report.ok ? 0 : 1;
}

async function resolveInputs(opts: NetboxBootstrapOptions, env: NodeJS.ProcessEnv) {
  const config = opts.config === undefined ? undefined : await readConfig(opts.config, env);
  const url = opts.netboxUrl ?? config?.netbox.url ?? env['NETBOX_URL'];
  if (url === undefined || url === '') throw new UsageError('no NetBox URL: pass --netbox-url or --config');
  const cluster = opts.cluster ?? config?.cluster;
  if (cluster === undefined) throw new UsageError('no cluster name: pass --cluster or --config');
  if (!CLUSTER.test(cluster) || cluster.length > 63) {
    throw new UsageError(`--cluster "${cluster}" is not a DNS-1123 label (lowercase letters, digits and "-")`);
  }
  const plan: BootstrapPlan = { cluster };
  if (config) {
    // The config's cluster tag was derived from its own cluster name unless set; --cluster re-derives it.
    if (opts.cluster === undefined) plan.clusterTag = config.selection.clusterTag;
    plan.managedTag = config.selection.managedTag;
    plan.gatewayTag = config.selection.gatewayTag;
    plan.roles = Object.keys(config.selection.roles);
    plan.customFields = { ...config.selection.customFields, ...config.writeback.customFields };
  }
  const conn: NetBoxConnection = { url, token: loadToken(tokenSource(opts, config, env), env) };
  if (config) {
    if (config.netbox.caFile !== undefined) conn.caFile = config.netbox.caFile;
    conn.insecureSkipVerify = config.netbox.insecureSkipVerify;
    conn.timeoutMs = config.netbox.timeoutMs;
  }
  return { plan, conn };
}

/** Flags first; then the config's rule (its token variable when set, else its token file); else NETBOX_TOKEN. */
function tokenSource(opts: NetboxBootstrapOptions, config: Config | undefined, env: NodeJS.ProcessEnv): TokenSource {
  if (opts.tokenFile !== undefined) return { file: opts.tokenFile };
  if (opts.tokenEnv !== undefined) return { env: opts.tokenEnv };
  if (config) {
    const { tokenEnv, tokenFile } = config.netbox;
    return env[tokenEnv] !== undefined && env[tokenEnv] !== '' ? { env: tokenEnv } : { file: tokenFile };
  }
  return { env: 'NETBOX_TOKEN' };
}

async function readConfig(path: string, env: NodeJS.ProcessEnv): Promise<Config> {
  const result = await loadConfig(path, env);
  if (result.ok) return result.config;
  throw new UsageError(`config ${path} is invalid:\n${result.issues.map(i => `  ${formatIssue(i)}`).join('\n')}`);
}

const SYMBOL: Record<StepResult['status'], string> = {
  created: '+',
  'would-create': '+',
  updated: '~',
  'would-update': '~',
  unchanged: '=',
  conflict: '!',
  failed: '✗',
};

function stepLine(r: StepResult): string {
  const what = `${r.thing} ${r.name}`;
  const detail = r.detail ? `: ${r.detail}` : '';
  switch (r.status) {
    case 'created':
      return `created ${what}`;
    case 'would-create':
      return `would create ${what}`;
    case 'updated':
      return `updated ${what}${detail}`;
    case 'would-update':
      return `would update ${what}${detail}`;
    case 'unchanged':
      return `${what} exists${r.detail ? ` (${r.detail})` : ''}`;
    case 'conflict':
    case 'failed':
      return problem(r);
  }
}

/** The reason, prefixed with the object unless the reason already names it. */
function problem(r: StepResult): string {
  const what = `${r.thing} ${r.name}`;
  const reason = r.reason ?? r.status;
  return reason.includes(what) ? reason : `${what}: ${reason}`;
}

/** One line per step, then a summary; failures and conflicts are listed again at the end with what to do. */
export function formatBootstrap(report: BootstrapReport, context: { cluster: string; url: string }): string {
  const head = `NetBox bootstrap for cluster ${context.cluster} at ${context.url}${report.dryRun ? ' (dry run)' : ''}`;
  if (report.readError) {
    const { reason, hint } = report.readError;
    return `${head}\n✗ ${reason}\n  ${hint}\nNothing was changed.\n`;
  }
  const lines = [head, ...report.results.map(r => `${SYMBOL[r.status]} ${stepLine(r)}`), ''];
  const c = report.counts;
  if (!report.changed && report.ok) {
    lines.push(`Nothing to change: all ${c.unchanged} objects exist.`);
  } else {
    const parts = (
      [
        ['created', c.created],
        ['would create', c['would-create']],
        ['updated', c.updated],
        ['would update', c['would-update']],
        ['unchanged', c.unchanged],
        ['conflicts', c.conflict],
        ['failed', c.failed],
      ] as const
    ).filter(([, n]) => n > 0);
    lines.push(
      `${parts.map(([label, n]) => `${label} ${n}`).join(', ')}${report.dryRun ? ' (dry run: nothing written)' : ''}.`,
    );
  }
  if (c.updated + c['would-update'] > 0) {
    lines.push('Existing objects are only extended (missing object types or choices); nothing is deleted or renamed.');
  }
  const problems = report.results.filter(r => r.status === 'failed' || r.status === 'conflict');
  if (problems.length > 0) {
    lines.push('', `Could not be done (${problems.length}):`);
    for (const r of problems) lines.push(`  - ${problem(r)}${r.hint ? ` — ${r.hint}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
