// Exercises ("your turn") in the runner: the scripted learner of --check (a wrong answer refused, the
// right one accepted, and a grader that accepts anything caught), the exchange at a terminal (a wrong
// try, the hint, the right answer; the answer on request; a skip; q stops with the command that
// resumes), and --from.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveFrom, labPlan, validatePlan } from '../../src/lab/plan.ts';
import { runLabs } from '../../src/lab/runner.ts';
import { Collect, fakeStdin, tinyLab } from './tiny-lab.ts';

const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'netlab-exercise-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('--check: the scripted learner', () => {
  it('answers wrong, then right; both gradings are checkpoints', async () => {
    const out = new Collect();
    const s = await runLabs([tinyLab({ exercise: true })], { mode: 'check', pause: false, out: temp(), stdout: out, colour: false });
    expect(s.failed, out.text).toBe(0);
    expect(s.labs[0].results.filter((r) => r.label.startsWith('your turn')).map((r) => r.label)).toEqual([
      'your turn "The UDP length": a wrong answer (4) is refused',
      'your turn "The UDP length": a hint and an answer to show',
      'your turn "The UDP length": the right answer (12) is accepted',
    ]);
  });

  it('a grader that accepts a wrong answer fails', async () => {
    const out = new Collect();
    const s = await runLabs([tinyLab({ exercise: true, lenient: true })], { mode: 'check', pause: false, out: temp(), stdout: out, colour: false });
    expect(s.failed).toBe(1);
    expect(out.text).toContain('FAIL  your turn "The UDP length": a wrong answer (4) is refused: 4 it is (expected refused)');
  });
});

describe('at a terminal', () => {
  const guided = (stdin: ReturnType<typeof fakeStdin>, stdout: Collect, from?: number) =>
    runLabs([tinyLab({ exercise: true })], { mode: 'guided', pause: true, out: temp(), stdout, stdin, env: {}, from });

  it('a wrong try gets the hint, the right answer is accepted, and the run goes on', async () => {
    const stdin = fakeStdin(true);
    const stdout = new Collect();
    const run = guided(stdin, stdout);
    await waitFor(() => stdout.text.includes('your prediction>'));
    expect(stdout.text).toContain('Your turn 2/4  The UDP length');
    stdin.write('4\n');
    await waitFor(() => stdout.text.includes('hint  The UDP header is 8 bytes.'));
    expect(stdout.text).toContain('✗ not yet: 4 is not it');
    stdin.write('12\n');
    await waitFor(() => stdout.text.includes('press Enter'));
    expect(stdout.text).toContain('✓ right: 12 it is');
    expect(stdout.text).toContain('The frame says 12.');
    stdin.write('\n');
    const s = await run;
    expect((stdout.text.match(/press Enter/g) ?? []).length).toBe(1);
    expect(s.failed).toBe(0);
    expect(stdout.text).toContain('Recap: tiny');
    expect(stdout.text).toContain('Your turns: 1 (1 right).');
  });

  it('"a" shows the answer; "s" skips', async () => {
    for (const [key, shown] of [
      ['a', 'answer  12: 8 bytes of header and 4 of data.'],
      ['s', 'Skipped. One answer: 12'],
    ] as const) {
      const stdin = fakeStdin(true);
      const stdout = new Collect();
      const run = guided(stdin, stdout);
      await waitFor(() => stdout.text.includes('your prediction>'));
      stdin.write(`${key}\n`);
      await waitFor(() => stdout.text.includes('press Enter'));
      expect(stdout.text).toContain(shown);
      stdin.write('\n\n');
      await run;
    }
  });

  it('q stops the run and prints the command that resumes it', async () => {
    const stdin = fakeStdin(true);
    const stdout = new Collect();
    const run = guided(stdin, stdout);
    await waitFor(() => stdout.text.includes('your prediction>'));
    stdin.write('q\n');
    const s = await run;
    expect(s.stopped).toBe(true);
    expect(stdout.text).toContain('Stopped. To go on from here: netlab lab run tiny --from 2');
    expect(stdout.text).not.toContain('Step 3/4');
  });
});

describe('--from', () => {
  it('runs the steps before it without printing them, so their state is there', async () => {
    const stdout = new Collect();
    const s = await runLabs([tinyLab({ exercise: true })], { mode: 'guided', pause: false, out: temp(), stdout, stdin: fakeStdin(false), env: {}, from: 2 });
    expect(s.failed).toBe(0);
    expect(stdout.text).not.toContain('Step 1/4');
    expect(stdout.text).not.toContain('Your turn 2/4');
    expect(stdout.text).toContain('Step 3/4  Look again');
    expect(stdout.text).toContain('The length found in step 1 was 12.');
  });

  it('takes a number or words of a title, and says what the steps are when neither fits', () => {
    const lab = tinyLab({ exercise: true });
    validatePlan(lab);
    expect(labPlan(lab).map((p) => p.title)).toEqual(['Craft Hola', 'The UDP length', 'Look again', 'The end']);
    expect(resolveFrom(lab, '3')).toBe(2);
    expect(resolveFrom(lab, 'udp length')).toBe(1);
    expect(() => resolveFrom(lab, '9')).toThrow(/has 4 steps; --from takes 1 to 4/);
    expect(() => resolveFrom(lab, 'nothing like it')).toThrow(/no step of lab tiny has "nothing like it"[\s\S]*3\. Look again/);
  });
});
