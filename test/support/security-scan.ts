/**
 * The secret scan of test/reliability/security.test.ts: every secret of a session in every form it could leak in
 * (plain, URL-encoded, base64 and base64url at each byte alignment, and the parts of a token that are secret on
 * their own), and a transcript of everything the session printed or served, searched for them.
 */

export interface Secret {
  /** What it is, for the report: `NetBox v2 token`, `Redis password`, ... */
  name: string;
  value: string;
}

export interface Needle {
  secret: string;
  form: string;
  text: string;
}

export interface Hit {
  secret: string;
  form: string;
  /** Where it was seen: `daemon stdout`, `GET /metrics`, `plan (wrong v1 token) stderr`. */
  where: string;
  /** A little text around the hit, with the needle itself masked. */
  excerpt: string;
}

/** Shortest needle searched: shorter fragments would match by chance. */
const MIN_NEEDLE = 8;

/**
 * Base64 of `value` as it appears inside the base64 of a longer text, for each of the three byte alignments: the
 * characters that depend only on `value`'s bytes (the edges mix in neighbouring bytes and are cut off).
 */
export function base64Fragments(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const out: string[] = [];
  for (let lead = 0; lead < 3; lead++) {
    const encoded = Buffer.concat([Buffer.alloc(lead), bytes]).toString('base64');
    const start = lead === 0 ? 0 : lead + 1;
    const end = Math.floor((lead + bytes.length) / 3) * 4;
    if (end - start >= MIN_NEEDLE) out.push(encoded.slice(start, end));
  }
  return out;
}

/** Every form of every secret, deduplicated. */
export function needlesOf(secrets: Secret[]): Needle[] {
  const seen = new Set<string>();
  const out: Needle[] = [];
  const add = (secret: string, form: string, text: string): void => {
    if (text.length < MIN_NEEDLE || seen.has(text)) return;
    seen.add(text);
    out.push({ secret, form, text });
  };
  for (const s of secrets) {
    add(s.name, 'plain', s.value);
    add(s.name, 'url-encoded', encodeURIComponent(s.value));
    add(
      s.name,
      'url-encoded (lower-case hex)',
      encodeURIComponent(s.value).replace(/%[0-9A-F]{2}/g, m => m.toLowerCase()),
    );
    base64Fragments(s.value).forEach((b, i) => {
      add(s.name, `base64 (alignment ${i})`, b);
      add(s.name, `base64url (alignment ${i})`, b.replace(/\+/g, '-').replace(/\//g, '_'));
    });
    add(s.name, 'JSON-escaped', JSON.stringify(s.value).slice(1, -1));
  }
  return out;
}

/** The parts of a NetBox v2 token (`nbt_<key>.<secret>`) and of a JWT (`header.payload.signature`) worth a search. */
export function tokenParts(name: string, value: string): Secret[] {
  const v2 = /^nbt_([^.]+)\.(.+)$/.exec(value);
  if (v2) {
    return [
      { name, value },
      { name: `${name} (key part)`, value: v2[1] ?? '' },
      { name: `${name} (secret part)`, value: v2[2] ?? '' },
    ];
  }
  const jwt = /^[\w-]+\.([\w-]+)\.([\w-]+)$/.exec(value);
  if (jwt) {
    return [
      { name, value },
      { name: `${name} (claims)`, value: jwt[1] ?? '' },
      { name: `${name} (signature)`, value: jwt[2] ?? '' },
    ];
  }
  return [{ name, value }];
}

/** Everything a session printed and served, by where it came from. */
export class Transcript {
  readonly #items: { where: string; text: string; kind: 'lines' | 'body' }[] = [];

  /** A stream of log/console output; counted by lines. */
  output(where: string, text: string): void {
    this.#items.push({ where, text, kind: 'lines' });
  }

  /** One HTTP response body (or request/response exchange) seen by a client. */
  body(where: string, text: string): void {
    this.#items.push({ where, text, kind: 'body' });
  }

  get lines(): number {
    return this.#items
      .filter(i => i.kind === 'lines')
      .reduce((n, i) => n + i.text.split('\n').filter(l => l.trim() !== '').length, 0);
  }

  get bodies(): number {
    return this.#items.filter(i => i.kind === 'body').length;
  }

  get bytes(): number {
    return this.#items.reduce((n, i) => n + Buffer.byteLength(i.text), 0);
  }

  /** Whether `text` occurs anywhere (controls: the scan must be able to find what is there). */
  contains(text: string): boolean {
    return this.#items.some(i => i.text.includes(text));
  }

  scan(needles: Needle[]): Hit[] {
    const hits: Hit[] = [];
    for (const item of this.#items) {
      for (const n of needles) {
        let at = item.text.indexOf(n.text);
        while (at >= 0) {
          const excerpt = `${item.text.slice(Math.max(0, at - 60), at)}<${n.secret}>${item.text.slice(at + n.text.length, at + n.text.length + 60)}`;
          hits.push({ secret: n.secret, form: n.form, where: item.where, excerpt });
          at = item.text.indexOf(n.text, at + 1);
        }
      }
    }
    return hits;
  }
}
