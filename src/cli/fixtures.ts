// `netlab fixtures` (npm run fixtures): runs every lab in deterministic mode and writes its captures
// to fixtures/LAB/*.pcapng, plus fixtures/README.md listing each capture with its display filters.
// Same labs, same bytes, on every machine: see README_HEAD for how.

import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { CliError } from './io.ts';
import { validateCatalogue } from '../lab/registry.ts';
import { runLabs, type LabResult } from '../lab/runner.ts';
import type { AnyLab } from '../lab/types.ts';
import type { OutStream } from '../lab/reporter.ts';
import { FIXED_START_SEC, FIXED_TICK_NS } from '../base/clock.ts';
import { describeSummary, tsharkAvailable, tsharkSummary } from './tshark-summary.ts';

export interface FixturesDeps {
  loadLabs(): Promise<readonly AnyLab[]>;
  readonly stdout: OutStream;
  setExitCode(code: number): void;
}

const defaultDeps: FixturesDeps = {
  loadLabs: async () => (await import('../../labs/index.ts')).loadAllLabs(),
  stdout: process.stdout,
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

export const DEFAULT_FIXTURES_DIR = 'fixtures';

const README_HEAD = `# fixtures

Captures the labs write, regenerated with \`npm run fixtures\` (\`netlab fixtures\`). They are
byte-identical on every machine and every run: do not edit them, change the lab and regenerate.

## How a lab run is made deterministic

- **Clock.** A fixed clock starts at ${new Date(FIXED_START_SEC * 1000).toISOString()} and moves forward by
  ${FIXED_TICK_NS / 1000} µs each time it is read (labs may also advance it to show a delay).
- **Random numbers.** Each lab draws from a generator seeded with \`netlab:LAB\` (sfc32), so sequence
  numbers, IDs and anything else a lab picks at random repeat exactly.
- **Socket taps** (real TCP/UDP sockets on 127.0.0.0/8, recorded as Ethernet/IP frames) run in fixed
  mode:
  - server ports a lab names (\`tap.fixPort(realPort, shownPort)\`) are shown as named; other server
    ports become 8000, 8001, …, client ports 49152, 49153, … in the order the connections were tapped
    (the kernel's real ephemeral ports differ on every run);
  - addresses are kept as they are (labs choose them: 127.0.0.1, 127.53.0.1, ::1, …);
  - MAC addresses are fixed and locally administered: 02:00 followed by the last four bytes of the IP
    address (127.0.0.1 → 02:00:7f:00:00:01);
  - each connection's frames are written at the end of its step, one connection after another, with
    timestamps from the fixed clock; the bytes each side sent are joined until the other side speaks
    (how the kernel cut a stream into reads varies, the bytes do not); initial sequence numbers and IP
    IDs come from the lab's seeded generator;
  - MSS 1460 and window 65535 on both sides, as in any run.
- **pcapng.** The section header names the application (netlab) and nothing about the machine.

A lab that checks timings or the kernel's port choice checks them in its normal runs; the fixtures
only fix what the captures record.
`;

/** The README for the fixtures a run wrote. */
export function fixturesReadme(labs: readonly AnyLab[], results: readonly LabResult[], dir: string): string {
  const lines = [README_HEAD, '## Captures', ''];
  for (const r of results) {
    const lab = labs.find((l) => l.name === r.name);
    lines.push(`### ${r.name}: ${lab?.title ?? ''}`.trimEnd(), '');
    if (r.captures.length === 0) {
      lines.push('(no captures)', '');
      continue;
    }
    lines.push('| capture | frames | display filter | shows |', '|---|---:|---|---|');
    for (const c of r.captures) {
      const file = relative(dir, c.absolutePath).split('\\').join('/');
      c.filters.forEach((f, i) => {
        const prefs = f.prefs !== undefined && f.prefs.length > 0 ? ` (${f.prefs.map((p) => `-o ${p}`).join(' ')})` : '';
        const filter = `\`${f.filter.replace(/\|/g, '\\|')}\`${prefs}`;
        lines.push(`| ${i === 0 ? `\`${file}\`` : ''} | ${i === 0 ? c.frames : ''} | ${filter} | ${(f.about ?? '').replace(/\|/g, '\\|')} |`);
      });
    }
    lines.push('', 'What tshark says (`tshark -r FILE -T fields -e frame.protocols`):', '');
    for (const c of r.captures) {
      const file = relative(dir, c.absolutePath).split('\\').join('/');
      lines.push(`- \`${file}\`: ${describeSummary(tsharkSummary(c.absolutePath)).replace(/\|/g, '\\|')}`);
    }
    lines.push('');
  }
  lines.push('Open one: `wireshark -r fixtures/LAB/FILE.pcapng -Y "FILTER"`.', '');
  return lines.join('\n');
}

/** Removes the .pcapng files of the labs' folders (so a capture a lab no longer writes disappears). */
function clearLabFolders(dir: string, labs: readonly AnyLab[]): void {
  for (const lab of labs) {
    const folder = join(dir, lab.name);
    let names: string[];
    try {
      if (!statSync(folder).isDirectory()) continue;
      names = readdirSync(folder);
    } catch {
      continue;
    }
    for (const n of names) if (n.endsWith('.pcapng')) rmSync(join(folder, n));
  }
}

/** Regenerates the fixtures; returns the number of failed checkpoints. */
export async function writeFixtures(labs: readonly AnyLab[], dir: string, stdout: OutStream): Promise<number> {
  validateCatalogue(labs);
  if (!tsharkAvailable()) {
    throw new CliError('netlab fixtures needs tshark: fixtures/README.md records what tshark says about each capture (on Debian: apt-get install tshark).', 1);
  }
  const abs = resolve(dir);
  clearLabFolders(abs, labs);
  const summary = await runLabs(labs, { mode: 'check', pause: false, out: abs, stdout, deterministic: true, colour: false });
  mkdirSync(abs, { recursive: true });
  writeFileSync(join(abs, 'README.md'), fixturesReadme(labs, summary.labs, abs));
  return summary.failed;
}

export function buildFixturesCommand(overrides: Partial<FixturesDeps> = {}): CommandModule<object, { out: string }> {
  const deps: FixturesDeps = { ...defaultDeps, ...overrides };
  return {
    command: 'fixtures',
    describe: 'Regenerate fixtures/ from the labs (fixed clock, fixed seeds: byte-identical everywhere)',
    builder: (y) => y.option('out', { type: 'string', default: DEFAULT_FIXTURES_DIR, describe: 'Folder to write (DIR/LAB/*.pcapng and DIR/README.md)' }),
    handler: async (argv) => {
      const failed = await writeFixtures(await deps.loadLabs(), argv.out, deps.stdout);
      deps.setExitCode(failed > 0 ? 1 : 0);
    },
  };
}

/** Adds `netlab fixtures` to the command line (the form src/cli/main.ts lists). */
export function registerFixtures(y: Argv): Argv {
  return y.command(buildFixturesCommand());
}
