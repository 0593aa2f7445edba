// An exercise most labs share: find frames of one of the lab's captures with a display filter, as
// `netlab decode -r FILE -Y FILTER` (or Wireshark) does. The learner types the filter; the checker
// compiles it with netlab's display filter and runs it over the capture the lab wrote, and it is right
// when it selects exactly the frames asked for.

import { decodeCommand } from './captures.ts';
import type { Exercise, ExerciseContext, Grade } from './exercise.ts';
import { NetlabError } from '../base/errors.ts';

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

/** netlab's reading of fields, one row per frame, one column per field (occurrences joined by ','), as `netlab decode -T fields` prints them. */
export async function captureFields(path: string, fields: readonly string[], prefs: readonly string[] = []): Promise<string[][]> {
  const [{ readCapture }, { DissectState, parsePrefs }, { dissect }, { findFields }] = await Promise.all([
    import('../capture/read.ts'),
    import('../dissect/context.ts'),
    import('../dissect/dissect.ts'),
    import('../dissect/lookup.ts'),
  ]);
  const state = new DissectState(parsePrefs(prefs));
  const rows: string[][] = [];
  for await (const packet of readCapture(path)) {
    const d = dissect(packet, state);
    rows.push(
      fields.map((f) =>
        findFields(d, f)
          .map((x) => x.show)
          .join(','),
      ),
    );
  }
  return rows;
}

const list = (frames: readonly number[]): string => (frames.length === 0 ? 'no frame' : `frame${frames.length === 1 ? '' : 's'} ${frames.join(', ')}`);

export interface FilterExerciseSpec<_S> {
  readonly after: string;
  readonly title: string;
  /** The capture (file name without .pcapng) of this lab. */
  readonly file: string;
  /** What to find, in words (the task adds the command to run). */
  readonly find: string;
  /** The frames (1-based) the filter must select, exactly; or those a reference filter selects. */
  readonly frames: readonly number[] | { readonly like: string };
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
  const prefs = spec.prefs ?? [];
  const frames = spec.frames;
  const want = async (ctx: ExerciseContext<S>): Promise<readonly number[]> => {
    if (!('like' in frames)) return frames;
    const got = await selectedFrames(ctx.captureFile(spec.file), frames.like, prefs);
    if (typeof got === 'string') throw new NetlabError('ERR_ARGUMENT', `the reference filter ${frames.like} does not compile: ${got}`);
    if (got.length === 0) throw new NetlabError('ERR_ARGUMENT', `the reference filter ${frames.like} selects no frame of ${spec.file}`);
    return got;
  };
  return {
    after: spec.after,
    title: spec.title,
    kind: 'command',
    expects: 'a display filter',
    task: async (ctx) =>
      `${spec.find} Write a display filter that selects exactly ${list([...(await want(ctx))])} of ${ctx.capturePath(spec.file)}. ` +
      `Try it in a second terminal, then type it here:\n` +
      `  ${decodeCommand(ctx.capturePath(spec.file), 'YOUR FILTER', prefs)}`,
    grade: async (answer, ctx) => gradeFilter(ctx.captureFile(spec.file), answer, await want(ctx), prefs),
    hint: spec.hint,
    answer: spec.right,
    right: spec.right,
    wrong: spec.wrong,
  };
}

/** The values of one field in the frames a display filter selects (netlab's reading), frame by frame. */
export async function fieldValues(path: string, filter: string, field: string, prefs: readonly string[] = []): Promise<string[]> {
  const frames = await selectedFrames(path, filter, prefs);
  if (typeof frames === 'string') throw new NetlabError('ERR_ARGUMENT', `the filter ${filter} does not compile: ${frames}`);
  const rows = await captureFields(path, [field], prefs);
  return frames.map((n) => rows[n - 1]?.[0] ?? '');
}

/** The one value a prediction is graded against: the field in the first frame the filter selects. */
export async function firstValue(path: string, filter: string, field: string): Promise<number> {
  const values = await fieldValues(path, filter, field);
  const v = Number(values[0]);
  if (values.length === 0 || !Number.isFinite(v)) throw new NetlabError('ERR_ARGUMENT', `no frame of ${path} matches ${filter} with a numeric ${field}`);
  return v;
}
