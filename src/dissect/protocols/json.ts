// JSON (RFC 8259) as Wireshark 4.0's `json` dissector shows it in its default (non-compact) tree:
// Object / Array items; each object member as `Member: KEY` holding, for a scalar value,
// `[Path with value: /a/b:V]` and `[Member with value: b:V]` and the value (`Number value`,
// `String value`, `True value`...), then `Key: KEY` and `[Path: /a/b]`; array elements add `[]` to
// the path. Every item spans the bytes it was read from. Callers (db-lsp-disc) nest the node.

import { type Malformation, malformation } from '../../wire/layer.ts';
import { type Field, labelField, type ProtoNode, rawField, stringField } from '../field.ts';
import { registerFields } from '../known-fields.ts';

registerFields({
  json: 'FT_PROTOCOL',
  'json.object': 'FT_NONE',
  'json.array': 'FT_NONE',
  'json.member': 'FT_STRING',
  'json.key': 'FT_STRING',
  'json.path': 'FT_STRING',
  'json.path_with_value': 'FT_STRING',
  'json.member_with_value': 'FT_STRING',
  'json.value.string': 'FT_STRING',
  'json.value.number': 'FT_STRING',
  'json.value.true': 'FT_NONE',
  'json.value.false': 'FT_NONE',
  'json.value.null': 'FT_NONE',
});

/** Nesting deeper than this is reported rather than followed. */
const MAX_DEPTH = 64;

class JsonError extends Error {
  constructor(
    readonly at: number,
    message: string,
  ) {
    super(message);
  }
}

interface Value {
  /** Item for the value itself (Object/Array subtree or the scalar's value field). */
  field: Field;
  /** The scalar's text as Wireshark joins it into path_with_value (undefined for objects/arrays). */
  scalar?: string;
  end: number;
}

class Reader {
  private readonly text: string;
  constructor(
    private readonly b: Uint8Array,
    private readonly base: number,
    private readonly end: number,
  ) {
    // Offsets into the text equal byte offsets only for ASCII; non-ASCII bytes are read one by one.
    let s = '';
    for (let i = base; i < end; i++) s += String.fromCharCode(b[i]);
    this.text = s;
  }

  skip(at: number): number {
    let i = at;
    while (i < this.end && (this.b[i] === 0x20 || this.b[i] === 0x09 || this.b[i] === 0x0a || this.b[i] === 0x0d)) i++;
    return i;
  }

  value(at: number, path: string, depth: number): Value {
    if (depth > MAX_DEPTH) throw new JsonError(at, `JSON nested deeper than ${MAX_DEPTH} levels`);
    const c = this.b[at];
    if (at >= this.end) throw new JsonError(at, 'JSON value expected, end of data found');
    if (c === 0x7b) return this.object(at, path, depth);
    if (c === 0x5b) return this.array(at, path, depth);
    if (c === 0x22) {
      const s = this.string(at);
      return { field: stringField('json.value.string', 'String value', s.value, at, s.end - at), scalar: s.value, end: s.end };
    }
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(at - this.base, at - this.base + 64));
    if (m !== null) {
      const n = m[0];
      return { field: stringField('json.value.number', 'Number value', n, at, n.length), scalar: n, end: at + n.length };
    }
    for (const [word, name, label] of [
      ['true', 'json.value.true', 'True value'],
      ['false', 'json.value.false', 'False value'],
      ['null', 'json.value.null', 'Null value'],
    ] as const) {
      if (this.text.startsWith(word, at - this.base))
        return { field: rawField(name, label, 'none', null, '1', at, word.length, { text: label }), scalar: word, end: at + word.length };
    }
    throw new JsonError(at, `unexpected character 0x${c.toString(16).padStart(2, '0')} where a JSON value was expected`);
  }

  string(at: number): { value: string; end: number } {
    let i = at + 1;
    let out = '';
    while (i < this.end) {
      const c = this.b[i];
      if (c === 0x22) return { value: out, end: i + 1 };
      if (c === 0x5c) {
        const e = this.b[i + 1];
        const simple: Record<number, string> = { 0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t' };
        if (simple[e] !== undefined) {
          out += simple[e];
          i += 2;
          continue;
        }
        if (e === 0x75) {
          const h = this.text.slice(i + 2 - this.base, i + 6 - this.base);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) throw new JsonError(i, 'bad \\u escape in a JSON string');
          out += String.fromCharCode(Number.parseInt(h, 16));
          i += 6;
          continue;
        }
        throw new JsonError(i, 'bad escape in a JSON string');
      }
      out += String.fromCharCode(c);
      i++;
    }
    throw new JsonError(i, 'JSON string not terminated');
  }

  object(at: number, path: string, depth: number): Value {
    const children: Field[] = [];
    let i = this.skip(at + 1);
    if (this.b[i] === 0x7d) return { field: labelField('json.object', 'Object', at, i + 1 - at, { text: 'Object', children }), end: i + 1 };
    for (;;) {
      if (this.b[i] !== 0x22) throw new JsonError(i, 'JSON member name expected');
      const keyStart = i;
      const key = this.string(i);
      i = this.skip(key.end);
      if (this.b[i] !== 0x3a) throw new JsonError(i, "':' expected after a JSON member name");
      i = this.skip(i + 1);
      const memberPath = `${path}/${key.value}`;
      const v = this.value(i, memberPath, depth + 1);
      const items: Field[] = [];
      if (v.scalar !== undefined) items.push(...withValue(memberPath, key.value, v, i));
      items.push(v.field);
      items.push(stringField('json.key', 'Key', key.value, keyStart, key.end - keyStart));
      items.push(stringField('json.path', 'Path', memberPath, keyStart, v.end - keyStart, { generated: true }));
      children.push(stringField('json.member', 'Member', key.value, keyStart, v.end - keyStart, { children: items }));
      i = this.skip(v.end);
      if (this.b[i] === 0x2c) {
        i = this.skip(i + 1);
        continue;
      }
      if (this.b[i] === 0x7d) break;
      throw new JsonError(i, "',' or '}' expected in a JSON object");
    }
    return { field: labelField('json.object', 'Object', at, i + 1 - at, { text: 'Object', children }), end: i + 1 };
  }

  array(at: number, path: string, depth: number): Value {
    const children: Field[] = [];
    let i = this.skip(at + 1);
    if (this.b[i] === 0x5d) return { field: labelField('json.array', 'Array', at, i + 1 - at, { text: 'Array', children }), end: i + 1 };
    const itemPath = `${path}/[]`;
    for (;;) {
      const v = this.value(i, itemPath, depth + 1);
      if (v.scalar !== undefined) children.push(...withValue(itemPath, '[]', v, i));
      children.push(v.field);
      i = this.skip(v.end);
      if (this.b[i] === 0x2c) {
        i = this.skip(i + 1);
        continue;
      }
      if (this.b[i] === 0x5d) break;
      throw new JsonError(i, "',' or ']' expected in a JSON array");
    }
    return { field: labelField('json.array', 'Array', at, i + 1 - at, { text: 'Array', children }), end: i + 1 };
  }
}

/** `[Path with value: /p:V]` and `[Member with value: k:V]` over a scalar value. */
function withValue(path: string, key: string, v: Value, at: number): Field[] {
  const len = v.end - at;
  return [
    stringField('json.path_with_value', 'Path with value', `${path}:${v.scalar}`, at, len, { generated: true }),
    stringField('json.member_with_value', 'Member with value', `${key}:${v.scalar}`, at, len, { generated: true }),
  ];
}

/** The json node over frame bytes [offset, end): one top-level value, then only white space. */
export function jsonNode(b: Uint8Array, offset: number, end: number): ProtoNode {
  const r = new Reader(b, offset, end);
  const fields: Field[] = [];
  const malformed: Malformation[] = [];
  try {
    const v = r.value(r.skip(offset), '', 0);
    fields.push(v.field);
    const rest = r.skip(v.end);
    if (rest < end) malformed.push(malformation('json', rest, 'bytes after the JSON value'));
  } catch (err) {
    if (!(err instanceof JsonError)) throw err;
    malformed.push(malformation('json', err.at, err.message));
  }
  return { proto: 'json', label: 'JavaScript Object Notation', offset, length: end - offset, fields, malformed };
}
