// The `netlab` command. Each subcommand lives in its own file and is loaded only when it runs; to add
// one, write `src/cli/NAME.ts` exporting `registerNAME(y: Argv): Argv` and list it in COMMANDS.

import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { COMMANDS, type CommandEntry } from './command-table.ts';
import { CliError, printError } from './io.ts';

/** The command named on the command line: the first argument that is not an option. */
function commandNamed(args: readonly string[]): CommandEntry | undefined {
  const first = args.find((a) => !a.startsWith('-'));
  return COMMANDS.find((c) => c.name === first);
}

/** Builds the parser for the given arguments (exported for tests). */
export async function buildCli(args: readonly string[]): Promise<Argv> {
  let y = yargs([...args])
    .scriptName('netlab')
    .usage('$0 <command> [options]')
    .strict()
    .demandCommand(1, 'Name a command: netlab <command> --help shows its options.')
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .parserConfiguration({ 'duplicate-arguments-array': true, 'short-option-groups': true })
    .fail((msg, err) => {
      if (err) throw err;
      throw new CliError(`${msg ?? 'invalid arguments'} (netlab <command> --help lists the options)`, 1);
    });
  const named = commandNamed(args);
  for (const c of COMMANDS) y = c === named ? (await c.load())(y) : y.command(c.name, c.describe);
  return y;
}

/**
 * The top-level handler: whatever a command throws (or a callback throws later) ends as one line on
 * stderr naming what was wrong, never a stack trace, and a non-zero exit code (the CliError's own, else
 * 1). NETLAB_DEBUG=1 prints the stack as well, for netlab's developers.
 */
export function reportFatal(err: unknown): void {
  const debug = process.env.NETLAB_DEBUG !== undefined && process.env.NETLAB_DEBUG !== '' && process.env.NETLAB_DEBUG !== '0';
  const text = err instanceof Error ? err.message : String(err);
  printError(text.replace(/\s*\n\s*/g, ' ').trim() || (err instanceof Error ? err.name : 'unknown error'));
  if (debug && err instanceof Error && err.stack !== undefined) process.stderr.write(`${err.stack}\n`);
  process.exitCode = err instanceof CliError ? err.exitCode : 1;
}

export async function main(args: readonly string[]): Promise<void> {
  const fatal = (err: unknown): void => {
    reportFatal(err);
    process.exit();
  };
  // The reader of our output went away (`netlab lab tour | head`): stop quietly, as other tools do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    else fatal(err);
  });
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  try {
    await (await buildCli(args)).parseAsync();
  } catch (err) {
    reportFatal(err);
  }
}

await main(hideBin(process.argv));
