// Runs labs: each step in turn (step-run.ts: explanation, action, checkpoints, clean-ups), then the
// step's captures are closed and announced (with a checkpoint that each printed filter selects
// frames), and, guided on a terminal, a pause for Enter.
//
// A failed checkpoint is counted and the lab goes on; a step that throws or runs out of time is one
// failed checkpoint, and the lab's remaining steps are skipped. The last line is `N passed, N failed`.

import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CaptureSet, type ClosedCapture } from './captures.ts';
import type { CheckResult } from './checkpoint.ts';
import { fixedClock, realClock, type Clock } from '../base/clock.ts';
import { colourEnabled, palette, type ColourEnv } from './colour.ts';
import { checkCaptureFilters } from './filter-check.ts';
import { waitForEnter } from './pause.ts';
import { cryptoRandom, seededRandom, type Random } from '../base/random.ts';
import { Reporter, type OutStream, type RunMode } from './reporter.ts';
import { errorText, runCleanups, runStep, type Cleanup, type LabRun } from './step-run.ts';
import type { AnyLab } from './types.ts';

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
}

export interface LabResult {
  readonly name: string;
  readonly passed: number;
  readonly failed: number;
  readonly results: readonly CheckResult[];
  readonly captures: readonly ClosedCapture[];
}

export interface RunSummary {
  readonly passed: number;
  readonly failed: number;
  readonly labs: readonly LabResult[];
  /** True when the user stopped the run at a pause. */
  readonly stopped: boolean;
}

export const DEFAULT_OUT = 'netlab-out';
/** Runs the labs in order and returns the tally; prints as it goes. */
export async function runLabs(labs: readonly AnyLab[], options: RunOptions): Promise<RunSummary> {
  const stdout: OutStream = options.stdout ?? process.stdout;
  // process.stdin is only touched when a pause may be needed (it is never read otherwise).
  const stdin = options.stdin ?? (options.mode === 'guided' && options.pause ? process.stdin : undefined);
  const colour = options.colour ?? colourEnabled(stdout, options.env ?? process.env);
  const pal = palette(colour);
  const reporter = new Reporter(stdout, options.mode, pal);
  const pausing = options.mode === 'guided' && options.pause && stdin?.isTTY === true;
  const outRoot = options.out ?? DEFAULT_OUT;
  const deterministic = options.deterministic === true;
  const sharedClock = deterministic ? undefined : realClock();
  const sharedRandom = deterministic ? undefined : cryptoRandom();
  const results: LabResult[] = [];
  let stopped = false;

  if (options.tour === true) reporter.tourStart(labs);
  const totalSteps = labs.reduce((n, l) => n + l.steps.length, 0);
  let stepsDone = 0;

  for (const lab of labs) {
    if (stopped) break;
    const clock: Clock = sharedClock ?? fixedClock();
    const random: Random = sharedRandom ?? seededRandom(`netlab:${lab.name}`);
    const dir = join(outRoot, lab.name);
    const labResults: CheckResult[] = [];
    const labCaptures: ClosedCapture[] = [];
    const record = (r: CheckResult): void => {
      labResults.push(r);
      reporter.check(r);
    };
    const captures = new CaptureSet({ dir, cwd: options.cwd, clock, random, deterministic });
    const labCleanups: Cleanup[] = [];
    const state: unknown = lab.state?.() ?? {};
    reporter.labStart(lab, dir);

    const closeCaptures = async (all: boolean): Promise<void> => {
      let closed: ClosedCapture[];
      try {
        closed = await captures.close(all);
      } catch (err) {
        record({ label: 'captures were written and closed', passed: false, observed: errorText(err), expected: 'no error' });
        return;
      }
      labCaptures.push(...closed);
      reporter.captures(closed);
      for (const c of closed) await checkCaptureFilters(c, record);
    };

    const run: LabRun = { lab, state, mode: options.mode, reporter, pal, clock, random, deterministic, dir, captures, labCleanups, record };
    for (let i = 0; i < lab.steps.length; i++) {
      const ok = await runStep(run, i);
      await closeCaptures(false);
      reporter.stepEnd();
      stepsDone++;
      if (!ok) {
        reporter.skipped(lab.steps.slice(i + 1).map((s) => s.title));
        stepsDone += lab.steps.length - i - 1;
        break;
      }
      if (pausing && stdin !== undefined && stepsDone < totalSteps) {
        reporter.prompt('-- press Enter to go on (q then Enter stops) --');
        const answer = await waitForEnter(stdin);
        stdout.write('\n');
        if (answer === 'quit') {
          stopped = true;
          break;
        }
      }
    }
    await runCleanups(labCleanups, record, `lab ${lab.name}`);
    await closeCaptures(true);
    const passed = labResults.filter((r) => r.passed).length;
    const failed = labResults.length - passed;
    reporter.labEnd(lab, passed, failed);
    results.push({ name: lab.name, passed, failed, results: labResults, captures: labCaptures });
  }
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  reporter.summary(passed, failed);
  return { passed, failed, labs: results, stopped };
}
