// The checksums lab's first steps: each checksum computed as a person would, and compared with what
// the wire layer put in the frame: the IPv4 header (20 bytes, and 60 with options), a study guide's "Hola"
// and the real UDP checksum with its pseudo-header, the zero checksum (allowed over IPv4 only), the
// TCP pseudo-header on a study guide's SYN, and the Ethernet CRC-32.

import { crc32, encode, ethernet, foldSum, internetChecksum, ipv4, ipv4Bytes, ipv4Option, onesSum, payload, readFcs, udp } from '../../src/wire/index.ts';
import { checksumFigure, type Step } from '../../src/lab/index.ts';
import { asciiLabel, handSum, hex4, wordsOf, type HandSum, type Word } from '../common/ones-sum.ts';
import { DPORT, DST, IP_AT, L4_AT, SPORT, SRC, SYN, UDP_DATA_AT, holaFrame, holaOverIpv6WithoutChecksum, statuses, synFrame, u16 } from './frames.ts';
import type { ChecksumsState } from './state.ts';

type S = ChecksumsState;

const IP_WORDS = [
  'version, IHL, DSCP/ECN',
  'total length',
  'identification',
  'flags, fragment offset',
  'TTL, protocol',
  'checksum (as 0)',
  'source (high)',
  'source (low)',
  'destination (high)',
  'destination (low)',
];

const foldText = (sum: HandSum): string =>
  [...sum.foldSteps.map((s) => `fold the carry: ${s}`), `complement: ~${hex4(sum.folded)} = ${hex4(sum.checksum)}`].join('\n');

/** The pseudo-header's six words (RFC 768 / RFC 793): addresses, zero and protocol, length. */
function pseudoWords(protocol: number, length: number): Word[] {
  const src = ipv4Bytes(SRC);
  const dst = ipv4Bytes(DST);
  return [
    { label: 'pseudo: source (high)', value: u16(src, 0) },
    { label: 'pseudo: source (low)', value: u16(src, 2) },
    { label: 'pseudo: destination (high)', value: u16(dst, 0) },
    { label: 'pseudo: destination (low)', value: u16(dst, 2) },
    { label: `pseudo: zero, protocol ${protocol}`, value: protocol },
    { label: `pseudo: ${protocol === 6 ? 'TCP' : 'UDP'} length`, value: length },
  ];
}

const ipv4ByHand: Step<S> = {
  title: 'The IPv4 header checksum, word by word',
  explain:
    "An IPv4 header is summed as 16-bit words in one's-complement arithmetic: add the words, fold every carry\n" +
    'above 16 bits back into the low 16 bits, then flip all the bits. The checksum field counts as 0 while\n' +
    `summing. Here: the header of a UDP datagram from ${SRC} to ${DST}, 20 bytes (IHL 5).\n` +
    'With options it grows, 4 bytes at a time, to 60 (IHL 15), not "up to 24" as a study guide says; the\n' +
    'checksum covers all of it.',
  run(ctx) {
    const frame = holaFrame();
    const header = frame.slice(IP_AT, IP_AT + 20);
    const onWire = u16(header, 10);
    header[10] = 0;
    header[11] = 0;
    const sum = handSum(wordsOf(header, (i) => IP_WORDS[i / 2]));
    ctx.show.table(['word', 'value', 'running sum'], sum.rows, { title: 'IPv4 header words' });
    // The same sum as a picture in the lab page; the terminal prints the folding as before.
    ctx.show.figure(checksumFigure('IPv4 header words: the sum, folded and complemented', sum.words, foldText(sum)));
    ctx.check.equal('the hand sum gives the checksum netlab wrote into the header', hex4(sum.checksum), hex4(onWire));
    ctx.check.equal("RFC 1071's internetChecksum agrees", hex4(internetChecksum(header)), hex4(sum.checksum));
    ctx.check.equal('summed with its checksum in place, a good header folds to 0xffff', hex4(foldSum(onesSum(frame, IP_AT, 20))), '0xffff');
    // The longest header: a record-route option with room for 9 addresses (39 bytes, padded to 40).
    const long = encode([
      ethernet({ src: '11:22:33:44:55:66', dst: 'aa:bb:cc:dd:ee:ff' }),
      ipv4({ src: SRC, dst: DST, id: 0x1c47, options: [ipv4Option.recordRoute(9)] }),
      udp({ sport: SPORT, dport: DPORT }),
      payload('Hola'),
    ]);
    const ihl = long[IP_AT] & 0x0f;
    const longHeader = long.slice(IP_AT, IP_AT + ihl * 4);
    const longOnWire = u16(longHeader, 10);
    longHeader[10] = 0;
    longHeader[11] = 0;
    const longSum = handSum(wordsOf(longHeader, () => ''));
    ctx.show.text(
      `With a record-route option (9 slots): IHL ${ihl}, header ${ihl * 4} bytes, ${longSum.rows.length} words summed, checksum ${hex4(longSum.checksum)}.`,
    );
    ctx.check.equal('with 40 bytes of options the header is 60 bytes: IHL 15, the most its 4 bits hold', `IHL ${ihl}, ${ihl * 4} bytes`, 'IHL 15, 60 bytes');
    ctx.check.equal(
      'the checksum of the 60-byte header covers all 30 words',
      `${longSum.rows.length} words, ${hex4(longSum.checksum)}`,
      `30 words, ${hex4(longOnWire)}`,
    );
    ctx.check.equal("netlab's decoder finds both headers good", `${statuses(frame, 0).ip}/${statuses(long, 0).ip}`, 'Good/Good');
    const cap = ctx.capture('ipv4-header', {
      filter: 'ip.hdr_len == 60',
      about: 'the longest IPv4 header: 60 bytes, 40 of them options',
      frames: 1,
      also: [{ filter: 'ip.checksum.status == 1', about: 'both header checksums verify', prefs: ['ip.check_checksum:TRUE'], frames: 2 }],
    });
    cap.write(frame, { comment: `20-byte header, checksum ${hex4(onWire)}` });
    cap.write(long, { comment: `60-byte header (record route, 9 slots), checksum ${hex4(longOnWire)}` });
    ctx.state.confirm.push({ path: cap.path, expected: [statuses(frame, 0), statuses(long, 0)] });
  },
};

const holaUdp: Step<S> = {
  title: 'A study guide\'s "Hola", and the real UDP checksum',
  explain:
    'A study guide adds the two words of "Hola": 0x486F ("Ho") + 0x6C61 ("la") = 0xB4D0, and shows that "Mola"\n' +
    'gives 0xB9D0. That sum is only part of it. The UDP checksum also covers a pseudo-header (source and\n' +
    'destination address, protocol 17, UDP length) and the UDP header itself, then complements the folded\n' +
    'sum. The UDP length counts the 8-byte header: "Hola" makes a UDP length of 12, not 4. And UDP does\n' +
    'check errors: over IPv4 a sender may leave the checksum out (0: "not present"), over IPv6 it must not.',
  run(ctx) {
    const book = 0x486f + 0x6c61;
    const mola = 0x4d6f + 0x6c61;
    ctx.show.table(
      ['text', 'words', 'sum'],
      [
        ['Hola', '0x486f + 0x6c61', hex4(book)],
        ['Mola', '0x4d6f + 0x6c61', hex4(mola)],
      ],
      { title: "A study guide's sums" },
    );
    const frame = holaFrame();
    const data = frame.subarray(UDP_DATA_AT, UDP_DATA_AT + 4);
    const dataWords = wordsOf(data, (i) => `data ${asciiLabel(data, i)}`);
    ctx.check.equal(
      '"Hola" is the words 0x486f, 0x6c61 and sums to a study guide\'s 0xB4D0',
      `${dataWords.map((w) => hex4(w.value)).join(' + ')} = ${hex4(book)}`,
      '0x486f + 0x6c61 = 0xb4d0',
    );
    ctx.check.equal('"Mola" sums to a study guide\'s 0xB9D0', hex4(mola), '0xb9d0');
    const udpLength = u16(frame, L4_AT + 4);
    ctx.check.equal('the UDP length counts the 8-byte header: 8 + 4 = 12', udpLength, 12);
    const sum = handSum([
      ...pseudoWords(17, udpLength),
      { label: 'source port', value: SPORT },
      { label: 'destination port', value: DPORT },
      { label: 'length', value: udpLength },
      { label: 'checksum (as 0)', value: 0 },
      ...dataWords,
    ]);
    ctx.show.table(['word', 'value', 'running sum'], sum.rows, { title: 'UDP checksum: pseudo-header, header, data' });
    // The same sum as a picture in the lab page; the terminal prints the folding as before.
    ctx.show.figure(checksumFigure('UDP checksum: pseudo-header, header, data: the sum, folded and complemented', sum.words, foldText(sum)));
    const onWire = u16(frame, L4_AT + 6);
    ctx.check.equal('the hand sum gives the UDP checksum on the wire', hex4(sum.checksum), hex4(onWire));
    ctx.check.notEqual("the real checksum is not a study guide's 0xB4D0", hex4(onWire), '0xb4d0');
    const unset = holaFrame({ udpChecksum: 0 });
    const v6 = holaOverIpv6WithoutChecksum();
    const rows = [
      ['"Hola" over IPv4', hex4(onWire), statuses(frame, 0).l4],
      ['"Hola" over IPv4, checksum left out', '0x0000', statuses(unset, 0).l4],
      ['"Hola" over IPv6, checksum left out', '0x0000', statuses(v6, 0).l4],
    ];
    ctx.show.table(['datagram', 'UDP checksum', 'netlab decode'], rows);
    ctx.check.equal(
      'netlab\'s decoder: good; 0 over IPv4 is "not present"; 0 over IPv6 is illegal',
      rows.map((r) => r[2]),
      ['Good', 'Not present', 'Illegal'],
    );
    const cap = ctx.capture('hola-udp', {
      filter: 'udp.length == 12',
      about: 'the "Hola" datagrams: 8 bytes of header + 4 of data',
      frames: 3,
      also: [
        { filter: 'udp.checksum.status == 1', about: "the first one's checksum verifies", prefs: ['udp.check_checksum:TRUE'], frames: 1 },
        { filter: 'ip && udp.checksum.status == 3', about: 'over IPv4 a zero checksum means "not computed"', prefs: ['udp.check_checksum:TRUE'], frames: 1 },
        { filter: 'ipv6 && udp.checksum.status == 4', about: 'over IPv6 it is illegal', prefs: ['udp.check_checksum:TRUE'], frames: 1 },
      ],
    });
    cap.write(frame, { comment: `"Hola", UDP checksum ${hex4(onWire)}` });
    cap.write(unset, { comment: '"Hola" over IPv4, UDP checksum 0: not computed (allowed)' });
    cap.write(v6, { comment: '"Hola" over IPv6, UDP checksum 0: not allowed' });
    ctx.state.confirm.push({ path: cap.path, expected: [statuses(frame, 0), statuses(unset, 0), statuses(v6, 0)] });
  },
};

const tcpSyn: Step<S> = {
  title: "TCP uses the same pseudo-header: a study guide's SYN",
  explain:
    `TCP's checksum is computed like UDP's, with protocol 6 and the TCP length in the pseudo-header. The SYN of\n` +
    `the encapsulation lab (${SRC}:${SYN.sport} -> ${DST}:${SYN.dport}, seq ${SYN.seq}) has a 24-byte header (its MSS\n` +
    "option) and no data, so the TCP length is 24. Unlike UDP's, TCP's checksum is never optional.",
  run(ctx) {
    const frame = synFrame();
    const segment = frame.slice(L4_AT);
    const onWire = u16(segment, 16);
    segment[16] = 0;
    segment[17] = 0;
    const names = [
      'source port',
      'destination port',
      'sequence (high)',
      'sequence (low)',
      'acknowledgement (high)',
      'acknowledgement (low)',
      'data offset, flags',
      'window',
      'checksum (as 0)',
      'urgent pointer',
      'option: MSS kind, length',
      'option: MSS value',
    ];
    const sum = handSum([...pseudoWords(6, segment.length), ...wordsOf(segment, (i) => names[i / 2] ?? '')]);
    ctx.show.table(['word', 'value', 'running sum'], sum.rows, { title: 'TCP checksum of the SYN: pseudo-header, header' });
    // The same sum as a picture in the lab page; the terminal prints the folding as before.
    ctx.show.figure(checksumFigure('TCP checksum of the SYN: pseudo-header, header: the sum, folded and complemented', sum.words, foldText(sum)));
    ctx.check.equal('the TCP length in the pseudo-header is the 24-byte header', segment.length, 24);
    ctx.check.equal("the sequence number's words are 0x00bc, 0x614e", `${hex4(u16(segment, 4))} ${hex4(u16(segment, 6))}`, '0x00bc 0x614e');
    ctx.check.equal('the hand sum gives the TCP checksum on the wire', hex4(sum.checksum), hex4(onWire));
    ctx.check.equal("netlab's decoder finds it good", statuses(frame, 0).l4, 'Good');
    const cap = ctx.capture('tcp-syn', {
      filter: 'tcp.checksum.status == 1',
      about: "a study guide's SYN: its checksum verifies",
      prefs: ['tcp.check_checksum:TRUE'],
      frames: 1,
      also: [{ filter: `tcp.seq_raw == ${SYN.seq} && tcp.hdr_len == 24`, about: 'seq 12345678, a 24-byte header', frames: 1 }],
    });
    cap.write(frame, { comment: `SYN seq ${SYN.seq}, TCP checksum ${hex4(onWire)}` });
    ctx.state.confirm.push({ path: cap.path, expected: [statuses(frame, 0)] });
  },
};

const fcsStep: Step<S> = {
  title: 'The Ethernet FCS: a CRC-32 over the whole frame',
  explain:
    'The frame check sequence is a CRC-32 (the polynomial 0x04C11DB7, reflected) over every byte of the\n' +
    'frame from the destination MAC to the end of the data, sent least significant byte first. It is not\n' +
    'a sum: every bit of the frame moves it, and the receiving NIC drops a frame whose FCS does not match.',
  run(ctx) {
    const frame = holaFrame({ fcs: true });
    const body = frame.subarray(0, frame.length - 4);
    const crc = crc32(body);
    const sent = frame.subarray(frame.length - 4);
    ctx.show.hex(frame, { title: '"Hola" with its FCS (the last 4 bytes)', fcsLength: 4 });
    ctx.show.text(
      `CRC-32 over ${body.length} bytes = 0x${crc.toString(16).padStart(8, '0')}; on the wire: ${[...sent].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`,
    );
    const h32 = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
    ctx.check.equal('the FCS on the wire is the CRC-32, least significant byte first', h32(readFcs(frame, frame.length - 4)), h32(crc));
    ctx.check.equal('CRC-32 of the standard check string "123456789" is 0xcbf43926', h32(crc32(new TextEncoder().encode('123456789'))), '0xcbf43926');
    ctx.check.equal('the frame is 14 + 20 + 8 + 4 + 4 (FCS) = 50 bytes (a NIC pads to 64 on the wire)', frame.length, 50);
    ctx.check.equal("netlab's decoder finds the FCS good", statuses(frame, 4).fcs, 'Good');
  },
};

export const sumSteps: readonly Step<S>[] = [ipv4ByHand, holaUdp, tcpSyn, fcsStep];
