// DHCP (and BOOTP) over UDP ports 67/68, as Wireshark 4.0's `dhcp` dissector shows it: the fixed
// BOOTP header, the magic cookie, then each option with its type, length and value, and the fields
// Wireshark gives the common options (message type, addresses, lease time, parameter request list,
// domain name...). Info: "DHCP Offer    - Transaction ID 0x7771cf85".

import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { bytesField, etherField, type Field, formatIpv4, ipv4Field, type ProtoNode, rawField, uintDec, uintHex } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { bitPattern, textItem } from './link-fields.ts';

registerFields({
  dhcp: 'FT_PROTOCOL',
  'dhcp.type': 'FT_UINT8',
  'dhcp.hw.type': 'FT_UINT8',
  'dhcp.hw.len': 'FT_UINT8',
  'dhcp.hops': 'FT_UINT8',
  'dhcp.id': 'FT_UINT32',
  'dhcp.secs': 'FT_UINT16',
  'dhcp.flags': 'FT_UINT16',
  'dhcp.flags.bc': 'FT_BOOLEAN',
  'dhcp.flags.reserved': 'FT_UINT16',
  'dhcp.ip.client': 'FT_IPv4',
  'dhcp.ip.your': 'FT_IPv4',
  'dhcp.ip.server': 'FT_IPv4',
  'dhcp.ip.relay': 'FT_IPv4',
  'dhcp.hw.mac_addr': 'FT_ETHER',
  'dhcp.hw.addr_padding': 'FT_BYTES',
  'dhcp.cookie': 'FT_IPv4',
  'dhcp.option.type': 'FT_UINT8',
  'dhcp.option.length': 'FT_UINT8',
  'dhcp.option.value': 'FT_BYTES',
  'dhcp.option.dhcp': 'FT_UINT8',
  'dhcp.option.subnet_mask': 'FT_IPv4',
  'dhcp.option.router': 'FT_IPv4',
  'dhcp.option.domain_name_server': 'FT_IPv4',
  'dhcp.option.broadcast_address': 'FT_IPv4',
  'dhcp.option.requested_ip_address': 'FT_IPv4',
  'dhcp.option.dhcp_server_id': 'FT_IPv4',
  'dhcp.option.ip_address_lease_time': 'FT_UINT32',
  'dhcp.option.renewal_time_value': 'FT_UINT32',
  'dhcp.option.rebinding_time_value': 'FT_UINT32',
  'dhcp.option.domain_name': 'FT_STRING',
  'dhcp.option.hostname': 'FT_STRING',
  'dhcp.option.request_list_item': 'FT_UINT8',
  'dhcp.option.end': 'FT_UINT8',
  'dhcp.option.padding': 'FT_BYTES',
});

/** UDP ports Wireshark gives to DHCP. */
export const DHCP_UDP_PORTS: ReadonlySet<number> = new Set([67, 68]);

const MESSAGE_TYPES: Readonly<Record<number, string>> = {
  1: 'Discover',
  2: 'Offer',
  3: 'Request',
  4: 'Decline',
  5: 'ACK',
  6: 'NAK',
  7: 'Release',
  8: 'Inform',
  9: 'Force Renew',
  10: 'Lease query',
  11: 'Lease Unassigned',
  12: 'Lease Unknown',
  13: 'Lease Active',
};

const OPTION_NAMES: Readonly<Record<number, string>> = {
  1: 'Subnet Mask',
  3: 'Router',
  6: 'Domain Name Server',
  12: 'Host Name',
  15: 'Domain Name',
  28: 'Broadcast Address',
  50: 'Requested IP Address',
  51: 'IP Address Lease Time',
  53: 'DHCP Message Type',
  54: 'DHCP Server Identifier',
  55: 'Parameter Request List',
  58: 'Renewal Time Value',
  59: 'Rebinding Time Value',
  255: 'End',
};

const IPV4_OPTIONS: Readonly<Record<number, string>> = {
  1: 'dhcp.option.subnet_mask',
  3: 'dhcp.option.router',
  6: 'dhcp.option.domain_name_server',
  28: 'dhcp.option.broadcast_address',
  50: 'dhcp.option.requested_ip_address',
  54: 'dhcp.option.dhcp_server_id',
};
const TIME_OPTIONS: Readonly<Record<number, string>> = {
  51: 'dhcp.option.ip_address_lease_time',
  58: 'dhcp.option.renewal_time_value',
  59: 'dhcp.option.rebinding_time_value',
};
const STRING_OPTIONS: Readonly<Record<number, string>> = { 12: 'dhcp.option.hostname', 15: 'dhcp.option.domain_name' };

const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/** True when the UDP layer before `index` runs between DHCP ports. */
export function isDhcp(ctx: DissectContext): boolean {
  const prev = ctx.layers[ctx.index - 1];
  if (prev?.kind !== 'udp') return false;
  const v = prev.value as { srcPort: number; dstPort: number };
  return DHCP_UDP_PORTS.has(v.srcPort) || DHCP_UDP_PORTS.has(v.dstPort);
}

function optionValue(b: Uint8Array, code: number, at: number, len: number): Field[] {
  const out: Field[] = [];
  const ipName = IPV4_OPTIONS[code];
  if (ipName !== undefined && len % 4 === 0 && len > 0) {
    for (let i = 0; i < len; i += 4) out.push(ipv4Field(ipName, OPTION_NAMES[code], b, at + i));
    return out;
  }
  if (TIME_OPTIONS[code] !== undefined && len === 4) return [uintDec(TIME_OPTIONS[code], OPTION_NAMES[code], u32(b, at), at, 4)];
  if (STRING_OPTIONS[code] !== undefined && len > 0) {
    let s = '';
    for (let i = at; i < at + len && b[i] !== 0; i++) s += b[i] < 0x80 ? String.fromCharCode(b[i]) : '\ufffd';
    return [rawField(STRING_OPTIONS[code], OPTION_NAMES[code], 'string', s, s, at, len)];
  }
  if (code === 53 && len === 1) return [uintDec('dhcp.option.dhcp', 'DHCP', b[at], at, 1, { text: `DHCP: ${MESSAGE_TYPES[b[at]] ?? 'Unknown'} (${b[at]})` })];
  if (code === 55) for (let i = 0; i < len; i++) out.push(uintDec('dhcp.option.request_list_item', 'Parameter Request List Item', b[at + i], at + i, 1));
  return out;
}

/** The dhcp mapper (over the `data` layer a UDP datagram between ports 67 and 68 leaves). */
export function mapDhcp(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] | undefined {
  const b = ctx.frame;
  const off = layer.offset;
  const end = Math.min(layer.offset + layer.length, b.length);
  // A BOOTP header is 236 bytes; shorter datagrams are left to the caller.
  if (end - off < 240) return undefined;
  const fields: Field[] = [];
  const op = b[off];
  const xid = u32(b, off + 4);
  const flags = u16(b, off + 10);
  fields.push(
    uintDec('dhcp.type', 'Message type', op, off, 1, { text: `Message type: ${op === 1 ? 'Boot Request' : op === 2 ? 'Boot Reply' : 'Unknown'} (${op})` }),
    uintHex('dhcp.hw.type', 'Hardware type', b[off + 1], 2, off + 1, 1),
    uintDec('dhcp.hw.len', 'Hardware address length', b[off + 2], off + 2, 1),
    uintDec('dhcp.hops', 'Hops', b[off + 3], off + 3, 1),
    uintHex('dhcp.id', 'Transaction ID', xid, 8, off + 4, 4),
    uintDec('dhcp.secs', 'Seconds elapsed', u16(b, off + 8), off + 8, 2),
    uintHex('dhcp.flags', 'Bootp flags', flags, 4, off + 10, 2, {
      children: [
        rawField('dhcp.flags.bc', 'Broadcast flag', 'bool', (flags & 0x8000) !== 0, (flags & 0x8000) !== 0 ? '1' : '0', off + 10, 2, {
          text: `${bitPattern(flags, 0x8000, 16)} = Broadcast flag: ${(flags & 0x8000) !== 0 ? 'Broadcast' : 'Unicast'}`,
        }),
        uintHex('dhcp.flags.reserved', 'Reserved flags', flags & 0x7fff, 4, off + 10, 2),
      ],
    }),
    ipv4Field('dhcp.ip.client', 'Client IP address', b, off + 12),
    ipv4Field('dhcp.ip.your', 'Your (client) IP address', b, off + 16),
    ipv4Field('dhcp.ip.server', 'Next server IP address', b, off + 20),
    ipv4Field('dhcp.ip.relay', 'Relay agent IP address', b, off + 24),
  );
  if (b[off + 1] === 1 && b[off + 2] === 6) {
    fields.push(
      etherField('dhcp.hw.mac_addr', 'Client MAC address', b, off + 28),
      bytesField('dhcp.hw.addr_padding', 'Client hardware address padding', b, off + 34, 10),
    );
  }
  const cookieAt = off + 236;
  const node: ProtoNode = { proto: 'dhcp', label: 'Dynamic Host Configuration Protocol', offset: off, length: end - off, fields, malformed: [] };
  if (u32(b, cookieAt) !== 0x63825363) {
    node.columns = { protocol: 'BOOTP', info: `Boot ${op === 1 ? 'Request' : 'Reply'} - Transaction ID 0x${xid.toString(16)}` };
    return [node];
  }
  fields.push(
    rawField('dhcp.cookie', 'Magic cookie', 'ipv4', b.slice(cookieAt, cookieAt + 4), formatIpv4(b, cookieAt), cookieAt, 4, { text: 'Magic cookie: DHCP' }),
  );
  let p = cookieAt + 4;
  let type: number | undefined;
  let ended = false;
  while (p < end) {
    const code = b[p];
    if (code === 0) {
      let q = p;
      while (q < end && b[q] === 0) q++;
      const pad = bytesField('dhcp.option.padding', 'Padding', b, p, q - p);
      // Before End, a run of Pad bytes is an option of its own (type 0); after it, only padding.
      fields.push(ended ? pad : textItem('Option: (0) Padding', p, q - p, [uintDec('dhcp.option.type', 'Option', 0, p, 1, { hidden: true }), pad]));
      p = q;
      continue;
    }
    if (ended) break;
    if (code === 255) {
      ended = true;
      fields.push(textItem('Option: (255) End', p, 1, [uintDec('dhcp.option.end', 'Option End', 255, p, 1)]));
      // Wireshark's End item carries an option type of 0.
      fields[fields.length - 1].children?.unshift(uintDec('dhcp.option.type', 'Option', 0, p, 1, { hidden: true }));
      p++;
      continue;
    }
    if (p + 2 > end) break;
    const len = b[p + 1];
    if (p + 2 + len > end) break;
    if (code === 53 && len === 1) type = b[p + 2];
    const name = OPTION_NAMES[code] ?? 'Unknown';
    fields.push(
      textItem(`Option: (${code}) ${name}`, p, 2 + len, [
        uintDec('dhcp.option.type', 'Option', code, p, 1),
        uintDec('dhcp.option.length', 'Length', len, p + 1, 1),
        bytesField('dhcp.option.value', 'Value', b, p + 2, len, { hidden: true }),
        ...optionValue(b, code, p + 2, len),
      ]),
    );
    p += 2 + len;
  }
  const tname = type !== undefined ? (MESSAGE_TYPES[type] ?? 'Unknown Message Type') : undefined;
  node.label = tname !== undefined ? `Dynamic Host Configuration Protocol (${tname})` : node.label;
  node.columns = {
    protocol: 'DHCP',
    info:
      tname !== undefined
        ? `DHCP ${tname.padEnd(8)} - Transaction ID 0x${xid.toString(16)}`
        : `Boot ${op === 1 ? 'Request' : 'Reply'} - Transaction ID 0x${xid.toString(16)}`,
  };
  return [node];
}
