// Initial sequence numbers.
//
// RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), where M is a timer
// ticking every 4 microseconds and F a keyed hash (here HMAC-SHA-256, first 32 bits). The key comes
// from the host's Random (seeded in fixtures, so ISNs repeat; crypto-random otherwise), and M from
// the host's clock, so an off-path attacker who does not know the key cannot guess the ISN of another
// connection even knowing the 4-tuple.
//
// 'weak-predictable-for-spoofing-lab' is the 4.2BSD-era generator the spoofing lab shows being
// exploited: a counter that moves by 64000 per connection and 128000 per second of the clock, so one
// probe connection tells an attacker the next ISN to within what a few packets cover. Never a default.

import { createHmac } from 'node:crypto';
import type { Random } from '../../base/random.ts';

export type IsnMode = 'rfc6528' | 'weak-predictable-for-spoofing-lab';

export interface IsnGenerator {
  readonly mode: IsnMode;
  /** The ISN for a connection, at clock time `nowMs`. */
  next(localAddr: number, localPort: number, remoteAddr: number, remotePort: number, nowMs: number): number;
}

function tuple(localAddr: number, localPort: number, remoteAddr: number, remotePort: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32BE(localAddr >>> 0, 0);
  b.writeUInt16BE(localPort, 4);
  b.writeUInt32BE(remoteAddr >>> 0, 6);
  b.writeUInt16BE(remotePort, 10);
  return b;
}

/** RFC 6528 ISNs with a 16-byte key drawn from `random`. */
export function rfc6528Isn(random: Random): IsnGenerator {
  const key = Buffer.from(random.bytes(16));
  return {
    mode: 'rfc6528',
    next(la, lp, ra, rp, nowMs) {
      const f = createHmac('sha256', key)
        .update(tuple(la, lp, ra, rp))
        .digest()
        .readUInt32BE(0);
      const m = Math.floor(nowMs * 250) >>> 0; // 4 µs ticks
      return (f + m) >>> 0;
    },
  };
}

/** Per connection and per second steps of the weak generator (4.2BSD's TCP_ISSINCR and per-connect step). */
export const WEAK_ISN_PER_CONNECTION = 64000;
export const WEAK_ISN_PER_SECOND = 128000;

/** The predictable generator for the spoofing lab: starts at 1, +64000 per connection, +128000 per second. */
export function weakPredictableIsn(): IsnGenerator {
  let connections = 0;
  return {
    mode: 'weak-predictable-for-spoofing-lab',
    next(_la, _lp, _ra, _rp, nowMs) {
      connections++;
      return (1 + connections * WEAK_ISN_PER_CONNECTION + Math.floor(nowMs / 1000) * WEAK_ISN_PER_SECOND) >>> 0;
    },
  };
}

/** Keyed offset of the timestamp clock per connection (RFC 7323 §5.4), from the same kind of hash. */
export function timestampOffset(key: Uint8Array, localAddr: number, localPort: number, remoteAddr: number, remotePort: number): number {
  return createHmac('sha256', Buffer.from(key))
    .update(tuple(localAddr, localPort, remoteAddr, remotePort))
    .digest()
    .readUInt32BE(4);
}
