import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildLabCommand, listText } from '../../src/cli/lab.ts';
import { entryOf } from '../../src/lab/registry.ts';
import { parseCapture } from '../../src/capture/read.ts';
import { runLabs } from '../../src/lab/runner.ts';
import type { AnyLab } from '../../src/lab/types.ts';
import { Collect, fakeStdin, tinyLab } from './tiny-lab.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'netlab-lab-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs `netlab lab ARGS` on the given labs; returns the exit code and what was printed. */
async function labCli(
  args: string[],
  labs: readonly AnyLab[],
  stdin = fakeStdin(false),
  progressFile: string | null = null,
): Promise<{ code: number | undefined; out: string; err: string }> {
  const stdout = new Collect();
  const stderr = new Collect();
  let code: number | undefined;
  const cmd = buildLabCommand({
    loadCatalogue: async () => labs.map(entryOf),
    stdout,
    stderr,
    stdin,
    env: {},
    setExitCode: (c) => (code = c),
    progressFile,
    onInterrupt: () => () => undefined,
  });
  await yargs(['lab', ...args])
    .command(cmd)
    .strict()
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    })
    .parseAsync();
  return { code, out: stdout.text, err: stderr.text };
}

const lastLine = (text: string): string => text.trimEnd().split('\n').at(-1) ?? '';

describe('netlab lab run --check', () => {
  it('passes: exit code 0 and the count line last, counting the capture filter check', async () => {
    const out = tempDir();
    const r = await labCli(['run', 'tiny', '--check', '--out', out], [tinyLab()]);
    expect(r.code).toBe(0);
    // 3 checkpoints of the lab + 1 automatic: the printed filter selects frames of the capture.
    expect(lastLine(r.out)).toBe('4 passed, 0 failed');
    // Terse: one line per lab, no passing checkpoint, no explanations, no hex, no captures.
    expect(r.out).toBe('tiny: 4 passed, 0 failed\n4 passed, 0 failed\n');
    expect(r.out).not.toContain('8 bytes of header');
    expect(r.out).not.toMatch(/^ {2}0000 {2}aa bb/m);
  });

  it('fails: exit code 1, the failed checkpoint with observed and expected, and the count line', async () => {
    const r = await labCli(['run', 'tiny', '--check', '--out', tempDir()], [tinyLab({ failing: true })]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAIL  UDP length, seen again: 12 (expected 4)');
    expect(lastLine(r.out)).toBe('3 passed, 1 failed');
  });

  it('a step that throws is a failed checkpoint and the rest of the lab is skipped', async () => {
    const r = await labCli(['run', 'tiny', '--check', '--out', tempDir()], [tinyLab({ throwing: true })]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAIL  step "Look again" ran to the end: threw Error: boom (expected no error)');
    expect(r.out).toContain('skipped  The end (an earlier step failed)');
    expect(r.out).toContain('  step 2/3 Look again\n    FAIL  step "Look again"');
    expect(lastLine(r.out)).toBe('2 passed, 1 failed');
  });

  it('a step that runs out of time fails, and what it does afterwards is not counted', async () => {
    const r = await labCli(['run', 'tiny', '--check', '--out', tempDir()], [tinyLab({ hanging: true })]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAIL  step "Look again" ran to the end: still running after 50 ms (expected done within 50 ms)');
    await new Promise((res) => setTimeout(res, 500));
    expect(lastLine(r.out)).toBe('2 passed, 1 failed');
  });

  it('"all" runs every lab and sums them', async () => {
    const r = await labCli(['run', 'all', '--check', '--out', tempDir()], [tinyLab({ name: 'one' }), tinyLab({ name: 'two', failing: true })]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('one: 4 passed, 0 failed');
    expect(r.out).toContain('two: 3 passed, 1 failed');
    expect(lastLine(r.out)).toBe('7 passed, 1 failed');
  });

  it('a lab name with a typo gets a suggestion', async () => {
    const r = await labCli(['run', 'checksum', '--check'], [tinyLab({ name: 'checksums' }), tinyLab({ name: 'ports' })]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no lab named "checksum". Did you mean "checksums"?');
  });

  it('an unknown lab is an error naming the labs there are', async () => {
    const r = await labCli(['run', 'nope', '--check'], [tinyLab()]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no lab named "nope". Labs: tiny (or "all")');
  });
});

describe('captures', () => {
  it('are written under OUT/LAB/ as pcapng and printed with the wireshark command and filter', async () => {
    const out = tempDir();
    const r = await labCli(['run', 'tiny', '--out', out], [tinyLab()]);
    const file = join(out, 'tiny', 'hola.pcapng');
    expect(existsSync(file)).toBe(true);
    expect(r.out).toContain(`capture  ${file}  (1 frame)`);
    expect(r.out).toContain(`    # the datagram\n    wireshark -r ${file} -Y "udp.length == 12"\n    netlab decode -r ${file} -Y "udp.length == 12"\n`);
    const cap = parseCapture(new Uint8Array(readFileSync(file)));
    expect(cap.packets.length).toBe(1);
    expect(cap.packets[0].comments).toEqual(['Hola']);
  });

  it('are printed relative to the working directory when inside it', async () => {
    const cwd = tempDir();
    const stdout = new Collect();
    await runLabs([tinyLab()], { mode: 'guided', pause: false, out: join(cwd, 'netlab-out'), cwd, stdout, stdin: fakeStdin(false), env: {} });
    expect(stdout.text).toContain('wireshark -r netlab-out/tiny/hola.pcapng -Y "udp.length == 12"');
  });

  it('are byte-identical across deterministic runs', async () => {
    const a = tempDir();
    const b = tempDir();
    for (const out of [a, b]) await runLabs([tinyLab()], { mode: 'check', pause: false, out, stdout: new Collect(), env: {}, deterministic: true });
    expect(Buffer.compare(readFileSync(join(a, 'tiny', 'hola.pcapng')), readFileSync(join(b, 'tiny', 'hola.pcapng')))).toBe(0);
    const cap = parseCapture(new Uint8Array(readFileSync(join(a, 'tiny', 'hola.pcapng'))));
    expect(cap.packets[0].tsSec).toBe(1_704_067_200);
  });
});

describe('guided mode', () => {
  it('explains and shows, and does not pause when stdin is not a terminal', async () => {
    const r = await labCli(['run', 'tiny', '--out', tempDir()], [tinyLab()], fakeStdin(false));
    expect(r.code).toBe(0);
    expect(r.out).toContain('Step 1/3  Craft Hola');
    expect(r.out).toContain('8 bytes of header and 4 of data make a UDP length of 12');
    expect(r.out).toContain('The length found in step 1 was 12.');
    expect(r.out).toMatch(/^ {2}0000 {2}aa bb cc dd ee ff 11 22 33 44 55 66 08 00 45 00 {3}/m);
    expect(r.out).toMatch(/^ {2}udp +0022-0029 +8 bytes$/m);
    expect(r.out).not.toContain('press Enter');
    expect(lastLine(r.out)).toBe('4 passed, 0 failed');
  });

  it('pauses between steps when stdin is a terminal, and goes on at Enter', async () => {
    const stdin = fakeStdin(true);
    const stdout = new Collect();
    const run = runLabs([tinyLab()], { mode: 'guided', pause: true, out: tempDir(), stdout, stdin, env: {} });
    const prompts = (): number => stdout.text.split('press Enter').length - 1;
    for (let i = 1; i <= 2; i++) {
      await waitFor(() => prompts() === i);
      expect(stdout.text).not.toContain(`Step ${i + 1}/3`);
      stdin.write('\n');
    }
    const summary = await run;
    expect(summary.failed).toBe(0);
    expect(prompts()).toBe(2); // none after the last step
    expect(stdin.isPaused()).toBe(true);
  });

  it('q at a pause stops the run', async () => {
    const stdin = fakeStdin(true);
    const stdout = new Collect();
    const run = runLabs([tinyLab()], { mode: 'guided', pause: true, out: tempDir(), stdout, stdin, env: {} });
    await waitFor(() => stdout.text.includes('press Enter'));
    stdin.write('q\n');
    const summary = await run;
    expect(summary.stopped).toBe(true);
    expect(stdout.text).not.toContain('Step 2/3');
    expect(lastLine(stdout.text)).toBe('2 passed, 0 failed');
  });

  it('--no-pause never pauses, even on a terminal', async () => {
    const r = await labCli(['run', 'tiny', '--no-pause', '--out', tempDir()], [tinyLab()], fakeStdin(true));
    expect(r.out).not.toContain('press Enter');
    expect(r.code).toBe(0);
  });

  it('tour runs every lab in order with a banner', async () => {
    const r = await labCli(['tour', '--out', tempDir()], [tinyLab({ name: 'first' }), tinyLab({ name: 'second' })]);
    expect(r.out).toMatch(/netlab tour: 2 labs/);
    expect(r.out.indexOf('Lab first')).toBeLessThan(r.out.indexOf('Lab second'));
    expect(lastLine(r.out)).toBe('8 passed, 0 failed');
  });
});

describe('colour', () => {
  const run = async (isTTY: boolean, env: Record<string, string>): Promise<string> => {
    const stdout = new Collect(isTTY);
    await runLabs([tinyLab()], { mode: 'guided', pause: false, out: tempDir(), stdout, stdin: fakeStdin(false), env });
    return stdout.text;
  };
  const ESC = '\x1b[';

  it('is on for a terminal', async () => {
    const text = await run(true, {});
    expect(text).toContain(`${ESC}32m✓ 1 claim checked`);
    expect(text).toContain(`${ESC}36maa bb cc dd ee ff 11 22 33 44 55 66 08 00${ESC}0m`); // the Ethernet span
  });
  it('is off when output is not a terminal', async () => {
    expect(await run(false, {})).not.toContain(ESC);
  });
  it('is off with NO_COLOR on a terminal', async () => {
    expect(await run(true, { NO_COLOR: '1' })).not.toContain(ESC);
  });
  it('FORCE_COLOR turns it on without a terminal', async () => {
    expect(await run(false, { FORCE_COLOR: '1' })).toContain(ESC);
  });
});

describe('the tour and progress', () => {
  it('introduces the tour: what netlab is, how long each lab takes, how to leave', async () => {
    const r = await labCli(['tour', '--out', tempDir()], [tinyLab({ name: 'first' }), tinyLab({ name: 'second' })]);
    expect(r.out).toContain('netlab is a networking laboratory');
    expect(r.out).toMatch(/^ +1\. first \(1 min\)$/m);
    expect(r.out).toContain('type q then Enter at any pause (or press Ctrl-C)');
    expect(r.out).toContain('Recap: first');
    expect(r.out).toContain('Next: second');
  });

  it('is saved per user and shown in lab list; q at a pause prints the command that resumes', async () => {
    const file = join(tempDir(), 'state', 'progress.json');
    const labs = [tinyLab({ name: 'first', exercise: true }), tinyLab({ name: 'second' })];
    await labCli(['run', 'second', '--out', tempDir()], labs, fakeStdin(false), file);
    const stdin = fakeStdin(true);
    const stopped = labCli(['run', 'first', '--out', tempDir()], labs, stdin, file);
    await new Promise((res) => setTimeout(res, 200));
    stdin.write('12\n');
    stdin.write('q\n');
    const r = await stopped;
    expect(r.out).toContain('Stopped. To go on from here: netlab lab run first --from 4');
    const list = await labCli(['list'], labs, fakeStdin(false), file);
    expect(list.out).toMatch(/^ 1\. first +1 min {2}stopped at 4\/4, 1 your turns right$/m);
    expect(list.out).toMatch(/^ 2\. second +1 min {2}done$/m);
    const resumed = await labCli(['run', 'first', '--from', '4', '--out', tempDir()], labs, fakeStdin(false), file);
    expect(resumed.out).toContain('Step 4/4  The end');
    expect(resumed.out).not.toContain('Step 3/4');
    expect((await labCli(['list'], labs, fakeStdin(false), file)).out).toMatch(/^ 1\. first +1 min {2}done, 1 your turns right$/m);
  });

  it('--from a step that is not there names the steps', async () => {
    const r = await labCli(['run', 'tiny', '--from', 'nowhere'], [tinyLab()]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no step of lab tiny has "nowhere" in its title');
  });
});

describe('lab list', () => {
  it('prints name, title, duration and needs', async () => {
    const r = await labCli(['list'], [tinyLab()]);
    expect(r.out).toMatch(/^ 1\. tiny +1 min$/m);
    expect(r.out).toContain('\n    A tiny lab for the runner tests\n    needs: nothing but Node\n');
    expect(listText([])).toContain('No labs');
  });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}
