// What the runner prints. Guided mode: the lab's banner, each step's explanation, what it shows,
// its checkpoints and captures. Check mode: only step titles, checkpoints and captures, then a
// count per lab and the final line `N passed, N failed`.

import type { CheckResult } from './checkpoint.ts';
import type { ClosedCapture } from './captures.ts';
import { wiresharkCommand } from './captures.ts';
import type { Palette } from './colour.ts';
import type { LabInfo } from './types.ts';

/** Where the runner writes: process.stdout or anything with write(). */
export interface OutStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export type RunMode = 'guided' | 'check';

const RULE_WIDTH = 78;

function indent(lines: readonly string[], by: string): string {
  return lines.map((l) => (l === '' ? '' : by + l)).join('\n') + '\n';
}

export class Reporter {
  constructor(
    private readonly out: OutStream,
    private readonly mode: RunMode,
    private readonly pal: Palette,
  ) {}

  private print(text: string): void {
    this.out.write(text);
  }

  tourStart(labs: readonly LabInfo[]): void {
    if (this.mode !== 'guided') return;
    const p = this.pal;
    this.print(`${p.style('bold', 'netlab tour')}: ${labs.length} lab${labs.length === 1 ? '' : 's'}, one after another\n`);
    this.print(indent(labs.map((l, i) => `${String(i + 1).padStart(2)}. ${l.name.padEnd(18)} ${l.title} (${l.duration})`), '  '));
    this.print('\n');
  }

  labStart(lab: LabInfo, outDir: string): void {
    const p = this.pal;
    if (this.mode === 'check') {
      this.print(`${p.style('bold', `lab ${lab.name}`)}: ${lab.title}\n`);
      return;
    }
    const rule = p.style('cyan', '='.repeat(RULE_WIDTH));
    const needs = lab.needs.length === 0 ? 'nothing but Node' : lab.needs.join(', ');
    this.print(`${rule}\n${p.style('bold', ` Lab ${lab.name}: ${lab.title}`)}\n`);
    this.print(p.style('dim', ` about ${lab.duration} · needs: ${needs} · captures go to ${outDir}/`) + `\n${rule}\n\n`);
  }

  stepStart(index: number, count: number, title: string, explanation: string): void {
    const p = this.pal;
    if (this.mode === 'check') {
      this.print(`  step ${index + 1}/${count} ${title}\n`);
      return;
    }
    this.print(`${p.style('bold', `Step ${index + 1}/${count}  ${title}`)}\n`);
    const text = explanation.replace(/\s+$/, '');
    if (text !== '') this.print(indent(text.split('\n'), '  ') + '\n');
  }

  show(lines: readonly string[]): void {
    if (this.mode !== 'guided') return;
    this.print(indent(lines, '  ') + '\n');
  }

  /** A part of a step that did not run, with the reason: printed in both modes. */
  skippedPart(reason: string): void {
    const pad = this.mode === 'check' ? '    ' : '  ';
    this.print(`${pad}${this.pal.style('yellow', 'skip')}  ${reason}\n`);
  }

  check(r: CheckResult): void {
    const p = this.pal;
    const mark = r.passed ? p.style('green', 'pass') : p.paint(1, p.style('red', 'FAIL'));
    const pad = this.mode === 'check' ? '    ' : '  ';
    this.print(`${pad}${mark}  ${r.label}: ${r.observed} ${p.style('dim', `(expected ${r.expected})`)}\n`);
  }

  captures(list: readonly ClosedCapture[]): void {
    const p = this.pal;
    const pad = this.mode === 'check' ? '    ' : '  ';
    for (const c of list) {
      this.print(`${pad}${p.style('cyan', 'capture')}  ${c.path}  ${p.style('dim', `(${c.frames} frame${c.frames === 1 ? '' : 's'})`)}\n`);
      for (const f of c.filters) {
        const about = f.about === undefined ? '' : `  ${p.style('dim', `# ${f.about}`)}`;
        this.print(`${pad}  ${wiresharkCommand(c.path, f.filter, f.prefs)}${about}\n`);
      }
    }
  }

  stepEnd(): void {
    if (this.mode === 'guided') this.print('\n');
  }

  skipped(titles: readonly string[]): void {
    const pad = this.mode === 'check' ? '  ' : '';
    for (const t of titles) this.print(`${pad}${this.pal.style('yellow', 'skipped')}  ${t} (an earlier step failed)\n`);
  }

  labEnd(lab: LabInfo, passed: number, failed: number): void {
    const p = this.pal;
    const tally = `${passed} passed, ${failed} failed`;
    this.print(`${lab.name}: ${failed === 0 ? p.style('green', tally) : p.style('red', tally)}\n\n`);
  }

  prompt(text: string): void {
    this.print(this.pal.style('dim', text));
  }

  /** The last line of every run, exactly `N passed, N failed`. */
  summary(passed: number, failed: number): void {
    this.print(`${passed} passed, ${failed} failed\n`);
  }
}
