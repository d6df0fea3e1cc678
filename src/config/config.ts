import { isRecord } from '../model/values.ts';
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { defaultRoleKinds, POOL_KINDS } from '../kinds/registry.ts';
import type { PoolKind } from '../model/intent.ts';
import type { Issue } from '../model/issue.ts';
import type { TokenSource } from '../model/netbox.ts';
import type { PoolKindAdapter } from '../kinds/adapter.ts';

/**
 * The daemon's configuration: one YAML file, validated in full before anything runs. Problems come back as
 * config issues with a dotted path (`kinds.calico.blockSize: expected 20-32`), never as a raw zod error.
 * Every key and its default is documented in config/README.md.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SLUG = /^[-a-zA-Z0-9_]+$/;
const CUSTOM_FIELD_NAME = /^[a-z0-9_]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

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
const int = (min: number, max: number) =>
  z
    .int({ error: `expected an integer ${min}-${max}` })
    .min(min, { error: `expected ${min}-${max}` })
    .max(max, {
      error: `expected ${min}-${max}`,
    });
const poolKind = z.enum(POOL_KINDS, { error: `expected a pool kind: one of ${POOL_KINDS.join(', ')}` });

/** IP roles NetBox uses for first-hop redundancy addresses: the ones that are a subnet's default gateway. */
export const DEFAULT_GATEWAY_ROLES = ['vrrp', 'hsrp', 'glbp', 'carp'] as const;
const IP_ROLES = ['loopback', 'secondary', 'anycast', 'vip', 'vrrp', 'hsrp', 'glbp', 'carp'] as const;

const netboxSchema = z.strictObject(
  {
    url: z.url({ protocol: /^https?$/, ...expect('expected an http(s) URL, e.g. https://netbox.example.com') }),
    tokenEnv: z.string().regex(ENV_NAME, { error: 'expected an environment variable name' }).default('NETBOX_TOKEN'),
    tokenFile: z.string().min(1).default('/var/run/secrets/netbox/token'),
    caFile: z.string().min(1).optional(),
    insecureSkipVerify: z.boolean({ error: 'expected true or false' }).default(false),
    timeoutMs: int(100, 600_000).default(30_000),
    pageSize: int(1, 1000).default(1000),
    batchSize: int(1, 1000).default(100),
    concurrency: int(1, 64).default(4),
    /** Values per repeated filter parameter (`parent=a&parent=b…`) when reading what NetBox holds in the pools. */
    filterBatchSize: int(1, 200).default(50),
  },
  expect('expected a mapping of NetBox connection settings'),
);

const customFieldsSchema = z.strictObject({
  poolKind: cfName.default('k8s_pool_kind'),
  poolName: cfName.default('k8s_pool_name'),
  namespace: cfName.default('k8s_namespace'),
  blockSize: cfName.default('k8s_block_size'),
  nodeSelector: cfName.default('k8s_node_selector'),
  gateway: cfName.default('k8s_gateway'),
  namespaces: cfName.default('k8s_namespaces'),
  options: cfName.default('k8s_options'),
});

const selectionSchema = z.strictObject({
  clusterTag: slug.optional(),
  managedTag: slug.default('k8s-ippool-sync'),
  gatewayTag: slug.default('gateway'),
  gatewayRoles: z
    .array(z.enum(IP_ROLES, { error: `expected an IP role: one of ${IP_ROLES.join(', ')}` }))
    .default([...DEFAULT_GATEWAY_ROLES]),
  roles: z
    .record(slug, poolKind)
    .refine(r => Object.keys(r).length > 0, { error: 'expected at least one role → pool kind mapping' })
    .default(() => defaultRoleKinds()),
  customFields: customFieldsSchema.prefault({}),
});

const schema = z.strictObject({
  cluster: label('a cluster name'),
  netbox: netboxSchema,
  selection: selectionSchema.prefault({}),
  kinds: z
    .partialRecord(poolKind, z.record(z.string(), z.unknown(), { error: 'expected a mapping of kind defaults' }))
    .default({}),
  policy: z
    .enum(['sync', 'upsert-only', 'create-only'], { error: 'expected sync, upsert-only or create-only' })
    .default('sync'),
  deleteBudget: z
    .strictObject({ maxCount: int(0, 1_000_000).default(10), maxPercent: int(0, 100).default(25) })
    .prefault({}),
  writeback: z
    .strictObject({
      status: z
        .enum(['active', 'reserved', 'deprecated', 'dhcp', 'slaac'], {
          error: 'expected a NetBox IP address status: active, reserved, deprecated, dhcp or slaac',
        })
        .default('reserved'),
      perNodeBlocks: z
        .enum(['prefix', 'ip-range', 'none'], { error: 'expected prefix, ip-range or none' })
        .default('prefix'),
    })
    .prefault({}),
  drift: z
    .strictObject({
      /** Percent of a pool's addresses in use at which the drift report flags it (the seed guide's "alert at 80%"). */
      utilisationThreshold: int(1, 100).default(80),
    })
    .prefault({}),
});

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
 * Environment variables that override the NetBox connection settings (containers get them from Secrets and
 * ConfigMaps). The token itself is never in the file: it is read from `netbox.tokenEnv`, else `netbox.tokenFile`.
 */
export const NETBOX_ENV = {
  NETBOX_URL: 'url',
  NETBOX_TOKEN_FILE: 'tokenFile',
  NETBOX_CA_FILE: 'caFile',
  NETBOX_INSECURE_SKIP_VERIFY: 'insecureSkipVerify',
  NETBOX_TIMEOUT_MS: 'timeoutMs',
} as const;

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
  return parseConfig(doc.toJS(), env, adapters);
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
  return path.map((p, n) => (typeof p === 'number' ? `[${p}]` : `${n === 0 ? '' : '.'}${String(p)}`)).join('');
}

function configIssue(path: string, reason: string, extra: { hint?: string } = {}): Issue {
  return { severity: 'error', subject: { type: 'config', path }, reason, ...extra };
}

function fail(issues: Issue[]): ConfigResult {
  return { ok: false, issues };
}

function withEnvOverrides(raw: Record<string, unknown>, env: Env): Record<string, unknown> {
  const netbox: Record<string, unknown> = isRecord(raw['netbox']) ? { ...raw['netbox'] } : {};
  let touched = false;
  for (const [name, key] of Object.entries(NETBOX_ENV)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    touched = true;
    netbox[key] = key === 'insecureSkipVerify' ? envBoolean(value) : key === 'timeoutMs' ? envNumber(value) : value;
  }
  return touched || raw['netbox'] !== undefined ? { ...raw, netbox } : { ...raw };
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
