// An exercise most labs share: find frames of one of the lab's captures with a display filter, as
// `netlab decode -r FILE -Y FILTER` (or Wireshark) does. The learner types the filter; the checker
// compiles it with netlab's display filter and runs it over the capture the lab wrote, and it is right
// when it selects exactly the frames asked for.

import { decodeCommand } from './captures.ts';
import type { Exercise, ExerciseContext, Grade } from './exercise.ts';

/** The frame numbers (1-based) a display filter selects in a capture; a string when it does not compile. */
export async function selectedFrames(path: string, filter: string, prefs: readonly string[] = []): Promise<number[] | string> {
  const [{ readCapture }, { DissectState, parsePrefs }, { dissect }, { compileFilter }] = await Promise.all([
    import('../capture/read.ts'),
    import('../dissect/context.ts'),
    import('../dissect/dissect.ts'),
    import('../dissect/filter/index.ts'),
  ]);
  let compiled: ReturnType<typeof compileFilter>;
  try {
    compiled = compileFilter(filter);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  const state = new DissectState(parsePrefs(prefs));
  const out: number[] = [];
  let n = 0;
  for await (const packet of readCapture(path)) {
    n++;
    if (compiled.matches(dissect(packet, state))) out.push(n);
  }
  return out;
}

const list = (frames: readonly number[]): string => (frames.length === 0 ? 'no frame' : `frame${frames.length === 1 ? '' : 's'} ${frames.join(', ')}`);

export interface FilterExerciseSpec<S> {
  readonly after: string;
  readonly title: string;
  /** The capture (file name without .pcapng) of this lab. */
  readonly file: string;
  /** What to find, in words (the task adds the command to run). */
  readonly find: string;
  /** The frames (1-based) the filter must select, exactly. */
  readonly frames: readonly number[] | ((ctx: ExerciseContext<S>) => readonly number[]);
  readonly hint: string;
  /** A filter that is right. */
  readonly right: string;
  /** A plausible filter that is wrong (it selects other frames, or does not compile). */
  readonly wrong: string;
  /** Wireshark preferences the filter needs (printed with the command). */
  readonly prefs?: readonly string[];
}

/** Grades a typed display filter on a capture of the lab. */
export async function gradeFilter(path: string, filter: string, want: readonly number[], prefs: readonly string[] = []): Promise<Grade> {
  const got = await selectedFrames(path, filter, prefs);
  if (typeof got === 'string') return { correct: false, feedback: `that filter does not compile: ${got}` };
  const same = got.length === want.length && got.every((f, i) => f === want[i]);
  if (same) return { correct: true, feedback: `it selects ${list(got)}, as asked` };
  return { correct: false, feedback: `it selects ${list(got)}; the frames asked for are ${want.join(', ')}` };
}

/** The exercise: type a display filter that selects exactly the given frames of a capture. */
export function filterExercise<S>(spec: FilterExerciseSpec<S>): Exercise<S> {
  const want = (ctx: ExerciseContext<S>): readonly number[] => (typeof spec.frames === 'function' ? spec.frames(ctx) : spec.frames);
  const prefs = spec.prefs ?? [];
  return {
    after: spec.after,
    title: spec.title,
    kind: 'command',
    expects: 'a display filter',
    task: (ctx) =>
      `${spec.find} Write a display filter that selects exactly ${list([...want(ctx)])} of ${ctx.capturePath(spec.file)}. ` +
      `Try it in a second terminal, then type it here:\n` +
      `  ${decodeCommand(ctx.capturePath(spec.file), 'YOUR FILTER', prefs)}`,
    grade: (answer, ctx) => gradeFilter(ctx.captureFile(spec.file), answer, want(ctx), prefs),
    hint: spec.hint,
    answer: spec.right,
    right: spec.right,
    wrong: spec.wrong,
  };
}
