import type { LabelRequirement, NodeSelector } from '../model/intent.ts';
import { checkKey, checkValue } from '../kinds/kit/labels.ts';

/**
 * `k8s_node_selector`: Kubernetes label-selector syntax (`team=backend,gpu in (a100,h100),!spot`) parsed into
 * requirements, or a Calico selector expression (`all()`, `has(x) && y == 'z'`) kept verbatim for Calico.
 * Errors name the character position so a network engineer can find the typo in the NetBox field.
 */

export type SelectorResult = { ok: true; value: NodeSelector } | { ok: false; reason: string };

/** Text that only Calico's selector language has: quotes, braces, boolean operators, functions. */
const CALICO_MARKERS = /'|"|\{|&&|\|\||\b(all|has|global)\s*\(|\b(starts with|ends with|contains)\b/;

export function parseNodeSelector(text: string): SelectorResult {
  const raw = text.trim();
  if (CALICO_MARKERS.test(raw)) return parseCalico(raw);
  return parseLabelSelector(raw);
}

/** A JSON custom field may hold `{"team": "backend"}`: matchLabels, every pair an `In` of one value. */
export function selectorFromLabels(labels: Record<string, unknown>): SelectorResult {
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (typeof value !== 'string') return fail(`label ${key} must map to a string value, got ${typeof value}`);
    const keyProblem = checkKey(key);
    if (keyProblem) return fail(keyProblem);
    const valueProblem = checkValue(value);
    if (valueProblem) return fail(`label ${key}: ${valueProblem}`);
    requirements.push({ key, operator: 'In', values: [value] });
  }
  const raw = requirements.map(r => `${r.key}=${r.values[0] ?? ''}`).join(',');
  return { ok: true, value: { syntax: 'labels', raw, requirements } };
}

/** Canonical text of a selector, for comparing what two NetBox objects of one pool ask for. */
export function selectorKey(s: NodeSelector): string {
  if (s.syntax === 'calico-expression') return `calico:${s.raw}`;
  const parts = s.requirements.map(r => `${r.key} ${r.operator} ${[...new Set(r.values)].sort().join('|')}`);
  return `labels:${[...new Set(parts)].sort().join(',')}`;
}

type Token =
  | { type: 'word'; text: string; pos: number }
  | { type: 'op'; text: '!' | '=' | '==' | '!=' | '(' | ')' | ',' | '<' | '>'; pos: number }
  | { type: 'end'; pos: number };

function tokenize(s: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s.charAt(i);
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (two === '==' || two === '!=') {
      tokens.push({ type: 'op', text: two, pos: i + 1 });
      i += 2;
    } else if (c === '!' || c === '=' || c === '(' || c === ')' || c === ',' || c === '<' || c === '>') {
      tokens.push({ type: 'op', text: c, pos: i + 1 });
      i++;
    } else {
      const start = i;
      while (i < s.length && !/[\s!=(),<>]/.test(s.charAt(i))) i++;
      tokens.push({ type: 'word', text: s.slice(start, i), pos: start + 1 });
    }
  }
  tokens.push({ type: 'end', pos: s.length + 1 });
  return tokens;
}

function describe(t: Token): string {
  return t.type === 'end' ? 'end of input' : `"${t.text}"`;
}

function parseLabelSelector(raw: string): SelectorResult {
  const tokens = cursor(tokenize(raw), raw.length + 1);
  const requirements: LabelRequirement[] = [];
  for (;;) {
    const requirement = parseRequirement(tokens);
    if (!requirement.ok) return requirement;
    requirements.push(requirement.value);
    const sep = tokens.next();
    if (sep.type === 'end') break;
    if (!isOp(sep, ',')) return wrong(sep, '"," or end of input');
  }
  return { ok: true, value: { syntax: 'labels', raw, requirements } };
}

type Parsed<T> = { ok: true; value: T } | Failure;
type Failure = { ok: false; reason: string };

interface Cursor {
  peek(): Token;
  next(): Token;
}

/** Reading past the last token keeps answering "end of input". */
function cursor(tokens: Token[], endPos: number): Cursor {
  let at = 0;
  const end: Token = { type: 'end', pos: endPos };
  return { peek: () => tokens[at] ?? end, next: () => tokens[at++] ?? end };
}

function isOp(t: Token, ...texts: string[]): boolean {
  return t.type === 'op' && texts.includes(t.text);
}

function isWord(t: Token, ...texts: string[]): boolean {
  return t.type === 'word' && texts.includes(t.text);
}

/** Where a requirement may end: before "," or at the end of the selector. */
function atSeparator(t: Token): boolean {
  return t.type === 'end' || isOp(t, ',');
}

function wrong(t: Token, expected: string): Failure {
  return fail(`at character ${t.pos}: expected ${expected}, found ${describe(t)}`);
}

/** `key`, `!key`, `key=v`, `key==v`, `key!=v`, `key in (a,b)`, `key notin (a,b)`. */
function parseRequirement(tokens: Cursor): Parsed<LabelRequirement> {
  const subject = parseKey(tokens);
  if (!subject.ok) return subject;
  const { key, negated } = subject.value;
  const op = tokens.peek();
  if (negated || atSeparator(op)) {
    return { ok: true, value: { key, operator: negated ? 'DoesNotExist' : 'Exists', values: [] } };
  }
  if (isOp(op, '=', '==', '!=')) {
    tokens.next();
    return parseEquality(tokens, key, isOp(op, '!=') ? 'NotIn' : 'In');
  }
  if (isWord(op, 'in', 'notin')) {
    tokens.next();
    return parseSet(tokens, key, isWord(op, 'in') ? 'in' : 'notin');
  }
  if (isOp(op, '<', '>')) {
    return fail(
      `at character ${op.pos}: ${describe(op)} is not supported in pool node selectors; use in (...) instead`,
    );
  }
  return wrong(op, '"=", "==", "!=", "in", "notin", "," or end of input');
}

/** A label key, with the `!` that makes it "does not exist". */
function parseKey(tokens: Cursor): Parsed<{ key: string; negated: boolean }> {
  let t = tokens.next();
  const negated = isOp(t, '!');
  if (negated) t = tokens.next();
  if (t.type !== 'word') return wrong(t, 'a label key');
  const keyProblem = checkKey(t.text);
  if (keyProblem) return fail(`at character ${t.pos}: ${keyProblem}`);
  return { ok: true, value: { key: t.text, negated } };
}

/** The value after `=`, `==` or `!=`; an empty value (`key=`) is a valid label value. */
function parseEquality(tokens: Cursor, key: string, operator: 'In' | 'NotIn'): Parsed<LabelRequirement> {
  const v = tokens.peek();
  let value = '';
  if (v.type === 'word') {
    value = v.text;
    tokens.next();
  } else if (!atSeparator(v)) return wrong(v, 'a label value');
  const valueProblem = checkValue(value);
  if (valueProblem) return fail(`at character ${v.pos}: ${valueProblem}`);
  return { ok: true, value: { key, operator, values: [value] } };
}

/** `(a,b,…)` after `in` / `notin`: at least one value; the values are kept sorted and unique. */
function parseSet(tokens: Cursor, key: string, op: 'in' | 'notin'): Parsed<LabelRequirement> {
  const open = tokens.next();
  if (!isOp(open, '(')) return wrong(open, `"(" after "${op}"`);
  const values: string[] = [];
  for (;;) {
    const v = tokens.next();
    if (v.type !== 'word') return wrong(v, 'a label value');
    const valueProblem = checkValue(v.text);
    if (valueProblem) return fail(`at character ${v.pos}: ${valueProblem}`);
    values.push(v.text);
    const sep = tokens.next();
    if (isOp(sep, ')')) break;
    if (!isOp(sep, ',')) return wrong(sep, '"," or ")"');
  }
  return { ok: true, value: { key, operator: op === 'in' ? 'In' : 'NotIn', values: [...new Set(values)].sort() } };
}

/** Calico checks the grammar itself; here only what would certainly be rejected: unbalanced quotes or brackets. */
function parseCalico(raw: string): SelectorResult {
  const closers: { char: string; pos: number }[] = [];
  const pairs: Record<string, string> = { '(': ')', '{': '}' };
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charAt(i);
    if (c === "'" || c === '"') {
      const end = raw.indexOf(c, i + 1);
      if (end === -1) return fail(`at character ${i + 1}: unterminated ${c === "'" ? 'single' : 'double'} quote`);
      i = end;
    } else if (pairs[c] !== undefined) {
      closers.push({ char: pairs[c], pos: i + 1 });
    } else if (c === ')' || c === '}') {
      const open = closers.pop();
      if (open?.char !== c) return fail(`at character ${i + 1}: unexpected "${c}"`);
    }
  }
  const unclosed = closers.pop();
  if (unclosed) return fail(`at character ${unclosed.pos}: bracket never closed (expected "${unclosed.char}")`);
  return { ok: true, value: { syntax: 'calico-expression', raw } };
}

function fail(reason: string): Failure {
  return { ok: false, reason };
}
