// What the STUN server and client need from a network: UDP sockets bound to an address and port, and
// a clock. Two implementations: real OS sockets (node:dgram) and the virtual hosts of a netsim network,
// so the same server and client classify netlab's translator in both modes.
//
//   const net = dgramNetwork();                      // real sockets, real clock
//   const s = await net.open('127.73.0.1', 0);       // s.port is the port the OS gave

import { createSocket, type Socket } from 'node:dgram';
import { NetlabError } from '../../base/errors.ts';
import { realClock, type NetClock } from '../../base/timer-clock.ts';
import type { Host } from '../../netsim/host.ts';

export interface StunSocket {
  readonly address: string;
  readonly port: number;
  send(data: Uint8Array, port: number, address: string): void;
  /** Sets the handler for each datagram (one handler; replaces the last). */
  onMessage(fn: (data: Uint8Array, address: string, port: number) => void): void;
  close(): Promise<void>;
}

export interface StunNetwork {
  readonly clock: NetClock;
  /** Opens a socket on `address` (port 0: any free port). Rejects with ERR_IO when the port is taken. */
  open(address: string, port: number): Promise<StunSocket>;
}

export interface DgramNetworkOptions {
  /** Called with each socket once bound (a socket tap: `(s) => tap.udp(s)`). */
  onSocket?: (socket: Socket) => void;
}

/** Real UDP sockets (node:dgram) and the machine's clock. */
export function dgramNetwork(clock: NetClock = realClock(), options: DgramNetworkOptions = {}): StunNetwork {
  return {
    clock,
    open(address, port) {
      return new Promise((resolve, reject) => {
        const sock: Socket = createSocket({ type: 'udp4' });
        let handler: ((data: Uint8Array, address: string, port: number) => void) | undefined;
        sock.on('message', (msg, rinfo) => handler?.(msg, rinfo.address, rinfo.port));
        const onError = (e: Error): void => {
          sock.close();
          reject(new NetlabError('ERR_IO', `cannot bind UDP ${address}:${port}: ${e.message}`, { layer: 'nat', cause: e }));
        };
        sock.once('error', onError);
        sock.bind(port, address, () => {
          sock.off('error', onError);
          // Errors after bind (ICMP port unreachable reported as ECONNREFUSED, say) are not fatal to a STUN socket.
          sock.on('error', () => {});
          const bound = sock.address().port;
          options.onSocket?.(sock);
          let closed = false;
          resolve({
            address,
            port: bound,
            send(data, p, a) {
              if (!closed) sock.send(data, p, a);
            },
            onMessage(fn) {
              handler = fn;
            },
            close() {
              if (closed) return Promise.resolve();
              closed = true;
              return new Promise<void>((res) => sock.close(() => res()));
            },
          });
        });
      });
    },
  };
}

/**
 * Sockets on netsim virtual hosts: `hosts` maps each address the caller opens sockets on to the host
 * that owns it (a netsim host binds a port across its addresses, so two addresses sharing a port
 * need two hosts).
 */
export function netsimNetwork(clock: NetClock, hosts: Readonly<Record<string, Host>>): StunNetwork {
  return {
    clock,
    open(address, port) {
      const host = hosts[address];
      if (host === undefined) return Promise.reject(new NetlabError('ERR_ARGUMENT', `no virtual host is given for address ${address}`, { layer: 'nat' }));
      const s = host.udpSocket();
      try {
        s.bind(port, address);
      } catch (e) {
        s.close();
        return Promise.reject(
          new NetlabError('ERR_IO', `cannot bind virtual UDP ${address}:${port} on ${host.name}: ${(e as Error).message}`, { layer: 'nat', cause: e }),
        );
      }
      s.onError(() => {});
      return Promise.resolve({
        address,
        port: s.port,
        send(data, p, a) {
          if (s.isClosed) return;
          try {
            s.send(data, p, a);
          } catch {
            // No route: a datagram lost, as on a real network.
          }
        },
        onMessage(fn) {
          s.onMessage((m) => fn(m.data, m.address, m.port));
        },
        close() {
          s.close();
          return Promise.resolve();
        },
      });
    },
  };
}
