// `-T json`: the structure tshark 4.0 emits. One object per packet,
//   {"_index": "packets-YYYY-MM-DD", "_type": "doc", "_score": null, "_source": {"layers": {...}}}
// where each protocol is a key holding its fields by filter name, values as strings. A field with
// both a value and a subtree gives two keys, `name` and `name_tree`; a label with a subtree gives
// `name` holding the subtree; text-only items use their text as the key. As in tshark, a key may
// repeat (`ip.addr` twice) unless noDuplicateKeys merges the repeats into an array.

import type { Dissection } from './dissection.ts';
import { type Field, formatBytesHex } from './field.ts';
import { isProtocolName } from './known-fields.ts';

export interface JsonOptions {
  /** tshark's --no-duplicate-keys: repeated keys become one key with an array of values. */
  noDuplicateKeys?: boolean;
}

/** An ordered object that may repeat keys (JSON allows it; tshark relies on it). */
class JObject {
  readonly entries: Array<[string, JValue]> = [];
  push(entry: [string, JValue]): void {
    this.entries.push(entry);
  }
  get length(): number {
    return this.entries.length;
  }
}
type JValue = string | null | JObject | JValue[];

function obj(entries: Array<[string, JValue]>): JObject {
  const o = new JObject();
  for (const e of entries) o.push(e);
  return o;
}

/** What a field holds as a JSON string: bytes colon-separated, strings as they are (tshark's JSON
 * escapes a CR LF as JSON does, where -T fields writes the backslash escapes), the rest as -T fields
 * prints it. */
function jsonValue(f: Field): string {
  if (f.kind === 'bytes' && f.value instanceof Uint8Array) return formatBytesHex(f.value, ':');
  if (f.kind === 'string' && typeof f.value === 'string') return f.value;
  return f.show;
}

function isTextOnly(f: Field): boolean {
  return f.name === '' || f.name === 'text';
}

function fieldEntries(fields: readonly Field[]): JObject {
  const out = new JObject();
  for (const f of fields) {
    const kids = f.children && f.children.length > 0 ? fieldEntries(f.children) : undefined;
    if (isTextOnly(f)) {
      const key = f.text ?? f.label;
      out.push([key.startsWith('[') && key.endsWith(']') ? key.slice(1, -1) : key, kids ?? '']);
      continue;
    }
    const hasValue = f.kind !== 'none';
    if (hasValue) out.push([f.name, jsonValue(f)]);
    if (kids !== undefined) out.push([hasValue ? `${f.name}_tree` : f.name, kids]);
    // A protocol item inside a tree (a Malformed expert's hidden `_ws.malformed`) shows its label.
    else if (!hasValue) out.push([f.name, isProtocolName(f.name) ? f.label : '']);
  }
  return out;
}

/** The `layers` object of one frame. */
function layersObject(d: Dissection): JObject {
  const children = new Map<number, number[]>();
  d.protos.forEach((_, i) => {
    const parent = d.parents?.[i] ?? -1;
    const list = children.get(parent) ?? [];
    list.push(i);
    children.set(parent, list);
  });
  const build = (i: number, into: JObject): void => {
    const p = d.protos[i];
    const kids = children.get(i) ?? [];
    if (p.noTree) {
      for (const k of kids) build(k, into);
      return;
    }
    const o = fieldEntries(p.fields);
    for (const k of kids) build(k, o);
    into.push([p.proto, o.length === 0 ? p.label : o]);
  };
  const layers = new JObject();
  for (const i of children.get(-1) ?? []) build(i, layers);
  return layers;
}

function localDate(secs: number): string {
  const dt = new Date(secs * 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${dt.getFullYear()}-${two(dt.getMonth() + 1)}-${two(dt.getDate())}`;
}

/** The packet object of one frame (before serialisation). */
function packetObject(d: Dissection): JObject {
  return obj([
    ['_index', `packets-${localDate(d.packet.tsSec)}`],
    ['_type', 'doc'],
    ['_score', null],
    ['_source', obj([['layers', layersObject(d)]])],
  ]);
}

/** Merges repeated keys into arrays (tshark's --no-duplicate-keys), recursively. */
function mergeDuplicates(o: JObject): JObject {
  const order: string[] = [];
  const groups = new Map<string, JValue[]>();
  for (const [k, v] of o.entries) {
    const mv = v instanceof JObject ? mergeDuplicates(v) : v;
    if (!groups.has(k)) {
      groups.set(k, []);
      order.push(k);
    }
    (groups.get(k) as JValue[]).push(mv);
  }
  return obj(
    order.map((k): [string, JValue] => {
      const vs = groups.get(k) as JValue[];
      return [k, vs.length === 1 ? vs[0] : vs];
    }),
  );
}

/** Indentation strings by depth, and keys as JSON text: the same few come back on every frame. */
const PADS: string[] = [];
const QUOTED_KEYS = new Map<string, string>();

function pad(depth: number): string {
  let p = PADS[depth];
  if (p === undefined) {
    p = '  '.repeat(depth);
    PADS[depth] = p;
  }
  return p;
}

/** A JSON string as tshark's json_dumper writes it: JSON.stringify's escapes, and `</` as `<\/`. */
function jsonString(s: string): string {
  const q = JSON.stringify(s);
  return q.includes('</') ? q.replaceAll('</', '<\\/') : q;
}

function quotedKey(k: string): string {
  let q = QUOTED_KEYS.get(k);
  if (q === undefined) {
    q = `${jsonString(k)}: `;
    if (QUOTED_KEYS.size < 65536) QUOTED_KEYS.set(k, q);
  }
  return q;
}

function serialize(v: JValue, indent: number, out: string[]): void {
  if (v === null) {
    out.push('null');
    return;
  }
  if (typeof v === 'string') {
    out.push(jsonString(v));
    return;
  }
  const inner = pad(indent + 1);
  if (v instanceof JObject) {
    const n = v.length;
    if (n === 0) {
      out.push('{}');
      return;
    }
    out.push('{\n');
    const entries = v.entries;
    for (let i = 0; i < n; i++) {
      const [k, val] = entries[i];
      out.push(inner, quotedKey(k));
      serialize(val, indent + 1, out);
      out.push(i < n - 1 ? ',\n' : '\n');
    }
    out.push(pad(indent), '}');
    return;
  }
  const n = v.length;
  if (n === 0) {
    out.push('[]');
    return;
  }
  out.push('[\n');
  for (let i = 0; i < n; i++) {
    out.push(inner);
    serialize(v[i], indent + 1, out);
    out.push(i < n - 1 ? ',\n' : '\n');
  }
  out.push(pad(indent), ']');
}

/** One packet's JSON object text, indented as the element of the top-level array. */
export function packetJson(d: Dissection, opts: JsonOptions = {}): string {
  const o = packetObject(d);
  const out: string[] = ['  '];
  serialize(opts.noDuplicateKeys ? mergeDuplicates(o) : o, 1, out);
  return out.join('');
}

/**
 * Streams `-T json` output: call begin() once, packet() per displayed frame and end() last; each
 * returns the text to write. An empty capture gives `[]`, as tshark prints.
 */
export class JsonWriter {
  private count = 0;
  constructor(private readonly opts: JsonOptions = {}) {}

  begin(): string {
    return '';
  }

  packet(d: Dissection): string {
    const head = this.count === 0 ? '[\n' : ',\n';
    this.count++;
    return head + packetJson(d, this.opts);
  }

  end(): string {
    return this.count === 0 ? '[]\n' : '\n]\n';
  }
}

/** The whole -T json document for a list of frames. */
export function jsonDocument(ds: readonly Dissection[], opts: JsonOptions = {}): string {
  const w = new JsonWriter(opts);
  return w.begin() + ds.map((d) => w.packet(d)).join('') + w.end();
}
