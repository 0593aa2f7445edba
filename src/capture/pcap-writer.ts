// Classic pcap writer: version 2.4, microsecond or nanosecond magic, little-endian by default.
//
//   const w = new PcapWriter({ linkType: LINKTYPE.ETHERNET, precision: 'nsec' });
//   w.write({ tsSec: 1700000000, tsNsec: 0, data: frame });
//   const bytes = w.toBytes();
//
//   const f = PcapWriter.toFile('out.pcap', { linkType: 1 });  ...  await f.close();

import { ByteBuilder } from './byte-builder.ts';
import { LINK_FIELD_FCS_PRESENT, LINK_FIELD_FCS_SHIFT, PCAP_MAGIC_NSEC, PCAP_MAGIC_USEC, PCAP_MAX_CAPLEN } from './pcap-reader.ts';
import type { CaptureSink } from './sinks.ts';
import { checkWritableTime } from './timestamps.ts';
import { CaptureWriter, checkU32, fileSink, type PacketToWrite } from './writer-base.ts';
import { NetlabRangeError } from '../base/errors.ts';

export interface PcapWriterOptions {
  linkType: number;
  /** Default 262144. Longer packets are cut to it (their origLength stays the wire length). */
  snapLength?: number;
  /** Timestamp precision: 'usec' (magic 0xa1b2c3d4, the default) or 'nsec' (0xa1b23c4d). */
  precision?: 'usec' | 'nsec';
  /** Bytes of FCS at the end of each frame, recorded in the link-type field's FCS bits (even, <= 30). */
  fcsLength?: number;
  /** Default 'le'. */
  byteOrder?: 'le' | 'be';
}

export class PcapWriter extends CaptureWriter {
  private readonly littleEndian: boolean;
  private readonly nanoseconds: boolean;
  private readonly snapLength: number;

  constructor(options: PcapWriterOptions, sink?: CaptureSink) {
    super(sink);
    this.littleEndian = (options.byteOrder ?? 'le') === 'le';
    this.nanoseconds = options.precision === 'nsec';
    this.snapLength = options.snapLength ?? PCAP_MAX_CAPLEN;
    checkU32('snapLength', this.snapLength);
    if (!Number.isInteger(options.linkType) || options.linkType < 0 || options.linkType > 0xffff) {
      throw new NetlabRangeError(`linkType must be an integer from 0 to 65535, got ${options.linkType}`);
    }
    let linkField = options.linkType;
    if (options.fcsLength !== undefined) {
      const f = options.fcsLength;
      if (!Number.isInteger(f) || f < 0 || f > 30 || f % 2 !== 0)
        throw new NetlabRangeError(`fcsLength must be an even number of bytes from 0 to 30, got ${f}`);
      linkField = (linkField | LINK_FIELD_FCS_PRESENT | ((f / 2) << LINK_FIELD_FCS_SHIFT)) >>> 0;
    }
    const h = new ByteBuilder(this.littleEndian, 24)
      .u32(this.nanoseconds ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC)
      .u16(2)
      .u16(4)
      .u32(0) // reserved (was thiszone)
      .u32(0) // reserved (was sigfigs)
      .u32(this.snapLength)
      .u32(linkField);
    this.sink.write(h.finish());
  }

  /** A writer that streams to a file; `await close()` when done. */
  static toFile(path: string, options: PcapWriterOptions): PcapWriter {
    return new PcapWriter(options, fileSink(path));
  }

  protected encodePacket(p: PacketToWrite): Uint8Array {
    checkWritableTime(p.tsSec, p.tsNsec, 0xffffffff);
    if (p.interfaceId !== undefined && p.interfaceId !== 0) throw new NetlabRangeError(`a pcap file has one interface (0); got interfaceId ${p.interfaceId}`);
    const caplen = Math.min(p.data.length, this.snapLength);
    const orig = p.origLength ?? p.data.length;
    checkU32('origLength', orig);
    const b = new ByteBuilder(this.littleEndian, 16 + caplen)
      .u32(p.tsSec)
      .u32(this.nanoseconds ? p.tsNsec : Math.floor(p.tsNsec / 1000))
      .u32(caplen)
      .u32(orig)
      .bytes(p.data.subarray(0, caplen));
    return b.finish();
  }
}
