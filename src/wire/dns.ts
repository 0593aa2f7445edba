// DNS (RFC 1035) in the decode loop: the `dns` layer over UDP port 53 and the `dns-tcp` layer over TCP
// port 53, plus the public face of the DNS codec (model, names, RDATA, encode, decode, TCP framing,
// presentation text).
//
// Over TCP each message carries a two-byte length. A segment is decoded per segment: every whole
// message in it becomes one `dns-tcp` layer (several in one segment chain, like gopacket's layers);
// bytes that do not hold a whole message (a message split over segments, or a segment that starts in
// the middle of one) are left as `data`. Reassembling a message split over segments needs stream
// state, which the decode loop does not have: the dissector's TCP stream reassembly does it for
// captures (dissect/protocols/dns-tcp-app.ts), `DnsTcpDeframer` (dns-tcp.ts) for sockets.

import { messageFromParse, parseDns, type DnsParse } from './dns-decode.ts';
import type { DnsMessage } from './dns-types.ts';
import { malformation, u16, type DecodeContext, type DecodeStep, type LayerDecoder, type Malformation } from './layer.ts';

export * from './dns-types.ts';
export * from './dns-name.ts';
export * from './dns-rdata.ts';
export * from './dns-decode.ts';
export * from './dns-encode.ts';
export * from './dns-tcp.ts';
export * from './dns-text.ts';

/** The well-known DNS port. */
export const DNS_PORT = 53;
/**
 * UDP ports whose payload is a DNS message: DNS, multicast DNS (RFC 6762) and LLMNR (RFC 4795) share
 * the wire format (the dissector names them apart, as Wireshark does).
 */
export const UDP_DNS_PORTS: readonly number[] = [DNS_PORT, 5353, 5355];

/** The value of a `dns` / `dns-tcp` layer. Offsets in `parse` are from `messageOffset`. */
export interface DnsLayer {
  transport: 'udp' | 'tcp';
  /** TCP: the two-byte length prefix. */
  tcpLength?: number;
  /** Absolute frame offset of the message's first byte (after the TCP length prefix). */
  messageOffset: number;
  /** Bytes of the message in the frame. */
  messageLength: number;
  parse: DnsParse;
  /** The plain model, when the message decoded without error. */
  message?: DnsMessage;
}

function dnsValue(
  ctx: DecodeContext,
  transport: 'udp' | 'tcp',
  start: number,
  end: number,
  tcpLength?: number,
): { value: DnsLayer; malformed: Malformation[] } {
  // The message's own bytes: offsets inside are from its first byte, as compression pointers count.
  const msg = ctx.frame.subarray(start, end);
  const parse = parseDns(msg);
  const value: DnsLayer = { transport, messageOffset: start, messageLength: end - start, parse };
  if (tcpLength !== undefined) value.tcpLength = tcpLength;
  const malformed: Malformation[] = [];
  if (parse.error) malformed.push(malformation('dns', start + parse.error.offset, parse.error.reason));
  else value.message = messageFromParse(parse);
  return { value, malformed };
}

/** The `dns` layer: one message filling the UDP payload. */
export const decodeDnsUdp: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const { value, malformed } = dnsValue(ctx, 'udp', offset, end);
  return { layer: { kind: 'dns', offset, length: end - offset, value, malformed }, next: null, payloadOffset: end, payloadEnd: end };
};

/**
 * The `dns-tcp` layer: one length-prefixed message at the start of the bytes; the rest, when it holds
 * another whole message, is the next `dns-tcp` layer, else data.
 */
export const decodeDnsTcp: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const len = u16(ctx.frame, offset);
  const stop = offset + 2 + len;
  const { value, malformed } = dnsValue(ctx, 'tcp', offset + 2, stop, len);
  const next = wholeTcpMessageAt(ctx.frame, stop, end) ? 'dns-tcp' : null;
  return { layer: { kind: 'dns-tcp', offset, length: 2 + len, value, malformed }, next, payloadOffset: stop, payloadEnd: end };
};

/** True when [offset, end) starts with a length prefix and the whole message it announces. */
export function wholeTcpMessageAt(frame: Uint8Array, offset: number, end: number): boolean {
  if (end - offset < 2) return false;
  const len = u16(frame, offset);
  return len > 0 && offset + 2 + len <= end;
}

/**
 * Wraps the UDP or TCP decoder so that a payload to or from port 53 goes on as DNS (one line in the
 * decoder registry, so the transport codecs stay free of application ports).
 */
/** The port DNS over TCP is recognised on. */
const TCP_DNS_PORTS: readonly number[] = [DNS_PORT];

export function withDns(transport: LayerDecoder, kind: 'udp' | 'tcp'): LayerDecoder {
  return (ctx, offset, end) => {
    const step = transport(ctx, offset, end);
    if (step.next !== null) return step;
    const v = step.layer.value as { srcPort?: unknown; dstPort?: unknown } | null;
    if (v === null || step.payloadEnd <= step.payloadOffset) return step;
    const ports = kind === 'udp' ? UDP_DNS_PORTS : TCP_DNS_PORTS;
    if (!ports.includes(v.srcPort as number) && !ports.includes(v.dstPort as number)) return step;
    if (kind === 'udp') return { ...step, next: 'dns' };
    return wholeTcpMessageAt(ctx.frame, step.payloadOffset, step.payloadEnd) ? { ...step, next: 'dns-tcp' } : step;
  };
}
