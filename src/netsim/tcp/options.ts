// The TCP options the virtual stack speaks: MSS (RFC 9293 §3.7.1), window scale and timestamps
// (RFC 7323), SACK permitted and SACK blocks (RFC 2018). Reading a received option list into what the
// connection uses, and writing the lists it sends, in the order Linux writes them so captures look
// familiar: SYN "mss, sackOK, TS, nop, wscale"; other segments "nop, nop, TS" and "nop, nop, SACK".

import { TCP_MAX_WSCALE, type TcpOption, type TcpOptionInput } from '../../wire/index.ts';

export interface SackBlock {
  left: number;
  right: number;
}

/** What a received segment's options say. */
export interface ReceivedOptions {
  mss?: number;
  /** Window scale shift, clamped to 14 (RFC 7323 §2.3). */
  wscale?: number;
  sackPermitted: boolean;
  timestamp?: { tsval: number; tsecr: number };
  sack: SackBlock[];
}

export function readOptions(options: readonly TcpOption[]): ReceivedOptions {
  const out: ReceivedOptions = { sackPermitted: false, sack: [] };
  for (const o of options) {
    if (o.type === 'mss') out.mss = o.mss;
    else if (o.type === 'wscale') out.wscale = Math.min(o.shift, TCP_MAX_WSCALE);
    else if (o.type === 'sack-permitted') out.sackPermitted = true;
    else if (o.type === 'timestamp') out.timestamp = { tsval: o.tsval, tsecr: o.tsecr };
    else if (o.type === 'sack') out.sack.push(...o.blocks);
  }
  return out;
}

/** Options of a SYN or SYN-ACK. On a SYN-ACK, only what the peer's SYN offered is offered back. */
export interface SynOptionPlan {
  mss: number;
  /** Our window scale shift, or undefined to leave the option out. */
  wscale?: number;
  sackPermitted: boolean;
  /** [TSval, TSecr], or undefined without timestamps. */
  timestamp?: readonly [number, number];
}

export function synOptions(p: SynOptionPlan): TcpOptionInput[] {
  const out: TcpOptionInput[] = [{ mss: p.mss }];
  if (p.sackPermitted && p.timestamp !== undefined) out.push('sack-permitted', { timestamp: p.timestamp });
  else if (p.sackPermitted) out.push('nop', 'nop', 'sack-permitted');
  else if (p.timestamp !== undefined) out.push('nop', 'nop', { timestamp: p.timestamp });
  if (p.wscale !== undefined) out.push('nop', { wscale: p.wscale });
  return out;
}

/** Options of a segment after the handshake: timestamps, then SACK blocks (as many as fit in 40 bytes). */
export function segmentOptions(timestamp: readonly [number, number] | undefined, sack: readonly SackBlock[]): TcpOptionInput[] {
  const out: TcpOptionInput[] = [];
  if (timestamp !== undefined) out.push('nop', 'nop', { timestamp });
  if (sack.length > 0) {
    const room = timestamp !== undefined ? 3 : 4;
    out.push('nop', 'nop', { sack: sack.slice(0, room).map((b) => [b.left, b.right] as const) });
  }
  return out;
}

/** The smallest shift that lets `buffer` bytes be announced in the 16-bit window field. */
export function windowShiftFor(buffer: number): number {
  let shift = 0;
  while (shift < TCP_MAX_WSCALE && buffer >>> shift > 0xffff) shift++;
  return shift;
}
