// What tshark (Wireshark's dissectors) reads in a TLS capture, frame by frame: the TLS fields the labs
// compare with what netlab's sockets and key logs say. With the key log in the capture (its
// Decryption Secrets Block) tshark decrypts the handshake messages TLS 1.3 encrypts; on a copy without
// it, it sees the same records as opaque application data.

import { tsharkFields, tsharkInstalled } from '../../src/lab/index.ts';
import type { Show } from '../../src/lab/index.ts';

export interface TsharkTlsFrame {
  readonly frame: number;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly tcpLen: number;
  /** frame.protocols: eth:ethertype:ip:tcp:tls:http */
  readonly protocols: string;
  /** tls.record.content_type: the real types (decrypted records show their inner type). */
  readonly contentTypes: number[];
  /** tls.record.opaque_type: the outer type of TLS 1.3 encrypted records (23). */
  readonly opaqueTypes: number[];
  readonly handshakeTypes: number[];
  readonly serverNames: string[];
  readonly alpn: string[];
  readonly supportedVersions: number[];
  readonly cipherSuites: number[];
  readonly keyShareGroups: number[];
  /** Hex, one per key share. */
  readonly keyShares: string[];
  /** Hex: the ClientHello's or ServerHello's random. */
  readonly randoms: string[];
  readonly signatureSchemes: number[];
  /** Hex DER of each certificate in a Certificate message. */
  readonly certificates: string[];
  readonly alerts: number[];
  readonly httpMethod: string;
  readonly httpUri: string;
  readonly httpHost: string;
  /** HTTP/2 header names and values (":authority", ...), in order. */
  readonly http2Headers: string[];
}

const FIELDS = [
  'frame.number',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.len',
  'frame.protocols',
  'tls.record.content_type',
  'tls.record.opaque_type',
  'tls.handshake.type',
  'tls.handshake.extensions_server_name',
  'tls.handshake.extensions_alpn_str',
  'tls.handshake.extensions.supported_version',
  'tls.handshake.ciphersuite',
  'tls.handshake.extensions_key_share_group',
  'tls.handshake.extensions_key_share_key_exchange',
  'tls.handshake.random',
  'tls.handshake.sig_hash_alg',
  'tls.handshake.certificate',
  'tls.alert_message.desc',
  'http.request.method',
  'http.request.uri',
  'http.host',
  'http2.header.name',
] as const;

const list = (s: string | undefined): string[] => (s === undefined || s === '' ? [] : s.split(','));
const nums = (s: string | undefined): number[] => list(s).map((x) => Number(x));
const hex = (s: string | undefined): string[] => list(s).map((x) => x.replace(/:/g, '').toLowerCase());

/** Every frame of the capture as tshark reads it (with no preferences: the DSB alone decrypts). */
export function tsharkTlsFrames(path: string): TsharkTlsFrame[] {
  return tsharkFields(path, FIELDS, []).map((r) => ({
    frame: Number(r[0]),
    srcPort: Number(r[1]),
    dstPort: Number(r[2]),
    tcpLen: Number(r[3] ?? 0),
    protocols: r[4] ?? '',
    contentTypes: nums(r[5]),
    opaqueTypes: nums(r[6]),
    handshakeTypes: nums(r[7]),
    serverNames: list(r[8]),
    alpn: list(r[9]),
    supportedVersions: nums(r[10]),
    cipherSuites: nums(r[11]),
    keyShareGroups: nums(r[12]),
    keyShares: hex(r[13]),
    randoms: hex(r[14]),
    signatureSchemes: nums(r[15]),
    certificates: hex(r[16]),
    alerts: nums(r[17]),
    httpMethod: r[18] ?? '',
    httpUri: r[19] ?? '',
    httpHost: r[20] ?? '',
    http2Headers: list(r[21]),
  }));
}

/** The handshake messages tshark found, in order, with who sent them. */
export function handshakeSequence(frames: readonly TsharkTlsFrame[], serverPort: number): { from: 'client' | 'server'; type: number; frame: number }[] {
  return frames.flatMap((f) =>
    f.handshakeTypes.map((type) => ({ from: f.srcPort === serverPort ? ('server' as const) : ('client' as const), type, frame: f.frame })),
  );
}

/** tshark's frames of a capture, or undefined after saying (in --check mode too) that tshark is missing. */
export function tsharkOrSkip(show: Show, path: string): TsharkTlsFrame[] | undefined {
  if (!tsharkInstalled()) {
    show.skipped(
      "tshark is not installed (on Debian: apt-get install tshark): Wireshark's reading of the capture is not compared; netlab's own checks still run.",
    );
    return undefined;
  }
  return tsharkTlsFrames(path);
}
