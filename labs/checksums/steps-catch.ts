// The checksums lab's last steps: which check catches which damage (the internet checksum misses
// compensating and reordered words; CRC-32 does not), the RFC 1624 update a NAT makes after rewriting
// the source address, and tshark's verdict on every frame of the lab.

import { resolve } from 'node:path';
import { foldSum, incrementalUpdate16, ipv4Bytes, onesSum } from '../../src/wire/index.ts';
import type { Step } from '../../src/lab/index.ts';
import { STATUS_NAME, tsharkFields, tsharkInstalled } from '../../src/lab/index.ts';
import { hex4 } from '../common/ones-sum.ts';
import { IP_AT, L4_AT, PUBLIC, SRC, UDP_DATA_AT, holaFrame, put16, statusText, statuses, u16, type Statuses } from './frames.ts';
import type { ChecksumsOptions, ChecksumsState } from './state.ts';

type S = ChecksumsState;

interface Damaged {
  what: string;
  frame: Uint8Array;
}

/** The frame as sent, with `edit` applied to a copy (the FCS and checksums stay as they were sent). */
function damaged(good: Uint8Array, what: string, edit: (f: Uint8Array) => void): Damaged {
  const f = good.slice();
  edit(f);
  return { what, frame: f };
}

const corruption: Step<S> = {
  title: 'Which check catches what: one byte, and changes that cancel out',
  explain:
    'Each frame below left the sender as "Hola" with good checksums and FCS, and was changed on the way:\n' +
    '- the TTL (64 -> 63, no checksum update): only the IPv4 header checksum covers it (and the FCS);\n' +
    '- one byte of the source address: the IPv4 checksum and the UDP checksum (its pseudo-header) both see it;\n' +
    '- "H" -> "M" in the data: the IPv4 checksum does not cover data; UDP\'s does;\n' +
    '- "Hola" -> "Hpl`": the first word up by one (0x486F -> 0x4870), the second down by one (0x6C61 -> 0x6C60);\n' +
    '- "Hola" -> "laHo": the two words swapped.\n' +
    "The last two leave the one's-complement sum as it was, so the UDP checksum says good. CRC-32 is not a sum:\n" +
    'it catches all five.',
  run(ctx) {
    const good = holaFrame({ fcs: true });
    const frames: Damaged[] = [
      { what: 'as sent: "Hola"', frame: good },
      damaged(good, 'TTL 64 -> 63', (f) => {
        f[IP_AT + 8] = 63;
      }),
      damaged(good, 'source 192.168.1.10 -> .11', (f) => {
        f[IP_AT + 15] = 11;
      }),
      damaged(good, 'one data byte: "Mola"', (f) => {
        f[UDP_DATA_AT] = 0x4d;
      }),
      damaged(good, 'two words, +1 and -1: "Hpl`"', (f) => {
        f[UDP_DATA_AT + 1] = 0x70;
        f[UDP_DATA_AT + 3] = 0x60;
      }),
      damaged(good, 'two words swapped: "laHo"', (f) => {
        f.set(new TextEncoder().encode('laHo'), UDP_DATA_AT);
      }),
    ];
    const s = frames.map((f) => statuses(f.frame, 4));
    ctx.show.table(
      ['frame', 'what changed', 'IPv4 header', 'UDP checksum', 'Ethernet FCS'],
      frames.map((f, i) => [i + 1, f.what, s[i].ip, s[i].l4, s[i].fcs]),
      { title: "Which check catches what (netlab's decoder)" },
    );
    ctx.check.equal('as sent, every check passes', statusText(s[0]), 'Good/Good/Good');
    ctx.check.equal("TTL: the IPv4 checksum catches it, UDP's does not (the TTL is not in the pseudo-header)", statusText(s[1]), 'Bad/Good/Bad');
    ctx.check.equal('source address: the IPv4 and the UDP checksum both catch it', statusText(s[2]), 'Bad/Bad/Bad');
    ctx.check.equal('"Mola": the IPv4 checksum still verifies, UDP\'s and the FCS catch it', statusText(s[3]), 'Good/Bad/Bad');
    const dataSum = (f: Uint8Array): string => hex4(foldSum(onesSum(f, UDP_DATA_AT, 4)));
    ctx.check.equal('"Hpl`" and "laHo": the data words still sum to 0xb4d0', [dataSum(frames[4].frame), dataSum(frames[5].frame)], ['0xb4d0', '0xb4d0']);
    ctx.check.equal('"Hpl`": the UDP checksum misses it, CRC-32 catches it', statusText(s[4]), 'Good/Good/Bad');
    ctx.check.equal('"laHo": the UDP checksum misses it, CRC-32 catches it', statusText(s[5]), 'Good/Good/Bad');
    const cap = ctx.capture('corruption', {
      fcs: true,
      filter: 'eth.fcs.status == 0',
      about: 'every damaged frame: the FCS catches all five',
      prefs: ['eth.check_fcs:TRUE'],
      frames: 5,
      also: [
        { filter: 'ip.checksum.status == 0', about: 'the IPv4 checksum catches the TTL and the source address', prefs: ['ip.check_checksum:TRUE'], frames: 2 },
        { filter: 'udp.checksum.status == 0', about: 'the UDP checksum catches the source address and "Mola"', prefs: ['udp.check_checksum:TRUE'], frames: 2 },
        {
          filter: 'ip.checksum.status == 1 && udp.checksum.status == 1 && eth.fcs.status == 0',
          about: '"Hpl`" and "laHo": both checksums say good, only the FCS says bad',
          prefs: ['ip.check_checksum:TRUE', 'udp.check_checksum:TRUE', 'eth.check_fcs:TRUE'],
          frames: 2,
        },
      ],
    });
    for (const f of frames) cap.write(f.frame, { comment: f.what });
    ctx.state.confirm.push({ path: cap.path, expected: s });
  },
};

function natRewrite(options: ChecksumsOptions): Step<S> {
  const update = options.incrementalUpdate ?? incrementalUpdate16;
  return {
    title: 'RFC 1624: update a checksum after rewriting an address',
    explain:
      `A NAT rewrites the source ${SRC} to its public address ${PUBLIC}. It need not sum the whole\n` +
      "packet again: for each 16-bit word m that changes to m', RFC 1624 gives HC' = ~(~HC + ~m + m'). The\n" +
      'source address is in the IPv4 header and in the UDP pseudo-header, so both checksums change. The\n' +
      'result must equal a full recomputation.',
    run(ctx) {
      const before = holaFrame();
      const after = before.slice();
      const oldSrc = ipv4Bytes(SRC);
      const newSrc = ipv4Bytes(PUBLIC);
      after.set(newSrc, IP_AT + 12);
      let ipSum = u16(before, IP_AT + 10);
      let udpSum = u16(before, L4_AT + 6);
      const rows: string[][] = [];
      for (const at of [0, 2]) {
        const m = u16(oldSrc, at);
        const m2 = u16(newSrc, at);
        const ip2 = update(ipSum, m, m2);
        const udp2 = update(udpSum, m, m2);
        rows.push([`source ${at === 0 ? 'high' : 'low'}`, hex4(m), hex4(m2), `${hex4(ipSum)} -> ${hex4(ip2)}`, `${hex4(udpSum)} -> ${hex4(udp2)}`]);
        ipSum = ip2;
        udpSum = udp2;
      }
      ctx.show.table(['word', 'm', "m'", 'IPv4 header checksum', 'UDP checksum'], rows, { title: "HC' = ~(~HC + ~m + m'), word by word" });
      put16(after, IP_AT + 10, ipSum);
      put16(after, L4_AT + 6, udpSum);
      const full = holaFrame({ src: PUBLIC });
      ctx.show.table(
        ['checksum', 'incremental (RFC 1624)', 'full recomputation'],
        [
          ['IPv4 header', hex4(ipSum), hex4(u16(full, IP_AT + 10))],
          ['UDP', hex4(udpSum), hex4(u16(full, L4_AT + 6))],
        ],
      );
      ctx.check.equal('incremental IPv4 header checksum = full recomputation', hex4(ipSum), hex4(u16(full, IP_AT + 10)));
      ctx.check.equal('incremental UDP checksum = full recomputation', hex4(udpSum), hex4(u16(full, L4_AT + 6)));
      ctx.check.equal('the rewritten frame is byte for byte the freshly built one', Buffer.from(after).toString('hex'), Buffer.from(full).toString('hex'));
      const s = statuses(after, 0);
      ctx.check.equal('after the rewrite both checksums verify', `${s.ip}/${s.l4}`, 'Good/Good');
      const cap = ctx.capture('nat-rewrite', {
        filter: `ip.src == ${PUBLIC}`,
        about: 'the datagram after the source rewrite',
        frames: 1,
        also: [
          {
            filter: 'ip.checksum.status == 1 && udp.checksum.status == 1',
            about: 'both checksums verify, before and after',
            prefs: ['ip.check_checksum:TRUE', 'udp.check_checksum:TRUE'],
            frames: 2,
          },
        ],
      });
      cap.write(before, { comment: `before: source ${SRC}` });
      cap.write(after, { comment: `after: source ${PUBLIC}, checksums updated by RFC 1624` });
      ctx.state.confirm.push({ path: cap.path, expected: [statuses(before, 0), s] });
    },
  };
}

/** The Wireshark preferences of the confirmation, as the brief's command line gives them. */
const PREFS = ['ip.check_checksum:TRUE', 'tcp.check_checksum:TRUE', 'udp.check_checksum:TRUE', 'eth.check_fcs:TRUE'];
const FIELDS = ['ip.checksum.status', 'udp.checksum.status', 'tcp.checksum.status', 'eth.fcs.status'];

/** tshark's row as the lab's Statuses (UDP's or TCP's column as l4; an empty column: 'none'). */
function fromTshark(row: readonly string[]): Statuses {
  const name = (v: string | undefined): string => (v === undefined || v === '' ? 'none' : (STATUS_NAME[v] ?? `?${v}`));
  const l4 = (row[1] ?? '') !== '' ? row[1] : row[2];
  return { ip: name(row[0]), l4: name(l4), fcs: name(row[3]) };
}

const wireshark: Step<S> = {
  title: 'What Wireshark says',
  explain: 'tshark reads every capture of this lab with checksum and FCS validation on; each status must be the one netlab gave.',
  run(ctx) {
    if (!tsharkInstalled()) {
      ctx.show.skipped("tshark is not installed: Wireshark's confirmation is skipped (on Debian: apt-get install tshark)");
      return;
    }
    ctx.show.text(`For each capture: tshark -n -r CAPTURE ${PREFS.map((p) => `-o ${p}`).join(' ')} -T fields ${FIELDS.map((f) => `-e ${f}`).join(' ')}`);
    const rows: (string | number)[][] = [];
    for (const c of ctx.state.confirm) {
      const got = tsharkFields(resolve(c.path), FIELDS, PREFS).map(fromTshark);
      got.forEach((g, i) => rows.push([c.path, i + 1, statusText(g)]));
      ctx.check.equal(`tshark: ${c.path}, IPv4/UDP or TCP/FCS of each frame`, got.map(statusText), c.expected.map(statusText));
    }
    ctx.show.table(['capture', 'frame', 'tshark: IPv4/UDP or TCP/FCS'], rows);
  },
};

export function catchSteps(options: ChecksumsOptions): readonly Step<S>[] {
  return [corruption, natRewrite(options), wireshark];
}
