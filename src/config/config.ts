import { isRecord } from '../model/values.ts';
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { envName, int, oneOf, optionalText, text } from './fields.ts';
import { defaultRoleKinds, POOL_KINDS } from '../kinds/registry.ts';
import type { PoolKind } from '../model/intent.ts';
import type { Issue } from '../model/issue.ts';
import { boundedIssue } from '../model/issue.ts';
import type { TokenSource } from '../model/netbox.ts';
import type { PoolKindAdapter } from '../kinds/adapter.ts';
import { redisSchema, scheduleSchema, serverSchema } from './daemon.ts';

/**
 * The daemon's configuration: one YAML file, validated in full before anything runs. Problems come back as
 * config issues with a dotted path (`kinds.calico.blockSize: expected 20-32`), never as a raw zod error.
 * Every key and its default is documented in config/README.md.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SLUG = /^[-a-zA-Z0-9_]+$/;
const CUSTOM_FIELD_NAME = /^[a-z0-9_]+$/;

/** Error option that says `required` for a missing value and `text` for a wrong one. */
const expect = (text: string) => ({
  error: (iss: { input?: unknown }) => (iss.input === undefined ? 'required' : text),
});

const label = (what: string) =>
  z
    .string(expect(`expected ${what} (a DNS-1123 label: lowercase letters, digits and '-')`))
    .max(63, { error: `expected ${what} of at most 63 characters` })
    .regex(DNS1123_LABEL, { error: `expected ${what} (a DNS-1123 label: lowercase letters, digits and '-')` });

const slug = z.string().regex(SLUG, { error: 'expected a NetBox slug (letters, digits, "-" and "_")' });
const cfName = z.string().regex(CUSTOM_FIELD_NAME, { error: 'expected a custom field name ([a-z0-9_]+)' });
const poolKind = z.enum(POOL_KINDS, { error: `expected a pool kind: one of ${POOL_KINDS.join(', ')}` });

/** IP roles NetBox uses for first-hop redundancy addresses: the ones that are a subnet's default gateway. */
export const DEFAULT_GATEWAY_ROLES = ['vrrp', 'hsrp', 'glbp', 'carp'] as const;
const IP_ROLES = ['loopback', 'secondary', 'anycast', 'vip', 'vrrp', 'hsrp', 'glbp', 'carp'] as const;

const netboxSchema = z.strictObject(
  {
    url: z
      .url({ protocol: /^https?$/, ...expect('expected an http(s) URL, e.g. https://netbox.example.com') })
      .meta({ description: 'Base URL, `http(s)://host[:port]`, without `/api`.' }),
    tokenEnv: envName('NETBOX_TOKEN', 'Name of the environment variable holding the API token.'),
    tokenFile: text(
      '/var/run/secrets/netbox/token',
      'File read for the token when the variable is unset (a mounted Secret).',
    ),
    caFile: optionalText("PEM bundle of the CA that signed NetBox's certificate."),
    insecureSkipVerify: z
      .boolean({ error: 'expected true or false' })
      .default(false)
      .meta({ description: 'Skip TLS verification (labs only).' }),
    timeoutMs: int(100, 600_000).default(30_000).meta({ description: 'Per-request timeout in ms, 100-600000.' }),
    pageSize: int(1, 1000)
      .default(1000)
      .meta({ description: '`limit` per list page, 1-1000 (NetBox caps at its `MAX_PAGE_SIZE`).' }),
    batchSize: int(1, 1000).default(100).meta({ description: 'Objects per bulk write request, 1-1000.' }),
    concurrency: int(1, 64).default(4).meta({ description: 'Requests in flight at once, 1-64.' }),
    writeConcurrency: int(1, 64).default(2).meta({
      description:
        'Bulk write requests of one model in flight at once, 1-64 (also capped by `concurrency`). About the number of NetBox web workers; see bench/README.md.',
    }),
    /** Values per repeated filter parameter (`parent=a&parent=b…`) when reading what NetBox holds in the pools. */
    filterBatchSize: int(1, 200).default(50).meta({
      description:
        'Values per repeated filter parameter (`parent=a&parent=b…`) when reading what NetBox holds inside the selected pools, 1-200. 50 IPv6 prefixes keep a URL under ~4 kB.',
    }),
  },
  expect('expected a mapping of NetBox connection settings'),
);

const customFieldsSchema = z.strictObject({
  poolKind: cfName.default('k8s_pool_kind').meta({ description: 'Custom field read for `poolKind`.' }),
  poolName: cfName.default('k8s_pool_name').meta({ description: 'Custom field read for `poolName`.' }),
  namespace: cfName.default('k8s_namespace').meta({ description: 'Custom field read for `namespace`.' }),
  blockSize: cfName.default('k8s_block_size').meta({ description: 'Custom field read for `blockSize`.' }),
  nodeSelector: cfName.default('k8s_node_selector').meta({ description: 'Custom field read for `nodeSelector`.' }),
  gateway: cfName.default('k8s_gateway').meta({ description: 'Custom field read for `gateway`.' }),
  namespaces: cfName.default('k8s_namespaces').meta({ description: 'Custom field read for `namespaces`.' }),
  options: cfName.default('k8s_options').meta({ description: 'Custom field read for `options`.' }),
});

const selectionSchema = z.strictObject({
  clusterTag: slug
    .optional()
    .meta({ description: "Tag slug that marks prefixes and IP ranges as this cluster's (default `k8s-<cluster>`)." }),
  managedTag: slug.default('k8s-ippool-sync').meta({ description: 'Tag slug on objects the daemon writes.' }),
  gatewayTag: slug.default('gateway').meta({ description: "Tag slug marking an IP address as its subnet's gateway." }),
  gatewayRoles: z
    .array(z.enum(IP_ROLES, { error: `expected an IP role: one of ${IP_ROLES.join(', ')}` }))
    .default([...DEFAULT_GATEWAY_ROLES])
    .meta({ description: 'IP roles that make an address the gateway when no address carries `gatewayTag`.' }),
  roles: z
    .record(slug, poolKind)
    .refine(r => Object.keys(r).length > 0, { error: 'expected at least one role → pool kind mapping' })
    .default(() => defaultRoleKinds())
    .meta({ description: 'Role slug → pool kind. Setting it replaces the whole table.' }),
  customFields: customFieldsSchema
    .prefault({})
    .meta({ description: 'Names of the custom fields read on prefixes and IP ranges (see below).' }),
});

/** What writeback records per kind; a kind's default is its `writebackGrain`. */
export const RECORD_GRAINS = ['addresses', 'blocks', 'all', 'none'] as const;

const schema = z.strictObject({
  cluster: label('a cluster name').meta({
    description: 'Cluster name, a DNS-1123 label. Names the cluster tag and the `k8s_cluster` written back.',
  }),
  netbox: netboxSchema.meta({ description: 'NetBox connection.' }),
  selection: selectionSchema
    .prefault({})
    .meta({ description: 'Which NetBox objects belong to this cluster and where pool parameters live.' }),
  kinds: z
    .partialRecord(poolKind, z.record(z.string(), z.unknown(), { error: 'expected a mapping of kind defaults' }))
    .default({})
    .meta({ description: 'Defaults per pool kind, each validated by its kind (see below).' }),
  policy: z
    .enum(['sync', 'upsert-only', 'create-only'], { error: 'expected sync, upsert-only or create-only' })
    .default('sync')
    .meta({
      description:
        '`sync` (create, update, delete), `upsert-only` (never delete), `create-only` (never update or delete).',
    }),
  deleteBudget: z
    .strictObject({
      maxCount: int(0, 1_000_000)
        .default(10)
        .meta({ description: "Most pool deletions in one cycle; more stops the cycle's deletions." }),
      maxPercent: int(0, 100)
        .default(25)
        .meta({ description: 'Most pool deletions in one cycle as a percentage (0-100) of the managed pools.' }),
    })
    .prefault({})
    .meta({ description: 'Limits on pool deletions per cycle: a plan over either budget deletes nothing.' }),
  apply: z
    .strictObject({
      concurrency: int(1, 64).default(4).meta({
        description:
          'Kubernetes writes in flight at once, 1-64. Phases of the plan (companions before pools, drains before deletes) still go one after the other. On a shared 2-core machine (apiserver CPU-bound) 300 creates took 1.8 s one at a time, 1.6-3.2 s at 2, 2.4 s at 4, 5.4-5.9 s at 8; 4 keeps that and overlaps network round trips on a real cluster.',
      }),
    })
    .prefault({})
    .meta({ description: 'How the sync writes to Kubernetes.' }),
  writeback: z
    .strictObject({
      status: z
        .enum(['active', 'reserved', 'deprecated', 'dhcp', 'slaac'], {
          error: 'expected a NetBox IP address status: active, reserved, deprecated, dhcp or slaac',
        })
        .default('reserved')
        .meta({ description: 'NetBox status of IP addresses written for live allocations.' }),
      blockStatus: oneOf(
        ['active', 'reserved', 'deprecated'],
        'reserved',
        'NetBox status of prefixes and IP ranges written for per-node blocks.',
      ),
      perNodeBlocks: oneOf(
        ['prefix', 'ip-range', 'none'],
        'prefix',
        'How per-node blocks are recorded: `prefix`, `ip-range` (a block that is no CIDR is always an IP range) or `none`.',
      ),
      kinds: z
        .partialRecord(poolKind, z.enum(RECORD_GRAINS, { error: `expected one of ${RECORD_GRAINS.join(', ')}` }))
        .default({})
        .meta({
          description:
            'What is recorded per kind: `addresses`, `blocks`, `all` or `none`. Default: addresses for Whereabouts, MetalLB and Cilium LB; blocks for Calico, NV-IPAM and Cilium pod pools (docs/writeback.md says what each costs NetBox).',
        }),
      serviceDnsName: z
        .string()
        .regex(/\{name\}/, { error: 'expected a template with {name} (and optionally {namespace})' })
        .optional()
        .meta({ description: 'DNS name template for Service records, e.g. `{name}.{namespace}.lb.example.com`.' }),
      gracePeriodMinutes: int(0, 525_600)
        .default(60)
        .meta({ description: 'How long a record whose allocation is gone stays, marked stale, before it is deleted.' }),
      customFields: z
        .strictObject({
          cluster: cfName.default('k8s_cluster').meta({ description: 'Custom field: the cluster of the allocation.' }),
          owner: cfName
            .default('k8s_owner')
            .meta({ description: 'Custom field: who holds it (`namespace/pod`, `namespace/service`, `node/<name>`).' }),
          pool: cfName.default('k8s_pool').meta({ description: 'Custom field: the pool (`kind:namespace/name`).' }),
          staleSince: cfName.default('k8s_stale_since').meta({
            description: 'Custom field: when the allocation went away (the record is deleted after the grace period).',
          }),
        })
        .prefault({})
        .meta({ description: 'Names of the custom fields writeback fills (`netbox bootstrap` creates them).' }),
    })
    .prefault({})
    .meta({ description: 'How live allocations are recorded in NetBox.' }),
  logLevel: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'expected fatal, error, warn, info, debug, trace or silent',
    })
    .default('info')
    .meta({ description: 'Log level of `run` (one-shot commands log at `warn` unless `--log-level`).' }),
  schedule: scheduleSchema,
  server: serverSchema,
  redis: redisSchema,
  drift: z
    .strictObject({
      utilisationThreshold: int(1, 100).default(80).meta({
        description:
          'Percent (1-100) of a pool\'s assignable addresses in use at which the drift report flags the pool (the seed guide\'s "alert at 80%").',
      }),
    })
    .prefault({})
    .meta({ description: 'Drift reports (`drift` command, the daemon’s drift job and /drift).' }),
});

/** The whole config file's schema: validation, defaults, the JSON Schema and the docs table come from it. */
export const configSchema = schema;

type ParsedConfig = z.output<typeof schema>;
export type NetBoxConfig = ParsedConfig['netbox'];
/** Selection with the cluster tag resolved (`k8s-<cluster>` unless set). */
export type SelectionConfig = Omit<ParsedConfig['selection'], 'clusterTag'> & { clusterTag: string };
export type CustomFieldNames = SelectionConfig['customFields'];
export type Config = Omit<ParsedConfig, 'selection' | 'kinds'> & {
  selection: SelectionConfig;
  kinds: Partial<Record<PoolKind, Record<string, unknown>>>;
};

export type ConfigResult = { ok: true; config: Config } | { ok: false; issues: Issue[] };

/**
 * Environment variables that override keys of the file (containers get them from Secrets and ConfigMaps). The
 * NetBox token itself is never in the file: it is read from `netbox.tokenEnv` (default `NETBOX_TOKEN`), else
 * `netbox.tokenFile` (`NETBOX_TOKEN_FILE`). `KUBECONFIG` is read by the Kubernetes client, as kubectl does.
 */
export const ENV_OVERRIDES: readonly EnvOverride[] = [
  { env: 'CLUSTER_NAME', path: ['cluster'], type: 'string' },
  { env: 'NETBOX_URL', path: ['netbox', 'url'], type: 'string' },
  { env: 'NETBOX_TOKEN_FILE', path: ['netbox', 'tokenFile'], type: 'string' },
  { env: 'NETBOX_CA_FILE', path: ['netbox', 'caFile'], type: 'string' },
  { env: 'NETBOX_INSECURE_SKIP_VERIFY', path: ['netbox', 'insecureSkipVerify'], type: 'boolean' },
  { env: 'NETBOX_TIMEOUT_MS', path: ['netbox', 'timeoutMs'], type: 'number' },
  { env: 'LOG_LEVEL', path: ['logLevel'], type: 'string' },
  { env: 'REDIS_URL', path: ['redis', 'url'], type: 'string' },
  { env: 'NBSYNC_BIND_ADDRESS', path: ['server', 'address'], type: 'string' },
  { env: 'NBSYNC_PORT', path: ['server', 'port'], type: 'number' },
];

export interface EnvOverride {
  env: string;
  path: readonly [string] | readonly [string, string];
  type: 'string' | 'number' | 'boolean';
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Validates an already-parsed YAML/JSON value. `env` overrides come first so a URL may live only in the env.
 * With `adapters`, a config that fails carries the problems of its `kinds.*` sections too, so one run reports every
 * problem at once; a valid config's kind sections are checked by validateKindDefaults, which also fills them in.
 */
export function parseConfig(
  raw: unknown,
  env: Env = process.env,
  adapters: readonly KindDefaultsAdapter[] = [],
): ConfigResult {
  if (!isRecord(raw)) return fail([configIssue('(root)', 'expected a mapping with at least `cluster` and `netbox`')]);
  const input = withEnvOverrides(raw, env);
  const early: Issue[] = [];
  if (isRecord(input['netbox']) && 'token' in input['netbox']) {
    early.push(
      configIssue('netbox.token', 'the NetBox token must not be written in the config file', {
        hint: 'set the environment variable named by netbox.tokenEnv (default NETBOX_TOKEN) or netbox.tokenFile',
      }),
    );
    const { token: _omitted, ...rest } = input['netbox'];
    input['netbox'] = rest;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const kinds = kindSections(input['kinds']);
    return fail([
      ...early,
      ...parsed.error.issues.flatMap(zodIssueToConfigIssues),
      ...checkKindSections(kinds, adapters).issues.filter(i => i.severity === 'error'),
    ]);
  }
  if (early.length > 0) return fail(early);
  const { selection, kinds, ...rest } = parsed.data;
  const config: Config = {
    ...rest,
    selection: { ...selection, clusterTag: selection.clusterTag ?? `k8s-${parsed.data.cluster}` },
    kinds,
  };
  return { ok: true, config };
}

/** Reads and validates a YAML config file; unreadable files and YAML syntax errors become issues too. */
export async function loadConfig(
  path: string,
  env: Env = process.env,
  adapters: readonly KindDefaultsAdapter[] = [],
): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = isRecord(err) && typeof err['code'] === 'string' ? err['code'] : String(err);
    return fail([configIssue(path, `cannot read the config file (${code})`, { hint: 'check the --config path' })]);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return fail(
      doc.errors.map(e => {
        const at = e.linePos?.[0];
        return configIssue(
          at ? `${path}:${at.line}:${at.col}` : path,
          `YAML syntax: ${e.code} ${firstLine(e.message)}`,
        );
      }),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    // e.g. an alias bomb ("Excessive alias count"): the file is refused with its path, never a throw.
    const reason = err instanceof Error ? err.message : String(err);
    return fail([configIssue(path, `YAML cannot be read: ${reason}`)]);
  }
  return parseConfig(raw, env, adapters);
}

type KindDefaultsAdapter = Pick<PoolKindAdapter, 'kind' | 'defaults'>;
type KindSections = Partial<Record<PoolKind, Record<string, unknown>>>;

/** The `kinds.*` sections of an unvalidated config that are mappings under a known kind (the schema reports the rest). */
function kindSections(raw: unknown): KindSections {
  if (!isRecord(raw)) return {};
  const out: KindSections = {};
  for (const kind of POOL_KINDS) {
    const section = raw[kind];
    if (isRecord(section)) out[kind] = section;
  }
  return out;
}

/**
 * Runs each adapter's `defaults` schema over `kinds.<kind>` and returns the filled-in defaults per kind (the
 * adapters' RenderContext.defaults) together with path-qualified issues.
 */
export function validateKindDefaults(
  config: Pick<Config, 'kinds'>,
  adapters: readonly KindDefaultsAdapter[],
): { defaults: KindSections; issues: Issue[] } {
  return checkKindSections(config.kinds, adapters);
}

function checkKindSections(
  kinds: KindSections,
  adapters: readonly KindDefaultsAdapter[],
): { defaults: KindSections; issues: Issue[] } {
  const defaults: KindSections = {};
  const issues: Issue[] = [];
  for (const adapter of adapters) {
    const result = adapter.defaults.safeParse(kinds[adapter.kind] ?? {});
    if (result.success) defaults[adapter.kind] = result.data;
    else
      issues.push(
        ...result.error.issues.flatMap(i => zodIssueToConfigIssues({ ...i, path: ['kinds', adapter.kind, ...i.path] })),
      );
  }
  const known = new Set(adapters.map(a => a.kind));
  for (const kind of Object.keys(kinds)) {
    if (!known.has(kind)) {
      issues.push({
        ...configIssue(`kinds.${kind}`, `no adapter for pool kind ${kind} is available`),
        severity: 'warning',
      });
    }
  }
  return { defaults, issues };
}

/** Formats zod's path and message as one issue per offending key. */
function zodIssueToConfigIssues(i: z.core.$ZodIssue): Issue[] {
  const path = formatPath(i.path);
  if (i.code === 'unrecognized_keys') {
    const kinds = i.path.length === 1 && i.path[0] === 'kinds';
    return i.keys.map(k =>
      kinds
        ? configIssue(formatPath([...i.path, k]), `unknown pool kind; expected one of ${POOL_KINDS.join(', ')}`)
        : configIssue(formatPath([...i.path, k]), 'unknown key', {
            hint: 'check the spelling against config/README.md',
          }),
    );
  }
  return [configIssue(path, i.message)];
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  // A key that would not read back as one (empty, a dot or space in it) is quoted: `kinds[""]`, not `kinds.`.
  const plain = (k: string) => /^[^\s.[\]"]+$/u.test(k);
  return path
    .map((p, n) =>
      typeof p === 'number'
        ? `[${p}]`
        : plain(String(p))
          ? `${n === 0 ? '' : '.'}${String(p)}`
          : `[${JSON.stringify(String(p))}]`,
    )
    .join('');
}

/**
 * Settings that are valid but weaken security, as warnings for `config check` (the client also logs a warning
 * when it is built with them).
 */
export function securityWarnings(config: Config): Issue[] {
  if (!config.netbox.insecureSkipVerify) return [];
  return [
    {
      severity: 'warning',
      subject: { type: 'config', path: 'netbox.insecureSkipVerify' },
      reason:
        'TLS verification of NetBox is off: anyone on the path to NetBox can read the API token and change what the daemon syncs',
      hint: "set netbox.caFile (NETBOX_CA_FILE) to the CA that signed NetBox's certificate and remove insecureSkipVerify",
    },
  ];
}

function configIssue(path: string, reason: string, extra: { hint?: string } = {}): Issue {
  return { severity: 'error', subject: { type: 'config', path }, reason, ...extra };
}

function fail(issues: Issue[]): ConfigResult {
  // Bounded: a config can hold a 1 MB key or value, and paths and zod messages quote them.
  return { ok: false, issues: issues.map(boundedIssue) };
}

function withEnvOverrides(raw: Record<string, unknown>, env: Env): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  for (const { env: name, path, type } of ENV_OVERRIDES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const parsed = type === 'boolean' ? envBoolean(value) : type === 'number' ? envNumber(value) : value;
    const [top, key] = path;
    if (key === undefined) {
      out[top] = parsed;
      continue;
    }
    const section = out[top];
    out[top] = { ...(isRecord(section) ? section : {}), [key]: parsed };
  }
  return out;
}

/** Unparseable values are passed on as text so the schema reports them against the key they override. */
function envBoolean(v: string): boolean | string {
  const lower = v.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(lower)) return true;
  if (['false', '0', 'no'].includes(lower)) return false;
  return v;
}

function envNumber(v: string): number | string {
  return /^\d+$/.test(v.trim()) ? Number(v.trim()) : v;
}

/**
 * Where the NetBox API token comes from: the env variable named by tokenEnv when it is set, else the token file
 * (a mounted Secret). The client's loadToken reads it, and names only the source in its errors, never the value.
 */
export function netboxTokenSource(nb: NetBoxConfig, env: Env = process.env): TokenSource {
  return env[nb.tokenEnv]?.trim() ? { env: nb.tokenEnv } : { file: nb.tokenFile };
}

/** The message without the source excerpt and position `prettyErrors` appends (the path already says where). */
function firstLine(s: string): string {
  return (s.split('\n', 1)[0] ?? s).replace(/ at line \d+, column \d+:?$/, '');
}
