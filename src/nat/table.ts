// The NAT table: mappings (an inside endpoint bound to a public port, shared by the sessions the
// mapping behaviour lets share it) and sessions (one per remote endpoint: the rows a study guide
// prints, inside IP:port <-> public IP:port <-> destination), per protocol, with the RFC 4787 mapping
// and filtering behaviours, RFC 5382 TCP state and timeouts, per-host quotas (RFC 6888) and a bound on
// the number of sessions. A protocol has at most 65536 mappings (one per public port), so its indexes
// are fixed-size and allocated once, when its first mapping is made: public port -> mapping is an
// array slot, and inside endpoint -> mapping an open-addressing hash table of public ports in an
// Int32Array (linear probing, backward-shift deletion, at most half full). Nothing is built per
// packet; a mapping with one session (the common case) holds it without a Map. Mappings and sessions
// keep addresses as signed 32-bit numbers and pack small fields together, so each stays a few V8
// small integers (their getters give the public values back).
//
//   const t = new NatTable({ publicAddress: ipv4Number('203.0.113.5'), clock });
//   const s = t.outbound(6, inAddr, 1234, remoteAddr, 443);   // a Session, or why it was refused
//   t.inbound(6, remoteAddr, 443, s.outsidePort);              // the same Session (filtering applied)
//   console.log(t.format());

import { NetlabRangeError } from '../base/errors.ts';
import { cryptoRandom, type Random } from '../base/random.ts';
import { ipv4Text } from '../netsim/host-addr.ts';
import { PortPool } from './ports.ts';
import {
  DEFAULT_PORTS,
  DEFAULT_TIMEOUTS,
  newNatCounters,
  protocolName,
  type NatBehaviour,
  type NatCounters,
  type NatEntryInfo,
  type NatEvent,
  type NatProtocol,
  type NatState,
  type NatTimeouts,
  type PortSettings,
  type RefusalReason,
} from './types.ts';

/** TCP flag bits as they sit in byte 13 of the header. */
export const TCPF = { FIN: 0x01, SYN: 0x02, RST: 0x04, ACK: 0x10 } as const;

const SYN_OUT = 1;
const SYN_IN = 2;
const FIN_OUT = 4;
const FIN_IN = 8;
const RST_SEEN = 16;

export interface NatTableOptions {
  /** The public address the table maps to (a number, 203.0.113.5 = 0xcb007105). */
  publicAddress: number;
  /** RFC 4787 mapping behaviour. Default 'endpoint-independent'. */
  mapping?: NatBehaviour;
  /** RFC 4787 filtering behaviour. Default 'address-and-port-dependent'. */
  filtering?: NatBehaviour;
  /** TCP/UDP port settings (each protocol has its own pool). */
  ports?: Partial<PortSettings>;
  /** ICMP identifier settings. Default: every identifier 0..65535, preserved when free, sequential, no hold. */
  icmpIds?: Partial<PortSettings>;
  timeouts?: Partial<NatTimeouts>;
  /** Most mappings (ports) one inside host may hold across protocols (RFC 6888 REQ-4). Default: no limit. */
  perHostQuota?: number;
  /** Most sessions in the table. Default 1 048 576. */
  maxSessions?: number;
  /** UDP mappings refreshed by inbound packets too (RFC 4787 REQ-6 makes it optional). Default false. */
  udpInboundRefresh?: boolean;
  /** Milliseconds now (a NetClock's now). */
  now: () => number;
  /** For random and hashed allocation. Default crypto-random. */
  random?: Random;
}

/**
 * A 30-bit key from two 32-bit numbers and a scope (small integers stay V8 Smis: a Map keyed by
 * numbers past 2^31 hashes them as heap numbers, over ten times slower). Equal keys are told apart
 * by a chain, so a collision costs a comparison, never a wrong answer.
 */
export function mixKey(a: number, b: number, c: number): number {
  let h = Math.imul(a | 0, 0x9e3779b1) ^ Math.imul(b | 0, 0x85ebca6b) ^ Math.imul((c | 0) ^ ((c / 4294967296) | 0), 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h & 0x3fffffff;
}

/** A public port bound to an inside endpoint. */
export class Mapping {
  /** The one session, or a Map of session chains by mixKey(remote address, remote port) when there are several. */
  sessions: Session | Map<number, Session> | undefined = undefined;
  count = 0;
  /** The inside address as a signed 32-bit number (a Smi, where the unsigned one may not be). */
  private readonly ia: number;
  /** Inside port | protocol << 16 | static << 24. */
  private readonly packed: number;
  constructor(
    protocol: NatProtocol,
    insideAddr: number,
    insidePort: number,
    readonly outsidePort: number,
    /** Key of the mapping among the inside endpoint's mappings (0, remote address, or remote address * 65536 + port). */
    readonly scope: number,
    isStatic: boolean,
  ) {
    this.ia = insideAddr | 0;
    this.packed = (insidePort & 0xffff) | (protocol << 16) | (isStatic ? 1 << 24 : 0);
  }

  get protocol(): NatProtocol {
    return ((this.packed >>> 16) & 0xff) as NatProtocol;
  }
  get insideAddr(): number {
    return this.ia >>> 0;
  }
  get insidePort(): number {
    return this.packed & 0xffff;
  }
  get isStatic(): boolean {
    return this.packed >>> 24 === 1;
  }

  session(remoteAddr: number, remotePort: number): Session | undefined {
    const s = this.sessions;
    if (s === undefined) return undefined;
    if (s instanceof Session) return s.remoteAddr === remoteAddr && s.remotePort === remotePort ? s : undefined;
    for (let x = s.get(mixKey(remoteAddr, remotePort, 0)); x !== undefined; x = x.next) {
      if (x.remoteAddr === remoteAddr && x.remotePort === remotePort) return x;
    }
    return undefined;
  }

  forEach(fn: (s: Session) => void): void {
    const s = this.sessions;
    if (s === undefined) return;
    if (s instanceof Session) {
      fn(s);
      return;
    }
    const all: Session[] = [];
    for (const head of s.values()) for (let x: Session | undefined = head; x !== undefined; x = x.next) all.push(x);
    for (const x of all) fn(x);
  }

  add(s: Session): void {
    const cur = this.sessions;
    if (cur === undefined) this.sessions = s;
    else {
      let map: Map<number, Session>;
      if (cur instanceof Session) {
        map = new Map();
        cur.next = undefined;
        map.set(mixKey(cur.remoteAddr, cur.remotePort, 0), cur);
        this.sessions = map;
      } else map = cur;
      const k = mixKey(s.remoteAddr, s.remotePort, 0);
      s.next = map.get(k);
      map.set(k, s);
    }
    this.count++;
  }

  remove(s: Session): void {
    const cur = this.sessions;
    if (cur === s) this.sessions = undefined;
    else if (cur instanceof Map) {
      const k = mixKey(s.remoteAddr, s.remotePort, 0);
      const head = cur.get(k);
      if (head === s) {
        if (s.next === undefined) cur.delete(k);
        else cur.set(k, s.next);
      } else {
        let x = head;
        while (x !== undefined && x.next !== s) x = x.next;
        if (x === undefined) return;
        x.next = s.next;
      }
      s.next = undefined;
      if (this.count === 2) {
        const last = cur.values().next().value as Session;
        last.next = undefined;
        this.sessions = last;
      }
    } else return;
    this.count--;
  }
}

/** One row: an inside endpoint talking to one remote endpoint through a mapping. */
export class Session {
  /** Remote port | TCP flags seen (SYN_OUT...) << 16. */
  private pf: number;
  /** The remote address as a signed 32-bit number. */
  private readonly ra: number;
  lastActivity: number;
  expiresAt: number;
  /** The next session in the mapping's chain. */
  next: Session | undefined = undefined;
  constructor(
    readonly mapping: Mapping,
    remoteAddr: number,
    remotePort: number,
    now: number,
  ) {
    this.pf = remotePort & 0xffff;
    this.ra = remoteAddr | 0;
    this.lastActivity = now;
    this.expiresAt = now;
  }
  get remoteAddr(): number {
    return this.ra >>> 0;
  }
  get remotePort(): number {
    return this.pf & 0xffff;
  }
  /** The TCP flags seen both ways (SYN, FIN each way, RST), as the table tracks them. */
  get flags(): number {
    return this.pf >>> 16;
  }
  set flags(f: number) {
    this.pf = (this.pf & 0xffff) | ((f & 0xff) << 16);
  }
  /** TCP: from the flags seen (RFC 5382); UDP and ICMP: 'udp', 'icmp'. */
  get state(): NatState {
    const p = this.mapping.protocol;
    return p === 17 ? 'udp' : p === 1 ? 'icmp' : tcpState(this.pf >>> 16);
  }
  get protocol(): NatProtocol {
    return this.mapping.protocol;
  }
  get insideAddr(): number {
    return this.mapping.insideAddr;
  }
  get insidePort(): number {
    return this.mapping.insidePort;
  }
  get outsidePort(): number {
    return this.mapping.outsidePort;
  }
}

/** Slots of a protocol's inside index: twice the most mappings it can hold (one per port). */
const INSIDE_SLOTS = 1 << 17;
const INSIDE_MASK = INSIDE_SLOTS - 1;
const NO_MAPPINGS: (Mapping | undefined)[] = [];
const NO_SLOTS = new Int32Array(0);

interface ProtoSpace {
  pool: PortPool;
  /** Open addressing on mixKey(inside address, inside port, scope): public port + 1 per slot, 0 empty. */
  inside: Int32Array;
  /** Public port -> mapping (65536 slots once the first mapping is made). */
  outside: (Mapping | undefined)[];
  /** Static forwards in this space (checked before the behaviour's scope when there are any). */
  statics: number;
}

export class NatTable {
  readonly publicAddress: number;
  readonly mappingBehaviour: NatBehaviour;
  readonly filteringBehaviour: NatBehaviour;
  readonly timeouts: NatTimeouts;
  readonly counters: NatCounters = newNatCounters();
  readonly perHostQuota: number;
  readonly maxSessions: number;
  private readonly udpInboundRefresh: boolean;
  private readonly now: () => number;
  private readonly spaces: Record<NatProtocol, ProtoSpace>;
  /** Mappings per inside host, keyed by the address as a signed 32-bit number (a Smi); kept only with a quota. */
  private readonly perHost = new Map<number, number>();
  private readonly listeners = new Set<(e: NatEvent) => void>();
  private sessionCount = 0;

  constructor(options: NatTableOptions) {
    if (!Number.isInteger(options.publicAddress) || options.publicAddress <= 0 || options.publicAddress > 0xffffffff) {
      throw new NetlabRangeError(`NAT public address must be an IPv4 address as a number, got ${options.publicAddress}`, { layer: 'nat' });
    }
    this.publicAddress = options.publicAddress >>> 0;
    this.mappingBehaviour = checkBehaviour('mapping', options.mapping ?? 'endpoint-independent');
    this.filteringBehaviour = checkBehaviour('filtering', options.filtering ?? 'address-and-port-dependent');
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    if (this.timeouts.udp < 120_000)
      throw new NetlabRangeError(`NAT UDP timeout ${this.timeouts.udp} ms is under the 2 minutes RFC 4787 REQ-5 requires`, { layer: 'nat' });
    for (const [k, v] of Object.entries(this.timeouts))
      if (!(v > 0)) throw new NetlabRangeError(`NAT timeout ${k} must be over 0 ms, got ${v}`, { layer: 'nat' });
    this.perHostQuota = options.perHostQuota ?? Infinity;
    if (!(this.perHostQuota >= 1)) throw new NetlabRangeError(`NAT per-host quota must be 1 or more, got ${options.perHostQuota}`, { layer: 'nat' });
    this.maxSessions = options.maxSessions ?? 1 << 20;
    if (!(this.maxSessions >= 1)) throw new NetlabRangeError(`NAT table size must be 1 or more, got ${options.maxSessions}`, { layer: 'nat' });
    this.udpInboundRefresh = options.udpInboundRefresh ?? false;
    this.now = options.now;
    const random = options.random ?? cryptoRandom();
    const ports = { ...DEFAULT_PORTS, ...options.ports };
    const ids = { min: 0, max: 65535, preserve: true, parity: false, allocation: 'sequential' as const, holdMs: 0, ...options.icmpIds };
    const space = (s: PortSettings, identifiers: boolean): ProtoSpace => ({
      pool: new PortPool(s, random, identifiers),
      inside: NO_SLOTS,
      outside: NO_MAPPINGS,
      statics: 0,
    });
    this.spaces = { 1: space(ids, true), 6: space(ports, false), 17: space(ports, false) };
  }

  /** Sessions in the table. */
  get size(): number {
    return this.sessionCount;
  }

  /** Ports (or identifiers) in use for a protocol. */
  portsInUse(protocol: NatProtocol): number {
    return this.spaces[protocol].pool.used;
  }

  /** Mappings an inside host holds (counted as they come and go with a quota, by a scan without one). */
  mappingsOf(insideAddr: number): number {
    if (this.perHostQuota !== Infinity) return this.perHost.get(insideAddr | 0) ?? 0;
    let n = 0;
    for (const sp of Object.values(this.spaces)) for (const m of sp.outside) if (m !== undefined && m.insideAddr === insideAddr >>> 0) n++;
    return n;
  }

  onEvent(listener: (e: NatEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // -------------------------------------------------------------------------------------------
  // Lookups

  /**
   * The session for an outbound packet, created (with a mapping when the behaviour needs a new one)
   * when there is none; or why none could be made. Does not refresh: call `touch`.
   */
  outbound(protocol: NatProtocol, insideAddr: number, insidePort: number, remoteAddr: number, remotePort: number): Session | RefusalReason {
    const sp = this.spaces[protocol];
    const now = this.now();
    let m = this.mappingFor(sp, insideAddr, insidePort, remoteAddr, remotePort);
    if (m !== undefined) {
      const s = m.session(remoteAddr, remotePort);
      if (s !== undefined) {
        if (now < s.expiresAt) return s;
        this.removeSession(s, now, true);
        m = this.mappingFor(sp, insideAddr, insidePort, remoteAddr, remotePort);
      }
    }
    if (this.sessionCount >= this.maxSessions) return this.refuse('table-full', protocol, insideAddr, insidePort, remoteAddr, remotePort);
    if (m === undefined) {
      const held = this.perHost.get(insideAddr | 0) ?? 0;
      if (held >= this.perHostQuota) return this.refuse('quota-exceeded', protocol, insideAddr, insidePort, remoteAddr, remotePort);
      const port = sp.pool.allocate(insidePort, remoteAddr, remotePort, now);
      if (port < 0) return this.refuse('pool-exhausted', protocol, insideAddr, insidePort, remoteAddr, remotePort);
      m = new Mapping(protocol, insideAddr, insidePort, port, this.scopeOf(remoteAddr, remotePort), false);
      this.addMapping(sp, m);
    }
    return this.addSession(m, remoteAddr, remotePort, now);
  }

  /**
   * The session for an inbound packet to a public port, after filtering: an existing session, or a
   * new one on the mapping when the filtering behaviour (or a static forward) lets this remote in.
   */
  inbound(protocol: NatProtocol, remoteAddr: number, remotePort: number, outsidePort: number): Session | RefusalReason {
    const now = this.now();
    let m = this.spaces[protocol].outside[outsidePort];
    if (m === undefined) return 'no-mapping';
    const s = m.session(remoteAddr, remotePort);
    if (s !== undefined) {
      if (now < s.expiresAt) return s;
      this.removeSession(s, now, true);
      m = this.spaces[protocol].outside[outsidePort];
      if (m === undefined) return 'no-mapping';
    }
    let allowed = m.isStatic || this.filteringBehaviour === 'endpoint-independent';
    if (!allowed && this.filteringBehaviour === 'address-dependent') {
      m.forEach((x) => {
        if (x.remoteAddr === remoteAddr) allowed = true;
      });
    }
    if (!allowed) return 'filtered';
    if (this.sessionCount >= this.maxSessions) return this.refuse('table-full', protocol, remoteAddr, remotePort, this.publicAddress, outsidePort);
    return this.addSession(m, remoteAddr, remotePort, now);
  }

  /** The session an outbound packet belongs to, without creating one. */
  findOutbound(protocol: NatProtocol, insideAddr: number, insidePort: number, remoteAddr: number, remotePort: number): Session | undefined {
    const s = this.mappingFor(this.spaces[protocol], insideAddr, insidePort, remoteAddr, remotePort)?.session(remoteAddr, remotePort);
    return s !== undefined && this.now() < s.expiresAt ? s : undefined;
  }

  /** The session an inbound packet belongs to, without filtering or creating. */
  findInbound(protocol: NatProtocol, remoteAddr: number, remotePort: number, outsidePort: number): Session | undefined {
    const s = this.spaces[protocol].outside[outsidePort]?.session(remoteAddr, remotePort);
    return s !== undefined && this.now() < s.expiresAt ? s : undefined;
  }

  /** The mapping on a public port. */
  mappingAt(protocol: NatProtocol, outsidePort: number): Mapping | undefined {
    return this.spaces[protocol].outside[outsidePort];
  }

  /**
   * A static forward (DNAT): public port -> inside endpoint, never expiring, open to every remote.
   * Throws when the port is taken.
   */
  addStatic(protocol: NatProtocol, outsidePort: number, insideAddr: number, insidePort: number): Mapping {
    const sp = this.spaces[protocol];
    if (!sp.pool.take(outsidePort, this.now())) {
      throw new NetlabRangeError(`NAT: ${protocolName(protocol)} port ${outsidePort} on ${ipv4Text(this.publicAddress)} is already in use`, { layer: 'nat' });
    }
    const m = new Mapping(protocol, insideAddr >>> 0, insidePort, outsidePort, 0, true);
    sp.statics++;
    this.addMapping(sp, m);
    return m;
  }

  // -------------------------------------------------------------------------------------------
  // State and time

  /**
   * A packet of `s` passed: TCP state from its flags (RFC 5382), the idle timer refreshed as the
   * protocol says (UDP and ICMP by outbound traffic only, unless udpInboundRefresh).
   */
  touch(s: Session, outbound: boolean, tcpFlags = 0): void {
    const now = this.now();
    if (s.mapping.protocol === 6) {
      let f = s.flags;
      if (tcpFlags & TCPF.RST) f |= RST_SEEN;
      if (tcpFlags & TCPF.SYN) f |= outbound ? SYN_OUT : SYN_IN;
      if (tcpFlags & TCPF.FIN) f |= outbound ? FIN_OUT : FIN_IN;
      s.flags = f;
    } else if (!outbound && !(s.mapping.protocol === 17 && this.udpInboundRefresh)) {
      if (now < s.expiresAt) return;
    }
    s.lastActivity = now;
    s.expiresAt = now + this.timeoutOf(s);
    if (this.listeners.size > 0) this.emit({ type: 'refreshed', entry: this.info(s) });
  }

  /** True when a session's idle timer has run out. */
  isExpired(s: Session, now = this.now()): boolean {
    return now >= s.expiresAt;
  }

  /** Removes every expired session (and mappings left without one, their ports held). Returns how many. */
  sweep(now = this.now()): number {
    let n = 0;
    for (const sp of Object.values(this.spaces)) {
      for (const m of sp.outside) {
        if (m === undefined) continue;
        m.forEach((s) => {
          if (now >= s.expiresAt) {
            this.removeSession(s, now, true);
            n++;
          }
        });
      }
    }
    return n;
  }

  /** Removes one session now (a RST closes nothing by itself: RFC 5382 keeps it transitory). */
  removeSession(s: Session, now = this.now(), expired = false): void {
    const m = s.mapping;
    if (m.session(s.remoteAddr, s.remotePort) !== s) return;
    m.remove(s);
    this.sessionCount--;
    if (expired) {
      this.counters.expired++;
      if (this.listeners.size > 0) this.emit({ type: 'expired', entry: this.info(s) });
    }
    if (m.count === 0 && !m.isStatic) this.removeMapping(m, now);
  }

  private timeoutOf(s: Session): number {
    const p = s.mapping.protocol;
    if (p === 17) return this.timeouts.udp;
    if (p === 1) return this.timeouts.icmp;
    return s.state === 'established' ? this.timeouts.tcpEstablished : this.timeouts.tcpTransitory;
  }

  // -------------------------------------------------------------------------------------------
  // Output

  /** Every session as data. */
  entries(): NatEntryInfo[] {
    const out: NatEntryInfo[] = [];
    for (const sp of Object.values(this.spaces)) for (const m of sp.outside) m?.forEach((s) => out.push(this.info(s)));
    out.sort(
      (a, b) =>
        a.protocol.localeCompare(b.protocol) || a.outsidePort - b.outsidePort || a.remoteAddress.localeCompare(b.remoteAddress) || a.remotePort - b.remotePort,
    );
    return out;
  }

  /** One session as data. */
  info(s: Session): NatEntryInfo {
    const m = s.mapping;
    return {
      protocol: protocolName(m.protocol),
      insideAddress: ipv4Text(m.insideAddr),
      insidePort: m.insidePort,
      outsideAddress: ipv4Text(this.publicAddress),
      outsidePort: m.outsidePort,
      remoteAddress: ipv4Text(s.remoteAddr),
      remotePort: s.remotePort,
      state: s.state,
      lastActivity: s.lastActivity,
      expiresAt: s.expiresAt,
    };
  }

  /**
   * The table as a study guide prints it, one session a line:
   * `tcp  192.168.1.2:1234  <->  203.0.113.5:50001  <->  142.250.195.100:443  established  2:03:59`.
   * Static forwards with no session yet are listed with destination `*:*`.
   */
  format(now = this.now()): string {
    const rows: string[][] = [['Proto', 'Inside', '', 'Public', '', 'Destination', 'State', 'Expires in']];
    for (const e of this.entries()) {
      rows.push([
        e.protocol,
        `${e.insideAddress}:${e.insidePort}`,
        '<->',
        `${e.outsideAddress}:${e.outsidePort}`,
        '<->',
        `${e.remoteAddress}:${e.remotePort}`,
        e.state,
        duration(e.expiresAt - now),
      ]);
    }
    for (const sp of Object.values(this.spaces)) {
      for (const m of sp.outside) {
        if (m?.isStatic && m.count === 0) {
          rows.push([
            protocolName(m.protocol),
            `${ipv4Text(m.insideAddr)}:${m.insidePort}`,
            '<->',
            `${ipv4Text(this.publicAddress)}:${m.outsidePort}`,
            '<->',
            '*:*',
            'static',
            'never',
          ]);
        }
      }
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    return rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]))
          .join('  ')
          .trimEnd(),
      )
      .join('\n');
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  private scopeOf(remoteAddr: number, remotePort: number): number {
    const b = this.mappingBehaviour;
    return b === 'endpoint-independent' ? 0 : b === 'address-dependent' ? remoteAddr : remoteAddr * 65536 + remotePort;
  }

  private findMapping(sp: ProtoSpace, insideAddr: number, insidePort: number, scope: number, isStatic: boolean): Mapping | undefined {
    const idx = sp.inside;
    if (idx.length === 0) return undefined;
    for (let i = mixKey(insideAddr, insidePort, scope) & INSIDE_MASK; ; i = (i + 1) & INSIDE_MASK) {
      const v = idx[i];
      if (v === 0) return undefined;
      const m = sp.outside[v - 1] as Mapping;
      if (m.insideAddr === insideAddr >>> 0 && m.insidePort === insidePort && m.scope === scope && (!isStatic || m.isStatic)) return m;
    }
  }

  private mappingFor(sp: ProtoSpace, insideAddr: number, insidePort: number, remoteAddr: number, remotePort: number): Mapping | undefined {
    if (sp.statics > 0) {
      const st = this.findMapping(sp, insideAddr, insidePort, 0, true);
      if (st !== undefined) return st;
    }
    return this.findMapping(sp, insideAddr, insidePort, this.scopeOf(remoteAddr, remotePort), false);
  }

  private addMapping(sp: ProtoSpace, m: Mapping): void {
    if (sp.outside.length === 0) {
      sp.outside = new Array<Mapping | undefined>(65536).fill(undefined);
      sp.inside = new Int32Array(INSIDE_SLOTS);
    }
    sp.outside[m.outsidePort] = m;
    const idx = sp.inside;
    let i = mixKey(m.insideAddr, m.insidePort, m.scope) & INSIDE_MASK;
    while (idx[i] !== 0) i = (i + 1) & INSIDE_MASK;
    idx[i] = m.outsidePort + 1;
    if (this.perHostQuota !== Infinity) this.perHost.set(m.insideAddr | 0, (this.perHost.get(m.insideAddr | 0) ?? 0) + 1);
  }

  private removeMapping(m: Mapping, now: number): void {
    const sp = this.spaces[m.protocol];
    if (sp.outside[m.outsidePort] !== m) return;
    const idx = sp.inside;
    let i = mixKey(m.insideAddr, m.insidePort, m.scope) & INSIDE_MASK;
    while (idx[i] !== m.outsidePort + 1) {
      if (idx[i] === 0) throw new Error(`NAT table: the inside index lost the mapping on port ${m.outsidePort}`);
      i = (i + 1) & INSIDE_MASK;
    }
    // Backward-shift deletion: pull later entries of the probe run into the hole when their home slot allows.
    idx[i] = 0;
    for (let j = (i + 1) & INSIDE_MASK; idx[j] !== 0; j = (j + 1) & INSIDE_MASK) {
      const o = sp.outside[idx[j] - 1] as Mapping;
      const home = mixKey(o.insideAddr, o.insidePort, o.scope) & INSIDE_MASK;
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (stays) continue;
      idx[i] = idx[j];
      idx[j] = 0;
      i = j;
    }
    sp.outside[m.outsidePort] = undefined;
    if (this.perHostQuota !== Infinity) {
      const held = (this.perHost.get(m.insideAddr | 0) ?? 1) - 1;
      if (held === 0) this.perHost.delete(m.insideAddr | 0);
      else this.perHost.set(m.insideAddr | 0, held);
    }
    sp.pool.release(m.outsidePort, now);
  }

  private addSession(m: Mapping, remoteAddr: number, remotePort: number, now: number): Session {
    const s = new Session(m, remoteAddr, remotePort, now);
    s.expiresAt = now + this.timeoutOf(s);
    m.add(s);
    this.sessionCount++;
    this.counters.created++;
    if (this.listeners.size > 0) this.emit({ type: 'created', entry: this.info(s) });
    return s;
  }

  private refuse(reason: RefusalReason, protocol: NatProtocol, src: number, srcPort: number, dst: number, dstPort: number): RefusalReason {
    if (reason === 'pool-exhausted') this.counters.refusedPoolExhausted++;
    else if (reason === 'quota-exceeded') this.counters.refusedQuota++;
    else if (reason === 'table-full') this.counters.refusedTableFull++;
    if (this.listeners.size > 0) {
      this.emit({
        type: 'refused',
        reason,
        protocol: protocolName(protocol),
        source: ipv4Text(src),
        sourcePort: srcPort,
        destination: ipv4Text(dst),
        destinationPort: dstPort,
      });
    }
    return reason;
  }

  /** Reports a refusal decided outside the table (filtering, unsolicited SYN) to listeners. */
  reportRefusal(reason: RefusalReason, protocol: NatProtocol, src: number, srcPort: number, dst: number, dstPort: number): void {
    this.refuse(reason, protocol, src, srcPort, dst, dstPort);
  }

  private emit(e: NatEvent): void {
    for (const l of [...this.listeners]) l(e);
  }
}

function tcpState(f: number): NatState {
  if (f & RST_SEEN) return 'closed';
  if ((f & (FIN_OUT | FIN_IN)) === (FIN_OUT | FIN_IN)) return 'closed';
  if (f & (FIN_OUT | FIN_IN)) return 'fin-wait';
  if ((f & (SYN_OUT | SYN_IN)) === (SYN_OUT | SYN_IN)) return 'established';
  if (f & SYN_OUT) return 'syn-sent';
  if (f & SYN_IN) return 'syn-received';
  return 'closed';
}

function checkBehaviour(what: string, b: NatBehaviour): NatBehaviour {
  if (b !== 'endpoint-independent' && b !== 'address-dependent' && b !== 'address-and-port-dependent') {
    throw new NetlabRangeError(`NAT ${what} behaviour must be endpoint-independent, address-dependent or address-and-port-dependent, got ${String(b)}`, {
      layer: 'nat',
    });
  }
  return b;
}

function duration(ms: number): string {
  if (ms === Infinity) return 'never';
  const s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${h}:${mm}:${ss}`;
}
