// Runs labs: each step in turn (step-run.ts: explanation, action, checkpoints, clean-ups), then the
// step's captures are closed and announced (with a checkpoint that each printed filter selects
// frames), and, guided on a terminal, a pause for Enter.
//
// A failed checkpoint is counted and the lab goes on; a step that throws or runs out of time is one
// failed checkpoint, and the lab's remaining steps are skipped. The last line is `N passed, N failed`.

import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { CaptureSet, type ClosedCapture } from './captures.ts';
import type { CheckResult } from './checkpoint.ts';
import { fixedClock, realClock, type Clock } from '../base/clock.ts';
import { colourEnabled, palette, type ColourEnv } from './colour.ts';
import { checkCaptureFilters } from './filter-check.ts';
import { LearnerInput } from './learner-input.ts';
import { applyLabEvent, emptyRun, type CaptureJson, type LabEvent, type LabRunJson, STATIC_STEP_ARROWS } from '../view/lab-types.ts';
import { writeLabIndex } from '../view/lab-static.ts';
import { LabSequences } from '../view/lab-sequence.ts';
import { TopologyWatch } from '../view/topology.ts';
import { cryptoRandom, seededRandom, type Random } from '../base/random.ts';
import { outputWidth } from './layout.ts';
import { Reporter, type OutStream, type RunMode } from './reporter.ts';
import { errorText, runCleanups, runStep, type Cleanup, type LabRun } from './step-run.ts';
import type { AnyLab, LabInfo } from './types.ts';
import { runExercise, type ExerciseOutcome } from './exercise-run.ts';
import { labPlan } from './plan.ts';
import { DEFAULT_OUT } from './out-dir.ts';

export { DEFAULT_STEP_TIMEOUT_MS } from './step-run.ts';

export interface RunOptions {
  /** 'guided': explanations, tables, hex, diagrams. 'check': terse, for tests and CI. */
  readonly mode: RunMode;
  /** Pause for Enter between steps; takes effect only in guided mode with stdin on a terminal. */
  readonly pause: boolean;
  /** Captures go to OUT/LAB/ (default `netlab-out`). */
  readonly out?: string;
  readonly stdout?: OutStream;
  readonly stdin?: Readable & { readonly isTTY?: boolean };
  /** Colour override; default: colourEnabled(stdout, env). */
  readonly colour?: boolean;
  readonly env?: ColourEnv;
  /** Fixture runs: fixed clock, seeded random per lab, socket taps in fixed mode. */
  readonly deterministic?: boolean;
  /** Paths are printed relative to this folder (default: the working directory). */
  readonly cwd?: string;
  /** Print the tour banner first. */
  readonly tour?: boolean;
  /** Columns to lay the text out in (default: the terminal's, at least 80; 100 off a terminal). */
  readonly width?: number;
  /** Print every checkpoint (default: one line per step, and the failed ones in full). */
  readonly verbose?: boolean;
  /** Start the first lab at this place of its plan (0-based; the steps before run without printing). */
  readonly from?: number;
  /** Paragraphs printed after the tour banner. */
  readonly intro?: readonly string[];
  /** Told of each step and exercise done and each lab finished (the saved progress). */
  readonly progress?: ProgressSink;
  /** The command that goes on from a place in a lab (printed when the learner stops). */
  readonly resumeCommand?: (lab: LabInfo, position: number | undefined) => string;
  /** Told of everything the run does, as the lab page shows it (`--web`). */
  readonly observer?: RunObserver;
  /** Answers typed in the lab page (`--web`): exercises then wait for one, even off a terminal. */
  readonly input?: LearnerInput;
  /**
   * Write OUT/LAB/index.html after each lab (`netlab lab run` and `tour` do; default false, so that
   * library callers and the lab tests get only the captures). Never in deterministic runs.
   */
  readonly writeIndex?: boolean;
}

export interface RunObserver {
  event(e: LabEvent): void;
  /** A capture of the run, by its id in CaptureJson (the page opens it in the capture view). */
  capture(id: number, absolutePath: string): void;
}

export interface LabResult {
  readonly name: string;
  readonly passed: number;
  readonly failed: number;
  readonly results: readonly CheckResult[];
  readonly captures: readonly ClosedCapture[];
  /** OUT/LAB/index.html, when written. */
  readonly index?: string;
}

export interface RunSummary {
  readonly passed: number;
  readonly failed: number;
  readonly labs: readonly LabResult[];
  /** True when the user stopped the run at a pause. */
  readonly stopped: boolean;
  /** The run as the lab page shows it. */
  readonly record: LabRunJson;
}

export { DEFAULT_OUT };

export interface ProgressSink {
  /** A step ran ('done') or an exercise ended, at `position` (0-based) of `total`. */
  item(lab: LabInfo, position: number, total: number, outcome: ExerciseOutcome | 'done', title: string): void;
  labDone(lab: LabInfo, passed: number, failed: number, stopped: boolean): void;
}

/** `netlab lab run NAME --from N`: the command that resumes a lab at a place (1-based as printed). */
export function defaultResume(lab: LabInfo, position: number | undefined): string {
  return position === undefined ? `netlab lab run ${lab.name}` : `netlab lab run ${lab.name} --from ${position + 1}`;
}
/** Runs the labs in order and returns the tally; prints as it goes. */
export async function runLabs(labs: readonly AnyLab[], options: RunOptions): Promise<RunSummary> {
  const stdout: OutStream = options.stdout ?? process.stdout;
  // process.stdin is only touched when a pause may be needed (it is never read otherwise).
  const stdin = options.stdin ?? (options.mode === 'guided' && options.pause ? process.stdin : undefined);
  const colour = options.colour ?? colourEnabled(stdout, options.env ?? process.env);
  const pal = palette(colour);
  const reporter = new Reporter(stdout, options.mode, pal, { width: outputWidth(stdout, options.width), verbose: options.verbose });
  const pausing = options.mode === 'guided' && options.pause && stdin?.isTTY === true;
  const input = options.input ?? new LearnerInput(pausing ? stdin : undefined, false);
  const record: LabRunJson = emptyRun();
  /** The running lab's step sequence diagrams (for its index.html). */
  let sequences: LabSequences | undefined;
  const emit = (e: LabEvent): void => {
    applyLabEvent(record, e);
    sequences?.event(e);
    options.observer?.event(e);
  };
  let captureIds = 0;
  const captureJson = (c: ClosedCapture): CaptureJson => {
    const id = ++captureIds;
    options.observer?.capture(id, c.absolutePath);
    return {
      id,
      path: c.path,
      file: basename(c.absolutePath),
      frames: c.frames,
      filters: c.filters.map((f) => ({ filter: f.filter, ...(f.about === undefined ? {} : { about: f.about }) })),
    };
  };
  const writeIndex = options.writeIndex === true && options.deterministic !== true;
  const outRoot = options.out ?? DEFAULT_OUT;
  const deterministic = options.deterministic === true;
  const sharedClock = deterministic ? undefined : realClock();
  const sharedRandom = deterministic ? undefined : cryptoRandom();
  const results: LabResult[] = [];
  let stopped = false;
  const resume = (lab: LabInfo, position: number | undefined): string => (options.resumeCommand ?? defaultResume)(lab, position);

  if (options.tour === true) reporter.tourStart(labs, options.intro);
  const plans = labs.map(labPlan);
  const totalItems = plans.reduce((n, p) => n + p.length, 0);
  let itemsDone = 0;

  for (const [labIndex, lab] of labs.entries()) {
    if (stopped) break;
    const plan = plans[labIndex];
    const from = labIndex === 0 ? Math.min(options.from ?? 0, plan.length - 1) : 0;
    const clock: Clock = sharedClock ?? fixedClock();
    const random: Random = sharedRandom ?? seededRandom(`netlab:${lab.name}`);
    const dir = join(outRoot, lab.name);
    const labResults: CheckResult[] = [];
    const labCaptures: ClosedCapture[] = [];
    const exercises: { title: string; outcome: ExerciseOutcome }[] = [];
    const recordCheck = (r: CheckResult): void => {
      labResults.push(r);
      reporter.check(r);
      emit({ type: 'check', check: { label: r.label, passed: r.passed, observed: r.observed, expected: r.expected } });
    };
    const captures = new CaptureSet({ dir, cwd: options.cwd, clock, random, deterministic });
    // The index.html draws the lab's networks as they stood at its end.
    const nets = writeIndex ? new TopologyWatch(undefined, () => lab.name) : undefined;
    sequences = writeIndex ? new LabSequences(undefined, STATIC_STEP_ARROWS) : undefined;
    const labCleanups: Cleanup[] = [];
    const state: unknown = lab.state?.() ?? {};
    reporter.labStart(lab, dir);
    emit({ type: 'lab', name: lab.name, title: lab.title, duration: lab.duration, outDir: dir });
    if (from > 0) {
      reporter.say(
        pal.style(
          'dim',
          `Starting at ${from + 1}/${plan.length}: the ${from} before it run first without printing (the servers and captures they set up are needed).`,
        ),
      );
      reporter.mute(true);
    }

    const closeCaptures = async (all: boolean): Promise<void> => {
      let closed: ClosedCapture[];
      try {
        closed = await captures.close(all);
      } catch (err) {
        recordCheck({ label: 'captures were written and closed', passed: false, observed: errorText(err), expected: 'no error' });
        return;
      }
      labCaptures.push(...closed);
      reporter.captures(closed);
      if (closed.length > 0) emit({ type: 'captures', captures: closed.map(captureJson) });
      for (const c of closed) await checkCaptureFilters(c, recordCheck);
    };

    const run: LabRun = { lab, state, mode: options.mode, reporter, pal, clock, random, deterministic, dir, captures, labCleanups, record: recordCheck, emit };
    for (let pos = 0; pos < plan.length; pos++) {
      const item = plan[pos];
      if (pos === from) reporter.mute(false);
      itemsDone++;
      if (item.kind === 'exercise') {
        // Fixture runs write captures only (TLS and DNS labs write none there): exercises, which read
        // the lab's captures and servers, are graded in normal runs.
        if (pos < from || deterministic) continue;
        const outcome = await runExercise(run, item.exercise, pos, plan.length, { input, cwd: options.cwd });
        exercises.push({ title: item.title, outcome });
        options.progress?.item(lab, pos, plan.length, outcome, item.title);
        if (outcome === 'quit') {
          stopped = true;
          reporter.stopped(resume(lab, pos));
          break;
        }
        continue;
      }
      const ok = await runStep(run, item.index, pos, plan.length);
      await closeCaptures(false);
      reporter.stepEnd();
      emit({ type: 'item-end', state: ok ? 'done' : 'failed' });
      if (!ok) {
        reporter.mute(false);
        const rest = plan.slice(pos + 1).filter((p) => p.kind === 'step');
        reporter.skipped(rest.map((s) => s.title));
        itemsDone += plan.length - pos - 1;
        break;
      }
      if (pos < from) continue;
      options.progress?.item(lab, pos, plan.length, 'done', item.title);
      const next = plan[pos + 1];
      if (pausing && stdin !== undefined && itemsDone < totalItems && next?.kind !== 'exercise') {
        reporter.prompt('-- press Enter to go on (q then Enter stops) --');
        emit({ type: 'waiting', waiting: { kind: 'pause', title: next?.title ?? '' } });
        const line = await input.next();
        emit({ type: 'waiting', waiting: null });
        stdout.write('\n');
        if (line === undefined || /^\s*q(uit)?\s*$/i.test(line.text)) {
          stopped = true;
          reporter.stopped(resume(lab, pos + 1 < plan.length ? pos + 1 : undefined));
          break;
        }
      }
    }
    reporter.mute(false);
    await runCleanups(labCleanups, recordCheck, `lab ${lab.name}`);
    await closeCaptures(true);
    const passed = labResults.filter((r) => r.passed).length;
    const failed = labResults.length - passed;
    if (!stopped) reporter.recap(lab, plan, exercises, labCaptures.length, dir, labs[labIndex + 1]);
    reporter.labEnd(lab, passed, failed);
    options.progress?.labDone(lab, passed, failed, stopped);
    emit({ type: 'lab-end', passed, failed });
    let index: string | undefined;
    if (writeIndex) {
      try {
        const labJson = record.labs.at(-1);
        const topology = nets?.snapshots() ?? [];
        const steps = sequences?.snapshots() ?? [];
        if (labJson !== undefined) {
          const full = { ...labJson, ...(topology.length === 0 ? {} : { topology }), ...(steps.length === 0 ? {} : { sequences: steps }) };
          index = writeLabIndex(dir, full, record.started);
        }
      } catch (err) {
        reporter.skippedPart(`the lab's index.html was not written: ${errorText(err)}`);
      }
    }
    nets?.close();
    sequences?.close();
    sequences = undefined;
    results.push({ name: lab.name, passed, failed, results: labResults, captures: labCaptures, ...(index === undefined ? {} : { index }) });
  }
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  reporter.summary(passed, failed);
  emit({ type: 'done' });
  return { passed, failed, labs: results, stopped, record };
}
