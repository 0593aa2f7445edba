// `netlab dns serve`: the DNS the dns-resolution lab builds, left running so that `netlab dig` (or
// dig, or anything that can be pointed at a server and port) can ask it. A root on 127.53.0.1, the
// .com TLD on 127.53.0.2, example.com's authoritative server on 127.53.0.3 and netlab's recursive
// resolver on 127.53.0.53, all on one port: 5300 unless -p says otherwise (53 needs root; -p 0 takes
// a free one from the kernel and prints it). `--zone ORIGIN=FILE` serves master files of your own on
// 127.53.0.10. It runs until Ctrl-C, or for --for SECONDS.

import type { Argv, CommandModule } from 'yargs';
import { AuthServer, DnsCache, RecursiveServer, Resolver, SocketTransport, Zone } from '../dns/index.ts';
import { AUTH_ADDRESS, AUTH_NAME, RESOLVER_ADDRESS, ROOT_ADDRESS, ROOT_NAME, SEED, TLD_ADDRESS, TLD_NAME, seedServers } from '../../labs/dns/seed-zones.ts';
import { startHierarchy } from '../../labs/dns/servers.ts';
import { CliError, checkNumberOption, untilStopped } from './io.ts';

/** Where `--zone` files are served. */
export const ZONE_ADDRESS = '127.53.0.10';
export const DEFAULT_DNS_PORT = 5300;

interface Out {
  write(text: string): unknown;
}

export interface DnsServeOptions {
  port: number;
  /** `ORIGIN=FILE` pairs. */
  zones: readonly string[];
}

export interface RunningDns {
  port: number;
  close(): Promise<void>;
}

/** Reads `ORIGIN=FILE` pairs into zones, naming the argument, the file and the line of a mistake. */
export function loadZoneArgs(pairs: readonly string[]): Zone[] {
  return pairs.map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) throw new CliError(`--zone ${pair}: give ORIGIN=FILE, e.g. --zone example.test=example.test.zone`, 1);
    const origin = pair.slice(0, eq).replace(/\.$/, '');
    const file = pair.slice(eq + 1);
    try {
      return Zone.load(origin, file);
    } catch (err) {
      throw new CliError(`--zone ${pair}: ${(err as Error).message}`, 1);
    }
  });
}

function inUse(err: unknown, port: number): CliError | undefined {
  const e = err as NodeJS.ErrnoException & { address?: string };
  if (e.code === 'EADDRINUSE') {
    return new CliError(
      `port ${port} is in use on ${e.address ?? 'a 127.53.0.x address'} (another netlab dns serve?): choose another with -p, or -p 0 for a free one`,
      1,
    );
  }
  if (e.code === 'EACCES') return new CliError(`port ${port} needs root (ports under 1024 are privileged): use -p ${DEFAULT_DNS_PORT}`, 1);
  return undefined;
}

/** Starts the servers; `close()` stops them all. */
export async function startDnsServe(o: DnsServeOptions): Promise<RunningDns> {
  const zones = loadZoneArgs(o.zones);
  const hierarchy = await startHierarchy(seedServers(), 8, o.port).catch((err: unknown) => {
    throw inUse(err, o.port) ?? err;
  });
  const port = hierarchy.port;
  const closers: (() => Promise<void>)[] = [() => hierarchy.close()];
  const closeAll = async (): Promise<void> => {
    for (const c of closers.reverse()) await c();
  };
  try {
    const resolver = new Resolver({
      rootHints: [{ name: ROOT_NAME, address: ROOT_ADDRESS, port }],
      port,
      transport: new SocketTransport({ localAddress: RESOLVER_ADDRESS, timeoutMs: 2000 }),
      cache: new DnsCache(),
    });
    const recursive = new RecursiveServer({ resolver, address: RESOLVER_ADDRESS, port });
    await recursive.start();
    closers.push(() => recursive.close());
    if (zones.length > 0) {
      const own = new AuthServer({ address: ZONE_ADDRESS, port, zones, rotate: false });
      await own.start();
      closers.push(() => own.close());
    }
  } catch (err) {
    await closeAll();
    throw inUse(err, port) ?? err;
  }
  return { port, close: closeAll };
}

/** The table printed at start: who serves what, and commands to try. */
export function serveText(port: number, zones: readonly Zone[]): string {
  const rows: [string, string, string][] = [
    ['root', `${ROOT_ADDRESS}`, `. (${ROOT_NAME}; delegates com.)`],
    ['TLD', `${TLD_ADDRESS}`, `com. (${TLD_NAME}; delegates example.com.)`],
    ['authoritative', `${AUTH_ADDRESS}`, `example.com. (${AUTH_NAME})`],
    ['recursive', `${RESOLVER_ADDRESS}`, 'any name under the root above (RD=1), with a cache'],
    ...zones.map((z): [string, string, string] => ['your zone', ZONE_ADDRESS, `${z.origin}.`]),
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length)) + `:${port}`.length;
  const lines = rows.map(([a, b, c]) => `  ${a.padEnd(w0)}  ${`${b}:${port}`.padEnd(w1)}  ${c}`);
  const p = port === 53 ? '' : ` -p ${port}`;
  return [
    `netlab DNS on 127.53.0.x, port ${port} (UDP and TCP):`,
    ...lines,
    '',
    'Try, in another terminal:',
    `  npx netlab dig ${SEED.name} A @${RESOLVER_ADDRESS}${p}`,
    `  npx netlab dig ${SEED.name} A @${ROOT_ADDRESS}${p} +trace`,
    `  dig @${RESOLVER_ADDRESS}${p} ${SEED.name}`,
    ...zones.map((z) => `  npx netlab dig ${z.origin} SOA @${ZONE_ADDRESS}${p} +norec`),
    '',
    'Ctrl-C stops it.',
    '',
  ].join('\n');
}

interface ServeArgs {
  p: number;
  zone?: string[];
  for?: number;
}

function buildServe(out: Out): CommandModule<object, ServeArgs> {
  return {
    command: 'serve',
    describe: 'Run a root, .com, example.com and a recursive resolver on 127.53.0.x (the dns-resolution lab, left running)',
    builder: (y) =>
      y
        .option('p', { type: 'number', default: DEFAULT_DNS_PORT, describe: 'The port every server listens on (0: a free one)' })
        .option('zone', { type: 'string', array: true, describe: `ORIGIN=FILE: serve a master file of your own on ${ZONE_ADDRESS}` })
        .option('for', { type: 'number', describe: 'Stop after this many seconds (default: run until Ctrl-C)' }),
    handler: async (a) => {
      checkNumberOption('-p', a.p, { min: 0, max: 65535, integer: true });
      if (a.for !== undefined) checkNumberOption('--for', a.for, { min: 0, max: 86_400, unit: 'seconds' });
      const zonePairs = (a.zone ?? []).map(String);
      const running = await startDnsServe({ port: a.p, zones: zonePairs });
      out.write(serveText(running.port, loadZoneArgs(zonePairs)));
      await untilStopped(a.for);
      await running.close();
      out.write('stopped\n');
    },
  };
}

export function registerDns(y: Argv, out: Out = process.stdout): Argv {
  return y.command({
    command: 'dns <command>',
    describe: 'DNS servers on loopback for netlab dig and dig to ask (serve)',
    builder: (yy) => yy.command(buildServe(out)).demandCommand(1, 'name a dns command: serve'),
    handler: () => undefined,
  });
}
