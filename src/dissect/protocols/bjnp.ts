// Canon BJNP (printer and scanner discovery and jobs, UDP ports 8611-8614) as Wireshark 4.0's `bjnp`
// dissector shows it: the "BJNP"/"BJNB"/"MFNP" id, the device type and command code, sequence
// number, session id and payload length, then the payload as bytes. A datagram that does not start
// with a printable character is no BJNP (Wireshark refuses it and the bytes are `data`).
// Info and label: "Scanner Command: Discover".

import type { Udp } from '../../wire/udp.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import { type Malformation, malformation } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { type Field, type ProtoNode, stringField, uintDec } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { dataNode } from './data.ts';
import { bytesFieldT, vs } from './link-fields.ts';

registerFields({
  bjnp: 'FT_PROTOCOL',
  'bjnp.id': 'FT_STRING',
  'bjnp.type': 'FT_UINT8',
  'bjnp.code': 'FT_UINT8',
  'bjnp.seq_no': 'FT_UINT32',
  'bjnp.session_id': 'FT_UINT16',
  'bjnp.payload_len': 'FT_UINT32',
  'bjnp.payload': 'FT_BYTES',
});

export const BJNP_UDP_PORTS: ReadonlySet<number> = new Set([8611, 8612, 8613, 8614]);

const TYPES: Readonly<Record<number, string>> = { 1: 'Printer Command', 2: 'Scanner Command', 0x81: 'Printer Response', 0x82: 'Scanner Response' };
const CODES: Readonly<Record<number, string>> = {
  0x01: 'Discover',
  0x10: 'Print Job Details',
  0x11: 'Request Closure',
  0x20: 'Get Printer Status',
  0x21: 'Print',
  0x30: 'Get Printer Identity',
  0x32: 'Scan Job Details',
};

const HEADER = 16;

export function isBjnp(ctx: DissectContext): boolean {
  const prev = ctx.layers[ctx.index - 1];
  if (prev?.kind !== 'udp') return false;
  const v = prev.value as Udp;
  return BJNP_UDP_PORTS.has(v.srcPort) || BJNP_UDP_PORTS.has(v.dstPort);
}

const u32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/** The bjnp mapper; a datagram whose first byte is not printable is `data` (Wireshark's BJNP declines it). */
export function mapBjnp(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const b = ctx.frame;
  const off = layer.offset;
  const end = Math.min(off + layer.length, b.length);
  if (end <= off) return [];
  if (b[off] < 0x20 || b[off] > 0x7e) return [dataNode(b, off, end - off)];
  const fields: Field[] = [];
  const malformed: Malformation[] = [];
  const have = end - off;
  const typeName = have > 4 ? `${vs(TYPES, b[off + 4], `Unknown type (${b[off + 4]})`)}` : '';
  const codeName = have > 5 ? `${vs(CODES, b[off + 5], `Unknown code (${b[off + 5]})`)}` : '';
  if (have >= 4) {
    const id = String.fromCharCode(...b.subarray(off, off + 4));
    fields.push(stringField('bjnp.id', 'Id', id, off, 4));
  }
  if (have >= 5) fields.push(uintDec('bjnp.type', 'Type', b[off + 4], off + 4, 1, { text: `Type: ${typeName} (${b[off + 4]})` }));
  if (have >= 6) fields.push(uintDec('bjnp.code', 'Code', b[off + 5], off + 5, 1, { text: `Code: ${codeName} (${b[off + 5]})` }));
  if (have >= 10) fields.push(uintDec('bjnp.seq_no', 'Sequence Number', u32(b, off + 6), off + 6, 4));
  if (have >= 12) fields.push(uintDec('bjnp.session_id', 'Session Id', (b[off + 10] << 8) | b[off + 11], off + 10, 2));
  if (have >= HEADER) {
    const len = u32(b, off + 12);
    fields.push(uintDec('bjnp.payload_len', 'Payload Length', len, off + 12, 4));
    if (len > 0) {
      const got = Math.min(len, have - HEADER);
      fields.push(bytesFieldT('bjnp.payload', 'Payload', b, off + HEADER, got));
      if (got < len) malformed.push(malformation('bjnp', off + HEADER, 'payload runs past the end of the datagram'));
    }
  } else malformed.push(malformation('bjnp', off, 'datagram shorter than the 16-byte BJNP header'));
  const info = have >= 6 ? `${typeName}: ${codeName}` : '';
  return [
    {
      proto: 'bjnp',
      label: info !== '' ? `Canon BJNP, ${info}` : 'Canon BJNP',
      offset: off,
      length: have,
      fields,
      malformed,
      columns: { protocol: 'BJNP', info },
    },
  ];
}
