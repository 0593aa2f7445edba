// The encapsulation lab's last steps: the GET leaves the LAN through a real (netsim) router, whose
// frames on the far side carry new MACs, a lower TTL and a new IPv4 checksum but the same IP addresses;
// a frame with one flipped bit is dropped by the router's NIC before IP sees it; tshark confirms.

import { resolve } from 'node:path';
import { encode, ethernet, arp, internetChecksum, type Arp, type Ethernet, type Ipv4, type Tcp } from '../../src/wire/index.ts';
import type { Step } from '../../src/lab/index.ts';
import { CHECKSUM_PREFS, tsharkFields, tsharkInstalled } from '../../src/lab/index.ts';
import { CLIENT, GATEWAY, NEXT_HOP, SERVER, decodeWithFcs, hex32, ipText, layerOf, macText, spanOf } from './seed.ts';
import type { EncapsulationOptions, EncapsulationState } from './state.ts';
import { TwoHopNet, type CableFrame } from './two-hop-net.ts';

type S = EncapsulationState;

const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;
const BROADCAST = 'ff:ff:ff:ff:ff:ff';

interface HopView {
  macs: string;
  ips: string;
  ttl: number;
  ipSum: number;
  ipStatus: string;
  /** The checksum a full recomputation over the header gives (the field taken as 0). */
  ipFull: number;
  tcpSum: number;
  segment: string;
  fcs: string;
}

function hopView(frame: Uint8Array): HopView {
  const layers = decodeWithFcs(frame);
  const e = layerOf<Ethernet>(layers, 'ethernet');
  const ipSpan = spanOf(layers, 'ipv4');
  const i = ipSpan.value as Ipv4;
  const t = layerOf<Tcp>(layers, 'tcp');
  const header = frame.slice(ipSpan.offset, ipSpan.offset + i.ihl * 4);
  header[10] = 0;
  header[11] = 0;
  const segmentAt = ipSpan.offset + i.ihl * 4;
  return {
    macs: `${macText(e.src)} -> ${macText(e.dst)}`,
    ips: `${ipText(i.src)} -> ${ipText(i.dst)}`,
    ttl: i.ttl,
    ipSum: i.checksum,
    ipStatus: i.checksumStatus,
    ipFull: internetChecksum(header),
    tcpSum: t.checksum,
    segment: Buffer.from(frame.subarray(segmentAt, ipSpan.offset + i.totalLength)).toString('hex'),
    fcs: `${hex32(e.fcs ?? 0)} (${e.fcsStatus ?? '?'})`,
  };
}

const isIpv4 = (c: CableFrame): boolean => c.frame[12] === 0x08 && c.frame[13] === 0x00;
const inPrivate192 = (ip: Uint8Array): boolean => ip[0] === 192 && ip[1] === 168;

function twoHops(options: EncapsulationOptions): Step<S> {
  return {
    title: 'Two hops: MAC addresses change, IP addresses stay',
    explain:
      `The server is not on the client's LAN, so the client sends the frame to its gateway ${GATEWAY.ip}, whose MAC\n` +
      "it learns by ARP: the frame carries the gateway's MAC, never the far server's. The gateway here is\n" +
      "netlab's router (netsim): it strips the Ethernet header, decrements the TTL, updates the IPv4 checksum\n" +
      "(RFC 1624), finds the ISP's router by ARP and sends a new frame from its WAN interface. The IP addresses\n" +
      `do not change. (A home router would also translate the private ${CLIENT.ip} to its public address with\n` +
      'NAT, or the reply could never come back; the nat-pat lab shows that. This router only routes.)',
    async run(ctx) {
      const net = new TwoHopNet({ routerWanFault: options.routerWanFault });
      ctx.state.net = net;
      ctx.onLabEnd(() => net.close());
      net.clientSends(
        encode([
          ethernet({ src: CLIENT.mac, dst: BROADCAST, fcs: true, pad: true }),
          arp({ op: 'request', senderMac: CLIENT.mac, senderIp: CLIENT.ip, targetIp: GATEWAY.ip }),
        ]),
      );
      ctx.check.ok('the ARP exchange with the gateway settles', await net.settle(), net.quietText());
      const replies = net.takeClientFrames().map((f) => layerOf<Arp>(decodeWithFcs(f), 'arp'));
      const answer = replies.length === 1 ? `${ipText(replies[0].senderProto)} is at ${macText(replies[0].senderHw)}` : `${replies.length} replies`;
      ctx.check.equal("the gateway answers the client's ARP with its own MAC", answer, `${GATEWAY.ip} is at ${GATEWAY.lanMac}`);
      net.clientSends(ctx.state.get as Uint8Array);
      ctx.check.ok('the GET crosses both cables and the network settles', await net.settle(), net.quietText());
      const ipFrames = net.log.filter(isIpv4);
      const hop1 = ipFrames.find((c) => c.cable === 'lan');
      const hop2 = ipFrames.find((c) => c.cable === 'wan');
      ctx.check.equal(
        'one IPv4 frame on each cable',
        `lan ${ipFrames.filter((c) => c.cable === 'lan').length}, wan ${ipFrames.filter((c) => c.cable === 'wan').length}`,
        'lan 1, wan 1',
      );
      if (hop1 === undefined || hop2 === undefined) return;
      const a = hopView(hop1.frame);
      const b = hopView(hop2.frame);
      ctx.show.sequence({
        participants: ['client', 'router r1', 'ISP router'],
        messages: [
          { from: 0, to: 1, label: `ARP who has ${GATEWAY.ip}? (broadcast)` },
          { from: 1, to: 0, label: `ARP ${GATEWAY.ip} is at ${GATEWAY.lanMac}` },
          { from: 0, to: 1, label: `frame ${a.macs}, TTL ${a.ttl}` },
          { from: 1, to: 2, label: `ARP who has ${NEXT_HOP.ip}? / is at ${NEXT_HOP.mac}` },
          { from: 1, to: 2, label: `frame ${b.macs}, TTL ${b.ttl}` },
        ],
      });
      ctx.show.table(
        ['', 'hop 1: client -> router', 'hop 2: router -> ISP'],
        [
          ['MAC source -> destination', a.macs, b.macs],
          ['IP source -> destination', a.ips, b.ips],
          ['TTL', a.ttl, b.ttl],
          ['IPv4 checksum (full recomputation)', `${hex4(a.ipSum)} (${hex4(a.ipFull)})`, `${hex4(b.ipSum)} (${hex4(b.ipFull)})`],
          ['TCP checksum', hex4(a.tcpSum), hex4(b.tcpSum)],
          ['FCS', a.fcs, b.fcs],
        ],
      );
      ctx.check.equal("hop 1 is addressed to the gateway's MAC, not the server's", a.macs, `${CLIENT.mac} -> ${GATEWAY.lanMac}`);
      ctx.check.equal("hop 2: source MAC = the router's WAN MAC, destination = the ISP router it found by ARP", b.macs, `${GATEWAY.wanMac} -> ${NEXT_HOP.mac}`);
      ctx.check.equal('the IP addresses are the same on both hops', b.ips, `${CLIENT.ip} -> ${SERVER.ip}`);
      ctx.check.equal('the TTL went down by one at the router (64, then 63)', `${a.ttl} -> ${b.ttl}`, '64 -> 63');
      ctx.check.notEqual('the IPv4 checksum changed with the TTL', hex4(b.ipSum), hex4(a.ipSum));
      ctx.check.equal("the router's updated checksum equals a full recomputation", hex4(b.ipSum), hex4(b.ipFull));
      ctx.check.equal('both IPv4 checksums verify', `${a.ipStatus}/${b.ipStatus}`, 'good/good');
      ctx.check.equal('the TCP segment crossed the router unchanged, checksum included', b.segment, a.segment);
      ctx.check.equal('the WAN NIC wrote a new, good FCS', [b.fcs.endsWith('(good)'), b.fcs !== a.fcs], [true, true]);
      ctx.check.equal('the router counted one datagram forwarded', net.router.stats.ipForwarded, 1);
      const src = layerOf<Ipv4>(decodeWithFcs(hop2.frame), 'ipv4').src;
      ctx.check.ok(
        `the source ${ipText(src)} is private (192.168.0.0/16): without NAT the server's reply could not come back`,
        inPrivate192(src),
        ipText(src),
        'in 192.168.0.0/16',
      );
      const cap = ctx.capture('two-hops', {
        fcs: true,
        filter: `ip.src == ${CLIENT.ip} && tcp.len > 0`,
        about: 'the same packet on both cables: compare eth.src/eth.dst, ip.ttl and ip.checksum',
        frames: 2,
        also: [
          { filter: 'arp', about: "the client finds the gateway's MAC, the router the ISP's", frames: 4 },
          {
            filter: `eth.src == ${GATEWAY.wanMac} && ip.src == ${CLIENT.ip}`,
            about: "hop 2: the router's MAC as source, the client's IP unchanged",
            frames: 1,
          },
        ],
      });
      for (const c of net.log) cap.write(c.frame, { comment: `${c.cable} cable, sent by ${c.from}` });
      ctx.state.confirm.push({
        path: cap.path,
        fields: ['eth.src', 'eth.dst', 'ip.src', 'ip.ttl', 'ip.checksum.status', 'eth.fcs.status'],
        expected: [
          [CLIENT.mac, BROADCAST, '', '', '', '1'],
          [GATEWAY.lanMac, CLIENT.mac, '', '', '', '1'],
          [CLIENT.mac, GATEWAY.lanMac, CLIENT.ip, '64', '1', '1'],
          [GATEWAY.wanMac, BROADCAST, '', '', '', '1'],
          [NEXT_HOP.mac, GATEWAY.wanMac, '', '', '', '1'],
          [GATEWAY.wanMac, NEXT_HOP.mac, CLIENT.ip, '63', '1', '1'],
        ],
      });
    },
  };
}

const badFcs: Step<S> = {
  title: 'A corrupted frame is dropped at layer 2',
  explain:
    "One bit flips on the cable, in the TTL byte. The router's NIC computes the CRC-32 over the frame, finds\n" +
    "it does not match the FCS, and drops the frame: the router's IP layer never sees it, nothing goes out\n" +
    'of the WAN side and nothing is sent back. TCP notices the missing segment later and sends it again;\n' +
    'the retransmission, intact, is forwarded.',
  async run(ctx) {
    const net = ctx.state.net;
    if (net === undefined) throw new Error('the two-hop network was not built (the previous step failed)');
    const good = ctx.state.get as Uint8Array;
    const bad = good.slice();
    bad[14 + 8] ^= 0x01;
    const logFrom = net.log.length;
    const before = { fcsErrors: net.routerLan.counters.fcsErrors, ipReceived: net.router.stats.ipReceived, forwarded: net.router.stats.ipForwarded };
    net.clientSends(bad);
    await net.settle();
    const afterBad = {
      fcsErrors: net.routerLan.counters.fcsErrors,
      ipReceived: net.router.stats.ipReceived,
      wan: net.log.slice(logFrom).filter((c) => c.cable === 'wan').length,
    };
    net.clientSends(good);
    await net.settle();
    const afterGood = { forwarded: net.router.stats.ipForwarded, wan: net.log.slice(logFrom).filter((c) => c.cable === 'wan').length };
    const status = (f: Uint8Array): string => layerOf<Ethernet>(decodeWithFcs(f), 'ethernet').fcsStatus ?? '?';
    const verdict = (f: Uint8Array): string => {
      const v = net.routerLan.check(f);
      return v.accepted ? 'accepted' : `dropped: ${v.reason}`;
    };
    ctx.show.table(
      ['frame', 'TTL byte', 'netlab decode: FCS', 'router NIC', 'router IP layer'],
      [
        ['one bit flipped', bad[22], status(bad), verdict(bad), `received ${afterBad.ipReceived - before.ipReceived}`],
        ['retransmitted, intact', good[22], status(good), verdict(good), `forwarded ${afterGood.forwarded - before.forwarded}`],
      ],
    );
    ctx.check.equal("netlab's decoder reports the flipped frame's FCS bad", status(bad), 'bad');
    ctx.check.equal("the router's NIC counts one FCS error", afterBad.fcsErrors - before.fcsErrors, 1);
    ctx.check.equal("the router's IP layer never saw it", afterBad.ipReceived - before.ipReceived, 0);
    ctx.check.equal('nothing went out on the WAN cable for it', afterBad.wan, 0);
    ctx.check.equal(
      'the intact retransmission is forwarded',
      `${afterGood.forwarded - before.forwarded} forwarded, ${afterGood.wan} on the WAN cable`,
      '1 forwarded, 1 on the WAN cable',
    );
    const cap = ctx.capture('bad-fcs', {
      fcs: true,
      filter: 'eth.fcs.status == 0',
      about: "the frame the router's NIC drops: its FCS does not match",
      prefs: ['eth.check_fcs:TRUE'],
      frames: 1,
      also: [{ filter: 'ip.ttl == 63', about: 'only the retransmission came out of the router', frames: 1 }],
    });
    const fresh = net.log.slice(logFrom);
    for (const c of fresh)
      cap.write(c.frame, { comment: `${c.cable} cable, sent by ${c.from}${c.frame === fresh[0].frame ? ': one bit flipped in the TTL byte' : ''}` });
    ctx.state.confirm.push({
      path: cap.path,
      fields: ['eth.fcs.status', 'ip.ttl'],
      expected: [
        ['0', '65'],
        ['1', '64'],
        ['1', '63'],
      ],
    });
  },
};

const wireshark: Step<S> = {
  title: 'What Wireshark says',
  explain: 'tshark reads the captures of this lab with FCS and checksum validation on; the fields must be what netlab built and saw.',
  run(ctx) {
    if (!tsharkInstalled()) {
      ctx.show.skipped("tshark is not installed: Wireshark's confirmation is skipped (on Debian: apt-get install tshark)");
      return;
    }
    for (const c of ctx.state.confirm) {
      ctx.show.text(`tshark -n -r ${c.path} ${CHECKSUM_PREFS.map((p) => `-o ${p}`).join(' ')} -T fields ${c.fields.map((f) => `-e ${f}`).join(' ')}`);
      const rows = tsharkFields(resolve(c.path), c.fields, CHECKSUM_PREFS);
      ctx.show.table(
        ['frame', ...c.fields],
        rows.map((r, i) => [i + 1, ...r]),
        { title: `tshark: ${c.path}` },
      );
      ctx.check.equal(
        `tshark: ${c.path} (${c.fields.join(', ')})`,
        rows,
        c.expected.map((r) => [...r]),
      );
    }
    const malformed = ctx.state.confirm.flatMap((c) =>
      tsharkFields(resolve(c.path), ['frame.number', '_ws.malformed'], CHECKSUM_PREFS)
        .filter((r) => (r[1] ?? '') !== '')
        .map((r) => `${c.path} frame ${r[0]}`),
    );
    ctx.check.equal('tshark finds no malformed packet', malformed, []);
  },
};

export function pathSteps(options: EncapsulationOptions): readonly Step<S>[] {
  return [twoHops(options), badFcs, wireshark];
}
