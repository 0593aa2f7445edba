// netlab's STUN server and client: RFC 5389 binding and RFC 5780 errors on real sockets, then the
// client classifying every mapping x filtering behaviour netlab's translator can be set to, in both
// modes: the socket-mode relay on real UDP sockets (127.73.x inside, 127.74.x outside) and packet
// mode on a netsim router. Hairpinning off, the mapping lifetime (bounded, on a manual clock), and the
// relay's table against the sockets the OS lists.

import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { seededRandom } from '../../src/base/random.ts';
import { Host } from '../../src/netsim/host.ts';
import { LabNet } from '../../src/netsim/lab-net.ts';
import { Router } from '../../src/netsim/router.ts';
import { enableNat } from '../../src/nat/router-nat.ts';
import { SocketRelay } from '../../src/nat/socket-relay.ts';
import { StunClient } from '../../src/nat/stun/client.ts';
import { StunServer } from '../../src/nat/stun/server.ts';
import { dgramNetwork, netsimNetwork } from '../../src/nat/stun/transport.ts';
import type { NatBehaviour } from '../../src/nat/types.ts';
import { decodeStun, encodeStun, STUN_ATTR, STUN_CLASS, type StunAttribute } from '../../src/wire/stun.ts';
import { findTool } from '../helpers/tools.ts';

const BEHAVIOURS: readonly NatBehaviour[] = ['endpoint-independent', 'address-dependent', 'address-and-port-dependent'];
const COMBOS = BEHAVIOURS.flatMap((mapping) => BEHAVIOURS.map((filtering) => ({ mapping, filtering })));

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** One raw request to the server; the decoded answer. */
async function ask(to: { address: string; port: number }, attributes: StunAttribute[], method = 1): Promise<ReturnType<typeof decodeStun>['message']> {
  const s = createSocket('udp4');
  await new Promise<void>((res) => s.bind(0, '127.73.0.20', res));
  try {
    const tid = Uint8Array.from({ length: 12 }, (_, i) => 0x40 + i);
    const got = new Promise<Buffer>((res) => s.once('message', res));
    s.send(encodeStun({ cls: STUN_CLASS.REQUEST, method, transactionId: tid, attributes }), to.port, to.address);
    const reply = await Promise.race([got, new Promise<undefined>((res) => setTimeout(res, 1000))]);
    return reply === undefined ? undefined : decodeStun(reply).message;
  } finally {
    await new Promise<void>((res) => s.close(() => res()));
  }
}

describe('STUN server on real sockets', () => {
  it('answers a binding with the mapped address, its origin and the other address; no NAT on loopback', async () => {
    const net = dgramNetwork();
    const srv = await StunServer.start(net, { primary: '127.73.0.1', alternate: '127.73.0.2' });
    closers.push(() => srv.close());
    const [p, pp, a, ap] = srv.endpoints;
    expect([p.address, pp.address, a.address, ap.address]).toEqual(['127.73.0.1', '127.73.0.1', '127.73.0.2', '127.73.0.2']);
    expect(a.port).toBe(p.port);
    expect(ap.port).toBe(pp.port);
    expect(pp.port).not.toBe(p.port);
    const c = new StunClient(net, { local: '127.73.0.10', server: srv.primary, rtoMs: 50 });
    const r = await c.classify();
    expect(r.mapping).toBe('no-nat');
    expect(r.mapped).toEqual(r.local);
    expect(r.filtering).toBe('endpoint-independent');
    expect(r.hairpinning).toBe(true);
    const m = await ask(srv.primary, [{ type: STUN_ATTR.CHANGE_REQUEST, kind: 'change-request', changeIp: true, changePort: false }]);
    const origin = m?.attributes.find((x) => x.type === STUN_ATTR.RESPONSE_ORIGIN);
    const other = m?.attributes.find((x) => x.type === STUN_ATTR.OTHER_ADDRESS);
    expect(origin).toMatchObject({ address: '127.73.0.2', port: p.port });
    // OTHER-ADDRESS is relative to the socket the request reached (RFC 5780 §7.4): A1:P1's is A2:P2.
    expect(other).toMatchObject({ address: '127.73.0.2', port: pp.port });
    expect(m?.fingerprint).toBe('good');
  });

  it('answers RESPONSE-PORT at that port, echoes PADDING, and errors as RFC 5389/5780 say', async () => {
    const net = dgramNetwork();
    const srv = await StunServer.start(net, { primary: '127.73.0.1', alternate: '127.73.0.2' });
    const single = await StunServer.start(net, { primary: '127.73.0.3' });
    closers.push(
      () => srv.close(),
      () => single.close(),
    );
    // RESPONSE-PORT: the answer goes to another socket of the same address.
    const other = createSocket('udp4');
    await new Promise<void>((res) => other.bind(0, '127.73.0.20', res));
    closers.push(() => new Promise((res) => other.close(() => res())));
    const elsewhere = new Promise<Buffer>((res) => other.once('message', res));
    const direct = await ask(srv.primary, [
      { type: STUN_ATTR.RESPONSE_PORT, kind: 'response-port', port: other.address().port },
      { type: STUN_ATTR.PADDING, kind: 'padding', length: 600 },
    ]);
    expect(direct).toBeUndefined();
    const m = decodeStun(await elsewhere).message;
    expect(m?.attributes.find((x) => x.type === STUN_ATTR.PADDING)).toMatchObject({ kind: 'padding', length: 600 });
    // A comprehension-required attribute the server does not know: 420 naming it.
    const e1 = await ask(srv.primary, [{ type: 0x7777, kind: 'raw', value: Uint8Array.of(1) }]);
    expect(e1?.cls).toBe(STUN_CLASS.ERROR);
    expect(e1?.attributes[0]).toMatchObject({ kind: 'error-code', code: 420 });
    expect(e1?.attributes[1]).toMatchObject({ kind: 'unknown-attributes', types: [0x7777] });
    // A comprehension-optional one is ignored.
    expect((await ask(srv.primary, [{ type: 0xc001, kind: 'raw', value: Uint8Array.of(1) }]))?.cls).toBe(STUN_CLASS.SUCCESS);
    // CHANGE-REQUEST to a server with one address: 420 (RFC 5780 §6.1).
    const e2 = await ask(single.primary, [{ type: STUN_ATTR.CHANGE_REQUEST, kind: 'change-request', changeIp: true, changePort: false }]);
    expect(e2?.attributes[1]).toMatchObject({ kind: 'unknown-attributes', types: [STUN_ATTR.CHANGE_REQUEST] });
    // Another method: 400.
    expect((await ask(srv.primary, [], 0x003))?.attributes[0]).toMatchObject({ kind: 'error-code', code: 400 });
    // A client against a server with no alternate says why it cannot classify.
    await expect(new StunClient(net, { local: '127.73.0.10', server: single.primary, rtoMs: 20 }).classify()).rejects.toThrow(/no OTHER-ADDRESS/);
    expect(srv.counters).toMatchObject({ requests: 4, responses: 2, errors: 2 });
    expect(single.counters.errors).toBe(1);
  });

  it('drops what is not a STUN request and rejects a bad configuration', async () => {
    const net = dgramNetwork();
    const srv = await StunServer.start(net, { primary: '127.73.0.1', alternate: '127.73.0.2' });
    closers.push(() => srv.close());
    const s = createSocket('udp4');
    await new Promise<void>((res) => s.bind(0, '127.73.0.20', res));
    s.send(Buffer.from('not stun at all, twenty bytes or more'), srv.primary.port, srv.primary.address);
    s.send(encodeStun({ cls: STUN_CLASS.SUCCESS, method: 1, transactionId: new Uint8Array(12), attributes: [] }), srv.primary.port, srv.primary.address);
    await new Promise((res) => setTimeout(res, 50));
    await new Promise<void>((res) => s.close(() => res()));
    expect(srv.counters.ignored).toBe(2);
    await expect(StunServer.start(net, { primary: '127.73.0.1', alternate: '127.73.0.1' })).rejects.toThrow(/is the primary one/);
    expect(() => new StunClient(net, { local: '127.73.0.10', server: srv.primary, attempts: 0 })).toThrow(/attempts must be 1\.\.9/);
  });
});

/** A relay (127.73.0.0/16 inside, public 127.74.0.100) and a server beyond it on 127.74.0.1 / .2. */
async function relayWorld(options: {
  mapping: NatBehaviour;
  filtering: NatBehaviour;
  hairpinning?: boolean;
  clock?: ManualClock;
  pub?: string;
  udpTimeout?: number;
}) {
  const relay = await SocketRelay.start({
    inside: '127.73.0.0/16',
    publicAddress: options.pub ?? '127.74.0.100',
    mirrors: [
      { outside: '127.74.0.1', inside: '127.73.255.1' },
      { outside: '127.74.0.2', inside: '127.73.255.2' },
    ],
    mapping: options.mapping,
    filtering: options.filtering,
    hairpinning: options.hairpinning,
    clock: options.clock,
    ports: { min: 40000, max: 44999, holdMs: 0 },
    timeouts: options.udpTimeout === undefined ? undefined : { udp: options.udpTimeout },
  });
  const srv = await StunServer.start(dgramNetwork(), { primary: '127.74.0.1', alternate: '127.74.0.2', advertise: (a) => relay.aliasOf(a) ?? a });
  closers.push(
    () => relay.close(),
    () => srv.close(),
  );
  for (const e of srv.endpoints) await relay.mirror(e.address, e.port);
  return { relay, srv, primary: { address: '127.73.255.1', port: srv.primary.port } };
}

describe('socket mode: the client classifies every behaviour of the relay on real sockets', () => {
  it.each(COMBOS)('mapping $mapping, filtering $filtering', async ({ mapping, filtering }) => {
    const { relay, primary } = await relayWorld({ mapping, filtering });
    const r = await new StunClient(dgramNetwork(), { local: '127.73.0.10', server: primary, rtoMs: 50 }).classify();
    expect(r.mapping).toBe(mapping);
    expect(r.filtering).toBe(filtering);
    expect(r.mapped.address).toBe('127.74.0.100');
    // RFC 5780's hairpin test sends from a second mapping, so the first mapping's filtering decides.
    expect(r.hairpinning).toBe(filtering === 'endpoint-independent');
    expect(relay.counters.relayedOut).toBeGreaterThan(0);
  });

  it('hairpinning off: the same full cone, no hairpin', async () => {
    const { relay, primary } = await relayWorld({ mapping: 'endpoint-independent', filtering: 'endpoint-independent', hairpinning: false });
    const r = await new StunClient(dgramNetwork(), { local: '127.73.0.10', server: primary, rtoMs: 50 }).classify();
    expect([r.mapping, r.filtering, r.hairpinning]).toEqual(['endpoint-independent', 'endpoint-independent', false]);
    expect(relay.counters.refused['hairpin-off']).toBeGreaterThan(0);
  });

  it('the table is a table of OS sockets: each public port is bound, as ss lists it', async () => {
    const { relay, primary } = await relayWorld({ mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent', pub: '127.74.0.101' });
    const c = new StunClient(dgramNetwork(), { local: '127.73.0.11', server: primary, rtoMs: 50 });
    await c.mappingBehaviour();
    const rows = relay.table.entries();
    expect(rows.length).toBe(3);
    const publics = relay.sockets().filter((s) => s.role === 'public');
    expect(publics.map((s) => s.port).sort()).toEqual([...new Set(rows.map((e) => e.outsidePort))].sort());
    expect(relay.format()).toMatch(/127\.73\.0\.11:\d+ +<-> +127\.74\.0\.101:\d+ +<-> +127\.74\.0\.2:\d+ +udp +udp 127\.74\.0\.101:\d+/);
    if (findTool('ss') !== undefined) {
      const listed = execFileSync('ss', ['-Hnua', 'src', '127.74.0.101'], { encoding: 'utf8' });
      for (const s of publics) expect(listed).toContain(`127.74.0.101:${s.port}`);
    } else console.warn('[skip] ss not found: the OS socket list is not compared');
    await c.close();
  });

  it('mapping lifetime: alive after 119 s idle, gone after 121 s with a 120 s UDP timeout (manual clock)', async () => {
    const clock = new ManualClock(0);
    const { relay, primary } = await relayWorld({
      mapping: 'endpoint-independent',
      filtering: 'address-and-port-dependent',
      clock,
      pub: '127.74.0.102',
      udpTimeout: 120_000,
    });
    const c = new StunClient(dgramNetwork(), { local: '127.73.0.12', server: primary, rtoMs: 50 });
    const expired: number[] = [];
    relay.table.onEvent((e) => e.type === 'expired' && expired.push(e.entry.outsidePort));
    const r = await c.lifetime([60_000, 119_000, 121_000], async (ms) => clock.advance(ms));
    await c.close();
    expect(r).toMatchObject({ aliveAfterMs: 119_000, goneAfterMs: 121_000 });
    expect(r.tests.filter((t) => t.test.endsWith('II')).map((t) => t.mapped !== undefined)).toEqual([true, true, false]);
    expect(expired.length).toBeGreaterThan(0);
    await new Promise((res) => setImmediate(res));
    // The expired mappings' sockets are closed: only the last probe's live ones remain.
    expect(relay.sockets().filter((x) => x.role === 'public').length).toBe(relay.table.entries().length);
  });
});

/** The study guides' home network in netsim: pc1 192.168.1.2 behind r1 (203.0.113.5), a STUN server on two hosts beyond. */
function virtualWorld(mapping: NatBehaviour, filtering: NatBehaviour) {
  const net = new LabNet({ start: { sec: 1_704_067_200, nsec: 0 }, delayMs: 1 });
  closers.push(() => net.close());
  const clock = net.clock;
  const host = (name: string): Host => net.node(new Host({ name, clock, random: seededRandom(name) }));
  const router = (name: string): Router => net.node(new Router({ name, clock, random: seededRandom(name) }));
  const [lanA, lanB] = net.link('lan', 'pc1-eth0', 'r1-eth0');
  const [wanA, wanB] = net.link('wan', 'r1-eth1', 'isp-eth0');
  const [d1A, d1B] = net.link('dc1', 'isp-eth1', 'stun1-eth0');
  const [d2A, d2B] = net.link('dc2', 'isp-eth2', 'stun2-eth0');
  const pc1 = host('pc1');
  pc1.addInterface({ name: 'eth0', port: lanA, mac: '02:00:00:00:01:02', address: '192.168.1.2/24', announce: false });
  pc1.setGateway('192.168.1.1');
  const r1 = router('r1');
  r1.addInterface({ name: 'eth0', port: lanB, mac: '02:00:00:00:01:01', address: '192.168.1.1/24', announce: false });
  r1.addInterface({ name: 'eth1', port: wanA, mac: '02:00:00:00:02:05', address: '203.0.113.5/24', announce: false });
  r1.setGateway('203.0.113.1');
  const isp = router('isp');
  isp.addInterface({ name: 'eth0', port: wanB, mac: '02:00:00:00:02:01', address: '203.0.113.1/24', announce: false });
  isp.addInterface({ name: 'eth1', port: d1A, mac: '02:00:00:00:03:01', address: '198.51.100.1/24', announce: false });
  isp.addInterface({ name: 'eth2', port: d2A, mac: '02:00:00:00:04:01', address: '192.0.2.1/24', announce: false });
  const s1 = host('stun1');
  s1.addInterface({ name: 'eth0', port: d1B, mac: '02:00:00:00:03:0a', address: '198.51.100.10/24', announce: false });
  s1.setGateway('198.51.100.1');
  const s2 = host('stun2');
  s2.addInterface({ name: 'eth0', port: d2B, mac: '02:00:00:00:04:0a', address: '192.0.2.10/24', announce: false });
  s2.setGateway('192.0.2.1');
  const nat = enableNat(r1, { outside: 'eth1', inside: '192.168.1.0/24', mapping, filtering, ports: { min: 50001, max: 50999 } });
  const stunNet = netsimNetwork(clock, { '198.51.100.10': s1, '192.0.2.10': s2, '192.168.1.2': pc1 });
  return { net, nat, stunNet };
}

describe('packet mode: the same client classifies every behaviour of a netsim router with NAT', () => {
  it.each(COMBOS)('mapping $mapping, filtering $filtering', async ({ mapping, filtering }) => {
    const { net, nat, stunNet } = virtualWorld(mapping, filtering);
    const srv = await StunServer.start(stunNet, { primary: '198.51.100.10', alternate: '192.0.2.10', port: 3478, otherPort: 3479 });
    closers.push(() => srv.close());
    const r = await net.run(new StunClient(stunNet, { local: '192.168.1.2', server: srv.primary }).classify());
    expect(r.mapping).toBe(mapping);
    expect(r.filtering).toBe(filtering);
    expect(r.mapped.address).toBe('203.0.113.5');
    expect(r.hairpinning).toBe(filtering === 'endpoint-independent');
    expect(nat.counters.translatedOut).toBeGreaterThan(0);
  });

  it('mapping lifetime on simulated time: the 120 s UDP timeout, found within a bounded list', async () => {
    const { net, nat, stunNet } = virtualWorld('endpoint-independent', 'endpoint-independent');
    void nat;
    const srv = await StunServer.start(stunNet, { primary: '198.51.100.10', alternate: '192.0.2.10', port: 3478, otherPort: 3479 });
    closers.push(() => srv.close());
    const c = new StunClient(stunNet, { local: '192.168.1.2', server: srv.primary });
    const r = await net.run(c.lifetime([30_000, 299_000, 301_000]), 3_600_000);
    await c.close();
    expect(r).toMatchObject({ aliveAfterMs: 299_000, goneAfterMs: 301_000 });
  });
});
