// Display-filter lexer: turns the filter text into tokens that remember their column, so every
// error can point at the exact spot (tshark prints the filter and `^~~~` under the bad token).
//
// Like Wireshark's scanner, an unquoted word is the longest run of "literal" characters (letters,
// digits, `_ . : - /`), so `10.0.0.0/8`, `ff:ff:ff:ff:ff:ff`, `2001:db8::/32` and `ip.src` are each one
// token; what the word means (a field, a number, an address) is decided later, against the field
// on the other side of the operator. `..` inside a set (`{1..9}`) splits a word.

import { FilterError } from './errors.ts';

export type TokenKind =
  | 'word' // unquoted: field name, protocol, number, address, bytes, boolean, keyword operator
  | 'string' // "..." or r"..."; `value` holds the unescaped text
  | 'char' // 'a', '\n', '\x41': a character constant (an integer)
  | 'op' // == != === !== ~= < <= > >= ~ && || ! ^^
  | 'punct'; // ( ) { } [ ] , ..

export interface Token {
  kind: TokenKind;
  /** The token as written in the filter. */
  text: string;
  /** Unescaped value for strings and character constants; same as text otherwise. */
  value: string;
  /** 0-based column of the token's first character, and its length in the source. */
  pos: number;
  len: number;
}

const WORD_CHAR = /[A-Za-z0-9_.:\-/]/;

const OPERATORS = ['===', '!==', '==', '!=', '~=', '<=', '>=', '&&', '||', '<', '>', '!', '~'];

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  '"': '"',
  "'": "'",
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/** Splits a display filter into tokens. Throws FilterError at the column of a lexical error. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if ((c === 'r' || c === 'R') && src[i + 1] === '"') {
      const end = scanString(src, i + 1, true);
      out.push({ kind: 'string', text: src.slice(i, end.next), value: end.value, pos: i, len: end.next - i });
      i = end.next;
      continue;
    }
    if (c === '"') {
      const end = scanString(src, i, false);
      out.push({ kind: 'string', text: src.slice(i, end.next), value: end.value, pos: i, len: end.next - i });
      i = end.next;
      continue;
    }
    if (c === "'") {
      const end = scanChar(src, i);
      out.push({ kind: 'char', text: src.slice(i, end.next), value: end.value, pos: i, len: end.next - i });
      i = end.next;
      continue;
    }
    if (c === '.' && src[i + 1] === '.') {
      out.push({ kind: 'punct', text: '..', value: '..', pos: i, len: 2 });
      i += 2;
      continue;
    }
    if ('(){}[],'.includes(c)) {
      out.push({ kind: 'punct', text: c, value: c, pos: i, len: 1 });
      i++;
      continue;
    }
    if (WORD_CHAR.test(c)) {
      let j = i;
      while (j < src.length && WORD_CHAR.test(src[j]) && !(src[j] === '.' && src[j + 1] === '.')) j++;
      // `#` introduces a layer index on a field (ip.src#2): keep it in the word.
      if (src[j] === '#' && /[0-9]/.test(src[j + 1] ?? '')) {
        j++;
        while (j < src.length && /[0-9]/.test(src[j])) j++;
      }
      const text = src.slice(i, j);
      out.push({ kind: 'word', text, value: text, pos: i, len: j - i });
      i = j;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (op !== undefined) {
      out.push({ kind: 'op', text: op, value: op, pos: i, len: op.length });
      i += op.length;
      continue;
    }
    throw new FilterError(`"${c}" was unexpected in this context.`, i, 1);
  }
  return out;
}

interface Scanned {
  value: string;
  next: number;
}

/** Scans "..." starting at the opening quote; raw strings keep backslashes (except before `"`). */
function scanString(src: string, start: number, raw: boolean): Scanned {
  let i = start + 1;
  let value = '';
  while (i < src.length) {
    const c = src[i];
    if (c === '"') return { value, next: i + 1 };
    if (c === '\\') {
      if (i + 1 >= src.length) break;
      if (raw) {
        value += src[i + 1] === '"' ? '"' : '\\' + src[i + 1];
        i += 2;
        continue;
      }
      const esc = scanEscape(src, i);
      value += esc.value;
      i = esc.next;
      continue;
    }
    value += c;
    i++;
  }
  throw new FilterError('The final quote was missing from a quoted string.', src.length, 1);
}

/** One backslash escape at `at` (the backslash). */
function scanEscape(src: string, at: number): Scanned {
  const e = src[at + 1];
  if (e in SIMPLE_ESCAPES) return { value: SIMPLE_ESCAPES[e], next: at + 2 };
  if (e === 'x' && /^[0-9a-fA-F]/.test(src[at + 2] ?? '')) {
    const m = /^[0-9a-fA-F]{1,2}/.exec(src.slice(at + 2)) as RegExpExecArray;
    return { value: String.fromCharCode(parseInt(m[0], 16)), next: at + 2 + m[0].length };
  }
  if (/[0-7]/.test(e)) {
    const m = /^[0-7]{1,3}/.exec(src.slice(at + 1)) as RegExpExecArray;
    return { value: String.fromCharCode(parseInt(m[0], 8) & 0xff), next: at + 1 + m[0].length };
  }
  throw new FilterError(`\\${e} is not a valid character escape sequence`, at, 2);
}

/** Scans a character constant 'x' starting at the opening quote. */
function scanChar(src: string, start: number): Scanned {
  let i = start + 1;
  let value: string;
  if (src[i] === '\\') {
    const esc = scanEscape(src, i);
    value = esc.value;
    i = esc.next;
  } else {
    value = src[i] ?? '';
    i++;
  }
  if (src[i] !== "'") {
    const close = src.indexOf("'", i);
    if (close < 0) throw new FilterError('The final quote was missing from a character constant.', src.length, 1);
    const text = src.slice(start, close + 1);
    throw new FilterError(`${text} is too long to be a valid character constant.`, start, close + 1 - start);
  }
  return { value, next: i + 1 };
}
