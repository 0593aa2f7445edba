// The socket tap: records what real `net` and `dgram` sockets carried as Ethernet/IP/TCP and UDP
// frames in one pcapng (interface "netlab-tap"), with the sockets' real addresses and ports, so
// Wireshark's TCP analysis and its HTTP, TLS and DNS dissectors work on it.
//
//   const tap = new TapRecorder({ path: 'echo.pcapng' });
//   server.on('connection', (s) => tap.tcp(s));            // or tap.tcp(net.connect(...)) on the client
//   tap.udp(dgramSocket);
//   ...
//   await tap.close();                                     // flushes and closes the file
//
// What each connection becomes (tcp-synth.ts): SYN / SYN-ACK / ACK with MSS 1460 and window 65535,
// data cut to the MSS with consistent sequence and ACK numbers, the receiver's ACKs, FIN/ACK for
// end(), RST/ACK for resetAndDestroy(), destroy(err) and a peer's reset. Timestamps: the wall clock at
// start plus process.hrtime (or the clock given). MACs: see tap-frames.ts. Tap one side of each
// connection (the second tap of the same connection is ignored).
//
// Fixed mode (`fixed: true`, for fixtures that must be byte-identical on every machine):
//   - frames are kept per connection and written at close(), connection after connection in the
//     order they were tapped, each timestamp read from the given clock at that moment;
//   - ports are remapped: a port named with fixPort(real, shown) is shown as given; other server
//     ports become 8000, 8001, ... and client ports 49152, 49153, ... in that order; addresses are kept
//     (labs choose them);
//   - initial sequence numbers and IP IDs come from `random32` (seeded), drawn in that order;
//   - received bytes are joined until the other side sends (or closes): how the kernel cut a stream
//     into reads varies from run to run, the bytes and their order do not.
// Fixed mode is deterministic when each connection's exchange is (request, then response) and
// connections are tapped in a fixed order (tap the client side of concurrent connections).

import { randomBytes } from 'node:crypto';
import type { Socket as DgramSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import { PcapngWriter } from './pcapng-writer.ts';
import { hookTcpSocket, hookUdpSocket, type TcpHookEvents, type UdpPeer } from './tap-hooks.ts';
import { tapEndpoint, tcpFrame, udpFrame, type TapEndpoint } from './tap-frames.ts';
import { TcpSynth, type TcpSegment, type TcpSide } from './tcp-synth.ts';
import { NetlabError, NetlabRangeError } from '../base/errors.ts';

export type { TapEndpoint } from './tap-frames.ts';

export interface TapTimestamp {
  readonly sec: number;
  readonly nsec: number;
}

/** What the tap reads the time from (netlab's lab Clock fits). */
export interface TapClock {
  now(): TapTimestamp;
}

export interface TapOptions {
  /** Stream the capture to this file; without it the capture stays in memory (toBytes()). */
  readonly path?: string;
  readonly clock?: TapClock;
  /** Unsigned 32-bit random numbers for ISNs and IP IDs (default: crypto). */
  readonly random32?: () => number;
  /** Fixture mode, see the file comment. */
  readonly fixed?: boolean;
  /** MSS both sides announce (default 1460). */
  readonly mss?: number;
  /** Window both sides announce (default 65535). */
  readonly window?: number;
  /** A comment on the pcapng section. */
  readonly comment?: string;
}

export interface TcpTapOptions {
  /** Which end of the connection this socket is; default: 'server' for a socket a server accepted. */
  readonly role?: 'client' | 'server';
  /**
   * How the socket is watched (default hookTcpSocket). A TLS connection runs over a relay and delivers
   * received bytes to the tap only after TLS has read them, so that the key log lines they produce
   * are written before them (see src/tls/tap-transport.ts).
   */
  readonly hook?: (socket: Socket, events: TcpHookEvents) => () => void;
}

/** A frame the tap wrote. */
export interface TapFrame {
  readonly sec: number;
  readonly nsec: number;
  readonly data: Uint8Array;
  readonly comments: readonly string[];
}

/** What one tapped connection or UDP conversation carried. */
export interface TapFlowInfo {
  readonly proto: 'tcp' | 'udp';
  /** Real endpoints (also in fixed mode). */
  readonly client: TapEndpoint;
  readonly server: TapEndpoint;
  readonly clientBytes: number;
  readonly serverBytes: number;
  /** For TCP: 'open', 'closed' (both FINs), 'reset'. */
  readonly state: 'open' | 'closed' | 'reset';
}

/** A handle on one tapped socket. */
export interface SocketTap {
  /** Attaches a pcapng comment to the next frame this socket's traffic produces. */
  comment(text: string): void;
  /** Stops watching the socket (nothing more is recorded for it). */
  detach(): void;
}

interface Pending {
  from: TcpSide;
  seg?: TcpSegment;
  datagram?: Uint8Array;
  comments: string[];
}

interface Flow {
  readonly proto: 'tcp' | 'udp';
  client: TapEndpoint;
  server: TapEndpoint;
  synth?: TcpSynth;
  /** Initial sequence numbers and next IP IDs (drawn at the start, or at close() in fixed mode). */
  isn: Record<TcpSide, number>;
  ipId: Record<TcpSide, number>;
  bytes: Record<TcpSide, number>;
  /** Fixed mode: the frames to write at close(). */
  readonly pending: Pending[];
  comments: string[];
  /**
   * TCP: the tapped socket is gone. A connection that later uses the same addresses and ports (the
   * kernel reuses a 4-tuple on loopback soon after it closes) is a new flow, not this one's other end.
   */
  ended?: boolean;
  /** Fixed mode: bytes received but not yet turned into segments (joined until the other side sends). */
  held?: { from: TcpSide; parts: Uint8Array[] };
}

type TcpFlow = Flow & { synth: TcpSynth };

const FIRST_CLIENT_PORT = 49152;
const FIRST_SERVER_PORT = 8000;
const NS = 1_000_000_000;

function defaultClock(): TapClock {
  const wallBase = BigInt(Date.now()) * 1_000_000n;
  const monoBase = process.hrtime.bigint();
  return {
    now: () => {
      const ns = wallBase + (process.hrtime.bigint() - monoBase);
      return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
    },
  };
}

const cryptoRandom32 = (): number => randomBytes(4).readUInt32LE(0);

const endpointKey = (e: TapEndpoint): string => `${e.address}|${e.port}`;
const flowKey = (proto: string, a: TapEndpoint, b: TapEndpoint): string => {
  const [x, y] = [endpointKey(a), endpointKey(b)].sort();
  return `${proto} ${x} ${y}`;
};

/** Records tapped sockets into one pcapng (interface "netlab-tap", Ethernet). */
export class TapRecorder {
  readonly fixed: boolean;
  private readonly writer: PcapngWriter;
  private readonly clock: TapClock;
  private readonly random32: () => number;
  private readonly mss: number | undefined;
  private readonly window: number | undefined;
  private readonly flows: Flow[] = [];
  private readonly flowByKey = new Map<string, Flow>();
  private readonly unhooks = new Set<() => void>();
  private readonly shownPorts = new Map<number, number>();
  /** Local endpoints of tapped UDP sockets. */
  private readonly udpEnds = new Set<string>();
  private readonly written: TapFrame[] = [];
  private last: TapTimestamp = { sec: 0, nsec: 0 };
  private closing: Promise<void> | undefined;
  /** TLS key log lines seen (each is written once); fixed mode: those to write at close(). */
  private readonly keyLines = new Set<string>();
  private readonly heldKeyLines: string[] = [];

  constructor(options: TapOptions = {}) {
    this.fixed = options.fixed === true;
    this.clock = options.clock ?? defaultClock();
    this.random32 = options.random32 ?? cryptoRandom32;
    this.mss = options.mss;
    this.window = options.window;
    new TcpSynth({ mss: this.mss, window: this.window }); // validates mss and window now
    const writerOptions = {
      comment: options.comment,
      interfaces: [{ linkType: 1, name: 'netlab-tap', description: 'netlab socket tap: frames synthesized from socket I/O' }],
    };
    this.writer = options.path !== undefined ? PcapngWriter.toFile(options.path, writerOptions) : new PcapngWriter(writerOptions);
  }

  /** Fixed mode: show `realPort` as `shownPort` in the capture (e.g. a lab's echo server as port 7). */
  fixPort(realPort: number, shownPort: number): void {
    if (!Number.isInteger(shownPort) || shownPort < 1 || shownPort > 0xffff) throw new NetlabRangeError(`fixPort: port ${shownPort} is not 1..65535`);
    this.shownPorts.set(realPort, shownPort);
  }

  /** Frames written so far (all of them once closed). */
  get frames(): readonly TapFrame[] {
    return this.written;
  }

  /** The tapped connections and conversations, in the order they started. */
  get flowInfo(): TapFlowInfo[] {
    return this.flows.map((f) => ({
      proto: f.proto,
      client: f.client,
      server: f.server,
      clientBytes: f.bytes.client,
      serverBytes: f.bytes.server,
      state: f.synth === undefined ? 'open' : f.synth.state === 'reset' ? 'reset' : f.synth.closed ? 'closed' : 'open',
    }));
  }

  /** Taps a TCP socket: a client's socket from net.connect() (tap it at once) or an accepted one. */
  tcp(socket: Socket, options: TcpTapOptions = {}): SocketTap {
    this.assertOpen();
    if ((socket as unknown as { encrypted?: unknown }).encrypted === true) {
      // A TLSSocket's own stream methods carry the plaintext; the ciphertext never passes through them.
      throw new NetlabError(
        'ERR_ARGUMENT',
        'TapRecorder.tcp: this is a TLS socket; tap the TCP connection under it (src/tls/tap-transport.ts runs TLS over a tapped socket)',
      );
    }
    // Node sets `server` on the sockets a server accepts (null on the ones net.connect() makes).
    const accepted = (socket as unknown as { server?: unknown }).server != null;
    const role: TcpSide = options.role ?? (accepted ? 'server' : 'client');
    const peerRole: TcpSide = role === 'client' ? 'server' : 'client';
    let flow: TcpFlow | undefined;
    let unhook: (() => void) | undefined;
    let ignored = false;
    const early: { kind: 'sent' | 'fin'; bytes?: Uint8Array }[] = [];
    const comments: string[] = [];
    const emit = (f: Flow, segs: TcpSegment[]): void =>
      this.record(
        f,
        segs.map((seg) => ({ from: seg.from, seg, comments: [] })),
      );
    const live = (): TcpFlow | undefined => (ignored ? undefined : flow);
    const sendData = (f: TcpFlow, from: TcpSide, bytes: Uint8Array): void => {
      f.bytes[from] += bytes.length;
      if (!this.fixed) return emit(f, f.synth.data(from, bytes));
      // Fixed mode: join what one side sends until the other side speaks.
      if (f.held !== undefined && f.held.from !== from) this.release(f);
      f.held ??= { from, parts: [] };
      f.held.parts.push(Uint8Array.from(bytes));
    };
    const finish = (f: TcpFlow, from: TcpSide, kind: 'fin' | 'rst'): void => {
      this.release(f);
      emit(f, kind === 'fin' ? f.synth.fin(from) : f.synth.reset(from));
    };
    const stop = (): void => {
      ignored = true;
      if (flow !== undefined) flow.ended = true;
      if (unhook !== undefined) {
        this.unhooks.delete(unhook);
        unhook();
      }
    };
    unhook = (options.hook ?? hookTcpSocket)(socket, {
      connected: () => {
        const local = tapEndpoint(socket.localAddress, socket.localPort);
        const remote = tapEndpoint(socket.remoteAddress, socket.remotePort);
        if (local === undefined || remote === undefined) return stop();
        const client = role === 'client' ? local : remote;
        const server = role === 'client' ? remote : local;
        const key = flowKey('tcp', client, server);
        const existing = this.flowByKey.get(key);
        if ((existing !== undefined && existing.ended !== true) || this.closing !== undefined) return stop(); // the other end is tapped already
        const f: TcpFlow = Object.assign(this.newFlow('tcp', client, server), { synth: new TcpSynth({ mss: this.mss, window: this.window }) });
        this.flowByKey.set(key, f);
        flow = f;
        f.comments.push(...comments.splice(0));
        emit(f, f.synth.handshake());
        for (const e of early.splice(0)) {
          if (e.kind === 'sent' && e.bytes !== undefined) sendData(f, role, e.bytes);
          else finish(f, role, 'fin');
        }
      },
      sent: (bytes) => {
        const f = live();
        if (f !== undefined) sendData(f, role, bytes);
        else if (!ignored) early.push({ kind: 'sent', bytes: Uint8Array.from(bytes) });
      },
      received: (bytes) => {
        const f = live();
        if (f !== undefined) sendData(f, peerRole, bytes);
      },
      localFin: () => {
        const f = live();
        if (f !== undefined) finish(f, role, 'fin');
        else if (!ignored) early.push({ kind: 'fin' });
      },
      peerFin: () => {
        const f = live();
        if (f !== undefined) finish(f, peerRole, 'fin');
      },
      destroyed: (reset) => {
        const f = live();
        if (f !== undefined && f.synth.state === 'open') {
          if (reset !== null) finish(f, reset === 'local' ? role : peerRole, 'rst');
          else if (!f.synth.finished(role))
            finish(f, role, 'fin'); // closed without end(): the kernel sends a FIN
          else this.release(f);
        }
        stop();
      },
    });
    if (ignored) stop();
    else this.unhooks.add(unhook);
    return {
      comment: (text) => {
        const f = live();
        if (f !== undefined) f.comments.push(text);
        else comments.push(text);
      },
      detach: () => {
        const f = live();
        if (f !== undefined) this.release(f);
        stop();
      },
    };
  }

  /**
   * Taps a UDP socket: every datagram it sends or receives. The side that sends a conversation's first
   * datagram is its client. The address family is the socket's type (udp4 / udp6).
   */
  udp(socket: DgramSocket, family?: 4 | 6): SocketTap {
    this.assertOpen();
    const fam: 4 | 6 = family ?? ((socket as unknown as { type?: string }).type === 'udp6' ? 6 : 4);
    const comments: string[] = [];
    const localEndpoint = (): TapEndpoint | undefined => {
      try {
        const a = socket.address();
        return tapEndpoint(a.address === '0.0.0.0' ? '127.0.0.1' : a.address === '::' ? '::1' : a.address, a.port);
      } catch {
        return undefined;
      }
    };
    const datagram = (fromLocal: boolean, bytes: Uint8Array, peer: UdpPeer): void => {
      if (this.closing !== undefined) return;
      const local = localEndpoint();
      const remote = tapEndpoint(peer.address, peer.port);
      if (local === undefined || remote === undefined) return;
      const src = fromLocal ? local : remote;
      const dst = fromLocal ? remote : local;
      const key = flowKey('udp', src, dst);
      // When both ends are tapped, the sending end records the datagram and the receiving end does not.
      if (!fromLocal && this.udpEnds.has(endpointKey(remote))) return;
      this.udpEnds.add(endpointKey(local));
      let f = this.flowByKey.get(key);
      if (f === undefined) {
        f = this.newFlow('udp', src, dst);
        this.flowByKey.set(key, f);
      }
      const from: TcpSide = endpointKey(src) === endpointKey(f.client) ? 'client' : 'server';
      f.comments.push(...comments.splice(0));
      f.bytes[from] += bytes.length;
      this.record(f, [{ from, datagram: Uint8Array.from(bytes), comments: [] }]);
    };
    const noteLocal = (): void => {
      const local = localEndpoint();
      if (local !== undefined) this.udpEnds.add(endpointKey(local));
    };
    noteLocal(); // already bound
    socket.once('listening', noteLocal);
    const unhook = hookUdpSocket(socket, fam, {
      sent: (bytes, to) => datagram(true, bytes, to),
      received: (bytes, from) => datagram(false, bytes, from),
    });
    this.unhooks.add(unhook);
    socket.once('close', () => {
      this.unhooks.delete(unhook);
      unhook();
    });
    return {
      comment: (text) => comments.push(text),
      detach: () => {
        this.unhooks.delete(unhook);
        unhook();
      },
    };
  }

  /**
   * Adds TLS key log lines (NSS key log format, as Node's 'keylog' event gives them) to the capture as
   * a Decryption Secrets Block, so Wireshark decrypts the TLS it carries with no settings. Written at
   * once (before the frames recorded after it; Wireshark needs the keys before the records they
   * decrypt), in fixed mode before all frames at close(). Lines already written are skipped.
   */
  tlsKeyLog(text: string): void {
    if (this.closing !== undefined) return;
    const fresh: string[] = [];
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || this.keyLines.has(line)) continue;
      this.keyLines.add(line);
      fresh.push(line);
    }
    if (fresh.length === 0) return;
    if (this.fixed) this.heldKeyLines.push(...fresh);
    else this.writer.writeTlsKeyLog(fresh.join('\n') + '\n');
  }

  /** Stops watching every socket, writes what is pending and closes the file. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const u of [...this.unhooks]) u();
      this.unhooks.clear();
      for (const f of this.flows) this.release(f);
      if (this.fixed) this.writeFixed();
      await this.writer.close();
    })();
    return this.closing;
  }

  /** The capture (in-memory recorders only, after close()). */
  toBytes(): Uint8Array {
    return this.writer.toBytes();
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new NetlabError('ERR_STATE', 'TapRecorder: tap after close()');
  }

  private newFlow(proto: 'tcp' | 'udp', client: TapEndpoint, server: TapEndpoint): Flow {
    const zero = (): Record<TcpSide, number> => ({ client: 0, server: 0 });
    const f: Flow = { proto, client, server, isn: zero(), ipId: zero(), bytes: zero(), pending: [], comments: [] };
    if (!this.fixed) this.drawNumbers(f);
    this.flows.push(f);
    return f;
  }

  private drawNumbers(f: Flow): void {
    f.isn = { client: this.random32() >>> 0, server: this.random32() >>> 0 };
    f.ipId = { client: this.random32() & 0xffff, server: this.random32() & 0xffff };
  }

  /** Fixed mode: turns the bytes held for a flow into segments. */
  private release(f: Flow): void {
    const held = f.held;
    if (held === undefined || f.synth === undefined) return;
    f.held = undefined;
    const total = held.parts.reduce((n, p) => n + p.length, 0);
    const all = new Uint8Array(total);
    let at = 0;
    for (const p of held.parts) {
      all.set(p, at);
      at += p.length;
    }
    const segs = f.synth.data(held.from, all);
    this.record(
      f,
      segs.map((seg) => ({ from: seg.from, seg, comments: [] })),
    );
  }

  private record(f: Flow, items: Pending[]): void {
    if (items.length === 0) return;
    items[0].comments.push(...f.comments.splice(0));
    if (this.fixed) {
      f.pending.push(...items);
      return;
    }
    const t = this.clock.now();
    for (const p of items) this.writeFrame(f, p, f.client, f.server, t);
  }

  /** Writes a frame; timestamps never go backwards (frames of one event are 1 µs apart). */
  private writeFrame(f: Flow, p: Pending, client: TapEndpoint, server: TapEndpoint, t: TapTimestamp): void {
    let ts = t;
    if (ts.sec < this.last.sec || (ts.sec === this.last.sec && ts.nsec <= this.last.nsec)) {
      const ns = this.last.nsec + 1000;
      ts = ns >= NS ? { sec: this.last.sec + 1, nsec: ns - NS } : { sec: this.last.sec, nsec: ns };
    }
    this.last = ts;
    const src = p.from === 'client' ? client : server;
    const dst = p.from === 'client' ? server : client;
    const ipId = f.ipId[p.from];
    f.ipId[p.from] = (ipId + 1) & 0xffff;
    let data: Uint8Array;
    if (p.seg !== undefined) {
      const isn = f.isn;
      const peer: TcpSide = p.from === 'client' ? 'server' : 'client';
      data = tcpFrame(src, dst, { ...p.seg, seq: (p.seg.seq + isn[p.from]) >>> 0, ack: p.seg.flags === 'S' ? 0 : (p.seg.ack + isn[peer]) >>> 0 }, ipId);
    } else {
      data = udpFrame(src, dst, p.datagram ?? new Uint8Array(0), ipId);
    }
    const frame: TapFrame = { sec: ts.sec, nsec: ts.nsec, data, comments: p.comments };
    this.written.push(frame);
    this.writer.write({ tsSec: ts.sec, tsNsec: ts.nsec, data, comments: p.comments });
  }

  /** Fixed mode: ports remapped, numbers drawn and frames written flow by flow. */
  private writeFixed(): void {
    if (this.heldKeyLines.length > 0) this.writer.writeTlsKeyLog(this.heldKeyLines.join('\n') + '\n');
    const shown = new Map<string, number>();
    let nextClient = FIRST_CLIENT_PORT;
    let nextServer = FIRST_SERVER_PORT;
    const map = (e: TapEndpoint, role: TcpSide): TapEndpoint => {
      const key = endpointKey(e);
      let port = shown.get(key);
      if (port === undefined) {
        port = this.shownPorts.get(e.port) ?? (role === 'client' ? nextClient++ : nextServer++);
        shown.set(key, port);
      }
      return { ...e, port };
    };
    for (const f of this.flows) {
      this.drawNumbers(f);
      const client = map(f.client, 'client');
      const server = map(f.server, 'server');
      for (const p of f.pending) this.writeFrame(f, p, client, server, this.clock.now());
    }
  }
}
