// DHCP (and BOOTP) over UDP ports 67/68, as Wireshark 4.0's `dhcp` dissector shows it: the fixed
// BOOTP header, the magic cookie, then each option with its type, length and value, and the fields
// Wireshark gives the common options (message type, addresses, lease time, parameter request list,
// domain name...). Info: "DHCP Offer    - Transaction ID 0x7771cf85".

import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { bytesField, etherField, type Field, formatIpv4, ipv4Field, type ProtoNode, rawField, stringField, uintDec, uintHex } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { secsToText } from './icmp-time.ts';
import { bitPattern, bytesFieldT } from './link-fields.ts';
import { macWithName } from './mac-names.ts';

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
  'dhcp.server': 'FT_STRING',
  'dhcp.file': 'FT_STRING',
  'dhcp.option.tftp_server_name': 'FT_STRINGZ',
  'dhcp.option.sip_server.encoding': 'FT_UINT8',
  'dhcp.option.sip_server.address': 'FT_IPv4',
  'dhcp.client_id.type': 'FT_UINT8',
  'dhcp.client_id.undef': 'FT_STRING',
  'dhcp.option.user_class': 'FT_UINT8',
  'dhcp.option.user_class.length': 'FT_UINT8',
  'dhcp.option.user_class.data': 'FT_BYTES',
  'dhcp.option.dhcp_authentication.protocol': 'FT_UINT8',
  'dhcp.option.dhcp_authentication.alg_delay': 'FT_UINT8',
  'dhcp.option.dhcp_authentication.rdm': 'FT_UINT8',
  'dhcp.option.dhcp_authentication.rdm_replay_detection': 'FT_UINT64',
  'dhcp.option.dhcp_authentication.secret_id': 'FT_UINT32',
  'dhcp.option.dhcp_authentication.hmac_md5_hash': 'FT_BYTES',
  'dhcp.option.agent_information_option.suboption': 'FT_UINT8',
  'dhcp.option.suboption_length': 'FT_UINT8',
  'dhcp.option.agent_information_option.value': 'FT_BYTES',
  'dhcp.option.agent_information_option.agent_circuit_id': 'FT_BYTES',
  'dhcp.option.agent_information_option.remote_id': 'FT_BYTES',
});

/** Hardware types of the BOOTP header (ARP's, as Wireshark names them), the common ones. */
const HW_TYPES: Readonly<Record<number, string>> = {
  1: 'Ethernet',
  6: 'IEEE 802 Networks',
  7: 'ARCNET',
  15: 'Frame Relay',
  16: 'ATM',
  20: 'Serial Line',
  32: 'InfiniBand',
};

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
  2: 'Time Offset',
  3: 'Router',
  4: 'Time Server',
  5: 'Name Server',
  6: 'Domain Name Server',
  7: 'Log Server',
  12: 'Host Name',
  15: 'Domain Name',
  26: 'Interface MTU',
  28: 'Broadcast Address',
  33: 'Static Route',
  42: 'Network Time Protocol Servers',
  43: 'Vendor-Specific Information',
  44: 'NetBIOS over TCP/IP Name Server',
  46: 'NetBIOS over TCP/IP Node Type',
  47: 'NetBIOS over TCP/IP Scope',
  50: 'Requested IP Address',
  51: 'IP Address Lease Time',
  53: 'DHCP Message Type',
  54: 'DHCP Server Identifier',
  55: 'Parameter Request List',
  58: 'Renewal Time Value',
  59: 'Rebinding Time Value',
  60: 'Vendor class identifier',
  61: 'Client identifier',
  66: 'TFTP Server Name',
  67: 'Bootfile name',
  77: 'User Class Information',
  81: 'Client Fully Qualified Domain Name',
  82: 'Agent Information Option',
  90: 'Authentication',
  119: 'Domain Search',
  120: 'SIP Servers',
  121: 'Classless Static Route',
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

/** Options whose item shows their one address: "Option: (1) Subnet Mask (255.255.255.0)". */
const ADDRESS_IN_LABEL: ReadonlySet<number> = new Set([1, 16, 28, 32, 50, 54]);
const AUTH_PROTOCOLS: Readonly<Record<number, string>> = {
  0: 'configuration token',
  1: 'delayed authentication',
  2: 'delayed authentication (obsolete)',
  3: 'Reconfigure Key',
};
const AGENT_SUBOPTIONS: Readonly<Record<number, [string, string]>> = {
  1: ['Agent Circuit ID', 'dhcp.option.agent_information_option.agent_circuit_id'],
  2: ['Agent Remote ID', 'dhcp.option.agent_information_option.remote_id'],
};

/** Text up to the first NUL, bytes outside ASCII as U+FFFD. */
function cString(b: Uint8Array, at: number, len: number): string {
  let s = '';
  for (let i = at; i < at + len && b[i] !== 0; i++) s += b[i] < 0x80 ? String.fromCharCode(b[i]) : '\ufffd';
  return s;
}

/** The text after the option's name in its item, when Wireshark shows the value there. */
function labelSuffix(b: Uint8Array, code: number, at: number, len: number): string {
  if (code === 53 && len === 1) return ` (${MESSAGE_TYPES[b[at]] ?? 'Unknown'})`;
  if (ADDRESS_IN_LABEL.has(code) && len === 4) return ` (${formatIpv4(b, at)})`;
  return '';
}

function optionValue(b: Uint8Array, code: number, at: number, len: number): Field[] {
  const out: Field[] = [];
  const ipName = IPV4_OPTIONS[code];
  if (ipName !== undefined && len % 4 === 0 && len > 0) {
    for (let i = 0; i < len; i += 4) out.push(ipv4Field(ipName, OPTION_NAMES[code], b, at + i));
    return out;
  }
  if (TIME_OPTIONS[code] !== undefined && len === 4) {
    const v = u32(b, at);
    return [uintDec(TIME_OPTIONS[code], OPTION_NAMES[code], v, at, 4, { text: `${OPTION_NAMES[code]}: (${v}s) ${secsToText(v)}` })];
  }
  if (STRING_OPTIONS[code] !== undefined && len > 0) {
    const s = cString(b, at, len);
    return [rawField(STRING_OPTIONS[code], OPTION_NAMES[code], 'string', s, s, at, len)];
  }
  if (code === 53 && len === 1) return [uintDec('dhcp.option.dhcp', 'DHCP', b[at], at, 1, { text: `DHCP: ${MESSAGE_TYPES[b[at]] ?? 'Unknown'} (${b[at]})` })];
  if (code === 55) {
    for (let i = 0; i < len; i++) {
      const c = b[at + i];
      out.push(
        uintDec('dhcp.option.request_list_item', 'Parameter Request List Item', c, at + i, 1, {
          text: `Parameter Request List Item: (${c}) ${OPTION_NAMES[c] ?? 'Unknown'}`,
        }),
      );
    }
    return out;
  }
  if (code === 66 && len > 0) {
    const s = cString(b, at, len);
    return [rawField('dhcp.option.tftp_server_name', 'TFTP Server Name', 'string', s, s, at, len)];
  }
  if (code === 61 && len > 0) {
    out.push(uintDec('dhcp.client_id.type', 'Type', b[at], at, 1));
    if (b[at] === 0 && len > 1) {
      const s = cString(b, at + 1, len - 1);
      out.push(rawField('dhcp.client_id.undef', 'Client Identifier', 'string', s, s, at + 1, len - 1));
    }
    return out;
  }
  if (code === 77) {
    let p = at;
    for (let i = 0; p < at + len; i++) {
      const n = b[p];
      if (p + 1 + n > at + len) break;
      out.push(
        uintDec('dhcp.option.user_class', 'Instance of User Class', i, p, 1 + n, {
          text: `Instance of User Class: [${i}]`,
          children: [
            uintDec('dhcp.option.user_class.length', 'User Class Length', n, p, 1),
            bytesFieldT('dhcp.option.user_class.data', 'User Class Data', b, p + 1, n),
          ],
        }),
      );
      p += 1 + n;
    }
    return out;
  }
  if (code === 120 && len > 0) {
    const enc = b[at];
    out.push(
      uintDec('dhcp.option.sip_server.encoding', 'SIP Server Encoding', enc, at, 1, {
        text: `SIP Server Encoding: ${enc === 0 ? 'Fully Qualified Domain Name' : enc === 1 ? 'IPv4 Address' : 'Unknown'} (${enc})`,
      }),
    );
    if (enc === 1) for (let i = at + 1; i + 4 <= at + len; i += 4) out.push(ipv4Field('dhcp.option.sip_server.address', 'SIP Server Address', b, i));
    return out;
  }
  if (code === 90 && len >= 11) {
    const proto = b[at];
    const alg = b[at + 1];
    const rdm = b[at + 2];
    const rdv = (BigInt(u32(b, at + 3)) << 32n) | BigInt(u32(b, at + 7));
    out.push(
      uintDec('dhcp.option.dhcp_authentication.protocol', 'Protocol', proto, at, 1, { text: `Protocol: ${AUTH_PROTOCOLS[proto] ?? 'Unknown'} (${proto})` }),
      uintDec('dhcp.option.dhcp_authentication.alg_delay', 'Delay Algorithm', alg, at + 1, 1, {
        text: `Delay Algorithm: ${alg === 1 ? 'HMAC_MD5' : 'Unknown'} (${alg})`,
      }),
      uintDec('dhcp.option.dhcp_authentication.rdm', 'Replay Detection Method', rdm, at + 2, 1, {
        text: `Replay Detection Method: ${rdm === 0 ? 'Monotonically-increasing counter' : 'Unknown'} (${rdm})`,
      }),
      uintHex('dhcp.option.dhcp_authentication.rdm_replay_detection', 'RDM Replay Detection Value', rdv, 16, at + 3, 8),
    );
    if (proto === 1 && alg === 1 && len === 31)
      out.push(
        uintHex('dhcp.option.dhcp_authentication.secret_id', 'Secret ID', u32(b, at + 11), 8, at + 11, 4),
        bytesFieldT('dhcp.option.dhcp_authentication.hmac_md5_hash', 'HMAC MD5 Hash', b, at + 15, 16),
      );
    return out;
  }
  if (code === 82) {
    let p = at;
    while (p + 2 <= at + len) {
      const sub = b[p];
      const n = b[p + 1];
      if (p + 2 + n > at + len) break;
      const known = AGENT_SUBOPTIONS[sub];
      const kids: Field[] = [
        uintDec('dhcp.option.suboption_length', 'Length', n, p + 1, 1),
        bytesField('dhcp.option.agent_information_option.value', 'Value', b, p + 2, n, { hidden: true }),
      ];
      if (known !== undefined) kids.push(bytesFieldT(known[1], known[0], b, p + 2, n));
      out.push(
        uintDec('dhcp.option.agent_information_option.suboption', 'Option 82 Suboption', sub, p, 2 + n, {
          text: `Option 82 Suboption: (${sub}) ${known?.[0] ?? 'Unknown'}`,
          children: kids,
        }),
      );
      p += 2 + n;
    }
    return out;
  }
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
    uintHex('dhcp.hw.type', 'Hardware type', b[off + 1], 2, off + 1, 1, {
      text: `Hardware type: ${HW_TYPES[b[off + 1]] ?? 'Unknown'} (0x${b[off + 1].toString(16).padStart(2, '0')})`,
    }),
    uintDec('dhcp.hw.len', 'Hardware address length', b[off + 2], off + 2, 1),
    uintDec('dhcp.hops', 'Hops', b[off + 3], off + 3, 1),
    uintHex('dhcp.id', 'Transaction ID', xid, 8, off + 4, 4),
    uintDec('dhcp.secs', 'Seconds elapsed', u16(b, off + 8), off + 8, 2),
    uintHex('dhcp.flags', 'Bootp flags', flags, 4, off + 10, 2, {
      text: `Bootp flags: 0x${flags.toString(16).padStart(4, '0')}${(flags & 0x8000) !== 0 ? ', Broadcast flag (Broadcast)' : ' (Unicast)'}`,
      children: [
        rawField('dhcp.flags.bc', 'Broadcast flag', 'bool', (flags & 0x8000) !== 0, (flags & 0x8000) !== 0 ? '1' : '0', off + 10, 2, {
          text: `${bitPattern(flags, 0x8000, 16)} = Broadcast flag: ${(flags & 0x8000) !== 0 ? 'Broadcast' : 'Unicast'}`,
        }),
        uintHex('dhcp.flags.reserved', 'Reserved flags', flags & 0x7fff, 4, off + 10, 2, {
          text: `${bitPattern(flags, 0x7fff, 16)} = Reserved flags: 0x${(flags & 0x7fff).toString(16).padStart(4, '0')}`,
        }),
      ],
    }),
    ipv4Field('dhcp.ip.client', 'Client IP address', b, off + 12),
    ipv4Field('dhcp.ip.your', 'Your (client) IP address', b, off + 16),
    ipv4Field('dhcp.ip.server', 'Next server IP address', b, off + 20),
    ipv4Field('dhcp.ip.relay', 'Relay agent IP address', b, off + 24),
  );
  if (b[off + 1] === 1 && b[off + 2] === 6) {
    fields.push(
      etherField('dhcp.hw.mac_addr', 'Client MAC address', b, off + 28, { text: `Client MAC address: ${macWithName(b, off + 28)}` }),
      bytesField('dhcp.hw.addr_padding', 'Client hardware address padding', b, off + 34, 10),
    );
  }
  const sname = cString(b, off + 44, 64);
  const file = cString(b, off + 108, 128);
  fields.push(
    stringField('dhcp.server', 'Server host name', sname, off + 44, 64, sname === '' ? { text: 'Server host name not given' } : undefined),
    stringField('dhcp.file', 'Boot file name', file, off + 108, 128, file === '' ? { text: 'Boot file name not given' } : undefined),
  );
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
      fields.push(ended ? pad : uintDec('dhcp.option.type', 'Option', 0, p, q - p, { text: 'Option: (0) Padding', children: [pad] }));
      p = q;
      continue;
    }
    if (ended) break;
    if (code === 255) {
      ended = true;
      // Wireshark's End item carries an option type of 0.
      fields.push(
        uintDec('dhcp.option.type', 'Option', 0, p, 1, { text: 'Option: (255) End', children: [uintDec('dhcp.option.end', 'Option End', 255, p, 1)] }),
      );
      p++;
      continue;
    }
    if (p + 2 > end) break;
    const len = b[p + 1];
    if (p + 2 + len > end) break;
    if (code === 53 && len === 1) type = b[p + 2];
    const name = OPTION_NAMES[code] ?? 'Unknown';
    fields.push(
      uintDec('dhcp.option.type', 'Option', code, p, 2 + len, {
        text: `Option: (${code}) ${name}${labelSuffix(b, code, p + 2, len)}`,
        children: [
          uintDec('dhcp.option.length', 'Length', len, p + 1, 1),
          bytesField('dhcp.option.value', 'Value', b, p + 2, len, { hidden: true }),
          ...optionValue(b, code, p + 2, len),
        ],
      }),
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
