// BSD null/loopback as Wireshark 4.0 shows it: "Null/Loopback" with the address family
// (null.family) or, when the header holds an EtherType, the type (null.type).

import type { DecodedLayer } from '../../wire/layer.ts';
import type { NullLoopback } from '../../wire/null-loopback.ts';
import type { DissectContext } from '../context.ts';
import { hex, type ProtoNode, uintDec, uintHex } from '../field.ts';
import { ethertypeName } from './link-names.ts';

const FAMILY_NAMES: Readonly<Record<number, string>> = {
  2: 'IP',
  7: 'OSI',
  23: 'IPX',
  24: 'IPv6',
  28: 'IPv6',
  30: 'IPv6',
};

export function mapNull(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const n = layer.value as NullLoopback;
  const o = layer.offset;
  const fields =
    o + 4 > ctx.frame.length
      ? []
      : n.isEthertype
        ? [uintHex('null.type', 'Type', n.family & 0xffff, 4, o, 4, { text: `Type: ${ethertypeName(n.family & 0xffff)} (${hex(n.family & 0xffff, 4)})` })]
        : [uintDec('null.family', 'Family', n.family, o, 4, { text: `Family: ${FAMILY_NAMES[n.family] ?? 'Unknown'} (${n.family})` })];
  return [{ proto: 'null', label: 'Null/Loopback', offset: o, length: layer.length, fields, malformed: layer.malformed, columns: { protocol: 'NULL' } }];
}
