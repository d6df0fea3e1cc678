/**
 * Field-level difference of two plain JSON values, for plan output and drift reports. Objects compare key by key
 * (sorted, so the result does not depend on key order), arrays index by index. A key whose value is `undefined`
 * counts as absent, as it would after a JSON round trip.
 */

import { isRecord, sortKeysDeep } from '../model/values.ts';
import type { FieldDiff } from '../model/plan.ts';

export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `['spec', 'blocks', 0, 'cidr']` → `spec.blocks[0].cidr`; keys that are not identifiers are quoted. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (IDENTIFIER.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

function definedKeys(o: Record<string, unknown>): string[] {
  return Object.keys(o)
    .filter(k => o[k] !== undefined)
    .sort();
}

/** Structural equality with JSON semantics (key order and undefined-valued keys do not matter). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const ka = definedKeys(a);
    const kb = definedKeys(b);
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Leaves that differ between `from` and `to`, in a stable order (sorted keys, ascending indexes). */
export function diffValues(from: unknown, to: unknown, base: readonly PathSegment[] = []): FieldDiff[] {
  const out: FieldDiff[] = [];
  collect(from, to, [...base], out);
  return out;
}

function leaf(path: PathSegment[], from: unknown, to: unknown): FieldDiff {
  const d: FieldDiff = { path: formatPath(path) };
  if (from !== undefined) d.from = from;
  if (to !== undefined) d.to = to;
  return d;
}

function collect(from: unknown, to: unknown, path: PathSegment[], out: FieldDiff[]): void {
  if (deepEqual(from, to)) return;
  if (Array.isArray(from) && Array.isArray(to)) {
    const n = Math.max(from.length, to.length);
    for (let i = 0; i < n; i++) collect(from[i], to[i], [...path, i], out);
    return;
  }
  if (isRecord(from) && isRecord(to)) {
    const keys = [...new Set([...definedKeys(from), ...definedKeys(to)])].sort();
    for (const k of keys) collect(from[k], to[k], [...path, k], out);
    return;
  }
  out.push(leaf(path, from, to));
}

/** The value at `path`, or undefined when any step is missing. */
export function getPath(value: unknown, path: readonly PathSegment[]): unknown {
  let cur = value;
  for (const s of path) {
    if (typeof s === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[s];
    } else {
      if (!isRecord(cur)) return undefined;
      cur = cur[s];
    }
  }
  return cur;
}

/** A diff value as plan text shows it: JSON, with `(none)` for an absent field and BigInt as its digits. */
export function formatValue(v: unknown): string {
  if (v === undefined) return '(none)';
  return JSON.stringify(sortKeysDeep(v), (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}
