// The `netlab` command. Each subcommand lives in its own file and is loaded only when it runs; to add
// one, write `src/cli/NAME.ts` exporting `registerNAME(y: Argv): Argv` and list it in COMMANDS.

import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { CliError, printError } from './io.ts';

/** Adds one subcommand (with its options and handler) to the command line. */
export type CommandRegistrar = (y: Argv) => Argv;

/** A subcommand: its name and one line for `netlab --help`, and how to load it when it runs. */
export interface CommandEntry {
  readonly name: string;
  readonly describe: string;
  load(): Promise<CommandRegistrar>;
}

/**
 * The subcommands, in the order `netlab --help` lists them. Only the one named on the command line
 * is loaded (its module and everything it imports); the others are listed by name and line only, so
 * `netlab --help` and `netlab lab list` start without loading the dissector, the DNS servers or TLS.
 */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'decode', describe: 'Decode a capture as tshark does: summary lines, -V tree, -x hex, -T fields|json, -Y filter', load: async () => (await import('./decode.ts')).registerDecode },
  { name: 'craft', describe: 'Build packets from flags or JSON and write a capture Wireshark opens', load: async () => (await import('./craft.ts')).registerCraft },
  { name: 'lab', describe: 'Guided labs on real sockets, with captures and checkpoints (list, run, tour)', load: async () => (await import('./lab.ts')).registerLab },
  { name: 'fixtures', describe: 'Regenerate fixtures/ from the labs (fixed clock, fixed seeds: byte-identical everywhere)', load: async () => (await import('./fixtures.ts')).registerFixtures },
  { name: 'extcap', describe: 'Wireshark extcap for live netlab segments ("netlab extcap install" sets it up)', load: async () => (await import('./extcap.ts')).registerExtcap },
  { name: 'dig', describe: 'Query a DNS server and print the answer like dig (+tcp, +norec, +noedns, +trace)', load: async () => (await import('./dig.ts')).registerDig },
  { name: 'pki', describe: 'A small PKI: root and intermediate CAs, server and client certificates (init, issue, show, revoke)', load: async () => (await import('./pki.ts')).registerPki },
  { name: 'topo', describe: 'Virtual networks from a topology file (check, run)', load: async () => (await import('./topo.ts')).registerTopo },
  { name: 'proxy', describe: 'Reverse proxy and L7 load balancer (check)', load: async () => (await import('./proxy.ts')).registerProxy },
];

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
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  try {
    await (await buildCli(args)).parseAsync();
  } catch (err) {
    reportFatal(err);
  }
}

await main(hideBin(process.argv));
