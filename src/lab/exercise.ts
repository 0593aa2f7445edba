// "Your turn": exercises a learner does. An exercise follows one of the lab's steps; it sets a task
// (answer a question, predict a value before it is revealed, run a command such as `netlab decode -Y`
// or `netlab craft` and say what it showed), and the lab's own checker grades what the learner typed
// or did, against the lab's real numbers, files and servers.
//
// Guided at a terminal, the runner asks: an answer is graded; a wrong one gets the hint, and the learner
// tries again; `h` shows the hint, `a` the answer, `s` (or an empty line) skips, `q` stops the run.
// In --check mode a scripted learner answers: each exercise declares a right answer and a wrong one,
// and the grading is itself checked (the wrong answer refused, the right one accepted).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabInfo } from './lab-info.ts';

/** A grade: right or not, and a line saying why (what the checker saw). */
export interface Grade {
  readonly correct: boolean;
  readonly feedback: string;
}

export interface ExerciseContext<S> {
  readonly lab: LabInfo;
  readonly state: S;
  /** The lab's output folder (`netlab-out/NAME`). */
  readonly outDir: string;
  /** A capture the lab wrote, as printed: OUT/LAB/FILE.pcapng (relative to the working directory when inside it). */
  capturePath(file: string): string;
  /** The same capture's absolute path, to read it. */
  captureFile(file: string): string;
  /** A folder the scripted learner may write to (removed after the exercise; never the lab's folder). */
  scratch(): string;
  readonly signal: AbortSignal;
}

type Text<S> = string | ((ctx: ExerciseContext<S>) => string);
type Answer<S> = string | ((ctx: ExerciseContext<S>) => string | Promise<string>);

export interface Exercise<S> {
  /** The title of the step this exercise follows (it runs once that step has run). */
  readonly after: string;
  readonly title: string;
  /** answer: a question; predict: a value the lab reveals after; command: run something, then say what it showed. */
  readonly kind: 'answer' | 'predict' | 'command';
  /** What to do (prose, reflowed). */
  readonly task: Text<S> | ((ctx: ExerciseContext<S>) => Promise<string>);
  /** What the prompt asks for: `a display filter`, `a number`, `the file you wrote`. */
  readonly expects: string;
  /** Grades an answer (trimmed, never empty) against what really happened. */
  grade(answer: string, ctx: ExerciseContext<S>): Grade | Promise<Grade>;
  /** Shown after a wrong try, or on request. */
  readonly hint: Text<S>;
  /** One right answer, with why: shown on request (and after the exercise off a terminal). */
  readonly answer: Text<S>;
  /** The scripted learner's right answer (it may act first: write a file, send a query). */
  readonly right: Answer<S>;
  /** The scripted learner's wrong answer; grading must refuse it. */
  readonly wrong: Answer<S>;
  /** Revealed once the exercise is over (a predicted value, say). */
  readonly reveal?: Text<S>;
  /** Default 30 s, for grading and the scripted learner. */
  readonly timeoutMs?: number;
}

export const textOf = <S>(t: Text<S> | undefined, ctx: ExerciseContext<S>): string => (t === undefined ? '' : typeof t === 'function' ? t(ctx) : t);
export const answerOf = async <S>(t: Answer<S>, ctx: ExerciseContext<S>): Promise<string> => (typeof t === 'function' ? await t(ctx) : t);

/** A scratch folder maker whose folders are removed by `clear()`. */
export function scratchFolders(): { make(): string; clear(): void } {
  const made: string[] = [];
  return {
    make: () => {
      const d = mkdtempSync(join(tmpdir(), 'netlab-learner-'));
      made.push(d);
      return d;
    },
    clear: () => {
      for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** Numbers as a learner types them: `12`, `0x5057`, `5057` read as hex when `hex` is set. */
export function parseNumber(text: string, hex = false): number | undefined {
  const t = text
    .trim()
    .toLowerCase()
    .replace(/[,_\s]/g, '');
  if (/^0x[0-9a-f]+$/.test(t)) return Number.parseInt(t.slice(2), 16);
  if (hex && /^[0-9a-f]+$/.test(t)) return Number.parseInt(t, 16);
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return undefined;
}

/** A grade comparing a typed number with the right one. */
export function gradeNumber(answer: string, right: number, options: { hex?: boolean; unit?: string; tolerance?: number } = {}): Grade {
  const n = parseNumber(answer.replace(new RegExp(`\\s*${options.unit ?? '$^'}\\s*$`, 'i'), ''), options.hex);
  const show = (v: number): string =>
    options.hex === true ? `0x${v.toString(16).padStart(4, '0')}` : `${v}${options.unit === undefined ? '' : ` ${options.unit}`}`;
  if (n === undefined) return { correct: false, feedback: `"${answer}" is not a number${options.hex === true ? ' (hex like 0x5057 is fine)' : ''}` };
  if (Math.abs(n - right) <= (options.tolerance ?? 0)) return { correct: true, feedback: `${show(n)} is right` };
  return { correct: false, feedback: `${show(n)} is not it` };
}

/** A grade comparing a typed word with the accepted ones (case and spacing ignored). */
export function gradeChoice(answer: string, accepted: readonly string[], what = 'answer'): Grade {
  const norm = (s: string): string => s.trim().toLowerCase().replace(/\s+/g, ' ');
  const ok = accepted.some((a) => norm(a) === norm(answer));
  return ok ? { correct: true, feedback: `${answer.trim()} is right` } : { correct: false, feedback: `${answer.trim()} is not the ${what}` };
}
