// Classic pcap (libpcap) records: the 24-byte file header, then 16-byte record headers each followed
// by the packet bytes. Both byte orders, microsecond (0xa1b2c3d4) and nanosecond (0xa1b23c4d) magic.
//
// Behaviour matched to tshark 4.0 / libpcap:
// - version 1.x is refused ("pcap: major version 1 unsupported"); 2.0-2.3 are read with caplen and len
//   swapped where libpcap swaps them (minor < 3, or minor 3 with len < caplen); versions after 2.4
//   (2.5, 3.0, ...) are read as 2.4, with a warning, as libpcap and Wireshark read them;
// - reserved bits 16..25 of the link-type field refused ("network type reserved field not zero");
//   the FCS length (bits 28..31, in 16-bit words) applies when the P bit (26) is set;
// - a microsecond field >= 1e6 is kept unnormalised, as tshark keeps it (see timestamps.ts);
// - caplen > snaplen is read, with a warning; caplen > 262144 stops reading (damaged header).

import type { ByteQueue } from './byte-queue.ts';
import type { ParseContext, RecordParser, Step } from './parse-context.ts';
import { makeWarning } from './problems.ts';
import { pcapFractionOutOfRange, pcapFractionToNsec } from './timestamps.ts';
import type { CaptureInterface } from './types.ts';

export const PCAP_FILE_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;
/** libpcap's MAXIMUM_SNAPLEN: no pcap record is read with a larger captured length. */
export const PCAP_MAX_CAPLEN = 262144;

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;

// The link-type field of the file header: |FCS len (4)|R|P|reserved (10)|link type (16)|.
export const LINK_FIELD_TYPE_MASK = 0x0000ffff;
export const LINK_FIELD_RESERVED_MASK = 0x03ff0000;
export const LINK_FIELD_FCS_PRESENT = 0x04000000;
export const LINK_FIELD_R_BIT = 0x08000000;
export const LINK_FIELD_FCS_SHIFT = 28;

// File header field offsets.
const HDR_MAGIC = 0;
const HDR_VERSION_MAJOR = 4;
const HDR_VERSION_MINOR = 6;
const HDR_SNAPLEN = 16;
const HDR_LINK = 20;
// Record header field offsets.
/** Bytes per slab of packet copies (see PcapReader.copyOut). */
const SLAB_BYTES = 64 * 1024;

const REC_TS_SEC = 0;
const REC_TS_FRACTION = 4;
const REC_INCL_LEN = 8;
const REC_ORIG_LEN = 12;

export interface PcapFileHeader {
  littleEndian: boolean;
  nanoseconds: boolean;
  versionMajor: number;
  versionMinor: number;
  snapLength: number;
  linkType: number;
  /** Bytes of FCS per frame (from the FCS bits), else 0. */
  fcsLength: number;
  /** The whole 32-bit link-type field as stored. */
  linkField: number;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** The byte order and precision a pcap magic number means, or undefined for another magic. */
export function pcapMagic(first4: Uint8Array): { littleEndian: boolean; nanoseconds: boolean } | undefined {
  const dv = view(first4);
  const be = dv.getUint32(0, false);
  const le = dv.getUint32(0, true);
  if (be === PCAP_MAGIC_USEC || be === PCAP_MAGIC_NSEC) return { littleEndian: false, nanoseconds: be === PCAP_MAGIC_NSEC };
  if (le === PCAP_MAGIC_USEC || le === PCAP_MAGIC_NSEC) return { littleEndian: true, nanoseconds: le === PCAP_MAGIC_NSEC };
  return undefined;
}

export class PcapReader implements RecordParser {
  private header: PcapFileHeader | undefined;
  private iface: CaptureInterface | undefined;

  constructor(private readonly ctx: ParseContext) {}

  step(q: ByteQueue, ended: boolean): Step {
    if (this.header === undefined) return this.readFileHeader(q, ended);
    const h = this.header;
    const ctx = this.ctx;
    const offset = q.offset;
    if (q.length < PCAP_RECORD_HEADER_LENGTH) {
      if (!ended) return { kind: 'more' };
      if (q.length === 0) return { kind: 'done' };
      return ctx.stop(offset, `the file ends inside a record header (${q.length} of ${PCAP_RECORD_HEADER_LENGTH} bytes); the file was cut short`);
    }
    // Field reads by hand rather than through a DataView: this is the per-packet hot path.
    const le = h.littleEndian;
    const head = q.peek(PCAP_RECORD_HEADER_LENGTH);
    let incl = readU32(head, REC_INCL_LEN, le);
    let orig = readU32(head, REC_ORIG_LEN, le);
    if (h.versionMajor === 2 && (h.versionMinor < 3 || (h.versionMinor === 3 && orig < incl))) [incl, orig] = [orig, incl];
    if (incl > PCAP_MAX_CAPLEN) {
      return ctx.stop(offset, `captured length ${incl} is larger than the maximum of ${PCAP_MAX_CAPLEN} bytes: the record header is damaged, reading stopped`);
    }
    const total = PCAP_RECORD_HEADER_LENGTH + incl;
    if (q.length < total) {
      if (!ended) return { kind: 'more' };
      return ctx.stop(
        offset,
        `the file ends in the middle of a packet: the record header promises ${incl} bytes of data, ${q.length - PCAP_RECORD_HEADER_LENGTH} are there`,
      );
    }
    const rec = q.peek(total);
    const tsSec = readU32(rec, REC_TS_SEC, le);
    const fraction = readU32(rec, REC_TS_FRACTION, le);
    // A copy, so that a packet kept by the caller never pins the read chunk it came from.
    const data = this.copyOut(rec, PCAP_RECORD_HEADER_LENGTH, total);
    q.skip(total);
    const frame = ctx.nextFrame;
    const warnings: string[] = [];
    if (pcapFractionOutOfRange(fraction, h.nanoseconds)) {
      const nsec = pcapFractionToNsec(fraction, h.nanoseconds);
      warnings.push(
        makeWarning(
          frame,
          offset,
          `timestamp ${h.nanoseconds ? 'nanosecond' : 'microsecond'} field ${fraction} is not below ${h.nanoseconds ? '1000000000' : '1000000'}; ` +
            `kept as tshark keeps it (seconds ${tsSec}, nanoseconds ${nsec}, not carried into the seconds)`,
        ).message,
      );
    }
    if (h.snapLength > 0 && incl > h.snapLength)
      warnings.push(makeWarning(frame, offset, `captured length ${incl} is larger than the file's snap length ${h.snapLength}`).message);
    if (orig < incl) warnings.push(makeWarning(frame, offset, `original length ${orig} is smaller than the captured length ${incl}`).message);
    ctx.packetCount++;
    const iface = this.iface as CaptureInterface;
    return {
      kind: 'packet',
      packet: {
        number: frame,
        interfaceId: 0,
        iface,
        tsSec,
        tsNsec: pcapFractionToNsec(fraction, h.nanoseconds),
        data,
        origLength: orig,
        comments: [],
        warnings,
      },
    };
  }

  /** The slab that small packets are copied into, and how much of it is taken. */
  private slab = new Uint8Array(0);
  private slabUsed = 0;

  /**
   * A copy of rec[from, to). Small packets share a slab (as Node's Buffer pool does): one allocation
   * for many packets instead of a backing store each, which the garbage collector tracks one by one.
   * A kept packet then keeps its slab, never the file's read chunk.
   */
  private copyOut(rec: Uint8Array, from: number, to: number): Uint8Array {
    const n = to - from;
    if (n > SLAB_BYTES / 16) return new Uint8Array(rec.subarray(from, to));
    if (this.slabUsed + n > this.slab.length) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.slabUsed = 0;
    }
    const at = this.slabUsed;
    const slab = this.slab;
    if (n <= 64) for (let i = 0; i < n; i++) slab[at + i] = rec[from + i];
    else slab.set(rec.subarray(from, to), at);
    this.slabUsed = at + n;
    return slab.subarray(at, at + n);
  }

  private readFileHeader(q: ByteQueue, ended: boolean): Step {
    const ctx = this.ctx;
    if (q.length < PCAP_FILE_HEADER_LENGTH) {
      if (!ended) return { kind: 'more' };
      ctx.refuse(0, `the file ends inside the ${PCAP_FILE_HEADER_LENGTH}-byte pcap file header (${q.length} bytes)`);
    }
    const h = parsePcapFileHeader(q.peek(PCAP_FILE_HEADER_LENGTH), ctx);
    q.skip(PCAP_FILE_HEADER_LENGTH);
    this.header = h;
    ctx.format = `pcap-${h.littleEndian ? 'le' : 'be'}-${h.nanoseconds ? 'nsec' : 'usec'}`;
    this.iface = {
      linkType: h.linkType,
      snapLength: h.snapLength,
      tsResolution: h.nanoseconds ? 1e9 : 1e6,
      fcsLength: h.fcsLength,
      container: 'pcap',
    };
    ctx.interfaces.push(this.iface);
    return { kind: 'again' };
  }
}

/** Reads and checks the 24-byte file header; a file-level problem throws CaptureFormatError. */
export function parsePcapFileHeader(b: Uint8Array, ctx: ParseContext): PcapFileHeader {
  const magic = pcapMagic(b.subarray(HDR_MAGIC, HDR_MAGIC + 4));
  if (magic === undefined) ctx.refuse(0, 'not a pcap file (bad magic number)');
  const { littleEndian, nanoseconds } = magic;
  const dv = view(b);
  const versionMajor = dv.getUint16(HDR_VERSION_MAJOR, littleEndian);
  const versionMinor = dv.getUint16(HDR_VERSION_MINOR, littleEndian);
  if (versionMajor < 2) {
    ctx.refuse(
      HDR_VERSION_MAJOR,
      `pcap: major version ${versionMajor} unsupported (the file says version ${versionMajor}.${versionMinor}; pcap files are version 2.4)`,
    );
  }
  if (versionMajor > 2 || versionMinor > 4) {
    // libpcap and Wireshark read any version from 2.0 on with the 2.4 layout.
    ctx.warn(HDR_VERSION_MAJOR, `pcap file version ${versionMajor}.${versionMinor} is newer than 2.4; read as version 2.4`);
  } else if (versionMinor < 4) {
    ctx.warn(HDR_VERSION_MAJOR, `pcap file version 2.${versionMinor} is older than 2.4; captured and original lengths are read as libpcap reads them`);
  }
  const snapLength = dv.getUint32(HDR_SNAPLEN, littleEndian);
  const linkField = dv.getUint32(HDR_LINK, littleEndian);
  const reserved = (linkField & LINK_FIELD_RESERVED_MASK) >>> 0;
  if (reserved !== 0) {
    ctx.refuse(HDR_LINK, `pcap: network type reserved field not zero (0x${reserved.toString(16).padStart(8, '0')})`);
  }
  if (linkField & LINK_FIELD_R_BIT) ctx.warn(HDR_LINK, 'the reserved R bit (27) of the link-type field is set; ignored');
  const fcsLength = linkField & LINK_FIELD_FCS_PRESENT ? (linkField >>> LINK_FIELD_FCS_SHIFT) * 2 : 0;
  return { littleEndian, nanoseconds, versionMajor, versionMinor, snapLength, linkType: linkField & LINK_FIELD_TYPE_MASK, fcsLength, linkField };
}

function readU32(b: Uint8Array, at: number, littleEndian: boolean): number {
  return littleEndian
    ? (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0
    : ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}
