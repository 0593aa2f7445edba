// Spanning Tree BPDUs (802.1D Configuration and TCN, 802.1w RST) as Wireshark 4.0's `stp` dissector
// shows them: the fields named stp.*, bridge identifiers split into priority (high 4 bits, in steps
// of 4096), system ID extension (low 12 bits) and MAC, times in seconds, and the info column
// "Conf. [TC + ]Root = 32768/0/aa:bb:cc:00:00:01  Cost = 0  Port = 0x8001".

import type { StpLayer } from '../../wire/llc.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { bool, etherField, type Field, floatField, formatMac, hex, type ProtoNode, uintDec, uintHex } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { bitPattern, textItem } from './link-fields.ts';
import { macWithName } from './mac-names.ts';

registerFields({
  stp: 'FT_PROTOCOL',
  'stp.protocol': 'FT_UINT16',
  'stp.version': 'FT_UINT8',
  'stp.type': 'FT_UINT8',
  'stp.flags': 'FT_UINT8',
  'stp.flags.tcack': 'FT_BOOLEAN',
  'stp.flags.agreement': 'FT_BOOLEAN',
  'stp.flags.forwarding': 'FT_BOOLEAN',
  'stp.flags.learning': 'FT_BOOLEAN',
  'stp.flags.port_role': 'FT_UINT8',
  'stp.flags.proposal': 'FT_BOOLEAN',
  'stp.flags.tc': 'FT_BOOLEAN',
  'stp.root.prio': 'FT_UINT16',
  'stp.root.ext': 'FT_UINT16',
  'stp.root.hw': 'FT_ETHER',
  'stp.root.cost': 'FT_UINT32',
  'stp.bridge.prio': 'FT_UINT16',
  'stp.bridge.ext': 'FT_UINT16',
  'stp.bridge.hw': 'FT_ETHER',
  'stp.port': 'FT_UINT16',
  'stp.msg_age': 'FT_DOUBLE',
  'stp.max_age': 'FT_DOUBLE',
  'stp.hello': 'FT_DOUBLE',
  'stp.forward': 'FT_DOUBLE',
  'stp.version_1_length': 'FT_UINT8',
});

const VERSIONS: Readonly<Record<number, string>> = { 0: 'Spanning Tree', 2: 'Rapid Spanning Tree', 3: 'Multiple Spanning Tree', 4: 'Shortest Path Tree' };
const TYPES: Readonly<Record<number, string>> = { 0x00: 'Configuration', 0x02: 'Rapid/Multiple Spanning Tree', 0x80: 'Topology Change Notification' };
const ROLES: Readonly<Record<number, string>> = { 0: 'Unknown', 1: 'Alternate or Backup', 2: 'Root', 3: 'Designated' };

const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

function yesNo(v: boolean): string {
  return v ? 'Yes' : 'No';
}

function flagsField(b: Uint8Array, at: number, rst: boolean): Field {
  const f = b[at];
  const flag = (name: string, label: string, mask: number): Field =>
    bool(name, label, (f & mask) !== 0, at, 1, { text: `${bitPattern(f, mask, 8)} = ${label}: ${yesNo((f & mask) !== 0)}` });
  const role = (f & 0x0c) >> 2;
  const names: string[] = [];
  if (f & 0x80) names.push('Topology Change Acknowledgment');
  if (rst) {
    if (f & 0x40) names.push('Agreement');
    if (f & 0x20) names.push('Forwarding');
    if (f & 0x10) names.push('Learning');
    if (role !== 0) names.push(`Port Role: ${ROLES[role]}`);
    if (f & 0x02) names.push('Proposal');
  }
  if (f & 0x01) names.push('Topology Change');
  const children = rst
    ? [
        flag('stp.flags.tcack', 'Topology Change Acknowledgment', 0x80),
        flag('stp.flags.agreement', 'Agreement', 0x40),
        flag('stp.flags.forwarding', 'Forwarding', 0x20),
        flag('stp.flags.learning', 'Learning', 0x10),
        uintDec('stp.flags.port_role', 'Port Role', role, at, 1, { text: `${bitPattern(f, 0x0c, 8)} = Port Role: ${ROLES[role]} (${role})` }),
        flag('stp.flags.proposal', 'Proposal', 0x02),
        flag('stp.flags.tc', 'Topology Change', 0x01),
      ]
    : [flag('stp.flags.tcack', 'Topology Change Acknowledgment', 0x80), flag('stp.flags.tc', 'Topology Change', 0x01)];
  return uintHex('stp.flags', 'BPDU flags', f, 2, at, 1, { text: `BPDU flags: ${hex(f, 2)}${names.map((n) => `, ${n}`).join('')}`, children });
}

function bridgeIdField(b: Uint8Array, at: number, which: 'root' | 'bridge'): Field {
  const raw = u16(b, at);
  const prio = raw & 0xf000;
  const ext = raw & 0x0fff;
  const Which = which === 'root' ? 'Root Bridge' : 'Bridge';
  return textItem(`${which === 'root' ? 'Root' : 'Bridge'} Identifier: ${prio} / ${ext} / ${formatMac(b, at + 2)}`, at, 8, [
    uintDec(`stp.${which}.prio`, `${Which} Priority`, prio, at, 1),
    uintDec(`stp.${which}.ext`, `${Which} System ID Extension`, ext, at, 2),
    etherField(`stp.${which}.hw`, `${Which} System ID`, b, at + 2, { text: `${Which} System ID: ${macWithName(b, at + 2)}` }),
  ]);
}

function timeField(name: string, label: string, b: Uint8Array, at: number): Field {
  const v = u16(b, at) / 256;
  return floatField(name, label, v, String(v), at, 2);
}

export function mapStp(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const s = layer.value as StpLayer;
  const b = ctx.frame;
  const o = layer.offset;
  const avail = Math.min(layer.length, b.length - o);
  const fields: Field[] = [];
  let info = TYPES[s.type] ?? `Unknown BPDU type (${hex(s.type, 2)})`;
  let length = avail;
  if (avail >= 2)
    fields.push(
      uintHex('stp.protocol', 'Protocol Identifier', s.protocol, 4, o, 2, {
        text: `Protocol Identifier: ${s.protocol === 0 ? 'Spanning Tree Protocol' : 'Unknown'} (${hex(s.protocol, 4)})`,
      }),
    );
  if (avail >= 3)
    fields.push(
      uintDec('stp.version', 'Protocol Version Identifier', s.version, o + 2, 1, {
        text: `Protocol Version Identifier: ${VERSIONS[s.version] ?? 'Unknown'} (${s.version})`,
      }),
    );
  if (avail >= 4) fields.push(uintHex('stp.type', 'BPDU Type', s.type, 2, o + 3, 1, { text: `BPDU Type: ${TYPES[s.type] ?? 'Unknown'} (${hex(s.type, 2)})` }));
  const bpdu = s.bpdu;
  if (bpdu !== undefined && bpdu.type === 'tcn') length = 4;
  if (bpdu !== undefined && bpdu.type !== 'tcn') {
    const rst = bpdu.type === 'rst';
    length = rst ? 36 : 35;
    fields.push(
      flagsField(b, o + 4, rst),
      bridgeIdField(b, o + 5, 'root'),
      uintDec('stp.root.cost', 'Root Path Cost', u32(b, o + 13), o + 13, 4),
      bridgeIdField(b, o + 17, 'bridge'),
      uintHex('stp.port', 'Port identifier', u16(b, o + 25), 4, o + 25, 2),
      timeField('stp.msg_age', 'Message Age', b, o + 27),
      timeField('stp.max_age', 'Max Age', b, o + 29),
      timeField('stp.hello', 'Hello Time', b, o + 31),
      timeField('stp.forward', 'Forward Delay', b, o + 33),
    );
    if (rst) fields.push(uintDec('stp.version_1_length', 'Version 1 Length', b[o + 35], o + 35, 1));
    const raw = u16(b, o + 5);
    // The info column prints the cost as a signed 32-bit number (a cost of 0xffffffff reads -1).
    const tc = (bpdu.flags & 0x01) !== 0 ? 'TC + ' : '';
    info = `${rst ? 'RST' : 'Conf'}. ${tc}Root = ${raw & 0xf000}/${raw & 0x0fff}/${formatMac(b, o + 7)}  Cost = ${u32(b, o + 13) | 0}  Port = ${hex(u16(b, o + 25), 4)}`;
  }
  return [{ proto: 'stp', label: 'Spanning Tree Protocol', offset: o, length, fields, malformed: layer.malformed, columns: { protocol: 'STP', info } }];
}
