// The `udp` protocol as Wireshark 4.0 shows it: ports, length, checksum (with the zero-checksum
// cases: "not present" over IPv4, "illegal" over IPv6), stream index, per-stream timestamps and the
// payload. Also the helpers the transport mappers share: the enclosing IP layer, conversation
// tables keyed by address/port pairs, and checksum texts.

import type { DecodedLayer } from '../../wire/layer.ts';
import type { Udp } from '../../wire/udp.ts';
import type { DissectContext } from '../context.ts';
import { expertField } from '../expert.ts';
import { type Field, type FieldOpts, hex, type ProtoNode, rawField, uintDec, uintHex, formatBytesHex } from '../field.ts';
import { formatRelTime, type NsTime, nsDelta } from '../frame-fields.ts';
import { textItem } from './link-fields.ts';

// ---------------------------------------------------------------------------------------------
// Shared by the transport mappers.

/** The IP layer that carries a transport layer, as the mappers need it. */
export interface EnclosingIp {
  version: 4 | 6;
  src: Uint8Array;
  dst: Uint8Array;
  /** IPv4 TTL or IPv6 hop limit, when the layer has one. */
  ttl: number | undefined;
  layer: DecodedLayer;
}

/** The nearest IPv4/IPv6 layer before the one being mapped. */
export function enclosingIpOf(ctx: DissectContext): EnclosingIp | undefined {
  for (let i = ctx.index - 1; i >= 0; i--) {
    const l = ctx.layers[i];
    if (l.kind !== 'ipv4' && l.kind !== 'ipv6') continue;
    const v = l.value as { version?: unknown; src?: unknown; dst?: unknown; ttl?: unknown; hopLimit?: unknown };
    if (!(v.src instanceof Uint8Array) || !(v.dst instanceof Uint8Array)) return undefined;
    const version = l.kind === 'ipv4' ? 4 : 6;
    const ttl = typeof v.ttl === 'number' ? v.ttl : typeof v.hopLimit === 'number' ? v.hopLimit : undefined;
    return { version, src: v.src, dst: v.dst, ttl, layer: l };
  }
  return undefined;
}

/** The packet's timestamp. */
export function packetTime(ctx: DissectContext): NsTime {
  return { secs: ctx.packet.tsSec, nsecs: ctx.packet.tsNsec };
}

/** An endpoint's key: address bytes and port. */
export function endpointKey(addr: Uint8Array | undefined, port: number): string {
  // A key, never shown: one character per address byte (the length tells IPv4 from IPv6), then the port.
  if (addr === undefined) return `-/${port}`;
  let k = '';
  for (let i = 0; i < addr.length; i++) k += String.fromCharCode(addr[i]);
  return `${k}/${port}`;
}

/**
 * Conversations between two endpoints, in either direction, numbered in order of first sight (the
 * stream index). `forward` is true when the packet goes the way the conversation's first one went.
 */
export class ConversationTable<T> {
  private readonly map = new Map<string, { first: string; data: T }>();
  private count = 0;

  /** Finds or creates the conversation of a packet from `src` to `dst`. */
  find(src: string, dst: string, create: (index: number) => T): { data: T; forward: boolean; created: boolean } {
    const key = src < dst ? `${src}|${dst}` : `${dst}|${src}`;
    let entry = this.map.get(key);
    let created = false;
    if (entry === undefined) {
      entry = { first: src, data: create(this.count++) };
      this.map.set(key, entry);
      created = true;
    }
    return { data: entry.data, forward: entry.first === src, created };
  }

  /** Starts a new conversation for the pair (a new connection on reused ports). */
  replace(src: string, dst: string, create: (index: number) => T): T {
    const key = src < dst ? `${src}|${dst}` : `${dst}|${src}`;
    const data = create(this.count++);
    this.map.set(key, { first: src, data });
    return data;
  }
}

/** A relative-time field (`tcp.time_relative`, `udp.time_delta`...). */
export function relTimeField(name: string, label: string, t: NsTime, offset: number): Field {
  const s = formatRelTime(t);
  return rawField(name, label, 'reltime', t.secs + t.nsecs / 1e9, s, offset, 0, { generated: true, text: `[${label}: ${s} seconds]` });
}

/** Wireshark's "[Checksum Status: ...]" (0 bad, 1 good, 2 unverified, 3 not present, 4 illegal). */
export const CHECKSUM_STATUS_TEXT: Readonly<Record<number, string>> = { 0: 'Bad', 1: 'Good', 2: 'Unverified', 3: 'Not present', 4: 'Illegal' };

export function checksumStatusField(name: string, code: number, offset: number, o: FieldOpts = {}): Field {
  return rawField(name, 'Checksum Status', 'uint', code, String(code), offset, 0, {
    generated: true,
    text: `[Checksum Status: ${CHECKSUM_STATUS_TEXT[code] ?? 'Unknown'}]`,
    ...o,
  });
}

/**
 * What Wireshark shows as the checksum a field should hold: the field plus the checksum computed over
 * the data with the field in it, folded (in_cksum_shouldbe).
 */
export function checksumShouldBe(field: number, computedWithField: number): number {
  let s = field + computedWithField;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** The checksum the field should hold from the decoder's verdict: ~sum(rest) as Wireshark prints it. */
export function expectedChecksum(field: number, computed: number): number {
  // computed = ~sum(rest); the sum over everything with the field is sum(rest) + field.
  const restSum = ~computed & 0xffff;
  let all = restSum + field;
  all = (all & 0xffff) + (all >>> 16);
  const withField = ~all & 0xffff;
  return checksumShouldBe(field, withField);
}

// ---------------------------------------------------------------------------------------------
// UDP

interface UdpConv {
  index: number;
  first: NsTime;
  prev: NsTime;
}

interface UdpState {
  convs: ConversationTable<UdpConv>;
}

const UDP_STATUS: Readonly<Record<Udp['checksumStatus'], number>> = { bad: 0, good: 1, unverified: 2, 'not-present': 3, illegal: 4 };

/** The udp mapper. */
export function mapUdp(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const u = layer.value as Udp;
  const off = layer.offset;
  const avail = Math.max(ctx.frame.length - off, 0);
  const fields: Field[] = [];
  const info: string[] = [`${u.srcPort} \u2192 ${u.dstPort}`];
  const node: ProtoNode = {
    proto: 'udp',
    label: `User Datagram Protocol, Src Port: ${u.srcPort}, Dst Port: ${u.dstPort}`,
    offset: off,
    length: Math.min(8, avail),
    fields,
    malformed: layer.malformed,
    columns: { protocol: 'UDP' },
  };
  const done = (): ProtoNode[] => {
    node.columns = { protocol: 'UDP', info: info.join('') };
    return [node];
  };
  if (avail >= 2) fields.push(uintDec('udp.srcport', 'Source Port', u.srcPort, off, 2, { children: tracerouteExpert(u.srcPort, off) }));
  if (avail >= 4) {
    fields.push(uintDec('udp.dstport', 'Destination Port', u.dstPort, off + 2, 2, { children: tracerouteExpert(u.dstPort, off + 2) }));
    fields.push(uintDec('udp.port', 'Source or Destination Port', u.srcPort, off, 2, { hidden: true }));
    fields.push(uintDec('udp.port', 'Source or Destination Port', u.dstPort, off + 2, 2, { hidden: true }));
  }
  if (avail < 8) return done();
  const ip = enclosingIpOf(ctx);
  const inError = ctx.inIcmpError;
  // Where the IP layer says the datagram ends (the UDP layer's own end as decoded).
  const ipPayloadLen = ipReportedLength(ctx, layer);
  if (u.length < 8) {
    fields.push(
      uintDec('udp.length', 'Length', u.length, off + 4, 2, {
        text: `Length: ${u.length} (bogus, must be >= 8)`,
        children: [expertField('udp.length.bad', `Bad length value ${u.length} < 8`, 'Error', 'Malformed', off + 4, 2)],
      }),
    );
    info.push(` [BAD UDP LENGTH ${u.length} < 8]`);
    return done();
  }
  if (u.length > ipPayloadLen && !inError) {
    fields.push(
      uintDec('udp.length', 'Length', u.length, off + 4, 2, {
        text: `Length: ${u.length} (bogus, payload length ${ipPayloadLen})`,
        children: [expertField('udp.length.bad', `Bad length value ${u.length} > IP payload length`, 'Error', 'Malformed', off + 4, 2)],
      }),
    );
    // Wireshark appends the length warning before "Len=".
    info.push(` [BAD UDP LENGTH ${u.length} > IP PAYLOAD LENGTH]`, ` Len=${u.length - 8}`);
  } else {
    fields.push(uintDec('udp.length', 'Length', u.length, off + 4, 2));
    info.push(` Len=${u.length - 8}`);
  }
  fields.push(...udpChecksumFields(u, off));
  if (u.checksumStatus === 'bad') info.push(' [UDP CHECKSUM INCORRECT]');
  if (u.checksumStatus === 'illegal') info.push(' [ILLEGAL CHECKSUM (0)]');
  // Stream index: one per address/port pair, in order of first sight.
  const state = ctx.state.slot<UdpState>('udp', () => ({ convs: new ConversationTable<UdpConv>() }));
  const now = packetTime(ctx);
  const { data: conv } = state.convs.find(endpointKey(ip?.src, u.srcPort), endpointKey(ip?.dst, u.dstPort), (index) => ({ index, first: now, prev: now }));
  fields.push(uintDec('udp.stream', 'Stream index', conv.index, off + 8, 0, { generated: true, text: `[Stream index: ${conv.index}]` }));
  if (u.length === 8) return done();
  if (!inError) {
    const delta = nsDelta(now, conv.prev);
    conv.prev = now;
    fields.push(
      textItem('[Timestamps]', off, 0, [
        relTimeField('udp.time_relative', 'Time since first frame', nsDelta(now, conv.first), off),
        relTimeField('udp.time_delta', 'Time since previous frame', delta, off),
      ]),
    );
  }
  const payloadLen = Math.max(Math.min(u.length - 8, ctx.frame.length - (off + 8)), 0);
  if (!inError || payloadLen > 0) {
    // Wireshark's udp.payload runs to the end of the IP payload, even when the UDP length says the
    // datagram ends sooner; its label counts what the UDP length says.
    const valueLen = inError ? payloadLen : Math.max(Math.min(ipPayloadLen, ctx.frame.length - off) - 8, payloadLen);
    const v = ctx.frame.slice(off + 8, off + 8 + valueLen);
    fields.push(
      rawField('udp.payload', 'UDP payload', 'bytes', v, formatBytesHex(v), off + 8, valueLen, {
        text: `UDP payload (${payloadLen} byte${payloadLen === 1 ? '' : 's'})`,
      }),
    );
  }
  return done();
}

/** The "Possible traceroute" expert of ports 33435-33464 (LBL traceroute, 3 probes per hop). */
function tracerouteExpert(port: number, offset: number): Field[] | undefined {
  if (port <= 33434 || port > 33464) return undefined;
  const n = port - 33435;
  return [expertField('udp.possible_traceroute', `Possible traceroute: hop #${Math.floor(n / 3) + 1}, attempt #${(n % 3) + 1}`, 'Chat', 'Sequence', offset, 2)];
}

/** Bytes from the UDP header to where the IP layer says its payload ends. */
function ipReportedLength(ctx: DissectContext, layer: DecodedLayer): number {
  if (ctx.reassembled === true) return ctx.frame.length - layer.offset;
  const ip = enclosingIpOf(ctx);
  const v = ip?.layer.value as { totalLength?: unknown; payloadLength?: unknown } | undefined;
  if (ip !== undefined && v !== undefined) {
    if (ip.version === 4 && typeof v.totalLength === 'number' && v.totalLength > 0) return ip.layer.offset + v.totalLength - layer.offset;
    if (ip.version === 6 && typeof v.payloadLength === 'number' && v.payloadLength > 0) return ip.layer.offset + 40 + v.payloadLength - layer.offset;
  }
  return (layer.payloadEnd ?? ctx.frame.length) - layer.offset;
}

function udpChecksumFields(u: Udp, off: number): Field[] {
  const at = off + 6;
  const code = UDP_STATUS[u.checksumStatus];
  const value = hex(u.checksum, 4);
  switch (u.checksumStatus) {
    case 'not-present':
    case 'illegal': {
      const ignored = u.checksumStatus === 'not-present';
      const children: Field[] = [];
      if (!ignored) children.push(expertField('udp.checksum.zero', 'Illegal checksum value (0)', 'Error', 'Checksum', at, 2));
      children.push(checksumStatusField('udp.checksum.status', code, at));
      return [
        uintHex('udp.checksum', 'Checksum', u.checksum, 4, at, 2, { text: `Checksum: ${value} [zero-value ${ignored ? 'ignored' : 'illegal'}]`, children }),
      ];
    }
    case 'good':
      return [
        uintHex('udp.checksum', 'Checksum', u.checksum, 4, at, 2, {
          text: `Checksum: ${value} [correct]`,
          children: [uintHex('udp.checksum_calculated', 'Calculated Checksum', u.checksum, 4, at, 2, { generated: true })],
        }),
        checksumStatusField('udp.checksum.status', code, at),
      ];
    case 'bad': {
      const should = u.checksumComputed ?? 0;
      return [
        uintHex('udp.checksum', 'Checksum', u.checksum, 4, at, 2, {
          text: `Checksum: ${value} incorrect, should be ${hex(should, 4)} (maybe caused by "UDP checksum offload"?)`,
          children: [
            expertField('udp.checksum.bad', `Bad checksum [should be ${hex(should, 4)}]`, 'Error', 'Checksum', at, 2),
            uintHex('udp.checksum_calculated', 'Calculated Checksum', should, 4, at, 2, { generated: true }),
          ],
        }),
        checksumStatusField('udp.checksum.status', code, at),
      ];
    }
    default:
      return [
        uintHex('udp.checksum', 'Checksum', u.checksum, 4, at, 2, { text: `Checksum: ${value} [unverified]` }),
        checksumStatusField('udp.checksum.status', code, at),
      ];
  }
}
