// UDP on the NAT labs' home network: an echo server that also remembers its clients (so it can push
// to them later, as a game or VoIP server does), and a client socket whose every datagram, answer and
// ICMP error is kept in order.

import type { Host } from '../../src/netsim/index.ts';
import { ep } from '../nat-pat/flows.ts';

type Socket = ReturnType<Host['udpSocket']>;

export interface EchoServer {
  readonly socket: Socket;
  /** Each datagram's sender, as address:port, in arrival order. */
  readonly seen: string[];
  /** Sends `text` to a client address:port it saw. */
  push(client: string, text: string): void;
}

/** An echo server on `port` of `h`: answers `echo TEXT from ADDR:PORT`. */
export function echoServer(h: Host, port: number): EchoServer {
  const socket = h.udpSocket();
  socket.bind(port);
  const seen: string[] = [];
  socket.onMessage((m) => {
    seen.push(ep(m.address, m.port));
    socket.send(`echo ${Buffer.from(m.data).toString()} from ${ep(m.address, m.port)}`, m.port, m.address);
  });
  socket.onError(() => undefined);
  return {
    socket,
    seen,
    push(client, text) {
      const i = client.lastIndexOf(':');
      socket.send(text, Number(client.slice(i + 1)), client.slice(0, i));
    },
  };
}

export interface Client {
  readonly socket: Socket;
  /** What arrived: `got TEXT` for a datagram, `error CODE (type/code)` for an ICMP error. */
  readonly heard: string[];
}

/** A UDP socket on `h` bound to `port` that records everything it hears. */
export function client(h: Host, port: number): Client {
  const socket = h.udpSocket();
  socket.bind(port);
  const heard: string[] = [];
  socket.onMessage((m) => heard.push(`got ${Buffer.from(m.data).toString()}`));
  socket.onError((e) => heard.push(`error ${e.code} (ICMP ${e.report.type}/${e.report.code})`));
  return { socket, heard };
}
