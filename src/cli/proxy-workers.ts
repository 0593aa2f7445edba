// `netlab proxy run FILE --workers N`: the proxy on N cores. The primary process forks N workers
// (node:cluster), each running the whole proxy of FILE on the same listening sockets (the primary
// accepts connections and hands them out in turn, cluster's default on Linux). The primary checks the
// file once, passes SIGHUP and file changes on to every worker as a reload, forks a new worker when one
// dies, and on SIGINT/SIGTERM asks every worker to drain and waits for them.
// Each worker keeps its own health checks, outlier state, sticky table and /metrics: with N workers an
// endpoint gets N health checks per interval, and one /metrics scrape shows the worker that took it.

import cluster, { type Worker } from 'node:cluster';
import { CliError } from './io.ts';

export interface WorkersOptions {
  workers: number;
  watch: boolean;
  graceMs: number;
  out?: (line: string) => void;
}

/** True in a process forked by runProxyWorkers. */
export function isProxyWorker(): boolean {
  return cluster.isWorker && process.env.NETLAB_PROXY_WORKER !== undefined;
}

/** The primary: forks, forwards reloads and stops, replaces workers that die. */
export async function runProxyWorkers(file: string, o: WorkersOptions): Promise<void> {
  const { ConfigError, loadConfigFile } = await import('../proxy/config.ts');
  const { watchConfigFile } = await import('../proxy/index.ts');
  const out = o.out ?? ((l: string) => process.stderr.write(`${l}\n`));
  try {
    loadConfigFile(file, 'proxy');
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, 1);
    throw e;
  }
  let stopping = false;
  const live = new Set<Worker>();
  // Workers that listen (and so handle SIGHUP); one still starting reads the new file when it loads it.
  const ready = new Set<Worker>();
  const fork = (index: number): void => {
    // The first worker prints the listeners; the others only their errors and reload lines.
    const w = cluster.fork({ NETLAB_PROXY_WORKER: String(index) });
    live.add(w);
    w.once('listening', () => ready.add(w));
    w.on('exit', (code, signal) => {
      live.delete(w);
      ready.delete(w);
      if (stopping) return;
      out(`worker ${index} (pid ${w.process.pid}) exited (${signal ?? `code ${code}`}); starting another`);
      fork(index);
    });
  };
  for (let i = 1; i <= o.workers; i++) fork(i);
  out(`primary pid ${process.pid}: ${o.workers} workers`);

  const reload = (why: string): void => {
    try {
      loadConfigFile(file, 'proxy');
    } catch (err) {
      out(`reload (${why}) refused, old configuration kept:\n${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    for (const w of ready) w.process.kill('SIGHUP');
  };
  const watcher = o.watch ? watchConfigFile(file, () => reload('file changed')) : undefined;
  const onHup = (): void => reload('SIGHUP');
  process.on('SIGHUP', onHup);
  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      stopping = true;
      out(`${sig}: draining ${live.size} workers (up to ${o.graceMs} ms)`);
      resolve();
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  process.off('SIGHUP', onHup);
  watcher?.close();
  const exits = [...live].map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())));
  for (const w of live) w.process.kill('SIGTERM');
  const hard = setTimeout(() => {
    for (const w of live) w.process.kill('SIGKILL');
  }, o.graceMs + 5000);
  await Promise.all(exits);
  clearTimeout(hard);
  out('closed');
}
