// The `vxlan` protocol (RFC 7348, with the Group Based Policy flags) as Wireshark 4.0 shows it.

import type { DecodedLayer } from '../../wire/layer.ts';
import type { Vxlan } from '../../wire/vxlan.ts';
import type { DissectContext } from '../context.ts';
import { bool, type Field, hex, type ProtoNode, uintDec, uintHex } from '../field.ts';
import { bitPattern } from './link-fields.ts';

const FLAG_NAMES: readonly [number, string][] = [
  [0x8000, 'GBP Extension'],
  [0x0800, 'VXLAN Network ID (VNI)'],
  [0x0040, "Don't Learn"],
  [0x0008, 'Policy Applied'],
];

/** The vxlan mapper. */
export function mapVxlan(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const v = layer.value as Vxlan;
  const off = layer.offset;
  const avail = Math.max(ctx.frame.length - off, 0);
  const fields: Field[] = [];
  const node: ProtoNode = {
    proto: 'vxlan',
    label: 'Virtual eXtensible Local Area Network',
    offset: off,
    length: Math.min(8, avail),
    fields,
    malformed: layer.malformed,
    columns: { protocol: 'VXLAN', info: '' },
  };
  if (avail < 2) return [node];
  const f = v.flags;
  const names = FLAG_NAMES.filter(([bit]) => (f & bit) !== 0).map(([, n]) => n);
  const flag = (mask: number, name: string, label: string, yes: string, no: string): Field =>
    bool(name, label, (f & mask) !== 0, off, 2, { text: `${bitPattern(f, mask, 16)} = ${label}: ${f & mask ? yes : no}` });
  fields.push(
    uintHex('vxlan.flags', 'Flags', f, 4, off, 2, {
      text: `Flags: ${hex(f, 4)}${names.length ? ', ' + names.join(', ') : ''}`,
      children: [
        flag(0x8000, 'vxlan.flag_g', 'GBP Extension', 'Defined', 'Not defined'),
        flag(0x0800, 'vxlan.flag_i', 'VXLAN Network ID (VNI)', 'True', 'False'),
        flag(0x0040, 'vxlan.flag_d', "Don't Learn", 'True', 'False'),
        flag(0x0008, 'vxlan.flag_a', 'Policy Applied', 'True', 'False'),
        uintHex('vxlan.flags_reserved', 'Reserved(R)', f & 0x77b7, 4, off, 2, { text: `${bitPattern(f, 0x77b7, 16)} = Reserved(R): ${hex(f & 0x77b7, 4)}` }),
      ],
    }),
  );
  if (avail < 4) return [node];
  fields.push(uintDec('vxlan.gbp', 'Group Policy ID', v.groupPolicy, off + 2, 2));
  if (avail < 7) return [node];
  fields.push(uintDec('vxlan.vni', 'VXLAN Network Identifier (VNI)', v.vni, off + 4, 3));
  if (avail < 8) return [node];
  fields.push(uintDec('vxlan.reserved8', 'Reserved', v.reserved8, off + 7, 1));
  return [node];
}
