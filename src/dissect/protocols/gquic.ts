// Google QUIC (gQUIC, versions Q0xx with the original public header) as Wireshark 4.0's `gquic`
// dissector finds and shows it. UDP port 443 has no dissector of its own in Wireshark 4.0: gQUIC's
// heuristic claims a datagram whose public flags announce a version and whose version field reads
// "Q0", and with it the whole UDP conversation (later packets without a version are gQUIC too);
// anything else on the port is `data`. Shown: the public flags with each bit, the connection ID and
// packet number (little-endian, as these versions send them), the version, then either the
// encrypted payload or, for an unencrypted Client Hello, the message authentication hash and the
// private flags. The Client Hello's STREAM frame and its tags are not dissected here.
// Info: "Client Hello, PKN: 1, CID: N" or "Payload (Encrypted), PKN: N[, CID: N]".

import type { Udp } from '../../wire/udp.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { bool, bytesField, type Field, type ProtoNode, rawField, stringField, uintHex } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { bitPattern, bytesFieldT } from './link-fields.ts';
import { enclosingIpOf, endpointKey } from './udp.ts';

registerFields({
  gquic: 'FT_PROTOCOL',
  'gquic.puflags': 'FT_UINT8',
  'gquic.puflags.version': 'FT_BOOLEAN',
  'gquic.puflags.reset': 'FT_BOOLEAN',
  'gquic.puflags.cid.old': 'FT_UINT8',
  'gquic.puflags.pkn': 'FT_UINT8',
  'gquic.puflags.mpth': 'FT_BOOLEAN',
  'gquic.puflags.rsv': 'FT_UINT8',
  'gquic.cid': 'FT_UINT64',
  'gquic.version': 'FT_STRING',
  'gquic.packet_number': 'FT_UINT64',
  'gquic.message_authentication_hash': 'FT_BYTES',
  'gquic.prflags': 'FT_UINT8',
  'gquic.prflags.entropy': 'FT_BOOLEAN',
  'gquic.prflags.fecg': 'FT_BOOLEAN',
  'gquic.prflags.fec': 'FT_BOOLEAN',
  'gquic.prflags.rsv': 'FT_UINT8',
  'gquic.payload': 'FT_BYTES',
});

const CID_LENGTHS = [0, 1, 4, 8];
const CID_NAMES = ['0 Byte', '1 Byte', '4 Bytes', '8 Bytes'];
const PKN_LENGTHS = [1, 2, 4, 6];
const PKN_NAMES = ['1 Byte', '2 Bytes', '4 Bytes', '6 Bytes'];
const LABEL = 'GQUIC (Google Quick UDP Internet Connections)';
const MAX_CONVS = 65536;

function convKey(ctx: DissectContext): string | undefined {
  const prev = ctx.layers[ctx.index - 1];
  if (prev?.kind !== 'udp') return undefined;
  const u = prev.value as Udp;
  const ip = enclosingIpOf(ctx);
  const a = endpointKey(ip?.src, u.srcPort);
  const z = endpointKey(ip?.dst, u.dstPort);
  return a < z ? `${a}|${z}` : `${z}|${a}`;
}

/** Wireshark's gQUIC heuristic (version flag, "Q0" version), or a conversation it claimed before. */
export function isGquic(ctx: DissectContext, layer: DecodedLayer): boolean {
  const key = convKey(ctx);
  if (key === undefined) return false;
  const claimed = ctx.state.slot<Set<string>>('gquic', () => new Set());
  if (claimed.has(key)) return true;
  const b = ctx.frame;
  const off = layer.offset;
  const end = Math.min(off + layer.length, b.length);
  if (end - off < 14 || (b[off] & 0x01) === 0) return false;
  const at = off + 1 + ((b[off] & 0x08) !== 0 ? 8 : 0);
  if (b[at] !== 0x51 || b[at + 1] !== 0x30) return false;
  if (claimed.size >= MAX_CONVS) claimed.delete(claimed.values().next().value as string);
  claimed.add(key);
  return true;
}

/** A little-endian unsigned integer of `n` bytes (as a bigint past 2^53). */
function le(b: Uint8Array, at: number, n: number): number | bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i]);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

const yesNo = (v: boolean): string => (v ? 'Yes' : 'No');

/** True when an unencrypted Client Hello follows the hash and private flags at `p`. */
function clientHelloAt(b: Uint8Array, p: number, end: number): boolean {
  const ft = b[p];
  if (p >= end || (ft & 0x80) === 0) return false;
  const sid = (ft & 0x03) + 1;
  const offLen = (ft >> 2) & 0x07;
  const tag = p + 1 + sid + (offLen === 0 ? 0 : offLen + 1) + ((ft & 0x20) !== 0 ? 2 : 0);
  return tag + 4 <= end && String.fromCharCode(b[tag], b[tag + 1], b[tag + 2], b[tag + 3]) === 'CHLO';
}

/** The gquic node for the UDP payload. */
export function mapGquic(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const b = ctx.frame;
  const off = layer.offset;
  const end = Math.min(off + layer.length, b.length);
  const flags = b[off];
  const cidCode = (flags >> 2) & 3;
  const pknCode = (flags >> 4) & 3;
  const fields: Field[] = [
    uintHex('gquic.puflags', 'Public Flags', flags, 2, off, 1, {
      children: [
        bool('gquic.puflags.version', 'Version', (flags & 0x01) !== 0, off, 1, {
          text: `${bitPattern(flags, 0x01, 8)} = Version: ${yesNo((flags & 0x01) !== 0)}`,
        }),
        bool('gquic.puflags.reset', 'Reset', (flags & 0x02) !== 0, off, 1, { text: `${bitPattern(flags, 0x02, 8)} = Reset: ${yesNo((flags & 0x02) !== 0)}` }),
        uintHex('gquic.puflags.cid.old', 'CID Length', cidCode, 2, off, 1, {
          text: `${bitPattern(flags, 0x0c, 8)} = CID Length: ${CID_NAMES[cidCode]} (0x${cidCode})`,
        }),
        uintHex('gquic.puflags.pkn', 'Packet Number Length', pknCode, 2, off, 1, {
          text: `${bitPattern(flags, 0x30, 8)} = Packet Number Length: ${PKN_NAMES[pknCode]} (0x${pknCode})`,
        }),
        bool('gquic.puflags.mpth', 'Multipath', (flags & 0x40) !== 0, off, 1, {
          text: `${bitPattern(flags, 0x40, 8)} = Multipath: ${yesNo((flags & 0x40) !== 0)}`,
        }),
        uintHex('gquic.puflags.rsv', 'Reserved', flags >> 7, 2, off, 1, { text: `${bitPattern(flags, 0x80, 8)} = Reserved: 0x${flags >> 7}` }),
      ],
    }),
  ];
  let p = off + 1;
  const cidLen = CID_LENGTHS[cidCode];
  let cid: number | bigint | undefined;
  if (cidLen > 0 && p + cidLen <= end) {
    cid = le(b, p, cidLen);
    fields.push(rawField('gquic.cid', 'CID', 'uint', cid, cid.toString(), p, cidLen));
    p += cidLen;
  }
  const hasVersion = (flags & 0x01) !== 0;
  if (hasVersion && p + 4 <= end) {
    fields.push(stringField('gquic.version', 'Version', String.fromCharCode(b[p], b[p + 1], b[p + 2], b[p + 3]), p, 4));
    p += 4;
  }
  const pknLen = PKN_LENGTHS[pknCode];
  const pkn = p + pknLen <= end ? le(b, p, pknLen) : undefined;
  if (pkn !== undefined) {
    fields.push(rawField('gquic.packet_number', 'Packet Number', 'uint', pkn, pkn.toString(), p, pknLen));
    p += pknLen;
  }
  let info: string;
  if (hasVersion && clientHelloAt(b, p + 13, end)) {
    fields.push(bytesField('gquic.message_authentication_hash', 'Message Authentication Hash', b, p, 12));
    const pf = b[p + 12];
    fields.push(
      uintHex('gquic.prflags', 'Private Flags', pf, 2, p + 12, 1, {
        children: [
          bool('gquic.prflags.entropy', 'Entropy', (pf & 1) !== 0, p + 12, 1, { text: `${bitPattern(pf, 0x01, 8)} = Entropy: ${yesNo((pf & 1) !== 0)}` }),
          bool('gquic.prflags.fecg', 'FEC Group', (pf & 2) !== 0, p + 12, 1, { text: `${bitPattern(pf, 0x02, 8)} = FEC Group: ${yesNo((pf & 2) !== 0)}` }),
          bool('gquic.prflags.fec', 'FEC', (pf & 4) !== 0, p + 12, 1, { text: `${bitPattern(pf, 0x04, 8)} = FEC: ${yesNo((pf & 4) !== 0)}` }),
          uintHex('gquic.prflags.rsv', 'Reserved', pf >> 3, 2, p + 12, 1, {
            text: `${bitPattern(pf, 0xf8, 8)} = Reserved: 0x${(pf >> 3).toString(16).padStart(2, '0')}`,
          }),
        ],
      }),
    );
    info = 'Client Hello';
  } else {
    if (p < end) fields.push(bytesFieldT('gquic.payload', 'Payload', b, p, end - p));
    info = 'Payload (Encrypted)';
  }
  if (pkn !== undefined) info += `, PKN: ${pkn}`;
  if (cid !== undefined) info += `, CID: ${cid}`;
  return [{ proto: 'gquic', label: LABEL, offset: off, length: end - off, fields, malformed: [], columns: { protocol: 'GQUIC', info } }];
}
