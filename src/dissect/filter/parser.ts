// Display-filter parser: tokens -> syntax tree. Only the syntax is checked here; whether a word is a
// field and whether a literal fits its field is the compiler's job (compile.ts).
//
//   expr    := and ( ('or' | '||') and )*            'and' binds tighter than 'or', as in Wireshark 4.0
//   and     := unary ( ('and' | '&&') unary )*
//   unary   := ('not' | '!') unary | '(' expr ')' | test
//   test    := operand [ relop operand | ['not'] 'in' set ]
//   operand := ( word | string | char | word '(' operand ')' ) [ '[' ranges ']' ]
//   set     := '{' element (',' element)* '}'        element := operand [ '..' operand ]
//
// Hostile filters are refused with a FilterError, never a JavaScript stack overflow: nesting
// (parentheses, `not`/`!`, function calls, slices of calls) deeper than MAX_FILTER_DEPTH, and filters
// of more than MAX_FILTER_TOKENS tokens. An `and`/`or` chain is kept as a list (not a tree as deep
// as the chain is long), so its length costs no stack in the compiler or when matching.

import { FilterError } from './errors.ts';
import { type Token, tokenize } from './lexer.ts';

export type Comparison = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'contains' | 'matches';

/** Which occurrences must satisfy a comparison: any one of them, or all of them. */
export type Quantifier = 'any' | 'all';

export interface RelOp {
  cmp: Comparison;
  quant: Quantifier;
}

/** Wireshark 4.0 operators. `!=` means "all occurrences differ" (`!==`/`~=` is "any differs"). */
const RELOPS: Readonly<Record<string, RelOp>> = {
  '==': { cmp: 'eq', quant: 'any' },
  eq: { cmp: 'eq', quant: 'any' },
  any_eq: { cmp: 'eq', quant: 'any' },
  '===': { cmp: 'eq', quant: 'all' },
  all_eq: { cmp: 'eq', quant: 'all' },
  '!=': { cmp: 'ne', quant: 'all' },
  ne: { cmp: 'ne', quant: 'all' },
  all_ne: { cmp: 'ne', quant: 'all' },
  '!==': { cmp: 'ne', quant: 'any' },
  '~=': { cmp: 'ne', quant: 'any' },
  any_ne: { cmp: 'ne', quant: 'any' },
  '<': { cmp: 'lt', quant: 'any' },
  lt: { cmp: 'lt', quant: 'any' },
  '<=': { cmp: 'le', quant: 'any' },
  le: { cmp: 'le', quant: 'any' },
  '>': { cmp: 'gt', quant: 'any' },
  gt: { cmp: 'gt', quant: 'any' },
  '>=': { cmp: 'ge', quant: 'any' },
  ge: { cmp: 'ge', quant: 'any' },
  contains: { cmp: 'contains', quant: 'any' },
  matches: { cmp: 'matches', quant: 'any' },
  '~': { cmp: 'matches', quant: 'any' },
};

/** A byte range of a slice `[start:length]`, `[start-end]`, `[i]`, `[start:]`, `[:length]`. */
export interface SliceRange {
  start: number;
  /** Number of bytes, or undefined for "to the end". */
  length?: number;
}

export type Operand =
  | { type: 'word'; tok: Token; slice?: SliceRange[] }
  | { type: 'string'; tok: Token; slice?: SliceRange[] }
  | { type: 'char'; tok: Token; slice?: SliceRange[] }
  | { type: 'call'; tok: Token; fn: string; arg: Operand; slice?: SliceRange[] };

export interface SetElement {
  low: Operand;
  /** Upper bound of a range `low..high`. */
  high?: Operand;
}

/** Levels of nesting a filter may use: parentheses, `not`/`!` and function calls, together. */
export const MAX_FILTER_DEPTH = 100;
/** Tokens a filter may hold (a chain of a few thousand comparisons fits; `in {...}` is shorter). */
export const MAX_FILTER_TOKENS = 20_000;

export type Expr =
  | { type: 'or' | 'and'; terms: Expr[] }
  | { type: 'not'; expr: Expr }
  | { type: 'exists'; operand: Operand }
  | { type: 'compare'; op: RelOp; opTok: Token; left: Operand; right: Operand }
  | { type: 'in'; negated: boolean; left: Operand; set: SetElement[] }
  | { type: 'true' };

const KEYWORDS = new Set(['and', 'or', 'not', 'in', ...Object.keys(RELOPS).filter((k) => /^[a-z_]+$/.test(k))]);

/** Parses a filter into its syntax tree. An empty filter matches every frame. */
export function parseFilter(src: string): Expr {
  const toks = tokenize(src);
  if (toks.length > MAX_FILTER_TOKENS) {
    const t = toks[MAX_FILTER_TOKENS];
    throw new FilterError(`The filter is too long: more than ${MAX_FILTER_TOKENS} tokens (use "in {...}" for long lists of values).`, t.pos, t.len);
  }
  const p = new Parser(toks);
  if (p.atEnd()) return { type: 'true' };
  const e = p.expr();
  if (!p.atEnd()) p.unexpected();
  return e;
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly toks: readonly Token[]) {}

  /** Enters one level of nesting at token `t`; refuses to go deeper than MAX_FILTER_DEPTH. */
  private enter(t: Token): void {
    if (++this.depth > MAX_FILTER_DEPTH) {
      throw new FilterError(`The filter nests too deeply: more than ${MAX_FILTER_DEPTH} levels of parentheses, "not" and function calls.`, t.pos, t.len);
    }
  }

  atEnd(): boolean {
    return this.i >= this.toks.length;
  }

  private peek(offset = 0): Token | undefined {
    return this.toks[this.i + offset];
  }

  private next(): Token {
    const t = this.toks[this.i];
    if (t === undefined) throw new FilterError('Unexpected end of filter expression.');
    this.i++;
    return t;
  }

  unexpected(t: Token | undefined = this.peek()): never {
    if (t === undefined) throw new FilterError('Unexpected end of filter expression.');
    throw new FilterError(`"${t.text}" was unexpected in this context.`, t.pos, t.len);
  }

  private isWord(t: Token | undefined, ...words: string[]): boolean {
    return t !== undefined && t.kind === 'word' && words.includes(t.text);
  }

  private isPunct(t: Token | undefined, p: string): boolean {
    return t !== undefined && t.kind === 'punct' && t.text === p;
  }

  private expect(p: string): Token {
    const t = this.next();
    if (t.kind !== 'punct' || t.text !== p) this.unexpected(t);
    return t;
  }

  expr(): Expr {
    const terms = [this.and()];
    for (;;) {
      const t = this.peek();
      if (!(this.isWord(t, 'or') || (t?.kind === 'op' && t.text === '||'))) return terms.length === 1 ? terms[0] : { type: 'or', terms };
      this.i++;
      terms.push(this.and());
    }
  }

  private and(): Expr {
    const terms = [this.unary()];
    for (;;) {
      const t = this.peek();
      if (!(this.isWord(t, 'and') || (t?.kind === 'op' && t.text === '&&'))) return terms.length === 1 ? terms[0] : { type: 'and', terms };
      this.i++;
      terms.push(this.unary());
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (this.isWord(t, 'not') || (t?.kind === 'op' && t.text === '!')) {
      // A run of negations is counted as nesting too, but read without recursion.
      let n = 0;
      const start = this.depth;
      for (let u = this.peek(); u !== undefined && (this.isWord(u, 'not') || (u.kind === 'op' && u.text === '!')); u = this.peek()) {
        this.enter(u);
        this.i++;
        n++;
      }
      let e = this.unary();
      this.depth = start;
      for (let k = 0; k < n; k++) e = { type: 'not', expr: e };
      return e;
    }
    if (this.isPunct(t, '(')) {
      this.enter(t as Token);
      this.i++;
      const e = this.expr();
      this.expect(')');
      this.depth--;
      return e;
    }
    return this.test();
  }

  private test(): Expr {
    const left = this.operand();
    const t = this.peek();
    if (t === undefined) return { type: 'exists', operand: left };
    const rel = relop(t);
    if (rel !== undefined) {
      this.i++;
      return { type: 'compare', op: rel, opTok: t, left, right: this.operand() };
    }
    if (this.isWord(t, 'in')) {
      this.i++;
      return { type: 'in', negated: false, left, set: this.set() };
    }
    if (this.isWord(t, 'not') && this.isWord(this.peek(1), 'in')) {
      this.i += 2;
      return { type: 'in', negated: true, left, set: this.set() };
    }
    return { type: 'exists', operand: left };
  }

  private set(): SetElement[] {
    this.expect('{');
    const out: SetElement[] = [];
    for (;;) {
      const low = this.operand();
      let high: Operand | undefined;
      if (this.isPunct(this.peek(), '..')) {
        this.i++;
        high = this.operand();
      }
      out.push(high === undefined ? { low } : { low, high });
      const t = this.next();
      if (this.isPunct(t, '}')) return out;
      if (!this.isPunct(t, ',')) this.unexpected(t);
    }
  }

  private operand(): Operand {
    const t = this.next();
    let op: Operand;
    if (t.kind === 'string') op = { type: 'string', tok: t };
    else if (t.kind === 'char') op = { type: 'char', tok: t };
    else if (t.kind === 'word' && !KEYWORDS.has(t.text)) {
      if (this.isPunct(this.peek(), '(')) {
        this.enter(t);
        this.i++;
        const arg = this.operand();
        this.expect(')');
        this.depth--;
        op = { type: 'call', tok: t, fn: t.text, arg };
      } else {
        op = { type: 'word', tok: t };
      }
    } else {
      this.unexpected(t);
    }
    if (this.isPunct(this.peek(), '[')) {
      this.i++;
      op.slice = this.sliceRanges();
    }
    return op;
  }

  private sliceRanges(): SliceRange[] {
    const out: SliceRange[] = [];
    for (;;) {
      const t = this.next();
      if (t.kind !== 'word') this.unexpected(t);
      out.push(parseRange(t));
      const n = this.next();
      if (this.isPunct(n, ']')) return out;
      if (!this.isPunct(n, ',')) this.unexpected(n);
    }
  }
}

function relop(t: Token): RelOp | undefined {
  if (t.kind !== 'op' && t.kind !== 'word') return undefined;
  return Object.hasOwn(RELOPS, t.text) ? RELOPS[t.text] : undefined;
}

/** `i:j` (start:length), `i-j` (start-end inclusive), `i`, `i:`, `:j`; i may be negative (from the end). */
function parseRange(t: Token): SliceRange {
  const s = t.text;
  const bad = (): never => {
    throw new FilterError(`"${s}" is not a valid range.`, t.pos, t.len);
  };
  const int = (x: string): number => (/^-?[0-9]+$/.test(x) ? parseInt(x, 10) : bad());
  let m: RegExpExecArray | null = /^(-?[0-9]*):([0-9]*)$/.exec(s);
  if (m) {
    const start = m[1] === '' ? 0 : int(m[1]);
    return m[2] === '' ? { start } : { start, length: int(m[2]) };
  }
  m = /^(-?[0-9]+)-(-?[0-9]+)$/.exec(s);
  if (m) {
    const start = int(m[1]);
    const end = int(m[2]);
    return { start, length: end - start + 1 };
  }
  return { start: int(s), length: 1 };
}
