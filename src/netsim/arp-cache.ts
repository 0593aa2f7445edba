// The ARP cache of one interface: IPv4 address -> MAC, each entry ageing out after a timeout (read on
// the injectable clock), at most `maxEntries` of them (the oldest goes first when full, counted), so a
// host that is flooded with ARP cannot grow without bound.

import { ipv4Text, macText } from './host-addr.ts';
import type { NetClock } from '../base/timer-clock.ts';
import { NetlabRangeError } from '../base/errors.ts';

export interface ArpEntry {
  ip: number;
  mac: Uint8Array;
  /** 'reachable' entries age out; 'permanent' ones (added by hand) do not. */
  state: 'reachable' | 'permanent';
  /** Clock time when it was learnt or last confirmed. */
  updatedAt: number;
}

export interface ArpCacheOptions {
  clock: NetClock;
  /** How long a learnt entry lives (ms). Default 60000. */
  timeoutMs?: number;
  /** Most entries kept. Default 1024. */
  maxEntries?: number;
}

export class ArpCache {
  private readonly entries = new Map<number, ArpEntry>();
  private readonly clock: NetClock;
  readonly timeoutMs: number;
  readonly maxEntries: number;
  /** Entries pushed out because the cache was full. */
  evictions = 0;

  constructor(options: ArpCacheOptions) {
    this.clock = options.clock;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 1024;
    if (!(this.timeoutMs > 0)) throw new NetlabRangeError(`ARP cache timeout must be more than 0 ms, got ${options.timeoutMs}`);
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1)
      throw new NetlabRangeError(`ARP cache size must be a whole number >= 1, got ${options.maxEntries}`);
  }

  /** The MAC for `ip`, or undefined when unknown or aged out (an aged-out entry is removed). */
  lookup(ip: number): Uint8Array | undefined {
    const e = this.entries.get(ip);
    if (e === undefined) return undefined;
    if (this.expired(e)) {
      this.entries.delete(ip);
      return undefined;
    }
    return e.mac;
  }

  /** True when `ip` has a live entry. */
  has(ip: number): boolean {
    return this.lookup(ip) !== undefined;
  }

  /** Learns or refreshes `ip` -> `mac`. */
  set(ip: number, mac: Uint8Array, state: ArpEntry['state'] = 'reachable'): void {
    const old = this.entries.get(ip);
    if (old !== undefined) {
      if (old.state === 'permanent' && state !== 'permanent') return;
      this.entries.delete(ip); // re-insert so the map's order stays "least recently learnt first"
    } else if (this.entries.size >= this.maxEntries) {
      this.evictOne();
    }
    this.entries.set(ip, { ip, mac: Uint8Array.from(mac), state, updatedAt: this.clock.now() });
  }

  /** Updates an entry that exists (RFC 826's merge flag); false when there is none. */
  refresh(ip: number, mac: Uint8Array): boolean {
    if (!this.has(ip)) return false;
    this.set(ip, mac);
    return true;
  }

  delete(ip: number): boolean {
    return this.entries.delete(ip);
  }

  /** Live entries, in the order they were learnt. */
  list(): ArpEntry[] {
    const out: ArpEntry[] = [];
    for (const e of [...this.entries.values()]) {
      if (this.expired(e)) this.entries.delete(e.ip);
      else out.push(e);
    }
    return out;
  }

  get size(): number {
    return this.list().length;
  }

  /** Seconds until an entry ages out (Infinity for permanent ones). */
  expiresIn(e: ArpEntry): number {
    return e.state === 'permanent' ? Infinity : Math.max(0, (e.updatedAt + this.timeoutMs - this.clock.now()) / 1000);
  }

  /** Rows for a printed table: address, MAC, state, expires. */
  rows(): string[][] {
    return this.list().map((e) => [ipv4Text(e.ip), macText(e.mac), e.state, e.state === 'permanent' ? '-' : `${Math.ceil(this.expiresIn(e))}s`]);
  }

  private expired(e: ArpEntry): boolean {
    return e.state !== 'permanent' && this.clock.now() - e.updatedAt >= this.timeoutMs;
  }

  private evictOne(): void {
    // Aged-out entries first, then the least recently learnt non-permanent one.
    for (const e of this.entries.values()) {
      if (this.expired(e)) {
        this.entries.delete(e.ip);
        return;
      }
    }
    for (const e of this.entries.values()) {
      if (e.state !== 'permanent') {
        this.entries.delete(e.ip);
        this.evictions++;
        return;
      }
    }
    throw new NetlabRangeError(`ARP cache full of ${this.maxEntries} permanent entries`);
  }
}
