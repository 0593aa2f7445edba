// Reading captures: from a file, streamed in constant memory (openCapture, readCapture), or from bytes
// already in memory (parseCapture). Both feed the same incremental CaptureParser.
//
//   const cap = await openCapture('x.pcapng');
//   cap.format; cap.interfaces; cap.secrets;        // known before the first packet
//   for await (const p of cap.packets()) { ... }    // closes the file when done
//   if (cap.error) console.error(cap.error.message) // a damaged record stopped reading
//
// A file that is not a readable capture (bad magic, unsupported version) throws CaptureFormatError
// from openCapture / parseCapture. A damaged record after a good header never throws from the packet
// loop: the packets before it are yielded and the damage is reported in `error` (readCapture throws it
// after the last good packet, like tshark exits with an error after printing the frames it read).

import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { constants, createGunzip, type Gunzip } from 'node:zlib';
import { gunzipAll, isGzip, isZlibError } from './gzip.ts';
import type { CaptureSection } from './parse-context.ts';
import { CaptureParser } from './parser.ts';
import { CaptureRecordError, type CaptureWarning } from './problems.ts';
import type { CaptureFormat, CaptureInterface, CapturedPacket, DecryptionSecrets } from './types.ts';
import { NetlabError } from '../base/errors.ts';

export type { CaptureSection } from './parse-context.ts';
export { CaptureRecordError, type CaptureWarning } from './problems.ts';

/** What a capture says besides its packets. Lists are live while a streamed capture is read. */
export interface CaptureInfo {
  readonly format: CaptureFormat;
  /** The file was gzip-compressed (offsets in messages are then in the uncompressed data). */
  readonly compressed: boolean;
  /** Every interface, across pcapng sections; a packet's interfaceId indexes this list. */
  readonly interfaces: readonly CaptureInterface[];
  readonly secrets: readonly DecryptionSecrets[];
  readonly sections: readonly CaptureSection[];
  /** File-level warnings (a block skipped, an old version); per-packet ones are on the packets. */
  readonly warnings: readonly CaptureWarning[];
  /** The damaged record that stopped reading, if one did (set once packets() has ended). */
  readonly error: CaptureRecordError | undefined;
}

export interface CaptureReader extends CaptureInfo {
  readonly path: string;
  /** The packets, in one pass (call it once). The file is closed when the loop ends or breaks. */
  packets(): AsyncGenerator<CapturedPacket, void, undefined>;
  /**
   * The same packets in arrays of up to `max`: those already read from the file come without a
   * wait each (a long capture's hot loop). Call it instead of packets(), once.
   */
  batches(max?: number): AsyncGenerator<CapturedPacket[], void, undefined>;
  /** Closes the file; safe to call more than once. */
  close(): Promise<void>;
}

export interface OpenCaptureOptions {
  /** Bytes per file read (default 64 KiB). */
  chunkSize?: number;
}

/** Opens a capture and reads up to its first packet (so interfaces and leading secrets are known). */
export async function openCapture(path: string, options: OpenCaptureOptions = {}): Promise<CaptureReader> {
  const compressed = await startsWithGzip(path);
  const source = createReadStream(path, { highWaterMark: options.chunkSize ?? 64 * 1024 });
  let output: Readable = source;
  let check: GzipCheck | undefined;
  if (compressed) {
    // Two inflaters read the same bytes. The one that feeds the parser flushes what it has when the
    // input ends (Z_SYNC_FLUSH), so a cut-short file still yields every packet that was completely
    // inside it, whatever the chunk size; the other finishes strictly (Z_FINISH) and so says whether
    // the gzip stream was complete, and if not, why (reported after the last packet).
    const data = createGunzip({ finishFlush: constants.Z_SYNC_FLUSH });
    const strict = createGunzip();
    source.on('error', (e) => data.destroy(e));
    source.pipe(data);
    source.pipe(strict);
    strict.resume();
    check = {
      stream: strict,
      result: new Promise((resolve) => {
        strict.on('end', () => resolve(undefined));
        strict.on('error', (e) => resolve(e.message));
        strict.on('close', () => resolve(undefined));
      }),
    };
    output = data;
  }
  const reader = new StreamCaptureReader(path, compressed, source, output, check);
  try {
    await reader.start();
  } catch (e) {
    await reader.close();
    throw e;
  }
  return reader;
}

/** The packets of a capture file, streamed; throws CaptureRecordError after the last good packet if a damaged record stopped reading. */
export async function* readCapture(path: string, options: OpenCaptureOptions = {}): AsyncGenerator<CapturedPacket, void, undefined> {
  const cap = await openCapture(path, options);
  try {
    yield* cap.packets();
  } finally {
    await cap.close();
  }
  if (cap.error !== undefined) throw cap.error;
}

/** A capture parsed from bytes in memory (small files, tests, labs). */
export interface ParsedCapture extends CaptureInfo {
  readonly packets: CapturedPacket[];
}

/** Parses a whole capture (pcap, pcapng, either gzip-compressed) held in memory. */
export function parseCapture(bytes: Uint8Array, name = '<bytes>'): ParsedCapture {
  const compressed = isGzip(bytes);
  let data = bytes;
  let gzipProblem: string | undefined;
  if (compressed) ({ data, problem: gzipProblem } = gunzipAll(bytes));
  const parser = new CaptureParser(name);
  parser.push(data);
  parser.end();
  const packets: CapturedPacket[] = [];
  for (let p = parser.next(); p !== undefined; p = parser.next()) packets.push(p);
  return {
    format: parser.format as CaptureFormat,
    compressed,
    interfaces: parser.interfaces,
    secrets: parser.secrets,
    sections: parser.sections,
    warnings: parser.warnings,
    error: withGzipProblem(parser, gzipProblem),
    packets,
  };
}

function withGzipProblem(parser: CaptureParser, gzipProblem: string | undefined): CaptureRecordError | undefined {
  if (gzipProblem === undefined) return parser.error;
  const base = parser.error;
  const reason = `the gzip data is damaged (${gzipProblem})${base === undefined ? '' : `: ${base.reason}`}; reading stopped`;
  return new CaptureRecordError(parser.file, base?.frame ?? parser.packetCount + 1, base?.offset ?? parser.offset, reason);
}

async function startsWithGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = new Uint8Array(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return isGzip(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** The strict inflater's verdict: undefined when the gzip stream was complete, else zlib's reason. */
interface GzipCheck {
  readonly stream: Gunzip;
  readonly result: Promise<string | undefined>;
}

class StreamCaptureReader implements CaptureReader {
  private readonly parser: CaptureParser;
  private readonly chunks: AsyncIterator<Uint8Array>;
  private first: CapturedPacket | undefined;
  private started = false;
  private gzipProblem: string | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    readonly path: string,
    readonly compressed: boolean,
    private readonly source: Readable,
    private readonly output: Readable,
    private readonly check?: GzipCheck,
  ) {
    this.parser = new CaptureParser(path);
    this.chunks = output[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  }

  get format(): CaptureFormat {
    return this.parser.format as CaptureFormat;
  }
  get interfaces(): readonly CaptureInterface[] {
    return this.parser.interfaces;
  }
  get secrets(): readonly DecryptionSecrets[] {
    return this.parser.secrets;
  }
  get sections(): readonly CaptureSection[] {
    return this.parser.sections;
  }
  get warnings(): readonly CaptureWarning[] {
    return this.parser.warnings;
  }
  get error(): CaptureRecordError | undefined {
    return withGzipProblem(this.parser, this.gzipProblem);
  }

  /** Reads the header and everything up to the first packet (throws CaptureFormatError). */
  async start(): Promise<void> {
    this.first = await this.nextPacket();
  }

  async *packets(): AsyncGenerator<CapturedPacket, void, undefined> {
    this.startOnce();
    try {
      let p = this.first;
      this.first = undefined;
      while (p !== undefined) {
        yield p;
        p = await this.nextPacket();
      }
    } finally {
      await this.close();
    }
  }

  async *batches(max = 256): AsyncGenerator<CapturedPacket[], void, undefined> {
    this.startOnce();
    try {
      let p = this.first;
      this.first = undefined;
      while (p !== undefined) {
        const batch = [p];
        while (batch.length < max) {
          const q = this.parser.next();
          if (q === undefined) break;
          batch.push(q);
        }
        yield batch;
        p = await this.nextPacket();
      }
    } finally {
      await this.close();
    }
  }

  private startOnce(): void {
    if (this.started)
      throw new NetlabError('ERR_STATE', `${this.path}: packets() was already called; a capture is read in one pass (open it again to re-read)`);
    this.started = true;
  }

  private async nextPacket(): Promise<CapturedPacket | undefined> {
    for (;;) {
      const p = this.parser.next();
      if (p !== undefined || this.parser.finished) return p;
      await this.pull();
    }
  }

  private async pull(): Promise<void> {
    try {
      const r = await this.chunks.next();
      if (r.done === true) {
        // Every decompressed byte is in; was the gzip stream itself complete?
        if (this.check !== undefined) this.gzipProblem ??= await this.check.result;
        this.parser.end();
      } else this.parser.push(r.value);
    } catch (e) {
      if (!isZlibError(e)) throw e;
      this.gzipProblem = e.message;
      this.parser.end();
    }
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.output !== this.source) this.output.destroy();
      this.check?.stream.destroy();
      if (this.source.closed) {
        resolve();
        return;
      }
      this.source.once('close', () => resolve());
      this.source.destroy();
    });
    return this.closing;
  }
}
