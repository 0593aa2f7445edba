// ICMP error messages (RFC 792, RFC 1812 §4.3.2): building time exceeded and destination unreachable
// with the original IP header and the first 8 bytes of its data quoted, the rules for when no error
// may be sent, and reading a received error back into what it is about (the quoted addresses, ports,
// echo identifier), so the node can hand it to the socket, ping or traceroute that caused it.

import { ICMP_TYPE_NUM, IP_PROTOCOL, icmp, isIcmpErrorType, payload, type LayerSpec } from '../wire/index.ts';
import { ipv4FromBytes } from './host-addr.ts';
import { datagramBytes, isMulticastOrBroadcast, isNotUnicastSource, type Datagram } from './host-ipv4.ts';

/** Destination unreachable codes (RFC 792, RFC 1122, RFC 1812). */
export const UNREACH = { NET: 0, HOST: 1, PROTOCOL: 2, PORT: 3, FRAG_NEEDED: 4, ADMIN: 13 } as const;
/** Time exceeded codes. */
export const TIME_EXCEEDED = { TTL: 0, REASSEMBLY: 1 } as const;

/** Bytes of the original datagram quoted after its IP header (RFC 792: 64 bits). */
export const QUOTED_DATA_BYTES = 8;

/**
 * True when an ICMP error about this datagram may be sent (RFC 1812 §4.3.2.7): not about an ICMP error,
 * not about a datagram to a broadcast or multicast address (or one that came as a link-layer broadcast),
 * not about a later fragment, and not to a source that names no single host.
 */
export function mayReportError(d: Datagram, linkBroadcast: boolean, networkBroadcasts: readonly number[] = []): boolean {
  if (linkBroadcast || d.laterFragment) return false;
  if (isMulticastOrBroadcast(d.dst) || networkBroadcasts.includes(d.dst)) return false;
  if (isNotUnicastSource(d.src) || networkBroadcasts.includes(d.src)) return false;
  if (d.protocol === IP_PROTOCOL.ICMP) {
    const at = d.offset + d.headerLength;
    if (at >= d.offset + d.totalLength) return false;
    if (isIcmpErrorType(d.frame[at])) return false;
  }
  return true;
}

/** The part of a datagram an error quotes: the IP header and 8 bytes of data (fewer if shorter). */
export function quoteOf(d: Datagram): Uint8Array {
  const bytes = datagramBytes(d);
  return Uint8Array.from(bytes.subarray(0, Math.min(bytes.length, d.headerLength + QUOTED_DATA_BYTES)));
}

/** The ICMP layers of an error about `d`: `icmp({type, code})` then the quote. */
export function icmpErrorLayers(type: number, code: number, d: Datagram): LayerSpec[] {
  return [icmp({ type, code }), payload(quoteOf(d))];
}

/** What a received ICMP error says about the datagram it quotes. */
export interface IcmpErrorReport {
  type: number;
  code: number;
  /** Who sent the error (the IPv4 source of the ICMP message). */
  from: number;
  /** TTL of the datagram that carried the error, as received. */
  ttl: number;
  quoted: {
    src: number;
    dst: number;
    protocol: number;
    ttl: number;
    /** UDP/TCP ports, when the 8 quoted data bytes hold them. */
    srcPort?: number;
    dstPort?: number;
    /** ICMP echo identifier and sequence number, when the quoted datagram is an echo request. */
    icmpId?: number;
    icmpSeq?: number;
  };
}

/** Names an ICMP error the way ping prints it. */
export function describeIcmpError(type: number, code: number): string {
  if (type === ICMP_TYPE_NUM.TIME_EXCEEDED) return code === 0 ? 'Time to live exceeded' : 'Frag reassembly time exceeded';
  if (type === ICMP_TYPE_NUM.UNREACHABLE) {
    const names: Record<number, string> = {
      0: 'Destination Net Unreachable',
      1: 'Destination Host Unreachable',
      2: 'Destination Protocol Unreachable',
      3: 'Destination Port Unreachable',
      4: 'Frag needed',
      13: 'Packet filtered',
    };
    return names[code] ?? `Destination unreachable, code ${code}`;
  }
  return `ICMP type ${type}, code ${code}`;
}

/**
 * Reads an ICMP error (the ICMP message bytes, `from` its sender) into a report, or undefined when the
 * quote is too short to say which datagram it was about.
 */
export function readIcmpError(msg: Uint8Array, from: number, ttl: number): IcmpErrorReport | undefined {
  if (msg.length < 8 + 20 || !isIcmpErrorType(msg[0])) return undefined;
  const q = 8;
  if (msg[q] >>> 4 !== 4) return undefined;
  const ihl = (msg[q] & 0x0f) * 4;
  if (ihl < 20 || msg.length < q + ihl) return undefined;
  const report: IcmpErrorReport = {
    type: msg[0],
    code: msg[1],
    from,
    ttl,
    quoted: { src: ipv4FromBytes(msg, q + 12), dst: ipv4FromBytes(msg, q + 16), protocol: msg[q + 9], ttl: msg[q + 8] },
  };
  const data = q + ihl;
  const p = report.quoted.protocol;
  if ((p === IP_PROTOCOL.UDP || p === IP_PROTOCOL.TCP) && msg.length >= data + 4) {
    report.quoted.srcPort = (msg[data] << 8) | msg[data + 1];
    report.quoted.dstPort = (msg[data + 2] << 8) | msg[data + 3];
  }
  if (p === IP_PROTOCOL.ICMP && msg.length >= data + 8 && msg[data] === ICMP_TYPE_NUM.ECHO) {
    report.quoted.icmpId = (msg[data + 4] << 8) | msg[data + 5];
    report.quoted.icmpSeq = (msg[data + 6] << 8) | msg[data + 7];
  }
  return report;
}
