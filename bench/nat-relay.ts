// `npx tsx bench/nat-relay.ts [--count N]`: socket-mode NAT relay throughput on real UDP sockets,
// beside the peer it is measured against: a plain Node UDP forwarder (one socket in, one socket out,
// no table) on the same path. A client (127.73.0.60) keeps 64 datagrams of 100 bytes in flight to an
// echo server beyond (127.74.3.1) through each middlebox and counts echoes; N echoes (default
// 100 000) or 20 s, whichever comes first. Prints echoes per second for both and the ratio.

import { createSocket, type Socket } from 'node:dgram';
import { parseArgs } from 'node:util';
import { SocketRelay } from '../src/nat/socket-relay.ts';

const { values } = parseArgs({ options: { count: { type: 'string', default: '100000' } } });
const COUNT = Number(values.count);
if (!Number.isInteger(COUNT) || COUNT < 1000 || COUNT > 10_000_000) throw new Error(`--count must be 1000..10000000, got ${values.count}`);
const WINDOW = 64;
const LIMIT_MS = 20_000;

const bind = (address: string, port = 0): Promise<Socket> =>
  new Promise((res, rej) => {
    const s = createSocket('udp4');
    s.once('error', rej);
    s.bind(port, address, () => res(s));
  });
const close = (s: Socket): Promise<void> => new Promise((res) => s.close(() => res()));

/** Echo server beyond the middlebox. */
async function echo(): Promise<Socket> {
  const s = await bind('127.74.3.1');
  s.on('message', (m, r) => s.send(m, r.port, r.address));
  return s;
}

/** Sends through `to` with WINDOW in flight; echoes per second, and datagrams given up as lost. */
async function drive(to: { address: string; port: number }): Promise<{ rate: number; n: number; lost: number }> {
  const c = await bind('127.73.0.60');
  const data = Buffer.alloc(100, 0x61);
  let got = 0;
  let inFlight = 0;
  let lost = 0;
  let lastGot = -1;
  const send = (): void => {
    c.send(data, to.port, to.address);
    inFlight++;
  };
  const t0 = performance.now();
  await new Promise<void>((done) => {
    const timer = setTimeout(finish, LIMIT_MS);
    // A window that made no progress for 20 ms lost its datagrams: count them and refill.
    const watch = setInterval(() => {
      if (got === lastGot) {
        lost += inFlight;
        inFlight = 0;
        while (inFlight < WINDOW) send();
      }
      lastGot = got;
    }, 20);
    function finish(): void {
      clearTimeout(timer);
      clearInterval(watch);
      done();
    }
    c.on('message', () => {
      got++;
      inFlight = Math.max(0, inFlight - 1);
      if (got >= COUNT) finish();
      else if (got + inFlight < COUNT) send();
    });
    while (inFlight < WINDOW) send();
  });
  const ms = performance.now() - t0;
  await close(c);
  return { rate: (got / ms) * 1000, n: got, lost };
}

/** The peer: a plain forwarder, inside face 127.73.252.1, outside socket on 127.74.0.150. */
async function plainPipe(server: { address: string; port: number }): Promise<{ inside: Socket; outside: Socket }> {
  const inside = await bind('127.73.252.1', server.port);
  const outside = await bind('127.74.0.150');
  let client: { address: string; port: number } | undefined;
  inside.on('message', (m, r) => {
    client = { address: r.address, port: r.port };
    outside.send(m, server.port, server.address);
  });
  outside.on('message', (m) => {
    if (client !== undefined) inside.send(m, client.port, client.address);
  });
  return { inside, outside };
}

const server = await echo();
const sp = server.address().port;
const pipe = await plainPipe({ address: '127.74.3.1', port: sp });
const plain = await drive({ address: '127.73.252.1', port: sp });
await close(pipe.inside);
await close(pipe.outside);

const relay = await SocketRelay.start({
  inside: '127.73.0.0/16',
  publicAddress: '127.74.0.151',
  mirrors: [{ outside: '127.74.3.1', inside: '127.73.252.2' }],
  mapping: 'endpoint-independent',
  filtering: 'address-and-port-dependent',
});
const mirror = await relay.mirror('127.74.3.1', sp);
const nat = await drive(mirror);
console.log(relay.format());
await relay.close();
await close(server);

console.log(`plain Node UDP forwarder: ${Math.round(plain.rate)} echoes/s (${plain.n} echoes, both ways through it, ${plain.lost} lost)`);
console.log(`netlab socket-mode relay: ${Math.round(nat.rate)} echoes/s (${nat.n} echoes, both ways translated, ${nat.lost} lost)`);
console.log(`relay / plain: ${(nat.rate / plain.rate).toFixed(2)}`);
