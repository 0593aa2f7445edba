// Port (and ICMP identifier) allocation for one protocol on one public address: port preservation when
// the inside port is free, otherwise a search of the configured range that starts at a counter
// (sequential), a random offset (RFC 6056 algorithm 1) or a keyed hash of the remote endpoint plus a
// counter (RFC 6056 algorithm 3); parity kept (RFC 4787 REQ-4); a freed port held back for holdMs.
// State is two typed arrays over the 65536 ports: no allocation per flow.

import { NetlabRangeError } from '../base/errors.ts';
import type { Random } from '../base/random.ts';
import type { PortSettings } from './types.ts';

const FREE = 0;
const USED = 1;
const HELD = 2;

export class PortPool {
  private readonly state = new Uint8Array(65536);
  private readonly heldUntil = new Float64Array(65536);
  private cursor = 0;
  private hashCounter = 0;
  private readonly secret: number;
  private inUse = 0;

  constructor(
    readonly settings: PortSettings,
    private readonly random: Random,
    /** ICMP identifiers: no parity, every value from 0 is usable. */
    private readonly identifiers = false,
  ) {
    const { min, max } = settings;
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < (identifiers ? 0 : 1) || max > 65535 || min > max) {
      throw new NetlabRangeError(`NAT port range ${min}..${max} is not a range of ${identifiers ? 'identifiers 0' : 'ports 1'}..65535`, { layer: 'nat' });
    }
    if (!(settings.holdMs >= 0)) throw new NetlabRangeError(`NAT port hold time must be 0 ms or more, got ${settings.holdMs}`, { layer: 'nat' });
    this.secret = random.uint32();
  }

  /** Ports now taken. */
  get used(): number {
    return this.inUse;
  }

  isFree(port: number, now: number): boolean {
    const s = this.state[port];
    return s === FREE || (s === HELD && now >= this.heldUntil[port]);
  }

  /** Marks a port taken (a static forward, or a port picked by allocate). False when it is not free. */
  take(port: number, now: number): boolean {
    if (!this.isFree(port, now)) return false;
    this.state[port] = USED;
    this.inUse++;
    return true;
  }

  /** Gives a port back; it stays held for holdMs. */
  release(port: number, now: number): void {
    if (this.state[port] !== USED) return;
    this.inUse--;
    if (this.settings.holdMs > 0) {
      this.state[port] = HELD;
      this.heldUntil[port] = now + this.settings.holdMs;
    } else this.state[port] = FREE;
  }

  /**
   * A port for a new mapping of an inside endpoint toward a remote endpoint, or -1 when none is free
   * (with parity, only ports of the inside port's parity count).
   */
  allocate(insidePort: number, remoteAddr: number, remotePort: number, now: number): number {
    const { min, max, preserve, allocation } = this.settings;
    const parity = this.settings.parity && !this.identifiers;
    if (preserve && (insidePort > 0 || this.identifiers) && this.take(insidePort, now)) return insidePort;
    const n = max - min + 1;
    let offset: number;
    if (allocation === 'sequential') offset = this.cursor;
    else if (allocation === 'random') offset = this.random.int(0, n - 1);
    else offset = (hash3(remoteAddr, remotePort, this.secret) + this.hashCounter++) % n;
    for (let i = 0; i < n; i++) {
      const port = min + ((offset + i) % n);
      if (parity && (port & 1) !== (insidePort & 1)) continue;
      if (this.take(port, now)) {
        if (allocation === 'sequential') this.cursor = (port - min + 1) % n;
        return port;
      }
    }
    return -1;
  }
}

/** RFC 6056 algorithm 3's F(): a keyed 32-bit mix of the remote endpoint (FNV-1a over the words with the secret). */
function hash3(addr: number, port: number, secret: number): number {
  let h = (0x811c9dc5 ^ secret) >>> 0;
  for (const w of [addr >>> 16, addr & 0xffff, port]) {
    h = Math.imul(h ^ (w & 0xff), 0x01000193);
    h = Math.imul(h ^ (w >>> 8), 0x01000193);
  }
  return h >>> 0;
}
