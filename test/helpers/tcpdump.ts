// tcpdump in the background for interop tests: started (optionally inside a network namespace), ready
// once it says it is listening, stopped with SIGINT so it writes every packet it has. Immediate mode,
// so packets are not held back in the kernel's capture buffer when it stops.

import { spawn } from 'node:child_process';

export interface RunningTcpdump {
  /** Stops it and waits until the file is complete. */
  stop(): Promise<void>;
}

/** `tcpdump -i IFACE -w FILE FILTER`, in namespace `netns` when given. */
export async function startTcpdump(options: { iface: string; file: string; filter: string; netns?: string }): Promise<RunningTcpdump> {
  const args = ['-i', options.iface, '--immediate-mode', '-U', '-n', '-w', options.file, options.filter];
  const dump =
    options.netns === undefined
      ? spawn('tcpdump', args, { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn('ip', ['netns', 'exec', options.netns, 'tcpdump', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  dump.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => dump.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (err.includes('listening on')) done(undefined);
      else if (dump.exitCode !== null) done(new Error(`tcpdump exited: ${err}`));
    }, 20);
    const timer = setTimeout(() => done(new Error(`tcpdump did not start in 10 s: ${err}`)), 10_000);
    const done = (e: Error | undefined): void => {
      clearInterval(poll);
      clearTimeout(timer);
      if (e === undefined) resolve();
      else {
        dump.kill('SIGKILL');
        reject(e);
      }
    };
  });
  return {
    async stop() {
      dump.kill('SIGINT');
      await exited;
    },
  };
}
