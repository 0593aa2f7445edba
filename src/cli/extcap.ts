// `netlab extcap`: the Wireshark extcap interface. Wireshark and tshark start it to list the segments
// of running netlab topologies as capture interfaces (`--extcap-interfaces`), to ask their link type
// (`--extcap-dlts`), and to capture one of them into a FIFO (`--capture --fifo F --extcap-interface I`),
// which it does by watching the topology's live feed (src/netsim/live-feed.ts) and writing pcap.
// `netlab extcap install` puts the small launcher script where Wireshark looks for extcaps.

import { chmodSync, createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { findInterface, interfaceName, listFeeds } from '../netsim/live-registry.ts';
import { CliError, checkFolderCreatable } from './io.ts';

const LINKTYPE_ETHERNET = 1;
const PCAP_MAGIC_NSEC = 0xa1b23c4d;

interface ExtcapArgs {
  action?: string;
  'extcap-interfaces'?: boolean;
  'extcap-dlts'?: boolean;
  'extcap-config'?: boolean;
  'extcap-interface'?: string;
  'extcap-version'?: string;
  'extcap-capture-filter'?: string;
  capture?: boolean;
  fifo?: string;
  dir?: string;
}

/** The lines of `--extcap-interfaces`: one per segment of every running topology. */
export function interfacesText(): string {
  const lines = ['extcap {version=0.1.0}{display=netlab virtual network}'];
  for (const feed of listFeeds()) {
    for (const s of feed.segments) {
      lines.push(`interface {value=${interfaceName(feed.topology, s.name)}}{display=netlab ${feed.topology}: ${s.description}}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** Where Wireshark looks for personal extcaps: 4.0-4.1 read ~/.config, 4.2 and later ~/.local/lib. */
export function extcapFolders(home = homedir()): string[] {
  return [join(home, '.config', 'wireshark', 'extcap'), join(home, '.local', 'lib', 'wireshark', 'extcap')];
}

/** Writes the launcher into each personal extcap folder; returns the paths written. */
export function installExtcap(home = homedir()): string[] {
  const entry = resolve(import.meta.dirname, '..', '..', 'bin', 'netlab.js');
  const script = `#!/bin/sh\n# netlab's Wireshark extcap: lists running netlab segments as interfaces.\nexec "${process.execPath}" "${entry}" extcap "$@"\n`;
  const written: string[] = [];
  for (const dir of extcapFolders(home)) {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'netlab');
    writeFileSync(path, script);
    chmodSync(path, 0o755);
    written.push(path);
  }
  return written;
}

function pcapHeader(): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(PCAP_MAGIC_NSEC, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(262_144, 16);
  h.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  return h;
}

/** Watches one segment and writes its frames as pcap into the FIFO until stopped. */
async function capture(iface: string, fifo: string): Promise<void> {
  const found = findInterface(iface);
  if (found === undefined) throw new CliError(`no running netlab segment is called ${iface}; netlab extcap --extcap-interfaces lists them`, 1);
  const out = createWriteStream(fifo);
  await new Promise<void>((res, rej) => out.once('open', () => res()).once('error', rej));
  out.write(pcapHeader());
  const sock = connect({ host: found.feed.host, port: found.feed.port });
  sock.setNoDelay(true);
  const stop = (): void => {
    sock.destroy();
    out.end();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  out.on('error', stop); // Wireshark closed the FIFO
  await new Promise<void>((res, rej) => sock.once('connect', () => res()).once('error', rej));
  sock.write(`WATCH ${found.segment}\n`);
  let buf: Buffer = Buffer.alloc(0);
  let greeted = false;
  await new Promise<void>((res, rej) => {
    sock.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      if (!greeted) {
        const nl = buf.indexOf(10);
        if (nl < 0) return;
        const line = buf.subarray(0, nl).toString('latin1');
        if (line !== 'OK') {
          rej(new CliError(`the netlab feed refused: ${line}`, 1));
          return;
        }
        greeted = true;
        buf = buf.subarray(nl + 1);
      }
      while (buf.length >= 12) {
        const len = buf.readUInt32BE(8);
        if (buf.length < 12 + len) break;
        const rec = Buffer.alloc(16);
        rec.writeUInt32LE(buf.readUInt32BE(0), 0);
        rec.writeUInt32LE(buf.readUInt32BE(4), 4);
        rec.writeUInt32LE(len, 8);
        rec.writeUInt32LE(len, 12);
        out.write(rec);
        out.write(buf.subarray(12, 12 + len));
        buf = buf.subarray(12 + len);
      }
    });
    sock.on('close', () => res());
    sock.on('error', () => res());
  });
  out.end();
}

export function buildExtcapCommand(): CommandModule<object, ExtcapArgs> {
  return {
    command: 'extcap [action]',
    describe: 'Wireshark extcap for live netlab segments ("netlab extcap install" sets it up)',
    builder: (y) =>
      y
        .strict(false)
        .positional('action', { type: 'string', describe: "install: put the launcher in Wireshark's personal extcap folders" })
        .option('extcap-interfaces', { type: 'boolean', describe: 'List the segments of running topologies' })
        .option('extcap-dlts', { type: 'boolean', describe: 'Link types of --extcap-interface' })
        .option('extcap-config', { type: 'boolean', describe: 'Options of --extcap-interface (none)' })
        .option('extcap-interface', { type: 'string' })
        .option('extcap-version', { type: 'string' })
        .option('extcap-capture-filter', { type: 'string' })
        .option('capture', { type: 'boolean' })
        .option('fifo', { type: 'string' })
        .option('dir', { type: 'string', describe: 'install: home folder to install under (default: yours)' }),
    handler: async (a) => {
      if (a.action === 'install') {
        const home = a.dir ?? homedir();
        for (const d of extcapFolders(home)) checkFolderCreatable('--dir', d);
        for (const p of installExtcap(home)) process.stdout.write(`installed ${p}\n`);
        process.stdout.write('Start a topology, then: tshark -D (its segments are listed as netlab-...).\n');
        return;
      }
      if (a.action !== undefined) throw new CliError(`unknown extcap action "${a.action}" (only: install)`, 1);
      if (a['extcap-interfaces']) {
        process.stdout.write(interfacesText());
        return;
      }
      if (a['extcap-dlts']) {
        process.stdout.write(`dlt {number=${LINKTYPE_ETHERNET}}{name=EN10MB}{display=Ethernet}\n`);
        return;
      }
      if (a['extcap-config']) return; // no options
      if (a.capture) {
        if (a['extcap-interface'] === undefined || a.fifo === undefined) throw new CliError('--capture needs --extcap-interface NAME and --fifo PATH', 1);
        if (a['extcap-capture-filter']) process.stderr.write('netlab extcap: capture filters are not applied; use a display filter\n');
        await capture(a['extcap-interface'], a.fifo);
        return;
      }
      throw new CliError('netlab extcap is started by Wireshark; to set it up run: netlab extcap install', 1);
    },
  };
}

export function registerExtcap(y: Argv): Argv {
  return y.command(buildExtcapCommand());
}
