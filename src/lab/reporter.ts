// What the runner prints, laid out for the terminal's width (layout.ts).
//
// Guided mode: the lab's banner, each step's explanation reflowed, what it shows, its captures (the
// Wireshark command and the same view with `netlab decode`), then one line for its checkpoints
// (`✓ 7 claims checked`); a failed checkpoint is printed in full, and --verbose prints every one.
// Check mode: one line per lab (`NAME: N passed, N failed`), the failed checkpoints under their
// step, the parts that were skipped, and last the line `N passed, N failed` that CI reads.

import type { CheckResult } from './checkpoint.ts';
import type { ClosedCapture } from './captures.ts';
import { decodeCommand, wiresharkCommand } from './captures.ts';
import type { Palette } from './colour.ts';
import { DEFAULT_WIDTH, reflow, wrapCommand, wrapLine, wrapWords } from './layout.ts';
import type { Lab, LabInfo } from './types.ts';
import type { PlanItem } from './plan.ts';

/** Where the runner writes: process.stdout or anything with write(). */
export interface OutStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export type RunMode = 'guided' | 'check';

export interface ReporterOptions {
  /** Columns to lay text out in (default 100). */
  readonly width?: number;
  /** Print every checkpoint, not only the failed ones. */
  readonly verbose?: boolean;
}

const MAX_RULE = 78;

/** A checkpoint as one line: `label: observed`, and what was expected only when it differs. */
export function checkText(r: CheckResult): string {
  const expected = r.expected === r.observed || (r.passed && r.expected === 'true') ? '' : ` (expected ${r.expected})`;
  return `${r.label}: ${r.observed}${expected}`;
}

export class Reporter {
  readonly width: number;
  private readonly verbose: boolean;
  /** The checkpoints of the step running now (printed as one line at its end). */
  private stepResults: CheckResult[] = [];
  private step: { index: number; count: number; title: string } | undefined;
  private stepHeadingShown = false;

  constructor(
    private readonly out: OutStream,
    private readonly mode: RunMode,
    private readonly pal: Palette,
    options: ReporterOptions = {},
  ) {
    this.width = options.width ?? DEFAULT_WIDTH;
    this.verbose = options.verbose === true;
  }

  private muted = false;

  /** While muted (the steps before `--from`), only failed checkpoints are printed. */
  mute(on: boolean): void {
    this.muted = on;
  }

  private print(text: string, force = false): void {
    if (!this.muted || force) this.out.write(text);
  }

  /** Prints lines, each wrapped to the width after `indent`. */
  private lines(lines: readonly string[], indent = '', force = false): void {
    const out: string[] = [];
    for (const l of lines) {
      if (l === '') out.push('');
      else for (const w of wrapLine(indent + l, this.width)) out.push(w);
    }
    this.print(`${out.join('\n')}\n`, force);
  }

  /** The width what a step shows may take (it is indented by two). */
  get showWidth(): number {
    return this.width - 2;
  }

  tourStart(labs: readonly LabInfo[], intro?: readonly string[]): void {
    if (this.mode !== 'guided') return;
    const p = this.pal;
    this.print(`${p.style('bold', 'netlab tour')}: ${labs.length} lab${labs.length === 1 ? '' : 's'}, one after another\n`);
    if (intro !== undefined)
      this.lines(
        intro.flatMap((t) => (t === '' ? [''] : reflow(t, this.width - 2))),
        '  ',
      );
    this.print('\n');
  }

  labStart(lab: LabInfo, outDir: string): void {
    if (this.mode === 'check') return;
    const p = this.pal;
    const rule = p.style('cyan', '='.repeat(Math.min(MAX_RULE, this.width)));
    const needs = lab.needs.length === 0 ? 'nothing but Node' : lab.needs.join(', ');
    this.print(`${rule}\n`);
    for (const l of wrapWords(`Lab ${lab.name}: ${lab.title}`, this.width - 1, ' ', '   ')) this.print(`${p.style('bold', l)}\n`);
    for (const l of wrapWords(`about ${lab.duration} · needs: ${needs} · captures go to ${outDir}/`, this.width - 1, ' ', '   '))
      this.print(`${p.style('dim', l)}\n`);
    this.print(`${rule}\n\n`);
  }

  stepStart(index: number, count: number, title: string, explanation: string, kind = 'Step'): void {
    this.step = { index, count, title };
    this.stepResults = [];
    this.stepHeadingShown = false;
    if (this.mode === 'check') return;
    const p = this.pal;
    for (const l of wrapWords(title, this.width, `${kind} ${index + 1}/${count}  `, '  ')) this.print(`${p.style('bold', l)}\n`);
    const text = explanation.replace(/\s+$/, '');
    if (text !== '') this.lines([...reflow(text, this.width - 2), ''], '  ');
  }

  show(lines: readonly string[]): void {
    if (this.mode !== 'guided') return;
    this.lines([...lines, ''], '  ');
  }

  /** Prose a step shows (reflowed like an explanation); printed in guided mode only. */
  prose(text: string): void {
    if (this.mode !== 'guided') return;
    this.lines([...reflow(text, this.width - 2), ''], '  ');
  }

  /** Printed in both modes (an exercise's exchange with the learner, in guided mode only). */
  say(text: string, indent = '  '): void {
    this.lines(reflow(text, this.width - indent.length), indent);
  }

  /** A part of a step that did not run, with the reason: printed in both modes. */
  skippedPart(reason: string): void {
    const lead = this.mode === 'check' ? `  ${this.where()}: ` : '  ';
    this.lines(wrapWords(`${this.pal.style('yellow', 'skip')}  ${reason}`, this.width - lead.length, '', '      '), lead);
  }

  private where(): string {
    return this.step === undefined ? 'lab' : `step ${this.step.index + 1}/${this.step.count}`;
  }

  check(r: CheckResult): void {
    this.stepResults.push(r);
    const p = this.pal;
    if (r.passed) {
      if (this.verbose) this.lines(wrapWords(`${p.style('green', '✓')} ${checkText(r)}`, this.width - 2, '', '    '), '  ');
      return;
    }
    if (this.mode === 'check' && !this.stepHeadingShown && this.step !== undefined) {
      this.stepHeadingShown = true;
      this.lines(wrapWords(`step ${this.step.index + 1}/${this.step.count} ${this.step.title}`, this.width - 2, '', '  '), '  ', true);
    }
    const pad = this.mode === 'check' ? '    ' : '  ';
    this.lines(wrapWords(`${p.paint(1, p.style('red', 'FAIL'))}  ${checkText(r)}`, this.width - pad.length, '', '      '), pad, true);
  }

  captures(list: readonly ClosedCapture[]): void {
    if (this.mode !== 'guided') return;
    const p = this.pal;
    for (const c of list) {
      this.lines(
        wrapWords(`${p.style('cyan', 'capture')}  ${c.path}  ${p.style('dim', `(${c.frames} frame${c.frames === 1 ? '' : 's'})`)}`, this.width - 2, '', '  '),
        '  ',
      );
      for (const f of c.filters) {
        if (f.about !== undefined) this.lines(wrapWords(p.style('dim', `# ${f.about}`), this.width - 4, '', '  '), '    ');
        for (const l of wrapCommand(wiresharkCommand(c.path, f.filter, f.prefs), this.width, '    ')) this.print(`${l}\n`);
        for (const l of wrapCommand(decodeCommand(c.path, f.filter, f.prefs), this.width, '    ')) this.print(`${p.style('dim', l)}\n`);
      }
    }
  }

  /** Ends a step: one line for its checkpoints (guided mode). */
  stepEnd(): void {
    const results = this.stepResults;
    this.stepResults = [];
    if (this.mode !== 'guided') return;
    const failed = results.filter((r) => !r.passed).length;
    const p = this.pal;
    if (results.length > 0) {
      const n = results.length;
      const line =
        failed === 0 ? p.style('green', `✓ ${n} claim${n === 1 ? '' : 's'} checked`) : p.style('red', `✗ ${failed} of ${n} claim${n === 1 ? '' : 's'} failed`);
      this.print(`  ${line}\n`);
    }
    this.print('\n');
  }

  skipped(titles: readonly string[]): void {
    const pad = this.mode === 'check' ? '  ' : '';
    for (const t of titles)
      this.lines(wrapWords(`${this.pal.style('yellow', 'skipped')}  ${t} (an earlier step failed)`, this.width - pad.length, '', '  '), pad);
  }

  labEnd(lab: LabInfo, passed: number, failed: number): void {
    this.stepResults = [];
    this.step = undefined;
    const p = this.pal;
    const tally = `${passed} passed, ${failed} failed`;
    this.print(`${lab.name}: ${failed === 0 ? p.style('green', tally) : p.style('red', tally)}\n`);
    if (this.mode === 'guided') this.print('\n');
  }

  /** The learner stopped: how to go on from here. */
  stopped(command: string): void {
    this.print('\n');
    this.lines(wrapWords(`Stopped. To go on from here: ${command}`, this.width));
  }

  /** A short recap at the end of a guided lab: what it covered, the exercises, the captures, what next. */
  recap(
    lab: Lab<unknown>,
    plan: readonly PlanItem[],
    exercises: readonly { title: string; outcome: string }[],
    captures: number,
    dir: string,
    next?: LabInfo,
  ): void {
    if (this.mode !== 'guided') return;
    const p = this.pal;
    const lines: string[] = [p.style('bold', `Recap: ${lab.name}`)];
    if (lab.recap !== undefined) lines.push(...reflow(lab.recap, this.width - 2).map((l) => `  ${l}`));
    else for (const item of plan) if (item.kind === 'step') lines.push(...wrapWords(item.title, this.width, '  - ', '    '));
    if (exercises.length > 0) {
      const count = (o: string): number => exercises.filter((e) => e.outcome === o).length;
      const parts = [`${count('right')} right`, `${count('revealed')} answer shown`, `${count('skipped')} skipped`].filter((x) => !x.startsWith('0 '));
      lines.push(...wrapWords(`Your turns: ${exercises.length} (${parts.join(', ') || 'done'}).`, this.width, '  ', '  '));
    }
    if (captures > 0)
      lines.push(
        ...wrapWords(`${captures} capture${captures === 1 ? '' : 's'} in ${dir}/ to open again in Wireshark or with netlab decode.`, this.width, '  ', '  '),
      );
    if (next !== undefined) lines.push(...wrapWords(`Next: ${next.name}, ${next.title} (about ${next.duration}).`, this.width, '  ', '  '));
    this.print(`${lines.join('\n')}\n`);
  }

  prompt(text: string): void {
    this.print(this.pal.style('dim', text));
  }

  /** The last line of every run, exactly `N passed, N failed`. */
  summary(passed: number, failed: number): void {
    this.print(`${passed} passed, ${failed} failed\n`);
  }
}
