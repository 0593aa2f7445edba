// The translator: a NatTable plus the packet rules around it. `outbound` handles a datagram from the
// inside going out (source rewritten to the public address and an allocated port), `inbound` one
// arriving at the public address (destination rewritten to the inside endpoint, after filtering),
// `hairpin` one from the inside to the public address (both sides rewritten, so the inside peer sees
// the external source, RFC 4787 REQ-9). ICMP echo/timestamp identifiers are translated like ports
// (RFC 5508), ICMP errors about a translated flow are rewritten inside and out, static forwards (DNAT)
// and 1:1 address mappings are served before the dynamic table. Each call returns a verdict number
// and allocates nothing on the fast path; `lastRefusal` says why the last datagram was refused.
//
//   const nat = new Nat({ publicAddress: '203.0.113.5', inside: '192.168.1.0/24', clock });
//   const v = nat.outbound(frame, 14);   // NAT_VERDICT.TRANSLATED: frame rewritten in place

import { NetlabRangeError } from '../base/errors.ts';
import type { Random } from '../base/random.ts';
import type { NetClock, TimerHandle } from '../base/timer-clock.ts';
import { incrementalUpdate16 } from '../wire/checksum.ts';
import { inPrefix, ipv4Number, parsePrefix, type Ipv4Prefix } from '../netsim/host-addr.ts';
import { NatTable, type Session } from './table.ts';
import { rewriteEndpoint, rewriteIcmpError, quotedDatagramAt, transportReady } from './translate.ts';
import type { NatBehaviour, NatCounters, NatTimeouts, PortSettings, RefusalReason } from './types.ts';

export const NAT_VERDICT = {
  /** Rewritten: forward it. */
  TRANSLATED: 0,
  /** Not the translator's business (not from the inside, not to a mapped port): handle it as usual. */
  PASS: 1,
  /** Dropped (see lastRefusal). */
  DROP: 2,
  /** Dropped; the caller should send ICMP destination unreachable code 13 (RFC 5508 REQ-8) to the source. */
  DROP_UNREACHABLE: 3,
} as const;
export type NatVerdict = (typeof NAT_VERDICT)[keyof typeof NAT_VERDICT];

export interface StaticForward {
  protocol: 'tcp' | 'udp';
  publicPort: number;
  insideAddress: string;
  insidePort: number;
}

export interface NatOptions {
  /** The outside address: '203.0.113.5'. */
  publicAddress: string;
  /** Prefixes whose sources are translated: '192.168.1.0/24'. */
  inside: string | readonly string[];
  clock: NetClock;
  mapping?: NatBehaviour;
  filtering?: NatBehaviour;
  ports?: Partial<PortSettings>;
  icmpIds?: Partial<PortSettings>;
  timeouts?: Partial<NatTimeouts>;
  perHostQuota?: number;
  maxSessions?: number;
  udpInboundRefresh?: boolean;
  /** Inside hosts reaching each other through the public address. Default true (RFC 4787 REQ-9). */
  hairpinning?: boolean;
  /** Refused new flows answered with ICMP unreachable code 13 (RFC 5508 REQ-8). Default false: dropped silently. */
  unreachableOnRefusal?: boolean;
  staticForwards?: readonly StaticForward[];
  /** 1:1 NAT: each inside address has a public address of its own (every protocol, ports kept). */
  oneToOne?: readonly { inside: string; public: string }[];
  /**
   * An unsolicited inbound SYN (RFC 5382 REQ-4). 'drop' (default): dropped silently, the security
   * policy REQ-4a allows. 'hold': held for `unsolicitedSynHoldMs` (at least 6 s); dropped silently if
   * the inside host sends its own SYN for that flow meanwhile (a simultaneous open, hole punching),
   * otherwise answered with ICMP port unreachable through `onUnsolicitedSynExpired`.
   */
  unsolicitedSyn?: 'drop' | 'hold';
  /** How long a held SYN waits. Default 6000 ms, the least RFC 5382 REQ-4 allows. */
  unsolicitedSynHoldMs?: number;
  /** How often expired sessions are swept out. Default 10 000 ms. Lookups never return an expired one. */
  sweepIntervalMs?: number;
  random?: Random;
}

const TCP = 6;
const UDP = 17;
const ICMP = 1;
const ICMP_QUERY_REQUEST = new Set([8, 13, 15, 17]);
const ICMP_QUERY_REPLY = new Set([0, 14, 16, 18]);
const ICMP_ERRORS = new Set([3, 4, 5, 11, 12]);

function word(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}
function addr(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

export class Nat {
  readonly table: NatTable;
  readonly publicAddress: number;
  readonly hairpinning: boolean;
  readonly unreachableOnRefusal: boolean;
  /** Why the last datagram was refused (undefined after one that was not). */
  lastRefusal: RefusalReason | undefined;
  private readonly insidePrefixes: Ipv4Prefix[];
  private readonly oneToOneOut = new Map<number, number>();
  private readonly oneToOneIn = new Map<number, number>();
  private readonly clock: NetClock;
  private sweeper: TimerHandle | undefined;
  private readonly sweepIntervalMs: number;
  private readonly unsolicitedSyn: 'drop' | 'hold';
  private readonly synHoldMs: number;
  /** Held unsolicited SYNs by remote address:port > public port: a copy of the datagram and its timer. */
  private readonly heldSyns = new Map<string, { datagram: Uint8Array; timer: TimerHandle }>();
  /** Called with a held SYN's datagram (IPv4 header first) when its hold ends unanswered: send ICMP 3/3 to its source. */
  onUnsolicitedSynExpired: ((datagram: Uint8Array) => void) | undefined;

  constructor(options: NatOptions) {
    this.clock = options.clock;
    this.publicAddress = ipv4Number(options.publicAddress) >>> 0;
    const inside = typeof options.inside === 'string' ? [options.inside] : options.inside;
    if (inside.length === 0) throw new NetlabRangeError('NAT needs at least one inside prefix', { layer: 'nat' });
    this.insidePrefixes = inside.map((p) => parsePrefix(p));
    this.hairpinning = options.hairpinning ?? true;
    this.unreachableOnRefusal = options.unreachableOnRefusal ?? false;
    this.table = new NatTable({
      publicAddress: this.publicAddress,
      mapping: options.mapping,
      filtering: options.filtering,
      ports: options.ports,
      icmpIds: options.icmpIds,
      timeouts: options.timeouts,
      perHostQuota: options.perHostQuota,
      maxSessions: options.maxSessions,
      udpInboundRefresh: options.udpInboundRefresh,
      random: options.random,
      now: () => this.clock.now(),
    });
    for (const f of options.staticForwards ?? []) {
      if (f.protocol !== 'tcp' && f.protocol !== 'udp')
        throw new NetlabRangeError(`NAT static forward protocol must be tcp or udp, got ${String(f.protocol)}`, { layer: 'nat' });
      for (const [k, v] of [
        ['publicPort', f.publicPort],
        ['insidePort', f.insidePort],
      ] as const) {
        if (!Number.isInteger(v) || v < 1 || v > 65535) throw new NetlabRangeError(`NAT static forward ${k} must be 1..65535, got ${v}`, { layer: 'nat' });
      }
      this.table.addStatic(f.protocol === 'tcp' ? TCP : UDP, f.publicPort, ipv4Number(f.insideAddress) >>> 0, f.insidePort);
    }
    for (const o of options.oneToOne ?? []) {
      const i = ipv4Number(o.inside) >>> 0;
      const p = ipv4Number(o.public) >>> 0;
      if (p === this.publicAddress) throw new NetlabRangeError(`NAT 1:1 public address ${o.public} is the PAT address`, { layer: 'nat' });
      if (this.oneToOneIn.has(p) || this.oneToOneOut.has(i))
        throw new NetlabRangeError(`NAT 1:1 ${o.inside} <-> ${o.public} overlaps another 1:1 entry`, { layer: 'nat' });
      this.oneToOneOut.set(i, p);
      this.oneToOneIn.set(p, i);
    }
    this.unsolicitedSyn = options.unsolicitedSyn ?? 'drop';
    if (this.unsolicitedSyn !== 'drop' && this.unsolicitedSyn !== 'hold')
      throw new NetlabRangeError(`NAT unsolicitedSyn must be 'drop' or 'hold', got ${String(options.unsolicitedSyn)}`, { layer: 'nat' });
    this.synHoldMs = options.unsolicitedSynHoldMs ?? 6000;
    if (!(this.synHoldMs >= 6000 && this.synHoldMs <= 600_000))
      throw new NetlabRangeError(`NAT unsolicitedSynHoldMs must be 6000 to 600000 (RFC 5382 REQ-4: at least 6 s), got ${options.unsolicitedSynHoldMs}`, {
        layer: 'nat',
      });
    this.sweepIntervalMs = options.sweepIntervalMs ?? 10_000;
    if (!(this.sweepIntervalMs > 0)) throw new NetlabRangeError(`NAT sweep interval must be over 0 ms, got ${options.sweepIntervalMs}`, { layer: 'nat' });
    this.scheduleSweep();
  }

  get counters(): NatCounters {
    return this.table.counters;
  }

  /** True when `a` is an inside address (a source the translator rewrites). */
  isInside(a: number): boolean {
    for (const p of this.insidePrefixes) if (inPrefix(a, p.address, p.prefixLen)) return true;
    return false;
  }

  /** True when `a` is an address this translator answers for on the outside (the PAT address or a 1:1 one). */
  isPublic(a: number): boolean {
    return a === this.publicAddress || (this.oneToOneIn.size > 0 && this.oneToOneIn.has(a));
  }

  /** A datagram (IPv4 header at `ip` in `b`) from the inside on its way out. */
  outbound(b: Uint8Array, ip: number): NatVerdict {
    this.lastRefusal = undefined;
    const src = addr(b, ip + 12);
    if (!this.isInside(src)) return NAT_VERDICT.PASS;
    const one = this.oneToOneOut.size === 0 ? undefined : this.oneToOneOut.get(src);
    if (one !== undefined) {
      if ((word(b, ip + 6) & 0x1fff) !== 0 || !transportReady(b, ip)) rewriteAddressOnly(b, ip, true, one);
      else if (b[ip + 9] === ICMP && ICMP_ERRORS.has(b[ip + (b[ip] & 0x0f) * 4])) {
        if (!rewriteIcmpError(b, ip, true, one, false, one, -1)) return this.untranslatable();
      } else rewriteEndpoint(b, ip, true, one, -1);
      this.table.counters.translatedOut++;
      return NAT_VERDICT.TRANSLATED;
    }
    if (!transportReady(b, ip)) return this.untranslatable();
    const proto = b[ip + 9];
    const l4 = ip + (b[ip] & 0x0f) * 4;
    const dst = addr(b, ip + 16);
    if (proto === TCP || proto === UDP) {
      const s = this.table.outbound(proto, src, word(b, l4), dst, word(b, l4 + 2));
      if (typeof s === 'string') return this.refused(s);
      this.table.touch(s, true, proto === TCP ? b[l4 + 13] : 0);
      rewriteEndpoint(b, ip, true, this.publicAddress, s.mapping.outsidePort);
      if (proto === TCP && this.heldSyns.size > 0 && (b[l4 + 13] & 0x12) === 0x02) this.supersedeHeldSyn(dst, word(b, l4 + 2), s.mapping.outsidePort);
    } else if (proto === ICMP && ICMP_QUERY_REQUEST.has(b[l4])) {
      const s = this.table.outbound(ICMP, src, word(b, l4 + 4), dst, 0);
      if (typeof s === 'string') return this.refused(s);
      this.table.touch(s, true);
      rewriteEndpoint(b, ip, true, this.publicAddress, s.mapping.outsidePort);
    } else if (proto === ICMP && ICMP_ERRORS.has(b[l4])) {
      // An inside host reporting an error about a datagram that came in: the quote is remote -> inside.
      const s = this.quotedSession(b, ip, false);
      if (s === undefined) return this.untranslatable();
      if (!rewriteIcmpError(b, ip, true, this.publicAddress, false, this.publicAddress, s.mapping.outsidePort)) return this.untranslatable();
      this.table.counters.icmpErrorsTranslated++;
    } else return this.untranslatable();
    this.table.counters.translatedOut++;
    return NAT_VERDICT.TRANSLATED;
  }

  /** A datagram that arrived on the outside. PASS when it is not for a translated flow (for the router itself, say). */
  inbound(b: Uint8Array, ip: number): NatVerdict {
    this.lastRefusal = undefined;
    const dst = addr(b, ip + 16);
    const one = this.oneToOneIn.size === 0 ? undefined : this.oneToOneIn.get(dst);
    if (one !== undefined) {
      if ((word(b, ip + 6) & 0x1fff) !== 0 || !transportReady(b, ip)) rewriteAddressOnly(b, ip, false, one);
      else if (b[ip + 9] === ICMP && ICMP_ERRORS.has(b[ip + (b[ip] & 0x0f) * 4])) {
        if (!rewriteIcmpError(b, ip, false, one, true, one, -1)) return this.untranslatable();
      } else rewriteEndpoint(b, ip, false, one, -1);
      this.table.counters.translatedIn++;
      return NAT_VERDICT.TRANSLATED;
    }
    if (dst !== this.publicAddress) return NAT_VERDICT.PASS;
    if (!transportReady(b, ip)) return NAT_VERDICT.PASS;
    const proto = b[ip + 9];
    const l4 = ip + (b[ip] & 0x0f) * 4;
    const src = addr(b, ip + 12);
    let s: Session | RefusalReason | undefined;
    if (proto === TCP || proto === UDP) {
      const flags = proto === TCP ? b[l4 + 13] : 0;
      s = this.table.inbound(proto, src, word(b, l4), word(b, l4 + 2));
      if (typeof s === 'string') {
        if (proto === TCP && (flags & 0x12) === 0x02) {
          // An unsolicited SYN (RFC 5382 REQ-4): never answered, dropped without a RST.
          this.table.counters.unsolicitedSyn++;
          this.table.reportRefusal('unsolicited-syn', TCP, src, word(b, l4), dst, word(b, l4 + 2));
          this.lastRefusal = 'unsolicited-syn';
          if (this.unsolicitedSyn === 'hold') this.holdSyn(b, ip, src, word(b, l4), word(b, l4 + 2));
          return NAT_VERDICT.DROP;
        }
        if (s === 'no-mapping') return NAT_VERDICT.PASS;
        this.table.counters.refusedFiltered++;
        this.table.reportRefusal('filtered', proto, src, word(b, l4), dst, word(b, l4 + 2));
        this.lastRefusal = s;
        return NAT_VERDICT.DROP;
      }
      this.table.touch(s, false, flags);
      rewriteEndpoint(b, ip, false, s.mapping.insideAddr, s.mapping.insidePort);
    } else if (proto === ICMP && ICMP_QUERY_REPLY.has(b[l4])) {
      s = this.table.findInbound(ICMP, src, 0, word(b, l4 + 4));
      if (s === undefined) return NAT_VERDICT.PASS;
      this.table.touch(s, false);
      rewriteEndpoint(b, ip, false, s.mapping.insideAddr, s.mapping.insidePort);
    } else if (proto === ICMP && ICMP_ERRORS.has(b[l4])) {
      // An error about a datagram we sent out: the quote is public:port -> remote.
      s = this.quotedSession(b, ip, true);
      if (s === undefined) return NAT_VERDICT.PASS;
      if (!rewriteIcmpError(b, ip, false, s.mapping.insideAddr, true, s.mapping.insideAddr, s.mapping.insidePort)) return this.untranslatable();
      this.table.counters.icmpErrorsTranslated++;
    } else return NAT_VERDICT.PASS;
    this.table.counters.translatedIn++;
    return NAT_VERDICT.TRANSLATED;
  }

  /**
   * A datagram from the inside to the public address (hairpinning): the source becomes the public
   * address and the sender's mapped port, the destination the inside endpoint the port maps to. PASS
   * when no mapping holds the destination port (the datagram is for the router itself).
   */
  hairpin(b: Uint8Array, ip: number): NatVerdict {
    this.lastRefusal = undefined;
    if (!transportReady(b, ip)) return NAT_VERDICT.PASS;
    const proto = b[ip + 9];
    if (proto !== TCP && proto !== UDP) return NAT_VERDICT.PASS;
    const l4 = ip + (b[ip] & 0x0f) * 4;
    const src = addr(b, ip + 12);
    const dport = word(b, l4 + 2);
    if (!this.isInside(src) || this.table.mappingAt(proto, dport) === undefined) return NAT_VERDICT.PASS;
    if (!this.hairpinning) {
      this.lastRefusal = 'hairpin-off';
      this.table.reportRefusal('hairpin-off', proto, src, word(b, l4), this.publicAddress, dport);
      return NAT_VERDICT.DROP;
    }
    const flags = proto === TCP ? b[l4 + 13] : 0;
    const out = this.table.outbound(proto, src, word(b, l4), this.publicAddress, dport);
    if (typeof out === 'string') return this.refused(out);
    const back = this.table.inbound(proto, this.publicAddress, out.mapping.outsidePort, dport);
    if (typeof back === 'string') {
      this.table.counters.refusedFiltered++;
      this.table.reportRefusal('filtered', proto, this.publicAddress, out.mapping.outsidePort, this.publicAddress, dport);
      this.lastRefusal = back;
      return NAT_VERDICT.DROP;
    }
    this.table.touch(out, true, flags);
    this.table.touch(back, false, flags);
    rewriteEndpoint(b, ip, true, this.publicAddress, out.mapping.outsidePort);
    rewriteEndpoint(b, ip, false, back.mapping.insideAddr, back.mapping.insidePort);
    this.table.counters.hairpinned++;
    return NAT_VERDICT.TRANSLATED;
  }

  /** Stops the sweep timer. */
  close(): void {
    if (this.sweeper !== undefined) this.clock.clearTimer(this.sweeper);
    this.sweeper = undefined;
    for (const h of this.heldSyns.values()) this.clock.clearTimer(h.timer);
    this.heldSyns.clear();
  }

  /** RFC 5382 REQ-4: keep an unsolicited SYN for the hold time (one per remote endpoint and public port). */
  private holdSyn(b: Uint8Array, ip: number, remote: number, remotePort: number, publicPort: number): void {
    const key = `${remote}:${remotePort}>${publicPort}`;
    if (this.heldSyns.has(key) || this.heldSyns.size >= 1024) return;
    const total = word(b, ip + 2);
    const datagram = b.slice(ip, ip + Math.min(total, b.length - ip));
    const timer = this.clock.setTimer(() => {
      this.heldSyns.delete(key);
      this.table.counters.unsolicitedSynUnreachable++;
      this.onUnsolicitedSynExpired?.(datagram);
    }, this.synHoldMs);
    this.heldSyns.set(key, { datagram, timer });
  }

  /** The inside host opened the same flow itself: the held SYN is dropped without an answer. */
  private supersedeHeldSyn(remote: number, remotePort: number, publicPort: number): void {
    const key = `${remote}:${remotePort}>${publicPort}`;
    const h = this.heldSyns.get(key);
    if (h === undefined) return;
    this.clock.clearTimer(h.timer);
    this.heldSyns.delete(key);
    this.table.counters.unsolicitedSynSuperseded++;
  }

  private scheduleSweep(): void {
    this.sweeper = this.clock.setTimer(() => {
      this.table.sweep();
      this.scheduleSweep();
    }, this.sweepIntervalMs);
  }

  /** The session the datagram quoted in an ICMP error belongs to. `sentOut`: the quote is one we sent out. */
  private quotedSession(b: Uint8Array, ip: number, sentOut: boolean): Session | undefined {
    const inner = quotedDatagramAt(b, ip);
    if (inner < 0) return undefined;
    const proto = b[inner + 9];
    const l4 = inner + (b[inner] & 0x0f) * 4;
    const isrc = addr(b, inner + 12);
    const idst = addr(b, inner + 16);
    if (proto === TCP || proto === UDP) {
      const sp = word(b, l4);
      const dp = word(b, l4 + 2);
      return sentOut ? this.table.findInbound(proto, idst, dp, sp) : this.table.findOutbound(proto, idst, dp, isrc, sp);
    }
    if (proto === ICMP) {
      const id = word(b, l4 + 4);
      if (sentOut && ICMP_QUERY_REQUEST.has(b[l4])) return this.table.findInbound(ICMP, idst, 0, id);
      if (!sentOut && ICMP_QUERY_REPLY.has(b[l4])) return this.table.findOutbound(ICMP, idst, id, isrc, 0);
    }
    return undefined;
  }

  private refused(reason: RefusalReason): NatVerdict {
    this.lastRefusal = reason;
    return this.unreachableOnRefusal ? NAT_VERDICT.DROP_UNREACHABLE : NAT_VERDICT.DROP;
  }

  private untranslatable(): NatVerdict {
    this.table.counters.untranslatable++;
    return NAT_VERDICT.DROP;
  }
}

/** 1:1 NAT of a datagram whose transport header cannot be read (a later fragment): the address and the IPv4 checksum. */
function rewriteAddressOnly(b: Uint8Array, ip: number, source: boolean, a: number): void {
  const at = ip + (source ? 12 : 16);
  const cs = ip + 10;
  let c = word(b, cs);
  for (const [off, v] of [
    [at, a >>> 16],
    [at + 2, a & 0xffff],
  ] as const) {
    c = incrementalUpdate16(c, word(b, off), v);
    b[off] = v >>> 8;
    b[off + 1] = v & 0xff;
  }
  b[cs] = c >>> 8;
  b[cs + 1] = c & 0xff;
}
