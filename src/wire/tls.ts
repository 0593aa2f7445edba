// TLS (RFC 8446, RFC 5246) as a pure codec: records, handshake messages and hello extensions to typed
// values with byte offsets, and back. The public face of tls-*.ts, plus `decodeTlsRecords`, which reads
// a run of records with their handshake messages in one call (what the dissector and labs use).
//
// The record layer is not a layer of the frame decode loop: a record may span TCP segments, so the
// dissector hands this codec whole records from its TCP stream reassembly (src/dissect/tcp-reassembly.ts).

import { decodeHandshakeBody, type HandshakeBody, type HandshakeContext, type HandshakeHeader, parseHandshakeHeader } from './tls-handshake.ts';
import { isValidContentType, parseRecordHeader, type TlsRecord } from './tls-record.ts';
import { CONTENT_TYPE } from './tls-names.ts';

export * from './tls-names.ts';
export * from './tls-record.ts';
export * from './tls-extensions.ts';
export * from './tls-handshake.ts';
export * from './tls-encode.ts';

/** A handshake message found in a record, with its body decoded as far as the bytes go. */
export interface TlsHandshakeMessage {
  header: HandshakeHeader;
  /** True when the whole body is in the record. */
  complete: boolean;
  body: HandshakeBody;
}

/** A record and what it carries. */
export interface DecodedTlsRecord {
  record: TlsRecord;
  /** Handshake records: the messages in the fragment (the last may be incomplete). */
  handshakes?: TlsHandshakeMessage[];
  /** Alert records of two bytes: level and description. */
  alert?: { level: number; description: number };
}

/** Reads the handshake messages of a handshake fragment [start, end). */
export function decodeHandshakeMessages(b: Uint8Array, start: number, end: number, ctx: HandshakeContext = {}): TlsHandshakeMessage[] {
  const out: TlsHandshakeMessage[] = [];
  let off = start;
  const stop = Math.min(end, b.length);
  while (off < stop) {
    const header = parseHandshakeHeader(b, off, stop);
    if (header === undefined) break;
    const complete = header.available === header.length;
    out.push({ header, complete, body: decodeHandshakeBody(b, header, ctx) });
    if (!complete) break;
    off = header.bodyOffset + header.length;
  }
  return out;
}

/**
 * Decodes the records in [offset, end) with their handshake messages and alerts. Stops at the first
 * byte that cannot start a record; the last record may be cut short.
 */
export function decodeTlsRecords(b: Uint8Array, offset = 0, end = b.length, ctx: HandshakeContext = {}): DecodedTlsRecord[] {
  const out: DecodedTlsRecord[] = [];
  let off = offset;
  const stop = Math.min(end, b.length);
  while (off < stop) {
    const record = parseRecordHeader(b, off, stop);
    if (record === undefined || !isValidContentType(record.contentType)) break;
    const d: DecodedTlsRecord = { record };
    const fragEnd = record.fragmentOffset + record.available;
    if (record.contentType === CONTENT_TYPE.handshake) d.handshakes = decodeHandshakeMessages(b, record.fragmentOffset, fragEnd, ctx);
    if (record.contentType === CONTENT_TYPE.alert && record.length === 2 && record.available === 2)
      d.alert = { level: b[record.fragmentOffset], description: b[record.fragmentOffset + 1] };
    out.push(d);
    off = fragEnd;
    if (record.available < record.length) break;
  }
  return out;
}
