// `netlab proxy check FILE`: reads a reverse proxy (or, with --kind l4, an L4 balancer) configuration
// file and prints what it holds, or every mistake with its key path, line and column (exit 1).
// The configuration code is imported only when the command runs, so `netlab --help` stays fast.

import type { Argv, CommandModule } from 'yargs';
import { CliError } from './io.ts';

interface CheckArgs {
  file: string;
  kind: 'proxy' | 'l4' | 'any';
}

/** The text `proxy check` prints for a good file. */
export async function checkProxyFile(file: string, kind: CheckArgs['kind']): Promise<string> {
  const { ConfigError, describeConfig, loadConfigFile } = await import('../proxy/config.ts');
  try {
    const { config } = loadConfigFile(file, kind);
    return `${file}: OK\n${describeConfig(config)}`;
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, 1);
    throw e;
  }
}

export function registerProxy(y: Argv): Argv {
  const check: CommandModule<object, CheckArgs> = {
    command: 'check <file>',
    describe: 'Check a proxy configuration file (YAML or JSON) and list its listeners, routes and clusters',
    builder: (b) =>
      b
        .positional('file', { type: 'string', demandOption: true, describe: 'configuration file (YAML or JSON)' })
        .option('kind', { choices: ['proxy', 'l4', 'any'] as const, default: 'proxy' as const, describe: 'proxy: http listeners and routes; l4: tcp/udp listeners' }) as unknown as Argv<CheckArgs>,
    handler: async (a) => {
      process.stdout.write(`${await checkProxyFile(a.file, a.kind)}\n`);
    },
  };
  return y.command('proxy', 'Reverse proxy and L7 load balancer (check)', (b) => b.command(check).demandCommand(1, 'Name a proxy command: check.'));
}
