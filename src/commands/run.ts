import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../config/config.ts';
import { durationMs } from '../config/daemon.ts';
import { Daemon, debounceMsOf } from '../daemon/daemon.ts';
import type { ClusterSpec } from '../daemon/daemon.ts';
import { jobFunctions } from '../daemon/jobs.ts';
import type { JobFn } from '../daemon/jobs.ts';
import { onShutdownSignal } from '../daemon/shutdown.ts';
import { jobForChange } from '../daemon/triggers.ts';
import { KubeClient } from '../k8s/client.ts';
import { LiveCluster } from '../k8s/cluster.ts';
import { startWatches, watchableTypes } from '../k8s/watch.ts';
import type { WatchSet } from '../k8s/watch.ts';
import { ADAPTERS } from '../kinds/registry.ts';
import { createLogger } from '../log.ts';
import type { Logger } from '../log.ts';
import { apiVersionOf } from '../model/k8s-object.ts';
import { fieldManagerFor } from '../model/ownership.ts';
import { startHttpServer } from '../server/http.ts';
import type { DriftProvider } from '../server/http.ts';
import { CommandError, loadConfigOrFail, netboxClient } from './wiring.ts';
import { LatestDrift } from '../daemon/drift.ts';

/**
 * `run`: the daemon. Every `-c` file is one cluster; jobs run on BullMQ with REDIS_URL (redis.url), else in this
 * process. Writeback and drift jobs, and the drift page, are injected where they are built (see registerRun).
 */

interface RunOptions {
  config: string[];
  kubeconfig?: string;
  logLevel?: string;
}

/** What later builds plug in: the writeback and drift jobs and the drift report for /drift. */
export interface RunInjections {
  writeback?: JobFn;
  drift?: JobFn;
  driftPages?: DriftProvider;
}

interface ClusterRuntime {
  spec: ClusterSpec;
  kube: KubeClient;
  live: LiveCluster;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The webhook secret from the variable server.webhookSecretEnv names, else server.webhookSecretFile. */
export function webhookSecret(config: Config, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env[config.server.webhookSecretEnv]?.trim();
  if (fromEnv) return fromEnv;
  const file = config.server.webhookSecretFile;
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : String(err);
    throw new CommandError(
      `cannot read the webhook secret file ${file} (server.webhookSecretFile): ${code}; mount the Secret or set ${config.server.webhookSecretEnv}`,
    );
  }
}

function prettyAvailable(): boolean {
  if (!process.stdout.isTTY || process.env['LOG_PRETTY'] === '0') return false;
  try {
    import.meta.resolve('pino-pretty');
    return true;
  } catch (err) {
    // pino-pretty is a development dependency: production images log JSON.
    process.stderr.write(`pino-pretty not installed (${String(err)}); logging JSON\n`);
    return false;
  }
}

function clusterRuntime(config: Config, opts: RunOptions, logger: Logger): ClusterRuntime {
  const log = logger.child({ cluster: config.cluster });
  const kube = new KubeClient({ kubeconfig: opts.kubeconfig, logger: log });
  const live = new LiveCluster(kube);
  const netbox = netboxClient(config, log);
  const probe = async (): Promise<string | undefined> => {
    try {
      await kube.discover('', 'v1');
      return undefined;
    } catch (err) {
      return `apiserver unreachable: ${err instanceof Error ? err.message : String(err)}`;
    }
  };
  const deps = { config, netbox, adapters: ADAPTERS, cluster: live, writer: live, logger: log };
  return { spec: { config, deps, logger: log, probe }, kube, live };
}

/** Watches our pools (→ sync) and the allocation sources (→ writeback) of one cluster. */
async function watchCluster(rt: ClusterRuntime, daemon: Daemon, logger: Logger): Promise<WatchSet> {
  const { pools, sources } = await watchableTypes(rt.kube, ADAPTERS);
  const poolTypes = new Set(pools.map(t => `${apiVersionOf(t)}/${t.kind}`));
  const name = rt.spec.config.cluster;
  const ours = fieldManagerFor(name);
  rt.live.onChange(change => {
    const job = jobForChange(change, poolTypes, ours);
    if (job !== undefined) daemon.trigger(name, job, 'watch');
  });
  const set = startWatches(rt.kube, [...pools, ...sources], change => rt.live.notify(change), {
    logger: rt.spec.logger,
  });
  logger.info({ cluster: name, pools: pools.length, sources: sources.length }, 'watching the cluster');
  return set;
}

export async function runDaemon(opts: RunOptions, inject: RunInjections = {}): Promise<number> {
  if (opts.config.length === 0) opts.config.push(process.env['NBSYNC_CONFIG'] ?? '/etc/netbox-ippool-sync/config.yaml');
  const configs: Config[] = [];
  for (const file of opts.config) configs.push(await loadConfigOrFail(file));
  const [first] = configs;
  if (!first) throw new CommandError('run needs at least one config file (-c FILE)');
  const logger = createLogger({ level: opts.logLevel ?? first.logLevel, pretty: prettyAvailable() });
  const runtimes = configs.map(c => clusterRuntime(c, opts, logger));
  const latestDrift = new LatestDrift();
  const daemon = new Daemon({
    clusters: runtimes.map(r => r.spec),
    jobs: jobFunctions({ writeback: inject.writeback, drift: inject.drift ?? latestDrift.job }),
    redis: first.redis,
    debounceMs: debounceMsOf(first),
    logger,
  });
  // The signal handler is in place before the server says it listens: a SIGTERM right after that line must not
  // meet Node's default action (exit by signal, code null) before the handler is registered.
  const serverStarting = startHttpServer({
    daemon,
    address: first.server.address,
    port: first.server.port,
    webhookSecret: webhookSecret(first),
    maxBodyBytes: first.server.maxBodyBytes,
    clusterTags: new Map(configs.map(c => [c.cluster, c.selection.clusterTag])),
    managedTags: new Map(configs.map(c => [c.cluster, c.selection.managedTag])),
    drift: inject.driftPages ?? latestDrift,
    logger,
  });
  latestDrift.onReport = report => daemon.metrics.driftReport(report);
  const watches: WatchSet[] = [];
  const stopped = onShutdownSignal(logger, async () => {
    await Promise.all(watches.map(w => w.stop()));
    const finished = await daemon.stop(durationMsOrDefault(first));
    await (await serverStarting).close();
    for (const r of runtimes) r.kube.close();
    logger.info({ finished }, 'stopped');
    return finished ? 0 : 1;
  });
  const server = await serverStarting;
  // A signal while the scheduler still starts (Redis refusing the password keeps BullMQ waiting) ends the run
  // with the shutdown's exit code, instead of leaving the start pending until the process drains.
  const start = await Promise.race([daemon.start().then(() => undefined), stopped.then(code => ({ code }))]);
  if (start !== undefined) return start.code;
  for (const r of runtimes) watches.push(await watchCluster(r, daemon, logger));
  logger.info(
    { clusters: configs.map(c => c.cluster), mode: daemon.scheduler.mode, url: server.url },
    `netbox-ippool-sync running (${daemon.scheduler.mode === 'redis' ? 'BullMQ on Redis' : 'embedded: no Redis, state in memory'})`,
  );
  return stopped;
}

function durationMsOrDefault(config: Config): number {
  return durationMs(config.schedule.shutdownTimeout) ?? 60_000;
}

export function registerRun(program: Command, setExit: (code: number) => void, inject: RunInjections = {}): void {
  program
    .command('run')
    .description(
      'run the daemon: scheduled sync, writeback and drift jobs, NetBox webhooks, Kubernetes watches, and an HTTP ' +
        'server (/healthz, /readyz, /metrics); BullMQ on Redis with REDIS_URL, in-process without',
    )
    .option(
      '-c, --config <file>',
      'config file, once per cluster (default $NBSYNC_CONFIG or /etc/netbox-ippool-sync/config.yaml)',
      collect,
      [],
    )
    .option('--kubeconfig <file>', 'kubeconfig for every cluster (default $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--log-level <level>', 'log level (default: logLevel of the first config, LOG_LEVEL, or info)')
    .action(async (opts: RunOptions) => setExit(await runDaemon(opts, inject)));
}
