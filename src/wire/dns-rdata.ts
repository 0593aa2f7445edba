// RDATA per type (RFC 1035 §3.3-3.4, RFC 3596 AAAA, RFC 2782 SRV, RFC 8659 CAA, RFC 3597 unknown
// types), the EDNS client-subnet option (RFC 7871 §6), and the TXT/address helpers.
// Decoding is strict: the RDATA must be exactly what its type says (a 3-byte A record, a name that
// ends before RDLENGTH, or bytes left over, are errors naming the offset), and never throws.

import { type DnsWriter, isNameError, labelsToName, nameToLabels, readName, type NameError, type DecompressBudget } from './dns-name.ts';
import { DNS_TYPE, DnsEncodeError, dnsTypeName, type DnsRecordData, type EdnsClientSubnet, type EdnsOption } from './dns-types.ts';
import { parseIpv4Address } from './ipv4.ts';
import { parseIpv6Address } from './ipv6.ts';
import { u16, u32 } from './layer.ts';
import { formatIpv4 as ipv4Text, formatIpv6 as ipv6Text } from './address-text.ts';

// ---------------------------------------------------------------------------------------------
// Addresses as text

export { formatIpv4 as ipv4Text, formatIpv6 as ipv6Text } from './address-text.ts';

function addressBytes(text: string, family: 4 | 6): Uint8Array {
  try {
    return family === 4 ? parseIpv4Address(text) : parseIpv6Address(text);
  } catch (err) {
    throw new DnsEncodeError((err as Error).message);
  }
}

// ---------------------------------------------------------------------------------------------
// TXT helpers

/** TXT character-strings as JS strings (UTF-8; invalid sequences become U+FFFD). */
export function txtStrings(data: { strings: readonly Uint8Array[] }): string[] {
  return data.strings.map((s) => Buffer.from(s.buffer, s.byteOffset, s.byteLength).toString('utf8'));
}

/** TXT RDATA from JS strings (each UTF-8 encoded; each must fit in 255 octets). */
export function txtFromStrings(strings: readonly string[]): { type: 'TXT'; strings: Uint8Array[] } {
  return { type: 'TXT', strings: strings.map((s) => new Uint8Array(Buffer.from(s, 'utf8'))) };
}

// ---------------------------------------------------------------------------------------------
// Decoding

function err(offset: number, reason: string): NameError {
  return { offset, reason };
}

/** Reads a name that is part of RDATA ending at `end`; returns the name or an error. */
function rdName(msg: Uint8Array, at: number, end: number, what: string, budget?: DecompressBudget): { name: string; next: number } | NameError {
  const r = readName(msg, at, end, budget);
  if (isNameError(r)) return err(r.offset, `${what}: ${r.reason}`);
  return { name: labelsToName(r.labels), next: r.next };
}

function leftover(type: number, next: number, end: number): NameError | undefined {
  return next === end ? undefined : err(next, `${dnsTypeName(type)} RDATA has ${end - next} byte(s) after its last field`);
}

/**
 * Decodes the RDATA of `type` lying in msg[start, end). Names may point anywhere earlier in `msg`.
 * Types netlab does not model come back raw (RFC 3597). `budget` is the message's pointer budget.
 */
export function decodeRdata(msg: Uint8Array, type: number, start: number, end: number, budget?: DecompressBudget): DnsRecordData | NameError {
  const len = end - start;
  const typeName = dnsTypeName(type);
  const exact = (n: number): NameError | undefined => (len === n ? undefined : err(start, `${typeName} RDATA must be ${n} bytes, RDLENGTH is ${len}`));
  switch (type) {
    case DNS_TYPE.A: {
      const e = exact(4);
      return e ?? { type: 'A', address: ipv4Text(msg, start) };
    }
    case DNS_TYPE.AAAA: {
      const e = exact(16);
      return e ?? { type: 'AAAA', address: ipv6Text(msg, start) };
    }
    case DNS_TYPE.NS:
    case DNS_TYPE.CNAME:
    case DNS_TYPE.PTR: {
      const n = rdName(msg, start, end, typeName, budget);
      if ('reason' in n) return n;
      const e = leftover(type, n.next, end);
      if (e) return e;
      const kind = type === DNS_TYPE.NS ? 'NS' : type === DNS_TYPE.CNAME ? 'CNAME' : 'PTR';
      return { type: kind, name: n.name };
    }
    case DNS_TYPE.MX: {
      if (len < 3) return err(start, `MX RDATA too short (${len} bytes)`);
      const n = rdName(msg, start + 2, end, 'MX exchange', budget);
      if ('reason' in n) return n;
      return leftover(type, n.next, end) ?? { type: 'MX', preference: u16(msg, start), exchange: n.name };
    }
    case DNS_TYPE.SOA: {
      const m = rdName(msg, start, end, 'SOA MNAME', budget);
      if ('reason' in m) return m;
      const r = rdName(msg, m.next, end, 'SOA RNAME', budget);
      if ('reason' in r) return r;
      if (end - r.next < 20) return err(r.next, `SOA RDATA needs 20 bytes of counters after the names, has ${end - r.next}`);
      const o = r.next;
      return (
        leftover(type, o + 20, end) ?? {
          type: 'SOA',
          mname: m.name,
          rname: r.name,
          serial: u32(msg, o),
          refresh: u32(msg, o + 4),
          retry: u32(msg, o + 8),
          expire: u32(msg, o + 12),
          minimum: u32(msg, o + 16),
        }
      );
    }
    case DNS_TYPE.TXT: {
      const strings: Uint8Array[] = [];
      let p = start;
      while (p < end) {
        const n = msg[p];
        if (p + 1 + n > end) return err(p, `TXT character-string of ${n} bytes runs past RDLENGTH`);
        strings.push(msg.slice(p + 1, p + 1 + n));
        p += 1 + n;
      }
      return { type: 'TXT', strings };
    }
    case DNS_TYPE.SRV: {
      if (len < 7) return err(start, `SRV RDATA too short (${len} bytes)`);
      const n = rdName(msg, start + 6, end, 'SRV target', budget);
      if ('reason' in n) return n;
      return leftover(type, n.next, end) ?? { type: 'SRV', priority: u16(msg, start), weight: u16(msg, start + 2), port: u16(msg, start + 4), target: n.name };
    }
    case DNS_TYPE.CAA: {
      if (len < 2) return err(start, `CAA RDATA too short (${len} bytes)`);
      const tagLen = msg[start + 1];
      if (tagLen === 0) return err(start + 1, 'CAA tag length is 0');
      if (start + 2 + tagLen > end) return err(start + 1, `CAA tag of ${tagLen} bytes runs past RDLENGTH`);
      const tag = String.fromCharCode(...msg.subarray(start + 2, start + 2 + tagLen));
      return { type: 'CAA', flags: msg[start], tag, value: msg.slice(start + 2 + tagLen, end) };
    }
    default:
      return { type, raw: msg.slice(start, end) };
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** The type number a typed RDATA shape belongs to (raw data: its own number). */
export function rdataTypeNumber(data: DnsRecordData): number {
  return typeof data.type === 'number' ? data.type : DNS_TYPE[data.type];
}

function u16Checked(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new DnsEncodeError(`${what} ${v} is not a 16-bit unsigned integer`);
  return v;
}
function u32Checked(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new DnsEncodeError(`${what} ${v} is not a 32-bit unsigned integer`);
  return v;
}

/**
 * Writes RDLENGTH and RDATA. Names in NS, CNAME, PTR, MX and SOA are compressed (RFC 1035 types);
 * SRV's target is not (RFC 2782), nor anything in raw RDATA.
 */
export function writeRdata(w: DnsWriter, data: DnsRecordData, compress: boolean): void {
  const lenAt = w.length;
  w.u16(0);
  const start = w.length;
  if (typeof data.type === 'number') {
    const raw = (data as { raw: Uint8Array }).raw;
    w.bytes(raw);
  } else {
    switch (data.type) {
      case 'A':
        w.bytes(addressBytes(data.address, 4));
        break;
      case 'AAAA':
        w.bytes(addressBytes(data.address, 6));
        break;
      case 'NS':
      case 'CNAME':
      case 'PTR':
        w.name(nameToLabels(data.name), compress);
        break;
      case 'MX':
        w.u16(u16Checked(data.preference, 'MX preference'));
        w.name(nameToLabels(data.exchange), compress);
        break;
      case 'SOA':
        w.name(nameToLabels(data.mname), compress);
        w.name(nameToLabels(data.rname), compress);
        w.u32(u32Checked(data.serial, 'SOA serial'));
        w.u32(u32Checked(data.refresh, 'SOA refresh'));
        w.u32(u32Checked(data.retry, 'SOA retry'));
        w.u32(u32Checked(data.expire, 'SOA expire'));
        w.u32(u32Checked(data.minimum, 'SOA minimum'));
        break;
      case 'TXT':
        for (const s of data.strings) {
          if (s.length > 255) throw new DnsEncodeError(`TXT character-string of ${s.length} bytes (at most 255)`);
          w.u8(s.length);
          w.bytes(s);
        }
        break;
      case 'SRV':
        w.u16(u16Checked(data.priority, 'SRV priority'));
        w.u16(u16Checked(data.weight, 'SRV weight'));
        w.u16(u16Checked(data.port, 'SRV port'));
        w.name(nameToLabels(data.target), false, false);
        break;
      case 'CAA': {
        const tag = Buffer.from(data.tag, 'latin1');
        if (tag.length < 1 || tag.length > 255) throw new DnsEncodeError(`CAA tag '${data.tag}' must be 1..255 bytes`);
        w.u8(data.flags & 0xff);
        w.u8(tag.length);
        w.bytes(tag);
        w.bytes(data.value);
        break;
      }
    }
  }
  const len = w.length - start;
  if (len > 0xffff) throw new DnsEncodeError(`RDATA of ${len} bytes (at most 65535)`);
  w.patch16(lenAt, len);
}

// ---------------------------------------------------------------------------------------------
// EDNS options

/** Decodes one EDNS option's data (client subnet typed, anything else raw). Never throws. */
export function decodeEdnsOption(code: number, b: Uint8Array, start: number, end: number): EdnsOption | NameError {
  if (code !== 8) return { type: 'raw', code, data: b.slice(start, end) };
  const len = end - start;
  if (len < 4) return err(start, `client-subnet option too short (${len} bytes, at least 4)`);
  const family = u16(b, start);
  const source = b[start + 2];
  const scope = b[start + 3];
  const addrLen = len - 4;
  if (addrLen !== Math.ceil(source / 8))
    return err(start + 4, `client-subnet address has ${addrLen} bytes, source prefix /${source} needs ${Math.ceil(source / 8)}`);
  const size = family === 1 ? 4 : family === 2 ? 16 : 0;
  if (size > 0 && addrLen > size) return err(start + 4, `client-subnet address of ${addrLen} bytes for family ${family}`);
  let address: string;
  if (size === 0) {
    address = Buffer.from(b.subarray(start + 4, end)).toString('hex');
  } else {
    const full = new Uint8Array(size);
    full.set(b.subarray(start + 4, end));
    address = size === 4 ? ipv4Text(full) : ipv6Text(full);
  }
  const ecs: EdnsClientSubnet = { type: 'client-subnet', family, sourcePrefixLength: source, scopePrefixLength: scope, address };
  return ecs;
}

/** Writes one EDNS option (code, length, data). */
export function writeEdnsOption(w: DnsWriter, opt: EdnsOption): void {
  if (opt.type === 'raw') {
    w.u16(u16Checked(opt.code, 'EDNS option code'));
    w.u16(u16Checked(opt.data.length, 'EDNS option length'));
    w.bytes(opt.data);
    return;
  }
  const { family, sourcePrefixLength: source, scopePrefixLength: scope } = opt;
  let addr: Uint8Array;
  if (family === 1) addr = addressBytes(opt.address, 4);
  else if (family === 2) addr = addressBytes(opt.address, 6);
  else addr = new Uint8Array(Buffer.from(opt.address, 'hex'));
  const n = Math.ceil(source / 8);
  if (!Number.isInteger(source) || source < 0 || n > addr.length)
    throw new DnsEncodeError(`client-subnet source prefix /${source} does not fit a family ${family} address`);
  const bytes = addr.slice(0, n);
  // RFC 7871 §6: bits past the source prefix must be zero.
  if (source % 8 !== 0 && n > 0) bytes[n - 1] &= (0xff << (8 - (source % 8))) & 0xff;
  w.u16(8);
  w.u16(4 + n);
  w.u16(family);
  w.u8(source);
  w.u8(scope);
  w.bytes(bytes);
}
