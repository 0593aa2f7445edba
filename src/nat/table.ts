// The NAT table: mappings (an inside endpoint bound to a public port, shared by the sessions the
// mapping behaviour lets share it) and sessions (one per remote endpoint: the rows a study guide
// prints, inside IP:port <-> public IP:port <-> destination), per protocol, with the RFC 4787 mapping
// and filtering behaviours, RFC 5382 TCP state and timeouts, per-host quotas (RFC 6888) and a bound on
// the number of sessions. Lookups both ways are Map gets on numeric keys (address * 65536 + port),
// nothing is built per packet; a mapping with one session (the common case) holds it without a Map.
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

/** A public port bound to an inside endpoint. */
export class Mapping {
  /** The one session, or a Map of them by remote key when there are several. */
  sessions: Session | Map<number, Session> | undefined = undefined;
  count = 0;
  constructor(
    readonly protocol: NatProtocol,
    readonly insideAddr: number,
    readonly insidePort: number,
    readonly outsidePort: number,
    /** Key of the mapping among the inside endpoint's mappings (0, remote address, or remote key). */
    readonly scope: number,
    readonly isStatic: boolean,
  ) {}

  session(remoteKey: number): Session | undefined {
    const s = this.sessions;
    if (s === undefined) return undefined;
    if (s instanceof Session) return s.remoteKey === remoteKey ? s : undefined;
    return s.get(remoteKey);
  }

  forEach(fn: (s: Session) => void): void {
    const s = this.sessions;
    if (s === undefined) return;
    if (s instanceof Session) fn(s);
    else for (const x of [...s.values()]) fn(x);
  }

  add(s: Session): void {
    const cur = this.sessions;
    if (cur === undefined) this.sessions = s;
    else if (cur instanceof Session) this.sessions = new Map([[cur.remoteKey, cur], [s.remoteKey, s]]);
    else cur.set(s.remoteKey, s);
    this.count++;
  }

  remove(s: Session): void {
    const cur = this.sessions;
    if (cur === s) this.sessions = undefined;
    else if (cur instanceof Map && cur.delete(s.remoteKey)) {
      if (cur.size === 1) this.sessions = cur.values().next().value;
    } else return;
    this.count--;
  }
}

/** One row: an inside endpoint talking to one remote endpoint through a mapping. */
export class Session {
  state: NatState;
  flags = 0;
  lastActivity: number;
  expiresAt: number;
  constructor(
    readonly mapping: Mapping,
    readonly remoteAddr: number,
    readonly remotePort: number,
    now: number,
    state: NatState,
  ) {
    this.state = state;
    this.lastActivity = now;
    this.expiresAt = now;
  }
  get remoteKey(): number {
    return this.remoteAddr * 65536 + this.remotePort;
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

interface ProtoSpace {
  pool: PortPool;
  /** Inside endpoint key -> its mapping (endpoint-independent) or its mappings by scope. */
  inside: Map<number, Mapping | Map<number, Mapping>>;
  /** Public port -> mapping. */
  outside: Map<number, Mapping>;
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
    if (this.timeouts.udp < 120_000) throw new NetlabRangeError(`NAT UDP timeout ${this.timeouts.udp} ms is under the 2 minutes RFC 4787 REQ-5 requires`, { layer: 'nat' });
    for (const [k, v] of Object.entries(this.timeouts)) if (!(v > 0)) throw new NetlabRangeError(`NAT timeout ${k} must be over 0 ms, got ${v}`, { layer: 'nat' });
    this.perHostQuota = options.perHostQuota ?? Infinity;
    if (!(this.perHostQuota >= 1)) throw new NetlabRangeError(`NAT per-host quota must be 1 or more, got ${options.perHostQuota}`, { layer: 'nat' });
    this.maxSessions = options.maxSessions ?? 1 << 20;
    if (!(this.maxSessions >= 1)) throw new NetlabRangeError(`NAT table size must be 1 or more, got ${options.maxSessions}`, { layer: 'nat' });
    this.udpInboundRefresh = options.udpInboundRefresh ?? false;
    this.now = options.now;
    const random = options.random ?? cryptoRandom();
    const ports = { ...DEFAULT_PORTS, ...options.ports };
    const ids = { min: 0, max: 65535, preserve: true, parity: false, allocation: 'sequential' as const, holdMs: 0, ...options.icmpIds };
    const space = (s: PortSettings, identifiers: boolean): ProtoSpace => ({ pool: new PortPool(s, random, identifiers), inside: new Map(), outside: new Map() });
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

  /** Mappings an inside host holds. */
  mappingsOf(insideAddr: number): number {
    return this.perHost.get(insideAddr >>> 0) ?? 0;
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
    const ik = insideAddr * 65536 + insidePort;
    const rk = remoteAddr * 65536 + remotePort;
    const now = this.now();
    let m = this.mappingFor(sp, ik, remoteAddr, rk);
    if (m !== undefined) {
      const s = m.session(rk);
      if (s !== undefined) {
        if (now < s.expiresAt) return s;
        this.removeSession(s, now, true);
        m = this.mappingFor(sp, ik, remoteAddr, rk);
      }
    }
    if (this.sessionCount >= this.maxSessions) return this.refuse('table-full', protocol, insideAddr, insidePort, remoteAddr, remotePort);
    if (m === undefined) {
      const held = this.perHost.get(insideAddr) ?? 0;
      if (held >= this.perHostQuota) return this.refuse('quota-exceeded', protocol, insideAddr, insidePort, remoteAddr, remotePort);
      const port = sp.pool.allocate(insidePort, remoteAddr, remotePort, now);
      if (port < 0) return this.refuse('pool-exhausted', protocol, insideAddr, insidePort, remoteAddr, remotePort);
      const scope = this.mappingBehaviour === 'endpoint-independent' ? 0 : this.mappingBehaviour === 'address-dependent' ? remoteAddr : rk;
      m = new Mapping(protocol, insideAddr, insidePort, port, scope, false);
      this.addMapping(sp, ik, m);
    }
    return this.addSession(m, remoteAddr, remotePort, now);
  }

  /**
   * The session for an inbound packet to a public port, after filtering: an existing session, or a
   * new one on the mapping when the filtering behaviour (or a static forward) lets this remote in.
   */
  inbound(protocol: NatProtocol, remoteAddr: number, remotePort: number, outsidePort: number): Session | RefusalReason {
    const now = this.now();
    let m = this.spaces[protocol].outside.get(outsidePort);
    if (m === undefined) return 'no-mapping';
    const rk = remoteAddr * 65536 + remotePort;
    const s = m.session(rk);
    if (s !== undefined) {
      if (now < s.expiresAt) return s;
      this.removeSession(s, now, true);
      m = this.spaces[protocol].outside.get(outsidePort);
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
    const rk = remoteAddr * 65536 + remotePort;
    const s = this.mappingFor(this.spaces[protocol], insideAddr * 65536 + insidePort, remoteAddr, rk)?.session(rk);
    return s !== undefined && this.now() < s.expiresAt ? s : undefined;
  }

  /** The session an inbound packet belongs to, without filtering or creating. */
  findInbound(protocol: NatProtocol, remoteAddr: number, remotePort: number, outsidePort: number): Session | undefined {
    const s = this.spaces[protocol].outside.get(outsidePort)?.session(remoteAddr * 65536 + remotePort);
    return s !== undefined && this.now() < s.expiresAt ? s : undefined;
  }

  /** The mapping on a public port. */
  mappingAt(protocol: NatProtocol, outsidePort: number): Mapping | undefined {
    return this.spaces[protocol].outside.get(outsidePort);
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
    this.addMapping(sp, insideAddr * 65536 + insidePort, m);
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
      if (tcpFlags & TCPF.RST) s.flags |= RST_SEEN;
      if (tcpFlags & TCPF.SYN) s.flags |= outbound ? SYN_OUT : SYN_IN;
      if (tcpFlags & TCPF.FIN) s.flags |= outbound ? FIN_OUT : FIN_IN;
      s.state = tcpState(s.flags);
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
      for (const m of [...sp.outside.values()]) {
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
    if (m.session(s.remoteKey) !== s) return;
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
    for (const sp of Object.values(this.spaces)) for (const m of sp.outside.values()) m.forEach((s) => out.push(this.info(s)));
    out.sort((a, b) => a.protocol.localeCompare(b.protocol) || a.outsidePort - b.outsidePort || a.remoteAddress.localeCompare(b.remoteAddress) || a.remotePort - b.remotePort);
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
      rows.push([e.protocol, `${e.insideAddress}:${e.insidePort}`, '<->', `${e.outsideAddress}:${e.outsidePort}`, '<->', `${e.remoteAddress}:${e.remotePort}`, e.state, duration(e.expiresAt - now)]);
    }
    for (const sp of Object.values(this.spaces)) {
      for (const m of sp.outside.values()) {
        if (m.isStatic && m.count === 0) {
          rows.push([protocolName(m.protocol), `${ipv4Text(m.insideAddr)}:${m.insidePort}`, '<->', `${ipv4Text(this.publicAddress)}:${m.outsidePort}`, '<->', '*:*', 'static', 'never']);
        }
      }
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  private mappingFor(sp: ProtoSpace, ik: number, remoteAddr: number, rk: number): Mapping | undefined {
    const at = sp.inside.get(ik);
    if (at === undefined) return undefined;
    const b = this.mappingBehaviour;
    const scope = b === 'endpoint-independent' ? 0 : b === 'address-dependent' ? remoteAddr : rk;
    if (at instanceof Mapping) return at.scope === scope || at.isStatic ? at : undefined;
    return at.get(0) ?? at.get(scope);
  }

  private addMapping(sp: ProtoSpace, ik: number, m: Mapping): void {
    sp.outside.set(m.outsidePort, m);
    const at = sp.inside.get(ik);
    if (at === undefined) sp.inside.set(ik, m);
    else if (at instanceof Mapping) sp.inside.set(ik, new Map([[at.scope, at], [m.scope, m]]));
    else at.set(m.scope, m);
    this.perHost.set(m.insideAddr, (this.perHost.get(m.insideAddr) ?? 0) + 1);
  }

  private removeMapping(m: Mapping, now: number): void {
    const sp = this.spaces[m.protocol];
    if (sp.outside.get(m.outsidePort) !== m) return;
    sp.outside.delete(m.outsidePort);
    const ik = m.insideAddr * 65536 + m.insidePort;
    const at = sp.inside.get(ik);
    if (at === m) sp.inside.delete(ik);
    else if (at instanceof Map) {
      at.delete(m.scope);
      if (at.size === 1) sp.inside.set(ik, at.values().next().value as Mapping);
    }
    const held = (this.perHost.get(m.insideAddr) ?? 1) - 1;
    if (held === 0) this.perHost.delete(m.insideAddr);
    else this.perHost.set(m.insideAddr, held);
    sp.pool.release(m.outsidePort, now);
  }

  private addSession(m: Mapping, remoteAddr: number, remotePort: number, now: number): Session {
    const p = m.protocol;
    const s = new Session(m, remoteAddr, remotePort, now, p === 17 ? 'udp' : p === 1 ? 'icmp' : 'closed');
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
      this.emit({ type: 'refused', reason, protocol: protocolName(protocol), source: ipv4Text(src), sourcePort: srcPort, destination: ipv4Text(dst), destinationPort: dstPort });
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
    throw new NetlabRangeError(`NAT ${what} behaviour must be endpoint-independent, address-dependent or address-and-port-dependent, got ${String(b)}`, { layer: 'nat' });
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
