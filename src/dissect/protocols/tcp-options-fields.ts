// The TCP options as Wireshark 4.0 shows them: one subtree per option (a protocol of its own, whose
// -T fields text is the option's bytes), the "Options:" title list, and the summary-line notes
// (MSS=, WS=, SACK_PERM, TSval=, SLE=/SRE=) with the expert notes on bad lengths.

import type { Tcp } from '../../wire/tcp.ts';
import type { TcpOption } from '../../wire/tcp-options.ts';
import type { DissectContext } from '../context.ts';
import { expertField } from '../expert.ts';
import { type Field, formatBytesHex, hex, rawField, uintDec, uintHex } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import type { AnalysisFlow as Flow } from './tcp-analysis.ts';
import { KIND_NAMES, optionProto, optionTitle } from './tcp-names.ts';
import { leSeq, ltSeq } from './tcp-seq.ts';

// The option subtrees are protocols in Wireshark (FT_PROTOCOL); -T fields prints their bytes.
registerFields({
  'tcp.options.nop': 'FT_BYTES',
  'tcp.options.eol': 'FT_BYTES',
  'tcp.options.mss': 'FT_BYTES',
  'tcp.options.wscale': 'FT_BYTES',
  'tcp.options.sack_perm': 'FT_BYTES',
  'tcp.options.sack': 'FT_BYTES',
  'tcp.options.timestamp': 'FT_BYTES',
  'tcp.options.unknown': 'FT_BYTES',
});

export interface OptionOut {
  fields: Field[];
  titles: string[];
  info: string;
}

/**
 * The options' fields, titles and Info notes; they also set the flow's window scale and SACK blocks.
 * With `tree` false only the notes and the flow are made (no output reads the fields).
 */
export function optionFields(v: Tcp, ctx: DissectContext, flags: number, ackRel: number, rev: Flow, fwd: Flow, tree = true): OptionOut {
  const b = ctx.frame;
  if (!tree) return { fields: NO_FIELDS, titles: NO_TITLES, info: optionNotes(v, rev, fwd) };
  const out: OptionOut = { fields: [], titles: [], info: '' };
  const isSyn = (flags & 0x002) !== 0;
  let nops = 0;
  let sawMss = false;
  const kindField = (o: TcpOption): Field =>
    uintDec('tcp.option_kind', 'Kind', o.kind, o.offset, 1, { text: `Kind: ${KIND_NAMES[o.kind] ?? 'Unknown'} (${o.kind})` });
  const lenField = (o: TcpOption, children?: Field[]): Field => uintDec('tcp.option_len', 'Length', o.length, o.offset + 1, 1, { children });
  const optionNode = (o: TcpOption, text: string, children: Field[]): Field => {
    const bytes = b.slice(o.offset, o.offset + o.length);
    return rawField(optionProto(o.kind), text, 'bytes', bytes, formatBytesHex(bytes), o.offset, o.length, { text, children });
  };
  for (const o of v.options) {
    if (o.kind === 2) sawMss = true;
    if (o.type === 'invalid-length') {
      const title = optionTitle(o.kind);
      const msg =
        o.reason === 'too-short'
          ? `${title} (with too-short option length = ${o.length} byte${o.length === 1 ? '' : 's'})`
          : o.reason === 'past-end'
            ? `${title} (option length = ${o.length} bytes says option goes past end of options)`
            : `${title} (option length = 0 bytes says option goes past end of options)`;
      out.fields.push(
        rawField('', msg, 'none', null, '', o.offset, 2, {
          text: msg,
          children: [expertField('tcp.option.len.invalid', msg, 'Note', 'Sequence', o.offset, 2)],
        }),
      );
      // Wireshark gives up on the options here, before its check for a missing MSS.
      return out;
    }
    out.titles.push(optionTitle(o.kind));
    if (o.type === 'nop') {
      nops++;
      const children = [kindField(o)];
      if (nops === 4) children.push(expertField('tcp.nop', '4 NOP in a row - a router may have removed some options', 'Warning', 'Protocol', o.offset, 1));
      out.fields.push(optionNode(o, 'TCP Option - No-Operation (NOP)', children));
      continue;
    }
    nops = 0;
    switch (o.type) {
      case 'eol': {
        out.fields.push(optionNode(o, 'TCP Option - End of Option List (EOL)', [kindField(o)]));
        if (o.nonZeroPadding) {
          const start = o.offset + 1;
          const end = v.optionsOffset + v.optionsLength;
          out.fields.push(
            rawField('', 'Non-zero header padding', 'none', null, '', start, end - start, {
              text: 'Non-zero header padding',
              children: [expertField('tcp.non_zero_bytes_after_eol', 'Non-zero header padding', 'Error', 'Protocol', start, end - start)],
            }),
          );
        }
        break;
      }
      case 'mss': {
        const children: Field[] = [];
        if (!isSyn)
          children.push(expertField('tcp.options.mss.present', 'The non-SYN packet does contain a MSS option', 'Warning', 'Protocol', o.offset, o.length));
        children.push(kindField(o), lenField(o), uintDec('tcp.options.mss_val', 'MSS Value', o.mss, o.offset + 2, 2));
        out.fields.push(optionNode(o, `TCP Option - Maximum segment size: ${o.mss} bytes`, children));
        out.info += ` MSS=${o.mss}`;
        break;
      }
      case 'wscale': {
        const shift = Math.min(o.shift, 14);
        const mult = 2 ** shift;
        const shiftChildren =
          o.shift > 14 ? [expertField('tcp.options.wscale.shift.invalid', 'Window scale shift exceeds 14', 'Warning', 'Protocol', o.offset + 2, 1)] : undefined;
        out.fields.push(
          optionNode(o, `TCP Option - Window scale: ${o.shift} (multiply by ${mult})`, [
            kindField(o),
            lenField(o),
            uintDec('tcp.options.wscale.shift', 'Shift count', o.shift, o.offset + 2, 1, { children: shiftChildren }),
            uintDec('tcp.options.wscale.multiplier', 'Multiplier', mult, o.offset + 2, 1, { generated: true }),
          ]),
        );
        out.info += ` WS=${mult}`;
        fwd.winScale = shift;
        break;
      }
      case 'sack-permitted':
        out.fields.push(optionNode(o, 'TCP Option - SACK permitted', [kindField(o), lenField(o)]));
        out.info += ' SACK_PERM';
        break;
      case 'timestamp':
        out.fields.push(
          optionNode(o, `TCP Option - Timestamps: TSval ${o.tsval}, TSecr ${o.tsecr}`, [
            kindField(o),
            lenField(o),
            uintDec('tcp.options.timestamp.tsval', 'Timestamp value', o.tsval, o.offset + 2, 4),
            uintDec('tcp.options.timestamp.tsecr', 'Timestamp echo reply', o.tsecr, o.offset + 6, 4),
          ]),
        );
        out.info += ` TSval=${o.tsval} TSecr=${o.tsecr}`;
        break;
      case 'sack': {
        const base = rev.baseSeq ?? 0;
        const children: Field[] = [kindField(o), lenField(o)];
        const edges: string[] = [];
        const rel: { left: number; right: number }[] = [];
        o.blocks.forEach((blk, i) => {
          const at = o.offset + 2 + i * 8;
          const le = (blk.left - base) >>> 0;
          const re = (blk.right - base) >>> 0;
          rel.push({ left: le, right: re });
          children.push(
            uintDec('tcp.options.sack_le', 'left edge', le, at, 4, { text: `left edge = ${le} (relative)` }),
            uintDec('tcp.options.sack_re', 'right edge', re, at + 4, 4, { text: `right edge = ${re} (relative)` }),
          );
          out.info += ` SLE=${le} SRE=${re}`;
          edges.push(`${le}-${re}`);
        });
        const tail = o.offset + 2 + o.blocks.length * 8;
        if (o.trailing >= 4) {
          const le = (u32(b, tail) - base) >>> 0;
          children.push(uintDec('tcp.options.sack_le', 'left edge', le, tail, 4, { text: `left edge = ${le} (relative)` }));
        }
        if (o.trailing > 0) {
          const at = o.trailing >= 4 ? tail + 4 : tail;
          const n = o.trailing >= 4 ? o.trailing - 4 : o.trailing;
          children.push(
            rawField('', 'suboption would go past end of option', 'none', null, '', at, n, {
              text: 'suboption would go past end of option',
              children: [expertField('tcp.suboption_malformed', 'suboption would go past end of option', 'Error', 'Malformed', at, n)],
            }),
          );
        }
        children.push(uintDec('tcp.options.sack.count', 'TCP SACK Count', rel.length, 0, 0, { generated: true, text: `[TCP SACK Count: ${rel.length}]` }));
        // Remembered for the peer's bytes-in-flight (Wireshark keeps at most 3 blocks).
        fwd.sacks = rel.slice(0, 3);
        // With no whole block, Wireshark compares an empty right edge (0) and reads the left edge only.
        if (rel.length === 0 && o.trailing >= 4 && leSeq(0, ackRel)) {
          const le = (u32(b, o.offset + 2) - base) >>> 0;
          children.push(
            uintDec('tcp.options.sack.dsack_le', 'D-SACK Left Edge', le, o.offset + 2, 4, { generated: true, text: `[D-SACK Left Edge = ${le} (relative)]` }),
          );
        }
        const dsack =
          rel.length > 0 && (leSeq(rel[0].right, ackRel) || (rel.length > 1 && ltSeq(rel[1].left, rel[0].right) && !ltSeq(rel[1].right, rel[0].right)));
        if (dsack) {
          const at = o.offset + 2;
          children.push(
            uintDec('tcp.options.sack.dsack_le', 'D-SACK Left Edge', rel[0].left, at, 4, {
              generated: true,
              text: `[D-SACK Left Edge = ${rel[0].left} (relative)]`,
            }),
            uintDec('tcp.options.sack.dsack_re', 'D-SACK Right Edge', rel[0].right, at + 4, 4, {
              generated: true,
              text: `[D-SACK Right Edge = ${rel[0].right} (relative)]`,
            }),
            rawField('', 'D-SACK Sequence', 'none', null, '', at, 8, {
              text: 'D-SACK Sequence',
              children: [expertField('tcp.options.sack.dsack', 'D-SACK Sequence', 'Warning', 'Sequence', at, 8)],
            }),
          );
        }
        out.fields.push(optionNode(o, `TCP Option - SACK${edges.length ? ' ' + edges.join(' ') : ''}`, children));
        break;
      }
      case 'wrong-length': {
        const expected = [expertField('tcp.option.len.invalid', `option length should be ${o.expected}`, 'Note', 'Sequence', o.offset + 1, 1)];
        const children: Field[] = [];
        if (o.kind === 2 && !isSyn)
          children.push(expertField('tcp.options.mss.present', 'The non-SYN packet does contain a MSS option', 'Warning', 'Protocol', o.offset, o.length));
        children.push(kindField(o), lenField(o, expected));
        const titles: Record<number, string> = {
          2: 'TCP Option - Maximum segment size',
          3: 'TCP Option - Window scale',
          4: 'TCP Option - SACK permitted',
          8: 'TCP Option - Timestamps',
        };
        out.fields.push(optionNode(o, titles[o.kind] ?? 'TCP Option - Unknown', children));
        if (o.kind === 4) out.info += ' SACK_PERM';
        break;
      }
      case 'unknown': {
        const children: Field[] = [kindField(o), lenField(o)];
        if (o.kind === 253 || o.kind === 254) {
          // RFC 6994: a 16-bit Experiment Identifier, then the experiment's data.
          if (o.length >= 4) {
            const exid = (o.data[0] << 8) | o.data[1];
            children.push(
              uintHex('tcp.options.experimental.exid', 'Experiment Identifier', exid, 4, o.offset + 2, 2, {
                text: `Experiment Identifier: Unknown (${hex(exid, 4)})`,
              }),
            );
            const data = o.data.subarray(2);
            children.push(
              rawField('tcp.options.experimental.data', 'Data', 'bytes', data, formatBytesHex(data), o.offset + 4, o.length - 4, {
                text: `Data: ${data.length === 0 ? '<MISSING>' : formatBytesHex(data)}`,
              }),
            );
          }
          out.fields.push(optionNode(o, 'TCP Option - Experimental: Unknown', children));
          break;
        }
        if (o.length > 2)
          children.push(rawField('tcp.options.unknown.payload', 'Payload', 'bytes', o.data, formatBytesHex(o.data), o.offset + 2, o.length - 2));
        out.fields.push(optionNode(o, 'TCP Option - Unknown', children));
        break;
      }
    }
  }
  // A SACK without a whole block ends the options with an exception, before the MSS check.
  const thrown = v.options.some((o) => o.type === 'sack' && o.blocks.length === 0);
  if (isSyn && !sawMss && !thrown)
    out.fields.push(
      expertField('tcp.options.mss.absent', 'The SYN packet does not contain a MSS option', 'Note', 'Protocol', v.optionsOffset, v.optionsLength),
    );
  return out;
}

/** optionFields without the tree: the Info notes (returned), the window scale and the SACK blocks. */
export function optionNotes(v: Tcp, rev: Flow, fwd: Flow): string {
  let info = '';
  const options = v.options;
  for (let i = 0; i < options.length; i++) {
    const o = options[i];
    switch (o.type) {
      case 'invalid-length':
        return info;
      case 'mss':
        info += ` MSS=${o.mss}`;
        break;
      case 'wscale': {
        const shift = Math.min(o.shift, 14);
        info += ` WS=${2 ** shift}`;
        fwd.winScale = shift;
        break;
      }
      case 'sack-permitted':
        info += ' SACK_PERM';
        break;
      case 'timestamp':
        info += ` TSval=${o.tsval} TSecr=${o.tsecr}`;
        break;
      case 'sack': {
        const base = rev.baseSeq ?? 0;
        const rel: { left: number; right: number }[] = [];
        for (const blk of o.blocks) {
          const le = (blk.left - base) >>> 0;
          const re = (blk.right - base) >>> 0;
          if (rel.length < 3) rel.push({ left: le, right: re });
          info += ` SLE=${le} SRE=${re}`;
        }
        fwd.sacks = rel;
        break;
      }
      case 'wrong-length':
        if (o.kind === 4) info += ' SACK_PERM';
        break;
      default:
        break;
    }
  }
  return info;
}

const NO_FIELDS: Field[] = [];
const NO_TITLES: string[] = [];

function u32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) >>> 0) + ((b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]);
}
