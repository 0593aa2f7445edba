// `netlab lab`: the guided labs.
//
//   netlab lab list                         name, title, duration and needs of every lab
//   netlab lab run NAME [--no-pause]        guided: explanations, tables, hex, diagrams, checkpoints;
//                                           pauses for Enter between steps when stdin is a terminal
//   netlab lab run NAME --check             terse, no pauses; exit code 1 on any failed checkpoint;
//                                           last line "N passed, N failed" (NAME may be "all")
//   netlab lab tour [--no-pause]            every lab in order (what `npm start` runs)
//   --out DIR                               captures go to DIR/NAME/ (default netlab-out)

import type { Readable } from 'node:stream';
import type { Argv, CommandModule } from 'yargs';
import type { OutStream } from '../lab/reporter.ts';
import { loadLabs, selectLabs, UnknownLabError, validateCatalogue, type LabEntry } from '../lab/registry.ts';
import { DEFAULT_OUT, runLabs } from '../lab/runner.ts';
import { outputWidth, wrapWords } from '../lab/layout.ts';
import type { LabInfo } from '../lab/types.ts';
import type { ColourEnv } from '../lab/colour.ts';

/** What the command reads and writes; tests replace any of it. */
export interface LabCliDeps {
  /** The catalogue, in tour order (default: labs/index.ts; a lab's code loads only when it runs). */
  loadCatalogue(): Promise<readonly LabEntry[]>;
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  /** Default: process.stdin, read only for the pauses of a guided run. */
  readonly stdin?: Readable & { readonly isTTY?: boolean };
  readonly env: ColourEnv;
  /** Where the exit code goes (default: process.exitCode). */
  setExitCode(code: number): void;
}

const defaultDeps: LabCliDeps = {
  loadCatalogue: async () => (await import('../../labs/index.ts')).CATALOGUE,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

interface RunArgs {
  name: string;
  check: boolean;
  verbose: boolean;
  pause: boolean;
  out: string;
}

interface TourArgs {
  pause: boolean;
  out: string;
}

async function catalogue(deps: LabCliDeps): Promise<readonly LabEntry[]> {
  const labs = await deps.loadCatalogue();
  validateCatalogue(labs);
  return labs;
}

/** `lab list` as text, fitted to `width` columns: the name and time on one line, then the title and needs. */
export function listText(labs: readonly LabInfo[], width = 80, status: (name: string) => string = () => ''): string {
  if (labs.length === 0) return 'No labs are installed yet.\n';
  const nameWidth = Math.max(...labs.map((l) => l.name.length));
  const lines: string[] = [];
  labs.forEach((l, i) => {
    const state = status(l.name);
    lines.push(`${String(i + 1).padStart(2)}. ${l.name.padEnd(nameWidth)}  ${l.duration.padStart(6)}${state === '' ? '' : `  ${state}`}`.trimEnd());
    lines.push(...wrapWords(l.title, width, '    ', '    '));
    lines.push(...wrapWords(`needs: ${l.needs.length === 0 ? 'nothing but Node' : l.needs.join('; ')}`, width, '    ', '      '));
  });
  lines.push('', ...wrapWords('Run one with: netlab lab run NAME (all of them, in order: netlab lab tour)', width));
  return `${lines.join('\n')}\n`;
}

/** Builds the `lab` command; `deps` lets tests run it on their own labs and streams. */
export function buildLabCommand(overrides: Partial<LabCliDeps> = {}): CommandModule {
  const deps: LabCliDeps = { ...defaultDeps, ...overrides };
  const outOption = { type: 'string', default: DEFAULT_OUT, describe: 'Folder for the captures (each lab writes to DIR/NAME/)' } as const;
  const pauseOption = { type: 'boolean', default: true, describe: 'Pause for Enter between steps when stdin is a terminal (--no-pause: never)' } as const;

  const list: CommandModule<object, object> = {
    command: 'list',
    describe: 'List the labs: name, title, duration, what each needs',
    handler: async () => {
      deps.stdout.write(listText(await catalogue(deps), outputWidth(deps.stdout)));
    },
  };

  const run: CommandModule<object, RunArgs> = {
    command: 'run <name>',
    describe: 'Run a lab (guided), or check it with --check; NAME "all" runs every lab',
    builder: (y) =>
      y
        .positional('name', { type: 'string', demandOption: true, describe: 'Lab name (see "netlab lab list"), or all' })
        .option('check', { type: 'boolean', default: false, describe: 'No pauses, terse output, exit code 1 on a failed checkpoint' })
        .option('verbose', { type: 'boolean', default: false, describe: 'Print every checkpoint with what it observed (default: one line per step, failures in full)' })
        .option('pause', pauseOption)
        .option('out', outOption)
        .example('$0 lab run checksums', 'guided, with pauses at a terminal')
        .example('$0 lab run all --check', 'every lab, as the tests run them'),
    handler: async (argv) => {
      try {
        const labs = await loadLabs(selectLabs(await catalogue(deps), argv.name));
        const summary = await runLabs(labs, {
          mode: argv.check ? 'check' : 'guided',
          pause: !argv.check && argv.pause,
          out: argv.out,
          stdout: deps.stdout,
          stdin: deps.stdin,
          env: deps.env,
          verbose: argv.verbose,
        });
        deps.setExitCode(summary.failed > 0 ? 1 : 0);
      } catch (err) {
        if (!(err instanceof UnknownLabError)) throw err;
        deps.stderr.write(`netlab: ${err.message}\n`);
        deps.setExitCode(1);
      }
    },
  };

  const tour: CommandModule<object, TourArgs> = {
    command: 'tour',
    describe: 'The guided tour: every lab in order (pauses only at a terminal)',
    builder: (y) => y.option('pause', pauseOption).option('out', outOption),
    handler: async (argv) => {
      const labs = await loadLabs(await catalogue(deps));
      if (labs.length === 0) {
        deps.stdout.write('No labs are installed yet: the tour is empty.\n');
        deps.setExitCode(0);
        return;
      }
      const summary = await runLabs(labs, { mode: 'guided', pause: argv.pause, out: argv.out, stdout: deps.stdout, stdin: deps.stdin, env: deps.env, tour: true });
      deps.setExitCode(summary.failed > 0 ? 1 : 0);
    },
  };

  return {
    command: 'lab',
    describe: 'Guided labs on real sockets, with captures and checkpoints (list, run, tour)',
    builder: (y) =>
      y
        .command(list)
        .command(run)
        .command(tour)
        .demandCommand(1, 'Name a lab command: list, run NAME, or tour.'),
    handler: () => undefined,
  };
}

export const labCommand: CommandModule = buildLabCommand();

/** Adds `netlab lab` to the command line (the form src/cli/main.ts lists). */
export function registerLab(y: Argv): Argv {
  return y.command(labCommand);
}
