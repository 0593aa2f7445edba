// State shared by the pcap and pcapng record parsers: what the capture has revealed so far (format,
// interfaces, sections, secrets), the frame counter, and the problem reporting.

import type { ByteQueue } from './byte-queue.ts';
import { CaptureRecordError, makeWarning, type CaptureWarning } from './problems.ts';
import { CaptureFormatError, type CaptureFormat, type CaptureInterface, type CapturedPacket, type DecryptionSecrets } from './types.ts';

/** One pcapng section (from its Section Header Block). */
export interface CaptureSection {
  byteOrder: 'le' | 'be';
  /** "1.0" (or "1.2", which readers treat the same). */
  version: string;
  /** Byte offset of the SHB. */
  offset: number;
  hardware?: string;
  os?: string;
  application?: string;
  comments: string[];
}

/** What one parsing step produced. */
export type Step =
  | { kind: 'packet'; packet: CapturedPacket }
  /** A record or block other than a packet was consumed: step again. */
  | { kind: 'again' }
  /** More bytes are needed. */
  | { kind: 'more' }
  /** Clean end of file, or reading stopped at a damaged record (see ParseContext.error). */
  | { kind: 'done' };

export interface RecordParser {
  step(queue: ByteQueue, ended: boolean): Step;
}

/** File-level warnings kept; a damaged file could otherwise produce one per record. */
export const MAX_WARNINGS = 1000;

export class ParseContext {
  format: CaptureFormat | undefined;
  readonly interfaces: CaptureInterface[] = [];
  readonly secrets: DecryptionSecrets[] = [];
  readonly sections: CaptureSection[] = [];
  readonly warnings: CaptureWarning[] = [];
  /** Warnings not kept because MAX_WARNINGS were already there. */
  droppedWarnings = 0;
  error: CaptureRecordError | undefined;
  packetCount = 0;

  constructor(readonly file: string) {}

  /** Number of the next frame (1-based, as Wireshark counts). */
  get nextFrame(): number {
    return this.packetCount + 1;
  }

  warn(offset: number, reason: string, frame?: number): void {
    if (this.warnings.length >= MAX_WARNINGS) {
      this.droppedWarnings++;
      return;
    }
    this.warnings.push(makeWarning(frame, offset, reason));
  }

  /** Records the damaged record that stops reading and ends the parse. */
  stop(offset: number, reason: string): Step {
    this.error ??= new CaptureRecordError(this.file, this.nextFrame, offset, reason);
    return { kind: 'done' };
  }

  /** A file-level problem: the file cannot be read at all. */
  refuse(offset: number, reason: string): never {
    throw new CaptureFormatError(this.file, offset, reason);
  }
}
