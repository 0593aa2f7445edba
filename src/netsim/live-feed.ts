// A live feed of a running topology's frames, for Wireshark: each segment (a link, a switch, a port)
// publishes the frames it carries, and any number of watchers (the `netlab extcap` processes that
// Wireshark or tshark start) connect over TCP on 127.0.0.1 and receive them as they happen.
//
// Protocol (line, then binary): the watcher sends `WATCH SEGMENT\n`; the feed answers `OK\n` (or
// `ERR reason\n` and closes), then sends one record per frame: seconds (u32), nanoseconds (u32),
// length (u32), all big-endian, then the Ethernet frame. A watcher that cannot keep up (more than
// MAX_BACKLOG bytes queued) loses frames rather than grow the feed's memory; drops are counted.
// Watchers in the same process (the lab page, src/view/topology.ts) subscribe with `local()` and get
// the same published frames, with the sending port when the publisher names it.

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { announce, runtimeDir } from './live-registry.ts';
import { NetlabRangeError } from '../base/errors.ts';

const MAX_BACKLOG = 4 * 1024 * 1024;
const MAX_REQUEST_LINE = 512;
const REQUEST_TIMEOUT_MS = 5_000;

export interface LiveFeedOptions {
  /** Names the topology in interface names (`netlab-TOPOLOGY-SEGMENT`). */
  topology: string;
  /** Folder for the announcement (default: runtimeDir()). */
  dir?: string;
  /** Wall clock in nanoseconds since the epoch (tests may fix it). */
  now?: () => bigint;
}

interface Watcher {
  socket: Socket;
  segment: string;
}

/** A frame as a watcher in this process gets it. */
export interface LiveFrame {
  segment: string;
  frame: Uint8Array;
  /** Wall-clock nanoseconds since the epoch, as sent to the TCP watchers. */
  time: bigint;
  /** The sending port, when the publisher names it (`h1-eth0`). */
  from?: string;
}

export class LiveFeed {
  private readonly server: Server;
  private readonly segments = new Map<string, string>();
  private readonly watchers = new Set<Watcher>();
  private readonly locals = new Set<(f: LiveFrame) => void>();
  private announcementPath: string | undefined;
  private port = 0;
  /** Frames a slow watcher did not get. */
  dropped = 0;

  private readonly now: () => bigint;

  constructor(private readonly options: LiveFeedOptions) {
    this.server = createServer((s) => this.accept(s));
    // Wall-clock nanoseconds: the epoch at start plus the monotonic clock since.
    const epoch = BigInt(Date.now()) * 1_000_000n;
    const start = process.hrtime.bigint();
    this.now = options.now ?? (() => epoch + (process.hrtime.bigint() - start));
  }

  /** Listens on 127.0.0.1 (port 0) and announces the segments added so far. */
  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.writeAnnouncement();
  }

  /** Adds a segment that Wireshark will list as an interface. */
  addSegment(name: string, description = name): void {
    if (name === '' || name.includes('\n')) throw new NetlabRangeError(`segment name must be a non-empty single line, got ${JSON.stringify(name)}`);
    this.segments.set(name, description);
    if (this.port !== 0) this.writeAnnouncement();
  }

  /** The number of watchers of a segment (labs can wait for Wireshark to attach). */
  watching(segment: string): number {
    let n = 0;
    for (const w of this.watchers) if (w.segment === segment) n++;
    return n;
  }

  /** The segments announced so far. */
  get segmentNames(): string[] {
    return [...this.segments.keys()];
  }

  /** Calls `fn` for every frame published from now on, on any segment; returns the function that stops it. */
  local(fn: (f: LiveFrame) => void): () => void {
    this.locals.add(fn);
    return () => this.locals.delete(fn);
  }

  /** Sends a frame to the segment's watchers (`from`: the sending port, for local watchers). Cheap when nobody watches. */
  publish(segment: string, frame: Uint8Array, from?: string): void {
    if (this.watchers.size === 0 && this.locals.size === 0) return;
    const t = this.now();
    if (this.locals.size > 0) {
      const f: LiveFrame = { segment, frame, time: t, ...(from === undefined ? {} : { from }) };
      for (const fn of this.locals) fn(f);
    }
    let record: Buffer | undefined;
    for (const w of this.watchers) {
      if (w.segment !== segment) continue;
      if (w.socket.writableLength > MAX_BACKLOG) {
        this.dropped++;
        continue;
      }
      if (record === undefined) {
        record = Buffer.alloc(12 + frame.length);
        record.writeUInt32BE(Number(t / 1_000_000_000n) >>> 0, 0);
        record.writeUInt32BE(Number(t % 1_000_000_000n), 4);
        record.writeUInt32BE(frame.length, 8);
        record.set(frame, 12);
      }
      w.socket.write(record);
    }
  }

  /** Stops listening, ends every watcher and removes the announcement. */
  async close(): Promise<void> {
    if (this.announcementPath !== undefined) rmSync(this.announcementPath, { force: true });
    this.announcementPath = undefined;
    for (const w of this.watchers) w.socket.destroy();
    this.watchers.clear();
    this.locals.clear();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private writeAnnouncement(): void {
    const segments = [...this.segments].map(([name, description]) => ({ name, description }));
    this.announcementPath = announce(
      { pid: process.pid, topology: this.options.topology, host: '127.0.0.1', port: this.port, segments },
      this.options.dir ?? runtimeDir(),
    );
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy());
    let line = '';
    const onData = (chunk: Buffer): void => {
      line += chunk.toString('latin1');
      const nl = line.indexOf('\n');
      if (nl < 0) {
        if (line.length > MAX_REQUEST_LINE) socket.end('ERR request line too long\n');
        return;
      }
      socket.off('data', onData);
      socket.setTimeout(0);
      const m = /^WATCH (.+)$/.exec(line.slice(0, nl).trim());
      if (m === null) {
        socket.end('ERR expected "WATCH SEGMENT"\n');
        return;
      }
      if (!this.segments.has(m[1])) {
        socket.end(`ERR no segment ${JSON.stringify(m[1])} (segments: ${[...this.segments.keys()].join(', ')})\n`);
        return;
      }
      const w: Watcher = { socket, segment: m[1] };
      this.watchers.add(w);
      socket.on('close', () => this.watchers.delete(w));
      socket.on('data', () => undefined); // nothing more is expected from a watcher
      socket.write('OK\n');
    };
    socket.on('data', onData);
  }
}
