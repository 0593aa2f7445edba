// Packet mode: NAT turned on on a netsim Router's outside interface. Datagrams the router forwards out
// of it from an inside source are translated (Nat.outbound); datagrams arriving on it for the public
// address are translated back before the router decides they are not for itself (Nat.inbound);
// datagrams from an inside interface to the public address are hairpinned (Nat.hairpin). A received
// frame is copied before it is rewritten (it belongs to the link and its taps). Refused new flows get
// ICMP unreachable code 13 from the router when `unreachableOnRefusal` is set.
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

/** Turns NAT on for `router`; returns the translator (its table, counters, events). Closed with the router. */
export function enableNat(router: Router, options: RouterNatOptions): Nat {
  const out = router.interface(options.outside);
  const nat = new Nat({ ...options, publicAddress: options.publicAddress ?? ipv4Text(out.address), clock: router.clock });
  router.setTranslator(options.outside, {
    input(frame) {
      if (frame.length < IP + 20 || !nat.isPublic(dstOf(frame))) return frame;
      const copy = Uint8Array.from(frame);
      const v = nat.inbound(copy, IP);
      return v === NAT_VERDICT.TRANSLATED ? copy : v === NAT_VERDICT.PASS ? frame : undefined;
    },
    output(frame) {
      const v = nat.outbound(frame, IP);
      if (v === NAT_VERDICT.TRANSLATED || v === NAT_VERDICT.PASS) return TRANSLATOR_FORWARD;
      return v === NAT_VERDICT.DROP_UNREACHABLE ? UNREACH.ADMIN : TRANSLATOR_DROP;
    },
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
  router.onClose(() => nat.close());
  return nat;
}
