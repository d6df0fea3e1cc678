import type { Command } from 'commander';
import { adoptionCandidates, adoptPool, poolAdapterOf } from '../adopt/adopt.ts';
import { proveAgainst } from '../adopt/prove.ts';
import type { Adoption } from '../adopt/types.ts';
import type { Config } from '../config/config.ts';
import { validateKindDefaults } from '../config/config.ts';
import { markOurs, unmarkOurs } from '../k8s/adoption.ts';
import { KubeClient } from '../k8s/client.ts';
import { observe } from '../k8s/observe.ts';
import { ADAPTERS } from '../kinds/registry.ts';
import type { Logger } from '../log.ts';
import type { K8sObject, ResourceType } from '../model/k8s-object.ts';
import { apiVersionOf } from '../model/k8s-object.ts';
import {
  CLUSTER_LABEL,
  fieldManagerFor,
  isManaged,
  NETBOX_OBJECTS_ANNOTATION,
  POOL_KIND_LABEL,
} from '../model/ownership.ts';
import { findVrf, readNeighbourhood, removeTag, writeNetBoxSide } from '../netbox/adoption.ts';
import type { NetBoxClient } from '../netbox/client/index.ts';
import { readSnapshot } from '../netbox/source.ts';
import { formatValue } from '../plan/diff.ts';
import { commandLogger, loadConfigOrFail, netboxClient, outputOption } from './wiring.ts';
import type { CommonOptions } from './wiring.ts';

/** `adopt` and `release`: bring hand-written pools under management without changing them, and let them go. */

export interface AdoptionDeps {
  config: Config;
  netbox: NetBoxClient;
  kube: KubeClient;
  logger: Logger;
}

export interface AdoptOptions {
  kind?: string;
  names?: string[];
  vrf?: string;
  dryRun: boolean;
}

export interface AdoptReport {
  adoptions: Adoption[];
  /** Pools now ours: NetBox written, live objects labelled. */
  adopted: string[];
  /** Pools whose adoption failed part way, with what was done and what to do next. */
  failed: { pool: string; reason: string }[];
}

function typeOf(obj: K8sObject): ResourceType {
  const rt = ADAPTERS.flatMap(a => a.owns).find(t => apiVersionOf(t) === obj.apiVersion && t.kind === obj.kind);
  if (rt === undefined) throw new Error(`${obj.kind} ${obj.metadata.name} is of no pool kind's resource type`);
  return rt;
}

function poolText(a: Adoption): string {
  return `${a.pool.kind} ${a.pool.namespace === undefined ? '' : `${a.pool.namespace}/`}${a.pool.name}`;
}

export async function runAdopt(deps: AdoptionDeps, opts: AdoptOptions): Promise<AdoptReport> {
  const { config, netbox, kube, logger } = deps;
  const defaults = validateKindDefaults(config, ADAPTERS).defaults;
  const observation = await observe(kube, ADAPTERS, { logger });
  const vrf = opts.vrf === undefined ? undefined : await findVrf(netbox, opts.vrf);
  const candidates = adoptionCandidates(observation.owned, { kind: opts.kind, names: opts.names ?? [] });
  const base = { config, defaults, observed: observation.objects, ...(vrf === undefined ? {} : { vrf }) };
  const adoptions: { adoption: Adoption; live: K8sObject }[] = [];
  for (const live of candidates) {
    const read = poolAdapterOf(live)?.readBack(live, observation.objects);
    const networks = read?.ok === true ? read.shape.spaces.map(s => s.network) : [];
    const around = await readNeighbourhood(netbox, networks);
    adoptions.push({ adoption: adoptPool(live, { ...base, netbox: around }), live });
  }
  const report: AdoptReport = { adoptions: adoptions.map(a => a.adoption), adopted: [], failed: [] };
  const ready = adoptions.filter(a => a.adoption.outcome === 'adoptable');
  if (opts.dryRun || ready.length === 0) return report;

  const roleIds = new Map((await netbox.listRoles()).map(r => [r.slug, r.id]));
  const written: typeof ready = [];
  for (const a of ready) {
    try {
      await writeNetBoxSide(netbox, a.adoption, { roleIds, ...(vrf === undefined ? {} : { vrf }) });
      written.push(a);
    } catch (err) {
      const reason = `writing NetBox failed, the pool was not labelled: ${err instanceof Error ? err.message : String(err)}; fix NetBox and run adopt again (what was written is reused)`;
      report.failed.push({ pool: poolText(a.adoption), reason });
    }
  }
  // The proof again, on what NetBox now says, read by the source every sync reads: only then is the pool ours.
  const snapshot = await readSnapshot(netbox, config.selection, {
    filterBatchSize: config.netbox.filterBatchSize,
    concurrency: config.netbox.concurrency,
  });
  for (const { adoption, live } of written) {
    const proof = proveAgainst(snapshot, adoption.pool, live, base);
    const problems = [...proof.errors, ...proof.differences.map(d => `${d.object} ${d.path}`)];
    if (problems.length > 0) {
      report.failed.push({
        pool: poolText(adoption),
        reason: `NetBox was written but no longer renders the pool unchanged (${problems.join('; ')}); the pool was not labelled: correct NetBox or remove the objects written`,
      });
      continue;
    }
    for (const { rendered, live: object } of proof.pairs) {
      await markOurs(kube, typeOf(object), object, rendered, { fieldManager: fieldManagerFor(config.cluster) });
    }
    report.adopted.push(poolText(adoption));
  }
  return report;
}

export interface ReleaseOptions {
  kind?: string;
  names?: string[];
  netboxTags: boolean;
  dryRun: boolean;
}

export interface ReleaseReport {
  /** Objects that were (or, in a dry run, would be) released: `Kind namespace/name`. */
  released: string[];
  /** NetBox objects the cluster tag was (or would be) taken off: `prefix/12`. */
  untagged: string[];
}

export async function runRelease(deps: AdoptionDeps, opts: ReleaseOptions): Promise<ReleaseReport> {
  const { config, netbox, kube, logger } = deps;
  const observation = await observe(kube, ADAPTERS, { logger });
  const names = new Set(opts.names ?? []);
  const ours = observation.owned.filter(
    o =>
      isManaged(o) &&
      o.metadata.labels?.[CLUSTER_LABEL] === config.cluster &&
      (opts.kind === undefined || o.metadata.labels[POOL_KIND_LABEL] === opts.kind) &&
      (names.size === 0 || names.has(o.metadata.name)),
  );
  const refs = ours.flatMap(o => (o.metadata.annotations?.[NETBOX_OBJECTS_ANNOTATION] ?? '').split(',')).filter(r => r);
  const report: ReleaseReport = {
    released: ours.map(
      o => `${o.kind} ${o.metadata.namespace === undefined ? '' : `${o.metadata.namespace}/`}${o.metadata.name}`,
    ),
    untagged: opts.netboxTags ? [...new Set(refs)].sort() : [],
  };
  if (opts.dryRun) return report;
  // NetBox first: while the tag is on, the pool is still ours, so a failure here leaves nothing half released.
  if (opts.netboxTags) report.untagged = await removeTag(netbox, refs, config.selection.clusterTag);
  for (const o of ours) await unmarkOurs(kube, typeOf(o), o, { fieldManager: fieldManagerFor(config.cluster) });
  return report;
}

function adoptionText(a: Adoption): string[] {
  const lines = [`${a.outcome.padEnd(10)} ${poolText(a)}`];
  for (const s of a.spaces) {
    const what = s.prefix ?? `${s.startAddress ?? ''}-${s.endAddress ?? ''}`;
    const verb = s.existing === undefined ? 'create' : `complete (id ${s.existing.id})`;
    const fields = Object.entries(s.customFields).map(
      ([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`,
    );
    const extra = [...(s.role === undefined ? [] : [`role ${s.role}`]), ...s.addTags.map(t => `tag ${t}`), ...fields];
    lines.push(`    NetBox ${verb} ${s.model} ${what}${extra.length > 0 ? `: ${extra.join(', ')}` : ''}`);
  }
  for (const h of a.held)
    lines.push(`    NetBox hold ${h.model} ${h.address ?? `${h.startAddress ?? ''}-${h.endAddress ?? ''}`}`);
  for (const r of a.reasons) lines.push(`    ! ${r}`);
  for (const d of a.differences) {
    lines.push(`    ~ ${d.object} ${d.path}: live ${formatValue(d.from)} → rendered ${formatValue(d.to)}`);
  }
  for (const n of a.notes) lines.push(`    note: ${n}`);
  return lines;
}

export function adoptText(report: AdoptReport, dryRun: boolean): string {
  const lines = report.adoptions.flatMap(adoptionText);
  if (report.adoptions.length === 0) lines.push('No unmanaged pools of a supported kind match.');
  if (dryRun) lines.push('Dry run: nothing written.');
  for (const p of report.adopted) lines.push(`adopted ${p}`);
  for (const f of report.failed) lines.push(`FAILED ${f.pool}: ${f.reason}`);
  return `${lines.join('\n')}\n`;
}

/** 0: every pool asked for is ours (dry run: adoptable); 2: some were left alone; 1: a write failed. */
export function adoptExitCode(report: AdoptReport, dryRun: boolean): number {
  if (report.failed.length > 0) return 1;
  const done = dryRun ? report.adoptions.filter(a => a.outcome === 'adoptable').length : report.adopted.length;
  return done === report.adoptions.length ? 0 : 2;
}

interface AdoptCommandOptions extends CommonOptions {
  kind?: string;
  name?: string[];
  vrf?: string;
  dryRun?: boolean;
  output: 'text' | 'json';
}

interface ReleaseCommandOptions extends CommonOptions {
  kind?: string;
  name?: string[];
  netboxTags?: boolean;
  dryRun?: boolean;
}

async function withDeps<T>(opts: CommonOptions, run: (deps: AdoptionDeps) => Promise<T>): Promise<T> {
  const logger = commandLogger(opts);
  const config = await loadConfigOrFail(opts.config);
  const kube = new KubeClient({ kubeconfig: opts.kubeconfig, logger });
  try {
    return await run({ config, netbox: netboxClient(config, logger), kube, logger });
  } finally {
    kube.close();
  }
}

function common(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'config file (default $NBSYNC_CONFIG or /etc/netbox-ippool-sync/config.yaml)')
    .option('--kubeconfig <file>', 'kubeconfig (default $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--log-level <level>', 'log level on stderr (default warn)')
    .option('--kind <kind>', 'only pools of this kind')
    .option('--name <name...>', 'only pool objects of these names')
    .option('--dry-run', 'print what would be done; write nothing');
}

export function registerAdoptCommands(program: Command, setExit: (code: number) => void): void {
  common(program.command('adopt'))
    .description(
      'bring hand-written pools under management, unchanged (exit 0 all adopted, 2 some left alone, 1 error)',
    )
    .option('--vrf <name>', 'record the pools in this NetBox VRF (default: the global table)')
    .addOption(outputOption())
    .action(async (opts: AdoptCommandOptions) => {
      const dryRun = opts.dryRun === true;
      const report = await withDeps(opts, deps =>
        runAdopt(deps, { kind: opts.kind, names: opts.name ?? [], vrf: opts.vrf, dryRun }),
      );
      process.stdout.write(opts.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : adoptText(report, dryRun));
      setExit(adoptExitCode(report, dryRun));
    });
  common(program.command('release'))
    .description('remove our labels and annotations from pools, leaving them intact and unmanaged')
    .option('--netbox-tags', "also take the cluster's tag off their NetBox prefixes and ranges")
    .action(async (opts: ReleaseCommandOptions) => {
      const dryRun = opts.dryRun === true;
      const report = await withDeps(opts, deps =>
        runRelease(deps, { kind: opts.kind, names: opts.name ?? [], netboxTags: opts.netboxTags === true, dryRun }),
      );
      const lines = [
        ...report.released.map(r => `${dryRun ? 'would release' : 'released'} ${r}`),
        ...report.untagged.map(r => `${dryRun ? 'would untag' : 'untagged'} NetBox ${r}`),
      ];
      process.stdout.write(`${lines.length === 0 ? 'Nothing of ours matches.' : lines.join('\n')}\n`);
      setExit(0);
    });
}
