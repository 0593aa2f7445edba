// IEEE 802.2 LLC as Wireshark 4.0's `llc` dissector shows it: DSAP and SSAP with their SAP and
// IG / CR bits, and the control field (a U frame's command and frame type; an I or S frame's
// 2-byte field as its value only). The protocol column reads LLC until an inner protocol sets it.

import type { Llc } from '../../wire/llc.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { bool, type Field, hex, type ProtoNode, uintDec, uintHex } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { bitPattern } from './link-fields.ts';

registerFields({
  llc: 'FT_PROTOCOL',
  'llc.dsap': 'FT_UINT8',
  'llc.dsap.sap': 'FT_UINT8',
  'llc.dsap.ig': 'FT_BOOLEAN',
  'llc.ssap': 'FT_UINT8',
  'llc.ssap.sap': 'FT_UINT8',
  'llc.ssap.cr': 'FT_BOOLEAN',
  'llc.control': 'FT_UINT16',
  'llc.control.u_modifier_cmd': 'FT_UINT8',
  'llc.control.u_modifier_resp': 'FT_UINT8',
  'llc.control.ftype': 'FT_UINT16',
});

/** SAP names (the SAP is the address byte without its low bit). */
const SAP_NAMES: Readonly<Record<number, string>> = {
  0x00: 'NULL LSAP',
  0x02: 'LLC Sub-Layer Management Individual',
  0x06: 'TCP/IP',
  0x42: 'Spanning Tree BPDU',
  0xaa: 'SNAP',
  0xe0: 'NetWare',
  0xf0: 'NetBIOS',
  0xfe: 'ISO Network Layer (OSLAN 1)',
  0xff: 'Global LSAP',
};

/** U-frame modifiers (control & 0xec, shifted right by 2), command and response names. */
const U_CMD: Readonly<Record<number, string>> = {
  0x00: 'Unnumbered Information',
  0x1b: 'Set Asynchronous Balanced Mode Extended',
  0x10: 'Disconnect',
  0x2b: 'Exchange identification',
  0x38: 'Test',
  0x21: 'Frame reject',
};
const U_ABBR: Readonly<Record<number, string>> = { 0x00: 'UI', 0x1b: 'SABME', 0x10: 'DISC', 0x2b: 'XID', 0x38: 'TEST' };

function sapName(sap: number): string {
  return SAP_NAMES[sap] ?? 'Unknown';
}

export function mapLlc(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const v = layer.value as Llc;
  const o = layer.offset;
  const fields: Field[] = [];
  const have = (n: number): boolean => o + n <= ctx.frame.length && n <= layer.length;
  if (have(1)) {
    const name = sapName(v.dsap & 0xfe);
    fields.push(
      uintHex('llc.dsap', 'DSAP', v.dsap, 2, o, 1, {
        text: `DSAP: ${name} (${hex(v.dsap, 2)})`,
        children: [
          uintDec('llc.dsap.sap', 'SAP', v.dsap >> 1, o, 1, { text: `${bitPattern(v.dsap, 0xfe, 8)} = SAP: ${name}` }),
          bool('llc.dsap.ig', 'IG Bit', (v.dsap & 1) !== 0, o, 1, { text: `${bitPattern(v.dsap, 0x01, 8)} = IG Bit: ${v.dsap & 1 ? 'Group' : 'Individual'}` }),
        ],
      }),
    );
  }
  if (have(2)) {
    const name = sapName(v.ssap & 0xfe);
    fields.push(
      uintHex('llc.ssap', 'SSAP', v.ssap, 2, o + 1, 1, {
        text: `SSAP: ${name} (${hex(v.ssap, 2)})`,
        children: [
          uintDec('llc.ssap.sap', 'SAP', v.ssap >> 1, o + 1, 1, { text: `${bitPattern(v.ssap, 0xfe, 8)} = SAP: ${name}` }),
          bool('llc.ssap.cr', 'CR Bit', (v.ssap & 1) !== 0, o + 1, 1, {
            text: `${bitPattern(v.ssap, 0x01, 8)} = CR Bit: ${v.ssap & 1 ? 'Response' : 'Command'}`,
          }),
        ],
      }),
    );
  }
  if (have(2 + v.controlLength)) {
    if (v.controlLength === 1) {
      const c = v.control;
      const response = (v.ssap & 1) !== 0;
      const modifier = (c & 0xec) >> 2;
      const abbr = U_ABBR[modifier] ?? 'Unknown';
      fields.push(
        uintHex('llc.control', 'Control', c, 4, o + 2, 1, {
          text: `Control field: U${c & 0x10 ? (response ? ', F' : ', P') : ''}, func=${abbr} (${hex(c, 2).toUpperCase().replace('0X', '0x')})`,
          children: [
            uintHex(response ? 'llc.control.u_modifier_resp' : 'llc.control.u_modifier_cmd', response ? 'Response' : 'Command', modifier, 2, o + 2, 1, {
              text: `${bitPattern(c, 0xec, 8)} = ${response ? 'Response' : 'Command'}: ${U_CMD[modifier] ?? 'Unknown'} (${hex(modifier, 2)})`,
            }),
            uintHex('llc.control.ftype', 'Frame type', 3, 2, o + 2, 1, { text: `${bitPattern(c, 0x03, 8)} = Frame type: Unnumbered frame (0x3)` }),
          ],
        }),
      );
    } else {
      fields.push(uintHex('llc.control', 'Control', v.control, 4, o + 2, 2));
    }
  }
  return [{ proto: 'llc', label: 'Logical-Link Control', offset: o, length: layer.length, fields, malformed: layer.malformed, columns: { protocol: 'LLC' } }];
}
