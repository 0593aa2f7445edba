// The TCP segments a real stack would have put on the wire for what a connection carried: the
// three-way handshake (with MSS), data cut to the MSS, ACKs as a receiver sends them (every second
// full segment, and at the end of each burst), FIN/ACK on close, RST on reset. Pure: no sockets,
// no clock. Sequence numbers are relative (the SYN is 0, the first data byte 1); the tap adds each
// side's initial sequence number when it writes the frames.
//
// The rules that keep Wireshark's TCP analysis quiet:
//   - every byte is sent once, in order, and ACKed only after it was sent;
//   - the window never changes (a changed window on a pure ACK is a "window update"), and the bytes
//     in flight never exceed it (at most two segments are unacknowledged);
//   - a side never sends two pure ACKs with the same ACK number in a row (a "duplicate ACK").

import { NetlabRangeError } from '../base/errors.ts';

export type TcpSide = 'client' | 'server';

/** Flags in scapy's letters: S SYN, A ACK, P PSH, F FIN, R RST (e.g. 'SA', 'PA', 'FA', 'RA'). */
export type TcpFlagLetters = 'S' | 'SA' | 'A' | 'PA' | 'FA' | 'RA';

export interface TcpSegment {
  readonly from: TcpSide;
  /** Relative sequence number (the side's SYN is 0). */
  readonly seq: number;
  /** Relative acknowledgement number (0 when the ACK flag is off). */
  readonly ack: number;
  readonly flags: TcpFlagLetters;
  readonly window: number;
  /** MSS option (SYN and SYN-ACK only). */
  readonly mss?: number;
  readonly payload: Uint8Array;
}

export interface TcpSynthOptions {
  /** Maximum segment size both sides announce (default 1460: Ethernet's 1500-byte MTU). */
  readonly mss?: number;
  /** Receive window both sides announce, unscaled (default 65535). */
  readonly window?: number;
}

export type TcpState = 'new' | 'open' | 'reset';

export const DEFAULT_MSS = 1460;
export const DEFAULT_WINDOW = 65535;

const other = (s: TcpSide): TcpSide => (s === 'client' ? 'server' : 'client');

/** One connection's segment generator. Call handshake() first, then data/fin/reset in order. */
export class TcpSynth {
  readonly mss: number;
  readonly window: number;
  private stateValue: TcpState = 'new';
  /** Next relative sequence number each side will send. */
  private readonly next: Record<TcpSide, number> = { client: 0, server: 0 };
  /** Whether each side has sent its FIN. */
  private readonly finSent: Record<TcpSide, boolean> = { client: false, server: false };
  /** Bytes each side has sent (payload only). */
  private readonly sent: Record<TcpSide, number> = { client: 0, server: 0 };
  /** Events that arrived in a state where no segment can carry them (data after FIN...). */
  readonly anomalies: string[] = [];

  constructor(options: TcpSynthOptions = {}) {
    this.mss = options.mss ?? DEFAULT_MSS;
    this.window = options.window ?? DEFAULT_WINDOW;
    if (!Number.isInteger(this.mss) || this.mss < 1 || this.mss > 0xffff) throw new NetlabRangeError(`mss must be 1..65535, got ${this.mss}`);
    if (!Number.isInteger(this.window) || this.window > 0xffff)
      throw new NetlabRangeError(`window must be an integer up to 65535 (no window scaling), got ${this.window}`);
    if (this.window < 2 * this.mss)
      throw new NetlabRangeError(`window ${this.window} must hold two segments of mss ${this.mss} (ACKs come every second segment)`);
  }

  get state(): TcpState {
    return this.stateValue;
  }

  /** True once the side has sent its FIN. */
  finished(side: TcpSide): boolean {
    return this.finSent[side];
  }

  /** Payload bytes the side has sent. */
  bytesSent(side: TcpSide): number {
    return this.sent[side];
  }

  /** True when both FINs went out or a RST ended the connection. */
  get closed(): boolean {
    return this.stateValue === 'reset' || (this.finSent.client && this.finSent.server);
  }

  /** SYN, SYN-ACK, ACK. */
  handshake(): TcpSegment[] {
    if (this.stateValue !== 'new') return this.anomaly('handshake on a connection that is already open');
    this.stateValue = 'open';
    this.next.client = 1;
    this.next.server = 1;
    return [
      { from: 'client', seq: 0, ack: 0, flags: 'S', window: this.window, mss: this.mss, payload: EMPTY },
      { from: 'server', seq: 0, ack: 1, flags: 'SA', window: this.window, mss: this.mss, payload: EMPTY },
      { from: 'client', seq: 1, ack: 1, flags: 'A', window: this.window, payload: EMPTY },
    ];
  }

  /** `bytes` sent by `from` in one go: segments of at most mss bytes, PSH on the last, and the peer's ACKs. */
  data(from: TcpSide, bytes: Uint8Array): TcpSegment[] {
    if (bytes.length === 0) return [];
    if (this.stateValue !== 'open')
      return this.anomaly(`${bytes.length} bytes from the ${from} on a connection that is ${this.stateValue === 'new' ? 'not open yet' : 'reset'}`);
    if (this.finSent[from]) return this.anomaly(`${bytes.length} bytes from the ${from} after its FIN`);
    const peer = other(from);
    const out: TcpSegment[] = [];
    let unacked = 0;
    for (let at = 0; at < bytes.length; at += this.mss) {
      const chunk = bytes.subarray(at, Math.min(bytes.length, at + this.mss));
      const last = at + this.mss >= bytes.length;
      out.push({ from, seq: this.next[from], ack: this.next[peer], flags: last ? 'PA' : 'A', window: this.window, payload: chunk });
      this.next[from] = (this.next[from] + chunk.length) % 0x1_0000_0000;
      this.sent[from] += chunk.length;
      unacked++;
      if (unacked === 2 || last) {
        out.push(this.pureAck(peer));
        unacked = 0;
      }
    }
    return out;
  }

  /** FIN from `from` and the peer's ACK of it. */
  fin(from: TcpSide): TcpSegment[] {
    if (this.stateValue !== 'open' || this.finSent[from]) return [];
    const peer = other(from);
    const seg: TcpSegment = { from, seq: this.next[from], ack: this.next[peer], flags: 'FA', window: this.window, payload: EMPTY };
    this.next[from] = (this.next[from] + 1) % 0x1_0000_0000;
    this.finSent[from] = true;
    return [seg, this.pureAck(peer)];
  }

  /** RST (with ACK) from `from`; the connection is over. */
  reset(from: TcpSide): TcpSegment[] {
    if (this.stateValue !== 'open') return [];
    this.stateValue = 'reset';
    return [{ from, seq: this.next[from], ack: this.next[other(from)], flags: 'RA', window: this.window, payload: EMPTY }];
  }

  private pureAck(side: TcpSide): TcpSegment {
    // Each pure ACK answers new data or a FIN, so its number is always higher than the last one.
    return { from: side, seq: this.next[side], ack: this.next[other(side)], flags: 'A', window: this.window, payload: EMPTY };
  }

  private anomaly(text: string): TcpSegment[] {
    this.anomalies.push(text);
    return [];
  }
}

const EMPTY = new Uint8Array(0);
