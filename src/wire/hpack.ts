// HPACK (RFC 7541) decoding: header blocks to field lists, with the static table, a dynamic table
// of bounded size and the Huffman code of Appendix B. The Huffman code is canonical (codes of one
// length are consecutive, in symbol order), so it is kept as the 257 code lengths alone and the
// codes are rebuilt from them. Malformed input is reported as { ok: false, reason, offset }, never
// thrown. The proxy's HTTP/2 front uses it to see the field values nghttp2 would silently drop.

/** Code length in bits of each symbol 0..255 and EOS (256), RFC 7541 Appendix B. */
const HUFFMAN_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, 6, 10, 10, 12, 13, 6, 8, 11,
  10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, 13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7,
  8, 13, 19, 13, 14, 6, 15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23,
  22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23,
  23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, 26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26,
  27, 24, 21, 21, 26, 26, 28, 27, 27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27,
  27, 27, 26, 30,
];
const EOS = 256;
const MAX_CODE_BITS = 30;

/** Canonical decoding tables: per length, the first code, how many codes, and where its symbols start. */
const firstCode = new Array<number>(MAX_CODE_BITS + 2).fill(0);
const countOf = new Array<number>(MAX_CODE_BITS + 2).fill(0);
const startOf = new Array<number>(MAX_CODE_BITS + 2).fill(0);
const symbolsByCode: number[] = [];
{
  for (const len of HUFFMAN_LENGTHS) countOf[len]++;
  let code = 0;
  let start = 0;
  for (let len = 1; len <= MAX_CODE_BITS; len++) {
    firstCode[len] = code;
    startOf[len] = start;
    start += countOf[len];
    code = (code + countOf[len]) * 2;
  }
  for (let len = 1; len <= MAX_CODE_BITS; len++) for (let s = 0; s <= EOS; s++) if (HUFFMAN_LENGTHS[s] === len) symbolsByCode.push(s);
}

/** The static table, RFC 7541 Appendix A (index 1..61). */
const STATIC: readonly (readonly [string, string])[] = [
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];

/** A decoded field: name and value as bytes read as latin1 (one char per byte). */
export type HpackField = readonly [name: string, value: string];

export type HpackResult = { readonly ok: true; readonly fields: HpackField[] } | { readonly ok: false; readonly reason: string; readonly offset: number };

/** Decodes a Huffman-coded string (RFC 7541 §5.2); undefined when the code or its padding is invalid. */
export function huffmanDecode(bytes: Uint8Array): string | undefined {
  let out = '';
  let code = 0;
  let len = 0;
  let ones = true;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      const b = (byte >> bit) & 1;
      code = code * 2 + b;
      len++;
      ones &&= b === 1;
      const k = code - firstCode[len];
      if (len <= MAX_CODE_BITS && k >= 0 && k < countOf[len]) {
        const sym = symbolsByCode[startOf[len] + k];
        if (sym === EOS) return undefined;
        out += String.fromCharCode(sym);
        code = 0;
        len = 0;
        ones = true;
      } else if (len > MAX_CODE_BITS) return undefined;
    }
  }
  // Padding: fewer than 8 bits, all ones (the most significant bits of EOS).
  return len < 8 && ones ? out : undefined;
}

class Fail {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {}
}

/** One decoder per direction of a connection: it keeps the dynamic table between header blocks. */
export class HpackDecoder {
  private readonly dynamic: [string, string][] = [];
  private size = 0;
  private maxSize: number;

  /** `maxTableSize`: SETTINGS_HEADER_TABLE_SIZE the decoding side announced (default 4096). */
  constructor(private readonly maxTableSize = 4096) {
    this.maxSize = maxTableSize;
  }

  /** Octets in the dynamic table now (RFC 7541 §4.1: name + value + 32 per entry). */
  get tableSize(): number {
    return this.size;
  }

  decode(block: Uint8Array): HpackResult {
    const fields: HpackField[] = [];
    let pos = 0;
    const int = (prefixBits: number): number => {
      if (pos >= block.length) throw new Fail('the block ends inside an integer', pos);
      const max = (1 << prefixBits) - 1;
      let v = block[pos++] & max;
      if (v < max) return v;
      let shift = 0;
      for (;;) {
        if (pos >= block.length) throw new Fail('the block ends inside an integer', pos);
        const b = block[pos++];
        v += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (v > 0xffffffff) throw new Fail('an integer over 2^32', pos - 1);
        if ((b & 0x80) === 0) return v;
      }
    };
    const str = (): string => {
      if (pos >= block.length) throw new Fail('the block ends before a string', pos);
      const huffman = (block[pos] & 0x80) !== 0;
      const at = pos;
      const n = int(7);
      if (pos + n > block.length) throw new Fail(`a string of ${n} bytes runs past the block`, at);
      const raw = block.subarray(pos, pos + n);
      pos += n;
      if (!huffman) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
      const s = huffmanDecode(raw);
      if (s === undefined) throw new Fail('invalid Huffman code or padding', at);
      return s;
    };
    const entry = (index: number, at: number): readonly [string, string] => {
      if (index === 0) throw new Fail('index 0', at);
      if (index <= STATIC.length) return STATIC[index - 1];
      const d = this.dynamic[index - STATIC.length - 1];
      if (d === undefined) throw new Fail(`index ${index} beyond the tables (${STATIC.length} + ${this.dynamic.length})`, at);
      return d;
    };
    try {
      let headerSeen = false;
      while (pos < block.length) {
        const at = pos;
        const b = block[pos];
        if (b & 0x80) {
          fields.push(entry(int(7), at));
          headerSeen = true;
        } else if (b & 0x40) {
          const idx = int(6);
          const name = idx === 0 ? str() : entry(idx, at)[0];
          const value = str();
          fields.push([name, value]);
          this.insert(name, value);
          headerSeen = true;
        } else if (b & 0x20) {
          // A dynamic table size update must come first in the block (RFC 7541 §4.2).
          if (headerSeen) throw new Fail('a dynamic table size update after a field', at);
          const n = int(5);
          if (n > this.maxTableSize) throw new Fail(`table size ${n} over the ${this.maxTableSize} allowed`, at);
          this.maxSize = n;
          this.evict(0);
        } else {
          const idx = int(4);
          const name = idx === 0 ? str() : entry(idx, at)[0];
          fields.push([name, str()]);
          headerSeen = true;
        }
      }
    } catch (e) {
      if (e instanceof Fail) return { ok: false, reason: `HPACK: ${e.reason}`, offset: e.offset };
      throw e;
    }
    return { ok: true, fields };
  }

  private insert(name: string, value: string): void {
    const n = name.length + value.length + 32;
    this.evict(n);
    if (n > this.maxSize) return;
    this.dynamic.unshift([name, value]);
    this.size += n;
  }

  private evict(room: number): void {
    while (this.dynamic.length > 0 && this.size + room > this.maxSize) {
      const [name, value] = this.dynamic.pop() as [string, string];
      this.size -= name.length + value.length + 32;
    }
  }
}

/** Huffman-codes a string of bytes (latin1), RFC 7541 §5.2, padded with the high bits of EOS. */
export function huffmanEncode(text: string): Buffer {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const sym = text.charCodeAt(i) & 0xff;
    const len = HUFFMAN_LENGTHS[sym];
    const code = CODES[sym];
    for (let b = len - 1; b >= 0; b--) {
      acc = (acc << 1) | (Math.floor(code / 2 ** b) & 1);
      if (++bits === 8) {
        out.push(acc);
        acc = 0;
        bits = 0;
      }
    }
  }
  if (bits > 0) out.push(((acc << (8 - bits)) | ((1 << (8 - bits)) - 1)) & 0xff);
  return Buffer.from(out);
}

/** Each symbol's code, rebuilt from the lengths (canonical order: by length, then symbol). */
const CODES: readonly number[] = (() => {
  const codes = new Array<number>(EOS + 1).fill(0);
  for (let len = 1; len <= MAX_CODE_BITS; len++) for (let k = 0; k < countOf[len]; k++) codes[symbolsByCode[startOf[len] + k]] = firstCode[len] + k;
  return codes;
})();
