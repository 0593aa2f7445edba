// TLS handshake messages (RFC 8446 §4, RFC 5246 §7.4): the 4-byte header (type, uint24 length) and
// the bodies netlab reads: ClientHello, ServerHello / HelloRetryRequest, Certificate,
// ServerKeyExchange (ECDHE), ClientKeyExchange (ECDHE), NewSessionTicket (TLS 1.2). Other messages
// keep their bytes. Offsets are absolute in the buffer parsed; a body cut short decodes as far as it
// goes and says where it stopped (`error`). Nothing here throws or allocates from a length field.

import { copyBytes, u16, u32 } from './layer.ts';
import { type HelloKind, parseExtensions, type TlsExtension } from './tls-extensions.ts';
import { EXTENSION, HANDSHAKE_TYPE, HELLO_RETRY_REQUEST_RANDOM, type KeyExchange } from './tls-names.ts';

export const HANDSHAKE_HEADER_LENGTH = 4;

export interface HandshakeHeader {
  offset: number;
  type: number;
  /** The uint24 length field. */
  length: number;
  bodyOffset: number;
  /** Bytes of the body present in the range (at most `length`). */
  available: number;
}

/** Where decoding a body stopped, and why. */
export interface BodyError {
  offset: number;
  reason: string;
}

export interface ClientHello {
  kind: 'client-hello';
  version: number;
  random: Uint8Array;
  sessionIdLength: number;
  sessionId: Uint8Array;
  cipherSuitesLength: number;
  cipherSuites: number[];
  compressionMethodsLength: number;
  compressionMethods: number[];
  /** Undefined when the message ends before the extensions (allowed in TLS 1.2). */
  extensionsLength?: number;
  extensions: TlsExtension[];
  /** Offsets of the fields whose position depends on earlier lengths. */
  at: { sessionIdLength: number; cipherSuitesLength: number; compressionMethodsLength: number; extensionsLength: number };
  error?: BodyError;
}

export interface ServerHello {
  kind: 'server-hello';
  /** True when the random is RFC 8446's HelloRetryRequest value. */
  helloRetryRequest: boolean;
  version: number;
  /** supported_versions' selection when present, else the version field. */
  selectedVersion: number;
  random: Uint8Array;
  sessionIdLength: number;
  sessionId: Uint8Array;
  cipherSuite: number;
  compressionMethod: number;
  extensionsLength?: number;
  extensions: TlsExtension[];
  at: { sessionIdLength: number; cipherSuite: number; compressionMethod: number; extensionsLength: number };
  error?: BodyError;
}

export interface CertificateList {
  kind: 'certificate';
  /** TLS 1.3: the certificate_request_context. */
  context?: Uint8Array;
  certificatesLength: number;
  certificates: { offset: number; length: number; der: Uint8Array; extensionsLength?: number }[];
  at: { certificatesLength: number };
  error?: BodyError;
}

export interface EcdheServerParams {
  kind: 'server-key-exchange-ecdhe';
  curveType: number;
  namedCurve: number;
  pointLength: number;
  point: Uint8Array;
  /** TLS 1.2 signature scheme (absent in TLS 1.0/1.1). */
  signatureScheme?: number;
  signatureLength?: number;
  signature?: Uint8Array;
  at: { point: number; signatureScheme: number; signatureLength: number };
  error?: BodyError;
}

export interface EcdheClientParams {
  kind: 'client-key-exchange-ecdhe';
  pointLength: number;
  point: Uint8Array;
  error?: BodyError;
}

export interface NewSessionTicket12 {
  kind: 'new-session-ticket';
  lifetimeHint: number;
  ticketLength: number;
  ticket: Uint8Array;
  error?: BodyError;
}

export interface CertificateRequest12 {
  kind: 'certificate-request';
  certTypesCount: number;
  certTypes: number[];
  /** TLS 1.2: the signature schemes the server accepts. */
  signatureSchemesLength?: number;
  signatureSchemes: number[];
  distinguishedNamesLength: number;
  /** Each DER-encoded name: where its length field is, its length, its bytes. */
  distinguishedNames: { offset: number; length: number; der: Uint8Array }[];
  at: { signatureSchemesLength: number; distinguishedNamesLength: number };
  error?: BodyError;
}

export interface CertificateVerify12 {
  kind: 'certificate-verify';
  /** TLS 1.2's explicit scheme. */
  signatureScheme?: number;
  signatureLength: number;
  signature: Uint8Array;
  at: { signatureLength: number };
  error?: BodyError;
}

export interface OpaqueHandshake {
  kind: 'opaque';
  data: Uint8Array;
}

export type HandshakeBody =
  | ClientHello
  | ServerHello
  | CertificateList
  | EcdheServerParams
  | EcdheClientParams
  | NewSessionTicket12
  | CertificateRequest12
  | CertificateVerify12
  | OpaqueHandshake;

/** What a body's layout depends on: the negotiated version and key exchange. */
export interface HandshakeContext {
  /** The session's version once the ServerHello chose it (0x0304 for TLS 1.3). */
  version?: number;
  keyExchange?: KeyExchange;
}

/** Reads a handshake header at `offset`, or undefined when fewer than 4 bytes remain. */
export function parseHandshakeHeader(b: Uint8Array, offset: number, end = b.length): HandshakeHeader | undefined {
  const stop = Math.min(end, b.length);
  if (offset < 0 || stop - offset < HANDSHAKE_HEADER_LENGTH) return undefined;
  const length = (b[offset + 1] << 16) | u16(b, offset + 2);
  const bodyOffset = offset + HANDSHAKE_HEADER_LENGTH;
  return { offset, type: b[offset], length, bodyOffset, available: Math.min(length, stop - bodyOffset) };
}

/** A cursor over [pos, end) that records the first place a field did not fit. */
class Reader {
  error: BodyError | undefined;
  constructor(
    readonly b: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}
  has(n: number, what: string): boolean {
    if (this.error !== undefined) return false;
    if (this.end - this.pos >= n) return true;
    this.error = { offset: this.pos, reason: `${what} cut short` };
    return false;
  }
  u8(what: string): number | undefined {
    if (!this.has(1, what)) return undefined;
    return this.b[this.pos++];
  }
  u16(what: string): number | undefined {
    if (!this.has(2, what)) return undefined;
    const v = u16(this.b, this.pos);
    this.pos += 2;
    return v;
  }
  u24(what: string): number | undefined {
    if (!this.has(3, what)) return undefined;
    const v = (this.b[this.pos] << 16) | u16(this.b, this.pos + 1);
    this.pos += 3;
    return v;
  }
  /** `n` bytes, or as many as there are (noting the shortfall). */
  bytes(n: number, what: string): Uint8Array {
    const avail = Math.max(0, Math.min(n, this.end - this.pos));
    const v = copyBytes(this.b, this.pos, this.pos + avail);
    if (avail < n && this.error === undefined) this.error = { offset: this.pos, reason: `${what} cut short` };
    this.pos += avail;
    return v;
  }
}

/** Decodes a ClientHello body in [start, end). */
export function decodeClientHello(b: Uint8Array, start: number, end: number): ClientHello {
  const r = new Reader(b, start, Math.min(end, b.length));
  const h: ClientHello = {
    kind: 'client-hello',
    version: 0,
    random: new Uint8Array(0),
    sessionIdLength: 0,
    sessionId: new Uint8Array(0),
    cipherSuitesLength: 0,
    cipherSuites: [],
    compressionMethodsLength: 0,
    compressionMethods: [],
    extensions: [],
    at: { sessionIdLength: start + 34, cipherSuitesLength: -1, compressionMethodsLength: -1, extensionsLength: -1 },
  };
  h.version = r.u16('version') ?? 0;
  h.random = r.bytes(32, 'random');
  h.at.sessionIdLength = r.pos;
  h.sessionIdLength = r.u8('session ID length') ?? 0;
  h.sessionId = r.bytes(h.sessionIdLength, 'session ID');
  h.at.cipherSuitesLength = r.pos;
  h.cipherSuitesLength = r.u16('cipher suites length') ?? 0;
  for (let i = 0; i + 2 <= h.cipherSuitesLength; i += 2) {
    const s = r.u16('cipher suites');
    if (s === undefined) break;
    h.cipherSuites.push(s);
  }
  if (h.cipherSuitesLength % 2 === 1) r.bytes(1, 'cipher suites');
  h.at.compressionMethodsLength = r.pos;
  h.compressionMethodsLength = r.u8('compression methods length') ?? 0;
  for (let i = 0; i < h.compressionMethodsLength; i++) {
    const m = r.u8('compression methods');
    if (m === undefined) break;
    h.compressionMethods.push(m);
  }
  readExtensions(r, h, 'client');
  if (r.error !== undefined) h.error = r.error;
  return h;
}

function readExtensions(
  r: Reader,
  h: { extensionsLength?: number; extensions: TlsExtension[]; at: { extensionsLength: number }; error?: BodyError },
  kind: HelloKind,
): void {
  if (r.error !== undefined || r.pos >= r.end) return;
  h.at.extensionsLength = r.pos;
  const len = r.u16('extensions length');
  if (len === undefined) return;
  h.extensionsLength = len;
  const stop = Math.min(r.pos + len, r.end);
  h.extensions = parseExtensions(r.b, r.pos, stop, kind);
  const bad = h.extensions.find((e) => e.error !== undefined);
  if (r.pos + len > r.end) r.error = { offset: r.end, reason: 'extensions cut short' };
  else if (bad !== undefined) r.error = { offset: bad.offset, reason: `${bad.type}: ${bad.error}` };
  r.pos = stop;
}

/** True when a ServerHello's random marks it as a HelloRetryRequest. */
export function isHelloRetryRandom(random: Uint8Array): boolean {
  if (random.length !== 32) return false;
  for (let i = 0; i < 32; i++) if (random[i] !== HELLO_RETRY_REQUEST_RANDOM[i]) return false;
  return true;
}

/** Decodes a ServerHello (or HelloRetryRequest) body in [start, end). */
export function decodeServerHello(b: Uint8Array, start: number, end: number): ServerHello {
  const r = new Reader(b, start, Math.min(end, b.length));
  const h: ServerHello = {
    kind: 'server-hello',
    helloRetryRequest: false,
    version: 0,
    selectedVersion: 0,
    random: new Uint8Array(0),
    sessionIdLength: 0,
    sessionId: new Uint8Array(0),
    cipherSuite: 0,
    compressionMethod: 0,
    extensions: [],
    at: { sessionIdLength: start + 34, cipherSuite: -1, compressionMethod: -1, extensionsLength: -1 },
  };
  h.version = r.u16('version') ?? 0;
  h.random = r.bytes(32, 'random');
  h.helloRetryRequest = isHelloRetryRandom(h.random);
  h.at.sessionIdLength = r.pos;
  h.sessionIdLength = r.u8('session ID length') ?? 0;
  h.sessionId = r.bytes(h.sessionIdLength, 'session ID');
  h.at.cipherSuite = r.pos;
  h.cipherSuite = r.u16('cipher suite') ?? 0;
  h.at.compressionMethod = r.pos;
  h.compressionMethod = r.u8('compression method') ?? 0;
  readExtensions(r, h, h.helloRetryRequest ? 'hrr' : 'server');
  const sv = h.extensions.find((e) => e.type === EXTENSION.supportedVersions);
  h.selectedVersion = sv !== undefined && sv.body.kind === 'supported_versions' && sv.body.versions.length > 0 ? sv.body.versions[0] : h.version;
  if (r.error !== undefined) h.error = r.error;
  return h;
}

/** Decodes a Certificate body (TLS 1.2 list, or TLS 1.3 with context and per-entry extensions). */
export function decodeCertificate(b: Uint8Array, start: number, end: number, tls13: boolean): CertificateList {
  const r = new Reader(b, start, Math.min(end, b.length));
  const c: CertificateList = { kind: 'certificate', certificatesLength: 0, certificates: [], at: { certificatesLength: start } };
  if (tls13) {
    const n = r.u8('certificate request context length') ?? 0;
    c.context = r.bytes(n, 'certificate request context');
  }
  c.at.certificatesLength = r.pos;
  c.certificatesLength = r.u24('certificates length') ?? 0;
  const stop = Math.min(r.pos + c.certificatesLength, r.end);
  while (r.error === undefined && stop - r.pos >= 3) {
    const offset = r.pos;
    const len = r.u24('certificate length') ?? 0;
    const avail = Math.min(len, stop - r.pos);
    const der = copyBytes(b, r.pos, r.pos + avail);
    r.pos += avail;
    const entry: { offset: number; length: number; der: Uint8Array; extensionsLength?: number } = { offset, length: len, der };
    c.certificates.push(entry);
    if (avail < len) {
      r.error = { offset: r.pos, reason: 'certificate cut short' };
      break;
    }
    if (tls13 && stop - r.pos >= 2) {
      entry.extensionsLength = u16(b, r.pos);
      r.pos = Math.min(r.pos + 2 + entry.extensionsLength, stop);
    }
  }
  if (c.error === undefined && r.error !== undefined) c.error = r.error;
  return c;
}

/** Decodes an ECDHE ServerKeyExchange (RFC 8422 §5.4); `signed` for TLS 1.2's explicit scheme. */
export function decodeEcdheServerParams(b: Uint8Array, start: number, end: number, tls12: boolean): EcdheServerParams {
  const r = new Reader(b, start, Math.min(end, b.length));
  const p: EcdheServerParams = {
    kind: 'server-key-exchange-ecdhe',
    curveType: 0,
    namedCurve: 0,
    pointLength: 0,
    point: new Uint8Array(0),
    at: { point: -1, signatureScheme: -1, signatureLength: -1 },
  };
  p.curveType = r.u8('curve type') ?? 0;
  p.namedCurve = r.u16('named curve') ?? 0;
  p.pointLength = r.u8('public key length') ?? 0;
  p.at.point = r.pos;
  p.point = r.bytes(p.pointLength, 'public key');
  if (r.error === undefined && r.pos < r.end) {
    if (tls12) {
      p.at.signatureScheme = r.pos;
      p.signatureScheme = r.u16('signature scheme');
    }
    p.at.signatureLength = r.pos;
    p.signatureLength = r.u16('signature length');
    if (p.signatureLength !== undefined) p.signature = r.bytes(p.signatureLength, 'signature');
  }
  if (r.error !== undefined) p.error = r.error;
  return p;
}

/** Decodes an ECDHE ClientKeyExchange: the client's public point. */
export function decodeEcdheClientParams(b: Uint8Array, start: number, end: number): EcdheClientParams {
  const r = new Reader(b, start, Math.min(end, b.length));
  const p: EcdheClientParams = { kind: 'client-key-exchange-ecdhe', pointLength: 0, point: new Uint8Array(0) };
  p.pointLength = r.u8('public key length') ?? 0;
  p.point = r.bytes(p.pointLength, 'public key');
  if (r.error !== undefined) p.error = r.error;
  return p;
}

/** Decodes a TLS 1.2 NewSessionTicket (RFC 5077 §3.3). */
export function decodeNewSessionTicket12(b: Uint8Array, start: number, end: number): NewSessionTicket12 {
  const r = new Reader(b, start, Math.min(end, b.length));
  const t: NewSessionTicket12 = { kind: 'new-session-ticket', lifetimeHint: 0, ticketLength: 0, ticket: new Uint8Array(0) };
  if (r.has(4, 'ticket lifetime hint')) {
    t.lifetimeHint = u32(b, r.pos);
    r.pos += 4;
  }
  t.ticketLength = r.u16('ticket length') ?? 0;
  t.ticket = r.bytes(t.ticketLength, 'ticket');
  if (r.error !== undefined) t.error = r.error;
  return t;
}

/** Decodes a TLS 1.0-1.2 CertificateRequest (RFC 5246 §7.4.4); `tls12` adds the signature schemes. */
export function decodeCertificateRequest12(b: Uint8Array, start: number, end: number, tls12: boolean): CertificateRequest12 {
  const r = new Reader(b, start, Math.min(end, b.length));
  const c: CertificateRequest12 = {
    kind: 'certificate-request',
    certTypesCount: 0,
    certTypes: [],
    signatureSchemes: [],
    distinguishedNamesLength: 0,
    distinguishedNames: [],
    at: { signatureSchemesLength: -1, distinguishedNamesLength: -1 },
  };
  c.certTypesCount = r.u8('certificate types count') ?? 0;
  for (let i = 0; i < c.certTypesCount; i++) {
    const t = r.u8('certificate types');
    if (t === undefined) break;
    c.certTypes.push(t);
  }
  if (tls12) {
    c.at.signatureSchemesLength = r.pos;
    c.signatureSchemesLength = r.u16('signature algorithms length');
    const n = c.signatureSchemesLength ?? 0;
    for (let i = 0; i + 2 <= n; i += 2) {
      const v = r.u16('signature algorithms');
      if (v === undefined) break;
      c.signatureSchemes.push(v);
    }
    if (n % 2 === 1) r.bytes(1, 'signature algorithms');
  }
  c.at.distinguishedNamesLength = r.pos;
  c.distinguishedNamesLength = r.u16('distinguished names length') ?? 0;
  const stop = Math.min(r.pos + c.distinguishedNamesLength, r.end);
  while (r.error === undefined && stop - r.pos >= 2) {
    const offset = r.pos;
    const len = u16(b, r.pos);
    r.pos += 2;
    const avail = Math.min(len, stop - r.pos);
    c.distinguishedNames.push({ offset, length: len, der: copyBytes(b, r.pos, r.pos + avail) });
    r.pos += avail;
    if (avail < len) r.error = { offset: r.pos, reason: 'distinguished name cut short' };
  }
  if (r.error === undefined && c.at.distinguishedNamesLength + 2 + c.distinguishedNamesLength > r.end)
    r.error = { offset: r.end, reason: 'distinguished names cut short' };
  if (r.error !== undefined) c.error = r.error;
  return c;
}

/** Decodes a TLS 1.0-1.2 CertificateVerify; `tls12` reads the explicit signature scheme first. */
export function decodeCertificateVerify12(b: Uint8Array, start: number, end: number, tls12: boolean): CertificateVerify12 {
  const r = new Reader(b, start, Math.min(end, b.length));
  const v: CertificateVerify12 = { kind: 'certificate-verify', signatureLength: 0, signature: new Uint8Array(0), at: { signatureLength: start } };
  if (tls12) v.signatureScheme = r.u16('signature scheme');
  v.at.signatureLength = r.pos;
  v.signatureLength = r.u16('signature length') ?? 0;
  v.signature = r.bytes(v.signatureLength, 'signature');
  if (r.error !== undefined) v.error = r.error;
  return v;
}

/** Decodes the body of a handshake message whose header is `h`, within the bytes present. */
export function decodeHandshakeBody(b: Uint8Array, h: HandshakeHeader, ctx: HandshakeContext = {}): HandshakeBody {
  const body = decodeBody(b, h, ctx);
  // A message cut short may still read as a shorter valid one (a ClientHello without extensions).
  if (h.available < h.length && body.kind !== 'opaque' && body.error === undefined)
    body.error = { offset: h.bodyOffset + h.available, reason: 'handshake message cut short' };
  return body;
}

function decodeBody(b: Uint8Array, h: HandshakeHeader, ctx: HandshakeContext): HandshakeBody {
  const start = h.bodyOffset;
  const end = h.bodyOffset + h.available;
  const tls13 = ctx.version === 0x0304;
  switch (h.type) {
    case HANDSHAKE_TYPE.clientHello:
      return decodeClientHello(b, start, end);
    case HANDSHAKE_TYPE.serverHello:
      return decodeServerHello(b, start, end);
    case HANDSHAKE_TYPE.certificate:
      return decodeCertificate(b, start, end, tls13);
    case HANDSHAKE_TYPE.serverKeyExchange:
      if (ctx.keyExchange === 'ecdhe') return decodeEcdheServerParams(b, start, end, ctx.version === 0x0303);
      break;
    case HANDSHAKE_TYPE.clientKeyExchange:
      if (ctx.keyExchange === 'ecdhe') return decodeEcdheClientParams(b, start, end);
      break;
    case HANDSHAKE_TYPE.newSessionTicket:
      if (!tls13) return decodeNewSessionTicket12(b, start, end);
      break;
    case HANDSHAKE_TYPE.certificateRequest:
      if (ctx.version !== undefined && ctx.version >= 0x0300 && ctx.version <= 0x0303) return decodeCertificateRequest12(b, start, end, ctx.version === 0x0303);
      break;
    case HANDSHAKE_TYPE.certificateVerify:
      if (ctx.version !== undefined && ctx.version >= 0x0300 && ctx.version <= 0x0303) return decodeCertificateVerify12(b, start, end, ctx.version === 0x0303);
      break;
  }
  return { kind: 'opaque', data: copyBytes(b, start, end) };
}
