// `-T fields -e NAME ... [-E occurrence=f|l|a] [-E aggregator=,] [-E separator=\t] [-E header=y]
// [-E quote=d|s|n]`: one line per frame with each field's occurrences printed as tshark prints them.
// A protocol name as a field (`-e ip`) prints what tshark prints for it: the protocol's tree label
// for most, its name for a few, the bytes for `data`.

import type { Dissection } from './dissection.ts';
import { findFields } from './lookup.ts';
import { formatBytesHex, type ProtoNode } from './field.ts';
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
  return names.map((n) => quoted(fieldText(d, n, opts), opts.quote)).join(opts.separator ?? '\t');
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
