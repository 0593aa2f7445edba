// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as used by the Ethernet FCS.
// The FCS goes on the wire least significant byte first: crc32(frame) = 0x12345678 is sent as 78 56 34 12.

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of bytes [offset, offset+length). */
export function crc32(b: Uint8Array, offset = 0, length = b.length - offset): number {
  let c = 0xffffffff;
  const end = offset + length;
  for (let i = offset; i < end; i++) c = TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The 4 FCS bytes as they appear on the wire for a frame (little-endian CRC-32). */
export function fcsBytes(frame: Uint8Array, offset = 0, length = frame.length - offset): Uint8Array {
  const c = crc32(frame, offset, length);
  return Uint8Array.of(c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, (c >>> 24) & 0xff);
}

/** Reads a wire-order FCS (little-endian) as the CRC value. */
export function readFcs(b: Uint8Array, offset: number): number {
  return (b[offset] | (b[offset + 1] << 8) | (b[offset + 2] << 16) | (b[offset + 3] << 24)) >>> 0;
}
