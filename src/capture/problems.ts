// Problems found while reading records, after a good file header. They never interrupt the packets
// already read: a warning travels beside the data, and a damaged record that stops reading becomes a
// CaptureRecordError that the reader reports once the readable packets have been handed out.

/** Something odd in a record that did not stop reading (a block skipped, a field out of range). */
export interface CaptureWarning {
  /** The frame the problem belongs to (1-based), when it concerns a packet. */
  frame?: number;
  /** Byte offset of the record or block (in the uncompressed data for a gzip file). */
  offset: number;
  reason: string;
  /** reason, with the frame number and offset in front, for printing. */
  message: string;
}

/** A damaged record that stopped reading: every packet before it was read. */
export class CaptureRecordError extends Error {
  constructor(
    readonly file: string,
    /** Number the frame at the damaged record would have had. */
    readonly frame: number,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${file}: frame ${frame} (record at byte ${offset}): ${reason}`);
    this.name = 'CaptureRecordError';
  }
}

export function describeAt(frame: number | undefined, offset: number, reason: string): string {
  return frame === undefined ? `byte ${offset}: ${reason}` : `frame ${frame} (record at byte ${offset}): ${reason}`;
}

export function makeWarning(frame: number | undefined, offset: number, reason: string): CaptureWarning {
  const w: CaptureWarning = { offset, reason, message: describeAt(frame, offset, reason) };
  if (frame !== undefined) w.frame = frame;
  return w;
}
