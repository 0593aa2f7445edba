// The shared vocabulary of the wire layer: what a decoded layer looks like, how decoders chain,
// and how a malformed packet is reported. Pure types and tiny helpers; no I/O.

/** Checksum verdicts, as Wireshark reports them (`*.checksum.status`: 0 bad, 1 good, 2 unverified). */
export type ChecksumStatus = 'good' | 'bad' | 'unverified';

/** Wireshark's numeric encoding of a checksum status (`ip.checksum.status == 1` means good). */
export const CHECKSUM_STATUS_CODE: Record<ChecksumStatus, number> = { bad: 0, good: 1, unverified: 2 };

/** A problem found while decoding: which layer, where (absolute frame offset) and why. */
export interface Malformation {
  layer: string;
  offset: number;
  reason: string;
}

/** A byte range inside the frame, absolute from the first byte of the frame. */
export interface Span {
  offset: number;
  length: number;
}

/**
 * One decoded layer. `offset`/`length` cover this layer's own header (and trailer, for layers that
 * have one such as the Ethernet FCS, see the layer's value); the payload follows.
 * `value` is the layer's plain representation (the parsed meaning), specific to `kind`.
 */
export interface DecodedLayer<K extends string = string, V = unknown> {
  kind: K;
  offset: number;
  length: number;
  value: V;
  /** Problems found in this layer. Decoding went as far as it could. */
  malformed: Malformation[];
  /**
   * Where this layer's payload lies [payloadOffset, payloadEnd), filled in by the decode loop from
   * the decoder's step. Bytes between an inner layer's payloadEnd and this one's are padding/trailer.
   */
  payloadOffset?: number;
  payloadEnd?: number;
}

/** Options that change how a frame is decoded. Never guessed: they come from the capture. */
export interface DecodeOptions {
  /** Bytes of FCS at the end of each Ethernet frame: 0 or 4 (pcapng if_fcslen, link type). */
  fcsLength?: number;
  /** Verify checksums (IP header, TCP, UDP, ICMP...). Default true. */
  verifyChecksums?: boolean;
}

/** Everything a decoder may look at: the frame, the layers decoded so far, the options. */
export interface DecodeContext {
  frame: Uint8Array;
  layers: DecodedLayer[];
  options: Required<DecodeOptions>;
}

/**
 * What a decoder returns: its layer, and where and as what decoding goes on.
 * `next` is the kind of the next layer (a key of the decoder registry), or null when the payload
 * is opaque data (or there is none). `payloadEnd` lets a layer trim what follows it (an IPv4 total
 * length shorter than the Ethernet payload leaves the rest as padding, never as payload).
 */
export interface DecodeStep {
  layer: DecodedLayer;
  next: string | null;
  payloadOffset: number;
  payloadEnd: number;
}

/** A decoder reads the bytes [offset, end) of ctx.frame. It must never throw on bad bytes. */
export type LayerDecoder = (ctx: DecodeContext, offset: number, end: number) => DecodeStep;

/** Makes a malformation record. */
export function malformation(layer: string, offset: number, reason: string): Malformation {
  return { layer, offset, reason };
}

/** Big-endian readers that return undefined rather than throw when the bytes are not there. */
export function u8(b: Uint8Array, off: number): number {
  return b[off];
}
export function u16(b: Uint8Array, off: number): number {
  return (b[off] << 8) | b[off + 1];
}
export function u32(b: Uint8Array, off: number): number {
  return ((b[off] << 24) >>> 0) + ((b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]);
}
export function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}
export function put32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 0xff;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

/**
 * A copy of b[start, end) as a plain Uint8Array. Decoded values never share memory with the frame:
 * a Node Buffer's slice() is a view, so mutating the frame (or a decoded value) would change the other.
 */
export function copyBytes(b: Uint8Array, start: number, end: number): Uint8Array {
  // Addresses and short headers (most calls): one allocation and a loop, no view in between.
  if (start >= 0 && start <= end && end <= b.length && end - start <= 64) {
    const out = new Uint8Array(end - start);
    for (let i = start; i < end; i++) out[i - start] = b[i];
    return out;
  }
  return new Uint8Array(b.subarray(start, end));
}

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
