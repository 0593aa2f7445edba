// A study guide's encapsulation example, as numbers: who talks to whom, the SYN's sequence number, the
// request, the MACs; and the frames the client sends, built with the wire layer's builders.

import { decode, encode, ethernet, ipv4, payload, tcp, type DecodedLayer } from '../../src/wire/index.ts';

export const CLIENT = { ip: '192.168.1.10', port: 54321, mac: '11:22:33:44:55:66' } as const;
export const SERVER = { ip: '142.250.183.110', port: 443 } as const;
/** The client's gateway: its LAN leg has a study guide's destination MAC; its WAN leg faces the ISP. */
export const GATEWAY = { ip: '192.168.1.1', lanMac: 'aa:bb:cc:dd:ee:ff', wanIp: '198.51.100.1', wanMac: '02:00:00:00:01:01' } as const;
/** The ISP's router at the other end of the gateway's WAN link (TEST-NET-2 addresses). */
export const NEXT_HOP = { ip: '198.51.100.2', mac: '02:00:00:00:02:01' } as const;
export const ISN = 12345678;
export const REQUEST = 'GET /index.html HTTP/1.1\r\nHost: www.google.com\r\n\r\n';
/** What a study guide prints in the FCS field: a placeholder, not a CRC. */
export const BOOK_FCS = 0xabcd1234;
export const CLIENT_IP_ID = 0x4a1d;
export const CLIENT_WINDOW = 64240;

export const macText = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
export const ipText = (b: Uint8Array): string => [...b].join('.');
export const bits8 = (b: number): string => b.toString(2).padStart(8, '0');
/** A byte's bits in the order Ethernet sends them: least significant bit first. */
export const wireBits8 = (b: number): string => [...bits8(b)].reverse().join('');
export const hexBytes = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
export const hex32 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** The value of the first layer of a kind; throws (a failed step, with the reason) when it is missing. */
export function layerOf<T>(layers: readonly DecodedLayer[], kind: string): T {
  const l = layers.find((x) => x.kind === kind);
  if (l === undefined) throw new Error(`no ${kind} layer in the frame`);
  return l.value as T;
}

/** The layer record itself (offset, length), for byte spans. */
export function spanOf(layers: readonly DecodedLayer[], kind: string): DecodedLayer {
  const l = layers.find((x) => x.kind === kind);
  if (l === undefined) throw new Error(`no ${kind} layer in the frame`);
  return l;
}

/** Decodes an Ethernet frame that ends in a 4-byte FCS. */
export const decodeWithFcs = (frame: Uint8Array): readonly DecodedLayer[] => decode(frame, 1, { fcsLength: 4 }).layers;

export interface ClientSegment {
  flags: string;
  seq: number;
  ack?: number;
  data?: string;
  /** Adds the MSS option a SYN carries. */
  mss?: number;
}

/** A frame the client sends to its gateway: Ethernet (padded to 60, with FCS) / IPv4 / TCP / data. */
export function clientFrame(s: ClientSegment): Uint8Array {
  return encode([
    ethernet({ src: CLIENT.mac, dst: GATEWAY.lanMac, fcs: true, pad: true }),
    ipv4({ src: CLIENT.ip, dst: SERVER.ip, ttl: 64, id: CLIENT_IP_ID, df: true }),
    tcp({
      sport: CLIENT.port,
      dport: SERVER.port,
      seq: s.seq,
      ack: s.ack,
      flags: s.flags,
      window: CLIENT_WINDOW,
      options: s.mss === undefined ? [] : [{ mss: s.mss }],
    }),
    ...(s.data !== undefined ? [payload(s.data)] : []),
  ]);
}
