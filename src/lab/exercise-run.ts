// Running one exercise ("your turn"): at a terminal the learner answers (graded, a hint after a wrong
// try, the answer on request, skippable); in --check mode the scripted learner gives the exercise's
// wrong answer, then its right one, and both gradings are checkpoints; guided off a terminal, the
// task is printed with one right answer.

import type { CheckResult } from './checkpoint.ts';
import { displayPath } from './captures.ts';
import { answerOf, scratchFolders, textOf, type Exercise, type ExerciseContext, type Grade } from './exercise.ts';
import type { LearnerInput } from './learner-input.ts';
import type { ExchangeJson } from '../view/lab-types.ts';
import { errorText, type LabRun } from './step-run.ts';
import { join, resolve } from 'node:path';

export type ExerciseOutcome = 'right' | 'revealed' | 'skipped' | 'quit' | 'checked';

export interface ExerciseIo {
  /** Set when the learner answers (at a terminal, or in the lab page). */
  readonly input?: LearnerInput;
  readonly cwd?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`${what}: no result within ${ms} ms`)), ms);
    }),
  ]);
}

/** Runs one exercise; `pos`/`total` number it among the lab's steps. */
export async function runExercise(run: LabRun, ex: Exercise<unknown>, pos: number, total: number, io: ExerciseIo): Promise<ExerciseOutcome> {
  const { reporter, pal } = run;
  const scratch = scratchFolders();
  const controller = new AbortController();
  const ctx: ExerciseContext<unknown> = {
    lab: run.lab,
    state: run.state,
    outDir: run.dir,
    capturePath: (file) => displayPath(resolve(join(run.dir, file.endsWith('.pcapng') ? file : `${file}.pcapng`)), io.cwd),
    captureFile: (file) => resolve(join(run.dir, file.endsWith('.pcapng') ? file : `${file}.pcapng`)),
    scratch: scratch.make,
    signal: controller.signal,
  };
  const limit = ex.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const grade = (answer: string): Promise<Grade> =>
    withTimeout(
      Promise.resolve().then(() => ex.grade(answer.trim(), ctx)),
      limit,
      'grading',
    );
  const record = (r: CheckResult): void => run.record(r);
  let task = '';
  try {
    task = typeof ex.task === 'function' ? await ex.task(ctx) : ex.task;
  } catch (err) {
    task = `(the task could not be written: ${errorText(err)})`;
  }
  reporter.stepStart(pos, total, ex.title, task, 'Your turn');
  run.emit({ type: 'item', kind: 'exercise', position: pos, total, title: ex.title, text: task, expects: ex.expects });
  const said = (exchange: ExchangeJson): void => run.emit({ type: 'exchange', exchange });
  const end = (outcome: ExerciseOutcome): ExerciseOutcome => {
    run.emit({ type: 'item-end', state: outcome });
    return outcome;
  };
  try {
    if (run.mode === 'check') {
      const label = `your turn "${ex.title}"`;
      const wrong = await withTimeout(answerOf(ex.wrong, ctx), limit, 'the scripted wrong answer');
      const g1 = await grade(wrong);
      said({ kind: 'answer', text: `${wrong}: ${g1.feedback}`, correct: g1.correct, from: 'script' });
      record({ label: `${label}: a wrong answer (${wrong}) is refused`, passed: !g1.correct, observed: g1.feedback, expected: 'refused' });
      const hint = textOf(ex.hint, ctx);
      const shown = textOf(ex.answer, ctx);
      record({
        label: `${label}: a hint and an answer to show`,
        passed: hint.trim() !== '' && shown.trim() !== '',
        observed: hint.trim() === '' ? 'no hint' : shown.trim() === '' ? 'no answer' : 'both given',
        expected: 'both given',
      });
      const right = await withTimeout(answerOf(ex.right, ctx), limit, 'the scripted right answer');
      const g2 = await grade(right);
      said({ kind: 'answer', text: `${right}: ${g2.feedback}`, correct: g2.correct, from: 'script' });
      record({
        label: `${label}: the right answer (${right}) is accepted`,
        passed: g2.correct && right.trim() !== '',
        observed: right.trim() === '' ? 'the right answer is empty' : g2.feedback,
        expected: 'accepted',
      });
      return end('checked');
    }
    if (io.input === undefined || !io.input.interactive) {
      reporter.say(`${pal.style('dim', 'At a terminal you would answer here. One answer:')} ${textOf(ex.answer, ctx)}`);
      said({ kind: 'shown', text: textOf(ex.answer, ctx) });
      const reveal = textOf(ex.reveal, ctx);
      if (reveal !== '') {
        reporter.say(reveal);
        said({ kind: 'reveal', text: reveal });
      }
      reporter.stepEnd();
      return end('revealed');
    }
    run.emit({ type: 'waiting', waiting: { kind: 'exercise', title: ex.title } });
    const outcome = await ask(run, ex, ctx, io.input, grade, said);
    run.emit({ type: 'waiting', waiting: null });
    const reveal = textOf(ex.reveal, ctx);
    if (outcome !== 'quit' && reveal !== '') {
      reporter.say(reveal);
      said({ kind: 'reveal', text: reveal });
    }
    reporter.stepEnd();
    return end(outcome);
  } catch (err) {
    record({ label: `your turn "${ex.title}" could be graded`, passed: false, observed: errorText(err), expected: 'no error' });
    reporter.stepEnd();
    return end('checked');
  } finally {
    controller.abort();
    scratch.clear();
  }
}

/** The exchange with the learner, at the terminal or in the page (a page's answer is echoed at the terminal). */
async function ask(
  run: LabRun,
  ex: Exercise<unknown>,
  ctx: ExerciseContext<unknown>,
  input: LearnerInput,
  grade: (a: string) => Promise<Grade>,
  said: (e: ExchangeJson) => void,
): Promise<ExerciseOutcome> {
  const { reporter, pal } = run;
  let tries = 0;
  const prompt = `  ${ex.kind === 'predict' ? 'your prediction' : 'your answer'}> `;
  reporter.say(pal.style('dim', `Type ${ex.expects}; or h for a hint, a for the answer, s (or Enter) to skip, q to stop.`));
  for (;;) {
    reporter.prompt(prompt);
    const line = await input.next();
    if (line === undefined) return 'quit';
    if (line.from === 'page') reporter.prompt(`${line.text} ${pal.style('dim', '(from the page)')}\n`);
    const text = line.text.trim();
    if (/^q(uit)?$/i.test(text)) return 'quit';
    if (text === '' || /^s(kip)?$/i.test(text)) {
      reporter.say(pal.style('dim', `Skipped. One answer: ${textOf(ex.answer, ctx)}`));
      said({ kind: 'skipped', text: textOf(ex.answer, ctx), from: line.from });
      return 'skipped';
    }
    if (/^(h|hint|\?)$/i.test(text)) {
      reporter.say(`${pal.style('yellow', 'hint')}  ${textOf(ex.hint, ctx)}`);
      said({ kind: 'hint', text: textOf(ex.hint, ctx), from: line.from });
      continue;
    }
    if (/^a(nswer)?$/i.test(text)) {
      reporter.say(`${pal.style('cyan', 'answer')}  ${textOf(ex.answer, ctx)}`);
      said({ kind: 'shown', text: textOf(ex.answer, ctx), from: line.from });
      return 'revealed';
    }
    let g: Grade;
    try {
      g = await grade(text);
    } catch (err) {
      reporter.say(`${pal.style('red', '✗')} the checker could not grade that: ${errorText(err)}`);
      said({ kind: 'answer', text: `${text}: the checker could not grade that: ${errorText(err)}`, correct: false, from: line.from });
      continue;
    }
    said({ kind: 'answer', text: `${text}: ${g.feedback}`, correct: g.correct, from: line.from });
    if (g.correct) {
      reporter.say(`${pal.style('green', '✓ right:')} ${g.feedback}`);
      return 'right';
    }
    tries++;
    reporter.say(`${pal.style('red', '✗ not yet:')} ${g.feedback}`);
    if (tries === 1) {
      reporter.say(`${pal.style('yellow', 'hint')}  ${textOf(ex.hint, ctx)}`);
      said({ kind: 'hint', text: textOf(ex.hint, ctx) });
    }
  }
}
