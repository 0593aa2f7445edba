// Test wiring for the host/router tests: memory links that record every frame sent on them (each frame
// once, with the link's name and the sender), a way to let setImmediate deliveries run, a raw end of a
// link for crafted frames, and the two-router line the router, traceroute and tshark tests share:
//
//   h1 10.0.1.10 --lan1-- 10.0.1.1 r1 10.0.2.1 --core-- 10.0.2.2 r2 10.0.3.1 --lan2-- 10.0.3.20 h2

import { memoryLink, type FramePort } from '../../src/netsim/port.ts';
import { Host, type HostOptions } from '../../src/netsim/host.ts';
import { Router } from '../../src/netsim/router.ts';
import type { NetClock } from '../../src/base/timer-clock.ts';

export interface RecordedFrame {
  link: string;
  /** Name of the port that sent it. */
  from: string;
  /** performance.now() when sent. */
  at: number;
  frame: Uint8Array;
}

/** A memory link whose sends are recorded in `log` (every frame on the link, once). */
export function recordedLink(name: string, a: string, b: string, log: RecordedFrame[]): [FramePort, FramePort] {
  const [pa, pb] = memoryLink(a, b);
  const wrap = (p: FramePort): FramePort => ({
    name: p.name,
    send(frame) {
      log.push({ link: name, from: p.name, at: performance.now(), frame: frame.slice() });
      p.send(frame);
    },
    onFrame: (h) => p.onFrame(h),
    close: () => p.close(),
  });
  return [wrap(pa), wrap(pb)];
}

/** Lets queued setImmediate deliveries (and what they cause) run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** The far end of a link held by the test: frames that arrive are kept, crafted ones can be sent. */
export interface RawEnd {
  port: FramePort;
  received: Uint8Array[];
  send(frame: Uint8Array): void;
}

export function rawEnd(port: FramePort): RawEnd {
  const received: Uint8Array[] = [];
  port.onFrame((f) => received.push(f));
  return { port, received, send: (f) => port.send(f) };
}

export interface TwoRouters {
  h1: Host;
  h2: Host;
  r1: Router;
  r2: Router;
  log: RecordedFrame[];
  close(): Promise<void>;
}

export const MAC = {
  h1: '02:00:00:00:01:10',
  r1lan: '02:00:00:00:01:01',
  r1core: '02:00:00:00:02:01',
  r2core: '02:00:00:00:02:02',
  r2lan: '02:00:00:00:03:01',
  h2: '02:00:00:00:03:20',
} as const;

/** The two-router line, with routes both ways. */
export function twoRouters(options: { clock?: NetClock; arp?: HostOptions['arp'] } = {}): TwoRouters {
  const log: RecordedFrame[] = [];
  const [h1p, r1a] = recordedLink('lan1', 'h1-eth0', 'r1-eth0', log);
  const [r1b, r2a] = recordedLink('core', 'r1-eth1', 'r2-eth0', log);
  const [r2b, h2p] = recordedLink('lan2', 'r2-eth1', 'h2-eth0', log);
  const common = { clock: options.clock, arp: options.arp };
  const h1 = new Host({ name: 'h1', ...common });
  const h2 = new Host({ name: 'h2', ...common });
  const r1 = new Router({ name: 'r1', ...common });
  const r2 = new Router({ name: 'r2', ...common });
  h1.addInterface({ name: 'eth0', port: h1p, mac: MAC.h1, address: '10.0.1.10/24', announce: false });
  r1.addInterface({ name: 'eth0', port: r1a, mac: MAC.r1lan, address: '10.0.1.1/24', announce: false });
  r1.addInterface({ name: 'eth1', port: r1b, mac: MAC.r1core, address: '10.0.2.1/24', announce: false });
  r2.addInterface({ name: 'eth0', port: r2a, mac: MAC.r2core, address: '10.0.2.2/24', announce: false });
  r2.addInterface({ name: 'eth1', port: r2b, mac: MAC.r2lan, address: '10.0.3.1/24', announce: false });
  h2.addInterface({ name: 'eth0', port: h2p, mac: MAC.h2, address: '10.0.3.20/24', announce: false });
  h1.setGateway('10.0.1.1');
  h2.setGateway('10.0.3.1');
  r1.addRoute('10.0.3.0/24', '10.0.2.2');
  r2.setGateway('10.0.2.1');
  return {
    h1,
    h2,
    r1,
    r2,
    log,
    close: async () => {
      await Promise.all([h1.close(), h2.close(), r1.close(), r2.close()]);
    },
  };
}
