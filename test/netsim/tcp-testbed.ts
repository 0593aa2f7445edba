// Wiring for the TCP tests: two hosts on delay links driven by a ManualClock (so every segment's time
// is exact and the tests never wait), optional seeded impairments on each direction, a log of every
// frame each host sent, and the TCP segments in it read back (seq/ack relative or absolute).

import { ManualClock } from '../../src/base/timer-clock.ts';
import { seededRandom } from '../../src/base/random.ts';
import { Host } from '../../src/netsim/host.ts';
import { readDatagram } from '../../src/netsim/host-ipv4.ts';
import { impair, type ImpairmentOptions } from '../../src/netsim/impairment.ts';
import { delayLink, type FramePort } from '../../src/netsim/port.ts';
import { readSegment, flagText } from '../../src/netsim/tcp/segment.ts';
import type { TcpSettings } from '../../src/netsim/tcp/settings.ts';
import { Switch } from '../../src/netsim/switch.ts';

export interface SentFrame {
  t: number;
  from: string;
  frame: Uint8Array;
}

/** The TCP segment in a frame, or undefined. */
export function segmentOf(frame: Uint8Array): ReturnType<typeof readSegment> | undefined {
  if (frame[12] !== 0x08 || frame[13] !== 0x00) return undefined;
  const d = readDatagram(frame, 14);
  if (typeof d === 'string' || d.protocol !== 6) return undefined;
  return readSegment(d);
}

export interface Seg {
  t: number;
  from: string;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: string;
  len: number;
  win: number;
  options: ReturnType<typeof readSegment> extends infer S ? (S extends { options: infer O } ? O : never) : never;
  data: Uint8Array;
}

/** Which frames a host's link lets through (the test sets it to cut or thin the wire); true passes. */
export type FrameFilter = (frame: Uint8Array) => boolean;

/** Wraps a port so every frame it sends is logged with the clock's time (then passed if `filter` allows). */
export function logged(p: FramePort, from: string, clock: ManualClock, log: SentFrame[], filter: { fn?: FrameFilter } = {}): FramePort {
  return {
    name: p.name,
    send(frame) {
      log.push({ t: clock.now(), from, frame: frame.slice() });
      if (filter.fn === undefined || filter.fn(frame)) p.send(frame);
    },
    onFrame: (h) => p.onFrame(h),
    close: () => p.close(),
  };
}

/** The TCP segments in a frame log (frames that are not IPv4/TCP skipped). */
export function segments(log: readonly SentFrame[]): Seg[] {
  const out: Seg[] = [];
  for (const f of log) {
    if (f.frame[12] !== 0x08 || f.frame[13] !== 0x00) continue;
    const d = readDatagram(f.frame, 14);
    if (typeof d === 'string' || d.protocol !== 6) continue;
    const s = readSegment(d);
    if (typeof s === 'string') throw new Error(`a host sent a bad segment: ${s}`);
    out.push({
      t: f.t,
      from: f.from,
      sport: s.srcPort,
      dport: s.dstPort,
      seq: s.seq,
      ack: s.ack,
      flags: flagText(s.flags),
      len: s.data.length,
      win: s.window,
      options: s.options,
      data: s.data,
    });
  }
  return out;
}

export interface Pair {
  clock: ManualClock;
  h1: Host;
  h2: Host;
  log: SentFrame[];
  ports: { h1: FramePort; h2: FramePort };
  /** Set `filter.h1.fn` / `filter.h2.fn` to drop chosen frames a host sends (after they are logged). */
  filter: { h1: { fn?: FrameFilter }; h2: { fn?: FrameFilter } };
  /** Advances the clock by `ms` in steps (so timers run at their times). */
  run(ms: number): void;
  close(): Promise<void>;
}

export interface PairOptions {
  /** One-way delay (ms). Default 5. */
  delayMs?: number;
  tcp?: TcpSettings;
  tcp1?: TcpSettings;
  tcp2?: TcpSettings;
  /** Impairments on frames h1 sends, and on frames h2 sends. */
  impair1?: ImpairmentOptions;
  impair2?: ImpairmentOptions;
  seed?: string;
}

/** h1 10.0.0.1 <-> h2 10.0.0.2 on one delay link; ARP already done. */
export function pair(o: PairOptions = {}): Pair {
  const clock = new ManualClock(0);
  const log: SentFrame[] = [];
  const [a, b] = delayLink('h1-eth0', 'h2-eth0', clock, o.delayMs ?? 5);
  const filter = { h1: {} as { fn?: FrameFilter }, h2: {} as { fn?: FrameFilter } };
  let pa: FramePort = logged(a, 'h1', clock, log, filter.h1);
  let pb: FramePort = logged(b, 'h2', clock, log, filter.h2);
  if (o.impair1 !== undefined) pa = impair(pa, o.impair1, clock);
  if (o.impair2 !== undefined) pb = impair(pb, o.impair2, clock);
  const seed = o.seed ?? 'tcp-test';
  const h1 = new Host({ name: 'h1', clock, random: seededRandom(`${seed}-h1`), tcp: { ...o.tcp, ...o.tcp1 } });
  const h2 = new Host({ name: 'h2', clock, random: seededRandom(`${seed}-h2`), tcp: { ...o.tcp, ...o.tcp2 } });
  h1.addInterface({ name: 'eth0', port: pa, mac: '02:00:00:00:00:01', address: '10.0.0.1/24', announce: false });
  h2.addInterface({ name: 'eth0', port: pb, mac: '02:00:00:00:00:02', address: '10.0.0.2/24', announce: false });
  const run = (ms: number): void => {
    const end = clock.now() + ms;
    while (clock.now() < end) clock.advance(Math.min(1, end - clock.now()));
  };
  // Resolve ARP both ways before the test's segments (a ping each way).
  void h1.ping('10.0.0.2', { count: 1, timeoutMs: 100 }).catch(() => undefined);
  void h2.ping('10.0.0.1', { count: 1, timeoutMs: 100 }).catch(() => undefined);
  run(50);
  log.length = 0;
  return {
    clock,
    h1,
    h2,
    log,
    ports: { h1: pa, h2: pb },
    filter,
    run,
    async close() {
      await h1.close();
      await h2.close();
    },
  };
}

/** Two hosts and a third on a learning switch (for the HTTP test). */
export function switched(o: { delayMs?: number; tcp?: TcpSettings } = {}) {
  const clock = new ManualClock(0);
  const log: SentFrame[] = [];
  const sw = new Switch({ name: 'sw1', clock });
  const hosts: Host[] = [];
  for (let i = 1; i <= 2; i++) {
    const [hp, sp] = delayLink(`h${i}-eth0`, `sw1-p${i}`, clock, o.delayMs ?? 1);
    sw.addPort(sp, { mode: 'access', vlan: 1 });
    const h = new Host({ name: `h${i}`, clock, random: seededRandom(`sw-h${i}`), tcp: o.tcp });
    h.addInterface({ name: 'eth0', port: logged(hp, `h${i}`, clock, log), mac: `02:00:00:00:00:0${i}`, address: `10.0.0.${i}/24`, announce: false });
    hosts.push(h);
  }
  const run = (ms: number): void => {
    const end = clock.now() + ms;
    while (clock.now() < end) clock.advance(Math.min(1, end - clock.now()));
  };
  return {
    clock,
    sw,
    h1: hosts[0],
    h2: hosts[1],
    log,
    run,
    async close() {
      for (const h of hosts) await h.close();
      await sw.close();
    },
  };
}
