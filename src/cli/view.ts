// `netlab view FILE`: the capture in a local web page (packet list, layer tree, hex, display filter),
// served on 127.0.0.1 by netlab itself, so it works with no internet.
//
//   netlab view capture.pcapng [--no-open] [--port N] [--for SECONDS]

import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Argv } from 'yargs';
import { CaptureModel, startViewServer } from '../view/index.ts';
import { captureError } from './decode.ts';
import { CliError, checkNumberOption, printError, untilStopped } from './io.ts';

export const VIEW_DESCRIBE = 'Show a capture in a local web page: packet list, layer tree, hex, display filter';

export interface ViewOptions {
  file: string;
  /** Open the page in the browser (xdg-open) when a desktop is there. */
  open: boolean;
  port: number;
  /** Stop after this many seconds (default: on Ctrl-C). */
  for?: number;
  /** A TLS key log file (NSS format) to decrypt TLS with, beside the capture's own secrets. */
  keylog?: string;
}

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Opens the page with xdg-open when there is a display to open it on; says why not otherwise. */
export function openBrowser(url: string, write: (s: string) => void): void {
  if (process.env.DISPLAY === undefined && process.env.WAYLAND_DISPLAY === undefined) {
    write('No desktop display found: open the address above in a browser.\n');
    return;
  }
  if (!onPath('xdg-open')) {
    write('xdg-open not found: open the address above in a browser.\n');
    return;
  }
  const child = spawn('xdg-open', [url], { detached: true, stdio: 'ignore' });
  child.on('error', (err) => write(`xdg-open failed (${err.message}): open the address above in a browser.\n`));
  child.unref();
}

/** Runs the view until Ctrl-C (or --for seconds). */
export async function runView(o: ViewOptions, write: (s: string) => void = (s) => process.stdout.write(s)): Promise<void> {
  const t0 = performance.now();
  let model: CaptureModel;
  try {
    model = await CaptureModel.open(o.file);
  } catch (err) {
    throw captureError(o.file, err);
  }
  let keyLog: string | undefined;
  if (o.keylog !== undefined) {
    try {
      keyLog = readFileSync(o.keylog, 'latin1');
    } catch (err) {
      await model.stop();
      throw new CliError(`--keylog ${o.keylog}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
  }
  const server = await startViewServer(model, { port: o.port, keyLog });
  write(`Serving ${o.file} on ${server.url} (Ctrl-C stops)\n`);
  if (o.open) openBrowser(server.url, write);
  void model.loaded.then(() => {
    write(`netlab view: ${o.file}: ${model.frames} frames read in ${Math.round(performance.now() - t0)} ms\n`);
    if (model.error !== undefined) write(`netlab view: reading stopped early: ${model.error}; the frames before it are shown\n`);
  });
  await untilStopped(o.for);
  await server.close();
  await model.stop();
  write('stopped\n');
}

/** Adds `view` to the command line. */
export function registerView(y: Argv): Argv {
  return y.command(
    'view <file>',
    VIEW_DESCRIBE,
    (b) =>
      b
        .positional('file', { type: 'string', demandOption: true, describe: 'Capture file (pcap, pcapng, optionally gzipped)' })
        .option('open', { type: 'boolean', default: true, describe: 'Open the page in the browser (--no-open: only print its address)' })
        .option('port', { type: 'number', default: 0, describe: 'Port on 127.0.0.1 (0: a free one)' })
        .option('for', { type: 'number', describe: 'Stop after this many seconds (default: run until Ctrl-C)' })
        .option('keylog', { type: 'string', describe: 'TLS key log file (SSLKEYLOGFILE format) to decrypt TLS in Follow stream' })
        .example('$0 view capture.pcapng', 'the capture in the browser, Wireshark-style')
        .example('$0 view capture.pcapng --no-open', 'print the address only'),
    async (argv) => {
      try {
        checkNumberOption('--port', argv.port, { min: 0, max: 65535, integer: true });
        if (argv.for !== undefined) checkNumberOption('--for', argv.for, { min: 0, max: 86_400, unit: 'seconds' });
        await runView({ file: String(argv.file), open: argv.open, port: argv.port, for: argv.for, keylog: argv.keylog });
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        printError(err.message);
        process.exitCode = err.exitCode;
      }
    },
  );
}
