import { configJsonSchema } from '../../src/config/docs.ts';

/**
 * The Helm chart's values.schema.json: the chart's own values, and under `config` the daemon's config schema (the
 * one zod schema behind config/schema.json), so `helm install` rejects a config the daemon would refuse.
 * `npm run docs:config` writes it; dev/helm/values-schema.test.ts fails when the file is out of date.
 */

type Schema = Record<string, unknown>;

export const VALUES_SCHEMA_PATH = new URL('../../deploy/helm/netbox-ippool-sync/values.schema.json', import.meta.url);

const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
const bool = (description: string): Schema => ({ type: 'boolean', description });
const obj = (description: string, properties: Schema, required: string[] = []): Schema => ({
  type: 'object',
  description,
  properties,
  ...(required.length > 0 ? { required } : {}),
  additionalProperties: false,
});
const freeMap = (description: string): Schema => ({ type: 'object', description });
const stringMap = (description: string): Schema => ({
  type: 'object',
  description,
  additionalProperties: { type: 'string' },
});
const list = (description: string): Schema => ({ type: 'array', description });
const secretRef = (description: string, required: boolean): Schema =>
  obj(
    description,
    {
      name: str('Name of an existing Secret in the release namespace.', required ? { minLength: 1 } : {}),
      key: str('Key in the Secret.', { minLength: 1 }),
    },
    required ? ['name', 'key'] : [],
  );

/** The daemon's config schema without the document-level keys, as a subschema. */
function daemonConfig(): Schema {
  const entries = Object.entries(configJsonSchema()).filter(([k]) => !['$schema', '$id', 'title'].includes(k));
  return {
    ...Object.fromEntries(entries),
    description:
      'The daemon config file (config/README.md). The chart sets netbox.tokenFile, server.webhookSecretFile and the ' +
      'HTTP address and port.',
  };
}

export function valuesSchema(): Schema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'netbox-ippool-sync Helm chart values',
    type: 'object',
    required: ['config', 'netbox'],
    additionalProperties: false,
    properties: {
      global: freeMap('Helm global values (unused).'),
      replicaCount: {
        type: 'integer',
        minimum: 0,
        description: 'Replicas; more than one needs Redis (redis.url or redis.existingSecret).',
      },
      image: obj('The container image.', {
        repository: str('Image repository (build it from the Dockerfile).', { minLength: 1 }),
        tag: str('Image tag; default: the chart appVersion.'),
        pullPolicy: { type: 'string', enum: ['Always', 'IfNotPresent', 'Never'], description: 'Pull policy.' },
      }),
      imagePullSecrets: list('Secrets for pulling the image: [{name}].'),
      nameOverride: str('Replaces the chart name in object names.'),
      fullnameOverride: str('Replaces the full object name.'),
      config: daemonConfig(),
      netbox: obj(
        'NetBox access.',
        { tokenSecret: secretRef('The Secret holding the NetBox API token (mounted as netbox.tokenFile).', true) },
        ['tokenSecret'],
      ),
      webhook: obj('NetBox webhooks.', {
        secret: secretRef('The Secret holding the webhook secret; no name: webhooks off.', false),
      }),
      redis: obj('The BullMQ queue (optional).', {
        url: str('Redis URL (REDIS_URL); use existingSecret when it carries a password.'),
        existingSecret: secretRef('A Secret holding the Redis URL; wins over url.', false),
      }),
      serviceAccount: obj('The ServiceAccount.', {
        create: bool('Create it.'),
        name: str('Its name; default: the full name.'),
        annotations: stringMap('Annotations (e.g. for workload identity).'),
      }),
      rbac: obj('The RBAC of deploy/rbac.', {
        create: bool('Create the ClusterRole, the MetalLB Role and their bindings.'),
        metallbNamespace: str("MetalLB's namespace; default: config.kinds.metallb.namespace, else metallb-system."),
      }),
      service: obj('The Service for metrics and webhooks.', {
        type: { type: 'string', enum: ['ClusterIP', 'NodePort', 'LoadBalancer'], description: 'Service type.' },
        port: { type: 'integer', minimum: 1, maximum: 65535, description: 'Service port.' },
        annotations: stringMap('Service annotations.'),
      }),
      podAnnotations: stringMap('Extra pod annotations.'),
      podLabels: stringMap('Extra pod labels.'),
      resources: freeMap('Container resources.'),
      podSecurityContext: freeMap('Pod securityContext.'),
      securityContext: freeMap('Container securityContext.'),
      livenessProbe: freeMap('Liveness probe (default: GET /healthz).'),
      readinessProbe: freeMap('Readiness probe (default: GET /readyz).'),
      terminationGracePeriodSeconds: {
        type: 'integer',
        minimum: 0,
        description: 'Longer than config.schedule.shutdownTimeout.',
      },
      extraEnv: list('Extra container environment variables.'),
      nodeSelector: stringMap('Node selector.'),
      tolerations: list('Tolerations.'),
      affinity: freeMap('Affinity.'),
      priorityClassName: str('Priority class.'),
      metrics: obj('Prometheus Operator objects.', {
        serviceMonitor: obj('A ServiceMonitor for /metrics.', {
          enabled: bool('Create it.'),
          interval: str('Scrape interval.'),
          scrapeTimeout: str('Scrape timeout.'),
          labels: stringMap('Labels your Prometheus selects ServiceMonitors by.'),
        }),
        prometheusRule: obj('The alert rules of deploy/alerts.', {
          enabled: bool('Create it.'),
          labels: stringMap('Labels your Prometheus selects rules by.'),
        }),
      }),
    },
  };
}

export function valuesSchemaText(): string {
  return `${JSON.stringify(valuesSchema(), null, 2)}\n`;
}
