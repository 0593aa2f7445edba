// `netlab craft`: build a packet (or a short sequence) from flags or JSON and write it to a capture
// that Wireshark opens, every field overridable, a wrong checksum one key away.
//
//   netlab craft --eth src=11:22:33:44:55:66,dst=aa:bb:cc:dd:ee:ff \
//                --ipv4 src=192.168.1.10,dst=142.250.183.110 \
//                --tcp sport=54321,dport=443,flags=S,seq=12345678 -w syn.pcapng
//   netlab craft --ipv4 src=10.0.0.1,dst=10.0.0.2 --udp sport=1,dport=2,checksum=0xdead --payload Hola -w bad.pcap
//   netlab craft --json packets.json -w seq.pcapng
//
// Layers stack in the order given on the command line (outermost first). Keys are the builders'
// option names (src/wire: ethernet(), vlan(), arp(), ipv4(), ipv6(), icmp(), icmpv6(), tcp(), udp(),
// vxlan()); whatever is left unset (lengths, protocol numbers, checksums) is computed. A number its
// field cannot hold is refused (ttl=256), never wrapped; a wrong value that fits (checksum=0xdead) is
// written as given.

import { readFile, stat } from 'node:fs/promises';
import type { Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { CliError, checkNumberOption, colorAllowed, printError } from '../io.ts';
import { layersFromArgs, type PacketDesc, packetsFromJson } from './layers.ts';
import { type CraftOptions, MAX_COPIES, MAX_INTERVAL_SECONDS, MAX_TIME_SECONDS } from './packets.ts';
import { runCraft } from './run.ts';
import { LAYER_ALIASES, type LayerSchema, SCHEMAS } from './schema.ts';

/** Largest --json file read (a description, not a capture). */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

/** Adds `craft` to the command line. */
export function registerCraft(y: Argv): Argv {
  return y.command(
    'craft',
    'Build packets from flags or JSON and write a capture Wireshark opens',
    (c) => {
      let b = c
        .option('w', { alias: 'write', type: 'string', describe: 'Output capture: FILE.pcapng or FILE.pcap (optionally .gz)' })
        .option('json', { type: 'string', describe: 'Packets from a JSON file: [[{"layer":"ipv4","src":...}, ...], ...]' })
        .option('count', { type: 'number', describe: `Copies of the packet (or sequence), 1 to ${MAX_COPIES}, streamed to the file` })
        .option('fcs', { type: 'boolean', describe: 'Append the Ethernet FCS (CRC-32) to every frame' })
        .option('time', { type: 'number', describe: 'Time of the first packet, seconds since the epoch (default: now)' })
        .option('interval', { type: 'number', describe: 'Seconds between packets (default 0.001)' })
        .option('color', { type: 'boolean', describe: 'Colour the layer spans when printing (default: on a terminal)' })
        .option('payload', { type: 'string', describe: 'Payload bytes as text (UTF-8)' })
        .option('payload-hex', { type: 'string', describe: 'Payload bytes in hex' });
      for (const [flag, name] of Object.entries(LAYER_ALIASES)) {
        if (flag === 'payload' || flag === 'data') continue;
        const schema = SCHEMAS.find((s) => s.name === name) as LayerSchema;
        const main = flag === schema.name || (flag === 'eth' && name === 'ethernet');
        b = b.option(flag, {
          type: 'string',
          hidden: !main,
          describe: `${schema.name} layer: key=value,... with keys ${Object.keys(schema.keys).join(', ')}`,
        });
      }
      return b
        .example('$0 craft --eth src=11:22:33:44:55:66,dst=aa:bb:cc:dd:ee:ff --ipv4 src=192.168.1.10,dst=142.250.183.110 --tcp sport=54321,dport=443,flags=S,seq=12345678 -w syn.pcapng', 'a TCP SYN')
        .example('$0 craft --ipv4 src=10.0.0.1,dst=10.0.0.2 --udp sport=1,dport=2,checksum=0xdead --payload Hola -w bad.pcap', 'a UDP datagram with a wrong checksum')
        .example('$0 craft --json packets.json -w seq.pcapng', 'a sequence described in JSON');
    },
    async (argv) => {
      try {
        // Options first: a bad number is refused before any file is read or written.
        if (argv.count !== undefined) checkNumberOption('--count', argv.count, { min: 1, max: MAX_COPIES, integer: true, unit: 'copies' });
        if (argv.time !== undefined) checkNumberOption('--time', argv.time, { min: 0, max: MAX_TIME_SECONDS, unit: 'seconds since 1970' });
        if (argv.interval !== undefined) checkNumberOption('--interval', argv.interval, { min: 0, max: MAX_INTERVAL_SECONDS, unit: 'seconds' });
        let packets: PacketDesc[];
        if (argv.json !== undefined) {
          const text = await readJson(argv.json);
          packets = packetsFromJson(text, argv.json);
          if (layersFromArgs(hideBin(process.argv)).length > 0) throw new CliError('give the layers either as flags or with --json, not both', 1);
        } else {
          packets = [{ layers: layersFromArgs(hideBin(process.argv)) }];
          if (packets[0].layers.length === 0) packets = [];
        }
        const opts: CraftOptions = { packets, color: argv.color ?? colorAllowed() };
        if (argv.w !== undefined) opts.write = argv.w;
        if (argv.count !== undefined) opts.count = argv.count;
        if (argv.fcs !== undefined) opts.fcs = argv.fcs;
        if (argv.time !== undefined) opts.time = argv.time;
        if (argv.interval !== undefined) opts.interval = argv.interval;
        process.exitCode = await runCraft(opts);
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        printError(err.message);
        process.exitCode = err.exitCode;
      }
    },
  );
}

async function readJson(file: string): Promise<string> {
  
  try {
    const st = await stat(file);
    if (st.isDirectory()) throw new CliError(`--json ${file}: is a folder, not a file`, 1);
    if (st.size > MAX_JSON_BYTES) throw new CliError(`--json ${file}: ${st.size} bytes; a description is at most ${MAX_JSON_BYTES} bytes`, 1);
    return await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`--json ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, 1);
  }
}
