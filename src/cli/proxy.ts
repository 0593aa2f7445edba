// `netlab proxy check FILE`: reads a reverse proxy (or, with --kind l4, an L4 balancer) configuration
// file and prints what it holds, or every mistake with its key path, line and column (exit 1).
// `netlab proxy run FILE`: runs the reverse proxy, prints its listeners, reloads the file on SIGHUP
// (and when it changes, unless --no-watch), and drains and exits on SIGINT or SIGTERM.
// The configuration and proxy code is imported only when a command runs, so `netlab --help` stays fast.

import type { Argv, CommandModule } from 'yargs';
import { CliError, checkNumberOption } from './io.ts';

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

interface RunArgs {
  file: string;
  watch: boolean;
  grace: number;
  workers: number;
}

/** Runs the proxy of `file` until SIGINT/SIGTERM; resolves when it has drained and closed. */
export async function runProxyFile(file: string, options: { watch: boolean; graceMs: number; out?: (line: string) => void }): Promise<void> {
  const { ConfigError, loadConfigFile } = await import('../proxy/config.ts');
  const { startProxy, watchConfigFile } = await import('../proxy/index.ts');
  const out = options.out ?? ((l: string) => process.stderr.write(`${l}\n`));
  let config: ReturnType<typeof loadConfigFile>['config'];
  try {
    config = loadConfigFile(file, 'proxy').config;
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, 1);
    throw e;
  }
  const proxy = await startProxy(config, {
    graceMs: options.graceMs,
    onEvent: (e) => {
      if (e.type === 'health' && e.change !== undefined) out(`health: ${e.cluster}/${e.endpoint} ${e.change} (${e.detail})`);
      else if (e.type === 'balancer') out(`balancer: ${e.cluster}/${e.endpoint} ${e.event}`);
      else if (e.type === 'reload') out(`reloaded: listeners ${e.listeners.join(', ')}; clusters ${e.clusters.join(', ')}`);
      else if (e.type === 'error') out(`error: ${e.message}`);
    },
  });
  // A worker of --workers N: the first prints the listeners (they are the same in every worker).
  const worker = process.env.NETLAB_PROXY_WORKER;
  if (worker === undefined || worker === '1') for (const l of proxy.listeners) process.stdout.write(`listening: ${l.name} ${l.url}\n`);
  // Reloads run one after another, and none starts once the proxy is stopping: a reload still binding a
  // new listener when close() ran would add that listener after close() had closed the others, and
  // it would keep the process alive.
  let stopping = false;
  let reloading: Promise<void> = Promise.resolve();
  const reload = (why: string): void => {
    reloading = reloading.then(async () => {
      if (stopping) return;
      try {
        const next = loadConfigFile(file, 'proxy').config;
        await proxy
          .reload(next)
          .catch((err: unknown) => out(`reload (${why}) failed, old configuration kept: ${err instanceof Error ? err.message : String(err)}`));
      } catch (err) {
        out(`reload (${why}) refused, old configuration kept:\n${err instanceof Error ? err.message : String(err)}`);
      }
    });
  };
  const watcher = options.watch ? watchConfigFile(file, () => reload('file changed')) : undefined;
  const onHup = (): void => reload('SIGHUP');
  process.on('SIGHUP', onHup);
  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      out(`${sig}: draining (up to ${options.graceMs} ms)`);
      resolve();
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  stopping = true;
  process.off('SIGHUP', onHup);
  watcher?.close();
  await reloading;
  await proxy.close(options.graceMs);
  out('closed');
}

export function registerProxy(y: Argv): Argv {
  const run: CommandModule<object, RunArgs> = {
    command: 'run <file>',
    describe: 'Run the reverse proxy of a configuration file (reload: SIGHUP or editing the file; stop: Ctrl-C)',
    builder: (b) =>
      b
        .positional('file', { type: 'string', demandOption: true, describe: 'configuration file (YAML or JSON)' })
        .option('watch', { type: 'boolean', default: true, describe: 'reload when the file changes (--no-watch: only on SIGHUP)' })
        .option('grace', { type: 'number', default: 5000, describe: 'ms requests in flight get to finish on exit' })
        .option('workers', { type: 'number', default: 1, describe: 'processes sharing the listeners (one per core: --workers 2)' }) as unknown as Argv<RunArgs>,
    handler: async (a) => {
      const graceMs = checkNumberOption('--grace', a.grace, { min: 0, max: 3_600_000, integer: true, unit: 'milliseconds' });
      const workers = checkNumberOption('--workers', a.workers, { min: 1, max: 64, integer: true, unit: 'processes' });
      const { isProxyWorker, runProxyWorkers } = await import('./proxy-workers.ts');
      if (workers > 1 && !isProxyWorker()) await runProxyWorkers(a.file, { workers, watch: a.watch, graceMs });
      else await runProxyFile(a.file, { watch: a.watch && !isProxyWorker(), graceMs });
    },
  };
  const check: CommandModule<object, CheckArgs> = {
    command: 'check <file>',
    describe: 'Check a proxy configuration file (YAML or JSON) and list its listeners, routes and clusters',
    builder: (b) =>
      b.positional('file', { type: 'string', demandOption: true, describe: 'configuration file (YAML or JSON)' }).option('kind', {
        choices: ['proxy', 'l4', 'any'] as const,
        default: 'proxy' as const,
        describe: 'proxy: http listeners and routes; l4: tcp/udp listeners',
      }) as unknown as Argv<CheckArgs>,
    handler: async (a) => {
      process.stdout.write(`${await checkProxyFile(a.file, a.kind)}\n`);
    },
  };
  return y.command('proxy', 'Reverse proxy and L7 load balancer (check, run)', (b) =>
    b.command(check).command(run).demandCommand(1, 'Name a proxy command: check or run.'),
  );
}
