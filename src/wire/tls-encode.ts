// Builders for TLS bytes: records, handshake messages (ClientHello, ServerHello, HelloRetryRequest),
// extensions, alerts and ChangeCipherSpec. Every length is filled in unless given, so a wrong one is
// one argument away (`recordLength`, `extensionLength`). Names are accepted where a registry has them
// ('TLS_AES_128_GCM_SHA256', 'x25519', 'ecdsa_secp256r1_sha256'); an unknown name is a RangeError that
// says which. The output is plain bytes; these builders do no cryptography.

import { concatBytes } from './layer.ts';
import { cipherSuiteByName, CONTENT_TYPE, EXTENSION, groupByName, HANDSHAKE_TYPE, HELLO_RETRY_REQUEST_RANDOM, signatureSchemeByName } from './tls-names.ts';
import { NetlabRangeError } from '../base/errors.ts';

/** One extension as it goes on the wire. `length` overrides the length field. */
export interface ExtensionSpec {
  type: number;
  data: Uint8Array;
  length?: number;
}

function u16(v: number, what: string): Uint8Array {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new NetlabRangeError(`TLS ${what}: ${v} does not fit in 16 bits`);
  return Uint8Array.of(v >>> 8, v & 0xff);
}

function u24(v: number, what: string): Uint8Array {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffff) throw new NetlabRangeError(`TLS ${what}: ${v} does not fit in 24 bits`);
  return Uint8Array.of((v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

function u8(v: number, what: string): Uint8Array {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new NetlabRangeError(`TLS ${what}: ${v} does not fit in 8 bits`);
  return Uint8Array.of(v);
}

/** A vector with a 1-, 2- or 3-byte length prefix (RFC 8446 §3.4). */
function vec(prefix: 1 | 2 | 3, body: Uint8Array, what: string): Uint8Array {
  const len = prefix === 1 ? u8(body.length, what) : prefix === 2 ? u16(body.length, what) : u24(body.length, what);
  return concatBytes([len, body]);
}

function ascii(s: string, what: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) throw new NetlabRangeError(`TLS ${what}: "${s}" is not ASCII`);
    out[i] = c;
  }
  return out;
}

function code(v: number | string, lookup: (name: string) => number | undefined, what: string): number {
  if (typeof v === 'number') return v;
  const n = lookup(v);
  if (n === undefined) throw new NetlabRangeError(`unknown TLS ${what} "${v}" (give its number instead)`);
  return n;
}

const u16s = (vals: readonly number[], what: string): Uint8Array => concatBytes(vals.map((v) => u16(v, what)));

/** Extension builders. */
export const tlsExt = {
  /** server_name with one host_name (RFC 6066 §3). */
  serverName(host: string): ExtensionSpec {
    const name = ascii(host, 'server name');
    return { type: EXTENSION.serverName, data: vec(2, concatBytes([Uint8Array.of(0), vec(2, name, 'server name')]), 'server name list') };
  },
  /** application_layer_protocol_negotiation (RFC 7301). */
  alpn(protocols: readonly string[]): ExtensionSpec {
    return { type: EXTENSION.alpn, data: vec(2, concatBytes(protocols.map((p) => vec(1, ascii(p, 'ALPN protocol'), 'ALPN protocol'))), 'ALPN list') };
  },
  /** supported_versions as a client offers them. */
  supportedVersions(versions: readonly number[]): ExtensionSpec {
    return { type: EXTENSION.supportedVersions, data: vec(1, u16s(versions, 'version'), 'supported versions') };
  },
  /** supported_versions as a server selects one. */
  selectedVersion(version: number): ExtensionSpec {
    return { type: EXTENSION.supportedVersions, data: u16(version, 'version') };
  },
  supportedGroups(groups: readonly (number | string)[]): ExtensionSpec {
    return {
      type: EXTENSION.supportedGroups,
      data: vec(
        2,
        u16s(
          groups.map((g) => code(g, groupByName, 'group')),
          'group',
        ),
        'supported groups',
      ),
    };
  },
  /** key_share as a client sends it: one entry per group. */
  keyShare(entries: readonly { group: number | string; key: Uint8Array }[]): ExtensionSpec {
    const body = concatBytes(entries.map((e) => concatBytes([u16(code(e.group, groupByName, 'group'), 'group'), vec(2, e.key, 'key exchange')])));
    return { type: EXTENSION.keyShare, data: vec(2, body, 'client key shares') };
  },
  /** key_share in a ServerHello: the one entry chosen. */
  keyShareServer(entry: { group: number | string; key: Uint8Array }): ExtensionSpec {
    return { type: EXTENSION.keyShare, data: concatBytes([u16(code(entry.group, groupByName, 'group'), 'group'), vec(2, entry.key, 'key exchange')]) };
  },
  /** key_share in a HelloRetryRequest: the group the server wants. */
  keyShareSelectedGroup(group: number | string): ExtensionSpec {
    return { type: EXTENSION.keyShare, data: u16(code(group, groupByName, 'group'), 'group') };
  },
  signatureAlgorithms(schemes: readonly (number | string)[]): ExtensionSpec {
    return {
      type: EXTENSION.signatureAlgorithms,
      data: vec(
        2,
        u16s(
          schemes.map((s) => code(s, signatureSchemeByName, 'signature scheme')),
          'signature scheme',
        ),
        'signature algorithms',
      ),
    };
  },
  /** psk_key_exchange_modes: 0 psk_ke, 1 psk_dhe_ke. */
  pskKeyExchangeModes(modes: readonly number[]): ExtensionSpec {
    return { type: EXTENSION.pskKeyExchangeModes, data: vec(1, concatBytes(modes.map((m) => u8(m, 'PSK mode'))), 'PSK modes') };
  },
  ecPointFormats(formats: readonly number[] = [0]): ExtensionSpec {
    return { type: EXTENSION.ecPointFormats, data: vec(1, concatBytes(formats.map((f) => u8(f, 'point format'))), 'point formats') };
  },
  /** Any extension, body as given. */
  raw(type: number, data: Uint8Array = new Uint8Array(0)): ExtensionSpec {
    return { type, data };
  },
};

function encodeExtensions(exts: readonly ExtensionSpec[]): Uint8Array {
  return concatBytes(exts.map((e) => concatBytes([u16(e.type, 'extension type'), u16(e.length ?? e.data.length, 'extension length'), e.data])));
}

/** A handshake message: type, uint24 length (or `length` as given), body. */
export function encodeHandshake(type: number, body: Uint8Array, length?: number): Uint8Array {
  return concatBytes([u8(type, 'handshake type'), u24(length ?? body.length, 'handshake length'), body]);
}

export interface ClientHelloSpec {
  /** legacy_version; default 0x0303. */
  version?: number;
  /** 32 bytes; default all zero (pass crypto.randomBytes(32) for a real one). */
  random?: Uint8Array;
  sessionId?: Uint8Array;
  cipherSuites: readonly (number | string)[];
  compressionMethods?: readonly number[];
  /** Omit for a ClientHello without an extensions block. */
  extensions?: readonly ExtensionSpec[];
}

function random32(r: Uint8Array | undefined): Uint8Array {
  const v = r ?? new Uint8Array(32);
  if (v.length !== 32) throw new NetlabRangeError(`TLS random must be 32 bytes, got ${v.length}`);
  return v;
}

/** A ClientHello handshake message (header included). */
export function encodeClientHello(spec: ClientHelloSpec): Uint8Array {
  const sid = spec.sessionId ?? new Uint8Array(0);
  if (sid.length > 32) throw new NetlabRangeError(`TLS session ID is at most 32 bytes, got ${sid.length}`);
  const parts = [
    u16(spec.version ?? 0x0303, 'version'),
    random32(spec.random),
    vec(1, sid, 'session ID'),
    vec(
      2,
      u16s(
        spec.cipherSuites.map((c) => code(c, cipherSuiteByName, 'cipher suite')),
        'cipher suite',
      ),
      'cipher suites',
    ),
    vec(1, Uint8Array.from(spec.compressionMethods ?? [0]), 'compression methods'),
  ];
  if (spec.extensions !== undefined) parts.push(vec(2, encodeExtensions(spec.extensions), 'extensions'));
  return encodeHandshake(HANDSHAKE_TYPE.clientHello, concatBytes(parts));
}

export interface ServerHelloSpec {
  version?: number;
  random?: Uint8Array;
  sessionId?: Uint8Array;
  cipherSuite: number | string;
  compressionMethod?: number;
  extensions?: readonly ExtensionSpec[];
  /** Write RFC 8446's HelloRetryRequest random (the random given is ignored). */
  helloRetryRequest?: boolean;
}

/** A ServerHello (or, with `helloRetryRequest`, a HelloRetryRequest) handshake message. */
export function encodeServerHello(spec: ServerHelloSpec): Uint8Array {
  const sid = spec.sessionId ?? new Uint8Array(0);
  if (sid.length > 32) throw new NetlabRangeError(`TLS session ID is at most 32 bytes, got ${sid.length}`);
  const parts = [
    u16(spec.version ?? 0x0303, 'version'),
    spec.helloRetryRequest ? Uint8Array.from(HELLO_RETRY_REQUEST_RANDOM) : random32(spec.random),
    vec(1, sid, 'session ID'),
    u16(code(spec.cipherSuite, cipherSuiteByName, 'cipher suite'), 'cipher suite'),
    u8(spec.compressionMethod ?? 0, 'compression method'),
  ];
  if (spec.extensions !== undefined) parts.push(vec(2, encodeExtensions(spec.extensions), 'extensions'));
  return encodeHandshake(HANDSHAKE_TYPE.serverHello, concatBytes(parts));
}

export interface RecordSpec {
  contentType: number;
  /** legacy_record_version; default 0x0303. */
  version?: number;
  fragment: Uint8Array;
  /** Overrides the length field. */
  length?: number;
}

/** One record: header and fragment. A fragment over 2^14 + 2048 bytes is refused. */
export function encodeRecord(spec: RecordSpec): Uint8Array {
  if (spec.fragment.length > 16384 + 2048) throw new NetlabRangeError(`TLS record fragment of ${spec.fragment.length} bytes is over 2^14 + 2048`);
  return concatBytes([
    u8(spec.contentType, 'content type'),
    u16(spec.version ?? 0x0303, 'record version'),
    u16(spec.length ?? spec.fragment.length, 'record length'),
    spec.fragment,
  ]);
}

/** A handshake record carrying a ClientHello; the record version is 0x0301, as clients send it. */
export function clientHelloRecord(spec: ClientHelloSpec): Uint8Array {
  return encodeRecord({ contentType: CONTENT_TYPE.handshake, version: 0x0301, fragment: encodeClientHello(spec) });
}

/** An alert record (level 1 warning, 2 fatal; description per RFC 8446 §6). */
export function encodeAlert(level: number, description: number, version = 0x0303): Uint8Array {
  return encodeRecord({ contentType: CONTENT_TYPE.alert, version, fragment: Uint8Array.of(level & 0xff, description & 0xff) });
}

/** The ChangeCipherSpec record (a single byte 1; TLS 1.3 sends it for middlebox compatibility). */
export function encodeChangeCipherSpec(version = 0x0303): Uint8Array {
  return encodeRecord({ contentType: CONTENT_TYPE.changeCipherSpec, version, fragment: Uint8Array.of(1) });
}

/** An application_data record with the given (opaque, e.g. encrypted) bytes. */
export function encodeApplicationData(data: Uint8Array, version = 0x0303): Uint8Array {
  return encodeRecord({ contentType: CONTENT_TYPE.applicationData, version, fragment: data });
}
