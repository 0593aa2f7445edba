// What every netlab command shares: writing to stdout at the pace the reader takes it (so a huge
// capture streams in constant memory, and `| head` ends the run quietly), user-facing errors with
// an exit code, and the colour decision.

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

/** Writes text to a stream, waiting for 'drain' when its buffer is full. Stops quietly on EPIPE. */
export class Output {
  private closedFlag = false;
  private pending = '';

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
    if (this.closedFlag) return;
    this.pending += text;
    if (this.pending.length >= 64 * 1024) await this.flush();
  }

  async line(text: string): Promise<void> {
    await this.write(text + '\n');
  }

  async flush(): Promise<void> {
    if (this.closedFlag || this.pending === '') return;
    const chunk = this.pending;
    this.pending = '';
    const ok = this.stream.write(chunk);
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

/** Colour is allowed on a terminal unless NO_COLOR is set (https://no-color.org). */
export function colorAllowed(stream: { isTTY?: boolean } = process.stdout): boolean {
  const noColor = process.env.NO_COLOR;
  return stream.isTTY === true && (noColor === undefined || noColor === '');
}

/** Prints a user-facing error line (or lines) on stderr with the program name in front. */
export function printError(message: string): void {
  process.stderr.write(`netlab: ${message}\n`);
}
