// A learning bridge's MAC address table (IEEE 802.1D/802.1Q filtering database): (VLAN, MAC) -> port,
// learned from source addresses, aged out after `agingMs` without traffic from that address (802.1D's
// default ageing time is 300 s), bounded by `maxEntries`. When the table is full a new address is not
// learned (the frame is still forwarded, by flooding if its destination is unknown) and the refusal is
// counted: this is what a real switch does, and what a MAC-flooding attack exploits.
//
// Keys are numbers (VLAN * 2^48 + MAC as a 48-bit integer), so a lookup allocates nothing.

import { formatColumns } from './routes.ts';
import { macText } from './host-addr.ts';
import { NetlabRangeError } from '../base/errors.ts';

export interface MacTableOptions {
  /** Ageing time in ms (default 300 000, 802.1D's default). */
  agingMs?: number;
  /** Most entries held (default 8192). */
  maxEntries?: number;
}

export interface MacEntry {
  readonly vlan: number;
  /** aa:bb:cc:dd:ee:ff */
  readonly mac: string;
  readonly port: string;
  /** 'dynamic' (learned) or 'static' (configured; never ages). */
  readonly type: 'dynamic' | 'static';
  /** ms since the address was last seen (0 for static entries). */
  readonly ageMs: number;
}

export interface MacTableCounters {
  learned: number;
  /** An address seen on a different port than the table held (a host moved, or a loop). */
  moved: number;
  aged: number;
  /** Addresses not learned because the table was full. */
  refusedFull: number;
}

interface Slot {
  port: number;
  lastSeen: number;
  isStatic: boolean;
}

const TWO_48 = 2 ** 48;
export const DEFAULT_AGING_MS = 300_000;
export const DEFAULT_MAX_ENTRIES = 8192;

/** The 48-bit MAC at `off` as a number. */
export function macKey(b: Uint8Array, off: number): number {
  return b[off] * 2 ** 40 + b[off + 1] * 2 ** 32 + (((b[off + 2] << 24) | (b[off + 3] << 16) | (b[off + 4] << 8) | b[off + 5]) >>> 0);
}

function keyMacText(key: number): string {
  const mac = key % TWO_48;
  const b = new Uint8Array(6);
  let v = mac;
  for (let i = 5; i >= 0; i--) {
    b[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return macText(b);
}

export class MacTable {
  readonly agingMs: number;
  readonly maxEntries: number;
  readonly counters: MacTableCounters = { learned: 0, moved: 0, aged: 0, refusedFull: 0 };
  private readonly slots = new Map<number, Slot>();

  /** `portName(i)` names port number i in printed tables. */
  constructor(
    options: MacTableOptions,
    private readonly portName: (port: number) => string,
  ) {
    this.agingMs = options.agingMs ?? DEFAULT_AGING_MS;
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!(this.agingMs > 0) || !Number.isFinite(this.agingMs))
      throw new NetlabRangeError(`MacTable: agingMs must be a positive number of ms, got ${options.agingMs}`);
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1)
      throw new NetlabRangeError(`MacTable: maxEntries must be a positive integer, got ${options.maxEntries}`);
  }

  get size(): number {
    return this.slots.size;
  }

  /**
   * Records that `mac` (at `off` in `frame`) was seen on `port` in `vlan` at time `now`. Returns what
   * happened: 'new', 'moved', 'refreshed', 'static' (a static entry is never changed), or 'full'.
   */
  learn(vlan: number, frame: Uint8Array, off: number, port: number, now: number): 'new' | 'moved' | 'refreshed' | 'static' | 'full' {
    const key = vlan * TWO_48 + macKey(frame, off);
    const slot = this.slots.get(key);
    if (slot !== undefined) {
      if (slot.isStatic) return 'static';
      if (now - slot.lastSeen < this.agingMs) {
        slot.lastSeen = now;
        if (slot.port === port) return 'refreshed';
        slot.port = port;
        this.counters.moved++;
        return 'moved';
      }
      // Aged out but not yet swept: treat as a new address.
      this.slots.delete(key);
      this.counters.aged++;
    }
    if (this.slots.size >= this.maxEntries) {
      this.sweep(now);
      if (this.slots.size >= this.maxEntries) {
        this.counters.refusedFull++;
        return 'full';
      }
    }
    this.slots.set(key, { port, lastSeen: now, isStatic: false });
    this.counters.learned++;
    return 'new';
  }

  /** The port that `mac` (at `off`) was last seen on in `vlan`, or -1 if unknown or aged out. */
  lookup(vlan: number, frame: Uint8Array, off: number, now: number): number {
    const key = vlan * TWO_48 + macKey(frame, off);
    const slot = this.slots.get(key);
    if (slot === undefined) return -1;
    if (!slot.isStatic && now - slot.lastSeen >= this.agingMs) {
      this.slots.delete(key);
      this.counters.aged++;
      return -1;
    }
    return slot.port;
  }

  /** A static entry (never ages, never moves): `mac` as text or 6 bytes. */
  addStatic(vlan: number, mac: Uint8Array, port: number): void {
    this.slots.set(vlan * TWO_48 + macKey(mac, 0), { port, lastSeen: 0, isStatic: true });
  }

  /** Removes entries older than the ageing time; returns how many. */
  sweep(now: number): number {
    let n = 0;
    for (const [key, slot] of this.slots) {
      if (!slot.isStatic && now - slot.lastSeen >= this.agingMs) {
        this.slots.delete(key);
        n++;
      }
    }
    this.counters.aged += n;
    return n;
  }

  /** Forgets every dynamic entry on `port` (the port went down). */
  flushPort(port: number): void {
    for (const [key, slot] of this.slots) if (slot.port === port && !slot.isStatic) this.slots.delete(key);
  }

  /** Forgets every dynamic entry (a spanning-tree topology change: paths may have moved). */
  flushDynamic(): void {
    for (const [key, slot] of this.slots) if (!slot.isStatic) this.slots.delete(key);
  }

  /** Every live entry, sorted by VLAN, then MAC. */
  entries(now: number): MacEntry[] {
    const out: MacEntry[] = [];
    const keys = [...this.slots.keys()].sort((a, b) => a - b);
    for (const key of keys) {
      const slot = this.slots.get(key)!;
      const age = slot.isStatic ? 0 : now - slot.lastSeen;
      if (!slot.isStatic && age >= this.agingMs) continue;
      out.push({
        vlan: Math.floor(key / TWO_48),
        mac: keyMacText(key),
        port: this.portName(slot.port),
        type: slot.isStatic ? 'static' : 'dynamic',
        ageMs: age,
      });
    }
    return out;
  }

  /** The table the way a switch CLI prints it (`show mac address-table`), ages in whole seconds. */
  format(now: number): string {
    const rows: string[][] = [['Vlan', 'Mac Address', 'Type', 'Port', 'Age']];
    for (const e of this.entries(now))
      rows.push([String(e.vlan), e.mac, e.type.toUpperCase(), e.port, e.type === 'static' ? '-' : `${Math.floor(e.ageMs / 1000)}s`]);
    const total = rows.length - 1;
    return `${formatColumns(rows)}\nTotal Mac Addresses: ${total}`;
  }
}
