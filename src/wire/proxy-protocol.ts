// The PROXY protocol (HAProxy's specification, versions 1 and 2): a header a proxy writes at the very
// start of a TCP connection (or in front of a UDP datagram, v2 only) so the server behind it learns the
// original client's address and port.
//
//   v1: one text line, at most 107 bytes:   "PROXY TCP4 192.0.2.1 198.51.100.2 51234 443\r\n"
//   v2: a 12-byte signature, version/command, family/transport, a 16-bit length, the addresses
//       (12 bytes for IPv4, 36 for IPv6, 216 for UNIX) and then type-length-value extensions (TLVs):
//       ALPN, authority (the TLS server name), CRC32C over the whole header, a unique ID, SSL facts
//       with sub-TLVs, a network namespace.
//
// parseProxyHeader() reads from the start of a stream and never throws: it answers `ok` (with the
// header and how many bytes it took), `incomplete` (the bytes so far are a valid beginning), `absent`
// (these bytes do not start a PROXY header) or `invalid` (with the offset of the first wrong byte and
// the reason). Encoders check their arguments and throw NetlabRangeError on values the format cannot hold.

import { NetlabRangeError } from '../base/errors.ts';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from './address-text.ts';
import { concatBytes, u16, u32 } from './layer.ts';

/** v2's 12-byte signature: \r\n\r\n\0\r\nQUIT\n. */
export const PROXY_V2_SIGNATURE = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a);
/** The longest v1 line, CRLF included. */
export const PROXY_V1_MAX = 107;
/** v2's fixed part: signature, version/command, family/transport, length. */
export const PROXY_V2_FIXED = 16;
const V1_PREFIX = Uint8Array.of(0x50, 0x52, 0x4f, 0x58, 0x59, 0x20); // "PROXY "

export type ProxyCommand = 'local' | 'proxy';
export type ProxyFamily = 'unspec' | 'tcp4' | 'udp4' | 'tcp6' | 'udp6' | 'unix-stream' | 'unix-dgram';

/** v2's family/transport byte for each family. */
export const PROXY_FAMILY_BYTE: Readonly<Record<ProxyFamily, number>> = {
  unspec: 0x00,
  tcp4: 0x11,
  udp4: 0x12,
  tcp6: 0x21,
  udp6: 0x22,
  'unix-stream': 0x31,
  'unix-dgram': 0x32,
};
const FAMILY_OF_BYTE = new Map<number, ProxyFamily>(Object.entries(PROXY_FAMILY_BYTE).map(([k, v]) => [v, k as ProxyFamily]));
const ADDRESS_BYTES: Readonly<Record<ProxyFamily, number>> = { unspec: 0, tcp4: 12, udp4: 12, tcp6: 36, udp6: 36, 'unix-stream': 216, 'unix-dgram': 216 };

/** TLV types (PP2_TYPE_*). */
export const PROXY_TLV = {
  alpn: 0x01,
  authority: 0x02,
  crc32c: 0x03,
  noop: 0x04,
  uniqueId: 0x05,
  ssl: 0x20,
  sslVersion: 0x21,
  sslCn: 0x22,
  sslCipher: 0x23,
  sslSigAlg: 0x24,
  sslKeyAlg: 0x25,
  netns: 0x30,
} as const;

export const PROXY_TLV_NAMES: Readonly<Record<number, string>> = {
  0x01: 'ALPN',
  0x02: 'AUTHORITY',
  0x03: 'CRC32C',
  0x04: 'NOOP',
  0x05: 'UNIQUE_ID',
  0x20: 'SSL',
  0x21: 'SSL_VERSION',
  0x22: 'SSL_CN',
  0x23: 'SSL_CIPHER',
  0x24: 'SSL_SIG_ALG',
  0x25: 'SSL_KEY_ALG',
  0x30: 'NETNS',
};

/** PP2_CLIENT_* bits of the SSL TLV's client field. */
export const PROXY_SSL_CLIENT = { ssl: 0x01, certConn: 0x02, certSess: 0x04 } as const;

export interface ProxyTlv {
  /** Offset of the type byte, from the start of the parsed range's header. */
  readonly offset: number;
  readonly type: number;
  readonly length: number;
  readonly value: Uint8Array;
  /** ALPN, AUTHORITY, NETNS and the SSL text sub-TLVs as text. */
  readonly text?: string;
  /** SSL: the client bits, the verify result and the sub-TLVs. */
  readonly ssl?: { readonly client: number; readonly verify: number; readonly tlvs: readonly ProxyTlv[] };
}

export interface ProxyHeader {
  readonly version: 1 | 2;
  readonly command: ProxyCommand;
  readonly family: ProxyFamily;
  /** v1 "UNKNOWN" (and v2 UNSPEC or LOCAL): the receiver keeps the connection's own addresses. */
  readonly source?: string;
  readonly destination?: string;
  readonly sourcePort?: number;
  readonly destinationPort?: number;
  readonly tlvs: readonly ProxyTlv[];
  /** v2: the CRC32C TLV's verdict ('none' without one). */
  readonly checksum: 'good' | 'bad' | 'none';
  /** Bytes of the header, from its first byte. */
  readonly length: number;
  /** v2: the length field (bytes after the fixed 16). */
  readonly v2Length?: number;
}

export type ProxyVerdict =
  | { readonly status: 'ok'; readonly header: ProxyHeader }
  | { readonly status: 'incomplete'; readonly version?: 1 | 2 }
  | { readonly status: 'absent' }
  | { readonly status: 'invalid'; readonly version: 1 | 2; readonly offset: number; readonly reason: string };

export interface ProxyParseOptions {
  /** A CRC32C TLV that does not match makes the header invalid (default true, as the spec asks). */
  readonly verifyChecksum?: boolean;
}

// ---- CRC32C (Castagnoli, reflected 0x82F63B78) ----------------------------------------------------

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C of bytes [offset, offset+length) (RFC 3720's check value for "123456789" is 0xE3069283). */
export function crc32c(b: Uint8Array, offset = 0, length = b.length - offset): number {
  let c = 0xffffffff;
  const end = offset + length;
  for (let i = offset; i < end; i++) c = CRC32C_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---- parsing ------------------------------------------------------------------------------------

function prefixOf(b: Uint8Array, start: number, end: number, sig: Uint8Array): 'full' | 'partial' | 'no' {
  const n = Math.min(end - start, sig.length);
  for (let i = 0; i < n; i++) if (b[start + i] !== sig[i]) return 'no';
  return n === sig.length ? 'full' : 'partial';
}

/**
 * Reads a PROXY header at `start` of `b` (up to `end`). Offsets in the verdict count from `start`.
 * Never throws; allocates nothing larger than the header itself.
 */
export function parseProxyHeader(b: Uint8Array, start = 0, end = b.length, options: ProxyParseOptions = {}): ProxyVerdict {
  end = Math.min(end, b.length);
  if (start >= end) return { status: 'incomplete' };
  const v2 = prefixOf(b, start, end, PROXY_V2_SIGNATURE);
  if (v2 === 'full') return parseV2(b, start, end, options);
  const v1 = prefixOf(b, start, end, V1_PREFIX);
  if (v1 === 'full') return parseV1(b, start, end);
  if (v2 === 'partial' && v1 === 'partial') return { status: 'incomplete' };
  if (v2 === 'partial') return { status: 'incomplete', version: 2 };
  if (v1 === 'partial') return { status: 'incomplete', version: 1 };
  return { status: 'absent' };
}

function invalid(version: 1 | 2, offset: number, reason: string): ProxyVerdict {
  return { status: 'invalid', version, offset, reason };
}

const PORT_TEXT = /^(0|[1-9][0-9]{0,4})$/;
const IPV4_TEXT = /^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$/;

function parseV1(b: Uint8Array, start: number, end: number): ProxyVerdict {
  const limit = Math.min(end, start + PROXY_V1_MAX);
  let cr = -1;
  for (let i = start; i < limit; i++) {
    const c = b[i];
    if (c === 0x0d) {
      cr = i;
      break;
    }
    if (c < 0x20 || c > 0x7e) return invalid(1, i - start, `byte 0x${c.toString(16).padStart(2, '0')} is not allowed in a v1 header line`);
  }
  if (cr < 0) {
    if (limit - start >= PROXY_V1_MAX) return invalid(1, PROXY_V1_MAX, `no CRLF within the ${PROXY_V1_MAX} bytes a v1 line may take`);
    return { status: 'incomplete', version: 1 };
  }
  if (cr + 1 >= end) return cr + 1 - start >= PROXY_V1_MAX ? invalid(1, cr - start, 'line too long') : { status: 'incomplete', version: 1 };
  if (b[cr + 1] !== 0x0a) return invalid(1, cr + 1 - start, 'CR not followed by LF');
  const line = String.fromCharCode(...b.subarray(start, cr));
  const length = cr + 2 - start;
  const parts = line.split(' ');
  // parts[0] is "PROXY" (checked by the caller).
  let at = 6;
  const proto = parts[1] ?? '';
  if (proto === 'UNKNOWN') {
    // Anything may follow UNKNOWN; the receiver ignores it.
    return { status: 'ok', header: { version: 1, command: 'proxy', family: 'unspec', tlvs: [], checksum: 'none', length } };
  }
  if (proto !== 'TCP4' && proto !== 'TCP6') return invalid(1, at, `expected TCP4, TCP6 or UNKNOWN, got "${proto.slice(0, 16)}"`);
  if (parts.length !== 6)
    return invalid(1, Math.min(line.length, at), `expected 6 space-separated fields (PROXY, protocol, 2 addresses, 2 ports), got ${parts.length}`);
  const six = proto === 'TCP6';
  at += proto.length + 1;
  const addrs: string[] = [];
  for (const a of [parts[2], parts[3]]) {
    const okAddr = six ? a.includes(':') && parseIpv6(a) !== undefined : IPV4_TEXT.test(a);
    if (!okAddr) return invalid(1, at, `"${a.slice(0, 40)}" is not an ${six ? 'IPv6' : 'IPv4'} address`);
    addrs.push(six ? formatIpv6(parseIpv6(a) as Uint8Array) : a);
    at += a.length + 1;
  }
  const ports: number[] = [];
  for (const p of [parts[4], parts[5]]) {
    if (!PORT_TEXT.test(p) || Number(p) > 65535) return invalid(1, at, `"${p.slice(0, 10)}" is not a port (0..65535, no leading zeros)`);
    ports.push(Number(p));
    at += p.length + 1;
  }
  return {
    status: 'ok',
    header: {
      version: 1,
      command: 'proxy',
      family: six ? 'tcp6' : 'tcp4',
      source: addrs[0],
      destination: addrs[1],
      sourcePort: ports[0],
      destinationPort: ports[1],
      tlvs: [],
      checksum: 'none',
      length,
    },
  };
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

function utf8(b: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(b);
}

function unixPath(b: Uint8Array, off: number): string {
  if (b[off] === 0) {
    // An abstract socket: NUL, then a name that ends at the last non-NUL byte; shown as "@name".
    let last = off + 1;
    for (let i = off + 1; i < off + 108; i++) if (b[i] !== 0) last = i + 1;
    return `@${latin1(b.subarray(off + 1, last))}`;
  }
  let e = off;
  while (e < off + 108 && b[e] !== 0) e++;
  return latin1(b.subarray(off, e));
}

const TEXT_TLVS = new Set<number>([
  PROXY_TLV.alpn,
  PROXY_TLV.authority,
  PROXY_TLV.netns,
  PROXY_TLV.sslVersion,
  PROXY_TLV.sslCn,
  PROXY_TLV.sslCipher,
  PROXY_TLV.sslSigAlg,
  PROXY_TLV.sslKeyAlg,
]);

/** Parses TLVs in [from, to) of b; offsets relative to `base`. Returns the list or where it went wrong. */
function parseTlvs(b: Uint8Array, from: number, to: number, base: number, nested: boolean): ProxyTlv[] | { offset: number; reason: string } {
  const out: ProxyTlv[] = [];
  let p = from;
  while (p < to) {
    if (to - p < 3) return { offset: p - base, reason: `${to - p} byte(s) left, too few for a TLV header (3)` };
    const type = b[p];
    const length = u16(b, p + 1);
    if (p + 3 + length > to)
      return {
        offset: p + 1 - base,
        reason: `TLV 0x${type.toString(16).padStart(2, '0')} length ${length} runs ${p + 3 + length - to} byte(s) past the ${nested ? 'SSL TLV' : 'header'}`,
      };
    const value = b.slice(p + 3, p + 3 + length);
    const offset = p - base;
    if (nested && (type < 0x21 || type > 0x2f)) return { offset, reason: `TLV 0x${type.toString(16)} is not an SSL sub-TLV (0x21..0x2f)` };
    if (type === PROXY_TLV.crc32c && length !== 4) return { offset: offset + 1, reason: `CRC32C TLV length must be 4, got ${length}` };
    if (type === PROXY_TLV.uniqueId && length > 128) return { offset: offset + 1, reason: `UNIQUE_ID TLV length must be at most 128, got ${length}` };
    if (type === PROXY_TLV.ssl) {
      if (length < 5) return { offset: offset + 1, reason: `SSL TLV length must be at least 5 (client, verify), got ${length}` };
      const sub = parseTlvs(b, p + 8, p + 3 + length, base, true);
      if (!Array.isArray(sub)) return sub;
      out.push({ offset, type, length, value, ssl: { client: b[p + 3], verify: u32(b, p + 4), tlvs: sub } });
    } else if (TEXT_TLVS.has(type)) {
      out.push({ offset, type, length, value, text: utf8(value) });
    } else {
      out.push({ offset, type, length, value });
    }
    p += 3 + length;
  }
  return out;
}

function parseV2(b: Uint8Array, start: number, end: number, options: ProxyParseOptions): ProxyVerdict {
  if (end - start < PROXY_V2_FIXED) return { status: 'incomplete', version: 2 };
  const vc = b[start + 12];
  if (vc >> 4 !== 2) return invalid(2, 12, `version nibble must be 2, got ${vc >> 4}`);
  const cmd = vc & 0x0f;
  if (cmd > 1) return invalid(2, 12, `command must be 0 (LOCAL) or 1 (PROXY), got ${cmd}`);
  const command: ProxyCommand = cmd === 0 ? 'local' : 'proxy';
  const fb = b[start + 13];
  const fam = FAMILY_OF_BYTE.get(fb);
  if (fam === undefined)
    return invalid(2, 13, `address family/transport 0x${fb.toString(16).padStart(2, '0')} is not defined (0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32)`);
  const v2Length = u16(b, start + 14);
  const length = PROXY_V2_FIXED + v2Length;
  if (end - start < length) return { status: 'incomplete', version: 2 };
  const need = ADDRESS_BYTES[fam];
  if (v2Length < need) return invalid(2, 14, `length ${v2Length} is shorter than the ${need} address bytes of ${fam}`);
  const a = start + PROXY_V2_FIXED;
  const tlvs = parseTlvs(b, a + need, start + length, start, false);
  if (!Array.isArray(tlvs)) return invalid(2, tlvs.offset, tlvs.reason);
  let checksum: ProxyHeader['checksum'] = 'none';
  const crcTlv = tlvs.find((t) => t.type === PROXY_TLV.crc32c);
  if (crcTlv !== undefined) {
    const copy = b.slice(start, start + length);
    copy.fill(0, crcTlv.offset + 3, crcTlv.offset + 7);
    checksum = crc32c(copy) === u32(crcTlv.value, 0) ? 'good' : 'bad';
    if (checksum === 'bad' && (options.verifyChecksum ?? true)) return invalid(2, crcTlv.offset + 3, 'CRC32C does not match the header');
  }
  let addr: Pick<ProxyHeader, 'source' | 'destination' | 'sourcePort' | 'destinationPort'> = {};
  if (fam === 'tcp4' || fam === 'udp4') {
    addr = { source: formatIpv4(b, a), destination: formatIpv4(b, a + 4), sourcePort: u16(b, a + 8), destinationPort: u16(b, a + 10) };
  } else if (fam === 'tcp6' || fam === 'udp6') {
    addr = { source: formatIpv6(b, a), destination: formatIpv6(b, a + 16), sourcePort: u16(b, a + 32), destinationPort: u16(b, a + 34) };
  } else if (fam === 'unix-stream' || fam === 'unix-dgram') {
    addr = { source: unixPath(b, a), destination: unixPath(b, a + 108) };
  }
  return { status: 'ok', header: { version: 2, command, family: fam, ...addr, tlvs, checksum, length, v2Length } };
}

// ---- encoding -----------------------------------------------------------------------------------

export interface ProxyAddressSpec {
  readonly family: ProxyFamily;
  readonly source?: string;
  readonly destination?: string;
  readonly sourcePort?: number;
  readonly destinationPort?: number;
}

function checkPort(what: string, p: number | undefined): number {
  if (p === undefined || !(Number.isInteger(p) && p >= 0 && p <= 65535))
    throw new NetlabRangeError(`PROXY header: ${what} must be 0..65535, got ${p}`, { layer: 'wire' });
  return p;
}

/** "PROXY TCP4 src dst sport dport\r\n", or "PROXY UNKNOWN\r\n" for family unspec. v1 carries TCP only. */
export function encodeProxyV1(spec: ProxyAddressSpec): Uint8Array {
  if (spec.family === 'unspec') return new TextEncoder().encode('PROXY UNKNOWN\r\n');
  if (spec.family !== 'tcp4' && spec.family !== 'tcp6')
    throw new NetlabRangeError(`PROXY v1 carries TCP over IPv4 or IPv6 only, got ${spec.family}`, { layer: 'wire' });
  const six = spec.family === 'tcp6';
  const addr = (what: string, s: string | undefined): string => {
    const bytes = s === undefined ? undefined : six ? parseIpv6(s) : parseIpv4(s);
    if (bytes === undefined) throw new NetlabRangeError(`PROXY v1: ${what} ${String(s)} is not an ${six ? 'IPv6' : 'IPv4'} address`, { layer: 'wire' });
    return six ? formatIpv6(bytes) : formatIpv4(bytes);
  };
  const line = `PROXY ${six ? 'TCP6' : 'TCP4'} ${addr('source', spec.source)} ${addr('destination', spec.destination)} ${checkPort('source port', spec.sourcePort)} ${checkPort('destination port', spec.destinationPort)}\r\n`;
  return new TextEncoder().encode(line);
}

export interface ProxyTlvSpec {
  readonly type: number;
  readonly value: Uint8Array;
}

export interface ProxySslSpec {
  /** PP2_CLIENT_* bits (default: ssl). */
  readonly client?: number;
  /** 0 when the client certificate verified (default 0). */
  readonly verify?: number;
  readonly version?: string;
  readonly cn?: string;
  readonly cipher?: string;
  readonly sigAlg?: string;
  readonly keyAlg?: string;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Builders for the TLVs the specification defines. */
export const proxyTlv = {
  alpn: (protocol: string): ProxyTlvSpec => ({ type: PROXY_TLV.alpn, value: enc(protocol) }),
  authority: (host: string): ProxyTlvSpec => ({ type: PROXY_TLV.authority, value: enc(host) }),
  uniqueId: (id: Uint8Array | string): ProxyTlvSpec => {
    const value = typeof id === 'string' ? enc(id) : id;
    if (value.length > 128) throw new NetlabRangeError(`PROXY v2 UNIQUE_ID must be at most 128 bytes, got ${value.length}`, { layer: 'wire' });
    return { type: PROXY_TLV.uniqueId, value };
  },
  noop: (bytes: number): ProxyTlvSpec => ({ type: PROXY_TLV.noop, value: new Uint8Array(bytes) }),
  netns: (name: string): ProxyTlvSpec => ({ type: PROXY_TLV.netns, value: enc(name) }),
  ssl: (s: ProxySslSpec): ProxyTlvSpec => {
    const subs: Uint8Array[] = [];
    const add = (type: number, v: string | undefined): void => {
      if (v !== undefined) subs.push(tlvBytes({ type, value: enc(v) }));
    };
    add(PROXY_TLV.sslVersion, s.version);
    add(PROXY_TLV.sslCn, s.cn);
    add(PROXY_TLV.sslCipher, s.cipher);
    add(PROXY_TLV.sslSigAlg, s.sigAlg);
    add(PROXY_TLV.sslKeyAlg, s.keyAlg);
    const head = new Uint8Array(5);
    head[0] = s.client ?? PROXY_SSL_CLIENT.ssl;
    new DataView(head.buffer).setUint32(1, (s.verify ?? 0) >>> 0);
    return { type: PROXY_TLV.ssl, value: concatBytes([head, ...subs]) };
  },
};

function tlvBytes(t: ProxyTlvSpec): Uint8Array {
  if (!(Number.isInteger(t.type) && t.type >= 0 && t.type <= 255))
    throw new NetlabRangeError(`PROXY v2 TLV type must be 0..255, got ${t.type}`, { layer: 'wire' });
  if (t.value.length > 0xffff) throw new NetlabRangeError(`PROXY v2 TLV value must be at most 65535 bytes, got ${t.value.length}`, { layer: 'wire' });
  const out = new Uint8Array(3 + t.value.length);
  out[0] = t.type;
  out[1] = t.value.length >> 8;
  out[2] = t.value.length & 0xff;
  out.set(t.value, 3);
  return out;
}

export interface ProxyV2Spec extends ProxyAddressSpec {
  /** Default 'proxy'; 'local' is for the proxy's own connections (health checks). */
  readonly command?: ProxyCommand;
  readonly tlvs?: readonly ProxyTlvSpec[];
  /** Append a CRC32C TLV computed over the whole header. */
  readonly crc32c?: boolean;
}

function unixBytes(what: string, s: string | undefined): Uint8Array {
  const out = new Uint8Array(108);
  if (s === undefined) return out;
  const text = s.startsWith('@') ? `\0${s.slice(1)}` : s;
  if (text.length > 108) throw new NetlabRangeError(`PROXY v2: ${what} UNIX path is longer than 108 bytes`, { layer: 'wire' });
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 255) throw new NetlabRangeError(`PROXY v2: ${what} UNIX path must be Latin-1`, { layer: 'wire' });
    out[i] = c;
  }
  return out;
}

/** The binary v2 header. */
export function encodeProxyV2(spec: ProxyV2Spec): Uint8Array {
  const fam = spec.family;
  const command = spec.command ?? 'proxy';
  let addr: Uint8Array;
  if (fam === 'tcp4' || fam === 'udp4' || fam === 'tcp6' || fam === 'udp6') {
    const six = fam === 'tcp6' || fam === 'udp6';
    const parse = (what: string, s: string | undefined): Uint8Array => {
      const v = s === undefined ? undefined : six ? parseIpv6(s) : parseIpv4(s);
      if (v === undefined) throw new NetlabRangeError(`PROXY v2: ${what} ${String(s)} is not an ${six ? 'IPv6' : 'IPv4'} address`, { layer: 'wire' });
      return v;
    };
    const ports = new Uint8Array(4);
    const sp = checkPort('source port', spec.sourcePort);
    const dp = checkPort('destination port', spec.destinationPort);
    ports.set([sp >> 8, sp & 0xff, dp >> 8, dp & 0xff]);
    addr = concatBytes([parse('source', spec.source), parse('destination', spec.destination), ports]);
  } else if (fam === 'unix-stream' || fam === 'unix-dgram') {
    addr = concatBytes([unixBytes('source', spec.source), unixBytes('destination', spec.destination)]);
  } else {
    addr = new Uint8Array(0);
  }
  const tlvs = (spec.tlvs ?? []).map(tlvBytes);
  const crcAt = spec.crc32c === true ? PROXY_V2_FIXED + addr.length + tlvs.reduce((n, t) => n + t.length, 0) : -1;
  if (spec.crc32c === true) tlvs.push(tlvBytes({ type: PROXY_TLV.crc32c, value: new Uint8Array(4) }));
  const body = concatBytes([addr, ...tlvs]);
  if (body.length > 0xffff) throw new NetlabRangeError(`PROXY v2 header body must be at most 65535 bytes, got ${body.length}`, { layer: 'wire' });
  const out = new Uint8Array(PROXY_V2_FIXED + body.length);
  out.set(PROXY_V2_SIGNATURE, 0);
  out[12] = 0x20 | (command === 'proxy' ? 1 : 0);
  out[13] = PROXY_FAMILY_BYTE[fam];
  out[14] = body.length >> 8;
  out[15] = body.length & 0xff;
  out.set(body, PROXY_V2_FIXED);
  if (crcAt >= 0) new DataView(out.buffer, out.byteOffset).setUint32(crcAt + 3, crc32c(out));
  return out;
}

/** A v1 or v2 header for a connection from `source` to `destination` (IPv4 or IPv6 picked from the address). */
export function encodeProxyHeader(
  version: 1 | 2,
  conn: { source: string; sourcePort: number; destination: string; destinationPort: number; transport?: 'tcp' | 'udp' },
  extra: Omit<ProxyV2Spec, keyof ProxyAddressSpec> = {},
): Uint8Array {
  const src = stripMapped(conn.source);
  const dst = stripMapped(conn.destination);
  const six = src.includes(':') || dst.includes(':');
  const both6 = six ? { source: toV6(src), destination: toV6(dst) } : { source: src, destination: dst };
  const udp = conn.transport === 'udp';
  const family: ProxyFamily = six ? (udp ? 'udp6' : 'tcp6') : udp ? 'udp4' : 'tcp4';
  const spec = { family, ...both6, sourcePort: conn.sourcePort, destinationPort: conn.destinationPort };
  return version === 1 ? encodeProxyV1(spec) : encodeProxyV2({ ...spec, ...extra });
}

/** "::ffff:127.0.0.1" (how a dual-stack socket reports an IPv4 peer) as "127.0.0.1". */
export function stripMapped(a: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(a) ? a.slice(7) : a;
}

function toV6(a: string): string {
  return a.includes(':') ? a : `::ffff:${a}`;
}

/** One line naming a header, for logs. */
export function describeProxyHeader(h: ProxyHeader): string {
  const where =
    h.source === undefined
      ? 'no addresses'
      : h.sourcePort === undefined
        ? `${h.source} -> ${h.destination}`
        : `${h.source}:${h.sourcePort} -> ${h.destination}:${h.destinationPort}`;
  const tlvs = h.tlvs.length === 0 ? '' : ` [${h.tlvs.map((t) => PROXY_TLV_NAMES[t.type] ?? `0x${t.type.toString(16)}`).join(', ')}]`;
  return `PROXY v${h.version} ${h.command.toUpperCase()} ${h.family} ${where}${tlvs}`;
}
