// The TCP header fields with subtrees of their own: the flags (with the SYN/FIN/RST expert notes and
// the summary flag list) and the checksum (its status and the `[TCP CHECKSUM INCORRECT]` note).

import type { Tcp } from '../../wire/tcp.ts';
import { expertField } from '../expert.ts';
import { bool, type Field, hex, stringField, uintHex } from '../field.ts';
import { bitPattern } from './link-fields.ts';
import type { AnalysisFlow as Flow } from './tcp-analysis.ts';
import { tcpFlagsLetters, tcpFlagsText } from './tcp-names.ts';
import { checksumStatusField, expectedChecksum } from './udp.ts';

/** The flag fields an output reads: `tcp.flags.res`... in tree order, then tcp.flags.str. */
export const FLAG_FIELD_NAMES = [
  'tcp.flags.res',
  'tcp.flags.ae',
  'tcp.flags.cwr',
  'tcp.flags.ece',
  'tcp.flags.urg',
  'tcp.flags.ack',
  'tcp.flags.push',
  'tcp.flags.reset',
  'tcp.flags.syn',
  'tcp.flags.fin',
  'tcp.flags.str',
] as const;

/** Which parts of the flags tree an output reads (undefined: all, with the `-V` texts). */
export interface FlagsWanted {
  /** A tree output: every child and its text. */
  tree: boolean;
  /** Per FLAG_FIELD_NAMES entry. */
  children: readonly boolean[];
  /** The tcp.connection.* expert notes (under reset, syn, fin and str). */
  connection: boolean;
}

export function flagsField(v: Tcp, off: number, rev: Flow, fwd: Flow, flags: number, sel?: FlagsWanted): Field {
  const at = off + 12;
  const tree = sel === undefined || sel.tree;
  const want = (i: number, expert: boolean): boolean => sel === undefined || sel.tree || sel.children[i] || (expert && sel.connection);
  const bits = (mask: number, name: string, label: string, byte: number, children?: Field[]): Field => {
    const set = (flags & mask) !== 0;
    if (!tree) return bool(name, label, set, byte, 1, { children });
    const pic = bitPattern(flags, mask, 12);
    return bool(name, label, set, byte, 1, { text: `${pic} = ${label}: ${set ? 'Set' : 'Not set'}`, children });
  };
  const synExpert =
    flags & 0x002
      ? [
          flags & 0x010
            ? expertField('tcp.connection.synack', `Connection establish acknowledge (SYN+ACK): server port ${v.srcPort}`, 'Chat', 'Sequence', at + 1, 1)
            : expertField('tcp.connection.syn', `Connection establish request (SYN): server port ${v.dstPort}`, 'Chat', 'Sequence', at + 1, 1),
        ]
      : undefined;
  const finExpert = flags & 0x001 ? [expertField('tcp.connection.fin', 'Connection finish (FIN)', 'Chat', 'Sequence', at + 1, 1)] : undefined;
  const rstExpert = flags & 0x004 ? [expertField('tcp.connection.rst', 'Connection reset (RST)', 'Warning', 'Sequence', at + 1, 1)] : undefined;
  // The first FIN of a conversation initiates the closing.
  let closing: Field[] | undefined;
  if (flags & 0x001) {
    closing = noteClosing(rev, fwd, flags)
      ? [expertField('tcp.connection.fin_active', 'This frame initiates the connection closing', 'Note', 'Sequence', at, 2)]
      : [expertField('tcp.connection.fin_passive', 'This frame undergoes the connection closing', 'Note', 'Sequence', at, 2)];
  }
  const res = (flags & 0xe00) !== 0;
  const children: Field[] = [];
  if (want(0, false))
    children.push(
      tree
        ? bool('tcp.flags.res', 'Reserved', res, at, 1, { text: `${bitPattern(flags, 0xe00, 12)} = Reserved: ${res ? 'Set' : 'Not set'}` })
        : bool('tcp.flags.res', 'Reserved', res, at, 1),
    );
  if (want(1, false)) children.push(bits(0x100, 'tcp.flags.ae', 'Accurate ECN', at));
  if (want(2, false)) children.push(bits(0x080, 'tcp.flags.cwr', 'Congestion Window Reduced', at + 1));
  if (want(3, false)) children.push(bits(0x040, 'tcp.flags.ece', 'ECN-Echo', at + 1));
  if (want(4, false)) children.push(bits(0x020, 'tcp.flags.urg', 'Urgent', at + 1));
  if (want(5, false)) children.push(bits(0x010, 'tcp.flags.ack', 'Acknowledgment', at + 1));
  if (want(6, false)) children.push(bits(0x008, 'tcp.flags.push', 'Push', at + 1));
  if (want(7, true)) children.push(bits(0x004, 'tcp.flags.reset', 'Reset', at + 1, rstExpert));
  if (want(8, true)) children.push(bits(0x002, 'tcp.flags.syn', 'Syn', at + 1, synExpert));
  if (want(9, true)) children.push(bits(0x001, 'tcp.flags.fin', 'Fin', at + 1, finExpert));
  if (want(10, true)) children.push(stringField('tcp.flags.str', 'TCP Flags', tcpFlagsLetters(flags), at, 2, { generated: true, children: closing }));
  if (!tree) return uintHex('tcp.flags', 'Flags', flags, 4, at, 2, { children });
  return uintHex('tcp.flags', 'Flags', flags, 4, at, 2, { text: `Flags: ${hex(flags, 3)} (${tcpFlagsText(flags)})`, children });
}

/**
 * Remembers which side sent the conversation's first FIN (the flags tree, when built, reads it).
 * True when this segment is that FIN.
 */
export function noteClosing(rev: Flow, fwd: Flow, flags: number): boolean {
  if (!(flags & 0x001) || rev.closingInitiator) return false;
  fwd.closingInitiator = true;
  return true;
}

/** What the checksum adds to the Info column (the fields' own `info`, without building them). */
export function checksumInfo(v: Tcp): string {
  if (v.checksumStatus === 'good' && v.checksum === 0xffff) return ' [TCP CHECKSUM 0xFFFF]';
  return v.checksumStatus === 'bad' ? ' [TCP CHECKSUM INCORRECT]' : '';
}

export function checksumFields(v: Tcp, at: number): { fields: Field[]; info: string } {
  const value = hex(v.checksum, 4);
  if (v.checksumStatus === 'good' && v.checksum === 0xffff) {
    return {
      fields: [
        uintHex('tcp.checksum', 'Checksum', v.checksum, 4, at, 2, {
          text: `Checksum: ${value} [should be 0x0000 (see RFC 1624)]`,
          children: [
            uintHex('tcp.checksum_calculated', 'Calculated Checksum', 0, 4, at, 2, { generated: true }),
            checksumStatusField('tcp.checksum.status', 0, at, {
              children: [expertField('tcp.checksum.ffff', 'TCP Checksum 0xffff instead of 0x0000 (see RFC 1624)', 'Warning', 'Checksum', at, 2)],
            }),
          ],
        }),
      ],
      info: ' [TCP CHECKSUM 0xFFFF]',
    };
  }
  if (v.checksumStatus === 'good') {
    return {
      fields: [
        uintHex('tcp.checksum', 'Checksum', v.checksum, 4, at, 2, { text: `Checksum: ${value} [correct]` }),
        checksumStatusField('tcp.checksum.status', 1, at),
        uintHex('tcp.checksum_calculated', 'Calculated Checksum', v.checksum, 4, at, 2, { generated: true }),
      ],
      info: '',
    };
  }
  if (v.checksumStatus === 'bad') {
    const should = expectedChecksum(v.checksum, v.checksumComputed ?? 0);
    return {
      fields: [
        uintHex('tcp.checksum', 'Checksum', v.checksum, 4, at, 2, {
          text: `Checksum: ${value} incorrect, should be ${hex(should, 4)}(maybe caused by "TCP checksum offload"?)`,
          children: [expertField('tcp.checksum_bad.expert', `Bad checksum [should be ${hex(should, 4)}]`, 'Error', 'Checksum', at, 2)],
        }),
        checksumStatusField('tcp.checksum.status', 0, at),
        uintHex('tcp.checksum_calculated', 'Calculated Checksum', should, 4, at, 2, { generated: true }),
      ],
      info: ' [TCP CHECKSUM INCORRECT]',
    };
  }
  return {
    fields: [
      uintHex('tcp.checksum', 'Checksum', v.checksum, 4, at, 2, { text: `Checksum: ${value} [unverified]` }),
      checksumStatusField('tcp.checksum.status', 2, at),
    ],
    info: '',
  };
}
