// The `icmp` protocol as Wireshark 4.0 shows it: type and code with their names, checksum, the
// second word by type (identifiers, unused/length/MTU, pointer, gateway), timestamps, address mask,
// router advertisement entries, echo request/reply matching (`icmp.resp_to`, `icmp.resptime`) and
// the timestamp Wireshark finds at the start of echo data (`icmp.data_time`). Names are in
// icmp-names.ts, time text in icmp-time.ts, Mobile IP and RFC 4884 extensions in icmp-extensions.ts.

import type { Icmp } from '../../wire/icmp.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { expertField } from '../expert.ts';
import { bytesField, type Field, hex, ipv4Field, type ProtoNode, rawField, uintDec, uintHex, formatBytesHex } from '../field.ts';
import { extensionFields, mobileExtensionField } from './icmp-extensions.ts';
import { icmpCodeName, icmpTypeName } from './icmp-names.ts';
import { bestGuessMsOfDay, echoDataTimestamp, formatDouble, MS_PER_DAY, msecsToText, secsToText } from './icmp-time.ts';
import { formatAbsTime, formatRelTime, type NsTime, nsDelta } from '../frame-fields.ts';
import { checksumStatusField, enclosingIpOf, expectedChecksum, packetTime } from './udp.ts';

/**
 * Bytes of echo data an ICMP layer consumed before its `data` (8 when the data starts with a
 * timestamp). `icmpIndex` is the index of the layer before the data.
 */
export function icmpEchoDataSkip(ctx: DissectContext, icmpIndex: number): number {
  const l = ctx.layers[icmpIndex];
  if (l === undefined || l.kind !== 'icmp') return 0;
  const v = l.value as Icmp;
  if (v.type !== 0 && v.type !== 8) return 0;
  const start = l.payloadOffset ?? l.offset + 8;
  const end = Math.min(l.payloadEnd ?? ctx.frame.length, ctx.frame.length);
  return echoDataTimestamp(ctx.frame, start, end, packetTime(ctx)) === undefined ? 0 : 8;
}

interface EchoTransaction {
  requestFrame: number;
  requestTime: NsTime;
  responseFrame: number;
}

interface IcmpState {
  unmatched: Map<string, EchoTransaction>;
}

function addrPairKey(a: Uint8Array, b: Uint8Array): string {
  const ka = formatBytesHex(a);
  const kb = formatBytesHex(b);
  return ka < kb ? `${ka}|${kb}` : `${kb}|${ka}`;
}

/** Folded one's-complement checksum of 16-bit words (for the echo matching key). */
function onesChecksum(words: number[]): number {
  let s = 0;
  for (const w of words) s += w & 0xffff;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** The icmp mapper. */
export function mapIcmp(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const v = layer.value as Icmp;
  const b = ctx.frame;
  const off = layer.offset;
  const end = Math.min(layer.payloadEnd ?? b.length, b.length);
  const avail = end - off;
  const fields: Field[] = [];
  const typeName = icmpTypeName(v.type, v.code);
  const codeName = icmpCodeName(v.type, v.code);
  let info = typeName.padEnd(20, ' ') + (codeName !== undefined ? ` (${codeName})` : '');
  const node: ProtoNode = {
    proto: 'icmp',
    label: 'Internet Control Message Protocol',
    offset: off,
    length: Math.max(msgEnd(layer, ctx) - off, 0),
    fields,
    malformed: layer.malformed,
  };
  const finish = (): ProtoNode[] => {
    node.columns = { protocol: 'ICMP', info };
    return [node];
  };
  if (avail < 1) return finish();
  fields.push(uintDec('icmp.type', 'Type', v.type, off, 1, { text: `Type: ${v.type} (${typeName})` }));
  if (avail < 2) return finish();
  fields.push(uintDec('icmp.code', 'Code', v.code, off + 1, 1, { text: codeName !== undefined ? `Code: ${v.code} (${codeName})` : undefined }));
  if (avail < 4) return finish();
  fields.push(...icmpChecksumFields(v, off + 2, ctx.inIcmpError));
  if (avail < 8) return finish();
  const ip = enclosingIpOf(ctx);
  const idSeq = (): void => {
    const id = v.id ?? 0;
    const seq = v.seq ?? 0;
    const idLe = ((id & 0xff) << 8) | (id >>> 8);
    const seqLe = ((seq & 0xff) << 8) | (seq >>> 8);
    const dh = (n: number): string => `${n} (${hex(n, 4)})`;
    fields.push(
      uintDec('icmp.ident', 'Identifier (BE)', id, off + 4, 2, { text: `Identifier (BE): ${dh(id)}` }),
      uintDec('icmp.ident_le', 'Identifier (LE)', idLe, off + 4, 2, { text: `Identifier (LE): ${dh(idLe)}` }),
      uintDec('icmp.seq', 'Sequence Number (BE)', seq, off + 6, 2, { text: `Sequence Number (BE): ${dh(seq)}` }),
      uintDec('icmp.seq_le', 'Sequence Number (LE)', seqLe, off + 6, 2, { text: `Sequence Number (LE): ${dh(seqLe)}` }),
    );
    info += ` id=${hex(id, 4)}, seq=${seq}/${seqLe}`;
    if (ip?.version === 4 && ip.ttl !== undefined) info += `, ttl=${ip.ttl}`;
  };
  const unused = (at: number, n: number): void => {
    fields.push(bytesField('icmp.unused', 'Unused', b, off + at, n));
  };
  const lengthFields = (): void => {
    const len = v.length ?? 0;
    fields.push(
      uintDec('icmp.length', 'Length', len, off + 5, 1),
      uintDec('icmp.length.original_datagram', 'Length of original datagram', len * 4, off + 5, 1, { generated: true }),
    );
  };
  switch (v.type) {
    case 0:
    case 8:
    case 13:
    case 14:
    case 15:
    case 16:
    case 17:
    case 18:
      idSeq();
      break;
    case 3:
      if ((v.length ?? 0) > 0) {
        unused(4, 1);
        lengthFields();
        if (v.code === 4) fields.push(uintDec('icmp.mtu', 'MTU of next hop', v.mtu ?? 0, off + 6, 2));
        else unused(6, 2);
      } else if (v.code === 4) {
        unused(4, 2);
        fields.push(uintDec('icmp.mtu', 'MTU of next hop', v.mtu ?? 0, off + 6, 2));
      } else {
        unused(4, 4);
      }
      break;
    case 42:
    case 43: {
      // Extended echo (RFC 8335): the identifier as for echo; the rest is not decoded.
      const id = v.rest >>> 16;
      const idLe = ((id & 0xff) << 8) | (id >>> 8);
      fields.push(
        uintDec('icmp.ident', 'Identifier (BE)', id, off + 4, 2, { text: `Identifier (BE): ${id} (${hex(id, 4)})` }),
        uintDec('icmp.ident_le', 'Identifier (LE)', idLe, off + 4, 2, { text: `Identifier (LE): ${idLe} (${hex(idLe, 4)})` }),
      );
      break;
    }
    case 9:
      fields.push(
        uintDec('icmp.num_addrs', 'Number of addresses', v.numAddrs ?? 0, off + 4, 1),
        uintDec('icmp.addr_entry_size', 'Address entry size', v.addrEntrySize ?? 0, off + 5, 1),
        uintDec('icmp.lifetime', 'Lifetime', v.lifetime ?? 0, off + 6, 2, { text: `Lifetime: ${v.lifetime ?? 0} (${secsToText(v.lifetime ?? 0)})` }),
      );
      break;
    case 12:
      fields.push(uintDec('icmp.pointer', 'Pointer', v.pointer ?? 0, off + 4, 1));
      if ((v.length ?? 0) > 0) {
        lengthFields();
        unused(6, 2);
      } else {
        unused(5, 3);
      }
      break;
    case 5:
      fields.push(ipv4Field('icmp.redir_gw', 'Gateway Address', b, off + 4));
      break;
    case 11:
      if ((v.length ?? 0) > 0) {
        unused(4, 1);
        lengthFields();
        unused(6, 2);
      } else {
        unused(4, 4);
      }
      break;
    default:
      break;
  }
  // What follows the first 8 bytes.
  if (v.type === 0 || v.type === 8) info += echoFields(v, layer, ctx, fields, ip);
  if (v.type === 9 && v.addrEntrySize === 2) {
    (v.routers ?? []).forEach((r, i) => {
      const at = off + 8 + i * 8;
      fields.push(
        ipv4Field('icmp.router_address', 'Router address', b, at),
        rawField('icmp.pref_level', 'Preference level', 'int', r.preference, String(r.preference), at + 4, 4),
      );
    });
  }
  for (const e of v.mobileExtensions ?? []) fields.push(mobileExtensionField(e, b));
  if ((v.type === 13 || v.type === 14) && v.originate !== undefined) {
    const now = packetTime(ctx);
    const frameMs = (((now.secs * 1000 + Math.floor(now.nsecs / 1e6)) % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;
    const stamp = (name: string, label: string, value: number, at: number): Field =>
      uintDec(name, label, value, at, 4, { text: `${label}: ${value} (${msecsToText(bestGuessMsOfDay(b, at, frameMs))} after midnight UTC)` });
    fields.push(
      stamp('icmp.originate_timestamp', 'Originate Timestamp', v.originate, off + 8),
      stamp('icmp.receive_timestamp', 'Receive Timestamp', v.receive ?? 0, off + 12),
      stamp('icmp.transmit_timestamp', 'Transmit Timestamp', v.transmit ?? 0, off + 16),
    );
  }
  if ((v.type === 17 || v.type === 18) && v.addressMask !== undefined) fields.push(ipv4Field('icmp.address_mask', 'Address Mask', b, off + 8));
  // The extension structure follows the quoted datagram; Wireshark shows it after the datagram's
  // layers, netlab with the other ICMP fields (the field values are the same).
  if (v.extension !== undefined) fields.push(extensionFields(v.extension, b, msgEnd(layer, ctx)));
  return finish();
}

/** Where the ICMP message ends in the frame (the quoted datagram and extensions included). */
function msgEnd(layer: DecodedLayer, ctx: DissectContext): number {
  const ip = enclosingIpOf(ctx);
  const v = ip?.layer.value as { totalLength?: unknown } | undefined;
  let end = ctx.frame.length;
  if (ctx.reassembled !== true && ip !== undefined && ip.version === 4 && typeof v?.totalLength === 'number' && v.totalLength > 0)
    end = Math.min(end, ip.layer.offset + v.totalLength);
  return Math.max(end, layer.offset + layer.length);
}

function icmpChecksumFields(v: Icmp, at: number, inError: boolean): Field[] {
  const value = hex(v.checksum, 4);
  if (v.checksumStatus === 'good') {
    return [
      uintHex('icmp.checksum', 'Checksum', v.checksum, 4, at, 2, { text: `Checksum: ${value} [correct]` }),
      checksumStatusField('icmp.checksum.status', 1, at),
    ];
  }
  if (v.checksumStatus === 'bad') {
    const should = hex(expectedChecksum(v.checksum, v.checksumComputed ?? 0), 4);
    return [
      uintHex('icmp.checksum', 'Checksum', v.checksum, 4, at, 2, {
        text: `Checksum: ${value} incorrect, should be ${should}`,
        children: [expertField('icmp.checksum_bad', `Bad checksum [should be ${should}]`, 'Warning', 'Checksum', at, 2)],
      }),
      checksumStatusField('icmp.checksum.status', 0, at),
    ];
  }
  const why = inError ? 'in ICMP error packet' : 'fragmented datagram';
  return [
    uintHex('icmp.checksum', 'Checksum', v.checksum, 4, at, 2, { text: `Checksum: ${value} [unverified] [${why}]` }),
    checksumStatusField('icmp.checksum.status', 2, at),
  ];
}

/** Echo request/reply: matching and the data timestamp. Returns what it appends to the Info column. */
function echoFields(v: Icmp, layer: DecodedLayer, ctx: DissectContext, fields: Field[], ip: ReturnType<typeof enclosingIpOf>): string {
  let info = '';
  const b = ctx.frame;
  const now = packetTime(ctx);
  if (!ctx.inIcmpError && ip !== undefined) {
    const state = ctx.state.slot<IcmpState>('icmp', () => ({ unmatched: new Map() }));
    const pair = addrPairKey(ip.src, ip.dst);
    const idSeq = `${v.id ?? 0}/${v.seq ?? 0}`;
    if (v.type === 8) {
      // The checksum the reply will carry: only the type byte differs (8 -> 0).
      const replySum = onesChecksum([~v.checksum & 0xffff, ~0x0800 & 0xffff]);
      state.unmatched.set(`${pair}|${replySum}|${idSeq}`, { requestFrame: ctx.packet.number, requestTime: now, responseFrame: 0 });
    } else {
      const key = `${pair}|${v.checksum === 0xffff ? 0 : v.checksum}|${idSeq}`;
      const t = state.unmatched.get(key);
      if (t !== undefined && t.responseFrame === 0) {
        t.responseFrame = ctx.packet.number;
        const d = nsDelta(now, t.requestTime);
        const ms = d.secs * 1000 + d.nsecs / 1e6;
        fields.push(
          uintDec('icmp.resp_to', 'Request frame', t.requestFrame, 0, 0, { generated: true, text: `[Request frame: ${t.requestFrame}]` }),
          rawField('icmp.resptime', 'Response time', 'float', ms, formatDouble(ms), 0, 0, { generated: true, text: `[Response time: ${ms.toFixed(3)} ms]` }),
        );
        info += ` (request in ${t.requestFrame})`;
      }
    }
  }
  const start = layer.payloadOffset ?? layer.offset + 8;
  const end = Math.min(layer.payloadEnd ?? b.length, b.length);
  const ts = echoDataTimestamp(b, start, end, now);
  if (ts !== undefined) {
    const rel = nsDelta(now, ts);
    const abs = formatAbsTime(ts);
    fields.push(
      rawField('icmp.data_time', 'Timestamp from icmp data', 'time', ts.secs + ts.nsecs / 1e9, abs, start, 8),
      rawField('icmp.data_time_relative', 'Timestamp from icmp data (relative)', 'reltime', rel.secs + rel.nsecs / 1e9, formatRelTime(rel), start, 8, {
        generated: true,
        text: `[Timestamp from icmp data (relative): ${formatRelTime(rel)} seconds]`,
      }),
    );
  }
  return info;
}
