// The subcommands of `netlab`: each one's name, its line for `netlab --help`, and a loader, so that
// only the command named on the command line is loaded. To add one, write `src/cli/NAME.ts`
// exporting `registerNAME(y: Argv): Argv` and list it here (test/cli/commands.test.ts holds the line
// equal to the command's own).

import type { Argv } from 'yargs';

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
  {
    name: 'decode',
    describe: 'Decode a capture as tshark does: summary lines, -V tree, -x hex, -T fields|json, -Y filter',
    load: async () => (await import('./decode.ts')).registerDecode,
  },
  {
    name: 'view',
    describe: 'Show a capture in a local web page: packet list, layer tree, hex, display filter',
    load: async () => (await import('./view.ts')).registerView,
  },
  {
    name: 'craft',
    describe: 'Build packets from flags or JSON and write a capture Wireshark opens',
    load: async () => (await import('./craft.ts')).registerCraft,
  },
  {
    name: 'lab',
    describe: 'Guided labs on real sockets, with captures, checkpoints and exercises (list, run, tour)',
    load: async () => (await import('./lab.ts')).registerLab,
  },
  {
    name: 'fixtures',
    describe: 'Regenerate fixtures/ from the labs (fixed clock, fixed seeds: byte-identical everywhere)',
    load: async () => (await import('./fixtures.ts')).registerFixtures,
  },
  {
    name: 'extcap',
    describe: 'Wireshark extcap for live netlab segments ("netlab extcap install" sets it up)',
    load: async () => (await import('./extcap.ts')).registerExtcap,
  },
  {
    name: 'dig',
    describe: 'Query a DNS server and print the answer like dig (+tcp, +norec, +noedns, +trace)',
    load: async () => (await import('./dig.ts')).registerDig,
  },
  {
    name: 'dns',
    describe: 'DNS servers on loopback for netlab dig and dig to ask (serve)',
    load: async () => (await import('./dns.ts')).registerDns,
  },
  {
    name: 'pki',
    describe: 'A small PKI: root and intermediate CAs, server and client certificates (init, issue, show, revoke)',
    load: async () => (await import('./pki.ts')).registerPki,
  },
  { name: 'topo', describe: 'Virtual networks from a topology file (check, run)', load: async () => (await import('./topo.ts')).registerTopo },
  { name: 'proxy', describe: 'Reverse proxy and L7 load balancer (check, run)', load: async () => (await import('./proxy.ts')).registerProxy },
  {
    name: 'l4',
    describe: 'TCP and UDP load balancer: PROXY protocol, TLS passthrough by SNI (run, check)',
    load: async () => (await import('./l4.ts')).registerL4,
  },
];
