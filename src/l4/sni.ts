// Reading the server name from a TLS ClientHello as it arrives, without terminating TLS: bytes are
// fed as TCP delivers them (a ClientHello may be split over several segments, or over several TLS
// records), and the reader answers once it knows: the name, "no name" (a ClientHello without
// server_name), "not TLS" (the first byte is not a handshake record, or the records are malformed), or
// "need more". It never holds more than `maxBytes`.

import { decodeClientHello } from '../wire/tls-handshake.ts';
import { EXTENSION, HANDSHAKE_TYPE } from '../wire/tls-names.ts';
import { findExtension } from '../wire/tls-extensions.ts';

export type SniVerdict =
  | { readonly status: 'name'; readonly name: string }
  | { readonly status: 'no_name' }
  | { readonly status: 'not_tls'; readonly reason: string }
  | { readonly status: 'more' };

/** Reads what has arrived so far (the whole stream prefix) and says what it is. */
export function readSni(b: Uint8Array, maxBytes = 16_384 + 5 * 4): SniVerdict {
  // Join the bodies of the handshake records at the start of the stream.
  const body: number[] = [];
  let p = 0;
  while (p < b.length) {
    if (b[p] !== 22)
      return {
        status: 'not_tls',
        reason:
          p === 0
            ? `first byte 0x${b[0].toString(16).padStart(2, '0')} is not a TLS handshake record (0x16)`
            : 'a non-handshake record before the ClientHello ended',
      };
    if (b.length - p < 5) break;
    if (b[p + 1] !== 3) return { status: 'not_tls', reason: `record version major byte ${b[p + 1]} is not 3` };
    const len = (b[p + 3] << 8) | b[p + 4];
    if (len === 0 || len > 16_384) return { status: 'not_tls', reason: `record length ${len} is out of range` };
    const avail = Math.min(len, b.length - p - 5);
    for (let i = 0; i < avail; i++) body.push(b[p + 5 + i]);
    if (avail < len) break;
    p += 5 + len;
    if (body.length >= 4) {
      const need = 4 + ((body[1] << 16) | (body[2] << 8) | body[3]);
      if (body.length >= need) break;
    }
  }
  if (body.length >= 1 && body[0] !== HANDSHAKE_TYPE.clientHello)
    return { status: 'not_tls', reason: `first handshake message is type ${body[0]}, not ClientHello (1)` };
  if (body.length >= 4) {
    const need = 4 + ((body[1] << 16) | (body[2] << 8) | body[3]);
    if (need > maxBytes) return { status: 'not_tls', reason: `ClientHello of ${need} bytes is larger than the ${maxBytes} read` };
    if (body.length >= need) {
      const bytes = Uint8Array.from(body.slice(0, need));
      const hello = decodeClientHello(bytes, 4, need);
      if (hello.error !== undefined) return { status: 'not_tls', reason: `ClientHello malformed at ${hello.error.offset}: ${hello.error.reason}` };
      const sn = findExtension(hello.extensions, EXTENSION.serverName, 'server_name');
      const host = sn?.names.find((n) => n.type === 0)?.name;
      return host === undefined || host === '' ? { status: 'no_name' } : { status: 'name', name: host.toLowerCase() };
    }
  }
  if (b.length >= maxBytes) return { status: 'not_tls', reason: `no complete ClientHello in ${maxBytes} bytes` };
  return { status: 'more' };
}

/** `*` matches anything, `*.example.test` any name below example.test, others the exact name (case-insensitive). */
export function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase().replace(/\.$/, '');
  if (p === '*') return true;
  if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
  return p.replace(/\.$/, '') === h;
}
