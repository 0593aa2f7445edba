// One TCP connection: the transmission control block and the RFC 9293 state machine (§3.10 "Event
// Processing"), with RFC 5961's checks against blind RST, SYN and data injection. The send side
// (segmentation by MSS, Nagle, the retransmission and persist timers, fast retransmit) is in this file
// too, since both halves read and write the same variables; the buffers (send-buffer.ts,
// receive-buffer.ts), the RTO estimator (rto.ts) and congestion control (congestion.ts) are their own
// files. Applications never see this class: VirtualTcpSocket (socket.ts) wraps it.
//
// Variables follow RFC 9293's names: SND.UNA (sndUna), SND.NXT (sndNxt), SND.WND (sndWnd), SND.WL1/WL2,
// ISS, RCV.NXT (rcvNxt), IRS. sndMax is the highest sequence number ever sent: after a timeout SND.NXT
// goes back to SND.UNA (go-back-N) while sndMax remembers what the peer may still acknowledge.

import { TCP_FLAG } from '../../wire/index.ts';
import type { NetClock, TimerHandle } from '../../base/timer-clock.ts';
import { NetsimError, type NetsimErrorCode } from '../host-errors.ts';
import { NewReno, type CongestionEvent } from './congestion.ts';
import { segmentOptions, synOptions, windowShiftFor, type ReceivedOptions, type SackBlock } from './options.ts';
import { ReceiveBuffer } from './receive-buffer.ts';
import { RtoEstimator } from './rto.ts';
import { SendBuffer } from './send-buffer.ts';
import { hasFlag, segmentLength, type OutSegment, type Segment } from './segment.ts';
import { seqAdd, seqDiff, seqGe, seqGt, seqInRange, seqLe, seqLt, seqMax } from './seq.ts';
import type { ResolvedTcpSettings } from './settings.ts';
import { isSynchronized, mayReceiveData, type TcpState } from './state.ts';
import { newTcpCounters, type TcpCounters } from './stats.ts';

const { FIN, SYN, RST, PSH, ACK } = TCP_FLAG;

/** What a connection needs from its stack. */
export interface ConnectionEnv {
  readonly hostName: string;
  readonly clock: NetClock;
  readonly settings: ResolvedTcpSettings;
  /** Host-wide counters (the connection also keeps its own). */
  readonly stats: TcpCounters;
  /** Sends a segment from `src` to `dst`; a missing route is counted, never thrown. */
  transmit(src: number, dst: number, seg: OutSegment): void;
  /** The connection reached CLOSED: forget it. */
  closed(c: Connection): void;
  /** A passive connection completed the handshake; false when the accept queue is full (the ACK is then ignored). */
  established(c: Connection): boolean;
}

/** What the socket hears from its connection. */
export interface ConnectionEvents {
  /** The handshake completed (active open). */
  connect(): void;
  /** Bytes are readable. */
  readable(): void;
  /** The peer's FIN arrived, after every byte before it. */
  end(): void;
  /** Bytes left the send buffer (acknowledged) or were sent for the first time. */
  progress(): void;
  /** The connection is gone; with an error when it failed. */
  close(error: NetsimError | undefined): void;
  state(from: TcpState, to: TcpState): void;
  congestion(e: CongestionEvent): void;
}

export interface ConnectionInit {
  env: ConnectionEnv;
  localAddress: number;
  localPort: number;
  remoteAddress: number;
  remotePort: number;
  iss: number;
  /** Per-connection offset of the timestamp clock. */
  tsOffset: number;
  noDelay: boolean;
}

/** A snapshot of the connection's variables, for labs and tests. */
export interface TcpConnectionInfo {
  state: TcpState;
  iss: number;
  irs: number;
  sndUna: number;
  sndNxt: number;
  sndMax: number;
  /** Send window the peer offers (scaled), bytes. */
  sndWnd: number;
  rcvNxt: number;
  /** Receive window last offered, bytes. */
  rcvWnd: number;
  /** Payload bytes per full segment this side sends. */
  mss: number;
  sndWscale: number;
  rcvWscale: number;
  sack: boolean;
  timestamps: boolean;
  cwnd: number;
  ssthresh: number;
  srttMs: number | undefined;
  rttvarMs: number | undefined;
  rtoMs: number;
  /** Bytes buffered to send (unsent plus unacknowledged). */
  sendBuffered: number;
  /** Bytes received in order, not read yet. */
  receiveBuffered: number;
  outOfOrderBytes: number;
  counters: TcpCounters;
}

export class Connection {
  state: TcpState = 'CLOSED';
  readonly localAddress: number;
  readonly localPort: number;
  readonly remoteAddress: number;
  readonly remotePort: number;
  readonly counters = newTcpCounters();
  events: ConnectionEvents | undefined;
  /** Passive connections belong to a listener until accepted. */
  passive = false;
  noDelay: boolean;

  // Send sequence space.
  readonly iss: number;
  sndUna: number;
  sndNxt: number;
  sndMax: number;
  sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private maxSndWnd = 0;
  // Receive sequence space.
  irs = 0;
  rcvNxt = 0;
  /** RCV.NXT + the window last offered: the right edge, which never moves left. */
  private rcvRight = 0;

  // Negotiated options.
  private sndShift = 0;
  private rcvShift = 0;
  private ourShift: number;
  private sackOk = false;
  private tsOk = false;
  private tsRecent = 0;
  private lastAckSent = 0;
  private readonly tsOffset: number;
  /** Payload bytes of a full segment (MSS less the timestamp option). */
  smss: number;
  /** Largest segment payload received: the "full-sized segment" of the delayed-ACK rule. */
  private rcvMss = 536;

  readonly sendBuf = new SendBuffer();
  readonly recvBuf: ReceiveBuffer;
  /** end() was called: a FIN follows the data. */
  finQueued = false;
  private finAcked = false;
  /** Sequence number of our FIN, once sent. */
  private finSeqNum: number | undefined;
  /** The peer's FIN, when it arrived ahead of data still missing. */
  private peerFinSeq: number | undefined;
  peerFinished = false;
  /** Bytes ever written, acknowledged, and sent (first transmissions), as plain counts. */
  writtenTotal = 0;
  ackedTotal = 0;
  sentTotal = 0;

  private readonly rto: RtoEstimator;
  cc: NewReno | undefined;
  private dupAcks = 0;
  /** What the peer's SACK blocks say it holds above SND.UNA (sorted, merged): the scoreboard. */
  private sacked: SackBlock[] = [];
  /** Highest sequence number retransmitted in the current fast recovery. */
  private rtxHigh = 0;
  private partialAckSeen = false;
  private timing: { end: number; at: number } | undefined;
  private retries = 0;

  private rtxTimer: TimerHandle | undefined;
  private delackTimer: TimerHandle | undefined;
  private persistTimer: TimerHandle | undefined;
  private persistBackoff = 0;
  private timeWaitTimer: TimerHandle | undefined;
  private bytesSinceAck = 0;
  private readonly pending: (() => void)[] = [];
  private readonly env: ConnectionEnv;
  private readonly s: ResolvedTcpSettings;

  constructor(init: ConnectionInit) {
    this.env = init.env;
    this.s = init.env.settings;
    this.localAddress = init.localAddress;
    this.localPort = init.localPort;
    this.remoteAddress = init.remoteAddress;
    this.remotePort = init.remotePort;
    this.iss = init.iss >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndMax = this.iss;
    this.tsOffset = init.tsOffset >>> 0;
    this.noDelay = init.noDelay;
    this.recvBuf = new ReceiveBuffer(this.s.receiveBuffer, this.s.outOfOrderLimit);
    this.rto = new RtoEstimator(this.s.rto);
    this.ourShift = this.s.windowScaling ? windowShiftFor(this.s.receiveBuffer) : 0;
    this.smss = Math.min(this.s.mss, 536);
  }

  // ---------------------------------------------------------------------------------------------
  // User calls (RFC 9293 §3.10.1-3.10.5)

  /** Active OPEN: sends the SYN. */
  open(): void {
    this.setState('SYN-SENT');
    this.count('activeOpens');
    this.sendSyn(false);
    this.flush();
  }

  /** A SYN arrived at a listener: this connection answers it from LISTEN (RFC 9293 §3.10.7.2). */
  acceptSyn(seg: Segment): void {
    this.passive = true;
    this.state = 'LISTEN';
    this.setState('SYN-RECEIVED');
    this.count('passiveOpens');
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.negotiate(seg.options);
    this.updateTsRecent(seg);
    this.sndWnd = seg.window; // never scaled in a SYN
    this.sndWl1 = seg.seq;
    this.sndWl2 = seg.ack;
    this.sendSyn(true);
    this.flush();
  }

  /** SEND: queues bytes and sends what the windows and Nagle allow; with `andClose`, the FIN may ride on the last segment. */
  write(bytes: Uint8Array, andClose = false): void {
    if (this.state === 'CLOSED') throw new NetsimError('EPIPE', `${this.describe()}: write on a closed connection`);
    if (this.finQueued) throw new NetsimError('EPIPE', `${this.describe()}: write after end()`);
    if (this.sendBuf.length + bytes.length > this.s.sendBufferLimit) {
      throw new NetsimError(
        'ENOBUFS',
        `${this.describe()}: ${bytes.length} more bytes would pass the ${this.s.sendBufferLimit}-byte send buffer (wait for 'drain')`,
      );
    }
    this.sendBuf.append(bytes);
    this.writtenTotal += bytes.length;
    if (andClose) {
      this.close();
      return;
    }
    this.output();
    this.flush();
  }

  /** CLOSE: a FIN after the queued data (half-close: receiving goes on). */
  close(): void {
    if (this.finQueued) return;
    switch (this.state) {
      case 'SYN-SENT':
        this.terminate(undefined);
        return;
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
        this.finQueued = true;
        if (this.state === 'ESTABLISHED') this.setState('FIN-WAIT-1');
        break;
      case 'CLOSE-WAIT':
        this.finQueued = true;
        this.setState('LAST-ACK');
        break;
      default:
        return;
    }
    this.output();
    this.flush();
  }

  /** ABORT: a RST in synchronized states, then CLOSED at once. */
  abort(): void {
    if (this.state === 'CLOSED') return;
    if ((isSynchronized(this.state) && this.state !== 'TIME-WAIT') || this.state === 'SYN-RECEIVED') {
      this.emitSegment({ seq: this.sndNxt, ack: 0, flags: RST, data: undefined });
    }
    this.terminate(undefined);
  }

  /** The application read; the window may have opened enough to say so (receiver SWS avoidance). */
  windowOpened(): void {
    if (!isSynchronized(this.state) && this.state !== 'SYN-RECEIVED') return;
    // A window update only when the offered window had (nearly) closed and reading opened it by
    // min(buffer/2, MSS) or more (RFC 9293 §3.8.6.2.2); otherwise the next ACK carries the new window.
    const offered = Math.max(0, seqDiff(this.rcvRight, this.rcvNxt));
    const could = this.recvBuf.spaceInOrder;
    if (offered < 2 * this.rcvMss && could - offered >= Math.min(this.s.receiveBuffer / 2, this.rcvMss)) {
      this.count('windowUpdatesSent');
      this.sendAck();
    }
    this.flush();
  }

  setNoDelay(on: boolean): void {
    this.noDelay = on;
    if (on) {
      this.output();
      this.flush();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // SEGMENT ARRIVES (RFC 9293 §3.10.7.3, .4)

  input(seg: Segment): void {
    this.count('segmentsReceived');
    if (this.state === 'CLOSED') return;
    if (this.state === 'SYN-SENT') this.inputSynSent(seg);
    else this.inputSynchronized(seg);
    this.flush();
  }

  private inputSynSent(seg: Segment): void {
    const ack = hasFlag(seg, ACK);
    if (ack && (seqLe(seg.ack, this.iss) || seqGt(seg.ack, this.sndMax))) {
      if (!hasFlag(seg, RST)) this.sendReset(seg.ack, 0, false);
      return;
    }
    const ackOk = ack && seqLe(this.sndUna, seg.ack) && seqLe(seg.ack, this.sndMax);
    if (hasFlag(seg, RST)) {
      if (ackOk) {
        this.count('resetsReceived');
        this.terminate(new NetsimError('ECONNREFUSED', `${this.describe()}: connection refused (RST)`));
      }
      return;
    }
    if (!hasFlag(seg, SYN)) return;
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.rcvRight = this.rcvNxt;
    this.negotiate(seg.options);
    this.updateTsRecent(seg);
    if (ack) {
      if (this.timing !== undefined && seqGe(seg.ack, this.timing.end)) this.rto.sample(this.env.clock.now() - this.timing.at);
      this.timing = undefined;
      this.ackAdvance(seg.ack);
      this.sndWnd = seg.window << this.sndShift;
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
    }
    if (seqGt(this.sndUna, this.iss)) {
      this.stopRtx();
      this.retries = 0;
      this.becomeEstablished();
      this.sendAck();
      this.output();
      this.queue(() => this.events?.connect());
    } else {
      // Simultaneous open (RFC 9293 figure 7): SYN-RECEIVED, and our SYN goes again with an ACK.
      this.setState('SYN-RECEIVED');
      this.sndWnd = seg.window;
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      this.sndNxt = this.iss;
      this.sendSyn(true);
    }
  }

  private inputSynchronized(seg: Segment): void {
    // In simultaneous open the peer's SYN-ACK repeats its SYN: what is new in it is the ACK of ours.
    if (
      this.state === 'SYN-RECEIVED' &&
      hasFlag(seg, SYN) &&
      hasFlag(seg, ACK) &&
      seg.seq === this.irs &&
      seqGt(seg.ack, this.sndUna) &&
      seqLe(seg.ack, this.sndMax)
    ) {
      seg = { ...seg, flags: seg.flags & ~SYN, seq: seqAdd(seg.seq, 1) };
    }
    if (hasFlag(seg, SYN) && !hasFlag(seg, RST)) {
      if (this.state === 'SYN-RECEIVED' && seg.seq === this.irs && !hasFlag(seg, ACK)) {
        // The peer's SYN again (our SYN-ACK was lost): the SYN-ACK again.
        this.sendSyn(true);
        return;
      }
      // RFC 5961 §4: a SYN on a synchronized connection, whatever its sequence number, gets a
      // challenge ACK (a real peer that restarted answers it with a RST); it never resets anything.
      this.challengeAck();
      return;
    }
    // PAWS (RFC 7323 §5): a timestamp older than TS.Recent marks an old duplicate.
    if (this.tsOk && seg.options.timestamp !== undefined && !hasFlag(seg, RST) && seqLt(seg.options.timestamp.tsval, this.tsRecent)) {
      this.count('pawsDropped');
      this.sendAck();
      return;
    }
    // First: is the sequence number acceptable?
    if (!this.acceptable(seg)) {
      if (!hasFlag(seg, RST)) {
        if (segmentLength(seg) > 0) {
          this.count('duplicateSegments');
        }
        if (this.state === 'TIME-WAIT' && hasFlag(seg, FIN)) this.startTimeWait();
        this.sendAck();
      }
      return;
    }
    // Second: RST (RFC 5961 §3: only an exact match resets; in window gets a challenge ACK).
    if (hasFlag(seg, RST)) {
      if (seg.seq !== this.rcvNxt) {
        this.challengeAck();
        return;
      }
      this.count('resetsReceived');
      if (this.state === 'SYN-RECEIVED' && this.passive) this.terminate(undefined);
      else if (this.state === 'SYN-RECEIVED') this.terminate(new NetsimError('ECONNREFUSED', `${this.describe()}: connection refused (RST)`));
      else if (this.state === 'CLOSING' || this.state === 'LAST-ACK' || this.state === 'TIME-WAIT') this.terminate(undefined);
      else this.terminate(new NetsimError('ECONNRESET', `${this.describe()}: connection reset by peer`));
      return;
    }
    // Fourth (a SYN) was handled above, before the sequence check, as RFC 5961 §4 has it.
    this.updateTsRecent(seg);
    // Fifth: the ACK field.
    if (!hasFlag(seg, ACK)) return;
    if (this.state === 'SYN-RECEIVED') {
      if (!(seqLt(this.sndUna, seg.ack) && seqLe(seg.ack, this.sndMax))) {
        this.sendReset(seg.ack, 0, false);
        return;
      }
      if (this.passive && !this.env.established(this)) {
        this.count('listenOverflows');
        return;
      }
      this.becomeEstablished();
      this.sndWnd = seg.window << this.sndShift;
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
      if (!this.passive) this.queue(() => this.events?.connect());
      if (this.finQueued) this.setState('FIN-WAIT-1');
    }
    if (!this.processAck(seg)) return;
    if (this.state === 'CLOSED' || this.state === 'TIME-WAIT') return;
    // Seventh: the segment text.
    let fin = hasFlag(seg, FIN);
    if (seg.data.length > 0 && mayReceiveData(this.state)) fin = this.receiveData(seg) && fin;
    else if (seg.data.length > 0) fin = false;
    // Eighth: FIN.
    if (fin) {
      const finSeq = seqAdd(seg.seq, seg.data.length);
      if (finSeq === this.rcvNxt) this.receiveFin();
      else if (seqGt(finSeq, this.rcvNxt)) {
        this.peerFinSeq = finSeq;
        this.sendAck();
      }
    }
    this.output();
  }

  /** RFC 9293's four cases, against the window last offered. */
  private acceptable(seg: Segment): boolean {
    const len = segmentLength(seg);
    const wnd = Math.max(0, seqDiff(this.rcvRight, this.rcvNxt));
    const end = seqAdd(this.rcvNxt, wnd);
    if (len === 0) return wnd === 0 ? seg.seq === this.rcvNxt : seqInRange(seg.seq, this.rcvNxt, end);
    if (wnd === 0) return false;
    return seqInRange(seg.seq, this.rcvNxt, end) || seqInRange(seqAdd(seg.seq, len - 1), this.rcvNxt, end);
  }

  /** ACK processing in synchronized states. Returns false when the segment is to be dropped. */
  private processAck(seg: Segment): boolean {
    const ack = seg.ack;
    // RFC 5961 §5.2: an ACK too far behind, or for data never sent, is answered and dropped.
    if (seqGt(ack, this.sndMax) || seqLt(ack, this.sndUna - Math.max(this.maxSndWnd, 65535))) {
      this.challengeAck();
      return false;
    }
    const window = seg.window << this.sndShift;
    const outstanding = seqGt(this.sndMax, this.sndUna);
    if (this.sackOk && seg.options.sack.length > 0) this.updateScoreboard(seg.options.sack);
    if (seqGt(ack, this.sndUna)) {
      this.newAck(ack);
    } else if (ack === this.sndUna && outstanding && seg.data.length === 0 && !hasFlag(seg, FIN) && window === this.sndWnd && window > 0) {
      this.dupAck();
    }
    // Window update (RFC 9293 §3.10.7.4, SND.WL1/WL2 rule).
    if (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLe(this.sndWl2, ack))) {
      const opened = this.sndWnd === 0 && window > 0;
      this.sndWnd = window;
      this.sndWl1 = seg.seq;
      this.sndWl2 = ack;
      this.maxSndWnd = Math.max(this.maxSndWnd, window);
      if (window > 0 && this.persistTimer !== undefined) {
        this.env.clock.clearTimer(this.persistTimer);
        this.persistTimer = undefined;
        this.persistBackoff = 0;
      }
      if (opened) this.count('windowUpdatesReceived');
    }
    // Our FIN acknowledged?
    if (this.finSeqNum !== undefined && !this.finAcked && seqGt(this.sndUna, this.finSeqNum)) {
      this.finAcked = true;
      if (this.state === 'FIN-WAIT-1') this.setState('FIN-WAIT-2');
      else if (this.state === 'CLOSING') this.startTimeWait();
      else if (this.state === 'LAST-ACK') {
        this.terminate(undefined);
        return false;
      }
    }
    return true;
  }

  private newAck(ack: number): void {
    const acked = seqDiff(ack, this.sndUna) - (this.sndUna === this.iss ? 1 : 0);
    const flightBefore = seqDiff(this.sndMax, this.sndUna);
    // Karn: only a segment sent once gives an RTT sample.
    if (this.timing !== undefined && seqGe(ack, this.timing.end)) {
      this.rto.sample(this.env.clock.now() - this.timing.at);
      this.timing = undefined;
    }
    this.ackAdvance(ack);
    this.trimScoreboard();
    this.retries = 0;
    const cc = this.cc;
    if (cc !== undefined) {
      if (cc.inRecovery) {
        if (seqGe(ack, cc.recover)) {
          this.dupAcks = 0;
          cc.onFullAck(seqDiff(this.sndMax, this.sndUna));
        } else {
          // Partial ACK (RFC 6582 §3.2 step 5): the next hole goes at once.
          cc.onPartialAck(acked, seqDiff(this.sndMax, this.sndUna));
          // The hole at SND.UNA goes again, unless the scoreboard already had it resent.
          if (!seqGt(this.rtxHigh, this.sndUna)) this.retransmitFirst();
          this.sackRetransmit();
          if (!this.partialAckSeen) {
            this.partialAckSeen = true;
            this.armRtx(true);
          }
        }
      } else {
        this.dupAcks = 0;
        cc.onNewAck(acked, flightBefore);
      }
    }
    // RFC 6298 §5.2/5.3: stop the timer when everything is acknowledged, else restart it.
    if (this.sndUna === this.sndMax) this.stopRtx();
    else if (!(cc?.inRecovery && this.partialAckSeen)) this.armRtx(true);
    this.queue(() => this.events?.progress());
  }

  /** Moves SND.UNA, dropping acknowledged bytes (and the SYN/FIN) from the send buffer. */
  private ackAdvance(ack: number): void {
    let acked = seqDiff(ack, this.sndUna);
    if (this.sndUna === this.iss && acked > 0) acked--; // the SYN
    const dataAcked = Math.min(acked, this.sendBuf.length);
    this.sendBuf.consume(dataAcked);
    this.ackedTotal += dataAcked;
    this.sndUna = ack;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
  }

  private dupAck(): void {
    this.dupAcks++;
    this.count('dupAcksReceived');
    const cc = this.cc;
    if (cc === undefined) return;
    if (cc.inRecovery) {
      cc.onExtraDupAck(seqDiff(this.sndMax, this.sndUna));
      this.sackRetransmit();
      return;
    }
    if (this.dupAcks === 3) {
      if (cc.onThirdDupAck(this.sndUna, this.sndMax, seqDiff(this.sndMax, this.sndUna))) {
        this.count('fastRetransmits');
        this.partialAckSeen = false;
        this.rtxHigh = this.sndUna;
        this.retransmitFirst();
      }
    }
  }

  /** In-order data goes to the read queue, data beyond a hole to the out-of-order queue. Returns false if the segment's end was cut (its FIN with it). */
  private receiveData(seg: Segment): boolean {
    let seq = seg.seq;
    let data = seg.data;
    let whole = true;
    // Trim what was already received, and what lies past the window.
    if (seqLt(seq, this.rcvNxt)) {
      const skip = seqDiff(this.rcvNxt, seq);
      data = data.subarray(skip);
      seq = this.rcvNxt;
      this.count('partialDuplicates');
    }
    const room = seqDiff(this.rcvRight, seq);
    if (data.length > room) {
      data = data.subarray(0, Math.max(0, room));
      whole = false;
    }
    if (data.length === 0) return whole;
    this.rcvMss = Math.max(this.rcvMss, Math.min(seg.data.length, this.smss + 12));
    if (seq === this.rcvNxt) {
      const hadHoles = this.recvBuf.oooBytes > 0;
      const before = this.rcvNxt;
      this.recvBuf.pushInOrder(Uint8Array.from(data));
      this.rcvNxt = seqAdd(this.rcvNxt, data.length);
      this.rcvNxt = this.recvBuf.drainInOrder(this.rcvNxt);
      this.count('bytesReceived', seqDiff(this.rcvNxt, before));
      this.queue(() => this.events?.readable());
      if (this.peerFinSeq !== undefined && this.peerFinSeq === this.rcvNxt) {
        // The FIN that came ahead of the hole now follows in order.
        this.receiveFin();
        return false;
      }
      // RFC 5681 §4.2: at once when a hole was (partly) filled, else every second full segment or on the timer.
      this.bytesSinceAck += data.length;
      if (hadHoles || this.s.delayedAckMs === 0 || this.bytesSinceAck >= 2 * this.rcvMss) this.sendAck();
      else this.scheduleDelayedAck();
    } else {
      const r = this.recvBuf.addOutOfOrder(seq, data);
      this.count('outOfOrderSegments');
      if (r.added === 0 && r.dropped === 0) {
        this.count('duplicateSegments');
      }
      this.count('outOfOrderDropped', r.dropped);
      // An out-of-order segment is acknowledged at once (a duplicate ACK, with SACK blocks).
      this.sendAck();
    }
    return whole;
  }

  private receiveFin(): void {
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.peerFinSeq = undefined;
    this.peerFinished = true;
    this.sendAck();
    this.queue(() => this.events?.end());
    switch (this.state) {
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
        this.setState('CLOSE-WAIT');
        break;
      case 'FIN-WAIT-1':
        if (this.finAcked) this.startTimeWait();
        else this.setState('CLOSING');
        break;
      case 'FIN-WAIT-2':
        this.startTimeWait();
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sending

  /** Sends what may be sent now: new data by MSS within min(SND.WND, cwnd), Nagle permitting, then the FIN. */
  private output(): void {
    if (!isSynchronized(this.state) || this.state === 'TIME-WAIT' || this.cc === undefined) return;
    const cc = this.cc;
    for (;;) {
      const offset = seqDiff(this.sndNxt, this.sndUna);
      const unsent = this.sendBuf.length - offset;
      if (unsent > 0) {
        const wnd = Math.min(this.sndWnd, cc.cwnd);
        const usable = wnd - offset;
        const full = this.smss;
        const len = Math.min(unsent, full, usable);
        if (len <= 0) {
          this.maybePersist();
          return;
        }
        if (len < full) {
          if (len < unsent) {
            // Window-limited: sender SWS avoidance (RFC 9293 §3.8.6.2.1) waits for a larger window.
            if (len < this.maxSndWnd / 2 || usable < len) {
              this.maybePersist();
              return;
            }
          } else if (!this.noDelay && offset > 0 && !this.finQueued) {
            // Nagle (RFC 896): a small segment waits while data is unacknowledged.
            this.count('nagleDelays');
            return;
          }
        }
        const fin = this.finQueued && len === unsent;
        this.sendData(this.sndNxt, len, fin);
        continue;
      }
      if (unsent === 0 && this.finQueued && !this.finAcked && (this.finSeqNum === undefined || this.sndNxt === this.finSeqNum)) {
        this.sendData(this.sndNxt, 0, true);
        continue;
      }
      return;
    }
  }

  /** Sends `len` bytes at `seq` (plus a FIN), moving SND.NXT; times it when it is new. */
  private sendData(seq: number, len: number, fin: boolean): void {
    const offset = seqDiff(seq, this.sndUna);
    const data = this.sendBuf.read(offset, len);
    const isNew = seqGe(seq, this.sndMax);
    let flags = ACK;
    if (len > 0 && offset + len === this.sendBuf.length) flags |= PSH;
    if (fin) flags |= FIN;
    this.emitSegment({ seq, ack: this.rcvNxt, flags, data });
    if (fin) this.finSeqNum = seqAdd(seq, len);
    const end = seqAdd(seq, len + (fin ? 1 : 0));
    this.sndNxt = end;
    if (isNew) {
      if (this.timing === undefined) this.timing = { end, at: this.env.clock.now() };
      this.sentTotal += len;
      this.count('bytesSent', len);
      this.queue(() => this.events?.progress());
    } else {
      this.count('retransmits');
    }
    if (seqGt(end, this.sndMax)) this.sndMax = end;
    if (this.rtxTimer === undefined) this.armRtx(false);
  }

  /** Resends the first unacknowledged segment (fast retransmit, partial ACK). */
  private retransmitFirst(): void {
    this.timing = undefined;
    let len = Math.min(this.smss, this.sendBuf.length);
    // Not into what the peer holds already.
    const first = this.sacked[0];
    if (first !== undefined && seqGt(first.left, this.sndUna)) len = Math.min(len, seqDiff(first.left, this.sndUna));
    const fin = this.finQueued && this.finSent() && len === this.sendBuf.length;
    if (len === 0 && !fin) return;
    const saved = this.sndNxt;
    this.sendData(this.sndUna, len, fin);
    if (seqGt(saved, this.sndNxt)) this.sndNxt = saved;
    this.rtxHigh = seqMax(this.rtxHigh, seqAdd(this.sndUna, len));
  }

  /**
   * During fast recovery, with SACK: resends the next hole below the highest SACKed byte that has not
   * been resent in this recovery (RFC 6675's NextSeg rule 1, one segment per duplicate ACK), so a
   * window with several losses is repaired in one round trip instead of one per partial ACK.
   */
  private sackRetransmit(): void {
    if (!this.sackOk || this.sacked.length === 0 || !this.cc?.inRecovery) return;
    let h = seqMax(this.rtxHigh, this.sndUna);
    for (const b of this.sacked) {
      if (seqLe(b.right, h)) continue;
      if (seqLt(h, b.left)) {
        const len = Math.min(this.smss, seqDiff(b.left, h));
        const saved = this.sndNxt;
        this.timing = undefined;
        this.sendData(h, len, false);
        if (seqGt(saved, this.sndNxt)) this.sndNxt = saved;
        this.rtxHigh = seqAdd(h, len);
        this.count('sackRetransmits');
        return;
      }
      h = b.right;
    }
  }

  /** Adds SACK blocks (RFC 2018) to the scoreboard; D-SACK and blocks outside what was sent are ignored. */
  private updateScoreboard(blocks: readonly SackBlock[]): void {
    for (const b of blocks) {
      if (!seqLt(b.left, b.right) || seqLe(b.right, this.sndUna) || seqGt(b.right, this.sndMax) || seqLt(b.left, this.sndUna)) continue;
      this.sacked.push({ left: b.left, right: b.right });
    }
    this.sacked.sort((x, y) => seqDiff(x.left, y.left));
    const merged: SackBlock[] = [];
    for (const b of this.sacked) {
      const last = merged[merged.length - 1];
      if (last !== undefined && seqLe(b.left, last.right)) last.right = seqMax(last.right, b.right);
      else merged.push({ ...b });
    }
    this.sacked = merged.slice(0, 64);
  }

  private trimScoreboard(): void {
    this.sacked = this.sacked.filter((b) => seqGt(b.right, this.sndUna));
    const first = this.sacked[0];
    if (first !== undefined && seqLt(first.left, this.sndUna)) first.left = this.sndUna;
  }

  private sendSyn(withAck: boolean): void {
    const plan = {
      mss: this.s.mss,
      wscale: this.s.windowScaling && (!withAck || this.sndShiftOffered) ? this.ourShift : undefined,
      sackPermitted: this.s.sack && (!withAck || this.sackOk),
      timestamp: this.s.timestamps && (!withAck || this.tsOk) ? ([this.tsNow(), withAck ? this.tsRecent : 0] as const) : undefined,
    };
    const window = Math.min(this.recvBuf.spaceInOrder, 0xffff);
    this.env.transmit(this.localAddress, this.remoteAddress, {
      srcPort: this.localPort,
      dstPort: this.remotePort,
      seq: this.iss,
      ack: withAck ? this.rcvNxt : 0,
      flags: withAck ? SYN | ACK : SYN,
      window,
      options: synOptions(plan),
    });
    this.countSent();
    if (withAck) {
      this.rcvRight = seqAdd(this.rcvNxt, window);
      this.lastAckSent = this.rcvNxt;
    }
    const first = this.sndMax === this.iss;
    if (first) this.timing = { end: seqAdd(this.iss, 1), at: this.env.clock.now() };
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndMax = this.sndNxt;
    if (this.rtxTimer === undefined) this.armRtx(false);
  }

  /** True when the peer's SYN carried a window scale option (so ours may go in the SYN-ACK). */
  private sndShiftOffered = false;

  /** A pure ACK now (cancels a pending delayed ACK). */
  sendAck(): void {
    if (this.state === 'CLOSED' || this.state === 'SYN-SENT' || this.state === 'LISTEN') return;
    this.emitSegment({ seq: this.sndNxt, ack: this.rcvNxt, flags: ACK, data: undefined });
  }

  /** Start (ms) of the current one-second window of challenge ACKs, and how many were sent in it. */
  private challengeWindow = { start: Number.NEGATIVE_INFINITY, sent: 0 };

  private challengeAck(): void {
    const now = this.env.clock.now();
    if (now - this.challengeWindow.start >= 1000) this.challengeWindow = { start: now, sent: 0 };
    if (this.challengeWindow.sent >= this.s.challengeAcksPerSecond) {
      this.count('challengeAcksSuppressed');
      return;
    }
    this.challengeWindow.sent++;
    this.count('challengeAcks');
    this.sendAck();
  }

  /** Builds and transmits a segment with the window, timestamps and SACK blocks. */
  private emitSegment(p: { seq: number; ack: number; flags: number; data: Uint8Array | undefined }): void {
    const isAck = (p.flags & ACK) !== 0;
    const isRst = (p.flags & RST) !== 0;
    let window = 0;
    if (!isRst) {
      const offered = Math.max(0, seqDiff(this.rcvRight, this.rcvNxt));
      const could = this.recvBuf.spaceInOrder;
      let win = could - offered >= Math.min(this.s.receiveBuffer / 2, this.rcvMss) ? could : offered;
      win = Math.min(win, 0xffff << this.rcvShift);
      window = win >>> this.rcvShift;
      const right = seqAdd(this.rcvNxt, window << this.rcvShift);
      if (seqGt(right, this.rcvRight) || !isSynchronized(this.state)) this.rcvRight = right;
      else window = Math.max(0, seqDiff(this.rcvRight, this.rcvNxt)) >>> this.rcvShift;
    }
    const sack = this.sackOk && isAck && !isRst && (p.data === undefined || p.data.length === 0) ? this.recvBuf.sackBlocks() : [];
    const ts = this.tsOk && !isRst ? ([this.tsNow(), this.tsRecent] as const) : undefined;
    this.env.transmit(this.localAddress, this.remoteAddress, {
      srcPort: this.localPort,
      dstPort: this.remotePort,
      seq: p.seq,
      ack: isAck ? p.ack : 0,
      flags: p.flags,
      window,
      options: segmentOptions(ts, sack),
      data: p.data,
    });
    this.countSent();
    if (isAck) {
      this.lastAckSent = p.ack;
      this.bytesSinceAck = 0;
      if (this.delackTimer !== undefined) {
        this.env.clock.clearTimer(this.delackTimer);
        this.delackTimer = undefined;
      }
    }
    if (isRst) {
      this.count('resetsSent');
    }
  }

  private sendReset(seq: number, ack: number, withAck: boolean): void {
    this.env.transmit(this.localAddress, this.remoteAddress, {
      srcPort: this.localPort,
      dstPort: this.remotePort,
      seq,
      ack,
      flags: withAck ? RST | ACK : RST,
      window: 0,
    });
    this.countSent();
    this.count('resetsSent');
  }

  private countSent(): void {
    this.count('segmentsSent');
  }

  /** Adds to the connection's counter and the host's (the host counts segments itself). */
  private count(key: keyof TcpCounters, n = 1): void {
    this.counters[key] += n;
    if (key !== 'segmentsSent' && key !== 'segmentsReceived') this.env.stats[key] += n;
  }

  // ---------------------------------------------------------------------------------------------
  // Timers

  private armRtx(restart: boolean): void {
    if (this.rtxTimer !== undefined) {
      if (!restart) return;
      this.env.clock.clearTimer(this.rtxTimer);
    }
    this.rtxTimer = this.env.clock.setTimer(() => {
      this.rtxTimer = undefined;
      this.onRtxTimeout();
      this.flush();
    }, this.rto.rtoMs);
  }

  private stopRtx(): void {
    if (this.rtxTimer !== undefined) this.env.clock.clearTimer(this.rtxTimer);
    this.rtxTimer = undefined;
  }

  /** The retransmission timer expired (RFC 6298 §5.4-5.6). */
  private onRtxTimeout(): void {
    if (this.sndUna === this.sndMax || this.state === 'CLOSED' || this.state === 'TIME-WAIT') return;
    this.retries++;
    this.count('timeouts');
    this.timing = undefined;
    if (this.state === 'SYN-SENT' || this.state === 'SYN-RECEIVED') {
      const limit = this.state === 'SYN-SENT' ? this.s.synRetries : this.s.synAckRetries;
      if (this.retries > limit) {
        this.terminate(this.passive ? undefined : new NetsimError('ETIMEDOUT', `${this.describe()}: no answer to ${this.retries} SYNs`));
        return;
      }
      this.rto.backoff();
      this.count('retransmits');
      this.sendSyn(this.state === 'SYN-RECEIVED');
      this.armRtx(true);
      return;
    }
    if (this.retries > this.s.maxRetries) {
      this.emitSegment({ seq: this.sndNxt, ack: 0, flags: RST, data: undefined });
      this.terminate(new NetsimError('ETIMEDOUT', `${this.describe()}: ${this.retries - 1} retransmissions unanswered`));
      return;
    }
    this.cc?.onTimeout(seqDiff(this.sndMax, this.sndUna), this.sndMax, this.rto.backoffs === 0);
    this.rto.backoff();
    this.dupAcks = 0;
    // The peer may drop what it SACKed (RFC 2018 §8): after a timeout, resend everything from SND.UNA.
    this.sacked = [];
    // Go back N: resend from SND.UNA as the (one-segment) window allows.
    this.sndNxt = this.sndUna;
    this.stopRtx();
    this.output();
    if (this.rtxTimer === undefined && this.sndUna !== this.sndMax) this.armRtx(false);
  }

  private scheduleDelayedAck(): void {
    if (this.delackTimer !== undefined) return;
    this.delackTimer = this.env.clock.setTimer(() => {
      this.delackTimer = undefined;
      this.count('delayedAcks');
      this.sendAck();
      this.flush();
    }, this.s.delayedAckMs);
  }

  /** Zero window with data waiting and nothing in flight: the persist timer sends window probes. */
  private maybePersist(): void {
    if (this.persistTimer !== undefined || this.rtxTimer !== undefined || this.sndNxt !== this.sndUna) return;
    const wait = Math.min(this.rto.rtoMs * 2 ** this.persistBackoff, 60_000);
    this.persistTimer = this.env.clock.setTimer(() => {
      this.persistTimer = undefined;
      this.onPersist();
      this.flush();
    }, wait);
  }

  /**
   * The persist timer expired with nothing in flight. A window too small for the sender's SWS rule is
   * used anyway (RFC 9293 §3.8.6.2.1's override timeout); a zero window gets a probe.
   */
  private onPersist(): void {
    if (!isSynchronized(this.state) || this.cc === undefined || this.sndNxt !== this.sndUna) return;
    const unsent = this.sendBuf.length;
    const usable = Math.min(this.sndWnd, this.cc.cwnd);
    if (usable > 0 && unsent > 0) {
      this.persistBackoff = 0;
      this.sendData(this.sndNxt, Math.min(usable, unsent, this.smss), this.finQueued && usable >= unsent);
      return;
    }
    this.sendWindowProbe();
  }

  /** One byte past the window (RFC 9293 §3.8.6.1): the receiver answers with its window. */
  private sendWindowProbe(): void {
    if (!isSynchronized(this.state) || this.sendBuf.length === 0 || this.sndNxt !== this.sndUna) return;
    this.count('windowProbes');
    const offset = seqDiff(this.sndNxt, this.sndUna);
    const data = this.sendBuf.read(offset, 1);
    this.emitSegment({ seq: this.sndNxt, ack: this.rcvNxt, flags: ACK, data });
    // The probe byte may be accepted: the peer may then acknowledge it.
    const end = seqAdd(this.sndNxt, 1);
    if (seqGt(end, this.sndMax)) {
      this.sndMax = end;
      this.sentTotal += 1;
    }
    this.persistBackoff++;
    this.maybePersist();
  }

  private startTimeWait(): void {
    this.setState('TIME-WAIT');
    this.stopRtx();
    if (this.timeWaitTimer !== undefined) this.env.clock.clearTimer(this.timeWaitTimer);
    this.timeWaitTimer = this.env.clock.setTimer(() => {
      this.timeWaitTimer = undefined;
      this.terminate(undefined);
      this.flush();
    }, 2 * this.s.mslMs);
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private negotiate(o: ReceivedOptions): void {
    this.sndShiftOffered = o.wscale !== undefined;
    if (this.s.windowScaling && o.wscale !== undefined) {
      this.sndShift = o.wscale;
      this.rcvShift = this.ourShift;
    } else {
      this.sndShift = 0;
      this.rcvShift = 0;
      this.ourShift = 0;
    }
    this.sackOk = this.s.sack && o.sackPermitted;
    this.tsOk = this.s.timestamps && o.timestamp !== undefined;
    const peerMss = o.mss ?? 536;
    this.smss = Math.max(1, Math.min(peerMss, this.s.mss) - (this.tsOk ? 12 : 0));
    this.rcvMss = Math.min(this.smss, 536);
  }

  private updateTsRecent(seg: Segment): void {
    const ts = seg.options.timestamp;
    if (!this.tsOk || ts === undefined) return;
    if ((seqGe(ts.tsval, this.tsRecent) && seqLe(seg.seq, this.lastAckSent)) || this.tsRecent === 0) this.tsRecent = ts.tsval;
  }

  private tsNow(): number {
    return (Math.floor(this.env.clock.now()) + this.tsOffset) >>> 0;
  }

  private becomeEstablished(): void {
    this.setState('ESTABLISHED');
    this.cc = new NewReno(
      this.smss,
      (e) => this.queue(() => this.events?.congestion(e)),
      () => this.env.clock.now(),
      { initialWindowSegments: this.s.initialWindowSegments },
    );
  }

  private finSent(): boolean {
    return this.finSeqNum !== undefined;
  }

  private setState(to: TcpState): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.queue(() => this.events?.state(from, to));
  }

  /** CLOSED: every timer stopped, buffers freed, the stack told; the socket hears `close`. */
  private terminate(error: NetsimError | undefined): void {
    if (this.state === 'CLOSED') return;
    this.setState('CLOSED');
    for (const t of [this.rtxTimer, this.delackTimer, this.persistTimer, this.timeWaitTimer]) if (t !== undefined) this.env.clock.clearTimer(t);
    this.rtxTimer = this.delackTimer = this.persistTimer = this.timeWaitTimer = undefined;
    this.sendBuf.clear();
    this.env.closed(this);
    this.queue(() => this.events?.close(error));
  }

  /** Drops the connection without a word (host closing, half-open eviction). */
  discard(): void {
    this.terminate(undefined);
    this.flush();
  }

  /** Application callbacks run after the segment or timer is fully processed. */
  queue(fn: () => void): void {
    this.pending.push(fn);
  }

  flush(): void {
    // An application callback that calls back in (write, read) must not run the later callbacks early.
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0) (this.pending.shift() as () => void)();
    } finally {
      this.flushing = false;
    }
  }

  private flushing = false;

  describe(): string {
    return `${this.env.hostName} TCP ${ipText(this.localAddress)}:${this.localPort} -> ${ipText(this.remoteAddress)}:${this.remotePort}`;
  }

  info(): TcpConnectionInfo {
    return {
      state: this.state,
      iss: this.iss,
      irs: this.irs,
      sndUna: this.sndUna,
      sndNxt: this.sndNxt,
      sndMax: this.sndMax,
      sndWnd: this.sndWnd,
      rcvNxt: this.rcvNxt,
      rcvWnd: Math.max(0, seqDiff(this.rcvRight, this.rcvNxt)),
      mss: this.smss,
      sndWscale: this.sndShift,
      rcvWscale: this.rcvShift,
      sack: this.sackOk,
      timestamps: this.tsOk,
      cwnd: this.cc?.cwnd ?? 0,
      ssthresh: this.cc?.ssthresh ?? Infinity,
      srttMs: this.rto.srtt,
      rttvarMs: this.rto.rttvar,
      rtoMs: this.rto.rtoMs,
      sendBuffered: this.sendBuf.length,
      receiveBuffered: this.recvBuf.readable,
      outOfOrderBytes: this.recvBuf.oooBytes,
      counters: { ...this.counters },
    };
  }
}

function ipText(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

export type { NetsimErrorCode };
