// Every lab's screen fits the terminal: guided, on a fake terminal of 80 and of 160 columns, no line is
// wider than the terminal (exercises.test.ts holds the --check runs).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../labs/index.ts';
import { stripAnsi } from '../../src/lab/colour.ts';
import { runLabs } from '../../src/lab/runner.ts';
import { Collect } from '../lab/tiny-lab.ts';

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'netlab-fit-'));
  temps.push(d);
  return d;
};

/** A terminal of `columns` columns that keeps what is written. */
class Terminal extends Collect {
  constructor(readonly columns: number) {
    super(true);
  }
}

const widest = (text: string): { width: number; line: string } =>
  stripAnsi(text)
    .split('\n')
    .reduce((w, line) => ([...line].length > w.width ? { width: [...line].length, line } : w), { width: 0, line: '' });

describe.each(CATALOGUE.map((e) => e.name))('lab %s', (name) => {
  it.each([80, 160])(
    'guided at %i columns: no line wider than the terminal',
    async (columns) => {
      const lab = await (CATALOGUE.find((e) => e.name === name) as (typeof CATALOGUE)[number]).load();
      const term = new Terminal(columns);
      const summary = await runLabs([lab], { mode: 'guided', pause: false, out: temp(), stdout: term, env: { FORCE_COLOR: '1' } });
      expect(summary.failed, term.text).toBe(0);
      const w = widest(term.text);
      expect(w.width, `the widest line:\n${w.line}`).toBeLessThanOrEqual(columns);
      // Checkpoints are one line per step; nothing prints `undefined` or a raw object.
      expect(stripAnsi(term.text)).toMatch(/^ {2}✓ \d+ claims? checked$/m);
      expect(stripAnsi(term.text)).not.toMatch(/\bundefined\b|\[object |: (.+) \(expected \1\)/);
    },
    120_000,
  );
});

describe('the guides (labs/NAME.md)', () => {
  it('keep every line of a code block (diagrams, commands) within 80 columns; prose and tables reflow when shown', () => {
    const wide: string[] = [];
    for (const e of CATALOGUE) {
      const lines = readFileSync(join(import.meta.dirname, '..', '..', 'labs', `${e.name}.md`), 'utf8').split('\n');
      let inBlock = false;
      lines.forEach((line, i) => {
        if (line.startsWith('```')) inBlock = !inBlock;
        else if (inBlock && [...line].length > 80) wide.push(`labs/${e.name}.md:${i + 1} (${[...line].length} columns)`);
      });
    }
    expect(wide).toEqual([]);
  });
});
