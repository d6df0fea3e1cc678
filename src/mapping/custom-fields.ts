import { isRecord } from '../model/values.ts';
import { tryParseAddress, tryParseInterface } from '../ip/index.ts';
import type { IpAddress } from '../ip/index.ts';
import type { CustomFieldNames } from '../config/config.ts';
import type { NbCustomFields } from '../model/netbox.ts';
import { isPoolKind, POOL_KINDS } from '../kinds/registry.ts';
import type { NodeSelector, PoolKind } from '../model/intent.ts';
import { isDns1123Label, slugify } from './naming.ts';
import { parseNodeSelector, selectorFromLabels } from './selector.ts';

/**
 * Reading the pool parameters a NetBox object carries in its custom fields. Tolerant of how NetBox spells
 * values: select fields read as `{value,label}` on 4.7+ and as raw values before; integers may arrive as text
 * from a text field; JSON may arrive parsed (json field) or as text. A wrong value is a problem naming the field
 * and what it should hold, never an exception.
 */

export type Field<T> = { ok: true; value: T | undefined } | { ok: false; reason: string; hint?: string };

export interface PoolParams {
  kind?: PoolKind;
  poolName?: string;
  namespace?: string;
  blockSize?: number;
  nodeSelector?: NodeSelector;
  gateway?: IpAddress;
  namespaces?: string[];
  options?: Record<string, unknown>;
}

export interface FieldProblem {
  /** `custom_fields.<name>`, the path a NetBox user recognises. */
  field: string;
  reason: string;
  hint?: string;
}

/** Reads every pool parameter; problems are collected per field, readable fields are still returned. */
export function readPoolParams(
  cf: NbCustomFields,
  names: CustomFieldNames,
): { params: PoolParams; problems: FieldProblem[] } {
  const params: PoolParams = {};
  const problems: FieldProblem[] = [];
  const take = <K extends keyof PoolParams>(key: K, name: string, read: (v: unknown) => Field<PoolParams[K]>) => {
    const result = read(unwrapChoice(cf[name]));
    if (!result.ok) {
      const problem: FieldProblem = { field: `custom_fields.${name}`, reason: result.reason };
      if (result.hint !== undefined) problem.hint = result.hint;
      problems.push(problem);
    } else if (result.value !== undefined) {
      params[key] = result.value;
    }
  };
  take('kind', names.poolKind, readPoolKind);
  take('poolName', names.poolName, readPoolName);
  take('namespace', names.namespace, readNamespace);
  take('blockSize', names.blockSize, readBlockSize);
  take('nodeSelector', names.nodeSelector, readNodeSelector);
  take('gateway', names.gateway, readGateway);
  take('namespaces', names.namespaces, readNamespaces);
  take('options', names.options, readOptions);
  return { params, problems };
}

/** `{value,label}` (4.7 select) → value; lists of them (multiselect) → list of values; anything else as is. */
export function unwrapChoice(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapChoice);
  if (isRecord(v) && 'value' in v && 'label' in v && Object.keys(v).length === 2) return v['value'];
  return v;
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

export function readText(v: unknown): Field<string> {
  if (isEmpty(v)) return ok(undefined);
  if (typeof v === 'string') return ok(v.trim());
  return bad(`expected text, got ${describe(v)}`);
}

export function readPoolKind(v: unknown): Field<PoolKind> {
  const text = readText(v);
  if (!text.ok || text.value === undefined) return text.ok ? ok(undefined) : text;
  const kind = text.value.toLowerCase();
  if (isPoolKind(kind)) return ok(kind);
  return bad(`unknown pool kind "${text.value}"; expected one of ${POOL_KINDS.join(', ')}`);
}

export function readPoolName(v: unknown): Field<string> {
  return readLabel(v, 'pool name');
}

export function readNamespace(v: unknown): Field<string> {
  return readLabel(v, 'namespace');
}

function readLabel(v: unknown, what: string): Field<string> {
  const text = readText(v);
  if (!text.ok || text.value === undefined) return text;
  if (isDns1123Label(text.value)) return text;
  const suggestion = slugify(text.value);
  return bad(
    `${what} "${text.value}" is not a DNS-1123 label (at most 63 lowercase letters, digits and "-", starting and ending alphanumeric)`,
    suggestion ? `use "${suggestion}"` : undefined,
  );
}

export function readBlockSize(v: unknown): Field<number> {
  if (isEmpty(v)) return ok(undefined);
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > 128) return bad(`expected a prefix length 1-128, got ${describe(v)}`);
  return ok(n);
}

export function readNodeSelector(v: unknown): Field<NodeSelector> {
  if (isEmpty(v)) return ok(undefined);
  const result = typeof v === 'string' ? parseNodeSelector(v) : isRecord(v) ? selectorFromLabels(v) : undefined;
  if (result === undefined) return bad(`expected a label selector as text, got ${describe(v)}`);
  if (!result.ok) {
    return bad(
      `invalid node selector: ${result.reason}`,
      'use Kubernetes syntax such as "team=backend,gpu in (a100,h100),!spot" or a Calico expression such as "all()"',
    );
  }
  return ok(result.value);
}

/** An address, with or without the mask NetBox users tend to copy along (`10.20.0.1/24`). */
export function readGateway(v: unknown): Field<IpAddress> {
  const text = readText(v);
  if (!text.ok || text.value === undefined) return text.ok ? ok(undefined) : text;
  if (text.value.includes('/')) {
    const parsed = tryParseInterface(text.value);
    return parsed.ok ? ok(parsed.value.address) : bad(`invalid gateway address "${text.value}": ${parsed.reason}`);
  }
  const parsed = tryParseAddress(text.value);
  return parsed.ok ? ok(parsed.value) : bad(`invalid gateway address "${text.value}": ${parsed.reason}`);
}

/** A list (json or multiselect field), a JSON array in text, or comma/space-separated text. Sorted, unique. */
export function readNamespaces(v: unknown): Field<string[]> {
  if (isEmpty(v)) return ok(undefined);
  let items: unknown[];
  if (Array.isArray(v)) items = v.map(unwrapChoice);
  else if (typeof v === 'string' && v.trim().startsWith('[')) {
    const parsed = parseJson(v);
    if (!parsed.ok || !Array.isArray(parsed.value)) return bad('expected a JSON array of namespace names');
    items = parsed.value;
  } else if (typeof v === 'string') items = v.split(/[\s,]+/).filter(s => s !== '');
  else return bad(`expected a list of namespace names, got ${describe(v)}`);
  const names: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string' || !isDns1123Label(item.trim())) {
      return bad(
        `namespace ${JSON.stringify(item)} is not a DNS-1123 label`,
        'list namespaces as ["team-a","team-b"] or "team-a, team-b"',
      );
    }
    names.push(item.trim());
  }
  return ok([...new Set(names)].sort());
}

/** A JSON object (json field, or text holding one); the kind adapter validates its keys. */
export function readOptions(v: unknown): Field<Record<string, unknown>> {
  if (isEmpty(v)) return ok(undefined);
  const value = typeof v === 'string' ? parseJson(v) : { ok: true as const, value: v };
  if (!value.ok) return bad(`expected a JSON object: ${value.reason}`);
  if (!isRecord(value.value))
    return bad(`expected a JSON object such as {"natOutgoing": true}, got ${describe(value.value)}`);
  return ok(value.value);
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${v}`;
  return typeof v;
}

function ok<T>(value: T | undefined): Field<T> {
  return { ok: true, value };
}

function bad<T>(reason: string, hint?: string): Field<T> {
  return hint === undefined ? { ok: false, reason } : { ok: false, reason, hint };
}
