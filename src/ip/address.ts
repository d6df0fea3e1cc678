import { addressOf, fail, ok, orThrow } from './types.ts';
import type { IpAddress, ParseResult } from './types.ts';

const V4_MAPPED_HIGH_BITS = 0xffffn;

/**
 * Strict parse: exactly what NetBox and the pool CRDs should contain. inet_aton shorthands ('10.1'), octal-looking
 * octets ('010'), zone ids and surrounding whitespace are rejected because other tools read them differently.
 */
export function tryParseAddress(s: string): ParseResult<IpAddress> {
  const reason =
    textProblem(s) ?? (s.includes('/') ? 'unexpected "/": expected an address without prefix length' : undefined);
  if (reason !== undefined) return fail(reason);
  if (s.includes(':')) return parseV6(s);
  if (s.includes('.')) {
    const v4 = parseV4(s);
    return v4.ok ? ok(addressOf(4, v4.value)) : v4;
  }
  return fail('not an IPv4 or IPv6 address (contains neither "." nor ":")');
}

export function parseAddress(s: string): IpAddress {
  return orThrow(s, tryParseAddress(s));
}

/** Problems shared by every text form (address, CIDR, range part). */
export function textProblem(s: string): string | undefined {
  if (s === '') return 'empty string';
  if (s.trim() !== s) return 'leading or trailing whitespace';
  if (/\s/.test(s)) return 'contains whitespace';
  if (s.includes('%')) return 'zone identifier ("%...") not allowed';
  return undefined;
}

function parseV4(s: string): ParseResult<bigint> {
  const parts = s.split('.');
  if (parts.length !== 4) return fail(`expected 4 decimal octets, got ${parts.length}`);
  let value = 0n;
  for (const [index, part] of parts.entries()) {
    const n = index + 1;
    if (part === '') return fail(`empty octet ${n}`);
    if (!/^[0-9]+$/.test(part)) return fail(`octet ${n} "${part}" is not a decimal number`);
    if (part.length > 1 && part.startsWith('0')) return fail(`leading zero in octet ${n}`);
    if (Number(part) > 255) return fail(`octet ${n} value ${part} out of range 0-255`);
    value = (value << 8n) | BigInt(part);
  }
  return ok(value);
}

function parseV6(s: string): ParseResult<IpAddress> {
  const bad = /[^0-9a-fA-F:.]/.exec(s);
  if (bad) return fail(`invalid character "${bad[0]}"`);
  if (s.includes(':::')) return fail('":::" is not valid');
  const firstGap = s.indexOf('::');
  if (firstGap !== -1 && s.includes('::', firstGap + 1)) return fail('more than one "::"');

  let text = s;
  let embedsV4 = false;
  if (s.includes('.')) {
    const lastColon = s.lastIndexOf(':');
    const head = s.slice(0, lastColon + 1);
    const v4Text = s.slice(lastColon + 1);
    if (head.includes('.')) return fail('an embedded IPv4 address may only form the last 32 bits');
    const v4 = parseV4(v4Text);
    if (!v4.ok) return fail(`embedded IPv4 "${v4Text}": ${v4.reason}`);
    // Rewrite the dotted tail as two hex groups so group counting below covers both forms.
    text = `${head}${(v4.value >> 16n).toString(16)}:${(v4.value & 0xffffn).toString(16)}`;
    embedsV4 = true;
  }

  const halves = text.split('::');
  const countNote = embedsV4 ? ' (an embedded IPv4 address counts as 2)' : '';
  let groups: number[];
  if (halves.length === 1) {
    const all = parseGroups(text);
    if (!all.ok) return all;
    if (all.value.length !== 8) return fail(`expected 8 groups, got ${all.value.length}${countNote}`);
    groups = all.value;
  } else {
    const [before = '', after = ''] = halves;
    const head = before === '' ? ok<number[]>([]) : parseGroups(before);
    if (!head.ok) return head;
    const tail = after === '' ? ok<number[]>([]) : parseGroups(after);
    if (!tail.ok) return tail;
    const present = head.value.length + tail.value.length;
    if (present > 7)
      return fail(`"::" must stand for at least one zero group, but ${present} groups are present${countNote}`);
    groups = [...head.value, ...new Array<number>(8 - present).fill(0), ...tail.value];
  }
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return ok(addressOf(6, value));
}

function parseGroups(text: string): ParseResult<number[]> {
  const parts = text.split(':');
  const groups: number[] = [];
  for (const [index, part] of parts.entries()) {
    if (part === '') {
      return fail(
        index === 0
          ? 'starts with a single ":"'
          : index === parts.length - 1
            ? 'ends with a single ":"'
            : 'empty group',
      );
    }
    if (part.length > 4) return fail(`group "${part}" has more than 4 hex digits`);
    if (part.includes('.')) return fail('an embedded IPv4 address may only form the last 32 bits');
    groups.push(Number.parseInt(part, 16));
  }
  return ok(groups);
}

/** Canonical text: dotted decimal for IPv4, RFC 5952 for IPv6 (IPv4-mapped addresses in mixed notation, §5). */
export function formatAddress(a: IpAddress): string {
  const { family, value } = addressOf(a.family, a.value);
  if (family === 4) return formatV4(value);
  if (value >> 32n === V4_MAPPED_HIGH_BITS) return `::ffff:${formatV4(value & 0xffffffffn)}`;

  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    // Strictly longer only: on a tie the first run wins (RFC 5952 §4.2.3).
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map(g => g.toString(16));
  // A single zero group is never shortened to "::" (RFC 5952 §4.2.2).
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function formatV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map(shift => String((value >> shift) & 0xffn)).join('.');
}
