// `-V`: the protocol tree as tshark prints it. Each protocol's header line at its depth, its fields
// indented by 4 per level, generated fields in [brackets], hidden fields not shown. What an ICMP
// message carries is nested in its tree. Like tshark, a `data` protocol is followed by a hex dump
// of its bytes (unless the whole frame is dumped with -x anyway).
//
// A frame's tree is some hundred lines: they are appended to one string as they are found (no array
// of lines, no line strings of their own), which the output then writes in one piece.

import type { Dissection } from './dissection.ts';
import type { Field, ProtoNode } from './field.ts';
import { hexDumpText } from './hex-output.ts';
import { protoChildren } from './proto-children.ts';

export interface TreeOptions {
  /** The whole frame is dumped after the tree (-x): no separate dump under `data`. */
  hexFollows?: boolean;
}

/** '[' : a generated field whose text already has its brackets gets no second pair. */
const OPEN_BRACKET = 0x5b;

/** The line -V prints for a field (without indentation). */
export function fieldLine(f: Field): string {
  const line = f.text ?? (f.kind === 'none' ? f.label : `${f.label}: ${f.show}`);
  return f.generated && (f.text ?? f.label).charCodeAt(0) !== OPEN_BRACKET ? `[${line}]` : line;
}

/** Indentation by depth (4 spaces a level): the same few strings on every frame. */
const INDENTS: string[] = [];

function indent(depth: number): string {
  let s = INDENTS[depth];
  if (s === undefined) {
    s = ' '.repeat(depth * 4);
    INDENTS[depth] = s;
  }
  return s;
}

/** Appends the lines of `fields` (and their subtrees) at `depth` to `out`. */
function appendFields(out: string, fields: readonly Field[], depth: number, nested?: boolean): string {
  const pad = indent(depth);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f.hidden || (nested !== undefined && (f.afterNested === true) !== nested)) continue;
    const text = f.text;
    // The line's first character decides the brackets; `${label}: ${show}` starts with the label's.
    const bracket = f.generated === true && (text ?? f.label).charCodeAt(0) !== OPEN_BRACKET;
    out += bracket ? `${pad}[` : pad;
    if (text !== undefined) out += text;
    else if (f.kind === 'none') out += f.label;
    else out += `${f.label}: ${f.show}`;
    out += bracket ? ']\n' : '\n';
    if (f.children !== undefined) out = appendFields(out, f.children, depth + 1);
  }
  return out;
}

/** Appends one protocol's header line, its `data` dump and its fields. */
function appendProto(out: string, d: Dissection, p: ProtoNode, depth: number, opts: TreeOptions): string {
  out += `${indent(depth)}${p.label}\n`;
  if (p.proto === 'data' && opts.hexFollows !== true) {
    // Over a reassembled datagram, data.data holds the datagram's bytes (not the frame's at that offset).
    const first = p.fields[0];
    const bytes = first?.name === 'data.data' && first.value instanceof Uint8Array ? first.value : d.packet.data.subarray(p.offset, p.offset + p.length);
    out += `\n${hexDumpText(bytes)}`;
  }
  return appendFields(out, p.fields, depth + 1, hasAfterNested(p) ? false : undefined);
}

/** True when some of the protocol's fields go after the protocols nested in it. */
export function hasAfterNested(p: ProtoNode): boolean {
  const fields = p.fields;
  for (let i = 0; i < fields.length; i++) if (fields[i].afterNested === true) return true;
  return false;
}

/** The -V text of one frame: each line ends with a newline (no blank line after the last). */
export function treeText(d: Dissection, opts: TreeOptions = {}): string {
  const protos = d.protos;
  let out = '';
  const children = protoChildren(d);
  if (children === undefined) {
    for (let i = 0; i < protos.length; i++) {
      const p = protos[i];
      if (p.noTree) continue;
      out = appendProto(out, d, p, 0, opts);
      if (hasAfterNested(p)) out = appendFields(out, p.fields, 1, true);
    }
    return out;
  }
  const visit = (i: number, depth: number): void => {
    const p = protos[i];
    if (!p.noTree) out = appendProto(out, d, p, depth, opts);
    for (const c of children[i]) visit(c, p.noTree ? depth : depth + 1);
    if (!p.noTree && hasAfterNested(p)) out = appendFields(out, p.fields, depth + 1, true);
  };
  for (const i of children[protos.length]) visit(i, 0);
  return out;
}

/** The -V lines of one frame (no trailing blank line). */
export function treeLines(d: Dissection, opts: TreeOptions = {}): string[] {
  const text = treeText(d, opts);
  return text === '' ? [] : text.slice(0, -1).split('\n');
}
