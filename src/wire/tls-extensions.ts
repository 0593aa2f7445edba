// Hello extensions (RFC 8446 §4.2, RFC 6066, RFC 7301): the list, and the bodies netlab reads into
// values (server_name, ALPN, supported_versions, supported_groups, key_share, signature_algorithms,
// signature_algorithms_cert, psk_key_exchange_modes, ec_point_formats, status_request,
// renegotiation_info, record_size_limit, padding). Every other extension is kept raw. Offsets are
// absolute in the buffer parsed; nothing is read past `end`, and lists are only as long as the bytes.

import { copyBytes, u16 } from './layer.ts';
import { EXTENSION } from './tls-names.ts';

/** Where a hello's extensions are, for the extension bodies whose layout depends on it. */
export type HelloKind = 'client' | 'server' | 'hrr';

export interface ServerNameEntry {
  offset: number;
  type: number;
  /** The name's length field. */
  length: number;
  name: string;
}

export interface KeyShareEntry {
  offset: number;
  group: number;
  /** The key_exchange length field. */
  keyLength: number;
  key: Uint8Array;
}

export type ExtensionBody =
  | { kind: 'server_name'; listLength?: number; names: ServerNameEntry[] }
  | { kind: 'alpn'; listLength: number; protocols: { offset: number; length: number; name: string }[] }
  | { kind: 'supported_versions'; listLength?: number; versions: number[] }
  | { kind: 'supported_groups'; listLength: number; groups: number[] }
  | { kind: 'key_share'; clientLength?: number; entries: KeyShareEntry[]; selectedGroup?: number }
  | { kind: 'signature_algorithms'; listLength: number; schemes: number[] }
  | { kind: 'psk_key_exchange_modes'; listLength: number; modes: number[] }
  | { kind: 'ec_point_formats'; listLength: number; formats: number[] }
  | { kind: 'status_request'; statusType: number; responderIdsLength?: number; extensionsLength?: number }
  | {
      kind: 'status_request_v2';
      listLength: number;
      items: { offset: number; statusType: number; length: number; responderIdsLength?: number; extensionsLength?: number }[];
    }
  | { kind: 'renegotiation_info'; length: number; info: Uint8Array }
  | { kind: 'record_size_limit'; limit: number }
  | { kind: 'padding'; data: Uint8Array }
  | { kind: 'empty' }
  | { kind: 'raw' };

export interface TlsExtension {
  /** Offset of the extension's type field. */
  offset: number;
  type: number;
  /** The length field. */
  length: number;
  dataOffset: number;
  /** Bytes of the body present (at most `length`). */
  available: number;
  data: Uint8Array;
  body: ExtensionBody;
  /** Why the body could not be read in full, if it could not. */
  error?: string;
}

/**
 * Parses the extensions in [offset, end) (the bytes after the extensions length). Stops at an
 * extension header that does not fit.
 */
export function parseExtensions(b: Uint8Array, offset: number, end: number, hello: HelloKind): TlsExtension[] {
  const out: TlsExtension[] = [];
  const stop = Math.min(end, b.length);
  let off = offset;
  while (stop - off >= 4) {
    const type = u16(b, off);
    const length = u16(b, off + 2);
    const dataOffset = off + 4;
    const available = Math.min(length, stop - dataOffset);
    const ext: TlsExtension = {
      offset: off,
      type,
      length,
      dataOffset,
      available,
      data: copyBytes(b, dataOffset, dataOffset + available),
      body: { kind: 'raw' },
    };
    const r = readBody(b, dataOffset, dataOffset + available, type, hello);
    ext.body = r.body;
    if (available < length) ext.error = 'extension cut short';
    else if (r.error !== undefined) ext.error = r.error;
    out.push(ext);
    off = dataOffset + available;
    if (available < length) break;
  }
  return out;
}

interface BodyResult {
  body: ExtensionBody;
  error?: string;
}

function u16List(b: Uint8Array, start: number, end: number): number[] {
  const out: number[] = [];
  for (let p = start; p + 2 <= end; p += 2) out.push(u16(b, p));
  return out;
}

function u8List(b: Uint8Array, start: number, end: number): number[] {
  const out: number[] = [];
  for (let p = start; p < end; p++) out.push(b[p]);
  return out;
}

/** The end of a list whose length field says `len`, clamped to the bytes at hand. */
function listEnd(start: number, len: number, end: number): { stop: number; short: boolean } {
  return { stop: Math.min(start + len, end), short: start + len > end };
}

function ascii(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]);
  return s;
}

function readBody(b: Uint8Array, start: number, end: number, type: number, hello: HelloKind): BodyResult {
  const n = end - start;
  switch (type) {
    case EXTENSION.serverName: {
      // The server's acknowledgement is empty.
      if (n === 0) return { body: { kind: 'server_name', names: [] } };
      if (n < 2) return { body: { kind: 'raw' }, error: 'server_name list length cut short' };
      const listLength = u16(b, start);
      const { stop, short } = listEnd(start + 2, listLength, end);
      const names: ServerNameEntry[] = [];
      let p = start + 2;
      while (stop - p >= 3) {
        const t = b[p];
        const len = u16(b, p + 1);
        const nameEnd = Math.min(p + 3 + len, stop);
        names.push({ offset: p, type: t, length: len, name: ascii(b, p + 3, nameEnd) });
        if (p + 3 + len > stop) return { body: { kind: 'server_name', listLength, names }, error: 'server name cut short' };
        p += 3 + len;
      }
      return { body: { kind: 'server_name', listLength, names }, error: short ? 'server_name list cut short' : undefined };
    }
    case EXTENSION.alpn: {
      if (n < 2) return { body: { kind: 'raw' }, error: 'ALPN list length cut short' };
      const listLength = u16(b, start);
      const { stop, short } = listEnd(start + 2, listLength, end);
      const protocols: { offset: number; length: number; name: string }[] = [];
      let p = start + 2;
      while (p < stop) {
        const len = b[p];
        const e = Math.min(p + 1 + len, stop);
        protocols.push({ offset: p, length: len, name: ascii(b, p + 1, e) });
        if (p + 1 + len > stop) return { body: { kind: 'alpn', listLength, protocols }, error: 'ALPN protocol name cut short' };
        p += 1 + len;
      }
      return { body: { kind: 'alpn', listLength, protocols }, error: short ? 'ALPN list cut short' : undefined };
    }
    case EXTENSION.supportedVersions: {
      if (hello !== 'client')
        return n >= 2 ? { body: { kind: 'supported_versions', versions: [u16(b, start)] } } : { body: { kind: 'raw' }, error: 'selected version cut short' };
      if (n < 1) return { body: { kind: 'raw' }, error: 'supported_versions length cut short' };
      const listLength = b[start];
      const { stop, short } = listEnd(start + 1, listLength, end);
      return {
        body: { kind: 'supported_versions', listLength, versions: u16List(b, start + 1, stop) },
        error: short ? 'supported_versions cut short' : undefined,
      };
    }
    case EXTENSION.supportedGroups: {
      if (n < 2) return { body: { kind: 'raw' }, error: 'supported_groups length cut short' };
      const listLength = u16(b, start);
      const { stop, short } = listEnd(start + 2, listLength, end);
      return { body: { kind: 'supported_groups', listLength, groups: u16List(b, start + 2, stop) }, error: short ? 'supported_groups cut short' : undefined };
    }
    case EXTENSION.signatureAlgorithms:
    case EXTENSION.signatureAlgorithmsCert: {
      if (n < 2) return { body: { kind: 'raw' }, error: 'signature_algorithms length cut short' };
      const listLength = u16(b, start);
      const { stop, short } = listEnd(start + 2, listLength, end);
      return {
        body: { kind: 'signature_algorithms', listLength, schemes: u16List(b, start + 2, stop) },
        error: short ? 'signature_algorithms cut short' : undefined,
      };
    }
    case EXTENSION.pskKeyExchangeModes: {
      if (n < 1) return { body: { kind: 'raw' }, error: 'psk_key_exchange_modes length cut short' };
      const listLength = b[start];
      const { stop, short } = listEnd(start + 1, listLength, end);
      return {
        body: { kind: 'psk_key_exchange_modes', listLength, modes: u8List(b, start + 1, stop) },
        error: short ? 'psk_key_exchange_modes cut short' : undefined,
      };
    }
    case EXTENSION.ecPointFormats: {
      if (n < 1) return { body: { kind: 'raw' }, error: 'ec_point_formats length cut short' };
      const listLength = b[start];
      const { stop, short } = listEnd(start + 1, listLength, end);
      return { body: { kind: 'ec_point_formats', listLength, formats: u8List(b, start + 1, stop) }, error: short ? 'ec_point_formats cut short' : undefined };
    }
    case EXTENSION.keyShare:
      return keyShareBody(b, start, end, hello);
    case EXTENSION.statusRequest: {
      if (n === 0) return { body: { kind: 'empty' } };
      const statusType = b[start];
      const body: ExtensionBody = { kind: 'status_request', statusType };
      if (statusType === 1 && n >= 3) {
        const ids = u16(b, start + 1);
        body.responderIdsLength = ids;
        if (end - (start + 3 + ids) >= 2) body.extensionsLength = u16(b, start + 3 + ids);
      }
      return { body };
    }
    case EXTENSION.statusRequestV2: {
      if (n === 0) return { body: { kind: 'empty' } };
      if (n < 2) return { body: { kind: 'raw' }, error: 'status_request_v2 length cut short' };
      const listLength = u16(b, start);
      const { stop } = listEnd(start + 2, listLength, end);
      const items: { offset: number; statusType: number; length: number; responderIdsLength?: number; extensionsLength?: number }[] = [];
      let p = start + 2;
      while (stop - p >= 3) {
        const item: { offset: number; statusType: number; length: number; responderIdsLength?: number; extensionsLength?: number } = {
          offset: p,
          statusType: b[p],
          length: u16(b, p + 1),
        };
        const itemEnd = Math.min(p + 3 + item.length, stop);
        if ((item.statusType === 1 || item.statusType === 2) && itemEnd - (p + 3) >= 2) {
          item.responderIdsLength = u16(b, p + 3);
          const e = p + 5 + item.responderIdsLength;
          if (itemEnd - e >= 2) item.extensionsLength = u16(b, e);
        }
        items.push(item);
        p += 3 + item.length;
      }
      return { body: { kind: 'status_request_v2', listLength, items } };
    }
    case EXTENSION.renegotiationInfo: {
      if (n < 1) return { body: { kind: 'raw' }, error: 'renegotiation_info length cut short' };
      const len = b[start];
      return { body: { kind: 'renegotiation_info', length: len, info: copyBytes(b, start + 1, Math.min(start + 1 + len, end)) } };
    }
    case EXTENSION.recordSizeLimit:
      return n >= 2 ? { body: { kind: 'record_size_limit', limit: u16(b, start) } } : { body: { kind: 'raw' }, error: 'record_size_limit cut short' };
    case EXTENSION.padding:
      return { body: { kind: 'padding', data: copyBytes(b, start, end) } };
    case EXTENSION.encryptThenMac:
    case EXTENSION.extendedMasterSecret:
      return { body: { kind: 'empty' } };
    default:
      return { body: { kind: 'raw' } };
  }
}

function keyShareBody(b: Uint8Array, start: number, end: number, hello: HelloKind): BodyResult {
  const n = end - start;
  if (hello === 'hrr')
    return n >= 2 ? { body: { kind: 'key_share', entries: [], selectedGroup: u16(b, start) } } : { body: { kind: 'raw' }, error: 'selected group cut short' };
  const entries: KeyShareEntry[] = [];
  const entry = (p: number, stop: number): number => {
    const group = u16(b, p);
    const keyLength = u16(b, p + 2);
    const keyEnd = Math.min(p + 4 + keyLength, stop);
    entries.push({ offset: p, group, keyLength, key: copyBytes(b, p + 4, keyEnd) });
    return p + 4 + keyLength;
  };
  if (hello === 'server') {
    if (n < 4) return { body: { kind: 'raw' }, error: 'key share entry cut short' };
    const next = entry(start, end);
    return { body: { kind: 'key_share', entries }, error: next > end ? 'key exchange cut short' : undefined };
  }
  if (n < 2) return { body: { kind: 'raw' }, error: 'client key share length cut short' };
  const clientLength = u16(b, start);
  const { stop, short } = listEnd(start + 2, clientLength, end);
  let p = start + 2;
  while (stop - p >= 4) {
    p = entry(p, stop);
    if (p > stop) return { body: { kind: 'key_share', clientLength, entries }, error: 'key exchange cut short' };
  }
  return { body: { kind: 'key_share', clientLength, entries }, error: short ? 'client key shares cut short' : undefined };
}

/** The value of an extension of the given type in a list, when it was read. */
export function findExtension<K extends ExtensionBody['kind']>(
  exts: readonly TlsExtension[],
  type: number,
  kind: K,
): Extract<ExtensionBody, { kind: K }> | undefined {
  const e = exts.find((x) => x.type === type);
  return e !== undefined && e.body.kind === kind ? (e.body as Extract<ExtensionBody, { kind: K }>) : undefined;
}
