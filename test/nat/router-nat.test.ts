// Packet mode on a LabNet: the study guides' home network. Two inside PCs behind a router with NAT on
// its outside interface (192.168.1.0/24 inside, 203.0.113.5 outside, labels inside the virtual
// network only), an ISP router, and two servers. Real netlab TCP and UDP cross the translator.

import { afterEach, describe, expect, it } from 'vitest';
import { decode, type Ipv4, type Tcp } from '../../src/wire/index.ts';
import { Host } from '../../src/netsim/host.ts';
import { LabNet } from '../../src/netsim/lab-net.ts';
import { Router } from '../../src/netsim/router.ts';
import { Switch } from '../../src/netsim/switch.ts';
import { seededRandom } from '../../src/base/random.ts';
import { enableNat } from '../../src/nat/router-nat.ts';
import type { RouterNatOptions } from '../../src/nat/router-nat.ts';
import type { VirtualTcpSocket } from '../../src/netsim/tcp/index.ts';

interface Home {
  net: LabNet;
  pc1: Host;
  pc2: Host;
  r1: Router;
  isp: Router;
  google: Host;
  fastly: Host;
}

let nets: LabNet[] = [];
afterEach(async () => {
  for (const n of nets) await n.close();
  nets = [];
});

function home(nat: Omit<RouterNatOptions, 'outside' | 'inside'> | undefined): Home & { nat: ReturnType<typeof enableNat> | undefined } {
  const net = new LabNet({ start: { sec: 1_704_067_200, nsec: 0 }, delayMs: 1 });
  nets.push(net);
  const clock = net.clock;
  const mk = (name: string): Host => net.node(new Host({ name, clock, random: seededRandom(name) }));
  const rt = (name: string): Router => net.node(new Router({ name, clock, random: seededRandom(name) }));
  const sw = net.node(new Switch({ name: 'sw', clock }));
  const [pc1a, pc1b] = net.link('lan-pc1', 'pc1-eth0', 'sw-p1');
  const [pc2a, pc2b] = net.link('lan-pc2', 'pc2-eth0', 'sw-p2');
  const [r1a, r1b] = net.link('lan-r1', 'r1-eth0', 'sw-p3');
  sw.addPort(pc1b);
  sw.addPort(pc2b);
  sw.addPort(r1b);
  const [wanA, wanB] = net.link('wan', 'r1-eth1', 'isp-eth0');
  const [gA, gB] = net.link('dc1', 'isp-eth1', 'google-eth0');
  const [fA, fB] = net.link('dc2', 'isp-eth2', 'fastly-eth0');
  const pc1 = mk('pc1');
  pc1.addInterface({ name: 'eth0', port: pc1a, mac: '02:00:00:00:01:02', address: '192.168.1.2/24', announce: false });
  pc1.setGateway('192.168.1.1');
  const pc2 = mk('pc2');
  pc2.addInterface({ name: 'eth0', port: pc2a, mac: '02:00:00:00:01:03', address: '192.168.1.3/24', announce: false });
  pc2.setGateway('192.168.1.1');
  const r1 = rt('r1');
  r1.addInterface({ name: 'eth0', port: r1a, mac: '02:00:00:00:01:01', address: '192.168.1.1/24', announce: false });
  r1.addInterface({ name: 'eth1', port: wanA, mac: '02:00:00:00:02:05', address: '203.0.113.5/24', announce: false });
  r1.setGateway('203.0.113.1');
  const isp = rt('isp');
  isp.addInterface({ name: 'eth0', port: wanB, mac: '02:00:00:00:02:01', address: '203.0.113.1/24', announce: false });
  isp.addInterface({ name: 'eth1', port: gA, mac: '02:00:00:00:03:01', address: '142.250.195.1/24', announce: false });
  isp.addInterface({ name: 'eth2', port: fA, mac: '02:00:00:00:04:01', address: '151.101.65.1/24', announce: false });
  const google = mk('google');
  google.addInterface({ name: 'eth0', port: gB, mac: '02:00:00:00:03:64', address: '142.250.195.100/24', announce: false });
  google.setGateway('142.250.195.1');
  const fastly = mk('fastly');
  fastly.addInterface({ name: 'eth0', port: fB, mac: '02:00:00:00:04:45', address: '151.101.65.69/24', announce: false });
  fastly.setGateway('151.101.65.1');
  const n = nat === undefined ? undefined : enableNat(r1, { outside: 'eth1', inside: '192.168.1.0/24', ...nat });
  return { net, pc1, pc2, r1, isp, google, fastly, nat: n };
}

/** A TCP echo-ish server that answers each connection with `reply` and records who it saw. */
function tcpServer(h: Host, port: number, reply: string, seen: string[]): void {
  h.tcp.listen(port, (s: VirtualTcpSocket) => {
    seen.push(`${s.remoteAddress}:${s.remotePort}`);
    s.on('data', () => s.write(reply));
  });
}

function connectAndRead(h: Host, host: string, port: number, localPort: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = h.tcp.connect({ host, port, localPort });
    let got = '';
    s.on('connect', () => s.write('hello'));
    s.on('data', (b: Uint8Array) => {
      got += Buffer.from(b).toString();
      resolve(got);
    });
    s.on('error', reject);
  });
}

describe('packet mode: the home network (PAT)', () => {
  it('reproduces the table 203.0.113.5:50001/50002/50003 with sequential allocation, replies matched back by public port', async () => {
    const h = home({ ports: { min: 50001, max: 50100, preserve: false, parity: false, allocation: 'sequential' } });
    const seenG: string[] = [];
    const seenF: string[] = [];
    tcpServer(h.google, 443, 'from-google', seenG);
    tcpServer(h.fastly, 80, 'from-fastly', seenF);
    expect(await h.net.run(connectAndRead(h.pc1, '142.250.195.100', 443, 1234))).toBe('from-google');
    expect(await h.net.run(connectAndRead(h.pc1, '151.101.65.69', 80, 1235))).toBe('from-fastly');
    expect(await h.net.run(connectAndRead(h.pc2, '142.250.195.100', 443, 2345))).toBe('from-google');
    // The servers saw only the public address; each flow its own public port.
    expect(seenG).toEqual(['203.0.113.5:50001', '203.0.113.5:50003']);
    expect(seenF).toEqual(['203.0.113.5:50002']);
    const rows = h
      .nat!.table.entries()
      .map((e) => `${e.protocol} ${e.insideAddress}:${e.insidePort} ${e.outsideAddress}:${e.outsidePort} ${e.remoteAddress}:${e.remotePort} ${e.state}`);
    expect(rows).toEqual([
      'tcp 192.168.1.2:1234 203.0.113.5:50001 142.250.195.100:443 established',
      'tcp 192.168.1.2:1235 203.0.113.5:50002 151.101.65.69:80 established',
      'tcp 192.168.1.3:2345 203.0.113.5:50003 142.250.195.100:443 established',
    ]);
    const text = h.nat!.table.format();
    expect(text.split('\n')[1]).toMatch(/^tcp +192\.168\.1\.2:1234 +<-> +203\.0\.113\.5:50001 +<-> +142\.250\.195\.100:443 +established +2:0[34]:\d\d$/);
    // No inside address and no inside MAC on the WAN; every checksum there good.
    const wan = h.net.frames.filter((f) => f.link === 'wan');
    expect(wan.length).toBeGreaterThan(10);
    for (const f of wan) {
      const ls = decode(f.frame, 1).layers;
      const ip = ls.find((l) => l.kind === 'ipv4')?.value as Ipv4 | undefined;
      if (ip === undefined) continue;
      expect([...ip.src].join('.')).not.toMatch(/^192\.168\./);
      expect([...ip.dst].join('.')).not.toMatch(/^192\.168\./);
      expect(ip.checksumStatus).toBe('good');
      const t = ls.find((l) => l.kind === 'tcp')?.value as Tcp | undefined;
      if (t !== undefined) expect(t.checksumStatus).toBe('good');
      expect(Buffer.from(f.frame.subarray(0, 12)).toString('hex')).not.toMatch(/02000000010[23]/);
    }
    expect(h.nat!.counters.translatedOut).toBeGreaterThan(0);
    expect(h.nat!.counters.translatedIn).toBeGreaterThan(0);
  });

  it('keeps the inside port when free (port preservation) and carries UDP and ping both ways', async () => {
    const h = home({});
    const server = h.fastly.udpSocket();
    server.bind(53);
    server.onMessage((m) => server.send(`pong ${m.address}:${m.port}`, m.port, m.address));
    const client = h.pc2.udpSocket();
    client.bind(2345);
    const got = new Promise<string>((resolve) => client.onMessage((m) => resolve(`${m.address}:${m.port} ${Buffer.from(m.data).toString()}`)));
    client.send('ping', 53, '151.101.65.69');
    expect(await h.net.run(got)).toBe('151.101.65.69:53 pong 203.0.113.5:2345');
    const ping = await h.net.run(h.pc1.ping('142.250.195.100', { count: 2 }));
    expect(ping.replies.length).toBe(2);
    expect(h.nat!.table.entries().map((e) => `${e.protocol} ${e.insideAddress}:${e.insidePort} ${e.outsidePort} ${e.state}`)).toEqual([
      expect.stringMatching(/^icmp 192\.168\.1\.2:\d+ \d+ icmp$/),
      'udp 192.168.1.3:2345 2345 udp',
    ]);
  });

  it('a private source with no NAT gets no reply (the server answers a private address nobody routes)', async () => {
    const h = home(undefined);
    const seen: string[] = [];
    tcpServer(h.google, 443, 'x', seen);
    const s = h.pc1.tcp.connect({ host: '142.250.195.100', port: 443, localPort: 1234 });
    let connected = false;
    s.on('connect', () => (connected = true));
    s.on('error', () => undefined);
    await h.net.wait(5000);
    expect(connected).toBe(false);
    expect(seen).toEqual([]);
    // The SYN went out with its private source; the SYN-ACK died at the ISP, which has no route to it.
    expect(h.isp.stats.ipNoRoute).toBeGreaterThan(0);
    s.destroy();
  });
});

describe('packet mode: an unsolicited inbound SYN (RFC 5382 REQ-4)', () => {
  const icmpFromRouter = (h: Home): { at: number; code: number }[] =>
    h.net.frames
      .filter((f) => f.link === 'wan')
      .flatMap((f) => {
        const ls = decode(f.frame, 1).layers;
        const ip = ls.find((l) => l.kind === 'ipv4')?.value as Ipv4 | undefined;
        const icmp = ls.find((l) => l.kind === 'icmp')?.value as { type: number; code: number } | undefined;
        return ip !== undefined && icmp !== undefined && [...ip.src].join('.') === '203.0.113.5' && icmp.type === 3 ? [{ at: f.atMs, code: icmp.code }] : [];
      });

  it('by default is dropped silently and counted (REQ-4a)', async () => {
    const h = home({});
    h.google.tcp.connect({ host: '203.0.113.5', port: 50050, localPort: 5555 }).on('error', () => undefined);
    await h.net.wait(10_000);
    expect(h.nat!.counters.unsolicitedSyn).toBeGreaterThanOrEqual(1);
    expect(icmpFromRouter(h)).toEqual([]);
  });

  it("with unsolicitedSyn 'hold': ICMP port unreachable 6 s after the SYN when nobody inside claims it", async () => {
    const h = home({ unsolicitedSyn: 'hold' });
    const t0 = h.net.clock.now();
    h.google.tcp.connect({ host: '203.0.113.5', port: 50050, localPort: 5555 }).on('error', () => undefined);
    await h.net.wait(5_900);
    expect(icmpFromRouter(h)).toEqual([]);
    await h.net.wait(200);
    const sent = icmpFromRouter(h);
    expect(sent.length).toBe(1);
    expect(sent[0].code).toBe(3);
    expect(sent[0].at - t0).toBeGreaterThanOrEqual(6000);
    expect(h.nat!.counters.unsolicitedSynUnreachable).toBe(1);
  });

  it("with unsolicitedSyn 'hold': the inside host's own SYN for the flow within 6 s makes the held SYN go unanswered", async () => {
    const h = home({ unsolicitedSyn: 'hold', ports: { min: 50001, max: 50100, preserve: false, parity: false, allocation: 'sequential' } });
    // google tries 203.0.113.5:50001 first (no mapping yet): held.
    h.google.tcp.connect({ host: '203.0.113.5', port: 50001, localPort: 5555 }).on('error', () => undefined);
    await h.net.wait(1000);
    expect(h.nat!.counters.unsolicitedSyn).toBeGreaterThanOrEqual(1);
    // pc1 opens the same flow outward within the hold: its mapping takes 50001, the first sequential port.
    h.pc1.tcp.connect({ host: '142.250.195.100', port: 5555, localPort: 1240 }).on('error', () => undefined);
    await h.net.wait(8000);
    expect(h.nat!.table.entries().some((e) => e.insidePort === 1240 && e.outsidePort === 50001)).toBe(true);
    expect(h.nat!.counters.unsolicitedSynSuperseded).toBe(1);
    expect(icmpFromRouter(h)).toEqual([]);
  });

  it('refuses a hold shorter than 6 s, naming the option', () => {
    expect(() => home({ unsolicitedSyn: 'hold', unsolicitedSynHoldMs: 1000 })).toThrow(/unsolicitedSynHoldMs must be 6000 to 600000/);
  });
});
