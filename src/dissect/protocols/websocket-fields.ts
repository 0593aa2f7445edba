// The websocket.* field names and types (as `tshark -G fields` gives them for Wireshark 4.0) that the
// WebSocket dissector emits, registered with the known-field table when it loads. Data only.

import type { FieldType } from '../filter/types.ts';
import { registerFields } from '../known-fields.ts';

const WEBSOCKET_FIELD_TABLE = `
websocket.fin BOOLEAN
websocket.rsv UINT8
websocket.pmc BOOLEAN
websocket.opcode UINT8
websocket.mask BOOLEAN
websocket.payload_length UINT8
websocket.payload_length_ext_16 UINT16
websocket.payload_length_ext_64 UINT64
websocket.masking_key BYTES
websocket.payload NONE
websocket.masked_payload NONE
websocket.payload.continue BYTES
websocket.payload.text STRING
websocket.payload.close NONE
websocket.payload.close.status_code UINT16
websocket.payload.close.reason STRING
websocket.payload.ping BYTES
websocket.payload.pong BYTES
websocket.payload.unknown BYTES
websocket.decompression.failed.expert NONE
websocket.fragments NONE
websocket.fragment FRAMENUM
websocket.fragment.count UINT32
websocket.reassembled.length UINT32
`;

const entries: Record<string, FieldType> = {
  websocket: 'FT_PROTOCOL',
  'data-text-lines': 'FT_PROTOCOL',
  '_ws.string.trailing_stray_characters': 'FT_NONE',
};
for (const line of WEBSOCKET_FIELD_TABLE.split('\n')) {
  const [name, type] = line.trim().split(/\s+/);
  if (name && type) entries[name] = `FT_${type}` as FieldType;
}
registerFields(entries);

/** Every websocket.* field name the dissector may emit. */
export const WEBSOCKET_FIELD_NAMES: readonly string[] = Object.keys(entries).filter((n) => n.startsWith('websocket.'));

/** Opcode names (RFC 6455 §5.2), as Wireshark's table has them. */
export const WEBSOCKET_OPCODES: Readonly<Record<number, string>> = {
  0: 'Continuation',
  1: 'Text',
  2: 'Binary',
  8: 'Connection Close',
  9: 'Ping',
  10: 'Pong',
};

/** Close status codes (RFC 6455 §7.4.1), as Wireshark's table has them. */
export const WEBSOCKET_CLOSE_CODES: Readonly<Record<number, string>> = {
  1000: 'Normal Closure',
  1001: 'Going Away',
  1002: 'Protocol error',
  1003: 'Unsupported Data',
  1004: '---Reserved----',
  1005: 'No Status Rcvd',
  1006: 'Abnormal Closure',
  1007: 'Invalid frame payload data',
  1008: 'Policy Violation',
  1009: 'Message Too Big',
  1010: 'Mandatory Ext.',
  1011: 'Internal Server',
  1015: 'TLS handshake',
};
