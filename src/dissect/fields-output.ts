// `-T fields -e NAME ... [-E occurrence=f|l|a] [-E aggregator=,] [-E separator=\t] [-E header=y]
// [-E quote=d|s|n]`: one line per frame with each field's occurrences printed as tshark prints them.
// A protocol name as a field (`-e ip`) prints what tshark prints for it: the protocol's tree label
// for most, its name for a few, the bytes for `data`.

import type { Dissection } from './dissection.ts';
import { findFields } from './lookup.ts';
import { type Field, formatBytesHex, type ProtoNode } from './field.ts';
import { isKnownField, isProtocolName } from './known-fields.ts';

export interface FieldsOptions {
  separator?: string;
  /** 'a' all occurrences (default), 'f' first, 'l' last, or a 1-based index. */
  occurrence?: 'a' | 'f' | 'l' | number;
  aggregator?: string;
  /** Wrap each non-empty value in quotes: 'd' double, 's' single, 'n' none (default). */
  quote?: 'd' | 's' | 'n';
  /** Print the field names as a first line (see fieldsHeader). */
  header?: boolean;
}

/** Protocols whose -T fields text is their filter name (their tree item carries no text of its own). */
const PROTO_PRINTS_NAME = new Set(['icmp', 'icmpv6', 'null', 'raw', 'http', 'tls', 'igmp', 'ppp', 'nbns', 'websocket']);
/** Protocols with no tree item: nothing to print. */
const PROTO_PRINTS_NOTHING = new Set(['ethertype']);

function protoText(d: Dissection, p: ProtoNode): string {
  if (PROTO_PRINTS_NOTHING.has(p.proto)) return '';
  if (PROTO_PRINTS_NAME.has(p.proto)) return p.proto;
  if (p.proto === 'data') return formatBytesHex(d.packet.data.subarray(p.offset, p.offset + p.length));
  return p.label;
}

/** Every occurrence's text of a field or protocol in one frame, in tree order. */
export function fieldShows(d: Dissection, name: string): string[] {
  if (isProtocolName(name)) {
    const nodes = d.protos.filter((p) => p.proto === name);
    const texts = nodes.map((p) => protoText(d, p));
    // A protocol item inside another protocol's tree (a Malformed expert's hidden _ws.malformed).
    const nested = findFields(d, name).map((f) => f.show);
    if (nested.length > 0) return [...texts.filter((t) => t !== ''), ...nested];
    return texts.every((t) => t === '') ? [] : texts;
  }
  return findFields(d, name).map((f) => f.show);
}

/** The text tshark prints for one field of one frame (occurrences joined by the aggregator). */
export function fieldText(d: Dissection, name: string, opts: FieldsOptions = {}): string {
  const shows = fieldShows(d, name);
  const o = opts.occurrence ?? 'a';
  if (shows.length === 0) return '';
  if (o === 'f') return shows[0];
  if (o === 'l') return shows[shows.length - 1];
  if (typeof o === 'number') return shows[o - 1] ?? '';
  return shows.join(opts.aggregator ?? ',');
}

function quoted(s: string, q: FieldsOptions['quote']): string {
  if (s === '' || q === undefined || q === 'n') return s;
  const c = q === 'd' ? '"' : "'";
  return c + s + c;
}

/** One -T fields line. */
export function fieldsLine(d: Dissection, names: readonly string[], opts: FieldsOptions = {}): string {
  return fieldsLiner(names, opts)(d);
}

/**
 * The -T fields line maker for these names and options, worked out once for a whole capture: each
 * field's occurrences are read straight from the tree into the line, with no list per field.
 */
export function fieldsLiner(names: readonly string[], opts: FieldsOptions = {}): (d: Dissection) => string {
  const separator = opts.separator ?? '\t';
  const aggregator = opts.aggregator ?? ',';
  const occurrence = opts.occurrence ?? 'a';
  const quote = opts.quote === 'd' ? '"' : opts.quote === 's' ? "'" : '';
  const texts = names.map((name): ((d: Dissection) => string) => {
    // Protocols print their labels (or names, or bytes): the general path, rare in a fields list.
    if (isProtocolName(name)) return (d) => fieldText(d, name, opts);
    if (occurrence === 'a') return (d) => joinedShows(d.protos, name, aggregator);
    return (d) => fieldText(d, name, opts);
  });
  return (d) => {
    let line = '';
    for (let i = 0; i < texts.length; i++) {
      if (i > 0) line += separator;
      const t = texts[i](d);
      line += t === '' || quote === '' ? t : quote + t + quote;
    }
    return line;
  };
}

/** Every occurrence's show of a field in tree order, joined by the aggregator. */
function joinedShows(protos: readonly ProtoNode[], name: string, aggregator: string): string {
  joined = '';
  joinedAny = false;
  for (let i = 0; i < protos.length; i++) {
    const fields = protos[i].fields;
    if (fields.length > 0) joinInto(fields, name, aggregator);
  }
  return joined;
}

/** The text joinedShows is building (one at a time: the walk never calls out). */
let joined = '';
let joinedAny = false;

function joinInto(fields: readonly Field[], name: string, aggregator: string): void {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f.name === name) {
      joined = joinedAny ? joined + aggregator + f.show : f.show;
      joinedAny = true;
    }
    if (f.children !== undefined) joinInto(f.children, name, aggregator);
  }
}

/** The `-E header=y` line: the field names, separated (and quoted) like the values. */
export function fieldsHeader(names: readonly string[], opts: FieldsOptions = {}): string {
  return names.map((n) => quoted(n, opts.quote)).join(opts.separator ?? '\t');
}

/** Names netlab cannot print, in the order tshark lists them ("Some fields aren't valid"). */
export function invalidFields(names: readonly string[]): string[] {
  const bad = names.filter((n) => !isKnownField(n));
  return [...new Set(bad)].reverse();
}
