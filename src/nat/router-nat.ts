// Packet mode: NAT turned on on a netsim Router's outside interface. Datagrams the router forwards out
// of it from an inside source are translated (Nat.outbound); datagrams arriving on it for the public
// address are translated back before the router decides they are not for itself (Nat.inbound);
// datagrams from an inside interface to the public address are hairpinned (Nat.hairpin). A received
// frame is copied before it is rewritten (it belongs to the link and its taps): into a scratch buffer
// the translator reuses (one view per frame length, no allocation per frame) when the router will
// forward the datagram, since forwarding copies it into a frame of its own before anything can keep
// it; into a fresh copy when the router itself is the destination. Refused new flows get ICMP
// unreachable code 13 from the router when `unreachableOnRefusal` is set.
//
//   const nat = enableNat(r1, { outside: 'eth1', inside: '192.168.1.0/24', insideInterfaces: ['eth0'] });
//   console.log(nat.table.format());

import { ETH_HEADER_LEN } from '../wire/index.ts';
import { ipv4Text } from '../netsim/host-addr.ts';
import { TRANSLATOR_DROP, TRANSLATOR_FORWARD, type Router } from '../netsim/router.ts';
import { UNREACH } from '../netsim/icmp-errors.ts';
import { NAT_VERDICT, Nat, type NatOptions } from './nat.ts';

export interface RouterNatOptions extends Omit<NatOptions, 'clock' | 'publicAddress'> {
  /** The outside interface. */
  outside: string;
  /** Default: the outside interface's address. */
  publicAddress?: string;
  /** Interfaces inside hosts send from (for hairpinning). Default: every interface but the outside one. */
  insideInterfaces?: readonly string[];
}

const IP = ETH_HEADER_LEN;

function dstOf(frame: Uint8Array): number {
  return ((frame[IP + 16] << 24) | (frame[IP + 17] << 16) | (frame[IP + 18] << 8) | frame[IP + 19]) >>> 0;
}

/** Frames up to this length are rewritten in the reused scratch buffer. */
const SCRATCH_MAX = 2048;

/**
 * The scratch copies of one translator: a view of one buffer per frame length, made once. It is free
 * again as soon as the router has handled the frame, before input() can be called again: the router
 * reads a datagram it does not keep synchronously (it copies it into a frame of its own to forward it,
 * or drops it, an ICMP error quoting it built at once), and links deliver frames later (setImmediate
 * or a timer), never from inside a send.
 */
class Scratch {
  readonly buffer = new ArrayBuffer(SCRATCH_MAX);
  private readonly views: (Uint8Array | undefined)[] = [];

  copy(frame: Uint8Array): Uint8Array {
    const n = frame.length;
    if (n > SCRATCH_MAX) return frame.slice();
    let v = this.views[n];
    if (v === undefined) {
      v = new Uint8Array(this.buffer, 0, n);
      this.views[n] = v;
    }
    v.set(frame);
    return v;
  }
}

/** Turns NAT on for `router`; returns the translator (its table, counters, events). Closed with the router. */
export function enableNat(router: Router, options: RouterNatOptions): Nat {
  const out = router.interface(options.outside);
  const nat = new Nat({ ...options, publicAddress: options.publicAddress ?? ipv4Text(out.address), clock: router.clock });
  const scratch = new Scratch();
  router.setTranslator(options.outside, {
    input(frame) {
      if (frame.length < IP + 20 || !nat.isPublic(dstOf(frame))) return frame;
      const copy = scratch.copy(frame);
      const v = nat.inbound(copy, IP);
      if (v !== NAT_VERDICT.TRANSLATED) return v === NAT_VERDICT.PASS ? frame : undefined;
      // The router keeps a datagram for itself (a socket may hold its bytes): give it its own copy.
      return copy.buffer === scratch.buffer && router.isLocalAddress(dstOf(copy)) ? copy.slice() : copy;
    },
    output(frame) {
      const v = nat.outbound(frame, IP);
      if (v === NAT_VERDICT.TRANSLATED || v === NAT_VERDICT.PASS) return TRANSLATOR_FORWARD;
      return v === NAT_VERDICT.DROP_UNREACHABLE ? UNREACH.ADMIN : TRANSLATOR_DROP;
    },
    table: () => nat.table.format(),
  });
  const inside = options.insideInterfaces ?? router.interfaces.map((i) => i.name).filter((n) => n !== options.outside);
  for (const name of inside) {
    router.setTranslator(name, {
      input(frame) {
        if (frame.length < IP + 20 || dstOf(frame) !== nat.publicAddress) return frame;
        const copy = Uint8Array.from(frame);
        const v = nat.hairpin(copy, IP);
        return v === NAT_VERDICT.TRANSLATED ? copy : v === NAT_VERDICT.PASS ? frame : undefined;
      },
      output: () => TRANSLATOR_FORWARD,
    });
  }
  // RFC 5382 REQ-4 with unsolicitedSyn 'hold': the router answers a SYN nobody claimed with ICMP 3/3.
  nat.onUnsolicitedSynExpired = (datagram) => router.reportUnreachable(datagram, UNREACH.PORT);
  router.onClose(() => nat.close());
  return nat;
}
