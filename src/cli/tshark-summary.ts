// What tshark says about a capture: its frame count, its protocol stacks (frame.protocols) with how
// many frames have each, and how many frames it finds malformed. The fixtures README records this
// so that a reader knows what Wireshark will show before opening a file.

import { execFileSync } from 'node:child_process';

export interface TsharkSummary {
  frames: number;
  /** frame.protocols value -> number of frames, in order of first appearance. */
  stacks: Map<string, number>;
  /** Frames carrying _ws.malformed. */
  malformed: number;
}

/** True when tshark is on the PATH. */
export function tsharkAvailable(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs tshark on `path`. Throws with tshark's message when it cannot read the file. */
export function tsharkSummary(path: string): TsharkSummary {
  const out = execFileSync('tshark', ['-n', '-r', path, '-T', 'fields', '-e', 'frame.protocols', '-e', '_ws.malformed'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const stacks = new Map<string, number>();
  let frames = 0;
  let malformed = 0;
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const [stack, bad] = line.split('\t');
    frames++;
    stacks.set(stack, (stacks.get(stack) ?? 0) + 1);
    if (bad !== undefined && bad !== '') malformed++;
  }
  return { frames, stacks, malformed };
}

/** One line for a README table: `3 frames: eth:ethertype:ip:tcp (3)`, plus any malformed count. */
export function describeSummary(s: TsharkSummary): string {
  const stacks = [...s.stacks].map(([stack, n]) => `${stack} (${n})`).join(', ');
  const bad = s.malformed > 0 ? `; ${s.malformed} malformed` : '';
  return `${s.frames} frame${s.frames === 1 ? '' : 's'}: ${stacks}${bad}`;
}
