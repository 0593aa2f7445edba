// The TLS record layer (RFC 8446 §5.1, RFC 5246 §6.2): content type (1), legacy version (2), length
// (2), then the fragment. A record may be cut short by the bytes at hand (a TCP segment); the parser
// says how much of it is there and never reads past the end.

import { u16, u8 } from './layer.ts';
import { CONTENT_TYPE_NAMES } from './tls-names.ts';

/** Bytes of a record header. */
export const RECORD_HEADER_LENGTH = 5;
/** Field byte ranges inside a record header. */
export const RECORD_FIELDS = { contentType: [0, 1], version: [1, 3], length: [3, 5] } as const;
/** Largest plaintext fragment (2^14) and the expansion AEAD/compression may add (RFC 5246 §6.2.3). */
export const MAX_PLAINTEXT = 16384;
export const MAX_CIPHERTEXT_EXPANSION = 2048;

/** One record as found in a byte range. Offsets are absolute in the buffer parsed. */
export interface TlsRecord {
  /** Offset of the record header. */
  offset: number;
  contentType: number;
  version: number;
  /** The length field: bytes of fragment announced. */
  length: number;
  /** Offset of the fragment (offset + 5). */
  fragmentOffset: number;
  /** Bytes of the fragment present in the range (at most `length`). */
  available: number;
}

/** True for the content types TLS defines (20-25); anything else is not a record header. */
export function isValidContentType(t: number): boolean {
  return t >= 20 && t <= 25;
}

/** A content type's name ("Handshake"), or "Unknown". */
export function contentTypeName(t: number): string {
  return CONTENT_TYPE_NAMES[t] ?? 'Unknown';
}

/** Reads the record header at `offset`, or undefined when fewer than 5 bytes remain before `end`. */
export function parseRecordHeader(b: Uint8Array, offset: number, end = b.length): TlsRecord | undefined {
  const stop = Math.min(end, b.length);
  if (offset < 0 || stop - offset < RECORD_HEADER_LENGTH) return undefined;
  const length = u16(b, offset + 3);
  return {
    offset,
    contentType: u8(b, offset),
    version: u16(b, offset + 1),
    length,
    fragmentOffset: offset + RECORD_HEADER_LENGTH,
    available: Math.min(length, stop - offset - RECORD_HEADER_LENGTH),
  };
}

/**
 * Splits [offset, end) into records. The last one may be incomplete (`available < length`); bytes
 * too few for a header are reported in `rest`. Stops at a byte that is not a valid content type.
 */
export function splitRecords(b: Uint8Array, offset = 0, end = b.length): { records: TlsRecord[]; rest: number } {
  const records: TlsRecord[] = [];
  let off = offset;
  const stop = Math.min(end, b.length);
  while (off < stop) {
    const r = parseRecordHeader(b, off, stop);
    if (r === undefined || !isValidContentType(r.contentType)) break;
    records.push(r);
    off = r.fragmentOffset + r.available;
    if (r.available < r.length) break;
  }
  return { records, rest: off };
}

/**
 * The length of the TLS record at the head of `b` (header included), for stream reassembly: 0 when
 * the header is not all there yet, -1 when the first byte is no record content type.
 */
export function tlsRecordPduLength(b: Uint8Array): number {
  if (b.length < 1) return 0;
  if (!isValidContentType(b[0])) return -1;
  if (b.length < RECORD_HEADER_LENGTH) return 0;
  return RECORD_HEADER_LENGTH + u16(b, 3);
}

/**
 * Wireshark's heuristic for TLS on a port it does not know: a handshake or application data record
 * header with version SSL 3.0 to TLS 1.2 (or TLCP) and a length from 1 to under 2^14 + 2048.
 */
export function looksLikeTlsRecord(b: Uint8Array, offset = 0, end = b.length): boolean {
  const r = parseRecordHeader(b, offset, end);
  if (r === undefined) return false;
  if (r.contentType !== 22 && r.contentType !== 23) return false;
  if (![0x0300, 0x0301, 0x0302, 0x0303, 0x0101].includes(r.version)) return false;
  return r.length > 0 && r.length < MAX_PLAINTEXT + MAX_CIPHERTEXT_EXPANSION;
}
