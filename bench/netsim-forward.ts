// `npm run bench:netsim [-- --seconds N]`: frames per second through netlab's learning switch and
// through its router, each between two VTEPs over VXLAN on loopback, beside a bare `dgram` relay (a
// socket that sends on every datagram it receives) on the same loopback in the same run: the most a
// Node process on this machine can forward. Target: the switch forwards at least 70% of the relay's rate.
//
// All three paths are measured the same way, in one process: a sender socket keeps at most WINDOW
// datagrams in flight (sent and not yet counted at the receiver, so no socket buffer overflows and
// nothing is lost), the receiver counts, and the rate is frames received per second over the run.
// The frames are 110-byte Ethernet/IPv4/UDP frames (64 bytes of payload), 160 bytes as VXLAN datagrams.

import { createSocket, type Socket } from 'node:dgram';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { encode, ethernet, ipv4, udp, payload, arp, vxlan, ARP_OPCODE_VALUE } from '../src/wire/index.ts';
import { Switch } from '../src/netsim/switch.ts';
import { Router } from '../src/netsim/router.ts';
import { Vtep } from '../src/netsim/vtep.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' } } });
const seconds = Number(values.seconds);
if (!(seconds >= 1 && seconds <= 60)) throw new Error(`--seconds must be 1..60, got ${values.seconds}`);

const WINDOW = 256;
const VNI = 42;
const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';
const ROUTER_A = '02:00:00:00:01:01';
const ROUTER_B = '02:00:00:00:02:01';

interface Endpoint {
  socket: Socket;
  port: number;
}

async function bind(address: string): Promise<Endpoint> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => resolve());
  });
  return { socket, port: socket.address().port };
}

function close(e: Endpoint): Promise<void> {
  return new Promise((resolve) => e.socket.close(() => resolve()));
}

/** One VXLAN datagram carrying `frame`. */
function vxlanDatagram(frame: Uint8Array): Buffer {
  return Buffer.from(encode([vxlan({ vni: VNI }), payload(frame)]));
}

function dataFrame(srcMac: string, dstMac: string, srcIp: string, dstIp: string): Uint8Array {
  return encode([
    ethernet({ src: srcMac, dst: dstMac }),
    ipv4({ src: srcIp, dst: dstIp, ttl: 64 }),
    udp({ sport: 40000, dport: 9 }),
    payload(new Uint8Array(64)),
  ]);
}

/**
 * Sends `datagram` from `from` to `to` as fast as the window allows for `seconds`, counting what
 * `receiver` gets (`isData` picks the datagrams that count). Returns frames per second.
 */
type Result = Awaited<ReturnType<typeof pump>>;

async function pump(
  from: Endpoint,
  to: { address: string; port: number },
  datagram: Buffer,
  receiver: Endpoint,
  isData: (msg: Buffer) => boolean,
): Promise<{ rate: number; sent: number; received: number; stalls: number }> {
  let sent = 0;
  let received = 0;
  /** Datagrams given up as lost after a stall (so that the window does not stay full of ghosts). */
  let lost = 0;
  let stalls = 0;
  let running = true;
  let resume: (() => void) | undefined;
  const inFlight = (): number => sent - received - lost;
  receiver.socket.on('message', (msg) => {
    if (!isData(msg)) return;
    received++;
    if (resume !== undefined && inFlight() < WINDOW / 2) {
      const r = resume;
      resume = undefined;
      r();
    }
  });
  const start = process.hrtime.bigint();
  const stop = setTimeout(() => (running = false), seconds * 1000);
  while (running) {
    while (running && inFlight() < WINDOW) {
      from.socket.send(datagram, to.port, to.address);
      sent++;
    }
    // Wait for the receiver to drain half the window; after 50 ms of nothing, count what is out as lost.
    await new Promise<void>((resolve) => {
      resume = resolve;
      setTimeout(() => {
        if (resume === resolve) {
          resume = undefined;
          stalls++;
          lost = sent - received;
          resolve();
        }
      }, 50);
    });
  }
  clearTimeout(stop);
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  receiver.socket.removeAllListeners('message');
  return { rate: received / elapsed, sent, received, stalls };
}

/** The bare relay: a socket that forwards every datagram it gets to the receiver. */
async function bareRelay(): Promise<Result> {
  const [a, relay, b] = await Promise.all([bind('127.0.0.1'), bind('127.0.0.2'), bind('127.0.0.3')]);
  relay.socket.on('message', (msg) => relay.socket.send(msg, b.port, '127.0.0.3'));
  const r = await pump(a, { address: '127.0.0.2', port: relay.port }, vxlanDatagram(dataFrame(MAC_A, MAC_B, '10.0.0.1', '10.0.0.2')), b, () => true);
  await Promise.all([close(a), close(relay), close(b)]);
  return r;
}

/** The switch with two VTEP ports (one per host VTEP), the hosts being the sender and receiver sockets. */
async function throughSwitch(): Promise<Result> {
  const [a, b] = await Promise.all([bind('127.0.0.1'), bind('127.0.0.3')]);
  const vtep = await Vtep.open({ address: '127.0.0.2' });
  const sw = new Switch({ name: 'sw1' });
  sw.addPort(vtep.port({ name: 'sw1-p1', vni: VNI, remote: { address: '127.0.0.1', port: a.port } }));
  sw.addPort(vtep.port({ name: 'sw1-p2', vni: VNI, remote: { address: '127.0.0.3', port: b.port } }));
  // B speaks first so the switch knows where MAC B lives (otherwise every frame is flooded).
  b.socket.send(vxlanDatagram(dataFrame(MAC_B, MAC_A, '10.0.0.2', '10.0.0.1')), vtep.localPort, '127.0.0.2');
  await new Promise((r) => setTimeout(r, 50));
  const r = await pump(a, { address: '127.0.0.2', port: vtep.localPort }, vxlanDatagram(dataFrame(MAC_A, MAC_B, '10.0.0.1', '10.0.0.2')), b, () => true);
  await sw.close();
  await vtep.close();
  await Promise.all([close(a), close(b)]);
  return r;
}

/** The router between two /24s, one VTEP port each; the receiver answers the router's ARP. */
async function throughRouter(): Promise<Result> {
  const [a, b] = await Promise.all([bind('127.0.0.1'), bind('127.0.0.3')]);
  const vtep = await Vtep.open({ address: '127.0.0.2' });
  const r1 = new Router({ name: 'r1' });
  r1.addInterface({
    name: 'eth0',
    port: vtep.port({ name: 'r1-eth0', vni: VNI, remote: { address: '127.0.0.1', port: a.port } }),
    mac: ROUTER_A,
    address: '10.0.1.1/24',
    announce: false,
  });
  r1.addInterface({
    name: 'eth1',
    port: vtep.port({ name: 'r1-eth1', vni: VNI + 1, remote: { address: '127.0.0.3', port: b.port } }),
    mac: ROUTER_B,
    address: '10.0.2.1/24',
    announce: false,
  });
  // Host B answers ARP requests for 10.0.2.2 (the only non-data datagrams it gets).
  const arpReply = Buffer.from(
    encode([
      vxlan({ vni: VNI + 1 }),
      ethernet({ src: MAC_B, dst: ROUTER_B, pad: true }),
      arp({ op: ARP_OPCODE_VALUE.REPLY, senderMac: MAC_B, senderIp: '10.0.2.2', targetMac: ROUTER_B, targetIp: '10.0.2.1' }),
    ]),
  );
  const isArp = (msg: Buffer): boolean => msg.length >= 8 + 14 && msg[8 + 12] === 0x08 && msg[8 + 13] === 0x06;
  b.socket.on('message', (msg) => {
    if (isArp(msg)) b.socket.send(arpReply, vtep.localPort, '127.0.0.2');
  });
  // Host A's frames go to the router's MAC (A knows it), for 10.0.2.2. One first, so that the router
  // resolves B by ARP before the run (its ARP queue holds only 3 frames meanwhile).
  const data = vxlanDatagram(dataFrame(MAC_A, ROUTER_A, '10.0.1.2', '10.0.2.2'));
  a.socket.send(data, vtep.localPort, '127.0.0.2');
  await new Promise((res) => setTimeout(res, 50));
  const r = await pump(a, { address: '127.0.0.2', port: vtep.localPort }, data, b, (msg) => !isArp(msg));
  await r1.close();
  await vtep.close();
  await Promise.all([close(a), close(b)]);
  return r;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const line = (label: string, r: Result, base?: Result): string =>
  `${label}: ${fmt(r.rate)} frames/s${base === undefined ? '' : ` = ${((r.rate / base.rate) * 100).toFixed(1)}% of the relay`}  (${fmt(r.received)} of ${fmt(r.sent)} sent arrived; ${r.stalls} stalls)`;
console.log(`netsim forwarding, ${seconds} s per path, window ${WINDOW}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
const relay = await bareRelay();
console.log(line('bare dgram relay', relay));
const sw = await throughSwitch();
console.log(`${line('switch (VXLAN)  ', sw, relay)}  target 70%`);
const router = await throughRouter();
console.log(line('router (VXLAN)  ', router, relay));
