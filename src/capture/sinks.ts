// Where the writers put their bytes: memory (toBytes) or a file (a write stream, closed by close()).

import { createWriteStream, type WriteStream } from 'node:fs';
import { NetlabError } from '../base/errors.ts';

export interface CaptureSink {
  /** false when the sink would like the writer to wait for `drained()` before writing more. */
  write(bytes: Uint8Array): boolean;
  drained(): Promise<void>;
  /** Flushes and releases the sink (closes the file descriptor). */
  close(): Promise<void>;
}

export class MemorySink implements CaptureSink {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  write(bytes: Uint8Array): boolean {
    this.chunks.push(bytes);
    this.size += bytes.length;
    return true;
  }

  drained(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  toBytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

export class FileSink implements CaptureSink {
  private readonly stream: WriteStream;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path);
    this.stream.on('error', (e) => {
      this.failure ??= e;
    });
  }

  write(bytes: Uint8Array): boolean {
    if (this.failure !== undefined) throw this.failure;
    if (this.closing !== undefined) throw new NetlabError('ERR_STATE', `${this.path}: write after close()`);
    return this.stream.write(bytes);
  }

  drained(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (!this.stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        if (this.failure !== undefined) reject(this.failure);
        else resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
    });
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      const finish = (): void => {
        if (this.failure !== undefined) reject(this.failure);
        else resolve();
      };
      if (this.stream.closed) {
        finish();
        return;
      }
      this.stream.once('close', finish);
      if (this.failure !== undefined) this.stream.destroy();
      else this.stream.end();
    });
    return this.closing;
  }
}
