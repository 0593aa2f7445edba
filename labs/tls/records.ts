// What anyone on the path sees of a TLS connection without its keys, read by netlab from a capture's
// frames: the two TCP byte streams, cut into TLS records at their 5-byte headers (content type,
// legacy version, length; RFC 8446 section 5.1). A ClientHello or ServerHello is plaintext, so its
// handshake type (the record's first byte) is readable too; everything TLS 1.3 encrypts after the
// ServerHello is an application_data record (23) whose real type is inside the ciphertext.
// Bounded and never throws: a record cut short ends the list and is marked truncated.

import { decode, nearestLayer } from '../../src/wire/index.ts';
import type { Tcp } from '../../src/wire/index.ts';

export interface WireFrame {
  readonly data: Uint8Array;
}

export type Side = 'client' | 'server';

/** One TCP segment's payload, with its frame number (1-based) and direction. */
export interface Chunk {
  readonly frame: number;
  readonly from: Side;
  readonly bytes: Uint8Array;
}

export interface TlsRecordOnWire {
  readonly from: Side;
  /** Frame (1-based) where the record's header starts. */
  readonly frame: number;
  /** Offset of the record in its side's byte stream. */
  readonly offset: number;
  readonly contentType: number;
  readonly version: number;
  readonly length: number;
  /** For a plaintext handshake record (content type 22): the first handshake message's type. */
  readonly handshakeType?: number;
  /** The record's bytes, header included. */
  readonly bytes: Uint8Array;
}

export interface Streams {
  /** TCP payloads in capture order (the client is the side that sent the first SYN). */
  readonly chunks: readonly Chunk[];
  readonly client: Uint8Array;
  readonly server: Uint8Array;
  /** TCP segments with flags, for the connection's opening. */
  readonly segments: readonly { frame: number; from: Side; syn: boolean; ack: boolean; fin: boolean; rst: boolean; length: number }[];
}

/** The first TCP connection among the frames (others are ignored), as two byte streams. */
export function tcpStreams(frames: readonly WireFrame[]): Streams {
  let clientPort: number | undefined;
  let serverPort: number | undefined;
  const chunks: Chunk[] = [];
  const segments: Streams['segments'][number][] = [];
  frames.forEach((f, i) => {
    const { layers } = decode(f.data, 1);
    const tcp = nearestLayer<Tcp>(layers, 'tcp');
    if (tcp === undefined) return;
    const t = tcp.value;
    if (clientPort === undefined) {
      if (!t.flags.syn || t.flags.ack) return;
      clientPort = t.srcPort;
      serverPort = t.dstPort;
    }
    let from: Side;
    if (t.srcPort === clientPort && t.dstPort === serverPort) from = 'client';
    else if (t.srcPort === serverPort && t.dstPort === clientPort) from = 'server';
    else return;
    const start = tcp.payloadOffset ?? f.data.length;
    const end = Math.min(tcp.payloadEnd ?? start, f.data.length);
    const bytes = f.data.slice(start, Math.max(start, end));
    segments.push({ frame: i + 1, from, syn: t.flags.syn, ack: t.flags.ack, fin: t.flags.fin, rst: t.flags.rst, length: bytes.length });
    if (bytes.length > 0) chunks.push({ frame: i + 1, from, bytes });
  });
  const join = (side: Side): Uint8Array => Buffer.concat(chunks.filter((c) => c.from === side).map((c) => c.bytes));
  return { chunks, client: join('client'), server: join('server'), segments };
}

/** The frame holding byte `offset` of a side's stream. */
function frameAt(chunks: readonly Chunk[], side: Side, offset: number): number {
  let seen = 0;
  for (const c of chunks) {
    if (c.from !== side) continue;
    if (offset < seen + c.bytes.length) return c.frame;
    seen += c.bytes.length;
  }
  return -1;
}

/** A side's stream cut into TLS records (stops at the first record cut short). */
export function splitRecords(stream: Uint8Array, from: Side, chunks: readonly Chunk[] = []): { records: TlsRecordOnWire[]; truncated: boolean } {
  const records: TlsRecordOnWire[] = [];
  let at = 0;
  while (at + 5 <= stream.length) {
    const length = (stream[at + 3] << 8) | stream[at + 4];
    if (at + 5 + length > stream.length) return { records, truncated: true };
    const contentType = stream[at];
    records.push({
      from,
      frame: frameAt(chunks, from, at),
      offset: at,
      contentType,
      version: (stream[at + 1] << 8) | stream[at + 2],
      length,
      ...(contentType === 22 && length > 0 ? { handshakeType: stream[at + 5] } : {}),
      bytes: stream.slice(at, at + 5 + length),
    });
    at += 5 + length;
  }
  return { records, truncated: at !== stream.length };
}

/** Both sides' records, in the order their first byte appears in the capture. */
export function recordsOnWire(frames: readonly WireFrame[]): { streams: Streams; records: TlsRecordOnWire[]; truncated: boolean } {
  const streams = tcpStreams(frames);
  const c = splitRecords(streams.client, 'client', streams.chunks);
  const s = splitRecords(streams.server, 'server', streams.chunks);
  const records = [...c.records, ...s.records].sort((a, b) => a.frame - b.frame || (a.from === b.from ? a.offset - b.offset : 0));
  return { streams, records, truncated: c.truncated || s.truncated };
}

/** True when `needle` occurs in `hay`. */
export function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  return (
    needle.length > 0 && Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength)) >= 0
  );
}
