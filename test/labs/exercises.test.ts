// Every lab's exercises ("your turn"), graded by the lab's own checker: each lab has at least two, and
// a --check run answers each with its scripted learner, a wrong answer first (it must be refused) and
// then the right one (it must be accepted). The run prints one line for the lab and the count.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../labs/index.ts';
import { loadLabs } from '../../src/lab/registry.ts';
import { runLabs } from '../../src/lab/runner.ts';
import { labPlan } from '../../src/lab/plan.ts';
import { Collect } from '../lab/tiny-lab.ts';

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe.each(CATALOGUE.map((e) => e.name))('lab %s', (name) => {
  it('has at least two exercises, each after a step of the lab, and grades them', async () => {
    const [lab] = await loadLabs(CATALOGUE.filter((e) => e.name === name));
    const exercises = lab.exercises ?? [];
    expect(exercises.length).toBeGreaterThanOrEqual(2);
    expect(labPlan(lab).filter((p) => p.kind === 'exercise').length).toBe(exercises.length);
    const out = new Collect();
    const dir = mkdtempSync(join(tmpdir(), 'netlab-exercises-'));
    temps.push(dir);
    const summary = await runLabs([lab], { mode: 'check', pause: false, out: dir, stdout: out, colour: false });
    expect(summary.failed, out.text).toBe(0);
    const results = summary.labs[0].results;
    for (const e of exercises) {
      const mine = results.filter((r) => r.label.startsWith(`your turn "${e.title}"`));
      expect(
        mine.map((r) => r.label.replace(/\(.*\)/, '(...)')),
        e.title,
      ).toEqual([
        `your turn "${e.title}": a wrong answer (...) is refused`,
        `your turn "${e.title}": a hint and an answer to show`,
        `your turn "${e.title}": the right answer (...) is accepted`,
      ]);
      expect(
        mine.every((r) => r.passed),
        e.title,
      ).toBe(true);
    }
    // --check prints one line for the lab (and the parts it skipped), then the count.
    const lines = out.text
      .trimEnd()
      .split('\n')
      .filter((l) => !/^ {2}step \d+\/\d+: skip {2}/.test(l) && !/^ {6}/.test(l));
    expect(lines).toEqual([`${name}: ${summary.passed} passed, 0 failed`, `${summary.passed} passed, 0 failed`]);
  }, 120_000);
});
