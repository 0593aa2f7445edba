// Reading one craft value: text from the command line (or any JSON value) into what the builder takes,
// refusing a number its field cannot hold ("ipv4 ttl: 256 does not fit the 8-bit field (0 to 255)").

import { CliError } from '../io.ts';
import { ICMP_TYPES, ICMPV6_TYPES, type KeySchema, TCP_OPTION_BITS } from './schema.ts';

/** Decimal, 0x hex, 0o octal or 0b binary, optionally negative; undefined for anything else. */
export function parseInteger(text: string): number | undefined {
  const t = text.trim();
  if (/^-?(0x[0-9a-f]+|0o[0-7]+|0b[01]+)$/i.test(t)) {
    const neg = t.startsWith('-');
    const v = Number(neg ? t.slice(1) : t);
    return neg ? -v : v;
  }
  if (/^-?[0-9]+$/.test(t)) return Number(t);
  return undefined;
}

export function hexBytes(text: string): Uint8Array | undefined {
  const h = text.replace(/[\s:.-]/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(h)) return undefined;
  return Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
}

/** Refuses a number outside 0..2^bits-1 (or not whole), naming the field. */
export function checkFits(where: string, value: number, bits: number, min = 0, max = 2 ** bits - 1): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CliError(`${where}: ${value} does not fit the ${bits}-bit field (${min} to ${max})`, 1);
  }
  return value;
}

/** TCP options in one value: `mss:1460/sack-permitted/ts:100:0/nop/wscale:7` (`/` or `+` between). */
export function tcpOptions(text: string, where: string): unknown[] | undefined {
  const out: unknown[] = [];
  for (const part of text.split(/[/+]/).filter((p) => p !== '')) {
    const [name, ...args] = part.split(':');
    const nums = args.map(parseInteger);
    if (nums.some((n) => n === undefined)) return undefined;
    const lower = name.toLowerCase();
    const canonical = lower === 'ws' ? 'wscale' : lower === 'ts' ? 'timestamp' : lower;
    const bits = TCP_OPTION_BITS[canonical];
    const n = (nums as number[]).map((x) => (bits === undefined ? x : checkFits(`${where} ${canonical}`, x, bits)));
    switch (canonical) {
      case 'eol':
      case 'nop':
        out.push(canonical);
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
        if (n.length !== 1) return undefined;
        out.push({ wscale: n[0] });
        break;
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

/** Reads one value as its key's kind, then checks a number against the field's range. */
export function readValue(key: KeySchema, value: unknown, where: string): unknown {
  const v = readRaw(key, value, where);
  if (key.bits === undefined) return v;
  const fits = (x: number): number => checkFits(where, x, key.bits as number, key.min ?? 0, key.max);
  if (typeof v === 'number') return fits(v);
  if (key.kind === 'triple' && Array.isArray(v)) return v.map((x) => fits(x as number));
  return v;
}

/** TCP options given in JSON ([{"mss": 1460}, "nop", {"sack": [[1, 2]]}]): their numbers must fit too. */
function checkTcpOptionList(list: unknown[], where: string): unknown[] {
  list.forEach((o, i) => {
    if (typeof o !== 'object' || o === null) return;
    for (const [name, value] of Object.entries(o)) {
      const bits = TCP_OPTION_BITS[name];
      if (bits === undefined) continue;
      const nums = (Array.isArray(value) ? value.flat(2) : [value]) as unknown[];
      for (const n of nums) {
        if (typeof n !== 'number') throw new CliError(`${where}[${i}] ${name}: ${JSON.stringify(n)} is not a number`, 1);
        checkFits(`${where}[${i}] ${name}`, n, bits);
      }
    }
  });
  return list;
}

function readRaw(key: KeySchema, value: unknown, where: string): unknown {
  const kind = key.kind;
  const bad = (what: string): never => {
    const shown = JSON.stringify(value) ?? String(value);
    throw new CliError(`${where}: ${shown.length > 80 ? `${shown.slice(0, 60)}...` : shown} is not ${what}`, 1);
  };
  if (typeof value === 'number' && ['int', 'checksum', 'fcs', 'tcpflags', 'arpop', 'icmptype', 'icmpv6type'].includes(kind)) return value;
  if (typeof value === 'boolean' && (kind === 'bool' || kind === 'fcs')) return value;
  if (typeof value !== 'string') {
    if (kind === 'tcpoptions' && Array.isArray(value)) return checkTcpOptionList(value, where);
    if (kind === 'triple' && Array.isArray(value) && value.length === 3 && value.every((x) => typeof x === 'number')) return value;
    if (kind === 'hex' && Array.isArray(value) && value.every((x) => typeof x === 'number')) {
      return Uint8Array.from(value.map((x, i) => checkFits(`${where}[${i}]`, x as number, 8)));
    }
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
      return tcpOptions(text, where) ?? bad('TCP options like mss:1460/sack-permitted/ts:100:0/nop/wscale:7');
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
