// `netlab l4 run FILE`: starts the L4 balancer from a configuration file (the proxy's file format with
// tcp/udp listeners), prints where each listener is bound, logs one line per connection, and on
// SIGINT/SIGTERM drains (stops accepting, waits up to --drain-ms for open connections) and exits.
// `netlab l4 check FILE` only validates the file. --metrics-port serves the Prometheus text on 127.0.0.1.

import type { Argv, CommandModule } from 'yargs';
import { CliError } from './io.ts';

interface RunArgs {
  file: string;
  'drain-ms': number;
  'metrics-port'?: number;
  quiet: boolean;
}

async function load(file: string) {
  const { ConfigError, loadConfigFile } = await import('../proxy/config.ts');
  try {
    return loadConfigFile(file, 'l4').config;
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, 1);
    throw e;
  }
}

export function registerL4(y: Argv): Argv {
  const run: CommandModule<object, RunArgs> = {
    command: 'run <file>',
    describe: 'Run the TCP/UDP balancer of a configuration file until SIGINT or SIGTERM (then drain)',
    builder: (b) =>
      b
        .positional('file', { type: 'string', demandOption: true, describe: 'configuration file (YAML or JSON) with tcp/udp listeners' })
        .option('drain-ms', { type: 'number', default: 10_000, describe: 'on shutdown, how long open connections may take to finish' })
        .option('metrics-port', { type: 'number', describe: 'serve Prometheus metrics on 127.0.0.1:PORT/metrics (0 picks a port)' })
        .option('quiet', { type: 'boolean', default: false, describe: 'no per-connection log lines' }) as unknown as Argv<RunArgs>,
    handler: async (a) => {
      if (!(Number.isInteger(a['drain-ms']) && a['drain-ms'] >= 0)) throw new CliError(`--drain-ms must be a whole number >= 0, got ${a['drain-ms']}`, 1);
      const config = await load(a.file);
      const { L4Service } = await import('../l4/from-config.ts');
      // The lines of one turn of the event loop go out in one write (a write per line costs a system
      // call per connection).
      let lines: string[] = [];
      const flush = (): void => {
        if (lines.length === 0) return;
        process.stdout.write(lines.join(''));
        lines = [];
      };
      const log = a.quiet
        ? undefined
        : (line: string): void => {
            if (lines.length === 0) setImmediate(flush);
            lines.push(`${new Date().toISOString()} ${line}\n`);
          };
      const service = new L4Service(config, log === undefined ? {} : { log });
      const bound = await service.start();
      for (const b of bound) process.stdout.write(`listening ${b.name}: ${b.mode} ${b.address}:${b.port}\n`);
      let metricsServer: import('node:http').Server | undefined;
      if (a['metrics-port'] !== undefined) {
        const { createServer } = await import('node:http');
        const srv = createServer((req, res) => {
          if (req.url !== '/metrics') {
            res.writeHead(404).end('not found\n');
            return;
          }
          void service.metrics.text().then((t) => res.writeHead(200, { 'content-type': service.metrics.registry.contentType }).end(t));
        });
        metricsServer = srv;
        await new Promise<void>((r) => srv.listen(a['metrics-port'], '127.0.0.1', () => r()));
        const addr = srv.address();
        if (addr !== null && typeof addr !== 'string') process.stdout.write(`metrics: http://127.0.0.1:${addr.port}/metrics\n`);
      }
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      flush();
      process.stdout.write(`draining (up to ${a['drain-ms']} ms)\n`);
      await service.drain(a['drain-ms']);
      flush();
      if (metricsServer !== undefined) await new Promise<void>((r) => metricsServer?.close(() => r()));
      process.stdout.write('stopped\n');
    },
  };
  const check: CommandModule<object, { file: string }> = {
    command: 'check <file>',
    describe: 'Check an L4 configuration file and list its listeners and clusters',
    builder: (b) => b.positional('file', { type: 'string', demandOption: true }) as unknown as Argv<{ file: string }>,
    handler: async (a) => {
      const config = await load(a.file);
      const { describeConfig } = await import('../proxy/config.ts');
      process.stdout.write(`${a.file}: OK\n${describeConfig(config)}\n`);
    },
  };
  return y.command('l4', 'TCP and UDP load balancer: PROXY protocol, TLS passthrough by SNI (run, check)', (b) =>
    b.command(run).command(check).demandCommand(1, 'Name an l4 command: run or check.'),
  );
}
