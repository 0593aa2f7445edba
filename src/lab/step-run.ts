// Running one step: the explanation, the action with its StepContext and time limit, then the
// step's clean-ups. A step that throws or runs out of time is one failed checkpoint; whatever a
// timed-out step still does afterwards is neither counted nor shown.

import type { CaptureSet } from './captures.ts';
import { createCheck, type CheckResult } from './checkpoint.ts';
import type { Clock } from '../base/clock.ts';
import type { Palette } from './colour.ts';
import { renderHex } from './hexview.ts';
import type { Random } from '../base/random.ts';
import type { Reporter, RunMode } from './reporter.ts';
import { renderSequence } from './sequence.ts';
import { renderTable } from './table.ts';
import { reflow } from './layout.ts';
import type { AnyLab, Show, StepContext } from './types.ts';
import type { CellJson, LabEvent, ShowJson } from '../view/lab-types.ts';
import { figureText } from './figure.ts';
import { stripAnsi } from './colour.ts';
import type { Cell } from './table.ts';

export const DEFAULT_STEP_TIMEOUT_MS = 30_000;

export type Cleanup = () => void | Promise<void>;

/** What every step of one lab run shares. */
export interface LabRun {
  readonly lab: AnyLab;
  readonly state: unknown;
  readonly mode: RunMode;
  readonly reporter: Reporter;
  readonly pal: Palette;
  readonly clock: Clock;
  readonly random: Random;
  readonly deterministic: boolean;
  readonly dir: string;
  readonly captures: CaptureSet;
  readonly labCleanups: Cleanup[];
  record(r: CheckResult): void;
  /** Tells the run's record (and the lab page) what happens. */
  emit(e: LabEvent): void;
}

const cellJson = (c: Cell): CellJson => (c === undefined ? null : typeof c === 'bigint' ? String(c) : c);

export function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Runs the clean-ups, last registered first; a failing one is a failed checkpoint. */
export async function runCleanups(list: Cleanup[], record: (r: CheckResult) => void, where: string): Promise<void> {
  for (const fn of list.splice(0).reverse()) {
    try {
      await fn();
    } catch (err) {
      record({ label: `${where}: clean-up ran without error`, passed: false, observed: errorText(err), expected: 'no error' });
    }
  }
}

type Outcome = { ok: true } | { ok: false; observed: string; expected: string };

/** Runs step `index` of the lab; true when it ran to the end (its checkpoints may still have failed). */
export async function runStep(run: LabRun, index: number, position = index, total = run.lab.steps.length): Promise<boolean> {
  const { lab, reporter } = run;
  const step = lab.steps[index];
  let explanation = '';
  let explainError: unknown;
  try {
    explanation = typeof step.explain === 'function' ? step.explain(run.state) : step.explain;
  } catch (err) {
    explainError = err;
  }
  reporter.stepStart(position, total, step.title, explanation);
  run.emit({ type: 'item', kind: 'step', position, total, title: step.title, text: explanation });

  const stepCleanups: Cleanup[] = [];
  const controller = new AbortController();
  let live = true;
  const record = (r: CheckResult): void => {
    if (live) run.record(r);
  };
  const shown = (lines: () => string[]): void => {
    if (live && run.mode === 'guided') reporter.show(lines());
  };
  const page = (item: () => ShowJson): void => {
    if (live) run.emit({ type: 'show', show: item() });
  };
  const show: Show = {
    text: (t) => {
      shown(() => reflow(t, reporter.showWidth));
      page(() => ({ kind: 'text', text: t }));
    },
    table: (head, rows, o) => {
      shown(() => renderTable(head, rows, { maxWidth: reporter.showWidth, ...o }));
      page(() => ({ kind: 'table', head: [...head], rows: rows.map((r) => r.map(cellJson)), ...(o?.title === undefined ? {} : { title: o.title }) }));
    },
    hex: (bytes, o) => {
      shown(() => renderHex(bytes, run.pal, o));
      page(() => ({ kind: 'pre', lines: renderHex(bytes, run.pal, o).map(stripAnsi) }));
    },
    sequence: (spec) => {
      shown(() => renderSequence(spec, reporter.showWidth));
      page(() => ({ kind: 'pre', lines: renderSequence(spec, 100).map(stripAnsi) }));
    },
    figure: (f) => {
      if (f.text === undefined) shown(() => figureText(f, reporter.showWidth));
      else if (f.text !== '') shown(() => reflow(f.text ?? '', reporter.showWidth));
      page(() => ({ kind: 'figure', figure: f }));
    },
    skipped: (reason) => {
      if (live) reporter.skippedPart(reason);
      page(() => ({ kind: 'skipped', reason }));
    },
  };
  const ctx: StepContext<unknown> = {
    lab,
    step: { index, count: lab.steps.length, title: step.title },
    state: run.state,
    check: createCheck(record),
    show,
    clock: run.clock,
    random: run.random,
    deterministic: run.deterministic,
    outDir: run.dir,
    signal: controller.signal,
    capture: (file, o) => run.captures.capture(file, o),
    tap: (file, o) => run.captures.tap(file, o),
    onStepEnd: (fn) => stepCleanups.push(fn),
    onLabEnd: (fn) => run.labCleanups.push(fn),
  };

  const limit = step.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race<Outcome>([
    Promise.resolve()
      .then(() => {
        if (explainError !== undefined) throw explainError;
        return step.run(ctx);
      })
      .then(
        (): Outcome => ({ ok: true }),
        (err: unknown): Outcome => ({ ok: false, observed: `threw ${errorText(err)}`, expected: 'no error' }),
      ),
    new Promise<Outcome>((res) => {
      timer = setTimeout(() => res({ ok: false, observed: `still running after ${limit} ms`, expected: `done within ${limit} ms` }), limit);
    }),
  ]);
  clearTimeout(timer);
  live = false;
  if (!outcome.ok) {
    controller.abort();
    run.record({ label: `step "${step.title}" ran to the end`, passed: false, observed: outcome.observed, expected: outcome.expected });
  }
  await runCleanups(stepCleanups, run.record, `step "${step.title}"`);
  return outcome.ok;
}
