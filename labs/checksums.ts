// Lab: checksums. The IPv4 header checksum by hand, the book's "Hola" sum and what the real UDP
// checksum adds (the pseudo-header, the length, the complement), the Ethernet CRC-32, which
// corruption each one catches, and the RFC 1624 update a NAT makes after rewriting an address.

import { resolve } from 'node:path';
import { defineLab } from '../src/lab/define.ts';
import type { StepContext } from '../src/lab/types.ts';
import { CHECKSUM_PREFS, STATUS_NAME, tsharkFields, tsharkInstalled } from '../src/lab/tshark.ts';
import { crc32, decode, encode, ethernet, foldSum, incrementalUpdate16, internetChecksum, ipv4, ipv4Bytes, onesSum, payload, udp } from '../src/wire/index.ts';
import { asciiLabel, handSum, hex4, wordsOf, type Word } from './common/ones-sum.ts';

const SRC = '192.168.1.10';
const DST = '142.250.183.110';
const PUBLIC = '203.0.113.5';
const SPORT = 54321;
const DPORT = 7777;
const MAC_SRC = '11:22:33:44:55:66';
const MAC_DST = 'aa:bb:cc:dd:ee:ff';
const IP_HEADER = 14;
const UDP_AT = 34;
const DATA_AT = 42;

interface State {
  /** Captures to confirm with tshark at the end, and what netlab said of each frame. */
  confirm: { path: string; expected: Statuses[] }[];
}

interface Statuses {
  ip: string;
  udp: string;
  fcs: string;
}

/** The seed's datagram: "Hola" from 192.168.1.10:54321, in IPv4 and Ethernet. */
function holaFrame(fcs: boolean, text = 'Hola', src = SRC): Uint8Array {
  return encode([ethernet({ src: MAC_SRC, dst: MAC_DST, fcs }), ipv4({ src, dst: DST, id: 0x1c46, ttl: 64 }), udp({ sport: SPORT, dport: DPORT }), payload(text)]);
}

/** The checksum statuses netlab's decoder gives a frame (Wireshark's words). */
function statuses(frame: Uint8Array, fcsLength: number): Statuses {
  const layers = decode(frame, 1, { fcsLength }).layers;
  const word = (s: unknown): string => (s === 'good' ? 'Good' : s === 'bad' ? 'Bad' : s === 'not-present' ? 'Not present' : 'Unverified');
  const v = (kind: string): Record<string, unknown> => (layers.find((l) => l.kind === kind)?.value ?? {}) as Record<string, unknown>;
  return { ip: word(v('ipv4').checksumStatus), udp: word(v('udp').checksumStatus), fcs: fcsLength > 0 ? word(v('ethernet').fcsStatus) : 'none' };
}

const u16 = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];

function statusRows(frames: readonly { what: string; frame: Uint8Array }[], fcsLength: number): (string | number)[][] {
  return frames.map((f, i) => {
    const s = statuses(f.frame, fcsLength);
    return [i + 1, f.what, s.ip, s.udp, s.fcs];
  });
}

export default defineLab<State>({
  name: 'checksums',
  title: 'Checksums by hand: IPv4, UDP with its pseudo-header, CRC-32, and RFC 1624',
  duration: '15 min',
  needs: ['tshark (optional: confirms every status)'],
  state: () => ({ confirm: [] }),
  steps: [
    {
      title: 'The IPv4 header checksum, word by word',
      explain:
        'An IPv4 header is summed as 16-bit words in one\'s-complement arithmetic: add the words, fold every carry\n' +
        'above 16 bits back into the low 16 bits, then flip all the bits. The checksum field counts as 0 while\n' +
        `summing. Here: the header of a UDP datagram from ${SRC} to ${DST}, 20 bytes (IHL 5; with options it\n` +
        'can grow to 60, IHL 15, not "up to 24" as the book says).',
      run(ctx) {
        const frame = holaFrame(false);
        const header = frame.slice(IP_HEADER, IP_HEADER + 20);
        const onWire = u16(header, 10);
        header[10] = 0;
        header[11] = 0;
        const names = ['version, IHL, DSCP/ECN', 'total length', 'identification', 'flags, fragment offset', 'TTL, protocol', 'checksum (as 0)', 'source (high)', 'source (low)', 'destination (high)', 'destination (low)'];
        const sum = handSum(wordsOf(header, (i) => names[i / 2]));
        ctx.show.table(['word', 'value', 'running sum'], sum.rows, { title: 'IPv4 header words' });
        ctx.show.text([...sum.foldSteps.map((s) => `fold: ${s}`), `complement: ~${hex4(sum.folded)} = ${hex4(sum.checksum)}`].join('\n'));
        ctx.check.equal('the hand sum gives the checksum netlab wrote into the header', hex4(sum.checksum), hex4(onWire));
        ctx.check.equal('RFC 1071 internetChecksum agrees', hex4(internetChecksum(header)), hex4(sum.checksum));
        const whole = frame.subarray(IP_HEADER, IP_HEADER + 20);
        ctx.check.equal('summed with its checksum in place, a good header folds to 0xffff', hex4(foldSum(onesSum(whole))), '0xffff');
      },
    },
    {
      title: 'The book\'s "Hola", and the real UDP checksum',
      explain:
        'The book adds the two words of "Hola": 0x486F ("Ho") + 0x6C61 ("la") = 0xB4D0, and shows that "Mola"\n' +
        'gives 0xB9D0. That sum is only part of it. The UDP checksum also covers a pseudo-header (source and\n' +
        'destination address, protocol 17, UDP length) and the UDP header itself, then complements the folded\n' +
        'sum. And the UDP length counts the 8-byte header: "Hola" makes a UDP length of 12, not 4.',
      run(ctx) {
        const book = 0x486f + 0x6c61;
        const mola = 0x4d6f + 0x6c61;
        ctx.show.table(['text', 'words', 'sum'], [['Hola', '0x486f + 0x6c61', hex4(book)], ['Mola', '0x4d6f + 0x6c61', hex4(mola)]], { title: "The book's sums" });
        ctx.check.equal('"Hola" sums to the book\'s 0xB4D0', hex4(book), '0xb4d0');
        ctx.check.equal('"Mola" sums to the book\'s 0xB9D0', hex4(mola), '0xb9d0');
        const frame = holaFrame(false);
        const udpLength = u16(frame, UDP_AT + 4);
        ctx.check.equal('the UDP length counts the 8-byte header: 8 + 4 = 12', udpLength, 12);
        const src = ipv4Bytes(SRC);
        const dst = ipv4Bytes(DST);
        const data = frame.subarray(DATA_AT, DATA_AT + 4);
        const words: Word[] = [
          { label: 'pseudo: source (high)', value: u16(src, 0) },
          { label: 'pseudo: source (low)', value: u16(src, 2) },
          { label: 'pseudo: destination (high)', value: u16(dst, 0) },
          { label: 'pseudo: destination (low)', value: u16(dst, 2) },
          { label: 'pseudo: zero, protocol 17', value: 17 },
          { label: 'pseudo: UDP length', value: udpLength },
          { label: 'source port', value: SPORT },
          { label: 'destination port', value: DPORT },
          { label: 'length', value: udpLength },
          { label: 'checksum (as 0)', value: 0 },
          ...wordsOf(data, (i) => `data ${asciiLabel(data, i)}`),
        ];
        const sum = handSum(words);
        ctx.show.table(['word', 'value', 'running sum'], sum.rows, { title: 'UDP checksum: pseudo-header, header, data' });
        ctx.show.text([...sum.foldSteps.map((s) => `fold: ${s}`), `complement: ~${hex4(sum.folded)} = ${hex4(sum.checksum)}`].join('\n'));
        const onWire = u16(frame, UDP_AT + 6);
        ctx.check.equal('the hand sum gives the UDP checksum on the wire', hex4(sum.checksum), hex4(onWire));
        ctx.check.notEqual('the real checksum is not the book\'s 0xB4D0', hex4(onWire), '0xb4d0');
        ctx.check.equal('netlab\'s decoder finds the UDP checksum good', statuses(frame, 0).udp, 'Good');
        const cap = ctx.capture('hola-udp', {
          filter: 'udp.length == 12',
          about: 'the "Hola" datagram: 8 bytes of header + 4 of data',
          frames: 1,
          also: [{ filter: 'udp.checksum.status == 1', about: 'its checksum verifies (Wireshark needs checksum validation on)', prefs: ['udp.check_checksum:TRUE'], frames: 1 }],
        });
        cap.write(frame, { comment: `"Hola", UDP checksum ${hex4(onWire)}` });
        ctx.state.confirm.push({ path: cap.path, expected: [statuses(frame, 0)] });
      },
    },
    {
      title: 'The Ethernet FCS: a CRC-32 over the whole frame',
      explain:
        'The frame check sequence is a CRC-32 (the polynomial 0x04C11DB7, reflected) over every byte of the\n' +
        'frame from the destination MAC to the end of the data, sent least significant byte first. It is not\n' +
        'a sum: every bit of the frame moves it, and the receiving NIC drops a frame whose FCS does not match.',
      run(ctx) {
        const frame = holaFrame(true);
        const body = frame.subarray(0, frame.length - 4);
        const crc = crc32(body);
        const sent = frame.subarray(frame.length - 4);
        ctx.show.hex(frame, { title: '"Hola" with its FCS (the last 4 bytes)', fcsLength: 4 });
        ctx.show.text(`CRC-32 over ${body.length} bytes = 0x${crc.toString(16).padStart(8, '0')}; on the wire: ${[...sent].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
        const le = (sent[0] | (sent[1] << 8) | (sent[2] << 16) | (sent[3] << 24)) >>> 0;
        ctx.check.equal('the FCS on the wire is the CRC-32, least significant byte first', `0x${le.toString(16).padStart(8, '0')}`, `0x${crc.toString(16).padStart(8, '0')}`);
        ctx.check.equal('the frame is 14 + 20 + 8 + 4 + 4 (FCS) = 50 bytes (a NIC pads to 64 on the wire)', frame.length, 50);
        ctx.check.equal('netlab\'s decoder finds the FCS good', statuses(frame, 4).fcs, 'Good');
      },
    },
    {
      title: 'One corrupted byte, and two changes that cancel out',
      explain:
        'In transit, "H" becomes "M" (one byte, 0x48 -> 0x4D). The IPv4 header checksum does not cover the data, so\n' +
        'it still verifies; the UDP checksum and the FCS both catch it. Then a nastier change: "Hola" becomes "Hpl`",\n' +
        'the first word up by one (0x486F -> 0x4870) and the second down by one (0x6C61 -> 0x6C60). The\n' +
        'one\'s-complement sum is the same, so the UDP checksum still says good; CRC-32 catches it.',
      run(ctx) {
        const good = holaFrame(true);
        const oneByte = good.slice();
        oneByte[DATA_AT] = 0x4d; // H -> M, the FCS and checksums left as they were sent
        const cancel = good.slice();
        cancel[DATA_AT + 1] = 0x70; // "Ho" 0x486f -> "Hp" 0x4870
        cancel[DATA_AT + 3] = 0x60; // "la" 0x6c61 -> "l`" 0x6c60
        const frames = [
          { what: 'as sent: "Hola"', frame: good },
          { what: 'one byte changed: "Mola"', frame: oneByte },
          { what: 'two words changed, +1 and -1: "Hpl`"', frame: cancel },
        ];
        ctx.show.table(['frame', 'what', 'IPv4 header', 'UDP checksum', 'Ethernet FCS'], statusRows(frames, 4), { title: 'Which check catches what (netlab\'s decoder)' });
        const s = frames.map((f) => statuses(f.frame, 4));
        ctx.check.equal('"Mola": the IPv4 header checksum still verifies (it covers only the header)', s[1].ip, 'Good');
        ctx.check.equal('"Mola": the UDP checksum catches it', s[1].udp, 'Bad');
        ctx.check.equal('"Mola": the FCS catches it', s[1].fcs, 'Bad');
        ctx.check.equal('"Hpl`": the data words still sum the same', hex4(foldSum(onesSum(cancel, DATA_AT, 4))), hex4(foldSum(onesSum(good, DATA_AT, 4))));
        ctx.check.equal('"Hpl`": the UDP checksum misses it', s[2].udp, 'Good');
        ctx.check.equal('"Hpl`": CRC-32 catches it', s[2].fcs, 'Bad');
        const cap = ctx.capture('corruption', {
          fcs: true,
          filter: 'eth.fcs.status == 0',
          about: 'the two corrupted frames: the FCS catches both',
          prefs: ['eth.check_fcs:TRUE'],
          frames: 2,
          also: [
            { filter: 'udp.checksum.status == 0', about: 'the UDP checksum catches only "Mola"', prefs: ['udp.check_checksum:TRUE'], frames: 1 },
            { filter: 'udp.checksum.status == 1 && eth.fcs.status == 0', about: '"Hpl`": the checksum says good, the FCS says bad', prefs: ['udp.check_checksum:TRUE', 'eth.check_fcs:TRUE'], frames: 1 },
          ],
        });
        for (const f of frames) cap.write(f.frame, { comment: f.what });
        ctx.state.confirm.push({ path: cap.path, expected: s });
      },
    },
    {
      title: 'RFC 1624: update a checksum after rewriting an address',
      explain:
        `A NAT rewrites the source ${SRC} to its public address ${PUBLIC}. It need not sum the whole packet again:\n` +
        'for each 16-bit word m that changes to m\', RFC 1624 gives HC\' = ~(~HC + ~m + m\'). The source address is\n' +
        'in the IPv4 header and in the UDP pseudo-header, so both checksums change. The result must equal a full\n' +
        'recomputation.',
      run(ctx) {
        const before = holaFrame(false);
        const after = before.slice();
        const oldSrc = ipv4Bytes(SRC);
        const newSrc = ipv4Bytes(PUBLIC);
        after.set(newSrc, IP_HEADER + 12);
        let ipSum = u16(before, IP_HEADER + 10);
        let udpSum = u16(before, UDP_AT + 6);
        const rows: string[][] = [];
        for (const at of [0, 2]) {
          const m = u16(oldSrc, at);
          const m2 = u16(newSrc, at);
          const ip2 = incrementalUpdate16(ipSum, m, m2);
          const udp2 = incrementalUpdate16(udpSum, m, m2);
          rows.push([`source ${at === 0 ? 'high' : 'low'}`, hex4(m), hex4(m2), `${hex4(ipSum)} -> ${hex4(ip2)}`, `${hex4(udpSum)} -> ${hex4(udp2)}`]);
          ipSum = ip2;
          udpSum = udp2;
        }
        ctx.show.table(['word', 'm', "m'", 'IPv4 header checksum', 'UDP checksum'], rows, { title: 'HC\' = ~(~HC + ~m + m\'), word by word' });
        after[IP_HEADER + 10] = ipSum >>> 8;
        after[IP_HEADER + 11] = ipSum & 0xff;
        after[UDP_AT + 6] = udpSum >>> 8;
        after[UDP_AT + 7] = udpSum & 0xff;
        const full = holaFrame(false, 'Hola', PUBLIC);
        ctx.show.table(
          ['checksum', 'incremental (RFC 1624)', 'full recomputation'],
          [
            ['IPv4 header', hex4(ipSum), hex4(u16(full, IP_HEADER + 10))],
            ['UDP', hex4(udpSum), hex4(u16(full, UDP_AT + 6))],
          ],
        );
        ctx.check.equal('incremental IPv4 header checksum = full recomputation', hex4(ipSum), hex4(u16(full, IP_HEADER + 10)));
        ctx.check.equal('incremental UDP checksum = full recomputation', hex4(udpSum), hex4(u16(full, UDP_AT + 6)));
        ctx.check.equal('the rewritten frame is byte for byte the freshly built one', Buffer.from(after).toString('hex'), Buffer.from(full).toString('hex'));
        const s = statuses(after, 0);
        ctx.check.equal('after the rewrite both checksums verify', `${s.ip}/${s.udp}`, 'Good/Good');
        const cap = ctx.capture('nat-rewrite', {
          filter: `ip.src == ${PUBLIC}`,
          about: 'the datagram after the source rewrite',
          frames: 1,
          also: [{ filter: 'ip.checksum.status == 1 && udp.checksum.status == 1', about: 'both checksums verify, before and after', prefs: ['ip.check_checksum:TRUE', 'udp.check_checksum:TRUE'], frames: 2 }],
        });
        cap.write(before, { comment: `before: source ${SRC}` });
        cap.write(after, { comment: `after: source ${PUBLIC}, checksums updated by RFC 1624` });
        ctx.state.confirm.push({ path: cap.path, expected: [statuses(before, 0), s] });
      },
    },
    {
      title: 'What Wireshark says',
      explain: 'tshark reads every capture of this lab with checksum and FCS validation on; each status must be the one netlab gave.',
      run(ctx: StepContext<State>) {
        if (!tsharkInstalled()) {
          ctx.show.skipped('tshark is not installed: Wireshark\'s confirmation is skipped (on Debian: apt-get install tshark)');
          return;
        }
        const rows: (string | number)[][] = [];
        for (const c of ctx.state.confirm) {
          const got = tsharkFields(resolve(c.path), ['ip.checksum.status', 'udp.checksum.status', 'eth.fcs.status'], CHECKSUM_PREFS);
          c.expected.forEach((want, i) => {
            const t = got[i] ?? [];
            const theirs: Statuses = { ip: STATUS_NAME[t[0] ?? ''] ?? '?', udp: STATUS_NAME[t[1] ?? ''] ?? '?', fcs: t[2] ? (STATUS_NAME[t[2]] ?? '?') : 'none' };
            rows.push([c.path, i + 1, `${theirs.ip}/${theirs.udp}/${theirs.fcs}`]);
            ctx.check.equal(`tshark: ${c.path} frame ${i + 1} (IPv4/UDP/FCS)`, `${theirs.ip}/${theirs.udp}/${theirs.fcs}`, `${want.ip}/${want.udp}/${want.fcs}`);
          });
        }
        ctx.show.table(['capture', 'frame', 'tshark: IPv4/UDP/FCS'], rows);
      },
    },
  ],
});
