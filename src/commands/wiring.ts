import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Option } from 'commander';
import { parseAllDocuments } from 'yaml';
import type { Config } from '../config/config.ts';
import { loadConfig, netboxTokenSource } from '../config/config.ts';
import { KubeClient } from '../k8s/client.ts';
import { LiveCluster, StaticCluster } from '../k8s/cluster.ts';
import { ADAPTERS } from '../kinds/registry.ts';
import type { K8sObject } from '../model/k8s-object.ts';
import type { Logger } from '../log.ts';
import { createLogger } from '../log.ts';
import { formatIssue } from '../model/issue.ts';
import { loadToken, NetBoxClient } from '../netbox/client/index.ts';
import type { CycleDeps } from '../cycle.ts';

/** What every command that runs the pipeline shares: config, clients, a logger. */

export const DEFAULT_CONFIG_PATH = '/etc/netbox-ippool-sync/config.yaml';

export interface CommonOptions {
  config?: string;
  kubeconfig?: string;
  logLevel?: string;
}

/** A user-facing failure: printed as one line, exit code 1, no stack trace. */
export class CommandError extends Error {}

export async function loadConfigOrFail(path: string | undefined): Promise<Config> {
  const file = path ?? process.env['NBSYNC_CONFIG'] ?? DEFAULT_CONFIG_PATH;
  const result = await loadConfig(file, process.env, ADAPTERS);
  if (!result.ok) {
    throw new CommandError(`config ${file} is invalid:\n${result.issues.map(i => `  ${formatIssue(i)}`).join('\n')}`);
  }
  return result.config;
}

export function commandLogger(opts: CommonOptions): Logger {
  // Logs go to stderr so stdout carries only the command's output (plan text, JSON).
  // Without --log-level, createLogger reads LOG_LEVEL itself, so a bad value is reported under that name.
  const level = opts.logLevel || (process.env['LOG_LEVEL'] ? undefined : 'warn');
  return createLogger({ level, destination: process.stderr });
}

export function netboxClient(config: Config, logger: Logger): NetBoxClient {
  const token = loadToken(netboxTokenSource(config.netbox));
  return new NetBoxClient({
    url: config.netbox.url,
    token,
    timeoutMs: config.netbox.timeoutMs,
    pageSize: config.netbox.pageSize,
    batchSize: config.netbox.batchSize,
    concurrency: config.netbox.concurrency,
    writeConcurrency: config.netbox.writeConcurrency,
    caFile: config.netbox.caFile,
    insecureSkipVerify: config.netbox.insecureSkipVerify,
    logger,
  });
}

/** Reads Kubernetes objects from every `.yaml`/`.yml`/`.json` file under `dir` (List objects are unpacked). */
export function readObjectsDir(dir: string): Map<string, K8sObject[]> {
  const byType = new Map<string, K8sObject[]>();
  const add = (o: unknown, file: string): void => {
    if (!o || typeof o !== 'object') return;
    const obj = o as Partial<K8sObject> & { items?: unknown[] };
    if (obj.kind?.endsWith('List') && Array.isArray(obj.items)) return obj.items.forEach(i => add(i, file));
    if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string' || typeof obj.metadata?.name !== 'string') {
      throw new CommandError(`${file}: not a Kubernetes object (apiVersion, kind and metadata.name are required)`);
    }
    const key = `${obj.apiVersion}/${obj.kind}`;
    byType.set(key, [...(byType.get(key) ?? []), obj as K8sObject]);
  };
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ya?ml|json)$/.test(name)) {
        for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
          if (doc.errors.length > 0) throw new CommandError(`${path}: ${doc.errors[0]?.message ?? 'YAML error'}`);
          add(doc.toJS(), path);
        }
      }
    }
  };
  walk(dir);
  return byType;
}

export interface PipelineOptions extends CommonOptions {
  observed?: string;
  cluster?: boolean;
}

/** Config + NetBox + (live cluster | observed files | nothing) for one cycle. */
export async function pipelineDeps(
  opts: PipelineOptions,
): Promise<{ deps: CycleDeps & { netbox: NetBoxClient }; close: () => void }> {
  const logger = commandLogger(opts);
  const config = await loadConfigOrFail(opts.config);
  const netbox = netboxClient(config, logger);
  const base = { config, netbox, adapters: ADAPTERS, logger };
  if (opts.observed)
    return { deps: { ...base, cluster: new StaticCluster(readObjectsDir(opts.observed)) }, close: noop };
  if (opts.cluster === false) return { deps: { ...base, cluster: new StaticCluster() }, close: noop };
  const kube = new KubeClient({ kubeconfig: opts.kubeconfig, logger });
  const live = new LiveCluster(kube);
  return { deps: { ...base, cluster: live, writer: live }, close: () => kube.close() };
}

function noop(): void {}

/** `-o text|json`, the same on every command that prints a result. */
export function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text');
}
