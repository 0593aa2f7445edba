// Reading the learner's lines: "press Enter" between steps and the answers of an exercise. Each read
// takes one line from stdin and then lets go of stdin again, so that nothing keeps the process
// alive; lines typed ahead are kept for the next read. Only used when stdin is a terminal.

import type { Readable } from 'node:stream';

export type PauseAnswer = 'next' | 'quit';

/** What was read past the last line handed out, per input. */
const pending = new WeakMap<Readable, string>();

/** Resolves on the next line (without its end of line), or undefined at the end of input. */
export function readLine(input: Readable): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buffer = pending.get(input) ?? '';
    const take = (): boolean => {
      const nl = buffer.search(/\r\n|[\r\n]/);
      if (nl < 0) return false;
      const line = buffer.slice(0, nl);
      const rest = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
      pending.set(input, rest);
      finish(line);
      return true;
    };
    const finish = (line: string | undefined): void => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('close', onEnd);
      input.pause();
      resolve(line);
    };
    const onData = (chunk: Buffer | string): void => {
      buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      take();
    };
    const onEnd = (): void => {
      pending.set(input, '');
      finish(buffer === '' ? undefined : buffer);
    };
    if (take()) return;
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('close', onEnd);
    input.resume();
  });
}

/** Resolves on the next line: 'quit' for q/quit (or the end of input), 'next' otherwise. */
export async function waitForEnter(input: Readable): Promise<PauseAnswer> {
  const line = await readLine(input);
  return line === undefined || /^\s*q(uit)?\s*$/i.test(line) ? 'quit' : 'next';
}
