// A DER (ITU-T X.690) reader for hostile input: tag-length-value headers, the children of a
// constructed value, and the primitive types X.509 uses (INTEGER, BOOLEAN, BIT STRING, OBJECT
// IDENTIFIER, the character strings, UTCTime and GeneralizedTime). Every read is bounded by the range
// it is given; nothing throws, nothing allocates from a length field before checking it against the
// bytes at hand; a problem comes back as a DerError (offset and reason).
//
// BER's indefinite length is refused (DER forbids it); long-form lengths of up to 4 bytes and tag
// numbers of up to 4 bytes are read.

/** Tag classes (the top two bits of the identifier octet). */
export const DER_CLASS = { universal: 0, application: 1, context: 2, private: 3 } as const;

/** Universal tag numbers. */
export const DER_TAG = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  oid: 6,
  enumerated: 10,
  utf8String: 12,
  sequence: 16,
  set: 17,
  numericString: 18,
  printableString: 19,
  teletexString: 20,
  videotexString: 21,
  ia5String: 22,
  utcTime: 23,
  generalizedTime: 24,
  graphicString: 25,
  visibleString: 26,
  generalString: 27,
  universalString: 28,
  bmpString: 30,
} as const;

/** One tag-length-value header. Offsets are absolute in the buffer read. */
export interface DerTlv {
  /** Offset of the identifier octet. */
  offset: number;
  cls: number;
  constructed: boolean;
  tag: number;
  headerLength: number;
  contentOffset: number;
  /** Content length. */
  length: number;
  /** contentOffset + length. */
  end: number;
}

export interface DerError {
  offset: number;
  reason: string;
  /**
   * For a header or length that runs past the range read: where the value would have ended
   * (Infinity when the length itself is unreadable). Lets a caller tell a value that overruns its
   * parent from one that overruns the whole buffer.
   */
  claimedEnd?: number;
}

export function isDerError<T extends object>(x: T | DerError): x is DerError {
  return typeof (x as DerError).reason === 'string' && typeof (x as DerError).offset === 'number' && !('contentOffset' in x);
}

/** Reads the header at `offset`; the value must end by `end`. */
export function readTlv(b: Uint8Array, offset: number, end: number = b.length): DerTlv | DerError {
  const stop = Math.min(end, b.length);
  if (offset >= stop) return { offset, reason: 'no bytes left for a tag', claimedEnd: offset + 2 };
  const id = b[offset];
  const cls = id >> 6;
  const constructed = (id & 0x20) !== 0;
  let tag = id & 0x1f;
  let p = offset + 1;
  if (tag === 0x1f) {
    tag = 0;
    for (let n = 0; ; n++) {
      if (p >= stop) return { offset, reason: 'tag number cut short', claimedEnd: p + 2 };
      if (n >= 4) return { offset, reason: 'tag number longer than 4 bytes' };
      const x = b[p++];
      if (n === 0 && x === 0x80) return { offset, reason: 'tag number with a leading zero' };
      tag = tag * 128 + (x & 0x7f);
      if ((x & 0x80) === 0) break;
    }
  }
  if (p >= stop) return { offset, reason: 'length cut short', claimedEnd: p + 1 };
  const first = b[p++];
  let length: number;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    return { offset, reason: 'indefinite length (not allowed in DER)' };
  } else {
    const n = first & 0x7f;
    if (n > 4) return { offset, reason: `length of ${n} bytes`, claimedEnd: Infinity };
    if (p + n > stop) return { offset, reason: 'length cut short', claimedEnd: p + n };
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + b[p++];
  }
  const headerLength = p - offset;
  if (length > stop - p) return { offset, reason: `length ${length} runs past the end (${stop - p} bytes left)`, claimedEnd: p + length };
  return { offset, cls, constructed, tag, headerLength, contentOffset: p, length, end: p + length };
}

/** Reads a value that must be universal `tag` (constructed or not, as the type is). */
export function readUniversal(b: Uint8Array, offset: number, end: number, tag: number, what: string): DerTlv | DerError {
  const t = readTlv(b, offset, end);
  if (isDerError(t)) return { ...t, reason: `${what}: ${t.reason}` };
  if (t.cls !== DER_CLASS.universal || t.tag !== tag) return { offset, reason: `${what}: expected universal tag ${tag}, found ${className(t.cls)} ${t.tag}` };
  const wantConstructed = tag === DER_TAG.sequence || tag === DER_TAG.set;
  if (t.constructed !== wantConstructed) return { offset, reason: `${what}: ${t.constructed ? 'constructed' : 'primitive'} encoding not allowed` };
  return t;
}

export function className(cls: number): string {
  return ['universal', 'application', 'context', 'private'][cls] ?? 'unknown';
}

/** The values inside a constructed value, in order (at most `max`). */
export function readChildren(b: Uint8Array, parent: DerTlv, max = 4096): { items: DerTlv[]; error?: DerError } {
  const items: DerTlv[] = [];
  let p = parent.contentOffset;
  while (p < parent.end) {
    if (items.length >= max) return { items, error: { offset: p, reason: `more than ${max} values` } };
    const t = readTlv(b, p, parent.end);
    if (isDerError(t)) return { items, error: t };
    items.push(t);
    p = t.end;
  }
  return { items };
}

/**
 * Walks every value in [start, end) down to `maxDepth` levels, calling `visit` on each; returns the
 * first problem. For tests and for showing values no decoder knows.
 */
export function walkDer(b: Uint8Array, start: number, end: number, visit: (t: DerTlv, depth: number) => void = () => {}, maxDepth = 32): DerError | undefined {
  const go = (s: number, e: number, depth: number): DerError | undefined => {
    let p = s;
    while (p < e) {
      const t = readTlv(b, p, e);
      if (isDerError(t)) return t;
      visit(t, depth);
      if (t.constructed) {
        if (depth >= maxDepth) return { offset: t.offset, reason: `nested deeper than ${maxDepth}` };
        const err = go(t.contentOffset, t.end, depth + 1);
        if (err !== undefined) return err;
      }
      p = t.end;
    }
    return undefined;
  };
  return go(start, Math.min(end, b.length), 0);
}

/** An OBJECT IDENTIFIER's content as dotted text, or undefined when the encoding is invalid. */
export function decodeOid(b: Uint8Array, start: number, end: number): string | undefined {
  if (end <= start || end > b.length || end - start > 256) return undefined;
  let text = '';
  // Arcs fit a double below 2^46 (7 bits at a time stays exact); longer ones continue as BigInt.
  let v = 0;
  let big: bigint | undefined;
  let inArc = false;
  for (let p = start; p < end; p++) {
    const x = b[p];
    if (!inArc && x === 0x80) return undefined; // leading zero in an arc
    if (big === undefined && v >= 2 ** 45) big = BigInt(v);
    if (big !== undefined) big = (big << 7n) | BigInt(x & 0x7f);
    else v = v * 128 + (x & 0x7f);
    inArc = true;
    if ((x & 0x80) === 0) {
      if (text === '') {
        if (big !== undefined) text = `2.${(big - 80n).toString()}`;
        else {
          const first = v < 40 ? 0 : v < 80 ? 1 : 2;
          text = `${first}.${v - first * 40}`;
        }
      } else {
        text += `.${big !== undefined ? big.toString() : v}`;
      }
      v = 0;
      big = undefined;
      inArc = false;
    }
  }
  return inArc ? undefined : text;
}

/** Reads an OBJECT IDENTIFIER value. */
export function readOid(b: Uint8Array, offset: number, end: number, what: string): { tlv: DerTlv; oid: string } | DerError {
  const t = readUniversal(b, offset, end, DER_TAG.oid, what);
  if (isDerError(t)) return t;
  const oid = decodeOid(b, t.contentOffset, t.end);
  if (oid === undefined) return { offset, reason: `${what}: invalid object identifier encoding` };
  return { tlv: t, oid };
}

/** An INTEGER's value (two's complement), or undefined for an empty content. */
export function decodeInteger(b: Uint8Array, t: DerTlv): bigint | undefined {
  if (t.length === 0 || t.length > 4096) return undefined;
  let v = 0n;
  for (let p = t.contentOffset; p < t.end; p++) v = (v << 8n) | BigInt(b[p]);
  if (b[t.contentOffset] & 0x80) v -= 1n << BigInt(8 * t.length);
  return v;
}

/** A BOOLEAN's value (any non-zero octet is true, as BER reads it), or undefined if not one octet. */
export function decodeBoolean(b: Uint8Array, t: DerTlv): boolean | undefined {
  return t.length === 1 ? b[t.contentOffset] !== 0 : undefined;
}

/** A BIT STRING: unused bits in the last octet and where the bits are. */
export interface DerBitString {
  unusedBits: number;
  /** Offset of the first octet of bits (after the unused-bits octet) and their count. */
  bitsOffset: number;
  bitsLength: number;
}

export function decodeBitString(t: DerTlv, b: Uint8Array): DerBitString | DerError {
  if (t.length === 0) return { offset: t.offset, reason: 'BIT STRING without its unused-bits octet' };
  const unusedBits = b[t.contentOffset];
  if (unusedBits > 7) return { offset: t.contentOffset, reason: `BIT STRING with ${unusedBits} unused bits` };
  if (unusedBits > 0 && t.length === 1) return { offset: t.contentOffset, reason: 'empty BIT STRING with unused bits' };
  return { unusedBits, bitsOffset: t.contentOffset + 1, bitsLength: t.length - 1 };
}

/** Character string tags and how their bytes become text. */
export const STRING_TAGS: ReadonlySet<number> = new Set([
  DER_TAG.utf8String,
  DER_TAG.numericString,
  DER_TAG.printableString,
  DER_TAG.teletexString,
  DER_TAG.videotexString,
  DER_TAG.ia5String,
  DER_TAG.graphicString,
  DER_TAG.visibleString,
  DER_TAG.generalString,
  DER_TAG.universalString,
  DER_TAG.bmpString,
]);

const utf8 = new TextDecoder('utf-8');

/**
 * A character string's text: UTF8String as UTF-8, BMPString as UCS-2 and UniversalString as UCS-4 (big
 * endian), the 7-bit strings as ASCII with other bytes shown as U+FFFD, TeletexString as Latin-1.
 */
export function decodeString(b: Uint8Array, tag: number, start: number, end: number): string {
  const bytes = b.subarray(start, Math.min(end, b.length));
  switch (tag) {
    case DER_TAG.utf8String:
      return utf8.decode(bytes);
    case DER_TAG.bmpString: {
      let s = '';
      for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode((bytes[i] << 8) | bytes[i + 1]);
      return s;
    }
    case DER_TAG.universalString: {
      let s = '';
      for (let i = 0; i + 3 < bytes.length; i += 4) {
        const cp = ((bytes[i] << 24) >>> 0) + ((bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]);
        s += cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : '\ufffd';
      }
      return s;
    }
    case DER_TAG.teletexString:
      return decodeT61(bytes);
    default: {
      let s = '';
      for (const x of bytes) s += x < 0x80 ? String.fromCharCode(x) : '\ufffd';
      return s;
    }
  }
}

/**
 * T.61 (ITU-T T.61, the TeletexString repertoire) to Unicode for bytes 0xa0-0xff and the few 7-bit
 * positions that differ from ASCII; 0 marks a byte T.61 leaves undefined (shown as U+FFFD).
 */
const T61_HIGH = [
  0x0a0, 0x0a1, 0x0a2, 0x0a3, 0x024, 0x0a5, 0x023, 0x0a7, 0x0a4, 0, 0, 0x0ab, 0, 0, 0, 0, 0x0b0, 0x0b1, 0x0b2, 0x0b3, 0x0d7, 0x0b5, 0x0b6, 0x0b7, 0x0f7, 0, 0,
  0x0bb, 0x0bc, 0x0bd, 0x0be, 0x0bf, 0, 0x300, 0x301, 0x302, 0x303, 0x304, 0x306, 0x307, 0x308, 0, 0x30a, 0x327, 0x332, 0x30b, 0x328, 0x30c, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x2126, 0x0c6, 0x0d0, 0x0aa, 0x126, 0, 0x132, 0x13f, 0x141, 0x0d8, 0x152, 0x0ba, 0x0de, 0x166, 0x14a, 0x149, 0x138, 0x0e6,
  0x111, 0x0f0, 0x127, 0x131, 0x133, 0x140, 0x142, 0x0f8, 0x153, 0x0df, 0x0fe, 0x167, 0x14b, 0,
];
/** 7-bit positions T.61 leaves undefined ('#', '$', '\\', '^', '`', '{', '}', '~') and NUL. */
const T61_UNDEFINED_LOW = new Set([0x00, 0x23, 0x24, 0x5c, 0x5e, 0x60, 0x7b, 0x7d, 0x7e]);
/** The spacing forms of the diacritics 0xc1-0xcf, used when no letter follows. */
const T61_SPACING = [0, 0x060, 0x0b4, 0x05e, 0x07e, 0x0af, 0x2d8, 0x2d9, 0x0a8, 0, 0x2da, 0x0b8, 0, 0x2dd, 0x2db, 0x2c7];

function t61Char(x: number): number {
  if (x < 0xa0) return T61_UNDEFINED_LOW.has(x) ? 0 : x;
  return T61_HIGH[x - 0xa0];
}

/**
 * A TeletexString as text: a diacritic (0xc1-0xcf) comes before its letter in T.61 and after it in
 * Unicode, so the pair becomes the letter and the combining mark, composed (NFC) where Unicode has
 * the precomposed character; a diacritic before a space or NUL is its spacing form, and the last
 * byte is taken alone (as Wireshark reads T.61).
 */
function decodeT61(bytes: Uint8Array): string {
  let s = '';
  const n = Math.min(bytes.length, 65536);
  for (let i = 0; i < n; i++) {
    const x = bytes[i];
    const u = t61Char(x);
    if (u === 0) {
      s += '\ufffd';
    } else if ((x & 0xf0) === 0xc0 && i < n - 1) {
      const next = bytes[i + 1];
      const spacing = T61_SPACING[x & 0x0f];
      if ((next === 0 || next === 0x20) && spacing !== 0) s += String.fromCharCode(spacing);
      else s += (String.fromCharCode(next) + String.fromCharCode(u)).normalize('NFC');
      i++;
    } else {
      s += String.fromCharCode(u);
    }
  }
  return s;
}

/** A UTCTime or GeneralizedTime: its characters and the instant, when they make one. */
export interface DerTime {
  text: string;
  /** Seconds since the epoch (fraction included), or undefined when the text is no valid time. */
  seconds?: number;
}

/** Reads UTCTime (YYMMDDhhmm[ss]Z, years 1950-2049) or GeneralizedTime (YYYYMMDDhh[mm[ss[.f]]]Z). */
export function decodeTime(b: Uint8Array, t: DerTlv): DerTime {
  const text = decodeString(b, DER_TAG.ia5String, t.contentOffset, Math.min(t.end, t.contentOffset + 64));
  const utc = t.tag === DER_TAG.utcTime;
  const m = utc ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(text) : /^(\d{4})(\d{2})(\d{2})(\d{2})(?:(\d{2})(?:(\d{2})(\.\d+)?)?)?Z$/.exec(text);
  if (m === null) return { text };
  let year = Number(m[1]);
  if (utc) year += year < 50 ? 2000 : 1900;
  const [mo, d, h, mi, s] = [Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return { text };
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, s));
  date.setUTCFullYear(year);
  const ms = date.getTime();
  const frac = !utc && m[7] !== undefined ? Number(m[7]) : 0;
  return { text, seconds: ms / 1000 + frac };
}
