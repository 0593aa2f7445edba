// The IPsec Authentication Header (RFC 4302) as Wireshark 4.0's `ah` dissector shows it: next header,
// length (in words, with the bytes it means), reserved, SPI, sequence number and the ICV. After IPv6
// its tree sits inside the IPv6 tree, with the extension headers (ipv6.ts renders it through
// extSubtree); after IPv4 it is a protocol of its own. The protected packet goes on to its protocol.

import type { IpsecAh } from '../../wire/ipsec-ah.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { type Field, hex, type ProtoNode, uintDec, uintHex } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { bytesFieldT } from './link-fields.ts';
import { ipProtoName } from './link-names.ts';

registerFields({
  ah: 'FT_PROTOCOL',
  'ah.next_header': 'FT_UINT8',
  'ah.length': 'FT_UINT8',
  'ah.reserved': 'FT_BYTES',
  'ah.spi': 'FT_UINT32',
  'ah.sequence': 'FT_UINT32',
  'ah.icv': 'FT_BYTES',
});

export const AH_LABEL = 'Authentication Header';

/** The AH header fields, as far as the frame holds them. */
export function ahFields(layer: DecodedLayer, frame: Uint8Array): Field[] {
  const a = layer.value as IpsecAh;
  const o = layer.offset;
  const have = Math.min(layer.length, frame.length - o);
  const fields: Field[] = [];
  if (have >= 1)
    fields.push(uintDec('ah.next_header', 'Next header', a.nextHeader, o, 1, { text: `Next header: ${ipProtoName(a.nextHeader)} (${a.nextHeader})` }));
  if (have >= 2) fields.push(uintDec('ah.length', 'Length', a.payloadLen, o + 1, 1, { text: `Length: ${a.payloadLen} (${a.headerLength} bytes)` }));
  if (have >= 4) fields.push(bytesFieldT('ah.reserved', 'Reserved', frame, o + 2, 2));
  if (have >= 8) fields.push(uintHex('ah.spi', 'AH SPI', a.spi, 8, o + 4, 4));
  if (have >= 12) fields.push(uintDec('ah.sequence', 'AH Sequence', a.sequence, o + 8, 4));
  if (have > 12) fields.push(bytesFieldT('ah.icv', 'AH ICV', frame, o + 12, have - 12));
  return fields;
}

/** True when the AH layer follows IPv6 or one of its extension headers (its tree is IPv6's). */
function afterIpv6(ctx: DissectContext): boolean {
  return ctx.layers[ctx.index - 1]?.kind.startsWith('ipv6') === true;
}

/** The ah mapper: a tree-less entry after IPv6, else the protocol with its fields. */
export function mapAh(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const a = layer.value as IpsecAh;
  if (afterIpv6(ctx))
    return [{ proto: 'ah', label: AH_LABEL, offset: layer.offset, length: layer.length, fields: [], malformed: layer.malformed, noTree: true }];
  return [
    {
      proto: 'ah',
      label: AH_LABEL,
      offset: layer.offset,
      length: layer.length,
      fields: ahFields(layer, ctx.frame),
      malformed: layer.malformed,
      columns: { protocol: 'AH', info: `AH (SPI=${hex(a.spi, 8)})` },
    },
  ];
}
