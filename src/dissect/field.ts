// The dissection tree: protocols and fields named as Wireshark names them, with the value formatted
// exactly as `tshark -T fields -e NAME` prints it (`show`), the byte span for hex highlighting,
// and the typed value for display filters.

import type { Malformation } from '../wire/layer.ts';
import { formatIpv4, formatIpv6, formatMac } from '../wire/address-text.ts';

export type FieldKind =
  | 'uint' // unsigned integer (number, or bigint past 2^53)
  | 'int'
  | 'bool'
  | 'ipv4' // value: the 4 address bytes
  | 'ipv6' // value: the 16 address bytes
  | 'ether' // value: the 6 MAC bytes
  | 'bytes' // value: raw bytes
  | 'string'
  | 'float'
  | 'time' // absolute time; value: seconds since the epoch as a number
  | 'reltime' // relative time in seconds
  | 'none'; // a label with no value (a subtree); show is ''

export type FieldValue = number | bigint | boolean | string | Uint8Array | null;

export interface Field {
  /** Display-filter name, e.g. 'ip.ttl'. */
  name: string;
  /** Human label, e.g. 'Time to Live'. */
  label: string;
  kind: FieldKind;
  value: FieldValue;
  /** Exactly what `tshark -T fields -e name` prints for this occurrence. */
  show: string;
  /** Absolute offset in the frame and length in bytes (0 for generated fields). */
  offset: number;
  length: number;
  /** The line `-V` prints (without indentation). Default: `${label}: ${show}`. */
  text?: string;
  children?: Field[];
  /** Wireshark's [generated] fields (computed, not on the wire). */
  generated?: boolean;
  /** Present for filters and -T fields, not printed by -V (ip.addr, tcp.port...). */
  hidden?: boolean;
  /**
   * A protocol's field that -V and -T json show after the protocols nested in it (tshark adds an
   * ICMP message's multi-part extension after dissecting the quoted datagram).
   */
  afterNested?: boolean;
}

/** Columns a protocol contributes to the one-line summary; inner protocols override outer ones. */
export interface Columns {
  protocol?: string;
  info?: string;
  src?: string;
  dst?: string;
}

/** One protocol in the tree (`-V` prints its label, then its fields indented). */
export interface ProtoNode {
  /** Protocol filter name, as listed in frame.protocols ('eth', 'ethertype', 'ip', 'tcp', 'data'). */
  proto: string;
  /** The `-V` header line, e.g. 'Internet Protocol Version 4, Src: 10.0.0.1, Dst: 10.0.0.2'. */
  label: string;
  offset: number;
  length: number;
  fields: Field[];
  malformed: Malformation[];
  columns?: Columns;
  /** True for protocols listed in frame.protocols but with no tree of their own (ethertype). */
  noTree?: boolean;
  /**
   * Protocols listed in frame.protocols after this one that show no tree of their own here: those
   * Wireshark's BER dissector reached through object identifiers inside it (x509sat, x509ce, ...).
   */
  layers?: string[];
  /**
   * Not listed in frame.protocols: a further PDU of a protocol already listed for the same call
   * (Wireshark names a protocol once per call of its dissector, however many PDUs it finds).
   */
  unlisted?: boolean;
  /**
   * Shown inside the node before it rather than beside it: Wireshark's HTTP hands a body segment it
   * did not desegment to the data dissector with its own tree as the parent.
   */
  inside?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Builders. Each returns a Field whose `show` matches tshark's -T fields output for that type.

export function hex(v: number | bigint, digits: number): string {
  return '0x' + v.toString(16).padStart(digits, '0');
}

export interface FieldOpts {
  text?: string;
  children?: Field[];
  generated?: boolean;
  hidden?: boolean;
}

function mk(name: string, label: string, kind: FieldKind, value: FieldValue, show: string, offset: number, length: number, o?: FieldOpts): Field {
  const f: Field = { name, label, kind, value, show, offset, length };
  if (o?.text !== undefined) f.text = o.text;
  if (o?.children !== undefined) f.children = o.children;
  if (o?.generated) f.generated = true;
  if (o?.hidden) f.hidden = true;
  return f;
}

/** Unsigned integer printed in decimal (BASE_DEC). */
export function uintDec(name: string, label: string, value: number | bigint, offset: number, length: number, o?: FieldOpts): Field {
  return mk(name, label, 'uint', value, value.toString(10), offset, length, o);
}

/** Unsigned integer printed in hex with `digits` digits (BASE_HEX: tshark pads to the field's width). */
export function uintHex(name: string, label: string, value: number | bigint, digits: number, offset: number, length: number, o?: FieldOpts): Field {
  return mk(name, label, 'uint', value, hex(value, digits), offset, length, o);
}

/** Boolean: tshark 4.0 prints 1 or 0 with -T fields. */
export function bool(name: string, label: string, value: boolean, offset: number, length: number, o?: FieldOpts): Field {
  return mk(name, label, 'bool', value, value ? '1' : '0', offset, length, o);
}

export { formatIpv4, formatIpv6, formatMac } from '../wire/address-text.ts';

/** Bytes as tshark prints FT_BYTES with -T fields: contiguous lower-case hex. */
export function formatBytesHex(b: Uint8Array, sep = ''): string {
  if (sep === '') return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  if (sep.length === 1 && sep.charCodeAt(0) < 0x80 && b.length > 0) {
    // One ASCII separator (`-T json`'s colons): the text written as bytes, a payload at a time.
    const text = Buffer.allocUnsafe(b.length * 3 - 1);
    const s = sep.charCodeAt(0);
    for (let i = 0, o = 0; i < b.length; i++, o += 3) {
      text[o] = HEX_DIGITS[b[i] >> 4];
      text[o + 1] = HEX_DIGITS[b[i] & 15];
      if (o + 2 < text.length) text[o + 2] = s;
    }
    return text.toString('latin1');
  }
  let s = '';
  for (let i = 0; i < b.length; i++) {
    if (i > 0 && sep) s += sep;
    s += b[i].toString(16).padStart(2, '0');
  }
  return s;
}

/** The character codes of '0'..'9', 'a'..'f'. */
const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

export function ipv4Field(name: string, label: string, frame: Uint8Array, offset: number, o?: FieldOpts): Field {
  const v = frame.slice(offset, offset + 4);
  return mk(name, label, 'ipv4', v, formatIpv4(v), offset, 4, o);
}

export function ipv6Field(name: string, label: string, frame: Uint8Array, offset: number, o?: FieldOpts): Field {
  const v = frame.slice(offset, offset + 16);
  return mk(name, label, 'ipv6', v, formatIpv6(v), offset, 16, o);
}

export function etherField(name: string, label: string, frame: Uint8Array, offset: number, o?: FieldOpts): Field {
  const v = frame.slice(offset, offset + 6);
  return mk(name, label, 'ether', v, formatMac(v), offset, 6, o);
}

export function bytesField(name: string, label: string, frame: Uint8Array, offset: number, length: number, o?: FieldOpts): Field {
  const v = frame.slice(offset, offset + length);
  return mk(name, label, 'bytes', v, formatBytesHex(v), offset, length, o);
}

export function stringField(name: string, label: string, value: string, offset: number, length: number, o?: FieldOpts): Field {
  return mk(name, label, 'string', value, value, offset, length, o);
}

export function floatField(name: string, label: string, value: number, show: string, offset: number, length: number, o?: FieldOpts): Field {
  return mk(name, label, 'float', value, show, offset, length, o);
}

export function labelField(name: string, label: string, offset: number, length: number, o?: FieldOpts): Field {
  return mk(name, label, 'none', null, '', offset, length, o);
}

/** A field with an explicit kind and show string, for the few types the builders above do not cover. */
export function rawField(name: string, label: string, kind: FieldKind, value: FieldValue, show: string, offset: number, length: number, o?: FieldOpts): Field {
  return mk(name, label, kind, value, show, offset, length, o);
}

/** Depth-first walk over fields (parents before children), in tree order, as tshark visits them. */
export function* walkFields(fields: readonly Field[]): Generator<Field> {
  for (const f of fields) {
    yield f;
    if (f.children) yield* walkFields(f.children);
  }
}
