// TCP options (RFC 9293 §3.1, RFC 7323 window scale and timestamps, RFC 2018 SACK): parsing the
// option list of a header and emitting one from a list.
//
//   kind 0  End of option list     1 byte
//   kind 1  No-operation           1 byte
//   kind 2  Maximum segment size   kind, len=4, MSS (2)
//   kind 3  Window scale           kind, len=3, shift (1)
//   kind 4  SACK permitted         kind, len=2
//   kind 5  SACK                   kind, len=2+8n, n x (left edge (4), right edge (4))
//   kind 8  Timestamps             kind, len=10, TSval (4), TSecr (4)
//   others                         kind, len, data (len-2), kept raw
//
// A length byte under 2, or one that runs past the option space, ends the list (an 'invalid-length'
// record says where and why: Wireshark notes it, it is not a malformed packet). A known option with
// the wrong length is kept as 'wrong-length'. A SACK option without one whole block is malformed
// (Wireshark's D-SACK check reads past it).

import { malformation, put16, put32, u16, u32, type Malformation, copyBytes } from './layer.ts';

export const TCP_OPTION = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WSCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMP: 8,
} as const;

/** Fixed lengths of the options that have one (kind byte and length byte included). */
export const TCP_OPTION_LENGTH: Readonly<Record<number, number>> = { 2: 4, 3: 3, 4: 2, 8: 10 };

/** The largest window scale shift RFC 7323 allows; larger values are treated as 14. */
export const TCP_MAX_WSCALE = 14;

interface OptionBase {
  kind: number;
  /** Absolute offset of the option's kind byte in the frame. */
  offset: number;
  /** Bytes the option occupies (1 for EOL/NOP, else its length byte). */
  length: number;
}

export interface TcpOptionEol extends OptionBase {
  type: 'eol';
  /** True when a byte after the EOL, within the option space, is not zero. */
  nonZeroPadding: boolean;
}
export interface TcpOptionNop extends OptionBase {
  type: 'nop';
}
export interface TcpOptionMss extends OptionBase {
  type: 'mss';
  mss: number;
}
export interface TcpOptionWscale extends OptionBase {
  type: 'wscale';
  shift: number;
}
export interface TcpOptionSackPermitted extends OptionBase {
  type: 'sack-permitted';
}
export interface TcpOptionSack extends OptionBase {
  type: 'sack';
  blocks: { left: number; right: number }[];
  /** Bytes after the last whole block (a length that is not 2 + 8n). */
  trailing: number;
}
export interface TcpOptionTimestamp extends OptionBase {
  type: 'timestamp';
  tsval: number;
  tsecr: number;
}
/** Any other option, kept as its data bytes. */
export interface TcpOptionUnknown extends OptionBase {
  type: 'unknown';
  data: Uint8Array;
}
/** A known option whose length byte is not its fixed length: kind and length only. */
export interface TcpOptionWrongLength extends OptionBase {
  type: 'wrong-length';
  expected: number;
  data: Uint8Array;
}
/**
 * Where the list ended on a bad length byte: under 2 ('too-short'), past the option space
 * ('past-end'), or missing ('no-length'). `length` is the length byte (0 when missing).
 */
export interface TcpOptionInvalidLength extends OptionBase {
  type: 'invalid-length';
  reason: 'too-short' | 'past-end' | 'no-length';
}

export type TcpOption =
  | TcpOptionEol
  | TcpOptionNop
  | TcpOptionMss
  | TcpOptionWscale
  | TcpOptionSackPermitted
  | TcpOptionSack
  | TcpOptionTimestamp
  | TcpOptionUnknown
  | TcpOptionWrongLength
  | TcpOptionInvalidLength;

export interface ParsedTcpOptions {
  options: TcpOption[];
  malformed: Malformation[];
}

/**
 * Parses the options in frame bytes [start, end). Never reads past `end`, never throws. The option
 * space is what the data offset announces, cut to the bytes present (the caller reports a cut).
 */
export function parseTcpOptions(b: Uint8Array, start: number, end: number): ParsedTcpOptions {
  const options: TcpOption[] = [];
  const malformed: Malformation[] = [];
  let i = start;
  while (i < end) {
    const kind = b[i];
    if (kind === TCP_OPTION.EOL) {
      // Zero bytes after an EOL are more EOLs (Wireshark lists each); anything else ends the list.
      let nonZeroPadding = false;
      for (let p = i + 1; p < end; p++) if (b[p] !== 0) nonZeroPadding = true;
      options.push({ type: 'eol', kind, offset: i, length: 1, nonZeroPadding });
      if (nonZeroPadding) break;
      i++;
      continue;
    }
    if (kind === TCP_OPTION.NOP) {
      options.push({ type: 'nop', kind, offset: i, length: 1 });
      i++;
      continue;
    }
    if (i + 1 >= end) {
      options.push({ type: 'invalid-length', kind, offset: i, length: 0, reason: 'no-length' });
      break;
    }
    const length = b[i + 1];
    if (length < 2) {
      options.push({ type: 'invalid-length', kind, offset: i, length, reason: 'too-short' });
      break;
    }
    if (i + length > end) {
      options.push({ type: 'invalid-length', kind, offset: i, length, reason: 'past-end' });
      break;
    }
    const option = parseOne(b, kind, i, length, malformed);
    options.push(option);
    // A SACK without a whole block is where Wireshark's dissection stops (it reads past it).
    if (option.type === 'sack' && option.blocks.length === 0) break;
    i += length;
  }
  return { options, malformed };
}

function parseOne(b: Uint8Array, kind: number, at: number, length: number, malformed: Malformation[]): TcpOption {
  const fixed = TCP_OPTION_LENGTH[kind];
  if (fixed !== undefined && length !== fixed)
    return { type: 'wrong-length', kind, offset: at, length, expected: fixed, data: copyBytes(b, at + 2, at + length) };
  switch (kind) {
    case TCP_OPTION.MSS:
      return { type: 'mss', kind, offset: at, length, mss: u16(b, at + 2) };
    case TCP_OPTION.WSCALE:
      return { type: 'wscale', kind, offset: at, length, shift: b[at + 2] };
    case TCP_OPTION.SACK_PERMITTED:
      return { type: 'sack-permitted', kind, offset: at, length };
    case TCP_OPTION.TIMESTAMP:
      return { type: 'timestamp', kind, offset: at, length, tsval: u32(b, at + 2), tsecr: u32(b, at + 6) };
    case TCP_OPTION.SACK: {
      const blocks: { left: number; right: number }[] = [];
      let p = at + 2;
      for (; p + 8 <= at + length; p += 8) blocks.push({ left: u32(b, p), right: u32(b, p + 4) });
      if (blocks.length === 0) malformed.push(malformation('tcp', at, `TCP SACK option of ${length} bytes holds no whole block`));
      return { type: 'sack', kind, offset: at, length, blocks, trailing: at + length - p };
    }
    default:
      return { type: 'unknown', kind, offset: at, length, data: copyBytes(b, at + 2, at + length) };
  }
}

// ---------------------------------------------------------------------------------------------
// Emitting

/**
 * An option for the tcp() builder, scapy-style: 'nop', 'eol', 'sack-permitted', {mss: 1460},
 * {wscale: 7}, {sack: [[left, right], ...]}, {timestamp: [tsval, tsecr]}, or a raw option
 * {kind, data?, length?} whose length byte may be set wrong on purpose. A decoded TcpOption is
 * accepted too and emitted as it was.
 */
export type TcpOptionInput =
  | 'eol'
  | 'nop'
  | 'sack-permitted'
  | { mss: number }
  | { wscale: number }
  | { sack: readonly (readonly [number, number])[] }
  | { timestamp: readonly [number, number] }
  | { kind: number; data?: Uint8Array; length?: number }
  | TcpNamedOptionInput
  | TcpOption;

/** The same options named by kind: {kind: 'mss', value: 1460}, {kind: 'wscale', value: 7}, {kind: 'nop'}... */
export type TcpNamedOptionInput =
  | { kind: 'mss' | 'wscale'; value: number }
  | { kind: 'timestamp'; value: readonly [number, number] }
  | { kind: 'sack'; value: readonly (readonly [number, number])[] }
  | { kind: 'eol' | 'nop' | 'sack-permitted' };

function namedOption(o: TcpNamedOptionInput): Uint8Array {
  switch (o.kind) {
    case 'mss':
      return encodeTcpOption({ mss: o.value });
    case 'wscale':
      return encodeTcpOption({ wscale: o.value });
    case 'timestamp':
      return encodeTcpOption({ timestamp: o.value });
    case 'sack':
      return encodeTcpOption({ sack: o.value });
    default:
      return encodeTcpOption(o.kind);
  }
}

/** The bytes of one option. */
export function encodeTcpOption(o: TcpOptionInput): Uint8Array {
  if (o === 'eol') return Uint8Array.of(TCP_OPTION.EOL);
  if (o === 'nop') return Uint8Array.of(TCP_OPTION.NOP);
  if (o === 'sack-permitted') return Uint8Array.of(TCP_OPTION.SACK_PERMITTED, 2);
  if ('type' in o) return encodeDecoded(o);
  if ('kind' in o && typeof o.kind === 'string') return namedOption(o as TcpNamedOptionInput);
  if ('mss' in o) {
    const out = Uint8Array.of(TCP_OPTION.MSS, 4, 0, 0);
    put16(out, 2, o.mss);
    return out;
  }
  if ('wscale' in o) return Uint8Array.of(TCP_OPTION.WSCALE, 3, o.wscale & 0xff);
  if ('sack' in o) {
    const out = new Uint8Array(2 + 8 * o.sack.length);
    out[0] = TCP_OPTION.SACK;
    out[1] = out.length & 0xff;
    o.sack.forEach(([left, right], k) => {
      put32(out, 2 + 8 * k, left);
      put32(out, 6 + 8 * k, right);
    });
    return out;
  }
  if ('timestamp' in o) {
    const out = new Uint8Array(10);
    out[0] = TCP_OPTION.TIMESTAMP;
    out[1] = 10;
    put32(out, 2, o.timestamp[0]);
    put32(out, 6, o.timestamp[1]);
    return out;
  }
  const raw = o as { kind: number; data?: Uint8Array; length?: number };
  const data = raw.data ?? new Uint8Array(0);
  if (raw.kind === TCP_OPTION.EOL || raw.kind === TCP_OPTION.NOP) return Uint8Array.of(raw.kind);
  const out = new Uint8Array(2 + data.length);
  out[0] = raw.kind & 0xff;
  out[1] = (raw.length ?? out.length) & 0xff;
  out.set(data, 2);
  return out;
}

function encodeDecoded(o: TcpOption): Uint8Array {
  switch (o.type) {
    case 'eol':
      return encodeTcpOption('eol');
    case 'nop':
      return encodeTcpOption('nop');
    case 'mss':
      return encodeTcpOption({ mss: o.mss });
    case 'wscale':
      return encodeTcpOption({ wscale: o.shift });
    case 'sack-permitted':
      return encodeTcpOption('sack-permitted');
    case 'sack':
      return encodeTcpOption({ sack: o.blocks.map((x) => [x.left, x.right] as const) });
    case 'timestamp':
      return encodeTcpOption({ timestamp: [o.tsval, o.tsecr] });
    case 'unknown':
      return encodeTcpOption({ kind: o.kind, data: o.data, length: o.length });
    case 'wrong-length':
      return encodeTcpOption({ kind: o.kind, data: o.data, length: o.length });
    case 'invalid-length':
      // Only the kind and length byte are known: re-emit those.
      return o.reason === 'no-length' ? Uint8Array.of(o.kind) : Uint8Array.of(o.kind, o.length);
  }
}

/** The option bytes of a header, padded with zeros (EOL) to a multiple of 4. */
export function encodeTcpOptions(options: readonly TcpOptionInput[]): Uint8Array {
  const parts = options.map(encodeTcpOption);
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(Math.ceil(n / 4) * 4);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
