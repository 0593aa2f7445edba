// The encapsulation lab's first steps: the handshake before the request, the GET wrapped layer by
// layer (each header's bytes, each PDU's name, the real FCS instead of a study guide's placeholder), taken
// apart again with every field compared, and what a study guide's source MAC says about itself.

import { crc32, encode, ethernet, ipv4, payload, readFcs, tcp, type DecodedLayer, type Ethernet, type Ipv4, type Tcp } from '../../src/wire/index.ts';
import type { Step } from '../../src/lab/index.ts';
import {
  BOOK_FCS,
  CLIENT,
  CLIENT_IP_ID,
  CLIENT_WINDOW,
  GATEWAY,
  ISN,
  REQUEST,
  SERVER,
  bits8,
  wireBits8,
  clientFrame,
  decodeWithFcs,
  hex32,
  hexBytes,
  ipText,
  layerOf,
  macText,
  spanOf,
} from './seed.ts';
import type { EncapsulationState } from './state.ts';

type S = EncapsulationState;

const bytesOf = (frame: Uint8Array, l: DecodedLayer, n = l.length): Uint8Array => frame.subarray(l.offset, l.offset + n);

const handshake: Step<S> = {
  title: 'The TCP handshake comes first, and carries no data',
  explain:
    `The client ${CLIENT.ip}:${CLIENT.port} opens a connection to ${SERVER.ip}:${SERVER.port}. Its SYN carries the\n` +
    `initial sequence number ${ISN} (0x00bc614e) and no data; the server's SYN-ACK acknowledges ${ISN + 1} (a SYN\n` +
    "counts as one byte); the client's ACK completes the handshake. Only then does the request travel, from\n" +
    `sequence ${ISN + 1}. The SYN's TCP header is 24 bytes (20 + a 4-byte MSS option): a TCP header is 20 to 60\n` +
    'bytes. (Port 443 means TLS: the real request would be encrypted, as the tls13-handshake lab shows; here\n' +
    'it travels in clear, as a study guide has it, to follow the layers.)',
  run(ctx) {
    const serverIsn = ctx.random.uint32();
    ctx.state.serverIsn = serverIsn;
    const serverAck = (serverIsn + 1) >>> 0;
    const syn = clientFrame({ flags: 'S', seq: ISN, mss: 1460 });
    const synAck = encode([
      ethernet({ src: GATEWAY.lanMac, dst: CLIENT.mac, fcs: true, pad: true }),
      ipv4({ src: SERVER.ip, dst: CLIENT.ip, ttl: 57, id: 0, df: true }),
      tcp({ sport: SERVER.port, dport: CLIENT.port, seq: serverIsn, ack: ISN + 1, flags: 'SA', window: 65535, options: [{ mss: 1412 }] }),
    ]);
    const ack = clientFrame({ flags: 'A', seq: ISN + 1, ack: serverAck });
    const get = clientFrame({ flags: 'PA', seq: ISN + 1, ack: serverAck, data: REQUEST });
    ctx.show.sequence({
      participants: [`client ${CLIENT.ip}:${CLIENT.port}`, `server ${SERVER.ip}:${SERVER.port}`],
      messages: [
        { from: 0, to: 1, label: `SYN seq=${ISN} len=0` },
        { from: 1, to: 0, label: `SYN-ACK seq=${serverIsn} ack=${ISN + 1} len=0` },
        { from: 0, to: 1, label: `ACK seq=${ISN + 1} ack=${serverAck} len=0` },
        { from: 0, to: 1, label: `PSH-ACK seq=${ISN + 1} len=${REQUEST.length}: GET /index.html` },
      ],
    });
    const view = (f: Uint8Array): { tcp: Tcp; span: DecodedLayer; data: number } => {
      const layers = decodeWithFcs(f);
      const d = layers.find((l) => l.kind === 'data');
      return { tcp: layerOf<Tcp>(layers, 'tcp'), span: spanOf(layers, 'tcp'), data: d === undefined ? 0 : d.length };
    };
    const [s, sa, a, g] = [syn, synAck, ack, get].map(view);
    ctx.check.equal("the SYN carries a study guide's sequence number", s.tcp.seq, 12345678);
    ctx.check.equal('on the wire that is 00 bc 61 4e (TCP bytes 4-7)', hexBytes(syn.subarray(s.span.offset + 4, s.span.offset + 8)), '00 bc 61 4e');
    ctx.check.equal('the SYN carries no data', s.data, 0);
    ctx.check.equal('the SYN-ACK acknowledges 12345679 (the SYN counts as one byte)', sa.tcp.ack, 12345679);
    ctx.check.equal("the handshake's last ACK carries no data either", a.data, 0);
    ctx.check.equal('the request starts at sequence ISN + 1', g.tcp.seq, ISN + 1);
    ctx.check.equal('the request segment carries the whole GET', g.data, REQUEST.length);
    ctx.check.equal('TCP header lengths: SYN with its MSS option 24, the GET 20 (20 to 60 bytes)', `${s.tcp.headerLength}/${g.tcp.headerLength}`, '24/20');
    const cap = ctx.capture('handshake-and-get', {
      fcs: true,
      filter: 'tcp.flags.syn == 1',
      about: 'SYN and SYN-ACK: no data',
      frames: 2,
      also: [
        { filter: `tcp.seq_raw == ${ISN}`, about: "a study guide's SYN, seq 12345678", frames: 1 },
        { filter: `tcp.ack_raw == ${ISN + 1}`, about: 'the SYN-ACK: ack 12345679', frames: 1 },
        { filter: 'tcp.len > 0', about: 'the only segment with data: the GET', frames: 1 },
      ],
    });
    for (const [f, c] of [
      [syn, 'SYN'],
      [synAck, 'SYN-ACK'],
      [ack, 'ACK'],
      [get, 'GET /index.html'],
    ] as const)
      cap.write(f, { comment: c });
    ctx.state.get = get;
    ctx.state.confirm.push({
      path: cap.path,
      fields: ['tcp.seq_raw', 'tcp.ack_raw', 'tcp.len', 'tcp.hdr_len'],
      expected: [
        [`${ISN}`, '0', '0', '24'],
        [`${serverIsn}`, `${ISN + 1}`, '0', '24'],
        [`${ISN + 1}`, `${serverAck}`, '0', '20'],
        [`${ISN + 1}`, `${serverAck}`, `${REQUEST.length}`, '20'],
      ],
    });
  },
};

const layersStep: Step<S> = {
  title: 'Layer by layer: data, segment, packet, frame, bits',
  explain:
    'Each layer puts its header in front of what the layer above handed it, and names the result: the\n' +
    "application's data, TCP's segment (a 20-byte header: ports, sequence, acknowledgement, flags, window),\n" +
    "IP's packet (20 bytes: addresses, TTL, protocol 6 = TCP), Ethernet's frame (14 bytes in front: MACs and\n" +
    'EtherType 0x0800 = IPv4; 4 bytes behind: the FCS). The physical layer sends bits, after a 7-byte preamble\n' +
    'and a start-of-frame byte, each byte least significant bit first. A study guide prints the FCS as\n' +
    '0xABCD1234, a placeholder: the real one is a CRC-32 over the frame, computed here.',
  run(ctx) {
    const frame = ctx.state.get as Uint8Array;
    const layers = decodeWithFcs(frame);
    const eth = spanOf(layers, 'ethernet');
    const ip = spanOf(layers, 'ipv4');
    const t = spanOf(layers, 'tcp');
    const data = spanOf(layers, 'data');
    const ipv = ip.value as Ipv4;
    const ethv = eth.value as Ethernet;
    const fcsAt = frame.length - 4;
    const fcs = readFcs(frame, fcsAt);
    const crc = crc32(frame, 0, fcsAt);
    const rows = [
      ['7 application', 'data', 'HTTP request', 0, data.length],
      ['4 transport', 'segment', 'TCP header', t.length, t.length + data.length],
      ['3 network', 'packet', 'IPv4 header', ipv.ihl * 4, ipv.totalLength],
      ['2 data link', 'frame', 'Ethernet header + FCS', 14 + 4, frame.length],
      ['1 physical', 'bits', 'preamble + start of frame', 8, `${(frame.length + 8) * 8} bits`],
    ];
    ctx.show.table(['layer', 'PDU', 'adds', 'header bytes', 'PDU size'], rows, { title: 'The GET, wrapped' });
    const ethHeader = bytesOf(frame, eth, 14);
    const ipHeader = bytesOf(frame, ip, ipv.ihl * 4);
    const tcpHeader = bytesOf(frame, t);
    ctx.show.text(
      [
        `Ethernet header: ${hexBytes(ethHeader)}`,
        `IPv4 header:     ${hexBytes(ipHeader)}`,
        `TCP header:      ${hexBytes(tcpHeader)}`,
        `data:            ${hexBytes(bytesOf(frame, data, 16))} ... (${data.length} bytes: "${REQUEST.split('\r\n')[0]}" ...)`,
        `FCS:             ${hexBytes(frame.subarray(fcsAt))} = CRC-32 ${hex32(crc)} sent least significant byte first (a study guide: ${hex32(BOOK_FCS)})`,
        `On the wire, each byte least significant bit first: 10101010 x 7 (preamble, 0x55), 10101011 (start of\n` +
          `frame, 0xd5), then ${[...frame.subarray(0, 2)].map(wireBits8).join(' ')} (0x${frame[0].toString(16)} 0x${frame[1].toString(16)}) ... and the FCS's bits last.`,
      ].join('\n'),
    );
    ctx.show.hex(frame, { title: 'The frame: Ethernet | IPv4 | TCP | HTTP | FCS', fcsLength: 4 });
    ctx.check.equal('the Ethernet header is dst, src, EtherType', hexBytes(ethHeader), 'aa bb cc dd ee ff 11 22 33 44 55 66 08 00');
    ctx.check.equal('the EtherType says IPv4 (0x0800)', `0x${ethv.type.toString(16).padStart(4, '0')}`, '0x0800');
    ctx.check.equal('IPv4 byte 0 is 0x45: version 4, IHL 5 (5 x 4 = 20 bytes)', hexBytes(ipHeader.subarray(0, 1)), '45');
    ctx.check.equal('IPv4 byte 9, the protocol, says TCP (6)', ipHeader[9], 6);
    ctx.check.equal(
      'IPv4 bytes 12-19: c0 a8 01 0a (192.168.1.10) then 8e fa b7 6e (142.250.183.110)',
      hexBytes(ipHeader.subarray(12, 20)),
      'c0 a8 01 0a 8e fa b7 6e',
    );
    ctx.check.equal('TCP bytes 0-3: ports d4 31 (54321) and 01 bb (443)', hexBytes(tcpHeader.subarray(0, 4)), 'd4 31 01 bb');
    ctx.check.equal('segment = 20-byte TCP header + the request', t.length + data.length, 20 + REQUEST.length);
    ctx.check.equal('packet = 20-byte IPv4 header + the segment', ipv.totalLength, 20 + t.length + data.length);
    ctx.check.equal('frame = 14 (Ethernet header) + the packet + 4 (FCS)', frame.length, 14 + ipv.totalLength + 4);
    ctx.check.equal('the FCS is the CRC-32 of everything before it', hex32(fcs), hex32(crc));
    ctx.check.notEqual("it is not a study guide's placeholder", hex32(fcs), hex32(BOOK_FCS));
  },
};

const decapsulation: Step<S> = {
  title: 'Decapsulation: the receiver takes it apart',
  explain:
    'The receiver reads the layers from the outside in: the NIC checks the FCS and the destination MAC, the\n' +
    'EtherType hands the payload to IPv4, the protocol number hands it to TCP, and the port hands the data to\n' +
    'the server process. Every field the sender set must come back; built again from what was decoded, the\n' +
    'frame must be the same bytes.',
  run(ctx) {
    const frame = ctx.state.get as Uint8Array;
    const layers = decodeWithFcs(frame);
    const eth = layerOf<Ethernet>(layers, 'ethernet');
    const ip = layerOf<Ipv4>(layers, 'ipv4');
    const t = layerOf<Tcp>(layers, 'tcp');
    const dataSpan = spanOf(layers, 'data');
    const data = frame.subarray(dataSpan.offset, dataSpan.offset + dataSpan.length);
    const text = Buffer.from(data).toString('latin1');
    const ethBack = { dst: macText(eth.dst), src: macText(eth.src), type: eth.type, fcs: eth.fcsStatus };
    const ipBack = {
      version: ip.version,
      ihl: ip.ihl,
      totalLength: ip.totalLength,
      id: ip.id,
      df: ip.df,
      ttl: ip.ttl,
      protocol: ip.protocol,
      src: ipText(ip.src),
      dst: ipText(ip.dst),
      checksum: ip.checksumStatus,
    };
    const tcpBack = { srcPort: t.srcPort, dstPort: t.dstPort, seq: t.seq, ack: t.ack, flags: t.flags.raw, window: t.window, checksum: t.checksumStatus };
    ctx.show.table(
      ['layer', 'field', 'value'],
      [
        ['Ethernet', 'destination / source', `${ethBack.dst} / ${ethBack.src}`],
        ['Ethernet', 'EtherType, FCS', `0x${eth.type.toString(16).padStart(4, '0')}, ${eth.fcsStatus}`],
        ['IPv4', 'source / destination', `${ipBack.src} / ${ipBack.dst}`],
        ['IPv4', 'protocol, TTL, checksum', `${ip.protocol}, ${ip.ttl}, ${ip.checksumStatus}`],
        ['TCP', 'ports, sequence, checksum', `${t.srcPort} -> ${t.dstPort}, ${t.seq}, ${t.checksumStatus}`],
        ['HTTP', 'request line', text.split('\r\n')[0]],
      ],
    );
    ctx.check.equal('Ethernet: the MACs, EtherType and a good FCS come back', ethBack, { dst: GATEWAY.lanMac, src: CLIENT.mac, type: 0x0800, fcs: 'good' });
    ctx.check.equal('IPv4: every header field comes back', ipBack, {
      version: 4,
      ihl: 5,
      totalLength: 40 + REQUEST.length,
      id: CLIENT_IP_ID,
      df: true,
      ttl: 64,
      protocol: 6,
      src: CLIENT.ip,
      dst: SERVER.ip,
      checksum: 'good',
    });
    ctx.check.equal('TCP: ports, numbers, flags PSH+ACK (0x018), window come back', tcpBack, {
      srcPort: CLIENT.port,
      dstPort: SERVER.port,
      seq: ISN + 1,
      ack: (ctx.state.serverIsn + 1) >>> 0,
      flags: 0x018,
      window: CLIENT_WINDOW,
      checksum: 'good',
    });
    ctx.check.equal('the application gets the request back, byte for byte', text, REQUEST);
    const again = encode([
      ethernet({ src: eth.src, dst: eth.dst, type: eth.type, fcs: true, pad: true }),
      ipv4({ src: ip.src, dst: ip.dst, ttl: ip.ttl, id: ip.id, df: ip.df, protocol: ip.protocol }),
      tcp({ sport: t.srcPort, dport: t.dstPort, seq: t.seq, ack: t.ack, flags: t.flags.raw, window: t.window, urgentPointer: t.urgentPointer }),
      payload(data),
    ]);
    ctx.check.equal('encapsulated again from the decoded fields, the frame is the same bytes', Buffer.compare(Buffer.from(again), Buffer.from(frame)), 0);
  },
};

const macBits: Step<S> = {
  title: "A look at a study guide's MAC address: 11:22:33:44:55:66 is a group address",
  explain:
    "The lowest bit of a MAC address's first byte is the I/G bit: 0 for one interface, 1 for a group\n" +
    "(multicast). 0x11 = 00010001: the bit is 1, so a study guide's source address is a multicast address, which no\n" +
    'NIC sends from; Wireshark flags it ("Source MAC must not be a group address"). The second-lowest bit (U/L)\n' +
    "says who assigned it: AA:BB:CC:DD:EE:FF has it set (locally administered). A real NIC's address has\n" +
    "both bits 0 and starts with its maker's OUI.",
  run(ctx) {
    const frame = ctx.state.get as Uint8Array;
    const eth = layerOf<Ethernet>(decodeWithFcs(frame), 'ethernet');
    const describe = (mac: Uint8Array): (string | number)[] => [
      macText(mac),
      bits8(mac[0]),
      mac[0] & 1 ? 'group' : 'individual',
      mac[0] & 2 ? 'local' : 'universal',
    ];
    ctx.show.table(['address', 'first byte', 'I/G (bit 0)', 'U/L (bit 1)'], [describe(eth.src), describe(eth.dst)]);
    ctx.check.equal('the source MAC in the frame, 11:22:33:44:55:66, has the group bit set', eth.src[0] & 1, 1);
    ctx.check.equal(
      'the destination aa:bb:cc:dd:ee:ff is individual (I/G 0), locally administered (U/L 1)',
      `${eth.dst[0] & 1}/${(eth.dst[0] >> 1) & 1}`,
      '0/1',
    );
    ctx
      .capture('group-source-mac', {
        fcs: true,
        filter: 'eth.src.ig == 1',
        about: 'a frame whose source MAC is a group address (Wireshark warns: eth.src_not_group)',
        frames: 1,
        also: [{ filter: 'eth.src_not_group', about: 'the warning itself', frames: 1 }],
      })
      .write(frame, { comment: 'source 11:22:33:44:55:66: the I/G bit is 1' });
  },
};

export const buildSteps: readonly Step<S>[] = [handshake, layersStep, decapsulation, macBits];
