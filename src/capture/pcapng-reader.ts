// pcapng blocks: sections (SHB, either byte order), interfaces (IDB), packets (EPB, SPB, the obsolete
// PB), decryption secrets (DSB). Name resolution, statistics, custom and unknown blocks are skipped
// without being buffered. A new SHB starts a new section: its interfaces are numbered from 0 again
// inside the section's blocks, and appended to the capture's interface list (packets carry the index
// in that list, so a two-section file never confuses interface 0 of one section with the other's).
//
// Behaviour matched to tshark 4.0: SHB version other than 1.0/1.2 refused ("pcapng: unknown SHB
// version 0.1"); total block lengths that differ at start and end, an interface index beyond the
// section's interfaces, and an EPB too small for its caplen stop reading with tshark's wording.

import type { ByteQueue } from './byte-queue.ts';
import * as B from './pcapng-blocks.ts';
import * as O from './pcapng-options.ts';
import type { CaptureSection, ParseContext, RecordParser, Step } from './parse-context.ts';
import { makeWarning } from './problems.ts';
import { ticksToTime } from './timestamps.ts';
import type { CaptureInterface, CapturedPacket } from './types.ts';

interface InterfaceClock {
  ticksPerSecond: bigint;
  offsetSeconds: bigint;
}

interface PendingSkip {
  type: number;
  length: number;
  offset: number;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Ticks per second for an if_tsresol byte, or undefined when it cannot be represented. */
export function tsresolTicks(v: number): bigint | undefined {
  const exp = v & 0x7f;
  if (v & 0x80) return exp <= 63 ? 1n << BigInt(exp) : undefined;
  return exp <= 19 ? 10n ** BigInt(exp) : undefined;
}

export class PcapngReader implements RecordParser {
  private littleEndian = true;
  private sectionCount = 0;
  /** Global interface indices of the current section's interfaces. */
  private sectionInterfaces: number[] = [];
  private readonly clocks: InterfaceClock[] = [];
  private skipping: PendingSkip | undefined;

  constructor(private readonly ctx: ParseContext) {}

  step(q: ByteQueue, ended: boolean): Step {
    if (this.skipping !== undefined) return this.finishSkip(q, ended, this.skipping);
    const offset = q.offset;
    if (q.length < B.BLOCK_HEADER_LENGTH) {
      if (!ended) return { kind: 'more' };
      if (q.length === 0) {
        if (this.sectionCount === 0) this.ctx.refuse(0, 'the file is empty');
        return { kind: 'done' };
      }
      return this.damaged(offset, `the file ends inside a block header (${q.length} of ${B.BLOCK_HEADER_LENGTH} bytes); the file was cut short`);
    }
    const head = q.peek(B.BLOCK_HEADER_LENGTH);
    const isShb = head[0] === 0x0a && head[1] === 0x0d && head[2] === 0x0d && head[3] === 0x0a;
    let le = this.littleEndian;
    if (isShb) {
      if (q.length < B.BLOCK_HEADER_LENGTH + 4) {
        if (!ended) return { kind: 'more' };
        return this.damaged(offset, 'the file ends inside a Section Header Block; the file was cut short');
      }
      const bom = view(q.peek(B.BLOCK_HEADER_LENGTH + 4)).getUint32(B.BLOCK_HEADER_LENGTH + B.SHB_BOM, true);
      if (bom === B.BYTE_ORDER_MAGIC) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else return this.damaged(offset, `pcapng: unknown byte-order magic 0x${bom.toString(16).padStart(8, '0')} in a Section Header Block`);
    } else if (this.sectionCount === 0) {
      this.ctx.refuse(0, 'not a pcapng file: it does not start with a Section Header Block');
    }
    const dv = view(q.peek(B.BLOCK_HEADER_LENGTH));
    const type = isShb ? B.BLOCK_SHB : dv.getUint32(0, le);
    const length = dv.getUint32(4, le);
    if (length < B.BLOCK_MIN_LENGTH || length % 4 !== 0 || (isShb && length < B.BLOCK_MIN_LENGTH + B.SHB_OPTIONS)) {
      return this.damaged(offset, `pcapng: total block length ${length} of ${B.aBlock(type)} is not valid (at least ${isShb ? 28 : 12} and a multiple of 4)`);
    }
    if (length > B.MAX_BLOCK) {
      return this.damaged(offset, `pcapng: total block length ${length} is too large (> ${B.MAX_BLOCK})`);
    }
    if ((type === B.BLOCK_SHB || type === B.BLOCK_IDB) && length > B.MAX_PARSED_BLOCK) {
      // Skipping these would misread every block after them.
      return this.damaged(offset, `pcapng: ${B.blockTypeName(type)} of ${length} bytes is larger than ${B.MAX_PARSED_BLOCK} bytes`);
    }
    if (!B.isParsedBlock(type) || length > B.MAX_PARSED_BLOCK) {
      if (B.isParsedBlock(type)) this.ctx.warn(offset, `${B.blockTypeName(type)} of ${length} bytes is larger than ${B.MAX_PARSED_BLOCK} bytes; skipped`);
      if (type === B.BLOCK_SJE) this.ctx.warn(offset, 'systemd Journal Export Block skipped (Wireshark shows it as a frame)');
      q.skip(B.BLOCK_HEADER_LENGTH);
      q.discard(length - B.BLOCK_MIN_LENGTH);
      this.skipping = { type, length, offset };
      return this.finishSkip(q, ended, this.skipping);
    }
    if (q.length < length) {
      if (!ended) return { kind: 'more' };
      return this.damaged(offset, `the file ends in the middle of ${B.aBlock(type)} (${length} bytes, ${q.length} present); the file was cut short`);
    }
    const block = q.peek(length);
    const trailer = view(block).getUint32(length - B.BLOCK_TRAILER_LENGTH, le);
    if (trailer !== length) {
      return this.damaged(offset, `pcapng: total block lengths (first ${length} and second ${trailer}) don't match`);
    }
    const body = block.subarray(B.BLOCK_HEADER_LENGTH, length - B.BLOCK_TRAILER_LENGTH);
    let step: Step;
    try {
      step = this.parseBlock(type, body, le, offset, length);
    } catch (e) {
      // A field read past the body (a block shorter than its fixed fields) must never escape as a
      // DataView RangeError: every block type checks its length first, and this is the safety net.
      if (!(e instanceof RangeError)) throw e;
      step = this.ctx.stop(offset, `${B.aBlock(type)} of ${length} bytes is too short for its fixed fields`);
    }
    if (step.kind !== 'done') q.skip(length);
    return step;
  }

  /** A damaged block: a file-level error before the first section is read, else the end of reading. */
  private damaged(offset: number, reason: string): Step {
    if (this.sectionCount === 0) this.ctx.refuse(offset, reason);
    return this.ctx.stop(offset, reason);
  }

  private finishSkip(q: ByteQueue, ended: boolean, s: PendingSkip): Step {
    if (q.discarding || q.length < B.BLOCK_TRAILER_LENGTH) {
      if (!ended) return { kind: 'more' };
      this.skipping = undefined;
      return this.ctx.stop(s.offset, `the file ends in the middle of ${B.aBlock(s.type)} (${s.length} bytes); the file was cut short`);
    }
    const trailer = view(q.peek(B.BLOCK_TRAILER_LENGTH)).getUint32(0, this.littleEndian);
    this.skipping = undefined;
    if (trailer !== s.length) {
      return this.ctx.stop(s.offset, `pcapng: total block lengths (first ${s.length} and second ${trailer}) don't match`);
    }
    q.skip(B.BLOCK_TRAILER_LENGTH);
    return { kind: 'again' };
  }

  private parseBlock(type: number, body: Uint8Array, le: boolean, offset: number, length: number): Step {
    switch (type) {
      case B.BLOCK_SHB:
        return this.section(body, le, offset);
      case B.BLOCK_IDB:
        return this.interface(body, offset);
      case B.BLOCK_EPB:
        return this.enhancedPacket(body, offset, length);
      case B.BLOCK_PB:
        return this.obsoletePacket(body, offset, length);
      case B.BLOCK_SPB:
        return this.simplePacket(body, offset);
      case B.BLOCK_DSB:
        return this.secrets(body, offset);
      default:
        return { kind: 'again' };
    }
  }

  private options(body: Uint8Array, start: number, offset: number, what: string): O.PcapngOption[] {
    const { options, problem } = O.readOptions(body, start, this.littleEndian);
    if (problem !== undefined) this.ctx.warn(offset, `${what}: ${problem}`);
    return options;
  }

  private section(body: Uint8Array, le: boolean, offset: number): Step {
    const dv = view(body);
    const major = dv.getUint16(B.SHB_MAJOR, le);
    const minor = dv.getUint16(B.SHB_MINOR, le);
    if (!(major === 1 && (minor === 0 || minor === 2))) {
      return this.damaged(offset, `pcapng: unknown SHB version ${major}.${minor}`);
    }
    this.littleEndian = le;
    this.sectionInterfaces = [];
    const ctx = this.ctx;
    if (this.sectionCount === 0) ctx.format = le ? 'pcapng-le' : 'pcapng-be';
    this.sectionCount++;
    const opts = this.options(body, B.SHB_OPTIONS, offset, 'Section Header Block');
    const section: CaptureSection = { byteOrder: le ? 'le' : 'be', version: `${major}.${minor}`, offset, comments: O.textsOf(opts, O.OPT_COMMENT) };
    const hardware = O.textOf(opts, O.SHB_HARDWARE);
    const os = O.textOf(opts, O.SHB_OS);
    const application = O.textOf(opts, O.SHB_USERAPPL);
    if (hardware !== undefined) section.hardware = hardware;
    if (os !== undefined) section.os = os;
    if (application !== undefined) section.application = application;
    ctx.sections.push(section);
    return { kind: 'again' };
  }

  private interface(body: Uint8Array, offset: number): Step {
    if (body.length < B.IDB_OPTIONS) return this.ctx.stop(offset, `Interface Description Block body of ${body.length} bytes is shorter than ${B.IDB_OPTIONS}`);
    const dv = view(body);
    const le = this.littleEndian;
    const opts = this.options(body, B.IDB_OPTIONS, offset, 'Interface Description Block');
    const clock: InterfaceClock = { ticksPerSecond: 1_000_000n, offsetSeconds: 0n };
    const iface: CaptureInterface = {
      linkType: dv.getUint16(B.IDB_LINKTYPE, le),
      snapLength: dv.getUint32(B.IDB_SNAPLEN, le),
      tsResolution: 1e6,
      fcsLength: 0,
      container: 'pcapng',
    };
    for (const o of opts) {
      const odv = view(o.value);
      if (o.code === O.IF_NAME) iface.name = O.optionText(o.value);
      else if (o.code === O.IF_DESCRIPTION) iface.description = O.optionText(o.value);
      else if (o.code === O.IF_TSRESOL && o.value.length >= 1) {
        const ticks = tsresolTicks(o.value[0]);
        if (ticks === undefined) this.ctx.warn(offset, `if_tsresol 0x${o.value[0].toString(16)} is too fine to represent; timestamps read as microseconds`);
        else clock.ticksPerSecond = ticks;
      } else if (o.code === O.IF_FCSLEN && o.value.length >= 1) iface.fcsLength = o.value[0];
      else if (o.code === O.IF_TSOFFSET && o.value.length >= 8) clock.offsetSeconds = odv.getBigInt64(0, le);
    }
    iface.tsResolution = Number(clock.ticksPerSecond);
    this.sectionInterfaces.push(this.ctx.interfaces.length);
    this.ctx.interfaces.push(iface);
    this.clocks.push(clock);
    return { kind: 'again' };
  }

  /** The global index of the section's interface `id`, or undefined (reading stops) when there is none. */
  private globalInterface(id: number): number | undefined {
    return id < this.sectionInterfaces.length ? this.sectionInterfaces[id] : undefined;
  }

  private noInterface(id: number, offset: number): Step {
    return this.ctx.stop(offset, `pcapng: interface index ${id} is not less than section interface count ${this.sectionInterfaces.length}`);
  }

  private enhancedPacket(body: Uint8Array, offset: number, length: number): Step {
    if (body.length < B.EPB_DATA) return this.tooShort('an Enhanced Packet Block', body, B.EPB_DATA, offset, length);
    return this.timedPacket(body, offset, length, 'EPB', {
      iface: view(body).getUint32(B.EPB_INTERFACE, this.littleEndian),
      high: B.EPB_TS_HIGH,
      low: B.EPB_TS_LOW,
      caplen: B.EPB_CAPLEN,
      origlen: B.EPB_ORIGLEN,
      data: B.EPB_DATA,
    });
  }

  private obsoletePacket(body: Uint8Array, offset: number, length: number): Step {
    if (body.length < B.PB_DATA) return this.tooShort('a Packet Block', body, B.PB_DATA, offset, length);
    return this.timedPacket(body, offset, length, 'PB', {
      iface: view(body).getUint16(B.PB_INTERFACE, this.littleEndian),
      high: B.PB_TS_HIGH,
      low: B.PB_TS_LOW,
      caplen: B.PB_CAPLEN,
      origlen: B.PB_ORIGLEN,
      data: B.PB_DATA,
    });
  }

  /** A block whose total length leaves no room for its fixed fields: reading stops there, naming it. */
  private tooShort(what: string, body: Uint8Array, need: number, offset: number, length: number): Step {
    return this.ctx.stop(
      offset,
      `pcapng: ${what} of ${length} bytes is shorter than its header: its fields need ${need + B.BLOCK_MIN_LENGTH} bytes (${body.length} bytes of body, ${need} needed)`,
    );
  }

  private timedPacket(
    body: Uint8Array,
    offset: number,
    length: number,
    what: string,
    f: { iface: number; high: number; low: number; caplen: number; origlen: number; data: number },
  ): Step {
    if (body.length < f.data) return this.ctx.stop(offset, `${what} body of ${body.length} bytes is shorter than ${f.data}`);
    const le = this.littleEndian;
    const dv = view(body);
    const global = this.globalInterface(f.iface);
    if (global === undefined) return this.noInterface(f.iface, offset);
    const caplen = dv.getUint32(f.caplen, le);
    const origLength = dv.getUint32(f.origlen, le);
    if (caplen > body.length - f.data) {
      return this.ctx.stop(offset, `pcapng: total block length ${length} of an ${what} is too small for ${caplen} bytes of packet data`);
    }
    const { tsSec, tsNsec } = ticksToTime(
      dv.getUint32(f.high, le),
      dv.getUint32(f.low, le),
      this.clocks[global].ticksPerSecond,
      this.clocks[global].offsetSeconds,
    );
    const opts = this.options(body, f.data + O.pad4(caplen), offset, what);
    const packet = this.packet(global, tsSec, tsNsec, body.slice(f.data, f.data + caplen), origLength, offset);
    packet.comments = O.textsOf(opts, O.OPT_COMMENT);
    return { kind: 'packet', packet };
  }

  private simplePacket(body: Uint8Array, offset: number): Step {
    if (body.length < B.SPB_DATA) return this.ctx.stop(offset, `Simple Packet Block body of ${body.length} bytes is shorter than ${B.SPB_DATA}`);
    const global = this.globalInterface(0);
    if (global === undefined) return this.noInterface(0, offset);
    const origLength = view(body).getUint32(B.SPB_ORIGLEN, this.littleEndian);
    const snap = this.ctx.interfaces[global].snapLength;
    let caplen = Math.min(origLength, body.length - B.SPB_DATA);
    if (snap > 0) caplen = Math.min(caplen, snap);
    // A Simple Packet Block has no timestamp: Wireshark shows none; the time is left at 0.
    const packet = this.packet(global, 0, 0, body.slice(B.SPB_DATA, B.SPB_DATA + caplen), origLength, offset);
    return { kind: 'packet', packet };
  }

  private packet(global: number, tsSec: number, tsNsec: number, data: Uint8Array, origLength: number, offset: number): CapturedPacket {
    const ctx = this.ctx;
    const iface = ctx.interfaces[global];
    const frame = ctx.nextFrame;
    const warnings: string[] = [];
    if (iface.snapLength > 0 && data.length > iface.snapLength) {
      warnings.push(makeWarning(frame, offset, `captured length ${data.length} is larger than the interface's snap length ${iface.snapLength}`).message);
    }
    if (origLength < data.length)
      warnings.push(makeWarning(frame, offset, `original length ${origLength} is smaller than the captured length ${data.length}`).message);
    ctx.packetCount++;
    return { number: frame, interfaceId: global, iface, tsSec, tsNsec, data, origLength, comments: [], warnings };
  }

  private secrets(body: Uint8Array, offset: number): Step {
    if (body.length < B.DSB_DATA) {
      this.ctx.warn(offset, `Decryption Secrets Block body of ${body.length} bytes is shorter than ${B.DSB_DATA}; skipped`);
      return { kind: 'again' };
    }
    const dv = view(body);
    const type = dv.getUint32(B.DSB_TYPE, this.littleEndian);
    const len = dv.getUint32(B.DSB_LENGTH, this.littleEndian);
    if (len > body.length - B.DSB_DATA) {
      this.ctx.warn(offset, `Decryption Secrets Block says ${len} bytes of secrets but holds ${body.length - B.DSB_DATA}; skipped`);
      return { kind: 'again' };
    }
    this.ctx.secrets.push({ type, data: body.slice(B.DSB_DATA, B.DSB_DATA + len) });
    return { kind: 'again' };
  }
}
