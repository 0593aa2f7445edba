// STUN (RFC 5389) messages with the RFC 5780 behaviour-discovery attributes: a pure codec, no I/O.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |0 0|     STUN Message Type     |         Message Length        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                         Magic Cookie  0x2112A442              |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                     Transaction ID (96 bits)                  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  Attribute Type               |  Attribute Length             |  then the value,
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  padded to 4 bytes
//
// The message type interleaves a 12-bit method (M11..M0) and a 2-bit class (C1 C0) as
// M11-M7 C1 M6-M4 C0 M3-M0. XOR-MAPPED-ADDRESS carries the port XORed with the cookie's top 16 bits
// and the IPv4 address XORed with the cookie (IPv6: cookie + transaction ID). FINGERPRINT is the
// CRC-32 of the message before it (with the length field already counting it) XOR 0x5354554E.
// Decoding never throws: what cannot be read is listed in `malformed` and decoding stops there.

import { NetlabRangeError } from '../base/errors.ts';
import { crc32 } from './crc32.ts';
import { malformation, type Malformation } from './layer.ts';

export const STUN_MAGIC_COOKIE = 0x2112a442;
export const STUN_FINGERPRINT_XOR = 0x5354554e;
export const STUN_HEADER_LEN = 20;
/** The IANA port of STUN (RFC 5389 §9). */
export const STUN_PORT = 3478;

// Byte ranges of the header.
export const STUN_TYPE = { start: 0, end: 2 } as const;
export const STUN_LENGTH = { start: 2, end: 4 } as const;
export const STUN_COOKIE = { start: 4, end: 8 } as const;
export const STUN_TRANSACTION_ID = { start: 8, end: 20 } as const;

export const STUN_CLASS = { REQUEST: 0, INDICATION: 1, SUCCESS: 2, ERROR: 3 } as const;
export type StunClass = (typeof STUN_CLASS)[keyof typeof STUN_CLASS];
export const STUN_CLASS_NAMES = ['Request', 'Indication', 'Success Response', 'Error Response'] as const;

export const STUN_METHOD = { BINDING: 0x001 } as const;

/** Attribute types (RFC 5389 §18.2, RFC 5780 §9.1, RFC 3489's RESPONSE-ADDRESS). */
export const STUN_ATTR = {
  MAPPED_ADDRESS: 0x0001,
  RESPONSE_ADDRESS: 0x0002,
  CHANGE_REQUEST: 0x0003,
  SOURCE_ADDRESS: 0x0004,
  CHANGED_ADDRESS: 0x0005,
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  UNKNOWN_ATTRIBUTES: 0x000a,
  REALM: 0x0014,
  NONCE: 0x0015,
  XOR_MAPPED_ADDRESS: 0x0020,
  PADDING: 0x0026,
  RESPONSE_PORT: 0x0027,
  SOFTWARE: 0x8022,
  ALTERNATE_SERVER: 0x8023,
  FINGERPRINT: 0x8028,
  RESPONSE_ORIGIN: 0x802b,
  OTHER_ADDRESS: 0x802c,
} as const;

export const STUN_ATTR_NAMES: Readonly<Record<number, string>> = {
  0x0001: 'MAPPED-ADDRESS',
  0x0002: 'RESPONSE-ADDRESS',
  0x0003: 'CHANGE-REQUEST',
  0x0004: 'SOURCE-ADDRESS',
  0x0005: 'CHANGED-ADDRESS',
  0x0006: 'USERNAME',
  0x0008: 'MESSAGE-INTEGRITY',
  0x0009: 'ERROR-CODE',
  0x000a: 'UNKNOWN-ATTRIBUTES',
  0x0014: 'REALM',
  0x0015: 'NONCE',
  0x0020: 'XOR-MAPPED-ADDRESS',
  0x0026: 'PADDING',
  0x0027: 'RESPONSE-PORT',
  0x8022: 'SOFTWARE',
  0x8023: 'ALTERNATE-SERVER',
  0x8028: 'FINGERPRINT',
  0x802b: 'RESPONSE-ORIGIN',
  0x802c: 'OTHER-ADDRESS',
};

/** CHANGE-REQUEST flag bits (RFC 5780 §7.2). */
export const STUN_CHANGE_IP = 0x4;
export const STUN_CHANGE_PORT = 0x2;

/** Attributes holding an address in the plain (RFC 3489) form. */
const PLAIN_ADDRESS = new Set<number>([0x0001, 0x0002, 0x0004, 0x0005, 0x8023, 0x802b, 0x802c]);
const TEXT = new Set<number>([0x0006, 0x0014, 0x0015, 0x8022]);

/** One attribute, as its meaning. Decoded attributes also carry where they sit. */
export type StunAttribute = (
  | { type: number; kind: 'address'; family: 4 | 6; address: string; port: number }
  | { type: 0x0020; kind: 'xor-address'; family: 4 | 6; address: string; port: number }
  | { type: 0x0003; kind: 'change-request'; changeIp: boolean; changePort: boolean }
  | { type: 0x0009; kind: 'error-code'; code: number; reason: string }
  | { type: number; kind: 'text'; value: string }
  | { type: 0x8028; kind: 'fingerprint'; value?: number }
  | { type: 0x0027; kind: 'response-port'; port: number }
  | { type: 0x0026; kind: 'padding'; length: number }
  | { type: 0x000a; kind: 'unknown-attributes'; types: number[] }
  | { type: number; kind: 'raw'; value: Uint8Array }
) & {
  /** Offset of the attribute header inside the message, and its value length (decoded messages only). */
  at?: number;
  valueLength?: number;
};

export interface StunMessage {
  cls: StunClass;
  method: number;
  /** 12 bytes. */
  transactionId: Uint8Array;
  attributes: StunAttribute[];
}

export interface DecodedStun extends StunMessage {
  /** The Message Type field. */
  type: number;
  /** The Message Length field. */
  length: number;
  cookie: number;
  /** FINGERPRINT present and verified: 'good', 'bad', or 'none'. */
  fingerprint: 'good' | 'bad' | 'none';
  /** The FINGERPRINT value the bytes before it call for (when there is one). */
  fingerprintComputed?: number;
  /** An attribute whose length runs past the message: its offset, type and length field (decoding stopped there). */
  truncatedAttribute?: { at: number; type: number; length: number };
}

export interface StunDecodeResult {
  /** Undefined when not even the header could be read. */
  message: DecodedStun | undefined;
  malformed: Malformation[];
}

/** The message type for a method and class (RFC 5389 §6). */
export function stunType(method: number, cls: StunClass): number {
  return ((method & 0xf80) << 2) | ((method & 0x070) << 1) | (method & 0x00f) | ((cls & 2) << 7) | ((cls & 1) << 4);
}

/** The method and class of a message type. */
export function stunMethodClass(type: number): { method: number; cls: StunClass } {
  const method = ((type & 0x3e00) >>> 2) | ((type & 0x00e0) >>> 1) | (type & 0x000f);
  const cls = (((type >>> 7) & 2) | ((type >>> 4) & 1)) as StunClass;
  return { method, cls };
}

function rd16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}
function rd32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/**
 * True when `b` looks like an RFC 5389 message (what Wireshark's heuristic checks): the top two bits
 * zero, the magic cookie, a length that is a multiple of 4 and equals the bytes after the header.
 */
export function isStunMessage(b: Uint8Array): boolean {
  if (b.length < STUN_HEADER_LEN || (b[0] & 0xc0) !== 0) return false;
  const len = rd16(b, 2);
  return rd32(b, 4) === STUN_MAGIC_COOKIE && len % 4 === 0 && len + STUN_HEADER_LEN === b.length;
}

function addressText(b: Uint8Array, o: number, family: 4 | 6): string {
  if (family === 4) return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(rd16(b, o + i).toString(16));
  return compressV6(parts);
}

function compressV6(parts: string[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return parts.join(':');
  return `${parts.slice(0, best).join(':')}::${parts.slice(best + bestLen).join(':')}`;
}

/** Decodes a STUN message from `b` (the whole UDP payload). Never throws. */
export function decodeStun(b: Uint8Array): StunDecodeResult {
  const malformed: Malformation[] = [];
  if (b.length < STUN_HEADER_LEN) {
    malformed.push(malformation('stun', 0, `STUN header needs 20 bytes, only ${b.length} present`));
    return { message: undefined, malformed };
  }
  const type = rd16(b, 0);
  const length = rd16(b, 2);
  const cookie = rd32(b, 4);
  if ((type & 0xc000) !== 0) malformed.push(malformation('stun', 0, `STUN message type 0x${type.toString(16).padStart(4, '0')} has its top two bits set`));
  if (cookie !== STUN_MAGIC_COOKIE) malformed.push(malformation('stun', 4, `STUN magic cookie is 0x${cookie.toString(16).padStart(8, '0')}, not 0x2112a442`));
  if (length % 4 !== 0) malformed.push(malformation('stun', 2, `STUN message length ${length} is not a multiple of 4`));
  const end = Math.min(b.length, STUN_HEADER_LEN + length);
  if (STUN_HEADER_LEN + length > b.length) {
    malformed.push(malformation('stun', 2, `STUN message length ${length} runs past the ${b.length - STUN_HEADER_LEN} bytes after the header`));
  }
  const { method, cls } = stunMethodClass(type);
  const transactionId = b.slice(8, 20);
  const attributes: StunAttribute[] = [];
  let fingerprint: DecodedStun['fingerprint'] = 'none';
  let fingerprintComputed: number | undefined;
  let truncatedAttribute: DecodedStun['truncatedAttribute'];
  let o = STUN_HEADER_LEN;
  while (o < end) {
    if (o + 4 > end) {
      malformed.push(malformation('stun', o, `STUN attribute header needs 4 bytes, only ${end - o} left`));
      break;
    }
    const at = rd16(b, o);
    const len = rd16(b, o + 2);
    const v = o + 4;
    if (v + len > end) {
      malformed.push(
        malformation('stun', o + 2, `STUN attribute 0x${at.toString(16).padStart(4, '0')} length ${len} runs past the message (${end - v} bytes left)`),
      );
      truncatedAttribute = { at: o, type: at, length: len };
      break;
    }
    const attr = decodeAttribute(b, at, v, len, transactionId, malformed);
    attr.at = o;
    attr.valueLength = len;
    attributes.push(attr);
    if (attr.kind === 'fingerprint' && attr.value !== undefined) {
      const want = (crc32(b, 0, o) ^ STUN_FINGERPRINT_XOR) >>> 0;
      fingerprint = want === attr.value ? 'good' : 'bad';
      fingerprintComputed = want;
    }
    o = v + ((len + 3) & ~3);
  }
  const message: DecodedStun = { type, length, cookie, cls, method, transactionId, attributes, fingerprint };
  if (truncatedAttribute !== undefined) message.truncatedAttribute = truncatedAttribute;
  if (fingerprintComputed !== undefined) message.fingerprintComputed = fingerprintComputed;
  return { message, malformed };
}

function decodeAttribute(b: Uint8Array, type: number, v: number, len: number, tid: Uint8Array, malformed: Malformation[]): StunAttribute {
  const raw = (): StunAttribute => ({ type, kind: 'raw', value: b.slice(v, v + len) });
  const bad = (why: string): StunAttribute => {
    malformed.push(malformation('stun', v, `STUN ${STUN_ATTR_NAMES[type] ?? `attribute 0x${type.toString(16)}`} ${why}`));
    return raw();
  };
  if (PLAIN_ADDRESS.has(type) || type === STUN_ATTR.XOR_MAPPED_ADDRESS) {
    if (len < 4) return bad(`value needs at least 4 bytes, has ${len}`);
    const fam = b[v + 1];
    if (fam !== 1 && fam !== 2) return bad(`address family 0x${fam.toString(16).padStart(2, '0')} is neither IPv4 (1) nor IPv6 (2)`);
    const family = fam === 1 ? 4 : 6;
    const need = family === 4 ? 8 : 20;
    if (len !== need) return bad(`value of an IPv${family} address is ${need} bytes, has ${len}`);
    if (type !== STUN_ATTR.XOR_MAPPED_ADDRESS) return { type, kind: 'address', family, address: addressText(b, v + 4, family), port: rd16(b, v + 2) };
    const port = rd16(b, v + 2) ^ (STUN_MAGIC_COOKIE >>> 16);
    const a = new Uint8Array(need - 4);
    const key = new Uint8Array(16);
    key.set([0x21, 0x12, 0xa4, 0x42]);
    key.set(tid, 4);
    for (let i = 0; i < a.length; i++) a[i] = b[v + 4 + i] ^ key[i];
    return { type: STUN_ATTR.XOR_MAPPED_ADDRESS, kind: 'xor-address', family, address: addressText(a, 0, family), port };
  }
  if (TEXT.has(type)) return { type, kind: 'text', value: Buffer.from(b.buffer, b.byteOffset + v, len).toString('utf8') };
  switch (type) {
    case STUN_ATTR.CHANGE_REQUEST: {
      if (len !== 4) return bad(`value is 4 bytes, has ${len}`);
      const f = rd32(b, v);
      return { type, kind: 'change-request', changeIp: (f & STUN_CHANGE_IP) !== 0, changePort: (f & STUN_CHANGE_PORT) !== 0 };
    }
    case STUN_ATTR.ERROR_CODE: {
      if (len < 4) return bad(`value needs at least 4 bytes, has ${len}`);
      const code = (b[v + 2] & 7) * 100 + b[v + 3];
      return { type, kind: 'error-code', code, reason: Buffer.from(b.buffer, b.byteOffset + v + 4, len - 4).toString('utf8') };
    }
    case STUN_ATTR.FINGERPRINT:
      if (len !== 4) return bad(`value is 4 bytes, has ${len}`);
      return { type, kind: 'fingerprint', value: rd32(b, v) };
    case STUN_ATTR.RESPONSE_PORT:
      if (len !== 4) return bad(`value is 4 bytes, has ${len}`);
      return { type, kind: 'response-port', port: rd16(b, v) };
    case STUN_ATTR.PADDING:
      return { type, kind: 'padding', length: len };
    case STUN_ATTR.UNKNOWN_ATTRIBUTES: {
      if (len % 2 !== 0) return bad(`value length ${len} is odd`);
      const types: number[] = [];
      for (let i = 0; i < len; i += 2) types.push(rd16(b, v + i));
      return { type, kind: 'unknown-attributes', types };
    }
    default:
      return raw();
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

export interface StunEncodeOptions {
  /** Append a FINGERPRINT attribute (computed). Default false. */
  fingerprint?: boolean;
}

function addressBytes(address: string, family: 4 | 6): Uint8Array {
  if (family === 4) {
    const p = address.split('.');
    const out = new Uint8Array(4);
    if (p.length !== 4) throw new NetlabRangeError(`STUN: ${address} is not an IPv4 address`, { layer: 'wire' });
    p.forEach((x, i) => {
      const n = Number(x);
      if (!/^\d{1,3}$/.test(x) || n > 255) throw new NetlabRangeError(`STUN: ${address} is not an IPv4 address`, { layer: 'wire' });
      out[i] = n;
    });
    return out;
  }
  const halves = address.split('::');
  if (halves.length > 2) throw new NetlabRangeError(`STUN: ${address} is not an IPv6 address`, { layer: 'wire' });
  const head = halves[0] === '' ? [] : halves[0].split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1].split(':')) : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const words = [...head, ...Array<string>(Math.max(0, fill)).fill('0'), ...tail];
  if (words.length !== 8 || words.some((w) => !/^[0-9a-fA-F]{1,4}$/.test(w)))
    throw new NetlabRangeError(`STUN: ${address} is not an IPv6 address`, { layer: 'wire' });
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    const n = Number.parseInt(w, 16);
    out[2 * i] = n >>> 8;
    out[2 * i + 1] = n & 0xff;
  });
  return out;
}

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new NetlabRangeError(`STUN ${what} port must be 0..65535, got ${port}`, { layer: 'wire' });
}

function attributeValue(a: StunAttribute, tid: Uint8Array): Uint8Array {
  switch (a.kind) {
    case 'address':
    case 'xor-address': {
      checkPort(a.port, STUN_ATTR_NAMES[a.type] ?? 'address');
      const ab = addressBytes(a.address, a.family);
      const out = new Uint8Array(4 + ab.length);
      out[1] = a.family === 4 ? 1 : 2;
      let port = a.port;
      if (a.kind === 'xor-address') {
        port ^= STUN_MAGIC_COOKIE >>> 16;
        const key = new Uint8Array(16);
        key.set([0x21, 0x12, 0xa4, 0x42]);
        key.set(tid, 4);
        for (let i = 0; i < ab.length; i++) ab[i] ^= key[i];
      }
      out[2] = port >>> 8;
      out[3] = port & 0xff;
      out.set(ab, 4);
      return out;
    }
    case 'change-request':
      return Uint8Array.of(0, 0, 0, (a.changeIp ? STUN_CHANGE_IP : 0) | (a.changePort ? STUN_CHANGE_PORT : 0));
    case 'error-code': {
      if (!Number.isInteger(a.code) || a.code < 300 || a.code > 699)
        throw new NetlabRangeError(`STUN error code must be 300..699, got ${a.code}`, { layer: 'wire' });
      const reason = Buffer.from(a.reason, 'utf8');
      const out = new Uint8Array(4 + reason.length);
      out[2] = Math.floor(a.code / 100);
      out[3] = a.code % 100;
      out.set(reason, 4);
      return out;
    }
    case 'text':
      return Buffer.from(a.value, 'utf8');
    case 'fingerprint':
      throw new NetlabRangeError('STUN: FINGERPRINT is computed: pass { fingerprint: true } instead of the attribute', { layer: 'wire' });
    case 'response-port':
      checkPort(a.port, 'RESPONSE-PORT');
      return Uint8Array.of(a.port >>> 8, a.port & 0xff, 0, 0);
    case 'padding':
      if (!Number.isInteger(a.length) || a.length < 0 || a.length > 65000)
        throw new NetlabRangeError(`STUN PADDING length must be 0..65000, got ${a.length}`, { layer: 'wire' });
      return new Uint8Array(a.length);
    case 'unknown-attributes': {
      const out = new Uint8Array(a.types.length * 2);
      a.types.forEach((t, i) => {
        out[2 * i] = t >>> 8;
        out[2 * i + 1] = t & 0xff;
      });
      return out;
    }
    case 'raw':
      return a.value;
  }
}

/** Encodes a message: header, attributes (each padded to 4 bytes with zeros), optional FINGERPRINT. */
export function encodeStun(m: StunMessage, options: StunEncodeOptions = {}): Uint8Array {
  if (m.transactionId.length !== 12) throw new NetlabRangeError(`STUN transaction ID is 12 bytes, got ${m.transactionId.length}`, { layer: 'wire' });
  if (!Number.isInteger(m.method) || m.method < 0 || m.method > 0xfff)
    throw new NetlabRangeError(`STUN method must be 0..0xfff, got ${m.method}`, { layer: 'wire' });
  const values = m.attributes.map((a) => {
    if (!Number.isInteger(a.type) || a.type < 0 || a.type > 0xffff)
      throw new NetlabRangeError(`STUN attribute type must be 0..0xffff, got ${a.type}`, { layer: 'wire' });
    return attributeValue(a, m.transactionId);
  });
  let len = values.reduce((n, v) => n + 4 + ((v.length + 3) & ~3), 0);
  if (options.fingerprint) len += 8;
  if (len > 0xffff - STUN_HEADER_LEN) throw new NetlabRangeError(`STUN message of ${len} bytes of attributes is too long`, { layer: 'wire' });
  const out = new Uint8Array(STUN_HEADER_LEN + len);
  const type = stunType(m.method, m.cls);
  out[0] = type >>> 8;
  out[1] = type & 0xff;
  out[2] = len >>> 8;
  out[3] = len & 0xff;
  out.set([0x21, 0x12, 0xa4, 0x42], 4);
  out.set(m.transactionId, 8);
  let o = STUN_HEADER_LEN;
  m.attributes.forEach((a, i) => {
    const v = values[i];
    out[o] = a.type >>> 8;
    out[o + 1] = a.type & 0xff;
    out[o + 2] = v.length >>> 8;
    out[o + 3] = v.length & 0xff;
    out.set(v, o + 4);
    o += 4 + ((v.length + 3) & ~3);
  });
  if (options.fingerprint) {
    const c = (crc32(out, 0, o) ^ STUN_FINGERPRINT_XOR) >>> 0;
    out.set([0x80, 0x28, 0, 4, c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff], o);
  }
  return out;
}

/** The first attribute of a type in a message. */
export function stunAttribute<K extends StunAttribute['kind']>(m: StunMessage, type: number, kind: K): Extract<StunAttribute, { kind: K }> | undefined {
  const a = m.attributes.find((x) => x.type === type && x.kind === kind);
  return a as Extract<StunAttribute, { kind: K }> | undefined;
}
