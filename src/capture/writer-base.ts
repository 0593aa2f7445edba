// What the pcap and pcapng writers share: the packet they take, and the sink handling.

import { FileSink, MemorySink, type CaptureSink } from './sinks.ts';
import { NetlabError, NetlabRangeError } from '../base/errors.ts';

/** A packet to write. Timestamps are whole seconds since the epoch plus nanoseconds (0..999999999). */
export interface PacketToWrite {
  tsSec: number;
  tsNsec: number;
  data: Uint8Array;
  /** Length on the wire (default data.length). */
  origLength?: number;
  /** pcapng interface (default 0); classic pcap has only interface 0. */
  interfaceId?: number;
  /** pcapng opt_comment options (classic pcap has no place for them and drops them). */
  comments?: readonly string[];
  /** pcapng epb_flags direction: seen arriving at ('inbound') or leaving ('outbound') the interface. */
  direction?: 'inbound' | 'outbound';
}

export abstract class CaptureWriter {
  protected readonly sink: CaptureSink;
  private written = 0;

  /** Writes to memory (see toBytes) unless a sink is given; see also the writers' toFile(). */
  protected constructor(sink: CaptureSink | undefined) {
    this.sink = sink ?? new MemorySink();
  }

  /** Packets written so far. */
  get packetCount(): number {
    return this.written;
  }

  /** Writes one packet; false means the file sink would like `drained()` awaited before more. */
  write(packet: PacketToWrite): boolean {
    const bytes = this.encodePacket(packet);
    this.written++;
    return this.sink.write(bytes);
  }

  protected abstract encodePacket(packet: PacketToWrite): Uint8Array;

  /** Resolves when a file sink's buffer has drained (at once for memory). */
  drained(): Promise<void> {
    return this.sink.drained();
  }

  /** The whole capture so far (in-memory writers only). */
  toBytes(): Uint8Array {
    if (!(this.sink instanceof MemorySink)) throw new NetlabError('ERR_STATE', 'toBytes() is for in-memory writers; this one writes to a file');
    return this.sink.toBytes();
  }

  /** Flushes and closes the file (nothing to do in memory). */
  close(): Promise<void> {
    return this.sink.close();
  }
}

export function fileSink(path: string): CaptureSink {
  return new FileSink(path);
}

export function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new NetlabRangeError(`${name} must be an integer from 0 to 4294967295, got ${v}`);
}
