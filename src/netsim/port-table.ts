// One transport's port space on a host (UDP has one, TCP another): binding a chosen port, handing out
// ephemeral ones (32768-60999, Linux's ip_local_port_range, upwards and wrapping), and finding who
// holds a port.

import { NetsimError } from './host-errors.ts';
import { NetlabRangeError } from '../base/errors.ts';

export const EPHEMERAL_LOW = 32768;
export const EPHEMERAL_HIGH = 60999;

export class PortTable<T> {
  private readonly bound = new Map<number, T>();
  private nextEphemeral: number;

  /** `what` names the table in errors ('h1: TCP'). */
  constructor(
    private readonly what: string,
    firstEphemeral = EPHEMERAL_LOW,
  ) {
    if (!Number.isInteger(firstEphemeral) || firstEphemeral < EPHEMERAL_LOW || firstEphemeral > EPHEMERAL_HIGH) {
      throw new NetlabRangeError(`${what}: firstEphemeralPort must be ${EPHEMERAL_LOW} to ${EPHEMERAL_HIGH}, got ${firstEphemeral}`);
    }
    this.nextEphemeral = firstEphemeral;
  }

  /** Binds `port` (0: the next free ephemeral port) to `owner`; returns the port. Throws EADDRINUSE. */
  bind(owner: T, port: number): number {
    if (port === 0) {
      for (let n = 0; n <= EPHEMERAL_HIGH - EPHEMERAL_LOW; n++) {
        const p = this.nextEphemeral;
        this.nextEphemeral = p >= EPHEMERAL_HIGH ? EPHEMERAL_LOW : p + 1;
        if (!this.bound.has(p)) {
          this.bound.set(p, owner);
          return p;
        }
      }
      throw new NetsimError('EADDRINUSE', `${this.what}: every ephemeral port is in use`);
    }
    if (this.bound.has(port)) throw new NetsimError('EADDRINUSE', `${this.what} port ${port} is already bound`);
    this.bound.set(port, owner);
    return port;
  }

  /** Frees `port` if `owner` holds it. */
  unbind(owner: T, port: number): void {
    if (this.bound.get(port) === owner) this.bound.delete(port);
  }

  get(port: number): T | undefined {
    return this.bound.get(port);
  }

  has(port: number): boolean {
    return this.bound.has(port);
  }

  values(): T[] {
    return [...this.bound.values()];
  }

  get size(): number {
    return this.bound.size;
  }
}
