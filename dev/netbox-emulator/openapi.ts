/**
 * Validates NetBox request and response bodies against a real NetBox OpenAPI document (drf-spectacular output,
 * OpenAPI 3.0) with ajv. The document is converted to JSON Schema in memory and patched where it is known to
 * differ from what NetBox actually sends or accepts; every patch below says which gap it covers
 * (../shared/reference/netbox/SOURCES.md lists them). Used by the contract tests; reusable by client tests.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { isPlainObject } from './types.ts';

type Json = Record<string, unknown>;

/** OpenAPI 3.0 → JSON Schema draft-07: `nullable`, boolean exclusive bounds, refs into `definitions`. */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!isPlainObject(node)) return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'nullable' || key === 'x-spec-enum-id' || key === 'example') continue;
    if (key === '$ref' && typeof value === 'string')
      out[key] = value.replace('#/components/schemas/', 'netbox#/definitions/');
    else if (key === 'properties' && isPlainObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSchema(v)]));
    } else out[key] = toJsonSchema(value);
  }
  for (const [flag, bound] of [
    ['exclusiveMaximum', 'maximum'],
    ['exclusiveMinimum', 'minimum'],
  ] as const) {
    if (out[flag] === true) {
      out[flag] = out[bound];
      delete out[bound];
    } else if (out[flag] === false) delete out[flag];
  }
  if (node['nullable'] !== true) return out;
  if (typeof out['type'] === 'string') {
    out['type'] = [out['type'], 'null'];
    if (Array.isArray(out['enum']) && !out['enum'].includes(null)) out['enum'] = [...(out['enum'] as unknown[]), null];
    return out;
  }
  return '$ref' in out || 'allOf' in out || 'oneOf' in out || 'anyOf' in out ? { anyOf: [out, { type: 'null' }] } : out;
}

const nullable = (schema: unknown) => ({ anyOf: [schema, { type: 'null' }] });

/** Patches to the converted definitions, each for a documented difference between the schema and NetBox. */
function patchDefinitions(defs: Record<string, Json>): void {
  const prop = (schema: string, field: string) => (defs[schema]?.['properties'] as Record<string, unknown>)[field];
  const setProp = (schema: string, field: string, value: unknown) => {
    (defs[schema]?.['properties'] as Record<string, unknown>)[field] = value;
  };
  // NetBox serialises an unset IP role and an unset choice-set base as null; the schema omits `nullable`.
  setProp('IPAddress', 'role', nullable(prop('IPAddress', 'role')));
  setProp('CustomFieldChoiceSet', 'base_choices', nullable(prop('CustomFieldChoiceSet', 'base_choices')));
  // An IP address without a DNS name reads (and is written) as ""; the pattern the document puts on dns_name
  // comes from the model's validator, which Django skips for blank values.
  for (const name of ['IPAddress', 'WritableIPAddressRequest', 'PatchedWritableIPAddressRequest', 'IPAddressRequest']) {
    setProp(name, 'dns_name', { anyOf: [prop(name, 'dns_name'), { const: '' }] });
  }
  // Related objects may be written as an id or as any attribute dict identifying one object (REST API docs,
  // "Related Objects"); the generated Brief*Request / NestedTagRequest schemas demand every naming field, and
  // tags may also be plain ids.
  for (const [name, schema] of Object.entries(defs)) {
    if (/^Brief\w+Request$/.test(name) || name === 'NestedTagRequest') delete schema['required'];
  }
  defs['NestedTagRequest'] = { anyOf: [{ type: 'integer' }, defs['NestedTagRequest']] };
  // Related-object counts of brief forms (`prefix_count`, …) are queryset annotations: a `?brief=true` list has
  // them, an object nested in another (the role of a prefix) does not (seen on NetBox 4.7.3); the document
  // requires them.
  for (const [name, schema] of Object.entries(defs)) {
    if (!/^Brief\w+$/.test(name) || !Array.isArray(schema['required'])) continue;
    schema['required'] = (schema['required'] as string[]).filter(f => !/^(prefix|vlan|asn)_count$/.test(f));
  }
  // 4.6 cursor pagination (`start=`) answers `count: null`; the list envelopes declare an integer.
  for (const name of Object.keys(defs)) {
    if (/^Paginated\w+List$/.test(name)) setProp(name, 'count', { type: ['integer', 'null'] });
  }
}

/** Error bodies: not declared in the 4.6 document (4.7 declares BulkOperationError for bulk calls). */
const ERROR_SCHEMAS: Record<string, unknown> = {
  detail: { type: 'object', required: ['detail'], properties: { detail: { type: 'string' } } },
  fields: {
    type: 'object',
    minProperties: 1,
    additionalProperties: { anyOf: [{ type: 'array' }, { type: 'object' }] },
  },
  bulk47: {
    type: 'object',
    required: ['detail', 'errors'],
    additionalProperties: false,
    properties: {
      // netbox/api/viewsets/mixins.py (4.7.3): one summary per stage of a bulk write.
      detail: {
        type: 'string',
        pattern:
          '^\\d+ of \\d+ objects (failed validation|are listed more than once|could not be (found|created|updated|deleted))\\.$',
      },
      errors: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['errors'],
          additionalProperties: false,
          properties: { index: { type: 'integer' }, id: { type: 'integer' }, errors: { type: 'object' } },
          oneOf: [{ required: ['index'] }, { required: ['id'] }],
        },
      },
    },
  },
  /** Pre-4.7 bulk create: one dict per submitted item, `{}` for the valid ones. */
  bulkList: { type: 'array', items: { type: 'object' } },
};

/** `/api/status/` is untyped in every schema; these are the keys NetBox is known to return. */
const STATUS_SCHEMA = {
  type: 'object',
  required: ['django-version', 'installed_apps', 'netbox-version', 'plugins', 'python-version', 'rq-workers-running'],
  properties: {
    'django-version': { type: 'string' },
    installed_apps: { type: 'object' },
    'netbox-version': { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+' },
    plugins: { type: 'object' },
    'python-version': { type: 'string' },
    'rq-workers-running': { type: 'integer' },
  },
};

export interface ResponseOptions {
  /** `brief=true` (fields of the model's brief form) or `fields=`: not declared in the 4.6 document. */
  onlyFields?: readonly string[];
}

export class NetBoxSchema {
  private readonly doc: Json;
  private readonly defs: Record<string, Json>;
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(doc: Json) {
    this.doc = doc;
    const components = (doc['components'] as Json)['schemas'] as Record<string, unknown>;
    this.defs = Object.fromEntries(Object.entries(components).map(([k, v]) => [k, toJsonSchema(v) as Json]));
    patchDefinitions(this.defs);
    this.ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
    const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: 'netbox', definitions: this.defs });
  }

  static load(file: string): NetBoxSchema {
    return new NetBoxSchema(JSON.parse(readFileSync(file, 'utf8')) as Json);
  }

  get version(): string {
    return String((this.doc['info'] as Json)['version']);
  }

  /** `/api/ipam/prefixes/12/?x=1` → `/api/ipam/prefixes/{id}/`. */
  templateOf(path: string): string {
    return path.split('?')[0]?.replace(/\/\d+\/$/, '/{id}/') ?? path;
  }

  private operation(method: string, template: string): Json {
    const op = (this.doc['paths'] as Record<string, Json | undefined>)[template]?.[method.toLowerCase()];
    if (!isPlainObject(op)) throw new Error(`the NetBox schema has no ${method} ${template}`);
    return op;
  }

  private bodySchema(holder: unknown): unknown {
    const content = isPlainObject(holder) ? (holder['content'] as Json | undefined) : undefined;
    const json = content?.['application/json'];
    return isPlainObject(json) ? toJsonSchema(json['schema']) : undefined;
  }

  private check(key: string, schema: unknown, body: unknown): string[] {
    let validate = this.cache.get(key);
    if (!validate) {
      validate = this.ajv.compile(schema as Json);
      this.cache.set(key, validate);
    }
    if (validate(body)) return [];
    return (validate.errors ?? []).map(
      e => `${e.instancePath || '(body)'} ${e.message ?? 'is invalid'} ${JSON.stringify(e.params)}`,
    );
  }

  /** Messages describing why `body` does not fit the documented response ([] when it does). */
  response(method: string, path: string, status: number, body: unknown, opts: ResponseOptions = {}): string[] {
    const template = this.templateOf(path);
    if (status === 204) return body === undefined ? [] : ['a 204 response must have no body'];
    if (status >= 400) return this.errorBody(status, body);
    if (template === '/api/status/') return this.check('status', STATUS_SCHEMA, body);
    const responses = this.operation(method, template)['responses'] as Json;
    let schema = this.bodySchema(responses[String(status)]);
    if (schema === undefined) return [`the NetBox schema declares no ${status} for ${method} ${template}`];
    // A list POST creates several objects and answers with a list; the document models only the single form.
    if (method === 'POST' && Array.isArray(body)) schema = { type: 'array', items: schema };
    let key = `${method} ${template} ${status} ${Array.isArray(body)}`;
    if (opts.onlyFields) {
      schema = this.restrict(schema, opts.onlyFields);
      key += ` ${opts.onlyFields.join(',')}`;
    }
    return this.check(key, schema, body);
  }

  /** brief/fields/omit are not in the 4.6 document: keep the model's own property schemas, require exactly these. */
  private restrict(schema: unknown, fields: readonly string[]): unknown {
    const resolve = (s: unknown): Json => {
      const ref = isPlainObject(s) ? s['$ref'] : undefined;
      return typeof ref === 'string' ? (this.defs[ref.split('/').pop() ?? ''] ?? {}) : (s as Json);
    };
    const narrow = (model: Json): Json => ({
      type: 'object',
      required: [...fields],
      additionalProperties: false,
      properties: Object.fromEntries(fields.map(f => [f, (model['properties'] as Json)[f] ?? {}])),
    });
    const top = resolve(schema);
    const results = (top['properties'] as Json | undefined)?.['results'];
    if (isPlainObject(results)) {
      return {
        ...top,
        properties: {
          ...(top['properties'] as Json),
          results: { type: 'array', items: narrow(resolve(results['items'])) },
        },
      };
    }
    return narrow(top);
  }

  private errorBody(status: number, body: unknown): string[] {
    if (status === 400 && isPlainObject(body) && 'errors' in body && 'detail' in body) {
      return this.check('bulk47', ERROR_SCHEMAS['bulk47'], body);
    }
    if (status === 400 && Array.isArray(body)) return this.check('bulkList', ERROR_SCHEMAS['bulkList'], body);
    if (status === 400 && !(isPlainObject(body) && Object.keys(body).length === 1 && 'detail' in body)) {
      return this.check('fields', ERROR_SCHEMAS['fields'], body);
    }
    return this.check('detail', ERROR_SCHEMAS['detail'], body);
  }

  /** Messages describing why a request body does not fit what NetBox accepts ([] when it does). */
  request(method: string, path: string, body: unknown): string[] {
    const template = this.templateOf(path);
    const isList = !template.endsWith('{id}/');
    if (isList && method === 'DELETE') {
      // Bulk delete takes [{"id": n}, ...]; the document references the full model request (e.g. requiring prefix).
      return this.check(
        'bulk-delete',
        { type: 'array', items: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } } },
        body,
      );
    }
    if (isList && (method === 'PUT' || method === 'PATCH')) {
      // Bulk updates are the detail request shape plus a required `id` (fixed upstream in 4.6.3 / 4.7).
      const detail = this.operation(method, `${template}{id}/`)['requestBody'];
      const item = {
        allOf: [this.bodySchema(detail), { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } }],
      };
      return this.check(`bulk ${method} ${template}`, { type: 'array', items: item }, body);
    }
    const schema = this.bodySchema(this.operation(method, template)['requestBody']);
    if (schema === undefined) return [`the NetBox schema declares no request body for ${method} ${template}`];
    return this.check(`request ${method} ${template}`, schema, body);
  }
}
