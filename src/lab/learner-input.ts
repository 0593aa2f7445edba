// The learner's lines, from the terminal and from the lab page (`netlab lab run NAME --web`): the
// pauses and the exercises read the next line from whichever gives one first. One read of stdin is
// kept pending across calls, so a line typed at the terminal is never lost to a page's answer.

import type { Readable } from 'node:stream';
import { readLine } from './pause.ts';

export interface LearnerLine {
  readonly text: string;
  readonly from: 'terminal' | 'page';
}

export class LearnerInput {
  private readonly queue: LearnerLine[] = [];
  private readonly waiters: ((l: LearnerLine | undefined) => void)[] = [];
  private reading = false;
  private ended = false;
  private closed = false;

  /**
   * `stdin`: the terminal (undefined: the page only). `page`: answers may come from the page, so the
   * end of stdin does not end the input.
   */
  constructor(
    private readonly stdin: Readable | undefined,
    readonly page: boolean,
  ) {}

  /** True when someone can answer (a terminal, or the page). */
  get interactive(): boolean {
    return this.page || this.stdin !== undefined;
  }

  /** A line typed in the page. */
  post(text: string): void {
    this.deliver({ text, from: 'page' });
  }

  /** Ends every wait (the run is over or the server closed): they resolve to undefined. */
  close(): void {
    this.closed = true;
    this.stdin?.pause();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** The next line, or undefined when no more can come. */
  next(): Promise<LearnerLine | undefined> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closed || (this.ended && !this.page) || !this.interactive) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.readStdin();
    });
  }

  private deliver(line: LearnerLine): void {
    const w = this.waiters.shift();
    if (w !== undefined) w(line);
    else this.queue.push(line);
  }

  private readStdin(): void {
    if (this.stdin === undefined || this.reading || this.ended) return;
    this.reading = true;
    void readLine(this.stdin).then((line) => {
      this.reading = false;
      if (line === undefined) {
        this.ended = true;
        if (!this.page) for (const w of this.waiters.splice(0)) w(undefined);
        return;
      }
      this.deliver({ text: line, from: 'terminal' });
    });
  }
}
