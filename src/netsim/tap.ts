// Taps on the virtual network: a tapped port records every frame it sends (outbound) and receives
// (inbound) into one pcapng file, one Interface Description Block per tapped port, named after it
// (`h1-eth0`, `sw1-p2`), with the direction in each packet's epb_flags, so Wireshark's
// "Capture File Properties" lists the interfaces and `frame.interface_name == "sw1-p2"` filters one.
// The same frames can also go to a LiveFeed (live-feed.ts) for a running Wireshark.
//
//   const tap = NetTap.toFile('out/net.pcapng');
//   const watched = tap.port(port);                 // use `watched` where `port` was used
//   ...
//   await tap.close();

import { PcapngWriter } from '../capture/pcapng-writer.ts';
import { LINKTYPE } from '../capture/link-types.ts';
import type { LiveFeed } from './live-feed.ts';
import type { FramePort } from './port.ts';
import { NetlabError, NetlabRangeError } from '../base/errors.ts';

/** Wall-clock time of a frame: seconds and nanoseconds since the epoch. */
export type TapTime = () => { sec: number; nsec: number };

export interface NetTapOptions {
  /** Time source (default: the machine's wall clock, with the monotonic clock's resolution). */
  time?: TapTime;
  /** Also publish each frame to this live feed, under the tapped port's segment name. */
  live?: LiveFeed;
  /** Comment on the capture's section. */
  comment?: string;
}

export function wallClock(): TapTime {
  const epochNs = BigInt(Date.now()) * 1_000_000n;
  const start = process.hrtime.bigint();
  return () => {
    const ns = epochNs + (process.hrtime.bigint() - start);
    return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
  };
}

export class NetTap {
  private readonly writer: PcapngWriter | undefined;
  private readonly time: TapTime;
  private readonly live: LiveFeed | undefined;
  private readonly ids = new Map<string, number>();
  private closed = false;
  /** Frames written. */
  frames = 0;

  /** `writer` undefined: frames go to the live feed only. */
  constructor(writer: PcapngWriter | undefined, options: NetTapOptions = {}) {
    this.writer = writer;
    this.time = options.time ?? wallClock();
    this.live = options.live;
  }

  /** A tap writing into a pcapng file. */
  static toFile(path: string, options: NetTapOptions = {}): NetTap {
    return new NetTap(PcapngWriter.toFile(path, { comment: options.comment }), options);
  }

  /** A tap that writes no file and only publishes to a live feed (for Wireshark through extcap). */
  static liveOnly(live: LiveFeed): NetTap {
    return new NetTap(undefined, { live });
  }

  /** A tap holding the capture in memory (see bytes()). */
  static inMemory(options: NetTapOptions = {}): NetTap {
    return new NetTap(new PcapngWriter({ comment: options.comment }), options);
  }

  /** The tapped ports' names, in IDB order. */
  get interfaces(): string[] {
    return [...this.ids.keys()];
  }

  /**
   * Wraps `port` so that what it sends and receives is recorded under the interface `name` (default:
   * the port's name). `segment` names it in the live feed (default: the same).
   */
  port(port: FramePort, name = port.name, description?: string): FramePort {
    if (this.ids.has(name)) throw new NetlabRangeError(`NetTap: interface ${name} is tapped already`);
    const id = this.writer?.addInterface({ linkType: LINKTYPE.ETHERNET, name, ...(description === undefined ? {} : { description }) }) ?? this.ids.size;
    this.ids.set(name, id);
    this.live?.addSegment(name, description ?? name);
    return {
      name: port.name,
      send: (frame) => {
        this.record(id, name, frame, 'outbound');
        port.send(frame);
      },
      onFrame: (handler) => {
        port.onFrame((frame) => {
          this.record(id, name, frame, 'inbound');
          handler(frame);
        });
      },
      close: () => port.close(),
    };
  }

  /** The capture so far (in-memory taps only). */
  bytes(): Uint8Array {
    if (this.writer === undefined) throw new NetlabError('ERR_STATE', 'NetTap: a live-only tap keeps no capture');
    return this.writer.toBytes();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writer?.close();
  }

  private record(id: number, name: string, frame: Uint8Array, direction: 'inbound' | 'outbound'): void {
    if (this.closed) return;
    const t = this.time();
    this.writer?.write({ tsSec: t.sec, tsNsec: t.nsec, data: frame, interfaceId: id, direction });
    this.frames++;
    this.live?.publish(name, frame);
  }
}
