// Lab: encapsulation. The seed's own example, built byte by byte and taken apart again: an HTTP GET from
// 192.168.1.10:54321 to 142.250.183.110:443 in TCP (the handshake first: SYN seq 12345678), IPv4
// (protocol 6) and Ethernet (11:22:33:44:55:66 -> AA:BB:CC:DD:EE:FF, EtherType 0x0800, with its FCS);
// then two hops through a router (MACs change, IPs stay) and a frame whose FCS is wrong.

import { resolve } from 'node:path';
import { defineLab } from '../src/lab/define.ts';
import { CHECKSUM_PREFS, tsharkFields, tsharkInstalled } from '../src/lab/tshark.ts';
import { arp, crc32, decode, encode, ethernet, ipv4, payload, tcp, type DecodedLayer } from '../src/wire/index.ts';

const CLIENT = { ip: '192.168.1.10', port: 54321, mac: '11:22:33:44:55:66' };
const SERVER = { ip: '142.250.183.110', port: 443 };
const GATEWAY = { ip: '192.168.1.1', lanMac: 'aa:bb:cc:dd:ee:ff', wanMac: '02:00:00:00:01:01' };
const NEXT_HOP_MAC = '02:00:00:00:02:01';
const ISN = 12345678;
const REQUEST = 'GET /index.html HTTP/1.1\r\nHost: www.google.com\r\n\r\n';

interface State {
  serverIsn: number;
  segment?: Uint8Array;
  frame?: Uint8Array;
  confirm: { path: string; fields: string[]; expected: string[][] }[];
}

const macText = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
const ipText = (b: Uint8Array): string => [...b].join('.');
const bits = (b: number): string => b.toString(2).padStart(8, '0');

function layerOf<T>(layers: readonly DecodedLayer[], kind: string): T {
  const l = layers.find((x) => x.kind === kind);
  if (l === undefined) throw new Error(`no ${kind} layer in the frame`);
  return l.value as T;
}

/** The frame the client sends: Ethernet (with FCS, padded to the 64-byte minimum) / IPv4 / TCP / data. */
function clientFrame(o: { flags: string; seq: number; ack?: number; data?: string; ttl?: number; macSrc?: string; macDst?: string; options?: boolean }): Uint8Array {
  return encode([
    ethernet({ src: o.macSrc ?? CLIENT.mac, dst: o.macDst ?? GATEWAY.lanMac, fcs: true, pad: true }),
    ipv4({ src: CLIENT.ip, dst: SERVER.ip, ttl: o.ttl ?? 64, id: 0x4a1d, df: true }),
    tcp({ sport: CLIENT.port, dport: SERVER.port, seq: o.seq, ack: o.ack, flags: o.flags, window: 64240, options: o.options ? [{ mss: 1460 }] : [] }),
    ...(o.data !== undefined ? [payload(o.data)] : []),
  ]);
}

export default defineLab<State>({
  name: 'encapsulation',
  title: 'Encapsulation: the seed\'s HTTP request through TCP, IPv4 and Ethernet, and back',
  duration: '15 min',
  needs: ['tshark (optional: confirms the decoding)'],
  state: () => ({ serverIsn: 0, confirm: [] }),
  steps: [
    {
      title: 'The TCP handshake comes first, and carries no data',
      explain:
        `The client ${CLIENT.ip}:${CLIENT.port} opens a connection to ${SERVER.ip}:${SERVER.port}. Its SYN carries the\n` +
        `initial sequence number ${ISN} and no data; the server's SYN-ACK acknowledges ${ISN + 1} (a SYN counts as one\n` +
        'byte); the client\'s ACK completes the handshake. Only then does the request travel, starting at sequence\n' +
        `${ISN + 1}. (Port 443 means TLS: in real life the request below would be encrypted; the tls13-handshake lab\n` +
        'shows that. Here it is shown in clear, as the book does, to follow the layers.)',
      run(ctx) {
        const serverIsn = ctx.random.uint32();
        ctx.state.serverIsn = serverIsn;
        const syn = clientFrame({ flags: 'S', seq: ISN, options: true });
        const synAck = encode([
          ethernet({ src: GATEWAY.lanMac, dst: CLIENT.mac, fcs: true, pad: true }),
          ipv4({ src: SERVER.ip, dst: CLIENT.ip, ttl: 57, id: 0, df: true }),
          tcp({ sport: SERVER.port, dport: CLIENT.port, seq: serverIsn, ack: ISN + 1, flags: 'SA', window: 65535, options: [{ mss: 1412 }] }),
        ]);
        const ack = clientFrame({ flags: 'A', seq: ISN + 1, ack: (serverIsn + 1) >>> 0 });
        const get = clientFrame({ flags: 'PA', seq: ISN + 1, ack: (serverIsn + 1) >>> 0, data: REQUEST });
        ctx.show.sequence({
          participants: [`client ${CLIENT.ip}:${CLIENT.port}`, `server ${SERVER.ip}:${SERVER.port}`],
          messages: [
            { from: 0, to: 1, label: `SYN seq=${ISN} len=0` },
            { from: 1, to: 0, label: `SYN-ACK seq=${serverIsn} ack=${ISN + 1} len=0` },
            { from: 0, to: 1, label: `ACK seq=${ISN + 1} ack=${(serverIsn + 1) >>> 0} len=0` },
            { from: 0, to: 1, label: `PSH-ACK seq=${ISN + 1} len=${REQUEST.length}: GET /index.html` },
          ],
        });
        const t = (f: Uint8Array): { seq: number; ack: number; payload: number } => {
          const layers = decode(f, 1, { fcsLength: 4 }).layers;
          const v = layerOf<{ seq: number; ack: number }>(layers, 'tcp');
          const data = layers.find((l) => l.kind === 'data');
          return { seq: v.seq, ack: v.ack, payload: data === undefined ? 0 : data.length };
        };
        ctx.check.equal('the SYN starts at the seed\'s sequence number', t(syn).seq, ISN);
        ctx.check.equal('the SYN carries no data', t(syn).payload, 0);
        ctx.check.equal('the SYN-ACK acknowledges ISN + 1 (the SYN counts as one byte)', t(synAck).ack, ISN + 1);
        ctx.check.equal('the request starts at sequence ISN + 1', t(get).seq, ISN + 1);
        ctx.check.equal('the request segment carries the whole GET', t(get).payload, REQUEST.length);
        const cap = ctx.capture('handshake-and-get', {
          fcs: true,
          filter: 'tcp.flags.syn == 1',
          about: 'SYN and SYN-ACK: no data',
          frames: 2,
          also: [
            { filter: `tcp.seq_raw == ${ISN}`, about: 'the seed\'s SYN, seq 12345678', frames: 1 },
            { filter: 'tcp.len > 0', about: 'the only segment with data: the GET', frames: 1 },
          ],
        });
        for (const [f, c] of [[syn, 'SYN'], [synAck, 'SYN-ACK'], [ack, 'ACK'], [get, 'GET /index.html']] as const) cap.write(f, { comment: c });
        ctx.state.frame = get;
        ctx.state.confirm.push({ path: cap.path, fields: ['tcp.seq_raw', 'tcp.ack_raw', 'tcp.len'], expected: [[`${ISN}`, '0', '0'], [`${serverIsn}`, `${ISN + 1}`, '0'], [`${ISN + 1}`, `${(serverIsn + 1) >>> 0}`, '0'], [`${ISN + 1}`, `${(serverIsn + 1) >>> 0}`, `${REQUEST.length}`]] });
      },
    },
    {
      title: 'Layer by layer: data, segment, packet, frame, bits',
      explain:
        'Each layer puts its header in front of what the layer above handed it, and names the result: the\n' +
        'application\'s data, TCP\'s segment (20-byte header: ports, sequence, acknowledgement, flags, window),\n' +
        'IP\'s packet (20 bytes: addresses, TTL, protocol 6 = TCP), Ethernet\'s frame (14 bytes in front: MACs and\n' +
        'EtherType 0x0800 = IPv4; 4 bytes behind: the FCS). The physical layer sends bits, after a 7-byte preamble\n' +
        'and a start-of-frame byte, and leaves a 12-byte gap before the next frame.',
      run(ctx) {
        const frame = ctx.state.frame as Uint8Array;
        const data = REQUEST.length;
        const layers = decode(frame, 1, { fcsLength: 4 }).layers;
        const ip = layerOf<{ protocol: number; totalLength: number; ihl: number }>(layers, 'ipv4');
        const eth = layerOf<{ type: number }>(layers, 'ethernet');
        const tcpLayer = layers.find((l) => l.kind === 'tcp') as DecodedLayer;
        const rows = [
          ['7 application', 'data', 'HTTP request', 0, data],
          ['4 transport', 'segment', 'TCP header', tcpLayer.length, tcpLayer.length + data],
          ['3 network', 'packet', 'IPv4 header', ip.ihl * 4, ip.totalLength],
          ['2 data link', 'frame', 'Ethernet header + FCS', 14 + 4, frame.length],
          ['1 physical', 'bits', 'preamble + SFD (+ 12-byte gap)', 8, (frame.length + 8) * 8],
        ];
        ctx.show.table(['layer', 'PDU', 'adds', 'header bytes', 'PDU size (bits for layer 1)'], rows, { title: 'The GET, wrapped' });
        ctx.show.hex(frame, { title: 'The frame: Ethernet | IPv4 | TCP | HTTP | FCS', fcsLength: 4 });
        ctx.show.text(
          `On the wire: 10101010 x 7, then 10101011 (start of frame), then the frame: ${[...frame.subarray(0, 3)].map(bits).join(' ')} ...\n` +
            `${(frame.length + 8 + 12) * 8} bit times per frame with the gap: ${(((frame.length + 20) * 8) / 1e3).toFixed(3)} µs at 1 Gb/s.`,
        );
        ctx.check.equal('the IPv4 protocol field says TCP (6)', ip.protocol, 6);
        ctx.check.equal('the EtherType says IPv4 (0x0800)', `0x${eth.type.toString(16).padStart(4, '0')}`, '0x0800');
        ctx.check.equal('IPv4 total length = 20 (IP) + 20 (TCP) + the request', ip.totalLength, 20 + 20 + data);
        ctx.check.equal('frame = 14 (Ethernet) + the packet + 4 (FCS)', frame.length, 14 + ip.totalLength + 4);
      },
    },
    {
      title: 'Decapsulation: the receiver takes it apart',
      explain:
        'The receiver reads the layers from the outside in: the NIC checks the FCS and the destination MAC, the\n' +
        'EtherType hands the payload to IPv4, the protocol number hands it to TCP, and the port hands the data to\n' +
        'the server process. Every field the sender set must come back.',
      run(ctx) {
        const frame = ctx.state.frame as Uint8Array;
        const layers = decode(frame, 1, { fcsLength: 4 }).layers;
        const eth = layerOf<{ src: Uint8Array; dst: Uint8Array; type: number; fcsStatus?: string }>(layers, 'ethernet');
        const ip = layerOf<{ src: Uint8Array; dst: Uint8Array; protocol: number; ttl: number; checksumStatus: string }>(layers, 'ipv4');
        const t = layerOf<{ srcPort: number; dstPort: number; seq: number; checksumStatus: string }>(layers, 'tcp');
        const dataLayer = layers.find((l) => l.kind === 'data') as DecodedLayer;
        const text = Buffer.from(frame.subarray(dataLayer.offset, dataLayer.offset + dataLayer.length)).toString('latin1');
        ctx.show.table(
          ['layer', 'field', 'value'],
          [
            ['Ethernet', 'destination / source', `${macText(eth.dst)} / ${macText(eth.src)}`],
            ['Ethernet', 'EtherType, FCS', `0x${eth.type.toString(16).padStart(4, '0')}, ${eth.fcsStatus}`],
            ['IPv4', 'source / destination', `${ipText(ip.src)} / ${ipText(ip.dst)}`],
            ['IPv4', 'protocol, TTL, checksum', `${ip.protocol}, ${ip.ttl}, ${ip.checksumStatus}`],
            ['TCP', 'ports, sequence, checksum', `${t.srcPort} -> ${t.dstPort}, ${t.seq}, ${t.checksumStatus}`],
            ['HTTP', 'request line', text.split('\r\n')[0]],
          ],
        );
        ctx.check.equal('MACs', `${macText(eth.src)} -> ${macText(eth.dst)}`, '11:22:33:44:55:66 -> aa:bb:cc:dd:ee:ff');
        ctx.check.equal('the FCS verifies', eth.fcsStatus, 'good');
        ctx.check.equal('IP addresses', `${ipText(ip.src)} -> ${ipText(ip.dst)}`, `${CLIENT.ip} -> ${SERVER.ip}`);
        ctx.check.equal('IPv4 and TCP checksums verify', `${ip.checksumStatus}/${t.checksumStatus}`, 'good/good');
        ctx.check.equal('ports', `${t.srcPort} -> ${t.dstPort}`, `${CLIENT.port} -> ${SERVER.port}`);
        ctx.check.equal('the request line comes back', text.split('\r\n')[0], 'GET /index.html HTTP/1.1');
      },
    },
    {
      title: 'A look at the seed\'s MAC address: 11:22:33:44:55:66 is a group address',
      explain:
        'The lowest bit of a MAC address\'s first byte is the I/G bit: 0 for one interface, 1 for a group\n' +
        '(multicast). 0x11 = 00010001: the bit is 1, so the seed\'s source address is a multicast address, which no\n' +
        'NIC sends from; Wireshark flags it ("Source MAC must not be a group address"). The second-lowest bit (U/L)\n' +
        'says who assigned it: AA:BB:CC:DD:EE:FF has it set (locally administered). A real NIC\'s address has\n' +
        'both bits 0 and starts with its maker\'s OUI.',
      run(ctx) {
        const first = 0x11;
        ctx.show.table(['address', 'first byte', 'I/G (bit 0)', 'U/L (bit 1)'], [
          ['11:22:33:44:55:66', bits(first), first & 1 ? 'group' : 'individual', first & 2 ? 'local' : 'universal'],
          ['aa:bb:cc:dd:ee:ff', bits(0xaa), 0xaa & 1 ? 'group' : 'individual', 0xaa & 2 ? 'local' : 'universal'],
        ]);
        ctx.check.equal('11:22:33:44:55:66 has the group bit set', first & 1, 1);
        ctx.check.equal('aa:bb:cc:dd:ee:ff is an individual, locally administered address', `${0xaa & 1}/${(0xaa >> 1) & 1}`, '0/1');
        ctx.capture('group-source-mac', {
          fcs: true,
          filter: 'eth.src.ig == 1',
          about: 'a frame whose source MAC is a group address (Wireshark warns: eth.src_not_group)',
          frames: 1,
          also: [{ filter: 'eth.src_not_group', about: 'the warning itself', frames: 1 }],
        }).write(ctx.state.frame as Uint8Array, { comment: 'source 11:22:33:44:55:66: the I/G bit is 1' });
      },
    },
    {
      title: 'Two hops: MAC addresses change, IP addresses stay',
      explain:
        `The server is not on the client's LAN, so the client sends the frame to its gateway ${GATEWAY.ip}, whose MAC\n` +
        'it learns by ARP: the frame carries the gateway\'s MAC, never the far server\'s. The router strips the\n' +
        'Ethernet header, decrements the TTL (and so updates the IPv4 checksum), and sends a new frame from its\n' +
        'other interface to the next hop\'s MAC. The IP addresses do not change. (A home router would also\n' +
        `translate the private ${CLIENT.ip} to its public address with NAT; the nat-pat lab shows that. This\n` +
        'router only routes.)',
      run(ctx) {
        const arpReq = encode([ethernet({ src: CLIENT.mac, dst: 'ff:ff:ff:ff:ff:ff', fcs: true, pad: true }), arp({ op: 'request', senderMac: CLIENT.mac, senderIp: CLIENT.ip, targetIp: GATEWAY.ip })]);
        const arpRep = encode([ethernet({ src: GATEWAY.lanMac, dst: CLIENT.mac, fcs: true, pad: true }), arp({ op: 'reply', senderMac: GATEWAY.lanMac, senderIp: GATEWAY.ip, targetMac: CLIENT.mac, targetIp: CLIENT.ip })]);
        const seqAck = { seq: ISN + 1, ack: (ctx.state.serverIsn + 1) >>> 0 };
        const hop1 = clientFrame({ flags: 'PA', ...seqAck, data: REQUEST });
        const hop2 = clientFrame({ flags: 'PA', ...seqAck, data: REQUEST, ttl: 63, macSrc: GATEWAY.wanMac, macDst: NEXT_HOP_MAC });
        const view = (f: Uint8Array): { macs: string; ips: string; ttl: number; ipSum: string; tcpSum: string } => {
          const layers = decode(f, 1, { fcsLength: 4 }).layers;
          const e = layerOf<{ src: Uint8Array; dst: Uint8Array }>(layers, 'ethernet');
          const i = layerOf<{ src: Uint8Array; dst: Uint8Array; ttl: number; checksum: number; checksumStatus: string }>(layers, 'ipv4');
          const t = layerOf<{ checksum: number }>(layers, 'tcp');
          return { macs: `${macText(e.src)} -> ${macText(e.dst)}`, ips: `${ipText(i.src)} -> ${ipText(i.dst)}`, ttl: i.ttl, ipSum: `0x${i.checksum.toString(16)} (${i.checksumStatus})`, tcpSum: `0x${t.checksum.toString(16)}` };
        };
        const a = view(hop1);
        const b = view(hop2);
        ctx.show.sequence({
          participants: ['client', 'router', 'next hop'],
          messages: [
            { from: 0, to: 1, label: `ARP who has ${GATEWAY.ip}? (broadcast)` },
            { from: 1, to: 0, label: `ARP ${GATEWAY.ip} is at ${GATEWAY.lanMac}` },
            { from: 0, to: 1, label: `frame ${CLIENT.mac} -> ${GATEWAY.lanMac}, TTL 64` },
            { from: 1, to: 2, label: `frame ${GATEWAY.wanMac} -> ${NEXT_HOP_MAC}, TTL 63` },
          ],
        });
        ctx.show.table(['', 'hop 1: client -> router', 'hop 2: router -> next hop'], [
          ['MAC source -> destination', a.macs, b.macs],
          ['IP source -> destination', a.ips, b.ips],
          ['TTL', a.ttl, b.ttl],
          ['IPv4 checksum', a.ipSum, b.ipSum],
          ['TCP checksum', a.tcpSum, b.tcpSum],
        ]);
        ctx.check.equal('hop 1 is addressed to the gateway\'s MAC, not the server\'s', a.macs, `${CLIENT.mac} -> ${GATEWAY.lanMac}`);
        ctx.check.equal('hop 2 leaves from the router\'s other interface', b.macs, `${GATEWAY.wanMac} -> ${NEXT_HOP_MAC}`);
        ctx.check.equal('the IP addresses are the same on both hops', b.ips, a.ips);
        ctx.check.equal('the TTL went down by one', a.ttl - b.ttl, 1);
        ctx.check.notEqual('the IPv4 checksum changed with the TTL', b.ipSum, a.ipSum);
        ctx.check.ok('both IPv4 checksums verify', a.ipSum.endsWith('(good)') && b.ipSum.endsWith('(good)'), `${a.ipSum}, ${b.ipSum}`);
        ctx.check.equal('the TCP checksum did not change (its pseudo-header has the same addresses)', b.tcpSum, a.tcpSum);
        ctx.check.ok(`${CLIENT.ip} is a private address (192.168.0.0/16): a public server needs NAT on the way to reply`, CLIENT.ip.startsWith('192.168.'), CLIENT.ip);
        const cap = ctx.capture('two-hops', {
          fcs: true,
          filter: `ip.src == ${CLIENT.ip} && tcp.len > 0`,
          about: 'the same packet on both hops: compare eth.src/eth.dst and ip.ttl',
          frames: 2,
          also: [
            { filter: 'arp', about: 'how the client found the gateway\'s MAC', frames: 2 },
            { filter: `eth.src == ${GATEWAY.wanMac}`, about: 'hop 2: the router\'s MAC as source, the client\'s IP unchanged', frames: 1 },
          ],
        });
        for (const [f, c] of [[arpReq, 'ARP request for the gateway'], [arpRep, 'ARP reply'], [hop1, 'hop 1: client to router'], [hop2, 'hop 2: router to next hop']] as const) cap.write(f, { comment: c });
        ctx.state.confirm.push({ path: cap.path, fields: ['eth.src', 'ip.src', 'ip.ttl'], expected: [[CLIENT.mac, '', ''], [GATEWAY.lanMac, '', ''], [CLIENT.mac, CLIENT.ip, '64'], [GATEWAY.wanMac, CLIENT.ip, '63']] });
      },
    },
    {
      title: 'A corrupted frame is dropped at layer 2',
      explain:
        'One bit flips on the wire (in the TTL byte). The receiving NIC computes the CRC-32 over the frame, finds\n' +
        'it does not match the FCS, and drops the frame: IP never sees it, and nothing is sent back. TCP will\n' +
        'notice the missing segment later and retransmit it.',
      run(ctx) {
        const good = ctx.state.frame as Uint8Array;
        const bad = good.slice();
        bad[14 + 8] ^= 0x01;
        const nicAccepts = (f: Uint8Array): boolean => {
          const c = crc32(f, 0, f.length - 4);
          const sent = (f[f.length - 4] | (f[f.length - 3] << 8) | (f[f.length - 2] << 16) | (f[f.length - 1] << 24)) >>> 0;
          return c === sent;
        };
        const status = (f: Uint8Array): string => layerOf<{ fcsStatus?: string }>(decode(f, 1, { fcsLength: 4 }).layers, 'ethernet').fcsStatus ?? '?';
        ctx.show.table(['frame', 'FCS check', 'NIC'], [
          ['as sent', status(good), nicAccepts(good) ? 'accepted' : 'dropped'],
          ['one bit flipped', status(bad), nicAccepts(bad) ? 'accepted' : 'dropped'],
        ]);
        ctx.check.equal('the intact frame passes the FCS check', nicAccepts(good), true);
        ctx.check.equal('the frame with one flipped bit fails it and is dropped', nicAccepts(bad), false);
        ctx.check.equal('netlab\'s decoder reports the bad FCS', status(bad), 'bad');
        const cap = ctx.capture('bad-fcs', {
          fcs: true,
          filter: 'eth.fcs.status == 0',
          about: 'the frame a NIC drops: its FCS does not match',
          prefs: ['eth.check_fcs:TRUE'],
          frames: 1,
        });
        cap.write(good, { comment: 'as sent' });
        cap.write(bad, { comment: 'one bit flipped in transit (TTL byte)' });
        ctx.state.confirm.push({ path: cap.path, fields: ['eth.fcs.status'], expected: [['1'], ['0']] });
      },
    },
    {
      title: 'What Wireshark says',
      explain: 'tshark reads the captures of this lab; the fields must be what netlab built.',
      run(ctx) {
        if (!tsharkInstalled()) {
          ctx.show.skipped('tshark is not installed: Wireshark\'s confirmation is skipped (on Debian: apt-get install tshark)');
          return;
        }
        for (const c of ctx.state.confirm) {
          const rows = tsharkFields(resolve(c.path), c.fields, CHECKSUM_PREFS);
          c.expected.forEach((want, i) => {
            ctx.check.equal(`tshark: ${c.path} frame ${i + 1} ${c.fields.join(', ')}`, (rows[i] ?? []).join(' | '), want.join(' | '));
          });
        }
        const malformed = ctx.state.confirm.flatMap((c) => tsharkFields(resolve(c.path), ['_ws.malformed'], CHECKSUM_PREFS).filter((r) => r[0] !== ''));
        ctx.check.equal('tshark finds no malformed packet', malformed.length, 0);
      },
    },
  ],
});
