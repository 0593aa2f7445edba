// The link- and network-layer mappers, by decoded layer kind, and the field names they emit that
// the static known-fields table does not list (extension-header protocols, 802.1ad, IPv4 options).

import type { FieldType } from '../filter/types.ts';
import type { ProtocolMapper } from '../context.ts';
import { registerFields } from '../known-fields.ts';
import { mapArp } from './arp.ts';
import { mapEthernet } from './eth.ts';
import { mapIpv4 } from './ip.ts';
import { IP_OPTION_PROTOS } from './ip-options-fields.ts';
import { mapIpv6 } from './ipv6.ts';
import { mapIpv6Ext } from './ipv6-ext-fields.ts';
import { mapLlc } from './llc.ts';
import { mapStp } from './stp.ts';
import { mapNull } from './null.ts';
import { mapRaw } from './raw.ts';
import { mapSll } from './sll.ts';
import { mapVlan } from './vlan.ts';

export const LINK_MAPPERS: Readonly<Record<string, ProtocolMapper>> = {
  ethernet: mapEthernet,
  vlan: mapVlan,
  llc: mapLlc,
  stp: mapStp,
  arp: mapArp,
  sll: mapSll,
  sll2: mapSll,
  null: mapNull,
  raw: mapRaw,
  ipv4: mapIpv4,
  ipv6: mapIpv6,
  'ipv6-hopopts': mapIpv6Ext,
  'ipv6-routing': mapIpv6Ext,
  'ipv6-fragment': mapIpv6Ext,
  'ipv6-dstopts': mapIpv6Ext,
};

const EXTRA_FIELDS: Record<string, FieldType> = {
  'ipv6.hopopts': 'FT_PROTOCOL',
  'ipv6.routing': 'FT_PROTOCOL',
  'ipv6.fraghdr': 'FT_PROTOCOL',
  'ipv6.dstopts': 'FT_PROTOCOL',
  'ieee8021ah.etype': 'FT_UINT16',
  'ieee8021ah.trailer': 'FT_BYTES',
  'ipv6.hopopts.nxt': 'FT_UINT8',
  'ipv6.hopopts.len': 'FT_UINT8',
  'ipv6.hopopts.len_oct': 'FT_UINT16',
  'ipv6.dstopts.nxt': 'FT_UINT8',
  'ipv6.dstopts.len': 'FT_UINT8',
  'ipv6.dstopts.len_oct': 'FT_UINT16',
  'ipv6.routing.nxt': 'FT_UINT8',
  'ipv6.routing.len': 'FT_UINT8',
  'ipv6.routing.len_oct': 'FT_UINT16',
  'ipv6.routing.type': 'FT_UINT8',
  'ipv6.routing.segleft': 'FT_UINT8',
  'ipv6.routing.src.reserved': 'FT_BYTES',
  'ipv6.routing.src.addr': 'FT_IPv6',
  'ipv6.routing.deprecated': 'FT_NONE',
  'ipv6.fraghdr.nxt': 'FT_UINT8',
  'ipv6.fraghdr.reserved_octet': 'FT_UINT8',
  'ipv6.fraghdr.offset': 'FT_UINT16',
  'ipv6.fraghdr.reserved_bits': 'FT_UINT16',
  'ipv6.fraghdr.more': 'FT_BOOLEAN',
  'ipv6.fraghdr.ident': 'FT_UINT32',
  'eth.padding_bad': 'FT_NONE',
};
for (const p of IP_OPTION_PROTOS) EXTRA_FIELDS[p] = 'FT_BYTES';
registerFields(EXTRA_FIELDS);
