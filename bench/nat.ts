// `npx tsx bench/nat.ts [--sessions N]`: the NAT translator's numbers, in one process, nothing on the network.
//   1. Memory: bytes per session with N live sessions (default 1 000 000: 50 000 UDP mappings, each
//      talking to N/50 000 remotes, endpoint-independent mapping), and bytes per mapping with 60 000
//      TCP mappings of one session each (one public address has at most 64 512 ports per protocol, so
//      a million rows are a million sessions, not a million ports). Target: under 200 bytes.
//   2. Lookups per second in that million-session table: inbound (public port + remote) and
//      outbound (inside endpoint + remote), keys drawn at random beforehand.
//   3. Frames per second through a netsim Router forwarding 110-byte UDP frames from the inside
//      out, without NAT and with NAT on the outside interface (and inbound replies through NAT).
//      Target: NAT costs at most 25%.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseArgs } from 'node:util';
import { encode, ethernet, ipv4, payload, udp } from '../src/wire/index.ts';
import { ManualClock } from '../src/base/timer-clock.ts';
import { seededRandom } from '../src/base/random.ts';
import { Router } from '../src/netsim/router.ts';
import type { FramePort, FrameHandler } from '../src/netsim/port.ts';
import { macOf, ipv4Number } from '../src/netsim/host-addr.ts';
import { NatTable } from '../src/nat/table.ts';
import { enableNat } from '../src/nat/router-nat.ts';

const { values } = parseArgs({ options: { sessions: { type: 'string', default: '1000000' } } });
const SESSIONS = Number(values.sessions);
if (!Number.isInteger(SESSIONS) || SESSIONS < 50_000 || SESSIONS > 5_000_000) throw new Error(`--sessions must be 50000..5000000, got ${values.sessions}`);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const PUBLIC = 0xcb007105;
const MAPPINGS = 50_000;
const PER = Math.ceil(SESSIONS / MAPPINGS);

// 1. Memory, 2. lookups.
{
  const before = heap();
  const t = new NatTable({ publicAddress: PUBLIC, now: () => 0, maxSessions: SESSIONS + 1, ports: { min: 1024, max: 65535, preserve: false, parity: false } });
  let n = 0;
  for (let i = 0; i < MAPPINGS && n < SESSIONS; i++) {
    for (let k = 0; k < PER && n < SESSIONS; k++, n++) {
      const s = t.outbound(17, 0x0a000000 + i, 40000, 0xc6336400 + k, 443);
      if (typeof s === 'string') throw new Error(`bench: table refused session ${n}: ${s}`);
    }
  }
  const perSession = (heap() - before) / t.size;
  const single = new NatTable({ publicAddress: PUBLIC, now: () => 0, ports: { min: 1024, max: 65535, preserve: false, parity: false } });
  const b2 = heap();
  for (let i = 0; i < 60_000; i++) single.outbound(6, 0x0a000000 + i, 40000, 0xc6336401, 443);
  const perMapping = (heap() - b2) / single.size;
  console.log(`memory: ${t.size} live sessions in ${MAPPINGS} mappings: ${perSession.toFixed(0)} bytes per session`);
  console.log(`memory: ${single.size} mappings of one session: ${perMapping.toFixed(0)} bytes per mapping (target < 200)`);

  const LOOKUPS = 2_000_000;
  const rnd = seededRandom('bench-nat');
  const mi = new Int32Array(LOOKUPS);
  const si = new Int32Array(LOOKUPS);
  for (let j = 0; j < LOOKUPS; j++) {
    mi[j] = rnd.int(0, MAPPINGS - 1);
    si[j] = rnd.int(0, PER - 1);
  }
  const ports = new Int32Array(MAPPINGS);
  for (let i = 0; i < MAPPINGS; i++) {
    const s = t.findOutbound(17, 0x0a000000 + i, 40000, 0xc6336400, 443);
    ports[i] = s === undefined ? -1 : s.outsidePort;
  }
  let hits = 0;
  let t0 = process.hrtime.bigint();
  for (let j = 0; j < LOOKUPS; j++) if (t.findInbound(17, 0xc6336400 + si[j], 443, ports[mi[j]]) !== undefined) hits++;
  let ns = Number(process.hrtime.bigint() - t0);
  console.log(`lookups: inbound ${(((LOOKUPS / ns) * 1e9) / 1e6).toFixed(2)} M/s (${hits} of ${LOOKUPS} hit)`);
  hits = 0;
  t0 = process.hrtime.bigint();
  for (let j = 0; j < LOOKUPS; j++) if (t.findOutbound(17, 0x0a000000 + mi[j], 40000, 0xc6336400 + si[j], 443) !== undefined) hits++;
  ns = Number(process.hrtime.bigint() - t0);
  console.log(`lookups: outbound ${(((LOOKUPS / ns) * 1e9) / 1e6).toFixed(2)} M/s (${hits} of ${LOOKUPS} hit)`);
}

// 3. Frames per second through a router, without and with NAT.
interface Sink extends FramePort {
  deliver(frame: Uint8Array): void;
  sent: number;
}
function sink(name: string): Sink {
  let handler: FrameHandler | undefined;
  const p: Sink = {
    name,
    sent: 0,
    send() {
      p.sent++;
    },
    onFrame(h) {
      handler = h;
    },
    close: async () => undefined,
    deliver(frame) {
      handler?.(frame);
    },
  };
  return p;
}

const R0 = '02:00:00:00:01:01';
const R1 = '02:00:00:00:02:05';
function rate(withNat: boolean, inbound: boolean): number {
  const clock = new ManualClock(0);
  const r = new Router({ name: 'r1', clock });
  const lan = sink('lan');
  const wan = sink('wan');
  r.addInterface({ name: 'eth0', port: lan, mac: R0, address: '192.168.1.1/24', announce: false });
  r.addInterface({ name: 'eth1', port: wan, mac: R1, address: '203.0.113.5/24', announce: false });
  r.setGateway('203.0.113.1');
  r.interface('eth0').cache.set(ipv4Number('192.168.1.2'), macOf('02:00:00:00:01:02'));
  r.interface('eth1').cache.set(ipv4Number('203.0.113.1'), macOf('02:00:00:00:02:01'));
  const nat = withNat ? enableNat(r, { outside: 'eth1', inside: '192.168.1.0/24' }) : undefined;
  const outFrame = encode([
    ethernet({ src: '02:00:00:00:01:02', dst: R0 }),
    ipv4({ src: '192.168.1.2', dst: '198.51.100.1' }),
    udp({ sport: 40000, dport: 53 }),
    payload(new Uint8Array(64)),
  ]);
  lan.deliver(outFrame); // creates the mapping
  const port = nat === undefined ? 40000 : nat.table.entries()[0].outsidePort;
  const inFrame = encode([
    ethernet({ src: '02:00:00:00:02:01', dst: R1 }),
    ipv4({ src: '198.51.100.1', dst: withNat ? '203.0.113.5' : '192.168.1.2' }),
    udp({ sport: 53, dport: port }),
    payload(new Uint8Array(64)),
  ]);
  const port0 = inbound ? wan : lan;
  const frame = inbound ? inFrame : outFrame;
  const target = inbound ? lan : wan;
  const N = 300_000;
  for (let i = 0; i < 20_000; i++) port0.deliver(frame);
  const before = target.sent;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) port0.deliver(frame);
  const ns = Number(process.hrtime.bigint() - t0);
  if (target.sent - before !== N) throw new Error(`bench: ${target.sent - before} of ${N} frames forwarded (nat ${withNat}, inbound ${inbound})`);
  void r.close();
  return (N / ns) * 1e9;
}

// The machine is shared: runs alternate with and without NAT, and each side keeps its best of four.
for (const inbound of [false, true]) {
  let plain = 0;
  let natted = 0;
  for (let i = 0; i < 4; i++) {
    plain = Math.max(plain, rate(false, inbound));
    natted = Math.max(natted, rate(true, inbound));
  }
  const dir = inbound ? 'inbound ' : 'outbound';
  console.log(
    `router ${dir}: ${(plain / 1e3).toFixed(0)} k frames/s without NAT, ${(natted / 1e3).toFixed(0)} k frames/s with NAT (cost ${((1 - natted / plain) * 100).toFixed(1)}%, target <= 25%)`,
  );
}
