// HTTP/1.x messages read leniently, the way Wireshark 4.0's HTTP dissector reads them (not the way a
// server must: the strict codec lives in src/wire): lines end at LF with an optional CR before it,
// a request line starts with a method Wireshark knows, a response line with "HTTP/", the head ends
// at the first empty line, and the body is framed by chunked transfer coding, else by
// Content-Length, else it is empty (requests, and responses that carry no body).

import { HTTP_METHODS } from './http-names.ts';

/** One line of the head: [start, end) without its terminator, and where the next line starts. */
export interface HttpLine {
  start: number;
  end: number;
  next: number;
}

/** The next line from `at`, or undefined when no LF ends it within `limit`. */
export function lineAt(b: Uint8Array, at: number, limit = b.length): HttpLine | undefined {
  for (let i = at; i < limit; i++) {
    if (b[i] === 0x0a) return { start: at, end: i > at && b[i - 1] === 0x0d ? i - 1 : i, next: i + 1 };
  }
  return undefined;
}

/** Bytes as Latin-1 text (each byte one character): short runs by hand, longer ones by Node's decoder. */
function ascii(b: Uint8Array, start: number, end: number): string {
  if (end - start > 24) return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** True when bytes [start, end) spell `lower` (lower-case ASCII) in any letter case. */
function namedAs(b: Uint8Array, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const c = b[start + i];
    // ASCII letters fold by their 0x20 bit; every other byte must match as is.
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** The start line's kind from its bytes, as startLineKind reads its text. */
function startKindOf(b: Uint8Array, start: number, end: number): HttpStartKind | undefined {
  if (end - start >= 5 && b[start] === 0x48 && b[start + 1] === 0x54 && b[start + 2] === 0x54 && b[start + 3] === 0x50 && b[start + 4] === 0x2f)
    return 'response';
  let sp = start;
  while (sp < end && b[sp] !== 0x20) sp++;
  if (sp === start || sp === end) return undefined;
  return HTTP_METHODS.has(ascii(b, start, sp)) ? 'request' : undefined;
}

export type HttpStartKind = 'request' | 'response';

/** What the first line is, from its text (no terminator). */
export function startLineKind(line: string): HttpStartKind | undefined {
  if (line.startsWith('HTTP/')) return 'response';
  const sp = line.indexOf(' ');
  if (sp > 0 && HTTP_METHODS.has(line.slice(0, sp))) return 'request';
  return undefined;
}

/** True when bytes with no LF yet could still become a request or response line. */
function couldStartMessage(b: Uint8Array, start: number, end: number): boolean {
  const text = ascii(b, start, Math.min(end, start + 20));
  if ('HTTP/'.startsWith(text) || text.startsWith('HTTP/')) return true;
  const sp = text.indexOf(' ');
  if (sp > 0) return HTTP_METHODS.has(text.slice(0, sp));
  for (const m of HTTP_METHODS) if (m.startsWith(text)) return true;
  return false;
}

export interface HttpHeader {
  /** The whole line, terminator included: [start, next). */
  start: number;
  next: number;
  /** Name as written, and [valueStart, valueEnd) after the colon and its leading blanks. */
  name: string;
  valueStart: number;
  valueEnd: number;
  /** End of the line's text (before the terminator). */
  end: number;
}

export interface HttpHead {
  kind: HttpStartKind;
  /** Leading CR/LF bytes before the start line (left over from an earlier message). */
  leading: number;
  first: HttpLine;
  headers: HttpHeader[];
  /** The empty line that ends the head, when the bytes reach it. */
  blank?: HttpLine;
  /** Content-Length when present and numeric. */
  contentLength?: number;
  chunked: boolean;
  /** The value [start, end) of the first Host header and of the first Content-Type header, or -1. */
  hostStart: number;
  hostEnd: number;
  typeStart: number;
  typeEnd: number;
}

/**
 * Reads the start line and the header lines from `at`; undefined when the bytes are not HTTP. With
 * `cut` (the capture ended the frame), a last line without its LF still counts as a header line.
 */
export function readHead(b: Uint8Array, at = 0, limit = b.length, cut = false): HttpHead | undefined | 'more' {
  return scanHead(b, at, limit, cut, true);
}

/**
 * readHead without the list of header lines: the start line, the framing and where the Host and
 * Content-Type values are (for an output that reads no http.* field).
 */
export function readHeadFraming(b: Uint8Array, at = 0, limit = b.length, cut = false): HttpHead | undefined | 'more' {
  return scanHead(b, at, limit, cut, false);
}

/** readHead's work; without `collect` the header lines are not listed (only the body's framing is read). */
function scanHead(b: Uint8Array, at: number, limit: number, cut: boolean, collect: boolean): HttpHead | undefined | 'more' {
  let p = at;
  while (p < limit && (b[p] === 0x0d || b[p] === 0x0a)) p++;
  const leading = p - at;
  const first = lineAt(b, p, limit);
  if (first === undefined) return p >= limit || couldStartMessage(b, p, limit) ? 'more' : undefined;
  const kind = startKindOf(b, first.start, first.end);
  if (kind === undefined) return undefined;
  const head: HttpHead = { kind, leading, first, headers: [], chunked: false, hostStart: -1, hostEnd: -1, typeStart: -1, typeEnd: -1 };
  let q = first.next;
  for (;;) {
    let line = lineAt(b, q, limit);
    if (line === undefined && cut && q < limit) line = { start: q, end: limit, next: limit };
    if (line === undefined) return head;
    if (line.end === line.start) {
      head.blank = line;
      return head;
    }
    let colon = line.start;
    while (colon < line.end && b[colon] !== 0x3a) colon++;
    if (colon < line.end) {
      let v = colon + 1;
      while (v < line.end && (b[v] === 0x20 || b[v] === 0x09)) v++;
      if (collect)
        head.headers.push({ start: line.start, next: line.next, end: line.end, name: ascii(b, line.start, colon), valueStart: v, valueEnd: line.end });
      // Only two headers frame the body: their values are read, no other header's.
      if (namedAs(b, line.start, colon, 'content-length')) {
        const value = ascii(b, v, line.end);
        if (/^\s*\d+\s*$/.test(value) && head.contentLength === undefined) head.contentLength = Number(value.trim());
      } else if (namedAs(b, line.start, colon, 'transfer-encoding')) {
        if (/chunked/i.test(ascii(b, v, line.end))) head.chunked = true;
      } else if (head.hostStart < 0 && namedAs(b, line.start, colon, 'host')) {
        head.hostStart = v;
        head.hostEnd = line.end;
      } else if (head.typeStart < 0 && namedAs(b, line.start, colon, 'content-type')) {
        head.typeStart = v;
        head.typeEnd = line.end;
      }
    } else if (collect) {
      head.headers.push({ start: line.start, next: line.next, end: line.end, name: '', valueStart: line.end, valueEnd: line.end });
    }
    q = line.next;
  }
}

/** The status code of a response head (NaN when the line has none). */
export function statusOf(b: Uint8Array, head: HttpHead): number {
  // The line read as /^\S+ (\d{3})(?: |$)/ reads its Latin-1 text: a word, one space, three digits,
  // then a space or the end of the line.
  const start = head.first.start;
  const end = head.first.end;
  let p = start;
  while (p < end && !isSpaceChar(b[p])) p++;
  if (p === start || p + 4 > end || b[p] !== 0x20) return Number.NaN;
  const d0 = b[p + 1] - 0x30;
  const d1 = b[p + 2] - 0x30;
  const d2 = b[p + 3] - 0x30;
  if (d0 < 0 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return Number.NaN;
  if (p + 4 < end && b[p + 4] !== 0x20) return Number.NaN;
  return d0 * 100 + d1 * 10 + d2;
}

/** A byte whose Latin-1 character a regular expression's \s matches (tab to CR, space, no-break space). */
function isSpaceChar(c: number): boolean {
  return (c >= 0x09 && c <= 0x0d) || c === 0x20 || c === 0xa0;
}

export interface ChunkInfo {
  /** The chunk-size line. */
  sizeLine: HttpLine;
  size: number;
  /** Chunk data and the CRLF after it (absent for the last chunk). */
  dataStart: number;
  boundary?: HttpLine;
}

export interface ChunkedBody {
  chunks: ChunkInfo[];
  /** Trailer lines after the last chunk, and the empty line that ends them. */
  trailers: HttpLine[];
  end: number;
}

/** Walks a chunked body from `at`; undefined when it does not end within the bytes. */
export function walkChunks(b: Uint8Array, at: number, limit = b.length): ChunkedBody | undefined {
  const chunks: ChunkInfo[] = [];
  let p = at;
  for (;;) {
    const sizeLine = lineAt(b, p, limit);
    if (sizeLine === undefined) return undefined;
    const m = /^\s*([0-9a-fA-F]+)/.exec(ascii(b, sizeLine.start, sizeLine.end));
    const size = m === null ? 0 : parseInt(m[1], 16);
    if (size === 0) {
      const trailers: HttpLine[] = [];
      let q = sizeLine.next;
      for (;;) {
        const t = lineAt(b, q, limit);
        if (t === undefined) return undefined;
        trailers.push(t);
        q = t.next;
        if (t.end === t.start) break;
      }
      chunks.push({ sizeLine, size: 0, dataStart: sizeLine.next });
      return { chunks, trailers, end: q };
    }
    const dataStart = sizeLine.next;
    if (dataStart + size > limit) return undefined;
    const boundary = lineAt(b, dataStart + size, limit);
    if (boundary === undefined) return undefined;
    chunks.push({ sizeLine, size, dataStart, boundary });
    p = boundary.next;
  }
}

/**
 * False when the message from `at` cannot be a `101` response: its first line holds no ` 101` (statusOf
 * reads the code after the first space). A cheap test before reading the whole head.
 */
export function mayBeSwitching(b: Uint8Array, at: number, limit: number): boolean {
  let p = at;
  while (p < limit && (b[p] === 0x0d || b[p] === 0x0a)) p++;
  for (let i = p; i + 3 < limit && b[i] !== 0x0a; i++) {
    if (b[i] === 0x20 && b[i + 1] === 0x31 && b[i + 2] === 0x30 && b[i + 3] === 0x31) return true;
  }
  return false;
}

/** Statuses whose responses carry no body whatever their headers say. */
function bodiless(status: number): boolean {
  return (status >= 100 && status < 200) || status === 204 || status === 304;
}

/**
 * The length of the HTTP message at the head of a stream (PduLengthFn): > 0 when whole, 0 when more
 * bytes are needed, < 0 when the bytes are no HTTP message.
 */
export function httpPduLength(b: Uint8Array): number {
  const head = scanHead(b, 0, b.length, false, false);
  if (head === undefined) return -1;
  if (head === 'more' || head.blank === undefined) return 0;
  const bodyStart = head.blank.next;
  if (head.kind === 'response' && bodiless(statusOf(b, head))) return bodyStart;
  if (head.chunked) {
    const body = walkChunks(b, bodyStart);
    return body === undefined ? 0 : body.end;
  }
  if (head.contentLength !== undefined) return bodyStart + head.contentLength;
  // A response without a length runs to the end of the connection, which Wireshark waits for.
  if (head.kind === 'response') return 0;
  return bodyStart;
}
