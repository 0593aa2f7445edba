// netlab's floating-IP heartbeat (src/wire/vrrp-heartbeat.ts: 28 bytes, magic "NLHB", UDP port
// 8112 in netsim's floating-VIP pairs, any port src/l4/floating-ip.ts is given) as a protocol of its own, `netlab_hb`. Wireshark has no
// dissector for it and shows the datagram as `data`; these names are netlab's, in Wireshark's style:
// every header byte a field, the CRC-32C with a status as Wireshark shows checksums (2 unverified is
// never used: the CRC is always checked), the preempt bit under the flags. The fields follow the
// bytes, not the codec's verdict, so a heartbeat the codec refuses still shows what it holds and the
// codec's reason as a malformation. Info: "ADVERT 10.0.0.100 priority 200 preempt seq 7 interval 100ms".

import type { Udp } from '../../wire/udp.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import { malformation } from '../../wire/layer.ts';
import { crc32c } from '../../wire/proxy-protocol.ts';
import { decodeHeartbeat, HEARTBEAT_MAGIC } from '../../wire/vrrp-heartbeat.ts';
import type { DissectContext } from '../context.ts';
import { bool, bytesField, type Field, hex, ipv4Field, type ProtoNode, uintDec, uintHex } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { bitPattern } from './link-fields.ts';
import { checksumStatusField } from './udp.ts';

/** The UDP port netsim's floating-VIP pairs heartbeat on (src/netsim/floating-vip.ts HEARTBEAT_PORT). */
export const NETLAB_HB_PORT = 8112;

registerFields({
  netlab_hb: 'FT_PROTOCOL',
  'netlab_hb.magic': 'FT_BYTES',
  'netlab_hb.version': 'FT_UINT8',
  'netlab_hb.type': 'FT_UINT8',
  'netlab_hb.priority': 'FT_UINT8',
  'netlab_hb.flags': 'FT_UINT8',
  'netlab_hb.flags.preempt': 'FT_BOOLEAN',
  'netlab_hb.interval': 'FT_UINT16',
  'netlab_hb.reserved': 'FT_UINT16',
  'netlab_hb.vip': 'FT_IPv4',
  'netlab_hb.instance': 'FT_UINT32',
  'netlab_hb.seq': 'FT_UINT32',
  'netlab_hb.crc': 'FT_UINT32',
  'netlab_hb.crc.status': 'FT_UINT8',
});

const TYPE_NAMES: Readonly<Record<number, string>> = { 1: 'ADVERT', 2: 'RESIGN' };

/**
 * True for a UDP payload on port 8112 that starts with the heartbeat's magic, or on any other port
 * (src/l4/floating-ip.ts heartbeats on a port the user picks) when the codec accepts all 28 bytes,
 * CRC-32C included: a heuristic as strict as the format allows.
 */
export function isNetlabHeartbeat(ctx: DissectContext, layer: DecodedLayer): boolean {
  const prev = ctx.layers[ctx.index - 1];
  if (prev?.kind !== 'udp') return false;
  const b = ctx.frame;
  const off = layer.offset;
  const end = Math.min(off + layer.length, b.length);
  if (end - off < HEARTBEAT_MAGIC.length) return false;
  for (let i = 0; i < HEARTBEAT_MAGIC.length; i++) if (b[off + i] !== HEARTBEAT_MAGIC[i]) return false;
  const u = prev.value as Udp;
  if (u.srcPort === NETLAB_HB_PORT || u.dstPort === NETLAB_HB_PORT) return true;
  return decodeHeartbeat(b.subarray(off, end)).ok;
}

const u16 = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];
const u32 = (b: Uint8Array, at: number): number => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

/** The netlab_hb mapper (over the `data` layer of a UDP datagram that isNetlabHeartbeat accepts). */
export function mapNetlabHeartbeat(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const b = ctx.frame;
  const off = layer.offset;
  const end = Math.min(off + layer.length, b.length);
  const len = end - off;
  const verdict = decodeHeartbeat(b.subarray(off, end));
  const fields: Field[] = [bytesField('netlab_hb.magic', 'Magic', b, off, 4, { text: 'Magic: NLHB' })];
  const node: ProtoNode = {
    proto: 'netlab_hb',
    label: 'netlab floating-IP heartbeat',
    offset: off,
    length: len,
    fields,
    malformed: verdict.ok ? [] : [malformation('netlab_hb', off + verdict.offset, `netlab heartbeat: ${verdict.reason}`)],
    columns: { protocol: 'NETLAB-HB', info: verdict.ok ? '' : `Malformed heartbeat: ${verdict.reason}` },
  };
  const has = (at: number, n: number): boolean => at + n <= len;
  if (has(4, 1)) fields.push(uintDec('netlab_hb.version', 'Version', b[off + 4], off + 4, 1));
  if (has(5, 1)) {
    const t = b[off + 5];
    fields.push(uintDec('netlab_hb.type', 'Type', t, off + 5, 1, { text: `Type: ${TYPE_NAMES[t] ?? 'Unknown'} (${t})` }));
  }
  if (has(6, 1)) fields.push(uintDec('netlab_hb.priority', 'Priority', b[off + 6], off + 6, 1));
  if (has(7, 1)) {
    const f = b[off + 7];
    fields.push(
      uintHex('netlab_hb.flags', 'Flags', f, 2, off + 7, 1, {
        text: `Flags: ${hex(f, 2)}${f & 1 ? ', Preempt' : ''}`,
        children: [
          bool('netlab_hb.flags.preempt', 'Preempt', (f & 1) === 1, off + 7, 1, { text: `${bitPattern(f, 0x01, 8)} = Preempt: ${f & 1 ? 'True' : 'False'}` }),
        ],
      }),
    );
  }
  if (has(8, 2)) {
    const ms = u16(b, off + 8);
    fields.push(uintDec('netlab_hb.interval', 'Interval', ms, off + 8, 2, { text: `Interval: ${ms} ms` }));
  }
  if (has(10, 2)) fields.push(uintHex('netlab_hb.reserved', 'Reserved', u16(b, off + 10), 4, off + 10, 2));
  if (has(12, 4)) fields.push(ipv4Field('netlab_hb.vip', 'Virtual Address', b, off + 12));
  if (has(16, 4)) {
    const id = u32(b, off + 16);
    fields.push(uintHex('netlab_hb.instance', 'Instance ID', id, 8, off + 16, 4, { text: `Instance ID: ${hex(id, 8)} (${id})` }));
  }
  if (has(20, 4)) fields.push(uintDec('netlab_hb.seq', 'Sequence Number', u32(b, off + 20), off + 20, 4));
  if (has(24, 4)) {
    const crc = u32(b, off + 24);
    const want = crc32c(b, off, 24);
    const good = crc === want;
    fields.push(
      uintHex('netlab_hb.crc', 'CRC-32C', crc, 8, off + 24, 4, {
        text: good ? `CRC-32C: ${hex(crc, 8)} [correct]` : `CRC-32C: ${hex(crc, 8)} incorrect, should be ${hex(want, 8)}`,
      }),
      checksumStatusField('netlab_hb.crc.status', good ? 1 : 0, off + 24),
    );
  }
  if (verdict.ok) {
    const h = verdict.value;
    const info = [h.type === 'advert' ? 'ADVERT' : 'RESIGN', h.vip, `priority ${h.priority}`];
    if (h.preempt) info.push('preempt');
    info.push(`seq ${h.seq}`, `interval ${h.intervalMs}ms`);
    node.columns = { protocol: 'NETLAB-HB', info: info.join(' ') };
  }
  return [node];
}
