// What every netlab command shares: writing to stdout at the pace the reader takes it (so a huge
// capture streams in constant memory, and `| head` ends the run quietly), user-facing errors with
// an exit code, and the colour decision.

import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Writable } from 'node:stream';

/** An error for the user: one clear message on stderr and the exit code to leave with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface NumberRule {
  min: number;
  max: number;
  /** Whole numbers only. */
  integer?: boolean;
  /** Named in the message: "seconds", "milliseconds", "copies". */
  unit?: string;
}

/**
 * Refuses a numeric option outside its range (yargs turns "abc" into NaN, which is refused too),
 * naming the option and the range: `--interval abc: not a number (give seconds from 0 to 86400)`.
 */
export function checkNumberOption(option: string, value: number, rule: NumberRule): number {
  const range = `${rule.integer ? 'a whole number' : 'a number'}${rule.unit === undefined ? '' : ` of ${rule.unit}`} from ${rule.min} to ${rule.max}`;
  if (typeof value !== 'number' || Number.isNaN(value)) throw new CliError(`${option}: not a number (give ${range})`, 1);
  if (!Number.isFinite(value) || value < rule.min || value > rule.max || (rule.integer === true && !Number.isInteger(value))) {
    throw new CliError(`${option} ${value}: out of range (give ${range})`, 1);
  }
  return value;
}

/**
 * Checks, before any work is done, that `file` can be created or overwritten: its folder exists, is a
 * folder and is writable, and the file itself is not a folder. (Checking first means a long run never
 * ends by losing its output to a typo in the path.)
 */
export function checkWritableFile(option: string, file: string): void {
  const where = `${option} ${file}`;
  if (file === '') throw new CliError(`${option}: give a file name`, 1);
  const full = resolve(file);
  const st = statOrUndefined(full);
  if (st?.isDirectory()) throw new CliError(`${where}: is a folder; give a file name inside it`, 1);
  const dir = dirname(full);
  const dst = statOrUndefined(dir);
  if (dst === undefined) throw new CliError(`${where}: the folder ${dir} does not exist`, 1);
  if (!dst.isDirectory()) throw new CliError(`${where}: ${dir} is a file, not a folder`, 1);
  try {
    accessSync(st === undefined ? dir : full, constants.W_OK);
  } catch {
    throw new CliError(`${where}: no permission to write ${st === undefined ? `in the folder ${dir}` : 'this file'}`, 1);
  }
}

/**
 * Checks, before any work is done, that folder `dir` exists or can be created: the nearest part of
 * the path that exists is a folder and is writable.
 */
export function checkFolderCreatable(option: string, dir: string): void {
  if (dir === '') throw new CliError(`${option}: give a folder`, 1);
  let at = resolve(dir);
  for (;;) {
    const st = statOrUndefined(at);
    if (st !== undefined) {
      if (!st.isDirectory()) throw new CliError(`${option} ${dir}: ${at} is a file, not a folder`, 1);
      try {
        accessSync(at, constants.W_OK);
      } catch {
        throw new CliError(`${option} ${dir}: no permission to write in ${at}`, 1);
      }
      return;
    }
    const up = dirname(at);
    if (up === at) return;
    at = up;
  }
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') return undefined;
    throw new CliError(`${path}: ${(err as Error).message}`, 1);
  }
}

/** Writes text to a stream, waiting for 'drain' when its buffer is full. Stops quietly on EPIPE. */
export class Output {
  private closedFlag = false;
  /** Text queued as UTF-8 in one buffer: encoding each piece as it comes is cheaper than joining strings. */
  private buf: Buffer = Buffer.allocUnsafe(OUTPUT_CHUNK);
  private used = 0;

  constructor(private readonly stream: Writable = process.stdout) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // EPIPE: the reader went away (`| head`). Any other write error also ends the output; say so.
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') process.stderr.write(`netlab: cannot write the output: ${err.message}\n`);
      this.closedFlag = true;
    });
  }

  /** True once the reader went away (a closed pipe): the command should stop producing. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** Queues text; flushes in large chunks. */
  async write(text: string): Promise<void> {
    if (this.append(text)) await this.flush();
  }

  /**
   * Queues text without waiting: true when enough is queued that the caller should `await flush()`
   * (a hot loop's way of writing in large chunks without an await per line).
   */
  append(text: string): boolean {
    if (this.closedFlag) return false;
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    if (text.length * 3 > this.buf.length - this.used) {
      if (this.used > 0) this.handOver();
      if (text.length * 3 > this.buf.length) {
        this.handedOver.push(Buffer.from(text, 'utf8'));
        return true;
      }
    }
    this.used += this.buf.write(text, this.used, 'utf8');
    return this.used >= OUTPUT_FLUSH_AT || this.handedOver.length > 0;
  }

  async line(text: string): Promise<void> {
    await this.write(text + '\n');
  }

  /** Chunks filled and waiting for flush(), in order; a piece too large for a chunk is one of its own. */
  private handedOver: Buffer[] = [];

  private handOver(): void {
    this.handedOver.push(this.buf.subarray(0, this.used));
    this.buf = Buffer.allocUnsafe(OUTPUT_CHUNK);
    this.used = 0;
  }

  async flush(): Promise<void> {
    if (this.closedFlag) return;
    if (this.used > 0) this.handOver();
    const chunks = this.handedOver;
    this.handedOver = [];
    let ok = true;
    for (const c of chunks) if (c.length > 0) ok = this.stream.write(c) && ok;
    if (!ok && !this.closedFlag) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.stream.off('drain', done);
          this.stream.off('close', done);
          this.stream.off('error', done);
          resolve();
        };
        this.stream.on('drain', done);
        this.stream.on('close', done);
        this.stream.on('error', done);
      });
    }
  }
}

/** Bytes per output buffer, and how full it gets before the caller is asked to flush. */
const OUTPUT_CHUNK = 256 * 1024;
const OUTPUT_FLUSH_AT = 192 * 1024;

/** Colour is allowed on a terminal unless NO_COLOR is set (https://no-color.org). */
export function colorAllowed(stream: { isTTY?: boolean } = process.stdout): boolean {
  const noColor = process.env.NO_COLOR;
  return stream.isTTY === true && (noColor === undefined || noColor === '');
}

/** Prints a user-facing error line (or lines) on stderr with the program name in front. */
export function printError(message: string): void {
  process.stderr.write(`netlab: ${message}\n`);
}

/** Resolves on Ctrl-C (SIGINT), SIGTERM, or after `seconds` when given: how a serving command waits to stop. */
export function untilStopped(seconds?: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      clearTimeout(timer);
      resolve();
    };
    const timer = seconds === undefined ? undefined : setTimeout(stop, seconds * 1000);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
