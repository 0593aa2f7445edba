// "Press Enter": waits for one line on stdin, then lets go of stdin again so that nothing keeps
// the process alive. Only used when stdin is a terminal.

import type { Readable } from 'node:stream';

export type PauseAnswer = 'next' | 'quit';

/** Resolves on the next line: 'quit' for q/quit (or the end of input), 'next' otherwise. */
export function waitForEnter(input: Readable): Promise<PauseAnswer> {
  return new Promise((resolve) => {
    let line = '';
    const done = (answer: PauseAnswer): void => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('close', onEnd);
      input.pause();
      resolve(answer);
    };
    const onData = (chunk: Buffer | string): void => {
      line += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      const nl = line.search(/[\r\n]/);
      if (nl >= 0) done(/^\s*q(uit)?\s*$/i.test(line.slice(0, nl)) ? 'quit' : 'next');
    };
    const onEnd = (): void => done('quit');
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('close', onEnd);
    input.resume();
  });
}
