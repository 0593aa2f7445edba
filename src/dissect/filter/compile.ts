// Display-filter compiler: checks a syntax tree against the known fields and their types, reads
// each literal as the type of the field it is compared with, and returns a predicate over one
// dissected frame. Every error names the column of the token at fault.

import type { Dissection } from '../dissection.ts';
import type { Field } from '../field.ts';
import { fieldType } from '../known-fields.ts';
import { concatBytes } from '../../wire/layer.ts';
import { FilterError } from './errors.ts';
import { parseByteString, parseFloatLiteral, parseInteger, parseIpv4, parseIpv6, splitPrefix } from './literals.ts';
import type { Comparison, Expr, Operand, Quantifier, SliceRange } from './parser.ts';
import { fieldOccurrences, fieldPresent, protocolOccurrences, protocolPresent, someOccurrence } from './occurrences.ts';
import { type FieldType, intBits, type TypeClass, typeClass, typeDescription } from './types.ts';
import { compare, compareNumberToInt, fieldVal, type Val, valBytes } from './values.ts';
import { guardRegex, type GuardedRegex } from './regex-guard.ts';

export type Predicate = (d: Dissection) => boolean;
type ValuesFn = (d: Dissection) => Val[];

/** A compiled operand: how to fetch its values, and its static type. */
interface Source {
  values: ValuesFn;
  type: FieldType;
  cls: TypeClass;
  /** Text for messages (the field name, or `len(x)`). */
  name: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** What each comparison accepts on its left side. */
function allows(cls: TypeClass, cmp: Comparison): boolean {
  if (cls === 'none') return false;
  if (cmp === 'contains') return cls === 'bytes' || cls === 'ether' || cls === 'string' || cls === 'protocol';
  if (cmp === 'matches') return cls === 'bytes' || cls === 'string' || cls === 'protocol';
  return true;
}

function compatible(a: TypeClass, b: TypeClass): boolean {
  if (a === b) return true;
  const bytesLike = new Set<TypeClass>(['bytes', 'ether', 'protocol']);
  const numberLike = new Set<TypeClass>(['int', 'bool', 'float', 'reltime']);
  return (bytesLike.has(a) && bytesLike.has(b)) || (numberLike.has(a) && numberLike.has(b));
}

export interface Compiled {
  predicate: Predicate;
  /** Field and protocol names the filter refers to. */
  fields: string[];
  /** The `matches` patterns, whose matching is bounded (regex-guard.ts). */
  regexes: GuardedRegex[];
}

/** The patterns of the filter being compiled (compile() is synchronous, so one list suffices). */
let compiling: GuardedRegex[] | undefined;

export function compile(expr: Expr): Compiled {
  const fields = new Set<string>();
  const regexes: GuardedRegex[] = [];
  compiling = regexes;
  try {
    const predicate = compileExpr(expr, fields);
    return { predicate, fields: [...fields], regexes };
  } finally {
    compiling = undefined;
  }
}

function compileExpr(e: Expr, refs: Set<string>): Predicate {
  switch (e.type) {
    case 'true':
      return () => true;
    case 'and': {
      const terms = e.terms.map((t) => compileExpr(t, refs));
      if (terms.length === 2) {
        const [a, b] = terms;
        return (d) => a(d) && b(d);
      }
      return (d) => {
        for (let i = 0; i < terms.length; i++) if (!terms[i](d)) return false;
        return true;
      };
    }
    case 'or': {
      const terms = e.terms.map((t) => compileExpr(t, refs));
      if (terms.length === 2) {
        const [a, b] = terms;
        return (d) => a(d) || b(d);
      }
      return (d) => {
        for (let i = 0; i < terms.length; i++) if (terms[i](d)) return true;
        return false;
      };
    }
    case 'not': {
      // A run of negations compiles without recursion (the parser bounds it anyway).
      let inner: Expr = e.expr;
      let odd = true;
      while (inner.type === 'not') {
        inner = inner.expr;
        odd = !odd;
      }
      const x = compileExpr(inner, refs);
      return odd ? (d) => !x(d) : x;
    }
    case 'exists': {
      const s = source(e.operand, refs, 'exists');
      // A plain name (`dns`, `tcp.analysis.flags`): present when a node or a field has it, found
      // without making the values.
      const op = e.operand;
      if (op.type === 'word' && op.slice === undefined) {
        const { name, layer } = splitLayer(op.tok.text);
        if (layer === undefined) return s.type === 'FT_PROTOCOL' ? (d) => protocolPresent(d, name) : (d) => fieldPresent(d, name);
      }
      return (d) => s.values(d).length > 0;
    }
    case 'compare': {
      const left = source(e.left, refs, 'left', e.opTok.text);
      const { cmp, quant } = e.op;
      if (!allows(left.cls, cmp)) {
        const t = e.left.tok;
        throw new FilterError(`${left.name} (type=${typeDescription(left.type)}) cannot participate in ${e.opTok.text} comparison.`, t.pos, t.len);
      }
      const rightField = asField(e.right);
      if (rightField !== undefined) {
        const right = source(e.right, refs, 'right');
        if (!compatible(left.cls, right.cls)) {
          throw new FilterError(`${left.name} and ${right.name} are not of compatible types.`, e.right.tok.pos, e.right.tok.len);
        }
        return (d) => quantified(quant, cmp, left.values(d), right.values(d));
      }
      const lit = literal(e.right, left, cmp);
      const plain = plainField(e.left);
      if (plain !== undefined && quant === 'any') {
        // A field against a literal: the first occurrence that compares true decides, read straight
        // from the tree (no list of values per frame).
        const int = lit.t === 'int' ? lit.v : undefined;
        const test =
          int === undefined
            ? (f: Field): boolean => compare(cmp, fieldVal(f), lit)
            : (f: Field): boolean => {
                const v = f.value;
                if ((f.kind === 'uint' || f.kind === 'int') && typeof v === 'number' && Number.isInteger(v)) return compareNumberToInt(cmp, v, int);
                return compare(cmp, fieldVal(f), lit);
              };
        return (d) => someOccurrence(d, plain, test);
      }
      const right = [lit];
      return (d) => quantified(quant, cmp, left.values(d), right);
    }
    case 'in': {
      const left = source(e.left, refs, 'left', 'in');
      if (left.cls === 'none') {
        const t = e.left.tok;
        throw new FilterError(`${left.name} (type=${typeDescription(left.type)}) cannot participate in in comparison.`, t.pos, t.len);
      }
      const items = e.set.map((el) => ({
        low: literal(el.low, left, 'eq'),
        high: el.high === undefined ? undefined : literal(el.high, left, 'eq'),
      }));
      const member = (v: Val): boolean =>
        items.some((it) => (it.high === undefined ? compare('eq', v, it.low) : compare('ge', v, it.low) && compare('le', v, it.high)));
      const test: Predicate = (d) => left.values(d).some(member);
      return e.negated ? (d) => !test(d) : test;
    }
  }
}

/** any: some left value satisfies the comparison with some right value; all: every pair does. */
function quantified(quant: Quantifier, cmp: Comparison, left: Val[], right: Val[]): boolean {
  if (left.length === 0 || right.length === 0) return false;
  if (quant === 'any') return left.some((l) => right.some((r) => compare(cmp, l, r)));
  return left.every((l) => right.every((r) => compare(cmp, l, r)));
}

/** The name of an operand that is a field (not a protocol) with no layer operator and no slice. */
function plainField(op: Operand): string | undefined {
  if (op.type !== 'word' || op.slice !== undefined) return undefined;
  const { name, layer } = splitLayer(op.tok.text);
  if (layer !== undefined) return undefined;
  const type = fieldType(name);
  return type === undefined || type === 'FT_PROTOCOL' ? undefined : name;
}

/** The field name an operand refers to, when it is a known field/protocol (or a function of one). */
function asField(op: Operand): string | undefined {
  if (op.type === 'call') return op.fn;
  if (op.type !== 'word') return undefined;
  const { name } = splitLayer(op.tok.text);
  return fieldType(name) !== undefined ? name : undefined;
}

function splitLayer(text: string): { name: string; layer?: number } {
  const m = /^(.*)#([0-9]+)$/.exec(text);
  return m ? { name: m[1], layer: Number(m[2]) } : { name: text };
}

/** Compiles an operand that must be a field, a protocol, or a function of one. */
function source(op: Operand, refs: Set<string>, side: 'exists' | 'left' | 'right', opText = ''): Source {
  let src: Source;
  if (op.type === 'call') {
    src = callSource(op, refs);
  } else if (op.type === 'word') {
    const { name, layer } = splitLayer(op.tok.text);
    const type = fieldType(name);
    if (type === undefined) {
      if (side === 'left' && !IDENT.test(op.tok.text)) {
        throw new FilterError(`Left side of "${opText}" expression must be a field or function, not ${op.tok.text}.`, op.tok.pos, op.tok.len);
      }
      throw new FilterError(`${op.tok.text} is neither a field nor a protocol name.`, op.tok.pos, op.tok.len);
    }
    refs.add(name);
    const values: ValuesFn = type === 'FT_PROTOCOL' ? (d) => protocolOccurrences(d, name, layer) : (d) => fieldOccurrences(d, name, layer);
    src = { values, type, cls: typeClass(type), name };
  } else if (side === 'left') {
    throw new FilterError(`Left side of "${opText}" expression must be a field or function, not ${op.tok.text}.`, op.tok.pos, op.tok.len);
  } else {
    throw new FilterError(`${op.tok.text} is neither a field nor a protocol name.`, op.tok.pos, op.tok.len);
  }
  if (op.slice !== undefined) src = sliced(src, op.slice, op);
  return src;
}

function callSource(op: Extract<Operand, { type: 'call' }>, refs: Set<string>): Source {
  const arg = source(op.arg, refs, 'exists');
  const name = `${op.fn}(${arg.name})`;
  switch (op.fn) {
    case 'len':
      return {
        name,
        type: 'FT_UINT32',
        cls: 'int',
        values: (d) =>
          arg.values(d).flatMap((v): Val[] => {
            const b = valBytes(v);
            return b === undefined ? [] : [{ t: 'int', v: BigInt(b.length) }];
          }),
      };
    case 'count':
      return { name, type: 'FT_UINT32', cls: 'int', values: (d) => [{ t: 'int', v: BigInt(arg.values(d).length) }] };
    case 'upper':
    case 'lower': {
      if (arg.cls !== 'string') {
        throw new FilterError(`Only string type fields can be used as parameter for ${op.fn}()`, op.arg.tok.pos, op.arg.tok.len);
      }
      const up = op.fn === 'upper';
      return {
        name,
        type: 'FT_STRING',
        cls: 'string',
        values: (d) => arg.values(d).map((v): Val => (v.t === 'str' ? { t: 'str', v: up ? v.v.toUpperCase() : v.v.toLowerCase() } : v)),
      };
    }
    default:
      throw new FilterError(`Function '${op.fn}' does not exist`, op.tok.pos, op.tok.len);
  }
}

function sliced(src: Source, ranges: readonly SliceRange[], op: Operand): Source {
  if (!['bytes', 'ether', 'protocol', 'string', 'ipv4', 'ipv6'].includes(src.cls)) {
    throw new FilterError(`"${src.name}" is a ${typeDescription(src.type)} and cannot be sliced into a sequence of bytes.`, op.tok.pos, op.tok.len);
  }
  const cut = (b: Uint8Array): Uint8Array | undefined => {
    const parts: Uint8Array[] = [];
    for (const r of ranges) {
      const start = r.start < 0 ? b.length + r.start : r.start;
      const end = r.length === undefined ? b.length : start + r.length;
      if (start < 0 || end > b.length || end < start) return undefined;
      parts.push(b.subarray(start, end));
    }
    if (parts.length === 1) return parts[0];
    return concatBytes(parts);
  };
  return {
    name: src.name,
    type: 'FT_BYTES',
    cls: 'bytes',
    values: (d) =>
      src.values(d).flatMap((v): Val[] => {
        const b = valBytes(v);
        const c = b === undefined ? undefined : cut(b);
        return c === undefined ? [] : [{ t: 'bytes', v: c }];
      }),
  };
}

/** Reads a literal (word, "string" or 'c') as a value of the left side's type. */
function literal(op: Operand, left: Source, cmp: Comparison): Val {
  const tok = op.tok;
  const fail = (msg: string): never => {
    throw new FilterError(msg, tok.pos, tok.len);
  };
  if (op.type === 'call') return fail(`${tok.text} is not a literal value.`);
  if (op.slice !== undefined) return fail(`"${tok.text}" is not a field and cannot be sliced.`);
  if (cmp === 'matches') {
    const pattern = tok.value;
    const g = guardRegex(regex(pattern, fail));
    compiling?.push(g);
    return { t: 're', v: g };
  }
  const desc = typeDescription(left.type);
  const cls = left.cls;
  if (op.type === 'string') {
    const s = tok.value;
    if (cls === 'string') return { t: 'str', v: s };
    if (cls === 'bytes' || cls === 'protocol') return { t: 'bytes', v: new TextEncoder().encode(s) };
    if (cls === 'time') {
      const t = parseAbsoluteTime(s);
      return t === undefined
        ? fail(`"${s}" is not a valid absolute time. Example: "Nov 12, 1999 08:55:44.123" or "2011-07-04 12:34:56"`)
        : { t: 'float', v: t };
    }
    return fail(`${desc} cannot be converted from a string (${JSON.stringify(s)}).`);
  }
  if (op.type === 'char') {
    const code = tok.value.charCodeAt(0);
    if (cls === 'int' || cls === 'bool') return cls === 'bool' ? { t: 'bool', v: code !== 0 } : { t: 'int', v: BigInt(code) };
    if (cls === 'string') return { t: 'str', v: tok.value };
    if (cls === 'bytes' || cls === 'protocol') return { t: 'bytes', v: Uint8Array.of(code & 0xff) };
    return fail(`${desc} cannot be converted from a character constant (${tok.text}).`);
  }
  const text = tok.text;
  switch (cls) {
    case 'int': {
      const v = parseInteger(text);
      if (v === undefined) return fail(`"${text}" is not a valid number.`);
      const ib = intBits(left.type);
      if (ib) {
        const max = ib.signed ? (1n << BigInt(ib.bits - 1)) - 1n : (1n << BigInt(ib.bits)) - 1n;
        const min = ib.signed ? -(1n << BigInt(ib.bits - 1)) : undefined;
        if (v > max) return fail(`"${text}" too big for this field, maximum ${max}.`);
        if (min !== undefined && v < min) return fail(`"${text}" too small for this field, minimum ${min}.`);
      }
      return { t: 'int', v };
    }
    case 'bool': {
      if (text === 'TRUE' || text === 'True') return { t: 'bool', v: true };
      if (text === 'FALSE' || text === 'False') return { t: 'bool', v: false };
      const v = parseInteger(text);
      if (v === undefined) return fail(`"${text}" cannot be found among the possible values for ${left.name}.`);
      return { t: 'bool', v: v !== 0n };
    }
    case 'float':
    case 'reltime': {
      const v = parseFloatLiteral(text);
      return v === undefined ? fail(`"${text}" is not a valid number.`) : { t: 'float', v };
    }
    case 'time': {
      const v = parseFloatLiteral(text);
      return v === undefined ? fail(`"${text}" is not a valid absolute time. Quote it: "Nov 12, 1999 08:55:44.123"`) : { t: 'float', v };
    }
    case 'ipv4':
    case 'ipv6': {
      const v6 = cls === 'ipv6';
      const { addr, bits } = splitPrefix(text);
      const bytes = v6 ? parseIpv6(addr) : parseIpv4(addr);
      if (bytes === undefined) return fail(`"${addr}" is not a valid hostname or ${v6 ? 'IPv6' : 'IPv4'} address.`);
      if (bits === undefined) return { t: 'bytes', v: bytes };
      if (!/^[0-9]+$/.test(bits)) return fail(`"${bits}" is not a valid number.`);
      const prefix = Number(bits);
      if (!v6 && prefix > 32) return fail(`Netmask bits in a CIDR IPv4 address should be <= 32, not ${prefix}`);
      if (v6 && prefix > 128) return fail(`Prefix in a IPv6 address should be <= 128, not ${prefix}`);
      return { t: 'net', v: bytes, prefix };
    }
    case 'ether': {
      const b = parseByteString(text);
      if (b === undefined) return fail(`"${text}" is not a valid Ethernet address.`);
      if (cmp === 'contains') return { t: 'bytes', v: b };
      if (b.length < 6) return fail(`"${text}" contains too few bytes to be a valid Ethernet address.`);
      if (b.length > 6) return fail(`"${text}" contains too many bytes to be a valid Ethernet address.`);
      return { t: 'bytes', v: b };
    }
    case 'bytes':
    case 'protocol': {
      const b = parseByteString(text);
      return b === undefined ? fail(`"${text}" is not a valid byte string.`) : { t: 'bytes', v: b };
    }
    case 'string':
      return { t: 'str', v: text };
    case 'none':
      return fail(`${left.name} (type=${desc}) cannot participate in comparison.`);
  }
}

/**
 * A PCRE-style pattern as a JavaScript RegExp. Like Wireshark 4.0, `matches` is case-insensitive
 * unless the pattern starts with `(?-i)`; leading inline flags `(?ims-ims)` are honoured.
 */
function regex(pattern: string, fail: (msg: string) => never): RegExp {
  const flags = new Set(['i']);
  let body = pattern;
  const m = /^\(\?([a-z]*)(?:-([a-z]*))?\)/.exec(body);
  if (m) {
    for (const f of m[1]) if ('ims'.includes(f)) flags.add(f);
    for (const f of m[2] ?? '') flags.delete(f);
    body = body.slice(m[0].length);
  }
  try {
    return new RegExp(body, [...flags].join('') + 'u');
  } catch {
    try {
      return new RegExp(body, [...flags].join(''));
    } catch (err) {
      return fail(`Regex compilation error: ${(err as Error).message}.`);
    }
  }
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** "Nov 12, 1999 08:55:44.123" or "2011-07-04 12:34:56[.frac]" in local time, as seconds. */
function parseAbsoluteTime(s: string): number | undefined {
  let m = /^\s*([A-Za-z]{3})\s+(\d{1,2}),\s*(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(UTC)?\s*$/.exec(s);
  let y: number, mo: number, day: number, h: number, mi: number, sec: number, frac: string | undefined, utc: boolean;
  if (m) {
    mo = MONTHS.indexOf(m[1].toLowerCase());
    if (mo < 0) return undefined;
    [y, day] = [Number(m[3]), Number(m[2])];
    [h, mi, sec, frac, utc] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), m[7], m[8] !== undefined];
  } else {
    m = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|UTC)?\s*$/.exec(s);
    if (!m) return undefined;
    [y, mo, day] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
    [h, mi, sec, frac, utc] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), m[7], m[8] !== undefined];
  }
  const ms = utc ? Date.UTC(y, mo, day, h, mi, sec) : new Date(y, mo, day, h, mi, sec).getTime();
  if (Number.isNaN(ms)) return undefined;
  return ms / 1000 + (frac ? Number(frac) : 0);
}
