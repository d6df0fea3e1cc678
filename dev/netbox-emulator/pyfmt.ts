/**
 * Python-flavoured text that NetBox puts on the wire: `repr()` of lookup dicts in error messages, `json.dumps()`
 * webhook bodies (", " and ": " separators, ASCII escapes), `urlencode()` query strings in pagination links, and
 * the timestamp formats of DRF and Django. Matching them byte for byte catches clients that re-serialise instead of
 * verifying raw bytes.
 */

/** Python `repr()` of a JSON value: `{'slug': 'x', 'id': 5, 'ok': True, 'none': None}`. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloat(v);
  if (typeof v === 'string') return pyStr(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') {
    const parts = Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyStr(k)}: ${pyRepr(x)}`);
    return `{${parts.join(', ')}}`;
  }
  return typeof v === 'bigint' ? v.toString() : typeof v;
}

/** Python `str()` of a JSON value, as f-strings and `.format()` render it. */
export function pyText(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

function pyFloat(v: number): string {
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

function pyStr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch < ' ') out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${quote}${out}${quote}`;
}

/** Python `json.dumps(value)` with default arguments. */
export function pyJsonDumps(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'string') return asciiJsonString(v);
  if (Array.isArray(v)) return `[${v.map(pyJsonDumps).join(', ')}]`;
  if (typeof v === 'object') {
    const parts = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${asciiJsonString(k)}: ${pyJsonDumps(x)}`);
    return `{${parts.join(', ')}}`;
  }
  return 'null';
}

function asciiJsonString(s: string): string {
  // JSON.stringify escapes quotes, backslashes and control characters like Python; ensure_ascii does the rest.
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const QUOTE_PLUS_SAFE = /[A-Za-z0-9_.\-~]/;

/** Python `urllib.parse.quote_plus`. */
export function quotePlus(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (ch === ' ') out += '+';
    else if (byte < 128 && QUOTE_PLUS_SAFE.test(ch)) out += ch;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** DRF `replace_query_param`/`remove_query_param`: keys sorted, repeated values kept in order. */
export function rebuildQuery(params: URLSearchParams, set: Record<string, string>, remove: string[] = []): string {
  const map = new Map<string, string[]>();
  for (const [k, v] of params) {
    const list = map.get(k);
    if (list) list.push(v);
    else map.set(k, [v]);
  }
  for (const [k, v] of Object.entries(set)) map.set(k, [v]);
  for (const k of remove) map.delete(k);
  const keys = [...map.keys()].sort();
  return keys.flatMap(k => (map.get(k) ?? []).map(v => `${quotePlus(k)}=${quotePlus(v)}`)).join('&');
}

let lastMicros = 0n;

/** Microseconds since the epoch, strictly increasing so `last_updated` orders writes even within one millisecond. */
export function nowMicros(): bigint {
  const wall = BigInt(Date.now()) * 1000n + ((process.hrtime.bigint() / 1000n) % 1000n);
  lastMicros = wall > lastMicros ? wall : lastMicros + 1n;
  return lastMicros;
}

function isoParts(micros: bigint): { base: string; frac: string } {
  const ms = Number(micros / 1000n);
  const base = new Date(ms).toISOString().slice(0, 19);
  const frac = (micros % 1_000_000n).toString().padStart(6, '0');
  return { base, frac };
}

/** DRF DateTimeField output: `2026-08-17T10:00:00.123456Z`. */
export function drfDateTime(micros: bigint): string {
  const { base, frac } = isoParts(micros);
  return `${base}.${frac}Z`;
}

/** Python `datetime.isoformat()` of an aware UTC time: `2026-08-17T10:00:00.123456+00:00`. */
export function pyIsoformat(micros: bigint): string {
  const { base, frac } = isoParts(micros);
  return `${base}.${frac}+00:00`;
}

/** DjangoJSONEncoder (change-log snapshots): millisecond precision, `Z`. */
export function djangoJsonDateTime(drfValue: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{3})\d*)?Z$/.exec(drfValue);
  if (!m) return drfValue;
  return m[2] === undefined || m[2] === '000' ? `${m[1]}Z` : `${m[1]}.${m[2]}Z`;
}

/** Parses DRF/ISO date-times (with or without zone) to microseconds; undefined when unparseable. */
export function parseDateTimeMicros(text: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\d)(?:[T ](\d\d:\d\d(?::\d\d)?)(?:\.(\d{1,6}))?)?(Z|[+-]\d\d:?\d\d)?$/.exec(text.trim());
  if (!m) return undefined;
  const zone = m[4] === undefined || m[4] === 'Z' ? 'Z' : m[4];
  const ms = Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = BigInt((m[3] ?? '').padEnd(6, '0'));
  return BigInt(ms) * 1000n + frac;
}
