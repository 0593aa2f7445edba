// The checksums lab's datagrams and how it reads their verdicts: a study guide's "Hola" in UDP/IPv4 (and
// over IPv6 for the zero-checksum rule), the encapsulation lab's SYN for the TCP pseudo-header, and
// the checksum statuses netlab's decoder gives, in Wireshark's words.

import { decode, encode, ethernet, ipv4, ipv6, payload, tcp, udp } from '../../src/wire/index.ts';

export const SRC = '192.168.1.10';
export const DST = '142.250.183.110';
export const PUBLIC = '203.0.113.5';
export const SPORT = 54321;
export const DPORT = 7777;
export const MAC_SRC = '11:22:33:44:55:66';
export const MAC_DST = 'aa:bb:cc:dd:ee:ff';
export const SRC6 = '2001:db8::10';
export const DST6 = '2001:db8::1';
/** The encapsulation lab's SYN: 192.168.1.10:54321 -> 142.250.183.110:443, seq 12345678. */
export const SYN = { sport: 54321, dport: 443, seq: 12345678, mss: 1460 } as const;

/** Offsets in an untagged Ethernet frame with a 20-byte IPv4 header. */
export const IP_AT = 14;
export const L4_AT = 34;
export const UDP_DATA_AT = 42;

export const u16 = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];
export const put16 = (b: Uint8Array, at: number, v: number): void => {
  b[at] = v >>> 8;
  b[at + 1] = v & 0xff;
};

/** A study guide's datagram: "Hola" from 192.168.1.10:54321, in IPv4 and Ethernet (with an FCS when asked). */
export function holaFrame(o: { fcs?: boolean; text?: string; src?: string; udpChecksum?: number } = {}): Uint8Array {
  return encode([
    ethernet({ src: MAC_SRC, dst: MAC_DST, fcs: o.fcs ?? false }),
    ipv4({ src: o.src ?? SRC, dst: DST, id: 0x1c46, ttl: 64 }),
    udp({ sport: SPORT, dport: DPORT, checksum: o.udpChecksum }),
    payload(o.text ?? 'Hola'),
  ]);
}

/** "Hola" over IPv6, its UDP checksum set to 0 (not computed): what IPv6 does not allow. */
export function holaOverIpv6WithoutChecksum(): Uint8Array {
  return encode([
    ethernet({ src: MAC_SRC, dst: MAC_DST }),
    ipv6({ src: SRC6, dst: DST6, hopLimit: 64 }),
    udp({ sport: SPORT, dport: DPORT, checksum: 0 }),
    payload('Hola'),
  ]);
}

/** A study guide's SYN (with its MSS option: a 24-byte TCP header). */
export function synFrame(): Uint8Array {
  return encode([
    ethernet({ src: MAC_SRC, dst: MAC_DST }),
    ipv4({ src: SRC, dst: DST, id: 0x4a1d, ttl: 64, df: true }),
    tcp({ sport: SYN.sport, dport: SYN.dport, seq: SYN.seq, flags: 'S', window: 64240, options: [{ mss: SYN.mss }] }),
  ]);
}

/** One frame's checksum verdicts, as Wireshark words them ('none': the frame has no such field). */
export interface Statuses {
  ip: string;
  l4: string;
  fcs: string;
}

const WORD: Readonly<Record<string, string>> = { good: 'Good', bad: 'Bad', 'not-present': 'Not present', illegal: 'Illegal', unverified: 'Unverified' };

/** The checksum statuses netlab's decoder gives a frame (UDP or TCP as l4). */
export function statuses(frame: Uint8Array, fcsLength: 0 | 4): Statuses {
  const layers = decode(frame, 1, { fcsLength }).layers;
  const of = (kinds: readonly string[]): string => {
    const l = layers.find((x) => kinds.includes(x.kind));
    if (l === undefined) return 'none';
    const s = l.value as { checksumStatus?: unknown; fcsStatus?: unknown };
    const v = kinds[0] === 'ethernet' ? s.fcsStatus : s.checksumStatus;
    return typeof v === 'string' ? (WORD[v] ?? v) : 'none';
  };
  return { ip: of(['ipv4']), l4: of(['udp', 'tcp']), fcs: fcsLength === 4 ? of(['ethernet']) : 'none' };
}

export const statusText = (s: Statuses): string => `${s.ip}/${s.l4}/${s.fcs}`;
