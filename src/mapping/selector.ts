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
  const tokens = tokenize(raw);
  let at = 0;
  const peek = (): Token => tokens[at] ?? { type: 'end', pos: raw.length + 1 };
  const next = (): Token => tokens[at++] ?? { type: 'end', pos: raw.length + 1 };
  const wrong = (t: Token, expected: string) =>
    fail(`at character ${t.pos}: expected ${expected}, found ${describe(t)}`);

  const requirements: LabelRequirement[] = [];
  for (;;) {
    let t = next();
    let negated = false;
    if (t.type === 'op' && t.text === '!') {
      negated = true;
      t = next();
    }
    if (t.type !== 'word') return wrong(t, 'a label key');
    const keyProblem = checkKey(t.text);
    if (keyProblem) return fail(`at character ${t.pos}: ${keyProblem}`);
    const key = t.text;
    const op = peek();
    if (negated || op.type === 'end' || (op.type === 'op' && op.text === ',')) {
      requirements.push({ key, operator: negated ? 'DoesNotExist' : 'Exists', values: [] });
    } else if (op.type === 'op' && (op.text === '=' || op.text === '==' || op.text === '!=')) {
      next();
      const v = peek();
      let value = '';
      if (v.type === 'word') {
        value = v.text;
        next();
      } else if (!(v.type === 'end' || (v.type === 'op' && v.text === ','))) return wrong(v, 'a label value');
      const valueProblem = checkValue(value);
      if (valueProblem) return fail(`at character ${v.pos}: ${valueProblem}`);
      requirements.push({ key, operator: op.text === '!=' ? 'NotIn' : 'In', values: [value] });
    } else if (op.type === 'word' && (op.text === 'in' || op.text === 'notin')) {
      next();
      const open = next();
      if (open.type !== 'op' || open.text !== '(') return wrong(open, `"(" after "${op.text}"`);
      const values: string[] = [];
      for (;;) {
        const v = next();
        if (v.type !== 'word') return wrong(v, 'a label value');
        const valueProblem = checkValue(v.text);
        if (valueProblem) return fail(`at character ${v.pos}: ${valueProblem}`);
        values.push(v.text);
        const sep = next();
        if (sep.type === 'op' && sep.text === ')') break;
        if (sep.type !== 'op' || sep.text !== ',') return wrong(sep, '"," or ")"');
      }
      requirements.push({ key, operator: op.text === 'in' ? 'In' : 'NotIn', values: [...new Set(values)].sort() });
    } else if (op.type === 'op' && (op.text === '<' || op.text === '>')) {
      return fail(`at character ${op.pos}: "${op.text}" is not supported in pool node selectors; use in (...) instead`);
    } else {
      return wrong(op, '"=", "==", "!=", "in", "notin", "," or end of input');
    }
    const sep = next();
    if (sep.type === 'end') break;
    if (sep.type !== 'op' || sep.text !== ',') return wrong(sep, '"," or end of input');
  }
  return { ok: true, value: { syntax: 'labels', raw, requirements } };
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

function fail(reason: string): SelectorResult {
  return { ok: false, reason };
}
