// A UDP socket on a virtual host: bind (a port, or 0 for an ephemeral one), send datagrams to an address
// and port (optionally with a chosen TTL, for traceroute), receive with a handler or one at a time with
// `receive()`. An ICMP error about a datagram this socket sent (port unreachable, host unreachable...) is
// reported to the socket as an error with the code a kernel socket gives (ECONNREFUSED, EHOSTUNREACH).
// Unlike Linux, which reports them only on connected sockets, every virtual socket hears its errors:
// a lab wants to show them.

import { NetsimError, type NetsimErrorCode } from './host-errors.ts';
import type { IcmpErrorReport } from './icmp-errors.ts';
import { describeIcmpError } from './icmp-errors.ts';
import { ipv4Number, ipv4Text } from './host-addr.ts';
import type { NetClock, TimerHandle } from '../base/timer-clock.ts';

/** One received datagram. */
export interface UdpMessage {
  data: Uint8Array;
  /** The sender's address and port. */
  address: string;
  port: number;
  /** The address it was sent to (one of the host's, or a broadcast). */
  localAddress: string;
  /** TTL of the datagram as it arrived. */
  ttl: number;
}

/** An ICMP error about a datagram the socket sent. */
export interface UdpSocketError {
  code: NetsimErrorCode;
  message: string;
  report: IcmpErrorReport;
}

export interface UdpSendOptions {
  /** IPv4 TTL for this datagram (default the host's, 64). */
  ttl?: number;
  /** Set the Don't Fragment bit. */
  df?: boolean;
}

/** What a socket needs from its host (the Host implements it). */
export interface UdpHost {
  readonly name: string;
  readonly clock: NetClock;
  bindUdp(socket: UdpSocket, port: number, address: number): number;
  unbindUdp(socket: UdpSocket): void;
  sendUdp(socket: UdpSocket, data: Uint8Array, dst: number, dstPort: number, options: UdpSendOptions): void;
}

/** Messages kept for `receive()` when no handler is set; more are dropped (counted). */
export const UDP_QUEUE_LIMIT = 256;

export class UdpSocket {
  private boundPort = 0;
  private boundAddress = 0;
  private closed = false;
  private messageHandler: ((m: UdpMessage) => void) | undefined;
  private errorHandler: ((e: UdpSocketError) => void) | undefined;
  private readonly queue: UdpMessage[] = [];
  private readonly waiting: { resolve: (m: UdpMessage) => void; reject: (e: Error) => void; timer: TimerHandle | undefined }[] = [];
  /** Datagrams dropped because the receive queue was full. */
  drops = 0;
  /** Errors no handler heard. */
  unheardErrors = 0;
  /** The last error reported (kept even when a handler heard it). */
  lastError: UdpSocketError | undefined;

  constructor(private readonly host: UdpHost) {}

  /** The bound port, 0 before bind. */
  get port(): number {
    return this.boundPort;
  }

  /** The bound address (0.0.0.0 for any). */
  get address(): string {
    return ipv4Text(this.boundAddress);
  }

  /** Binds to a port (0: an ephemeral one) and an address of the host (default any); returns the port. */
  bind(port = 0, address = '0.0.0.0'): number {
    if (this.closed) throw new NetsimError('ECLOSED', `socket on ${this.host.name} is closed`);
    if (this.boundPort !== 0) throw new NetsimError('EINVAL', `socket on ${this.host.name} is already bound to port ${this.boundPort}`);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new NetsimError('EINVAL', `UDP port must be 0 to 65535, got ${port}`);
    this.boundAddress = ipv4Number(address);
    this.boundPort = this.host.bindUdp(this, port, this.boundAddress);
    return this.boundPort;
  }

  /** Sends one datagram (binds an ephemeral port first if unbound). Throws ENETUNREACH when there is no route. */
  send(data: Uint8Array | string, port: number, address: string, options: UdpSendOptions = {}): void {
    if (this.closed) throw new NetsimError('ECLOSED', `socket on ${this.host.name} is closed`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new NetsimError('EINVAL', `UDP destination port must be 1 to 65535, got ${port}`);
    if (options.ttl !== undefined && (!Number.isInteger(options.ttl) || options.ttl < 1 || options.ttl > 255)) {
      throw new NetsimError('EINVAL', `TTL must be 1 to 255, got ${options.ttl}`);
    }
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    if (bytes.length > 65507) throw new NetsimError('EINVAL', `UDP payload of ${bytes.length} bytes is over the 65507-byte limit`);
    if (this.boundPort === 0) this.bind(0);
    this.host.sendUdp(this, bytes, ipv4Number(address), port, options);
  }

  /** Sets the handler for each datagram (replaces an earlier one); queued datagrams are handed to it now. */
  onMessage(handler: (m: UdpMessage) => void): void {
    this.messageHandler = handler;
    while (this.queue.length > 0) handler(this.queue.shift() as UdpMessage);
  }

  /** Sets the handler for ICMP errors about datagrams this socket sent. */
  onError(handler: (e: UdpSocketError) => void): void {
    this.errorHandler = handler;
  }

  /** The next datagram; rejects with ETIMEDOUT after `timeoutMs` (on the host's clock), or when closed. */
  receive(timeoutMs?: number): Promise<UdpMessage> {
    if (this.closed) return Promise.reject(new NetsimError('ECLOSED', `socket on ${this.host.name} is closed`));
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const w: (typeof this.waiting)[number] = { resolve, reject, timer: undefined };
      if (timeoutMs !== undefined) {
        w.timer = this.host.clock.setTimer(() => {
          const i = this.waiting.indexOf(w);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(new NetsimError('ETIMEDOUT', `no datagram on ${this.host.name} port ${this.boundPort} within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.waiting.push(w);
    });
  }

  /** Unbinds; pending `receive()` calls reject with ECLOSED. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.boundPort !== 0) this.host.unbindUdp(this);
    for (const w of this.waiting.splice(0)) {
      if (w.timer !== undefined) this.host.clock.clearTimer(w.timer);
      w.reject(new NetsimError('ECLOSED', `socket on ${this.host.name} closed while waiting`));
    }
    this.queue.length = 0;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Called by the host with a datagram for this socket. */
  deliver(m: UdpMessage): void {
    if (this.closed) return;
    const w = this.waiting.shift();
    if (w !== undefined) {
      if (w.timer !== undefined) this.host.clock.clearTimer(w.timer);
      w.resolve(m);
      return;
    }
    if (this.messageHandler !== undefined) {
      this.messageHandler(m);
      return;
    }
    if (this.queue.length >= UDP_QUEUE_LIMIT) this.drops++;
    else this.queue.push(m);
  }

  /** Called by the host with an ICMP error about a datagram this socket sent. */
  deliverError(report: IcmpErrorReport): void {
    if (this.closed) return;
    const e: UdpSocketError = {
      code: errorCode(report),
      message: `${describeIcmpError(report.type, report.code)} from ${ipv4Text(report.from)} (about a datagram to ${ipv4Text(report.quoted.dst)}:${report.quoted.dstPort ?? '?'})`,
      report,
    };
    this.lastError = e;
    if (this.errorHandler !== undefined) this.errorHandler(e);
    else this.unheardErrors++;
  }
}

/** The errno a kernel socket reports for an ICMP error. */
function errorCode(r: IcmpErrorReport): NetsimErrorCode {
  if (r.type === 3 && (r.code === 3 || r.code === 2)) return 'ECONNREFUSED';
  if (r.type === 3 && r.code === 0) return 'ENETUNREACH';
  if (r.type === 3 || r.type === 11) return 'EHOSTUNREACH';
  return 'EPROTO';
}
