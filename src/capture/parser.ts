// The one incremental capture parser. Feed it bytes in chunks of any size (`push`), say when the
// data ends (`end`), and pull packets (`next`). The streaming file reader and the in-memory
// `parseCapture` both drive this same object, so there is a single parser for both.

import { ByteQueue } from './byte-queue.ts';
import { ParseContext, type CaptureSection, type RecordParser } from './parse-context.ts';
import { PcapReader, pcapMagic } from './pcap-reader.ts';
import { PcapngReader } from './pcapng-reader.ts';
import type { CaptureRecordError, CaptureWarning } from './problems.ts';
import type { CaptureFormat, CaptureInterface, CapturedPacket, DecryptionSecrets } from './types.ts';
import { NetlabError } from '../base/errors.ts';

const MAGIC_LENGTH = 4;

export class CaptureParser {
  private readonly queue = new ByteQueue();
  private readonly ctx: ParseContext;
  private reader: RecordParser | undefined;
  private ended = false;
  private over = false;

  constructor(readonly file = '<bytes>') {
    this.ctx = new ParseContext(file);
  }

  /** Known once the file header (pcap) or first Section Header Block (pcapng) is read. */
  get format(): CaptureFormat | undefined {
    return this.ctx.format;
  }
  /** Every interface seen so far, across sections (live: grows as IDBs arrive). */
  get interfaces(): readonly CaptureInterface[] {
    return this.ctx.interfaces;
  }
  /** Decryption Secrets Blocks seen so far. */
  get secrets(): readonly DecryptionSecrets[] {
    return this.ctx.secrets;
  }
  /** pcapng sections seen so far (empty for classic pcap). */
  get sections(): readonly CaptureSection[] {
    return this.ctx.sections;
  }
  /** File-level warnings (per-packet ones are on the packets). */
  get warnings(): readonly CaptureWarning[] {
    return this.ctx.warnings;
  }
  get droppedWarnings(): number {
    return this.ctx.droppedWarnings;
  }
  /** The damaged record that stopped reading, if one did. */
  get error(): CaptureRecordError | undefined {
    return this.ctx.error;
  }
  /** Packets handed out so far. */
  get packetCount(): number {
    return this.ctx.packetCount;
  }
  /** No more packets will come (end of data, or reading stopped). */
  get finished(): boolean {
    return this.over;
  }
  /** Byte offset of the next unread byte of (uncompressed) data. */
  get offset(): number {
    return this.queue.offset;
  }

  push(chunk: Uint8Array): void {
    if (this.ended) throw new NetlabError('ERR_STATE', 'CaptureParser.push() after end()');
    this.queue.push(chunk);
  }

  end(): void {
    this.ended = true;
  }

  /**
   * The next packet, or undefined: then either `finished` is true, or more data must be pushed.
   * Throws CaptureFormatError for a file that cannot be read at all (bad magic, unsupported version).
   */
  next(): CapturedPacket | undefined {
    while (!this.over) {
      try {
        if (this.reader === undefined && !this.detect()) return undefined;
        const step = (this.reader as RecordParser).step(this.queue, this.ended);
        if (step.kind === 'packet') return step.packet;
        if (step.kind === 'more') return undefined;
        if (step.kind === 'done') this.over = true;
      } catch (e) {
        this.over = true;
        throw e;
      }
    }
    return undefined;
  }

  private detect(): boolean {
    const q = this.queue;
    if (q.length < MAGIC_LENGTH) {
      if (!this.ended) return false;
      this.ctx.refuse(0, q.length === 0 ? 'the file is empty' : `the file is only ${q.length} bytes long: not a pcap or pcapng file`);
    }
    const m = q.peek(MAGIC_LENGTH);
    if (pcapMagic(m) !== undefined) this.reader = new PcapReader(this.ctx);
    else if (m[0] === 0x0a && m[1] === 0x0d && m[2] === 0x0d && m[3] === 0x0a) this.reader = new PcapngReader(this.ctx);
    else this.ctx.refuse(0, unknownMagic(m));
    return true;
  }
}

function unknownMagic(m: Uint8Array): string {
  const hex = [...m].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  if (m[0] === 0x1f && m[1] === 0x8b) return 'gzip-compressed data: decompress it first (openCapture and parseCapture do)';
  const be = ((m[0] << 24) | (m[1] << 16) | (m[2] << 8) | m[3]) >>> 0;
  const le = ((m[3] << 24) | (m[2] << 16) | (m[1] << 8) | m[0]) >>> 0;
  if (be === 0xa1b2cd34 || le === 0xa1b2cd34) return 'modified pcap (Kuznetsov) format is not supported: convert it with editcap -F pcap';
  return `not a pcap or pcapng file: it starts with ${hex} (pcap starts with a1 b2 c3 d4 or d4 c3 b2 a1, pcapng with 0a 0d 0d 0a)`;
}
