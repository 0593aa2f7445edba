// pcapng writer: one section (SHB), an IDB per interface (if_name, if_description, if_tsresol = 9 so
// timestamps keep their nanoseconds, if_fcslen), EPBs with opt_comment, and Decryption Secrets Blocks.
//
//   const w = new PcapngWriter({ interfaces: [{ linkType: 1, name: 'veth0' }] });
//   w.writeTlsKeyLog(keyLogText);            // before the packets it decrypts
//   w.write({ tsSec, tsNsec, data, comments: ['ClientHello'] });
//   const bytes = w.toBytes();               // or PcapngWriter.toFile(path, ...) and await close()

import { ByteBuilder } from './byte-builder.ts';
import { PCAP_MAX_CAPLEN } from './pcap-reader.ts';
import { BLOCK_DSB, BLOCK_EPB, BLOCK_IDB, BLOCK_SHB, BYTE_ORDER_MAGIC, SECRETS_TYPE } from './pcapng-blocks.ts';
import * as O from './pcapng-options.ts';
import type { CaptureSink } from './sinks.ts';
import { checkWritableTime, timeToNsTicks } from './timestamps.ts';
import { CaptureWriter, checkU32, fileSink, type PacketToWrite } from './writer-base.ts';
import { NetlabRangeError } from '../base/errors.ts';

export interface PcapngInterfaceOptions {
  linkType: number;
  /** Default 262144. Longer packets are cut to it. */
  snapLength?: number;
  name?: string;
  description?: string;
  /** if_fcslen: bytes of FCS at the end of each frame. */
  fcsLength?: number;
}

export interface PcapngWriterOptions {
  /** Interfaces to declare at once (more can be added with addInterface). */
  interfaces?: readonly PcapngInterfaceOptions[];
  /** shb_userappl (default 'netlab'). */
  application?: string;
  /** shb_hardware, shb_os: left out unless given, so files do not depend on the machine. */
  hardware?: string;
  os?: string;
  /** A comment on the section. */
  comment?: string;
  /** Default 'le'. */
  byteOrder?: 'le' | 'be';
}

const utf8 = new TextEncoder();
/** Whole seconds that fit a 64-bit count of nanoseconds. */
const MAX_NS_TICK_SECONDS = 18_446_744_072;

export class PcapngWriter extends CaptureWriter {
  private readonly littleEndian: boolean;
  private readonly snapLengths: number[] = [];

  constructor(options: PcapngWriterOptions = {}, sink?: CaptureSink) {
    super(sink);
    this.littleEndian = (options.byteOrder ?? 'le') === 'le';
    const opts: [number, Uint8Array][] = [];
    if (options.comment !== undefined) opts.push([O.OPT_COMMENT, utf8.encode(options.comment)]);
    if (options.hardware !== undefined) opts.push([O.SHB_HARDWARE, utf8.encode(options.hardware)]);
    if (options.os !== undefined) opts.push([O.SHB_OS, utf8.encode(options.os)]);
    opts.push([O.SHB_USERAPPL, utf8.encode(options.application ?? 'netlab')]);
    this.sink.write(
      this.block(BLOCK_SHB, (b) => {
        b.u32(BYTE_ORDER_MAGIC).u16(1).u16(0).i64(-1n); // version 1.0, section length unknown
        this.options(b, opts);
      }),
    );
    for (const i of options.interfaces ?? []) this.addInterface(i);
  }

  /** A writer that streams to a file; `await close()` when done. */
  static toFile(path: string, options: PcapngWriterOptions = {}): PcapngWriter {
    return new PcapngWriter(options, fileSink(path));
  }

  /** Number of interfaces declared. */
  get interfaceCount(): number {
    return this.snapLengths.length;
  }

  /** Declares an interface (writes its IDB now) and returns its id for `write({ interfaceId })`. */
  addInterface(i: PcapngInterfaceOptions): number {
    if (!Number.isInteger(i.linkType) || i.linkType < 0 || i.linkType > 0xffff) {
      throw new NetlabRangeError(`linkType must be an integer from 0 to 65535, got ${i.linkType}`);
    }
    const snap = i.snapLength ?? PCAP_MAX_CAPLEN;
    checkU32('snapLength', snap);
    const opts: [number, Uint8Array][] = [];
    if (i.name !== undefined) opts.push([O.IF_NAME, utf8.encode(i.name)]);
    if (i.description !== undefined) opts.push([O.IF_DESCRIPTION, utf8.encode(i.description)]);
    opts.push([O.IF_TSRESOL, Uint8Array.of(9)]);
    if (i.fcsLength !== undefined) {
      if (!Number.isInteger(i.fcsLength) || i.fcsLength < 0 || i.fcsLength > 255)
        throw new NetlabRangeError(`fcsLength must be 0..255 bytes, got ${i.fcsLength}`);
      opts.push([O.IF_FCSLEN, Uint8Array.of(i.fcsLength)]);
    }
    this.sink.write(
      this.block(BLOCK_IDB, (b) => {
        b.u16(i.linkType).u16(0).u32(snap);
        this.options(b, opts);
      }),
    );
    this.snapLengths.push(snap);
    return this.snapLengths.length - 1;
  }

  /** Writes a Decryption Secrets Block (write it before the packets that need it). */
  writeSecrets(data: Uint8Array | string, type: number = SECRETS_TYPE.TLS_KEY_LOG): void {
    checkU32('secrets type', type);
    const bytes = typeof data === 'string' ? utf8.encode(data) : data;
    this.sink.write(
      this.block(BLOCK_DSB, (b) => {
        b.u32(type).u32(bytes.length).bytes(bytes).pad4();
      }),
    );
  }

  /** A TLS key log (NSS format: CLIENT_RANDOM / CLIENT_HANDSHAKE_TRAFFIC_SECRET ... lines) as a DSB. */
  writeTlsKeyLog(keyLog: string): void {
    this.writeSecrets(keyLog, SECRETS_TYPE.TLS_KEY_LOG);
  }

  protected encodePacket(p: PacketToWrite): Uint8Array {
    checkWritableTime(p.tsSec, p.tsNsec, MAX_NS_TICK_SECONDS);
    const id = p.interfaceId ?? 0;
    if (!Number.isInteger(id) || id < 0 || id >= this.snapLengths.length) {
      throw new NetlabRangeError(`interfaceId ${id} is not a declared interface (${this.snapLengths.length} declared; use addInterface first)`);
    }
    const caplen = Math.min(p.data.length, this.snapLengths[id]);
    const orig = p.origLength ?? p.data.length;
    checkU32('origLength', orig);
    const { high, low } = timeToNsTicks(p.tsSec, p.tsNsec);
    const opts: [number, Uint8Array][] = (p.comments ?? []).map((c) => [O.OPT_COMMENT, utf8.encode(c)]);
    if (p.direction !== undefined) {
      const flags = new Uint8Array(4);
      new DataView(flags.buffer).setUint32(0, p.direction === 'inbound' ? 1 : 2, this.littleEndian);
      opts.push([O.EPB_FLAGS, flags]);
    }
    return this.block(BLOCK_EPB, (b) => {
      b.u32(id).u32(high).u32(low).u32(caplen).u32(orig).bytes(p.data.subarray(0, caplen)).pad4();
      this.options(b, opts);
    });
  }

  private options(b: ByteBuilder, opts: readonly [number, Uint8Array][]): void {
    if (opts.length === 0) return;
    for (const [code, value] of opts) {
      if (value.length > 0xffff) throw new NetlabRangeError(`option ${code} is ${value.length} bytes; an option holds at most 65535`);
      b.u16(code).u16(value.length).bytes(value).pad4();
    }
    b.u16(O.OPT_ENDOFOPT).u16(0);
  }

  private block(type: number, body: (b: ByteBuilder) => void): Uint8Array {
    const b = new ByteBuilder(this.littleEndian, 128);
    b.u32(type).u32(0);
    body(b);
    const total = b.length + 4;
    b.u32(total).setU32(4, total);
    return b.finish();
  }
}
