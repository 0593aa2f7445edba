// Where crafted packets go: a capture file streamed as the packets are made (pcap or pcapng, gzip
// when the name ends in .gz), so `--count 1000000` runs in constant memory, or a capture in memory
// for a batch that is read back and printed.

import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGzip } from 'node:zlib';
import { PcapWriter } from '../../capture/pcap-writer.ts';
import { PcapngWriter } from '../../capture/pcapng-writer.ts';
import { type CaptureSink, FileSink } from '../../capture/sinks.ts';
import type { CaptureWriter } from '../../capture/writer-base.ts';
import { CliError } from '../io.ts';
import type { BuiltPacket } from './packets.ts';

export type CaptureFormatName = 'pcap' | 'pcapng';

/** The format a file name asks for: .pcapng/.ntar or .pcap/.cap, optionally .gz. */
export function formatOf(file: string): CaptureFormatName {
  const base = file.toLowerCase().replace(/\.gz$/, '');
  if (base.endsWith('.pcapng') || base.endsWith('.ntar')) return 'pcapng';
  if (base.endsWith('.pcap') || base.endsWith('.cap')) return 'pcap';
  throw new CliError(`-w ${file}: name the file .pcapng or .pcap (optionally .gz) so netlab knows the format`, 1);
}

const kindOf = (p: BuiltPacket): string => `${p.linkType}/${p.fcsLength}`;

/**
 * A writer for packets like `sequence` (pcapng: one interface per link type and FCS length; pcap: one
 * of each only, refused otherwise). `sink` undefined: in memory.
 */
function makeWriter(sequence: readonly BuiltPacket[], format: CaptureFormatName, sink: CaptureSink | undefined): { writer: CaptureWriter; ids: Map<string, number> } {
  const kinds = [...new Set(sequence.map(kindOf))];
  const ids = new Map<string, number>();
  if (format === 'pcap') {
    if (kinds.length > 1) throw new CliError('a pcap file has one link type and one FCS setting; these packets mix them: write .pcapng instead', 1);
    const first = sequence[0];
    ids.set(kinds[0], 0);
    return { writer: new PcapWriter({ linkType: first.linkType, precision: 'usec', ...(first.fcsLength > 0 ? { fcsLength: first.fcsLength } : {}) }, sink), ids };
  }
  const w = new PcapngWriter({ application: 'netlab craft' }, sink);
  for (const k of kinds) {
    const [linkType, fcsLength] = k.split('/').map(Number);
    ids.set(k, w.addInterface({ linkType, name: 'netlab-craft', ...(fcsLength > 0 ? { fcsLength } : {}) }));
  }
  return { writer: w, ids };
}

function put(writer: CaptureWriter, ids: Map<string, number>, p: BuiltPacket): boolean {
  return writer.write({ tsSec: p.tsSec, tsNsec: p.tsNsec, data: p.data, interfaceId: ids.get(kindOf(p)) ?? 0, ...(p.comment !== undefined ? { comments: [p.comment] } : {}) });
}

/** A whole (small) capture in memory: for reading back what is printed. */
export function captureBytes(sequence: readonly BuiltPacket[], packets: Iterable<BuiltPacket>, format: CaptureFormatName): Uint8Array {
  const { writer, ids } = makeWriter(sequence, format, undefined);
  for (const p of packets) put(writer, ids, p);
  return writer.toBytes();
}

/** A file sink that compresses with gzip on the way (for FILE.pcapng.gz). */
class GzipFileSink implements CaptureSink {
  private readonly gzip = createGzip();
  private readonly file;
  private failure: Error | undefined;
  private readonly done: Promise<void>;

  constructor(path: string) {
    this.file = createWriteStream(path);
    this.gzip.pipe(this.file);
    const fail = (e: Error): void => {
      this.failure ??= e;
    };
    this.gzip.on('error', fail);
    this.file.on('error', fail);
    this.done = new Promise((resolve) => this.file.on('close', () => resolve()));
  }

  write(bytes: Uint8Array): boolean {
    if (this.failure !== undefined) throw this.failure;
    return this.gzip.write(bytes);
  }

  drained(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (!this.gzip.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const go = (): void => {
        this.gzip.off('drain', go);
        this.file.off('close', go);
        if (this.failure !== undefined) reject(this.failure);
        else resolve();
      };
      this.gzip.on('drain', go);
      this.file.on('close', go);
    });
  }

  async close(): Promise<void> {
    if (this.failure === undefined) this.gzip.end();
    else this.file.destroy();
    await this.done;
    if (this.failure !== undefined) throw this.failure;
  }
}

/**
 * Streams every packet of `packets` into `file`, waiting for the file to drain so memory stays
 * constant; returns the size of the file written.
 */
export async function streamToFile(file: string, sequence: readonly BuiltPacket[], packets: Iterable<BuiltPacket>): Promise<number> {
  const format = formatOf(file);
  const fail = (err: unknown): never => {
    throw new CliError(`-w ${file}: ${(err as Error).message}`, 1);
  };
  let sink: CaptureSink;
  if (file.toLowerCase().endsWith('.gz')) sink = new GzipFileSink(file);
  else sink = new FileSink(file);
  const { writer, ids } = makeWriter(sequence, format, sink);
  try {
    for (const p of packets) {
      if (!put(writer, ids, p)) await writer.drained();
    }
  } catch (err) {
    await writer.close().catch(() => undefined);
    if (err instanceof CliError) throw err;
    fail(err);
  }
  await writer.close().catch(fail);
  return (await stat(file)).size;
}
