// `netlab lab`: the guided labs.
//
//   netlab lab list                         every lab: name, time, title, needs, and your progress
//   netlab lab run NAME [--no-pause]        guided: explanations, tables, hex, diagrams, your turns;
//                                           pauses for Enter between steps when stdin is a terminal
//   netlab lab run NAME --from STEP         start at a step (its number, or words of its title)
//   netlab lab run NAME --check             terse, no pauses; exit code 1 on any failed checkpoint;
//                                           last line "N passed, N failed" (NAME may be "all")
//   netlab lab tour [--from NAME[:STEP]]    every lab in order (what `npm start` runs), with an introduction
//   --out DIR                               captures go to DIR/NAME/ (default netlab-out)
//   --verbose                               every checkpoint, not one line per step
//   netlab lab run NAME --web [--no-open]   also serves the lab page on 127.0.0.1 (a free port,
//                                           printed): steps, checkpoints, figures, the live topology,
//                                           exercises answered in the page; it stays up after the
//                                           run until Ctrl-C (or --web-for SECONDS)
//
// Every run writes OUT/NAME/index.html beside the captures: the results as a page that opens from
// the file system.
//
// Guided runs save progress per user (src/lab/progress.ts); q at a pause, or Ctrl-C, prints the
// command that goes on from there.

import type { Readable } from 'node:stream';
import type { Argv, CommandModule } from 'yargs';
import type { OutStream } from '../lab/reporter.ts';
import { loadLabs, selectLabs, UnknownLabError, validateCatalogue, type LabEntry } from '../lab/registry.ts';
import { DEFAULT_OUT } from '../lab/out-dir.ts';
import type { RunOptions } from '../lab/runner.ts';
import { outputWidth, wrapWords } from '../lab/layout.ts';
import type { AnyLab, LabInfo } from '../lab/types.ts';
import { checkFolderCreatable, checkNumberOption, untilStopped } from './io.ts';
import type { ColourEnv } from '../lab/colour.ts';
import { loadProgress, progressPath, progressText, ProgressFile, type Progress } from '../lab/progress.ts';
import { resolveFrom, UnknownStepError } from '../lab/plan.ts';

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
  /** The progress file (default: progressPath(process.env)); null keeps no progress. */
  readonly progressFile?: string | null;
  /** Called with a handler for Ctrl-C during a guided run; returns the function that removes it. */
  onInterrupt?(handler: () => void): () => void;
  /** Opens a URL in the browser (default: xdg-open when a display is there). */
  openBrowser?(url: string, write: (s: string) => void): void;
}

const defaultDeps: LabCliDeps = {
  loadCatalogue: async () => (await import('../../labs/index.ts')).CATALOGUE,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  setExitCode: (code) => {
    process.exitCode = code;
  },
  onInterrupt: (handler) => {
    process.once('SIGINT', handler);
    return () => process.off('SIGINT', handler);
  },
};

interface RunArgs {
  name: string;
  web: boolean;
  open: boolean;
  'web-for'?: number;
  check: boolean;
  verbose: boolean;
  pause: boolean;
  out: string;
  from?: string;
}

interface TourArgs {
  pause: boolean;
  out: string;
  verbose: boolean;
  from?: string;
}

async function catalogue(deps: LabCliDeps): Promise<readonly LabEntry[]> {
  const labs = await deps.loadCatalogue();
  validateCatalogue(labs);
  return labs;
}

/** `lab list` as text, fitted to `width` columns: number, name, time and progress, then the title and needs. */
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

/** Minutes in a duration such as `15 min`. */
const minutes = (d: string): number => Number(/(\d+)\s*min/.exec(d)?.[1] ?? 0);

/** The tour's introduction: what netlab is, how long the labs take, how to answer and how to leave. */
export function tourIntro(labs: readonly LabInfo[]): string[] {
  const total = labs.reduce((n, l) => n + minutes(l.duration), 0);
  const hours = total >= 60 ? `about ${Math.floor(total / 60)} h ${total % 60} min` : `about ${total} min`;
  return [
    'netlab is a networking laboratory: each lab sends real bytes on real sockets (on loopback, or in a small virtual network inside this process), writes captures Wireshark opens, and checks every claim it makes against what really happened.',
    '',
    `The tour runs ${labs.length} labs, ${hours} in all:`,
    ...labs.map((l, i) => `  ${String(i + 1).padStart(2)}. ${l.name} (${l.duration})`),
    '',
    'Between steps, Enter goes on. At "your turn" you answer: type your answer, or h for a hint, a for the answer, s to skip. To leave, type q then Enter at any pause (or press Ctrl-C): netlab prints the command that takes you back to the same place, and remembers how far you got (netlab lab list shows it).',
  ];
}

/** Where a tour starts: `NAME` or `NAME:STEP`. */
function tourStart(labs: readonly AnyLab[], spec: string): { index: number; from: number } {
  const [name, step] = spec.split(':', 2);
  const index = labs.findIndex((l) => l.name === name);
  if (index < 0)
    throw new UnknownLabError(
      name,
      labs.map((l) => l.name),
    );
  return { index, from: step === undefined || step === '' ? 0 : resolveFrom(labs[index], step) };
}

/** Builds the `lab` command; `deps` lets tests run it on their own labs and streams. */
export function buildLabCommand(overrides: Partial<LabCliDeps> = {}): CommandModule {
  const deps: LabCliDeps = { ...defaultDeps, ...overrides };
  const outOption = { type: 'string', default: DEFAULT_OUT, describe: 'Folder for the captures (each lab writes to DIR/NAME/)' } as const;
  const pauseOption = { type: 'boolean', default: true, describe: 'Pause for Enter between steps when stdin is a terminal (--no-pause: never)' } as const;
  const verboseOption = {
    type: 'boolean',
    default: false,
    describe: 'Print every checkpoint with what it observed (default: one line per step, failures in full)',
  } as const;
  const statePath = (): string | null => (deps.progressFile === undefined ? progressPath(process.env) : deps.progressFile);

  const fail = (message: string): void => {
    deps.stderr.write(`netlab: ${message}\n`);
    deps.setExitCode(1);
  };

  /** A guided run with progress saved, and Ctrl-C answered with the command that resumes. */
  const guided = async (labs: readonly AnyLab[], options: RunOptions, resume: (lab: LabInfo, position: number | undefined) => string): Promise<void> => {
    const path = statePath();
    const progress = path === null ? undefined : new ProgressFile(path);
    const off = deps.onInterrupt?.(() => {
      const at = progress?.last;
      const command = at === undefined ? resume(labs[0], undefined) : resume(at.lab, at.position);
      deps.stdout.write(`\n\nStopped. To go on from here: ${command}\n`);
      process.exit(130);
    });
    try {
      const { runLabs } = await import('../lab/runner.ts');
      const summary = await runLabs(labs, { ...options, progress, resumeCommand: resume });
      deps.setExitCode(summary.failed > 0 ? 1 : 0);
    } finally {
      off?.();
    }
  };

  /** `--web`: the run as usual, and the lab page served beside it until Ctrl-C (or --web-for). */
  const webRun = async (labs: readonly AnyLab[], options: RunOptions, argv: RunArgs): Promise<void> => {
    if (argv['web-for'] !== undefined) checkNumberOption('--web-for', argv['web-for'], { min: 0, max: 86_400, unit: 'seconds' });
    const [{ startLabServer }, { LearnerInput }, runner] = await Promise.all([
      import('../view/lab-server.ts'),
      import('../lab/learner-input.ts'),
      import('../lab/runner.ts'),
    ]);
    const stdin = deps.stdin ?? process.stdin;
    const terminal = !argv.check && argv.pause && stdin.isTTY === true;
    const input = new LearnerInput(terminal ? stdin : undefined, !argv.check);
    const server = await startLabServer(labs.map((l) => l.name).join(', '), input);
    const write = (s: string): void => void deps.stdout.write(s);
    write(`The lab page: ${server.url} (no internet needed)\n`);
    write('Its virtual links show in Wireshark too: netlab extcap install, tshark -D.\n');
    if (argv.open) (deps.openBrowser ?? (await import('./view.ts')).openBrowser)(server.url, write);
    try {
      const withWeb: RunOptions = { ...options, observer: server.observer, input };
      if (argv.check) {
        const summary = await runner.runLabs(labs, withWeb);
        deps.setExitCode(summary.failed > 0 ? 1 : 0);
      } else await guided(labs, withWeb, runner.defaultResume);
      input.close();
      write(`The lab page stays at ${server.url} ${argv['web-for'] === undefined ? 'until Ctrl-C' : `for ${argv['web-for']} s`}.\n`);
      await untilStopped(argv['web-for']);
    } finally {
      input.close();
      await server.close();
    }
  };

  const list: CommandModule<object, object> = {
    command: 'list',
    describe: 'List the labs: name, time, title, what each needs, and how far you got',
    handler: async () => {
      const path = statePath();
      const progress: Progress = path === null ? { version: 1, labs: {} } : loadProgress(path);
      deps.stdout.write(listText(await catalogue(deps), outputWidth(deps.stdout), (name) => progressText(progress.labs[name])));
    },
  };

  const run: CommandModule<object, RunArgs> = {
    command: 'run <name>',
    describe: 'Run a lab (guided), or check it with --check; NAME "all" runs every lab',
    builder: (y) =>
      y
        .positional('name', { type: 'string', demandOption: true, describe: 'Lab name (see "netlab lab list"), or all' })
        .option('check', { type: 'boolean', default: false, describe: 'No pauses, terse output, exit code 1 on a failed checkpoint' })
        .option('from', { type: 'string', describe: 'Start at this step: its number as printed, or words of its title (the steps before run silently)' })
        .option('verbose', verboseOption)
        .option('pause', pauseOption)
        .option('out', outOption)
        .option('web', { type: 'boolean', default: false, describe: 'Also show the lab in a local web page (127.0.0.1, a free port, printed)' })
        .option('open', { type: 'boolean', default: true, describe: 'With --web: open the page in the browser (--no-open: only print its address)' })
        .option('web-for', { type: 'number', describe: 'With --web: stop serving this many seconds after the run (default: at Ctrl-C)' })
        .example('$0 lab run checksums', 'guided, with pauses at a terminal')
        .example('$0 lab run mac-and-arp --web', 'the same, and the lab page with the live topology in the browser')
        .example('$0 lab run dns-resolution --from "cache"', 'start at the step about the cache')
        .example('$0 lab run all --check', 'every lab, as the tests run them'),
    handler: async (argv) => {
      checkFolderCreatable('--out', argv.out);
      try {
        const labs = await loadLabs(selectLabs(await catalogue(deps), argv.name));
        let from: number | undefined;
        if (argv.from !== undefined) {
          if (labs.length !== 1) return fail('--from needs one lab, not "all"');
          from = resolveFrom(labs[0], argv.from);
        }
        const options: RunOptions = {
          mode: argv.check ? 'check' : 'guided',
          pause: !argv.check && argv.pause,
          out: argv.out,
          stdout: deps.stdout,
          stdin: deps.stdin,
          env: deps.env,
          verbose: argv.verbose,
          from,
          writeIndex: true,
        };
        if (argv.web) {
          await webRun(labs, options, argv);
          return;
        }
        if (argv.check) {
          const { runLabs } = await import('../lab/runner.ts');
          const summary = await runLabs(labs, options);
          deps.setExitCode(summary.failed > 0 ? 1 : 0);
          return;
        }
        await guided(labs, options, (await import('../lab/runner.ts')).defaultResume);
      } catch (err) {
        if (!(err instanceof UnknownLabError || err instanceof UnknownStepError)) throw err;
        fail(err.message);
      }
    },
  };

  const tour: CommandModule<object, TourArgs> = {
    command: 'tour',
    describe: 'The guided tour: every lab in order, with an introduction (pauses only at a terminal)',
    builder: (y) =>
      y
        .option('from', { type: 'string', describe: 'Start at a lab, or at a step of it: NAME or NAME:STEP' })
        .option('verbose', verboseOption)
        .option('pause', pauseOption)
        .option('out', outOption),
    handler: async (argv) => {
      checkFolderCreatable('--out', argv.out);
      try {
        const all = await loadLabs(await catalogue(deps));
        if (all.length === 0) {
          deps.stdout.write('No labs are installed yet: the tour is empty.\n');
          deps.setExitCode(0);
          return;
        }
        const start = argv.from === undefined ? { index: 0, from: 0 } : tourStart(all, argv.from);
        const labs = all.slice(start.index);
        const resume = (lab: LabInfo, position: number | undefined): string =>
          `netlab lab tour --from ${lab.name}${position === undefined ? '' : `:${position + 1}`}`;
        await guided(
          labs,
          {
            mode: 'guided',
            pause: argv.pause,
            out: argv.out,
            stdout: deps.stdout,
            stdin: deps.stdin,
            env: deps.env,
            tour: true,
            intro: start.index === 0 && start.from === 0 ? tourIntro(all) : undefined,
            from: start.from,
            verbose: argv.verbose,
            writeIndex: true,
          },
          resume,
        );
      } catch (err) {
        if (!(err instanceof UnknownLabError || err instanceof UnknownStepError)) throw err;
        fail(err.message);
      }
    },
  };

  return {
    command: 'lab',
    describe: 'Guided labs on real sockets, with captures, checkpoints and exercises (list, run, tour)',
    builder: (y) => y.command(list).command(run).command(tour).demandCommand(1, 'Name a lab command: list, run NAME, or tour.'),
    handler: () => undefined,
  };
}

export const labCommand: CommandModule = buildLabCommand();

/** Adds `netlab lab` to the command line (the form src/cli/main.ts lists). */
export function registerLab(y: Argv): Argv {
  return y.command(labCommand);
}
