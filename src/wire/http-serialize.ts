// Writes HTTP/1.x messages (RFC 9112): start lines, field lines, chunked framing. It refuses to write
// anything the parser would refuse: a name that is not a token, a value with CR, LF, NUL or another
// control byte, a target with whitespace. Those are caller errors and throw NetlabError ERR_ARGUMENT.

import { NetlabError } from '../base/errors.ts';
import { invalidFieldValueIndex, isToken, latin1Bytes, REASON_PHRASES } from './http-syntax.ts';
import type { HttpField, HttpVersion } from './http-types.ts';

export interface RequestHeadInit {
  readonly method: string;
  readonly target: string;
  readonly version?: HttpVersion;
  readonly fields: readonly HttpField[];
}

export interface ResponseHeadInit {
  readonly status: number;
  /** Defaults to RFC 9110's phrase for the status (or "" when it has none). */
  readonly reason?: string;
  readonly version?: HttpVersion;
  readonly fields: readonly HttpField[];
}

function argError(message: string): NetlabError {
  return new NetlabError('ERR_ARGUMENT', message, { layer: 'wire' });
}

function checkField(f: HttpField): void {
  if (!isToken(f.name)) throw argError(`field name ${JSON.stringify(f.name)} is not a token`);
  const bad = invalidFieldValueIndex(f.value);
  if (bad >= 0) throw argError(`field ${f.name}: value has byte 0x${f.value.charCodeAt(bad).toString(16)} at ${bad} (no CR, LF, NUL or controls)`);
  const v = f.value;
  if (v.length > 0) {
    const a = v.charCodeAt(0);
    const z = v.charCodeAt(v.length - 1);
    if (a === 0x20 || a === 0x09 || z === 0x20 || z === 0x09) throw argError(`field ${f.name}: value has leading or trailing whitespace`);
  }
}

/** The first index of `s` that cannot be in a request-target (empty is refused apart): whitespace, controls, non-ASCII; or -1. */
function invalidTargetIndex(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return i;
  }
  return -1;
}

/** Field lines "name: value" CRLF as latin1 text, checked as the serializers check them (ERR_ARGUMENT otherwise). */
export function fieldsText(fields: readonly HttpField[]): string {
  let s = '';
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    checkField(f);
    s += `${f.name}: ${f.value}\r\n`;
  }
  return s;
}

/** `METHOD target HTTP/1.x` CRLF, fields, CRLF. */
export function serializeRequestHead(init: RequestHeadInit): Uint8Array {
  return latin1Bytes(requestHeadText(init));
}

/**
 * The request head as a latin1 string (one char per byte), checked as serializeRequestHead checks it:
 * for a writer that hands strings to the socket (`socket.write(text, 'latin1')`, no Buffer made in JS).
 */
export function requestHeadText(init: RequestHeadInit): string {
  if (!isToken(init.method)) throw argError(`method ${JSON.stringify(init.method)} is not a token`);
  if (init.target === '' || invalidTargetIndex(init.target) >= 0)
    throw argError(`request-target ${JSON.stringify(init.target)} is empty or has whitespace, controls or non-ASCII`);
  return `${init.method} ${init.target} HTTP/${init.version ?? '1.1'}\r\n${fieldsText(init.fields)}\r\n`;
}

/** `HTTP/1.x status reason` CRLF, fields, CRLF. */
export function serializeResponseHead(init: ResponseHeadInit): Uint8Array {
  if (!Number.isInteger(init.status) || init.status < 100 || init.status > 599) throw argError(`status ${init.status} is outside 100..599`);
  const reason = init.reason ?? REASON_PHRASES[init.status] ?? '';
  if (invalidFieldValueIndex(reason) >= 0) throw argError(`reason phrase ${JSON.stringify(reason)} has control bytes`);
  return latin1Bytes(`HTTP/${init.version ?? '1.1'} ${init.status} ${reason}\r\n${fieldsText(init.fields)}\r\n`);
}

export interface ChunkExtension {
  readonly name: string;
  /** Written as a token when it is one, otherwise as a quoted-string. */
  readonly value?: string;
}

function extText(exts: readonly ChunkExtension[]): string {
  let s = '';
  for (const e of exts) {
    if (!isToken(e.name)) throw argError(`chunk extension name ${JSON.stringify(e.name)} is not a token`);
    s += `;${e.name}`;
    if (e.value !== undefined) {
      if (isToken(e.value)) s += `=${e.value}`;
      else {
        if (invalidFieldValueIndex(e.value) >= 0) throw argError('chunk extension value has control bytes');
        s += `="${e.value.replace(/(["\\])/g, '\\$1')}"`;
      }
    }
  }
  return s;
}

/** One chunk: size in hex, extensions, CRLF, data, CRLF. An empty `data` is refused (it would end the body). */
export function encodeChunk(data: Uint8Array, extensions: readonly ChunkExtension[] = []): Uint8Array {
  if (data.length === 0) throw argError('an empty chunk would be the last chunk: use encodeLastChunk');
  const head = latin1Bytes(`${data.length.toString(16)}${extText(extensions)}\r\n`);
  const out = new Uint8Array(head.length + data.length + 2);
  out.set(head, 0);
  out.set(data, head.length);
  out[out.length - 2] = 0x0d;
  out[out.length - 1] = 0x0a;
  return out;
}

/** The last chunk, the trailer section and the final CRLF. */
export function encodeLastChunk(trailers: readonly HttpField[] = [], extensions: readonly ChunkExtension[] = []): Uint8Array {
  return latin1Bytes(`0${extText(extensions)}\r\n${fieldsText(trailers)}\r\n`);
}

/** A body split into chunks of at most `chunkSize` bytes, with the last chunk and trailers. */
export function encodeChunkedBody(body: Uint8Array, chunkSize = 16384, trailers: readonly HttpField[] = []): Uint8Array {
  if (!(chunkSize >= 1)) throw argError(`chunkSize ${chunkSize} must be at least 1`);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < body.length; i += chunkSize) parts.push(encodeChunk(body.subarray(i, Math.min(body.length, i + chunkSize))));
  parts.push(encodeLastChunk(trailers));
  return concat(parts);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
