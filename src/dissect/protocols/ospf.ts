// OSPF for IPv6 (OSPFv3, RFC 5340; IP protocol 89) as Wireshark 4.0's `ospf` dissector shows it: the
// 16-byte header (version, message type with its hidden per-type flag, packet length, source router,
// area, checksum verified over the IPv6 pseudo-header, instance id, reserved) and the Hello packet
// (interface id, priority, the 24-bit options with each bit, intervals, designated routers and
// neighbors). The pseudo-header's destination is the final one: the last address of a type 0
// routing header, as Wireshark takes it. Info: the message type ("Hello Packet").
// OSPFv2 and the other v3 message bodies are not dissected here (no node: the bytes stay unclaimed).

import { internetChecksum, ipv6PseudoSum } from '../../wire/checksum.ts';
import type { Ipv6Routing } from '../../wire/ipv6-ext.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { bool, bytesField, type Field, ipv4Field, labelField, type ProtoNode, uintDec, uintHex } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { bitPattern } from './link-fields.ts';
import { checksumShouldBe, enclosingIpOf } from './udp.ts';

registerFields({
  ospf: 'FT_PROTOCOL',
  'ospf.header': 'FT_NONE',
  'ospf.version': 'FT_UINT8',
  'ospf.msg': 'FT_UINT8',
  'ospf.msg.hello': 'FT_BOOLEAN',
  'ospf.msg.dbdesc': 'FT_BOOLEAN',
  'ospf.msg.lsreq': 'FT_BOOLEAN',
  'ospf.msg.lsupdate': 'FT_BOOLEAN',
  'ospf.msg.lsack': 'FT_BOOLEAN',
  'ospf.packet_length': 'FT_UINT16',
  'ospf.srcrouter': 'FT_IPv4',
  'ospf.area_id': 'FT_IPv4',
  'ospf.checksum': 'FT_UINT16',
  'ospf.instance_id': 'FT_UINT8',
  'ospf.reserved': 'FT_BYTES',
  'ospf.hello': 'FT_NONE',
  'ospf.hello.interface_id': 'FT_UINT32',
  'ospf.hello.router_priority': 'FT_UINT8',
  'ospf.v3.options': 'FT_UINT24',
  'ospf.v3.options.at': 'FT_BOOLEAN',
  'ospf.v3.options.l': 'FT_BOOLEAN',
  'ospf.v3.options.af': 'FT_BOOLEAN',
  'ospf.v3.options.dc': 'FT_BOOLEAN',
  'ospf.v3.options.r': 'FT_BOOLEAN',
  'ospf.v3.options.n': 'FT_BOOLEAN',
  'ospf.v3.options.mc': 'FT_BOOLEAN',
  'ospf.v3.options.e': 'FT_BOOLEAN',
  'ospf.v3.options.v6': 'FT_BOOLEAN',
  'ospf.hello.hello_interval': 'FT_UINT16',
  'ospf.hello.router_dead_interval': 'FT_UINT32',
  'ospf.hello.designated_router': 'FT_IPv4',
  'ospf.hello.backup_designated_router': 'FT_IPv4',
  'ospf.hello.active_neighbor': 'FT_IPv4',
});

export const OSPF_IP_PROTOCOL = 89;
const HEADER_V3 = 16;

const MESSAGES: Readonly<Record<number, { name: string; flag: string; label: string }>> = {
  1: { name: 'Hello Packet', flag: 'ospf.msg.hello', label: 'Hello' },
  2: { name: 'DB Description', flag: 'ospf.msg.dbdesc', label: 'Database Description' },
  3: { name: 'LS Request', flag: 'ospf.msg.lsreq', label: 'Link State Adv Request' },
  4: { name: 'LS Update', flag: 'ospf.msg.lsupdate', label: 'Link State Adv Update' },
  5: { name: 'LS Acknowledge', flag: 'ospf.msg.lsack', label: 'Link State Adv Acknowledgement' },
};

/** The v3 options bits, in the order Wireshark's tree lists them. */
const V3_OPTIONS: readonly { mask: number; name: string; field: string }[] = [
  { mask: 0x400, name: 'AT', field: 'ospf.v3.options.at' },
  { mask: 0x200, name: 'L', field: 'ospf.v3.options.l' },
  { mask: 0x100, name: 'AF', field: 'ospf.v3.options.af' },
  { mask: 0x20, name: 'DC', field: 'ospf.v3.options.dc' },
  { mask: 0x10, name: 'R', field: 'ospf.v3.options.r' },
  { mask: 0x08, name: 'N', field: 'ospf.v3.options.n' },
  { mask: 0x04, name: 'MC', field: 'ospf.v3.options.mc' },
  { mask: 0x02, name: 'E', field: 'ospf.v3.options.e' },
  { mask: 0x01, name: 'V6', field: 'ospf.v3.options.v6' },
];

/** RFC 5838's instance id ranges per address family. */
function instanceName(id: number): string {
  if (id < 32) return 'IPv6 unicast AF';
  if (id < 64) return 'IPv6 multicast AF';
  if (id < 96) return 'IPv4 unicast AF';
  if (id < 128) return 'IPv4 multicast AF';
  return 'Reserved';
}

/** True for the payload of an IP packet (or an AH header) whose next protocol is 89. */
export function isOspf(ctx: DissectContext): boolean {
  const prev = ctx.layers[ctx.index - 1];
  if (prev === undefined) return false;
  if (prev.kind === 'ipv4') {
    const v = prev.value as { protocol?: number; mf?: boolean; fragmentOffset?: number };
    return v.protocol === OSPF_IP_PROTOCOL && v.mf !== true && (v.fragmentOffset ?? 0) === 0;
  }
  if (prev.kind.startsWith('ipv6') || prev.kind === 'ah') return (prev.value as { nextHeader?: number } | null)?.nextHeader === OSPF_IP_PROTOCOL;
  return false;
}

const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/** The IPv6 destination the pseudo-header uses: the last address of a type 0 routing header, else the header's. */
function finalDestination(ctx: DissectContext, dst: Uint8Array): Uint8Array {
  let out = dst;
  for (let i = 0; i < ctx.index; i++) {
    const l = ctx.layers[i];
    if (l.kind !== 'ipv6-routing') continue;
    const r = l.value as Ipv6Routing | null;
    const last = r?.addresses?.[r.addresses.length - 1];
    if (r !== null && r.routingType === 0 && r.segmentsLeft > 0 && last !== undefined) out = last;
  }
  return out;
}

function checksumField(ctx: DissectContext, off: number, len: number): Field {
  const b = ctx.frame;
  const field = u16(b, off + 12);
  const ip = enclosingIpOf(ctx);
  let note = '';
  if (ip?.version === 6 && off + len <= b.length) {
    const sum = ipv6PseudoSum(ip.src, finalDestination(ctx, ip.dst), OSPF_IP_PROTOCOL, len);
    const computed = internetChecksum(b, off, len, sum);
    note = computed === 0 ? ' [correct]' : ` [incorrect, should be 0x${checksumShouldBe(field, computed).toString(16).padStart(4, '0')}]`;
  }
  return uintHex('ospf.checksum', 'Checksum', field, 4, off + 12, 2, { text: `Checksum: 0x${field.toString(16).padStart(4, '0')}${note}` });
}

function helloV3(b: Uint8Array, at: number, end: number): Field {
  const children: Field[] = [];
  children.push(uintDec('ospf.hello.interface_id', 'Interface ID', u32(b, at), at, 4));
  children.push(uintDec('ospf.hello.router_priority', 'Router Priority', b[at + 4], at + 4, 1));
  const opts = (b[at + 5] << 16) | (b[at + 6] << 8) | b[at + 7];
  const set = V3_OPTIONS.filter((o) => (opts & o.mask) !== 0).map((o) => o.name);
  children.push(
    uintHex('ospf.v3.options', 'Options', opts, 6, at + 5, 3, {
      text: `Options: 0x${opts.toString(16).padStart(6, '0')}${set.length > 0 ? `, ${set.join(', ')}` : ''}`,
      children: V3_OPTIONS.map((o) =>
        bool(o.field, o.name, (opts & o.mask) !== 0, at + 5, 3, {
          text: `${bitPattern(opts, o.mask, 24)} = ${o.name}: ${(opts & o.mask) !== 0 ? 'Set' : 'Not set'}`,
        }),
      ),
    }),
  );
  children.push(uintDec('ospf.hello.hello_interval', 'Hello Interval [sec]', u16(b, at + 8), at + 8, 2));
  children.push(uintDec('ospf.hello.router_dead_interval', 'Router Dead Interval [sec]', u16(b, at + 10), at + 10, 2));
  children.push(ipv4Field('ospf.hello.designated_router', 'Designated Router', b, at + 12));
  children.push(ipv4Field('ospf.hello.backup_designated_router', 'Backup Designated Router', b, at + 16));
  for (let n = at + 20; n + 4 <= end; n += 4) children.push(ipv4Field('ospf.hello.active_neighbor', 'Active Neighbor', b, n));
  return labelField('ospf.hello', 'OSPF Hello Packet', at, end - at, { text: 'OSPF Hello Packet', children });
}

/** The ospf mapper (OSPFv3); undefined for what it does not dissect. */
export function mapOspf(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] | undefined {
  const b = ctx.frame;
  const off = layer.offset;
  const end = Math.min(off + layer.length, b.length);
  if (end - off < HEADER_V3 || b[off] !== 3) return undefined;
  const type = b[off + 1];
  const len = u16(b, off + 2);
  const msg = MESSAGES[type];
  if (msg === undefined || len < HEADER_V3 || off + len > end) return undefined;
  const header: Field[] = [
    uintDec('ospf.version', 'Version', 3, off, 1),
    uintDec('ospf.msg', 'Message Type', type, off + 1, 1, { text: `Message Type: ${msg.name} (${type})` }),
    bool(msg.flag, msg.label, true, off + 1, 1, { hidden: true }),
    uintDec('ospf.packet_length', 'Packet Length', len, off + 2, 2),
    ipv4Field('ospf.srcrouter', 'Source OSPF Router', b, off + 4),
    ipv4Field('ospf.area_id', 'Area ID', b, off + 8),
    checksumField(ctx, off, len),
    uintDec('ospf.instance_id', 'Instance ID', b[off + 14], off + 14, 1, { text: `Instance ID: ${instanceName(b[off + 14])} (${b[off + 14]})` }),
    bytesField('ospf.reserved', 'Reserved', b, off + 15, 1),
  ];
  const fields: Field[] = [labelField('ospf.header', 'OSPF Header', off, HEADER_V3, { text: 'OSPF Header', children: header })];
  if (type === 1 && len >= HEADER_V3 + 20) fields.push(helloV3(b, off + HEADER_V3, off + len));
  else if (type !== 1) return undefined;
  return [
    {
      proto: 'ospf',
      label: 'Open Shortest Path First',
      offset: off,
      length: end - off,
      fields,
      malformed: [],
      columns: { protocol: 'OSPF', info: msg.name },
    },
  ];
}
