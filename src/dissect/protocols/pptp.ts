// PPTP's control connection (RFC 2637, TCP port 1723) as Wireshark 4.0's `pptp` dissector shows it:
// each TCP segment is one control message (Wireshark does not reassemble them): length, message
// type, the magic cookie checked against 0x1a2b3c4d, the control message type, reserved, then the
// fields of that message type (RFC 2637 section 2). Info: the control message type's name.

import { bytesField, type Field, type ProtoNode, stringField, uintDec, uintHex } from '../field.ts';
import { expertField } from '../expert.ts';
import { registerFields } from '../known-fields.ts';
import type { TcpAppCall, TcpAppContext, TcpAppDissector, TcpAppOutput } from '../tcp-reassembly-apps.ts';
import { dataNode } from './data.ts';

export const PPTP_TCP_PORT = 1723;
const MAGIC_COOKIE = 0x1a2b3c4d;
const HEADER = 12;

registerFields({
  pptp: 'FT_PROTOCOL',
  'pptp.length': 'FT_UINT16',
  'pptp.type': 'FT_UINT16',
  'pptp.magic_cookie': 'FT_UINT32',
  'pptp.magic_cookie.incorrect': 'FT_NONE',
  'pptp.control_message_type': 'FT_UINT16',
  'pptp.reserved': 'FT_BYTES',
  'pptp.protocol_version': 'FT_UINT16',
  'pptp.framing_capabilities': 'FT_UINT32',
  'pptp.bearer_capabilities': 'FT_UINT32',
  'pptp.maximum_channels': 'FT_UINT16',
  'pptp.firmware_revision': 'FT_UINT16',
  'pptp.host_name': 'FT_STRING',
  'pptp.vendor_name': 'FT_STRING',
  'pptp.control_result': 'FT_UINT8',
  'pptp.error': 'FT_UINT8',
  'pptp.reason': 'FT_UINT8',
  'pptp.stop_result': 'FT_UINT8',
  'pptp.identifier': 'FT_UINT32',
  'pptp.echo_result': 'FT_UINT8',
  'pptp.call_id': 'FT_UINT16',
  'pptp.call_serial_number': 'FT_UINT16',
  'pptp.minimum_bps': 'FT_UINT32',
  'pptp.maximum_bps': 'FT_UINT32',
  'pptp.framing_type': 'FT_UINT32',
  'pptp.bearer_type': 'FT_UINT32',
  'pptp.packet_receive_window_size': 'FT_UINT16',
  'pptp.packet_processing_delay': 'FT_UINT16',
  'pptp.phone_number_length': 'FT_UINT16',
  'pptp.phone_number': 'FT_STRING',
  'pptp.subaddress': 'FT_STRING',
  'pptp.peer_call_id': 'FT_UINT16',
  'pptp.out_result': 'FT_UINT8',
  'pptp.cause': 'FT_UINT16',
  'pptp.connect_speed': 'FT_UINT32',
  'pptp.physical_channel_id': 'FT_UINT32',
  'pptp.dialed_number_length': 'FT_UINT16',
  'pptp.dialed_number': 'FT_STRING',
  'pptp.dialing_number_length': 'FT_UINT16',
  'pptp.dialing_number': 'FT_STRING',
  'pptp.in_result': 'FT_UINT8',
  'pptp.disc_result': 'FT_UINT8',
  'pptp.call_Statistics': 'FT_STRING',
  'pptp.crc_errors': 'FT_UINT32',
  'pptp.framing_errors': 'FT_UINT32',
  'pptp.hardware_overruns': 'FT_UINT32',
  'pptp.buffer_overruns': 'FT_UINT32',
  'pptp.timeout_errors': 'FT_UINT32',
  'pptp.alignment_errors': 'FT_UINT32',
  'pptp.send_accm': 'FT_UINT32',
  'pptp.receive_accm': 'FT_UINT32',
});

const MESSAGE_TYPES: Readonly<Record<number, string>> = { 1: 'Control Message', 2: 'Management Message' };
const CONTROL_TYPES: Readonly<Record<number, string>> = {
  1: 'Start-Control-Connection-Request',
  2: 'Start-Control-Connection-Reply',
  3: 'Stop-Control-Connection-Request',
  4: 'Stop-Control-Connection-Reply',
  5: 'Echo-Request',
  6: 'Echo-Reply',
  7: 'Outgoing-Call-Request',
  8: 'Outgoing-Call-Reply',
  9: 'Incoming-Call-Request',
  10: 'Incoming-Call-Reply',
  11: 'Incoming-Call-Connected',
  12: 'Call-Clear-Request',
  13: 'Call-Disconnect-Notify',
  14: 'WAN-Error-Notify',
  15: 'Set-Link-Info',
};
const FRAMING: Readonly<Record<number, string>> = { 1: 'Asynchronous Framing supported', 2: 'Synchronous Framing supported', 3: 'Either Framing supported' };
const BEARER: Readonly<Record<number, string>> = { 1: 'Analog access supported', 2: 'Digital access supported', 3: 'Either access supported' };
const CONTROL_RESULT: Readonly<Record<number, string>> = {
  1: 'Successful channel establishment',
  2: 'General error',
  3: 'Command channel already exists',
  4: 'Requester not authorized',
  5: 'Protocol version not supported',
};
const ERRORS: Readonly<Record<number, string>> = {
  0: 'None',
  1: 'Not-Connected',
  2: 'Bad-Format',
  3: 'Bad-Value',
  4: 'No-Resource',
  5: 'Bad-Call ID',
  6: 'PAC-Error',
};
const REASONS: Readonly<Record<number, string>> = { 1: 'None', 2: 'Stop-Protocol', 3: 'Stop-Local-Shutdown' };
const OK_GENERAL: Readonly<Record<number, string>> = { 1: 'OK', 2: 'General error' };
const OUT_RESULT: Readonly<Record<number, string>> = {
  1: 'Connected',
  2: 'General Error',
  3: 'No Carrier',
  4: 'Busy',
  5: 'No Dial Tone',
  6: 'Time-out',
  7: 'Do Not Accept',
};
const IN_RESULT: Readonly<Record<number, string>> = { 1: 'Connect', 2: 'General error', 3: 'Do Not Accept' };
const DISC_RESULT: Readonly<Record<number, string>> = { 1: 'Lost Carrier', 2: 'General Error', 3: 'Admin Shutdown', 4: 'Request' };

/** One field of a message body: name, label, size (64 for strings), and how it shows. */
type Item = readonly [
  name: string,
  label: string,
  size: number,
  kind: 'dec' | 'hex' | 'bytes' | 'string' | 'version',
  names?: Readonly<Record<number, string>>,
];

const R2: Item = ['pptp.reserved', 'Reserved', 2, 'bytes'];
const WINDOW: Item = ['pptp.packet_receive_window_size', 'Packet Receive Window Size', 2, 'dec'];
const DELAY: Item = ['pptp.packet_processing_delay', 'Packet Processing Delay', 2, 'dec'];
const CALL_ID: Item = ['pptp.call_id', 'Call ID', 2, 'dec'];
const PEER_CALL_ID: Item = ['pptp.peer_call_id', 'Peer Call ID', 2, 'dec'];
const ERROR: Item = ['pptp.error', 'Error Code', 1, 'dec', ERRORS];
const START: readonly Item[] = [
  ['pptp.framing_capabilities', 'Framing Capabilities', 4, 'dec', FRAMING],
  ['pptp.bearer_capabilities', 'Bearer Capabilities', 4, 'dec', BEARER],
  ['pptp.maximum_channels', 'Maximum Channels', 2, 'dec'],
  ['pptp.firmware_revision', 'Firmware Revision', 2, 'dec'],
  ['pptp.host_name', 'Host Name', 64, 'string'],
  ['pptp.vendor_name', 'Vendor Name', 64, 'string'],
];

const BODIES: Readonly<Record<number, readonly Item[]>> = {
  1: [['pptp.protocol_version', 'Protocol version', 2, 'version'], R2, ...START],
  2: [['pptp.protocol_version', 'Protocol version', 2, 'version'], ['pptp.control_result', 'Result Code', 1, 'dec', CONTROL_RESULT], ERROR, ...START],
  3: [['pptp.reason', 'Reason', 1, 'dec', REASONS], ['pptp.reserved', 'Reserved', 1, 'bytes'], R2],
  4: [['pptp.stop_result', 'Result Code', 1, 'dec', OK_GENERAL], ERROR, R2],
  5: [['pptp.identifier', 'Identifier', 4, 'dec']],
  6: [['pptp.identifier', 'Identifier', 4, 'dec'], ['pptp.echo_result', 'Result Code', 1, 'dec', OK_GENERAL], ERROR, R2],
  7: [
    CALL_ID,
    ['pptp.call_serial_number', 'Call Serial Number', 2, 'dec'],
    ['pptp.minimum_bps', 'Minimum BPS', 4, 'dec'],
    ['pptp.maximum_bps', 'Maximum BPS', 4, 'dec'],
    ['pptp.bearer_type', 'Bearer Type', 4, 'dec', BEARER],
    ['pptp.framing_type', 'Framing Type', 4, 'dec', FRAMING],
    WINDOW,
    DELAY,
    ['pptp.phone_number_length', 'Phone Number Length', 2, 'dec'],
    R2,
    ['pptp.phone_number', 'Phone Number', 64, 'string'],
    ['pptp.subaddress', 'Subaddress', 64, 'string'],
  ],
  8: [
    CALL_ID,
    PEER_CALL_ID,
    ['pptp.out_result', 'Result Code', 1, 'dec', OUT_RESULT],
    ERROR,
    ['pptp.cause', 'Cause Code', 2, 'dec'],
    ['pptp.connect_speed', 'Connect Speed', 4, 'dec'],
    WINDOW,
    DELAY,
    ['pptp.physical_channel_id', 'Physical Channel ID', 4, 'dec'],
  ],
  9: [
    CALL_ID,
    ['pptp.call_serial_number', 'Call Serial Number', 2, 'dec'],
    ['pptp.bearer_type', 'Bearer Type', 4, 'dec', BEARER],
    ['pptp.physical_channel_id', 'Physical Channel ID', 4, 'dec'],
    ['pptp.dialed_number_length', 'Dialed Number Length', 2, 'dec'],
    ['pptp.dialing_number_length', 'Dialing Number Length', 2, 'dec'],
    ['pptp.dialed_number', 'Dialed Number', 64, 'string'],
    ['pptp.dialing_number', 'Dialing Number', 64, 'string'],
    ['pptp.subaddress', 'Subaddress', 64, 'string'],
  ],
  10: [CALL_ID, PEER_CALL_ID, ['pptp.in_result', 'Result Code', 1, 'dec', IN_RESULT], ERROR, WINDOW, DELAY, R2],
  11: [PEER_CALL_ID, R2, ['pptp.connect_speed', 'Connect Speed', 4, 'dec'], WINDOW, DELAY, ['pptp.framing_type', 'Framing Type', 4, 'dec', FRAMING]],
  12: [CALL_ID, R2],
  13: [
    CALL_ID,
    ['pptp.disc_result', 'Result Code', 1, 'dec', DISC_RESULT],
    ERROR,
    ['pptp.cause', 'Cause Code', 2, 'dec'],
    R2,
    ['pptp.call_Statistics', 'Call Statistics', 64, 'string'],
  ],
  14: [
    PEER_CALL_ID,
    R2,
    ['pptp.crc_errors', 'CRC Errors', 4, 'dec'],
    ['pptp.framing_errors', 'Framing Errors', 4, 'dec'],
    ['pptp.hardware_overruns', 'Hardware overruns', 4, 'dec'],
    ['pptp.buffer_overruns', 'Buffer overruns', 4, 'dec'],
    ['pptp.timeout_errors', 'Time-out Errors', 4, 'dec'],
    ['pptp.alignment_errors', 'Alignment Errors', 4, 'dec'],
  ],
  15: [PEER_CALL_ID, R2, ['pptp.send_accm', 'Send ACCM', 4, 'hex'], ['pptp.receive_accm', 'Receive ACCM', 4, 'hex']],
};

function uint(b: Uint8Array, at: number, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + b[at + i];
  return v;
}

/** A fixed-size ASCII field: the text up to the first NUL. */
function asciiz(b: Uint8Array, at: number, size: number): string {
  let s = '';
  for (let i = at; i < at + size && b[i] !== 0; i++) s += String.fromCharCode(b[i]);
  return s;
}

function item(b: Uint8Array, at: number, [name, label, size, kind, names]: Item): Field {
  if (kind === 'bytes') return bytesField(name, label, b, at, size);
  if (kind === 'string') return stringField(name, label, asciiz(b, at, size), at, size);
  const v = uint(b, at, size);
  if (kind === 'version') return uintDec(name, label, v, at, size, { text: `${label}: ${b[at]}.${b[at + 1]}` });
  if (kind === 'hex') return uintHex(name, label, v, size * 2, at, size);
  return uintDec(name, label, v, at, size, names !== undefined ? { text: `${label}: ${names[v] ?? 'Unknown'} (${v})` } : undefined);
}

/** The pptp node(s) for one control message at [off, end) of `b`. */
function message(b: Uint8Array, off: number, end: number): { nodes: ProtoNode[]; info: string } {
  const len = uint(b, off, 2);
  const type = uint(b, off + 8, 2);
  const info = CONTROL_TYPES[type] ?? `Unknown control type (${type})`;
  const fields: Field[] = [uintDec('pptp.length', 'Length', len, off, 2)];
  const mt = uint(b, off + 2, 2);
  fields.push(uintDec('pptp.type', 'Message type', mt, off + 2, 2, { text: `Message type: ${MESSAGE_TYPES[mt] ?? 'Unknown'} (${mt})` }));
  const cookie = uint(b, off + 4, 4);
  const good = cookie === MAGIC_COOKIE;
  fields.push(
    uintHex('pptp.magic_cookie', 'Magic Cookie', cookie, 8, off + 4, 4, {
      text: `Magic Cookie: 0x${cookie.toString(16).padStart(8, '0')} (${good ? 'correct' : 'incorrect'})`,
      children: good ? undefined : [expertField('pptp.magic_cookie.incorrect', 'Incorrect Magic Cookie', 'Warning', 'Protocol', off + 4, 4)],
    }),
  );
  fields.push(uintDec('pptp.control_message_type', 'Control Message Type', type, off + 8, 2, { text: `Control Message Type: ${info} (${type})` }));
  fields.push(bytesField('pptp.reserved', 'Reserved', b, off + 10, 2));
  const body = BODIES[type];
  const nodes: ProtoNode[] = [];
  const node: ProtoNode = { proto: 'pptp', label: 'Point-to-Point Tunnelling Protocol', offset: off, length: Math.min(len, end - off), fields, malformed: [] };
  nodes.push(node);
  if (body === undefined) {
    if (end > off + HEADER) {
      const d = dataNode(b, off + HEADER, end - off - HEADER);
      d.inside = true;
      nodes.push(d);
    }
    return { nodes, info };
  }
  let at = off + HEADER;
  for (const it of body) {
    if (at + it[2] > end) {
      node.malformed.push({ layer: 'pptp', offset: at, reason: `${it[1]} runs past the end of the segment` });
      break;
    }
    fields.push(item(b, at, it));
    at += it[2];
  }
  return { nodes, info };
}

export const pptpTcpApp: TcpAppDissector = {
  name: 'pptp',
  ports: new Set([PPTP_TCP_PORT]),
  // Wireshark hands each segment to PPTP whole, as one message.
  pduLength: (head) => head.length,
  dissect(call: TcpAppCall, _app: TcpAppContext): TcpAppOutput {
    const nodes: ProtoNode[] = [];
    const info: string[] = [];
    for (const pdu of call.pdus) {
      if (pdu.length < HEADER) {
        // Wireshark reads the header past the end: a malformed message.
        nodes.push({
          proto: 'pptp',
          label: 'Point-to-Point Tunnelling Protocol',
          offset: pdu.offset,
          length: pdu.length,
          fields: [],
          malformed: [{ layer: 'pptp', offset: pdu.offset, reason: `PPTP message of ${pdu.length} bytes, shorter than its 12-byte header` }],
        });
        continue;
      }
      const m = message(call.data, pdu.offset, pdu.offset + pdu.length);
      nodes.push(...m.nodes);
      info.push(m.info);
    }
    return { nodes, info, protocol: 'PPTP' };
  },
};
