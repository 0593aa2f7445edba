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
// vxlan()); whatever is left unset (lengths, protocol numbers, checksums) is computed.

import { writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import type { Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { parseCapture } from '../capture/read.ts';
import { PcapWriter } from '../capture/pcap-writer.ts';
import { PcapngWriter } from '../capture/pcapng-writer.ts';
import { DissectState } from '../dissect/context.ts';
import { dissect } from '../dissect/dissect.ts';
import { hexLines } from '../dissect/hex-output.ts';
import { summaryLine } from '../dissect/summary.ts';
import { arp, encode, ethernet, icmp, icmpv6, ipv4, ipv6, type LayerSpec, payload, tcp, udp, vlan, vxlan } from '../wire/index.ts';
import { CliError, colorAllowed, Output, printError } from './io.ts';

/** One layer as the user described it: its name and its key=value settings. */
export interface LayerDesc {
  layer: string;
  [key: string]: unknown;
}

/** One packet: its layers (outermost first), and optionally its time and comments. */
export interface PacketDesc {
  layers: LayerDesc[];
  /** Seconds since the epoch (default: the previous packet's time + interval, or now). */
  time?: number;
  comment?: string;
}

/** How a key's text value is read. */
type ValueKind = 'int' | 'bool' | 'text' | 'checksum' | 'fcs' | 'tcpflags' | 'tcpoptions' | 'arpop' | 'hex' | 'icmptype' | 'icmpv6type' | 'triple';

interface LayerSchema {
  /** Canonical name (the builder's kind). */
  name: string;
  keys: Readonly<Record<string, ValueKind>>;
  /** Keys that must be given. */
  required: readonly string[];
  build(options: Record<string, unknown>): LayerSpec;
}

// The builders' option types are checked by the builders themselves at run time (they throw a
// RangeError naming the problem); the schema only turns text into the right JavaScript type.
type AnyOptions = Record<string, unknown>;
const call = <T>(f: (o: T) => LayerSpec) => (o: AnyOptions): LayerSpec => f(o as T);

const SCHEMAS: readonly LayerSchema[] = [
  {
    name: 'ethernet',
    keys: { src: 'text', dst: 'text', type: 'int', fcs: 'fcs', pad: 'bool' },
    required: ['src', 'dst'],
    build: call(ethernet),
  },
  { name: 'vlan', keys: { id: 'int', pcp: 'int', dei: 'bool', tpid: 'int', type: 'int' }, required: ['id'], build: call(vlan) },
  {
    name: 'arp',
    keys: { op: 'arpop', senderMac: 'text', senderIp: 'text', targetMac: 'text', targetIp: 'text', hwType: 'int', protoType: 'int', hwSize: 'int', protoSize: 'int' },
    required: ['senderMac', 'senderIp'],
    build: call(arp),
  },
  {
    name: 'ipv4',
    keys: {
      src: 'text', dst: 'text', ttl: 'int', id: 'int', dscp: 'int', ecn: 'int', flags: 'int', df: 'bool', mf: 'bool', reserved: 'bool',
      fragmentOffset: 'int', protocol: 'int', totalLength: 'int', ihl: 'int', checksum: 'checksum', options: 'hex', version: 'int',
    },
    required: ['src', 'dst'],
    build: call(ipv4),
  },
  {
    name: 'ipv6',
    keys: { src: 'text', dst: 'text', hopLimit: 'int', trafficClass: 'int', dscp: 'int', ecn: 'int', flowLabel: 'int', nextHeader: 'int', payloadLength: 'int', version: 'int' },
    required: ['src', 'dst'],
    build: call(ipv6),
  },
  {
    name: 'icmp',
    keys: {
      type: 'icmptype', code: 'int', checksum: 'int', id: 'int', seq: 'int', gateway: 'text', pointer: 'int', mtu: 'int', length: 'int', rest: 'int',
      timestamps: 'triple', addressMask: 'text',
    },
    required: ['type'],
    build: call(icmp),
  },
  {
    name: 'icmpv6',
    keys: {
      type: 'icmpv6type', code: 'int', checksum: 'int', id: 'int', seq: 'int', mtu: 'int', pointer: 'int', word: 'int', target: 'text',
      router: 'bool', solicited: 'bool', override: 'bool', curHopLimit: 'int', raFlags: 'int', routerLifetime: 'int', reachableTime: 'int',
      retransTimer: 'int',
    },
    required: ['type'],
    build: call(icmpv6),
  },
  {
    name: 'tcp',
    keys: {
      sport: 'int', dport: 'int', seq: 'int', ack: 'int', flags: 'tcpflags', window: 'int', options: 'tcpoptions', checksum: 'int', dataOffset: 'int',
      urgentPointer: 'int',
    },
    required: ['sport', 'dport'],
    build: call(tcp),
  },
  { name: 'udp', keys: { sport: 'int', dport: 'int', length: 'int', checksum: 'int' }, required: ['sport', 'dport'], build: call(udp) },
  { name: 'vxlan', keys: { vni: 'int', flags: 'int', groupPolicy: 'int' }, required: ['vni'], build: call(vxlan) },
];

/** Names a user may call a layer by. */
const LAYER_ALIASES: Readonly<Record<string, string>> = {
  eth: 'ethernet',
  ethernet: 'ethernet',
  ether: 'ethernet',
  vlan: 'vlan',
  dot1q: 'vlan',
  arp: 'arp',
  ip: 'ipv4',
  ipv4: 'ipv4',
  ipv6: 'ipv6',
  icmp: 'icmp',
  icmpv6: 'icmpv6',
  tcp: 'tcp',
  udp: 'udp',
  vxlan: 'vxlan',
  payload: 'payload',
  data: 'payload',
};

const ICMP_TYPES: Readonly<Record<string, number>> = {
  'echo-reply': 0, unreachable: 3, 'destination-unreachable': 3, 'source-quench': 4, redirect: 5, 'echo-request': 8, echo: 8,
  'router-advertisement': 9, 'router-solicitation': 10, 'time-exceeded': 11, 'parameter-problem': 12, 'timestamp-request': 13,
  'timestamp-reply': 14, 'address-mask-request': 17, 'address-mask-reply': 18,
};

const ICMPV6_TYPES: Readonly<Record<string, number>> = {
  unreachable: 1, 'destination-unreachable': 1, 'packet-too-big': 2, 'time-exceeded': 3, 'parameter-problem': 4, 'echo-request': 128, echo: 128,
  'echo-reply': 129, 'router-solicitation': 133, rs: 133, 'router-advertisement': 134, ra: 134, 'neighbor-solicitation': 135, ns: 135,
  'neighbor-advertisement': 136, na: 136, redirect: 137,
};

function schemaOf(layer: string, where: string): LayerSchema | 'payload' {
  const canonical = LAYER_ALIASES[layer.toLowerCase()];
  if (canonical === undefined) {
    throw new CliError(`${where}: unknown layer "${layer}" (known: ${Object.keys(LAYER_ALIASES).join(', ')})`, 1);
  }
  if (canonical === 'payload') return 'payload';
  return SCHEMAS.find((s) => s.name === canonical) as LayerSchema;
}

function parseInteger(text: string): number | undefined {
  const t = text.trim();
  if (/^-?(0x[0-9a-f]+|0o[0-7]+|0b[01]+)$/i.test(t)) {
    const neg = t.startsWith('-');
    const v = Number(neg ? t.slice(1) : t);
    return neg ? -v : v;
  }
  if (/^-?[0-9]+$/.test(t)) return Number(t);
  return undefined;
}

function hexBytes(text: string): Uint8Array | undefined {
  const h = text.replace(/[\s:.-]/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(h)) return undefined;
  return Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
}

/** TCP options in one value: `mss:1460/sack-permitted/ts:100:0/nop/wscale:7` (`/` or `+` between). */
function tcpOptions(text: string): unknown[] | undefined {
  const out: unknown[] = [];
  for (const part of text.split(/[/+]/).filter((p) => p !== '')) {
    const [name, ...args] = part.split(':');
    const nums = args.map(parseInteger);
    if (nums.some((n) => n === undefined)) return undefined;
    const n = nums as number[];
    switch (name.toLowerCase()) {
      case 'eol':
      case 'nop':
        out.push(name.toLowerCase());
        break;
      case 'sack-permitted':
      case 'sack_perm':
      case 'sackok':
        out.push('sack-permitted');
        break;
      case 'mss':
        if (n.length !== 1) return undefined;
        out.push({ mss: n[0] });
        break;
      case 'wscale':
      case 'ws':
        if (n.length !== 1) return undefined;
        out.push({ wscale: n[0] });
        break;
      case 'ts':
      case 'timestamp':
        if (n.length !== 2) return undefined;
        out.push({ timestamp: [n[0], n[1]] });
        break;
      case 'sack': {
        if (n.length === 0 || n.length % 2 !== 0) return undefined;
        const blocks: [number, number][] = [];
        for (let i = 0; i < n.length; i += 2) blocks.push([n[i], n[i + 1]]);
        out.push({ sack: blocks });
        break;
      }
      default:
        return undefined;
    }
  }
  return out;
}

/** Reads one value (text from the command line, or any JSON value) as its key's kind. */
function readValue(kind: ValueKind, value: unknown, where: string): unknown {
  const bad = (what: string): never => {
    throw new CliError(`${where}: ${JSON.stringify(value)} is not ${what}`, 1);
  };
  if (typeof value === 'number' && ['int', 'checksum', 'fcs', 'tcpflags', 'arpop', 'icmptype', 'icmpv6type'].includes(kind)) return value;
  if (typeof value === 'boolean' && (kind === 'bool' || kind === 'fcs')) return value;
  if (typeof value !== 'string') {
    if (kind === 'tcpoptions' && Array.isArray(value)) return value;
    if (kind === 'triple' && Array.isArray(value) && value.length === 3 && value.every((x) => typeof x === 'number')) return value;
    if (kind === 'hex' && Array.isArray(value) && value.every((x) => typeof x === 'number')) return Uint8Array.from(value as number[]);
    return bad(`a valid ${kind} value`);
  }
  const text = value;
  switch (kind) {
    case 'int':
      return parseInteger(text) ?? bad('a number (decimal, 0x hex, 0o octal or 0b binary)');
    case 'bool':
      if (/^(1|true|yes|on)$/i.test(text)) return true;
      if (/^(0|false|no|off)$/i.test(text)) return false;
      return bad('a boolean (true/false, 1/0)');
    case 'checksum':
      return text === 'recompute' ? text : (parseInteger(text) ?? bad('a number or "recompute"'));
    case 'fcs':
      if (/^(true|yes|on|)$/i.test(text)) return true;
      if (/^(false|no|off)$/i.test(text)) return false;
      return parseInteger(text) ?? bad('true, false or a CRC value');
    case 'tcpflags':
      return parseInteger(text) ?? text;
    case 'tcpoptions':
      return tcpOptions(text) ?? bad('TCP options like mss:1460/sack-permitted/ts:100:0/nop/wscale:7');
    case 'arpop':
      return text === 'request' || text === 'reply' ? text : (parseInteger(text) ?? bad('request, reply or an opcode number'));
    case 'icmptype':
      return ICMP_TYPES[text.toLowerCase()] ?? parseInteger(text) ?? bad(`an ICMP type (a number or ${Object.keys(ICMP_TYPES).join(', ')})`);
    case 'icmpv6type':
      return ICMPV6_TYPES[text.toLowerCase()] ?? parseInteger(text) ?? bad(`an ICMPv6 type (a number or ${Object.keys(ICMPV6_TYPES).join(', ')})`);
    case 'hex':
      return hexBytes(text) ?? bad('hex bytes (e.g. 01:01:00:00)');
    case 'triple': {
      const parts = text.split(/[/+:]/).map(parseInteger);
      return parts.length === 3 && parts.every((p) => p !== undefined) ? parts : bad('three numbers like 1/2/3');
    }
    case 'text':
      return text;
  }
}

/** Builds one layer from its description; errors name the layer and the key. */
export function buildLayer(desc: LayerDesc, where: string): LayerSpec {
  const schema = schemaOf(desc.layer, where);
  if (schema === 'payload') {
    const keys = Object.keys(desc).filter((k) => k !== 'layer');
    const unknown = keys.filter((k) => k !== 'data' && k !== 'hex');
    if (unknown.length > 0) throw new CliError(`${where}: unknown key "${unknown[0]}" for layer payload (known: data, hex)`, 1);
    if (typeof desc.hex === 'string') {
      const b = hexBytes(desc.hex);
      if (b === undefined) throw new CliError(`${where}: ${JSON.stringify(desc.hex)} is not hex bytes`, 1);
      return payload(b);
    }
    if (desc.data === undefined) return payload(new Uint8Array(0));
    return payload(String(desc.data));
  }
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(desc)) {
    if (key === 'layer') continue;
    const kind = schema.keys[key];
    if (kind === undefined) {
      throw new CliError(`${where}: unknown key "${key}" for layer ${schema.name} (known: ${Object.keys(schema.keys).join(', ')})`, 1);
    }
    options[key] = readValue(kind, value, `${where} ${key}`);
  }
  const missing = schema.required.filter((k) => options[k] === undefined);
  if (missing.length > 0) throw new CliError(`${where}: layer ${schema.name} needs ${missing.map((k) => `${k}=...`).join(', ')}`, 1);
  try {
    return schema.build(options);
  } catch (err) {
    throw new CliError(`${where}: ${(err as Error).message}`, 1);
  }
}

/** `k=v,k=v` -> settings. A value may not contain a comma (use --json for anything richer). */
export function parseSettings(text: string, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new CliError(`${where}: "${part}" is not key=value`, 1);
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

const LAYER_FLAGS = new Set(Object.keys(LAYER_ALIASES).filter((k) => k !== 'data' && k !== 'payload'));

/**
 * The layers given on a command line, in their order: `--eth k=v,...`, `--ipv4 ...`, `--payload TEXT`,
 * `--payload-hex HEX`. (Order matters and option parsers lose it, so the raw arguments are read.)
 */
export function layersFromArgs(args: readonly string[]): LayerDesc[] {
  const out: LayerDesc[] = [];
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/i.exec(args[i]);
    if (!m) continue;
    const flag = m[1].toLowerCase();
    const inline = m[2];
    const takeValue = (): string => {
      if (inline !== undefined) return inline;
      const next = args[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) return '';
      i++;
      return next;
    };
    if (flag === 'payload') out.push({ layer: 'payload', data: takeValue() });
    else if (flag === 'payload-hex') out.push({ layer: 'payload', hex: takeValue() });
    else if (LAYER_FLAGS.has(flag)) out.push({ layer: flag, ...parseSettings(takeValue(), `--${flag}`) });
  }
  return out;
}

/** Reads the --json description: an array of packets (each an array of layers, or {layers, time, comment}), or one packet. */
export function packetsFromJson(text: string, file: string): PacketDesc[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file}: not valid JSON (${(err as Error).message})`, 1);
  }
  const isLayer = (x: unknown): x is LayerDesc => typeof x === 'object' && x !== null && !Array.isArray(x) && typeof (x as { layer?: unknown }).layer === 'string';
  const asPacket = (x: unknown, k: number): PacketDesc => {
    if (Array.isArray(x) && x.every(isLayer)) return { layers: x };
    if (typeof x === 'object' && x !== null && Array.isArray((x as { layers?: unknown }).layers)) {
      const p = x as { layers: unknown[]; time?: unknown; comment?: unknown };
      if (!p.layers.every(isLayer)) throw new CliError(`${file}: packet ${k + 1}: every layer needs a "layer" name`, 1);
      const out: PacketDesc = { layers: p.layers as LayerDesc[] };
      if (typeof p.time === 'number') out.time = p.time;
      if (typeof p.comment === 'string') out.comment = p.comment;
      return out;
    }
    throw new CliError(`${file}: packet ${k + 1} must be an array of layers like {"layer": "ipv4", "src": "10.0.0.1", ...}`, 1);
  };
  if (Array.isArray(doc) && doc.length > 0 && doc.every(isLayer)) return [{ layers: doc }];
  if (!Array.isArray(doc)) throw new CliError(`${file}: expected an array of packets`, 1);
  return doc.map(asPacket);
}

/** The pcap link type a packet's outermost layer needs. */
function linkTypeOf(layers: readonly LayerSpec[], where: string): number {
  const first = layers[0]?.kind;
  if (first === 'ethernet') return 1;
  if (first === 'ipv4' || first === 'ipv6') return 101;
  throw new CliError(`${where}: a packet must start with an Ethernet or an IP layer (it starts with ${first ?? 'nothing'})`, 1);
}

export interface CraftOptions {
  packets: PacketDesc[];
  /** Output file: .pcapng or .pcap (optionally .gz); none prints the packets instead. */
  write?: string;
  /** Copies of the whole sequence. */
  count?: number;
  /** Add an FCS to every Ethernet frame that does not set fcs itself. */
  fcs?: boolean;
  /** Time of the first packet, seconds since the epoch (default now). */
  time?: number;
  /** Seconds between packets (default 0.001). */
  interval?: number;
  color?: boolean;
}

interface BuiltPacket {
  data: Uint8Array;
  linkType: number;
  fcsLength: number;
  tsSec: number;
  tsNsec: number;
  comment?: string;
}

/** Encodes every packet (all copies) with its time. */
export function buildPackets(o: CraftOptions): BuiltPacket[] {
  if (o.packets.length === 0) throw new CliError('nothing to craft: give layers (--eth ..., --ipv4 ..., --tcp ...) or --json FILE', 1);
  const copies = o.count ?? 1;
  if (!Number.isInteger(copies) || copies < 1) throw new CliError(`--count ${o.count}: give a whole number of copies, 1 or more`, 1);
  const interval = o.interval ?? 0.001;
  let t = o.time ?? Date.now() / 1000;
  const out: BuiltPacket[] = [];
  for (let c = 0; c < copies; c++) {
    o.packets.forEach((p, k) => {
      const where = o.packets.length > 1 ? `packet ${k + 1}` : 'packet';
      const descs = p.layers.map((l) => (o.fcs && schemaOf(l.layer, where) !== 'payload' && LAYER_ALIASES[l.layer.toLowerCase()] === 'ethernet' && l.fcs === undefined ? { ...l, fcs: true } : l));
      const specs = descs.map((l) => buildLayer(l, `${where}, ${l.layer}`));
      let data: Uint8Array;
      try {
        data = encode(specs);
      } catch (err) {
        throw new CliError(`${where}: ${(err as Error).message}`, 1);
      }
      const first = descs[0];
      const hasFcs = first !== undefined && LAYER_ALIASES[first.layer.toLowerCase()] === 'ethernet' && first.fcs !== undefined && first.fcs !== false && first.fcs !== 'false';
      if (p.time !== undefined && c === 0) t = p.time;
      const secs = Math.floor(t);
      const built: BuiltPacket = { data, linkType: linkTypeOf(specs, where), fcsLength: hasFcs ? 4 : 0, tsSec: secs, tsNsec: Math.min(999_999, Math.round((t - secs) * 1e6)) * 1000 };
      if (p.comment !== undefined) built.comment = p.comment;
      out.push(built);
      t += interval;
    });
  }
  return out;
}

/** The capture bytes: pcapng (one interface per link type and FCS length) or pcap (one of each only). */
export function captureBytes(packets: readonly BuiltPacket[], format: 'pcap' | 'pcapng'): Uint8Array {
  const kinds = [...new Set(packets.map((p) => `${p.linkType}/${p.fcsLength}`))];
  if (format === 'pcap') {
    if (kinds.length > 1) throw new CliError('a pcap file has one link type and one FCS setting; these packets mix them: write .pcapng instead', 1);
    const w = new PcapWriter({ linkType: packets[0].linkType, precision: 'usec', ...(packets[0].fcsLength > 0 ? { fcsLength: packets[0].fcsLength } : {}) });
    for (const p of packets) w.write({ tsSec: p.tsSec, tsNsec: p.tsNsec, data: p.data });
    return w.toBytes();
  }
  const w = new PcapngWriter({ application: 'netlab craft' });
  const ids = new Map<string, number>();
  for (const k of kinds) {
    const [linkType, fcsLength] = k.split('/').map(Number);
    ids.set(k, w.addInterface({ linkType, name: 'netlab-craft', ...(fcsLength > 0 ? { fcsLength } : {}) }));
  }
  for (const p of packets) {
    w.write({ tsSec: p.tsSec, tsNsec: p.tsNsec, data: p.data, interfaceId: ids.get(`${p.linkType}/${p.fcsLength}`) ?? 0, ...(p.comment !== undefined ? { comments: [p.comment] } : {}) });
  }
  return w.toBytes();
}

function formatOf(file: string): 'pcap' | 'pcapng' {
  const base = file.toLowerCase().replace(/\.gz$/, '');
  if (base.endsWith('.pcapng') || base.endsWith('.ntar')) return 'pcapng';
  if (base.endsWith('.pcap') || base.endsWith('.cap')) return 'pcap';
  throw new CliError(`-w ${file}: name the file .pcapng or .pcap (optionally .gz) so netlab knows the format`, 1);
}

/** Runs `netlab craft`; returns the exit code. */
export async function runCraft(o: CraftOptions, out: Output = new Output()): Promise<number> {
  try {
    const packets = buildPackets(o);
    const format = o.write === undefined ? 'pcapng' : formatOf(o.write);
    let bytes = captureBytes(packets, format);
    // Read back through netlab's own reader and dissector: what is printed is what was written.
    const parsed = parseCapture(bytes, o.write ?? '<crafted>');
    const state = new DissectState();
    const ds = parsed.packets.map((p) => dissect(p, state));
    if (o.write !== undefined) {
      if (o.write.toLowerCase().endsWith('.gz')) bytes = gzipSync(bytes);
      try {
        await writeFile(o.write, bytes);
      } catch (err) {
        throw new CliError(`-w ${o.write}: ${(err as Error).message}`, 1);
      }
      for (const d of ds) await out.line(summaryLine(d));
      const n = packets.length;
      await out.line(`wrote ${n} packet${n === 1 ? '' : 's'} (${bytes.length} bytes) to ${o.write}`);
      await out.line(`open it: wireshark ${shellQuote(o.write)}   (or: netlab decode -r ${shellQuote(o.write)} -V)`);
    } else {
      for (const d of ds) {
        await out.line(summaryLine(d));
        for (const l of hexLines(d, { color: o.color === true })) await out.line(l);
        await out.line('');
      }
      await out.line('(nothing written: add -w FILE.pcapng to save these packets for Wireshark)');
    }
    await out.flush();
    return 0;
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    await out.flush();
    printError(err.message);
    return err.exitCode;
  }
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/** Adds `craft` to the command line. */
export function registerCraft(y: Argv): Argv {
  return y.command(
    'craft',
    'Build packets from flags or JSON and write a capture Wireshark opens',
    (c) => {
      let b = c
        .option('w', { alias: 'write', type: 'string', describe: 'Output capture: FILE.pcapng or FILE.pcap (optionally .gz)' })
        .option('json', { type: 'string', describe: 'Packets from a JSON file: [[{"layer":"ipv4","src":...}, ...], ...]' })
        .option('count', { type: 'number', describe: 'Copies of the packet (or sequence)' })
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
        let packets: PacketDesc[];
        if (argv.json !== undefined) {
          const { readFile } = await import('node:fs/promises');
          let text: string;
          try {
            text = await readFile(argv.json, 'utf8');
          } catch (err) {
            throw new CliError(`--json ${argv.json}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, 1);
          }
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
