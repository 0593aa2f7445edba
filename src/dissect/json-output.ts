// `-T json`: the structure tshark 4.0 emits. One object per packet,
//   {"_index": "packets-YYYY-MM-DD", "_type": "doc", "_score": null, "_source": {"layers": {...}}}
// where each protocol is a key holding its fields by filter name, values as strings. A field with
// both a value and a subtree gives two keys, `name` and `name_tree`; a label with a subtree gives
// `name` holding the subtree; text-only items use their text as the key. As in tshark, a key may
// repeat (`ip.addr` twice) unless noDuplicateKeys merges the repeats into an array.

import type { Dissection } from './dissection.ts';
import { type Field, formatBytesHex } from './field.ts';
import { isProtocolName } from './known-fields.ts';
import { protoChildren } from './proto-children.ts';
import { hasAfterNested } from './tree-output.ts';

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

/**
 * Where the walk over a frame's tree puts what it finds: straight into the JSON text (the usual
 * case), or into JObjects for --no-duplicate-keys, which must see an object whole to merge its keys.
 */
interface JsonSink {
  /**
   * An entry whose value is a string; `quoted` is that string already as JSON text. `text`: the key
   * is an item's text, not a name (one of many, not worth keeping).
   */
  value(key: string, value: string, quoted?: string, text?: boolean): void;
  /** Opens an object as the value of `key`; the entries that follow go into it until close(). */
  open(key: string, text?: boolean): void;
  /** Closes the last opened object; one left empty is `ifEmpty` (a string) when given, else {}. */
  close(ifEmpty?: string): void;
}

/** What a field holds as JSON text: bytes colon-separated, strings as they are (tshark's JSON
 * escapes a CR LF as JSON does, where -T fields writes the backslash escapes), the rest as -T fields
 * prints it. Hex needs no escaping, so bytes come back quoted. */
function addValue(sink: JsonSink, f: Field): void {
  if (f.kind === 'bytes' && f.value instanceof Uint8Array) {
    const text = formatBytesHex(f.value, ':');
    sink.value(f.name, text, `"${text}"`);
  } else if (f.kind === 'string' && typeof f.value === 'string') sink.value(f.name, f.value);
  else sink.value(f.name, f.show);
}

/** `NAME_tree`, the key of a subtree under a field with a value, kept by name. */
const TREE_KEYS = new Map<string, string>();

function treeKey(name: string): string {
  let key = TREE_KEYS.get(name);
  if (key === undefined) {
    key = `${name}_tree`;
    if (TREE_KEYS.size < 4096) TREE_KEYS.set(name, key);
  }
  return key;
}

function isTextOnly(f: Field): boolean {
  return f.name === '' || f.name === 'text';
}

/** The entries of `fields`, each with its subtree. */
function addFields(sink: JsonSink, fields: readonly Field[], nested?: boolean): void {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (nested !== undefined && (f.afterNested === true) !== nested) continue;
    const kids = f.children !== undefined && f.children.length > 0 ? f.children : undefined;
    if (isTextOnly(f)) {
      const text = f.text ?? f.label;
      const key = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
      if (kids === undefined) sink.value(key, '', '""', true);
      else {
        sink.open(key, true);
        addFields(sink, kids);
        sink.close();
      }
      continue;
    }
    const hasValue = f.kind !== 'none';
    if (hasValue) addValue(sink, f);
    if (kids !== undefined) {
      sink.open(hasValue ? treeKey(f.name) : f.name);
      addFields(sink, kids);
      sink.close();
    }
    // A protocol item inside a tree (a Malformed expert's hidden `_ws.malformed`) shows its label.
    else if (!hasValue) {
      if (isProtocolName(f.name)) sink.value(f.name, f.label);
      else sink.value(f.name, '', '""');
    }
  }
}

/** The entries of the `layers` object of one frame: each protocol with its fields and what it holds. */
function addLayers(sink: JsonSink, d: Dissection): void {
  const protos = d.protos;
  const children = protoChildren(d);
  const add = (i: number): void => {
    const p = protos[i];
    if (p.noTree) {
      if (children !== undefined) for (const k of children[i]) add(k);
      return;
    }
    sink.open(p.proto);
    const tail = hasAfterNested(p);
    addFields(sink, p.fields, tail ? false : undefined);
    if (children !== undefined) for (const k of children[i]) add(k);
    if (tail) addFields(sink, p.fields, true);
    // A protocol with nothing under it is its label.
    sink.close(p.label);
  };
  if (children === undefined) for (let i = 0; i < protos.length; i++) add(i);
  else for (const i of children[protos.length]) add(i);
}

/** The local date the `_index` names, kept while frames stay within that day. */
let dayFrom = 0;
let dayTo = -1;
let dayText = '';

function localDate(secs: number): string {
  if (secs >= dayFrom && secs < dayTo) return dayText;
  const dt = new Date(secs * 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  dayText = `${dt.getFullYear()}-${two(dt.getMonth() + 1)}-${two(dt.getDate())}`;
  // The local day's bounds (not always 24 hours apart, where the clocks change).
  dayFrom = new Date(dt.getFullYear(), dt.getMonth(), dt.getDate()).getTime() / 1000;
  dayTo = new Date(dt.getFullYear(), dt.getMonth(), dt.getDate() + 1).getTime() / 1000;
  return dayText;
}

/** The packet object of one frame as JObjects (for --no-duplicate-keys). */
function packetObject(d: Dissection): JObject {
  const layers = new JObject();
  addLayers(new ObjectSink(layers), d);
  return obj([
    ['_index', `packets-${localDate(d.packet.tsSec)}`],
    ['_type', 'doc'],
    ['_score', null],
    ['_source', obj([['layers', layers]])],
  ]);
}

/** Builds JObjects. */
class ObjectSink implements JsonSink {
  private readonly stack: JObject[];
  constructor(root: JObject) {
    this.stack = [root];
  }
  private get top(): JObject {
    return this.stack[this.stack.length - 1];
  }
  value(key: string, value: string): void {
    this.top.push([key, value]);
  }
  open(key: string): void {
    const o = new JObject();
    this.top.push([key, o]);
    this.stack.push(o);
  }
  close(ifEmpty?: string): void {
    const o = this.stack.pop() as JObject;
    if (o.length === 0 && ifEmpty !== undefined) {
      const entries = this.top.entries;
      entries[entries.length - 1] = [entries[entries.length - 1][0], ifEmpty];
    }
  }
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

/** Indentation strings by depth: the same few come back on every frame. */
const PADS: string[] = [];

function pad(depth: number): string {
  let p = PADS[depth];
  if (p === undefined) {
    p = '  '.repeat(depth);
    PADS[depth] = p;
  }
  return p;
}

/** What JSON text must escape (a quote, a backslash, control characters, lone surrogates), and `</`. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]|<\//;

/** Strings up to this long are checked by a loop here; longer ones by the regular expression. */
const SHORT = 32;

/** True when `s` goes into JSON text as it is, between quotes. */
function plain(s: string): boolean {
  const n = s.length;
  if (n > SHORT) return !NEEDS_ESCAPE.test(s);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
    if (c === 0x2f && i > 0 && s.charCodeAt(i - 1) === 0x3c) return false;
  }
  return true;
}

/** A JSON string as tshark's json_dumper writes it: JSON.stringify's escapes, and `</` as `<\/`. */
function jsonString(s: string): string {
  if (plain(s)) return `"${s}"`;
  const q = JSON.stringify(s);
  return q.includes('</') ? q.replaceAll('</', '<\\/') : q;
}

/** A key as JSON text with its colon. */
function quotedKey(k: string): string {
  return `${jsonString(k)}: `;
}

/**
 * What comes before a value: the end of the entry before (`,` and a newline, or the object's `{` and
 * a newline), the indentation and the key. For field names (a bounded set) it is kept, by depth and
 * by whether the entry is its object's first; other keys (item texts) are put together each time.
 */
const ENTRY_HEADS = new Map<string, string[]>();

function entryHead(key: string, depth: number, first: boolean): string {
  let heads = ENTRY_HEADS.get(key);
  if (heads === undefined) {
    if (ENTRY_HEADS.size >= 4096) return `${first ? '{\n' : ',\n'}${pad(depth)}${quotedKey(key)}`;
    heads = [];
    ENTRY_HEADS.set(key, heads);
  }
  const at = depth * 2 + (first ? 0 : 1);
  let head = heads[at];
  if (head === undefined) {
    head = `${first ? '{\n' : ',\n'}${pad(depth)}${quotedKey(key)}`;
    heads[at] = head;
  }
  return head;
}

/**
 * Writes the JSON text as it goes, indented as tshark does. An object's `{` waits for its first
 * entry, so that an empty one can still become a string.
 */
class TextSink implements JsonSink {
  out = '';
  /** Depth of the innermost open object (its entries are indented one level more). */
  private depth: number;
  /** Per open object: how many entries it has so far. */
  private readonly counts: number[] = [];

  constructor(depth: number) {
    this.depth = depth;
    this.counts.push(0);
  }

  private entry(key: string, cache: boolean): void {
    const c = this.counts;
    const n = c[c.length - 1];
    this.out += cache ? entryHead(key, this.depth + 1, n === 0) : `${n === 0 ? '{\n' : ',\n'}${pad(this.depth + 1)}${quotedKey(key)}`;
    c[c.length - 1] = n + 1;
  }

  value(key: string, value: string, quoted?: string, text?: boolean): void {
    this.entry(key, text !== true);
    this.out += quoted ?? jsonString(value);
  }

  open(key: string, text?: boolean): void {
    this.entry(key, text !== true);
    this.depth++;
    this.counts.push(0);
  }

  close(ifEmpty?: string): void {
    const n = this.counts.pop() as number;
    this.depth--;
    if (n > 0) this.out += `\n${pad(this.depth + 1)}}`;
    else this.out += ifEmpty === undefined ? '{}' : jsonString(ifEmpty);
  }
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
  if (opts.noDuplicateKeys) {
    const out: string[] = ['  '];
    serialize(mergeDuplicates(packetObject(d)), 1, out);
    return out.join('');
  }
  // The layers object sits at depth 3; its entries are indented by 4 levels.
  const sink = new TextSink(3);
  addLayers(sink, d);
  sink.close();
  return `  {\n    "_index": "packets-${localDate(d.packet.tsSec)}",\n    "_type": "doc",\n    "_score": null,\n    "_source": {\n      "layers": ${sink.out}\n    }\n  }`;
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
