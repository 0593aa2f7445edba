// NTP (RFC 5905) over UDP port 123, as Wireshark 4.0's `ntp` dissector shows the 48-byte header of
// modes 1-5: flags (leap indicator, version, mode), stratum, poll, precision, root delay and
// dispersion as raw 32-bit values, the reference ID as bytes, and the four timestamps as absolute
// times (seconds since 1900, fraction truncated to nanoseconds). Info: "NTP Version 4, client".

import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { bytesField, type Field, type ProtoNode, rawField, uintDec, uintHex } from '../field.ts';
import { formatAbsTime } from '../frame-fields.ts';
import { registerFields } from '../known-fields.ts';
import { bitPattern } from './link-fields.ts';

registerFields({
  ntp: 'FT_PROTOCOL',
  'ntp.flags': 'FT_UINT8',
  'ntp.flags.li': 'FT_UINT8',
  'ntp.flags.vn': 'FT_UINT8',
  'ntp.flags.mode': 'FT_UINT8',
  'ntp.stratum': 'FT_UINT8',
  'ntp.ppoll': 'FT_UINT8',
  'ntp.precision': 'FT_UINT8',
  'ntp.rootdelay': 'FT_UINT32',
  'ntp.rootdispersion': 'FT_UINT32',
  'ntp.refid': 'FT_BYTES',
  'ntp.reftime': 'FT_ABSOLUTE_TIME',
  'ntp.org': 'FT_ABSOLUTE_TIME',
  'ntp.rec': 'FT_ABSOLUTE_TIME',
  'ntp.xmt': 'FT_ABSOLUTE_TIME',
});

export const NTP_UDP_PORT = 123;
/** Seconds from 1900-01-01 to 1970-01-01. */
const NTP_EPOCH_OFFSET = 2_208_988_800;

const MODES: Readonly<Record<number, string>> = {
  0: 'reserved',
  1: 'symmetric active',
  2: 'symmetric passive',
  3: 'client',
  4: 'server',
  5: 'broadcast',
  6: 'reserved for NTP control message',
  7: 'reserved for private use',
};
const LEAP: Readonly<Record<number, string>> = {
  0: 'no warning',
  1: 'last minute of the day has 61 seconds',
  2: 'last minute of the day has 59 seconds',
  3: 'unknown (clock unsynchronized)',
};

const u32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

export function isNtp(ctx: DissectContext): boolean {
  const prev = ctx.layers[ctx.index - 1];
  if (prev?.kind !== 'udp') return false;
  const v = prev.value as { srcPort: number; dstPort: number };
  return v.srcPort === NTP_UDP_PORT || v.dstPort === NTP_UDP_PORT;
}

function timeField(name: string, label: string, b: Uint8Array, at: number): Field {
  // An all-zero timestamp means "not set": Wireshark prints NULL.
  if (u32(b, at) === 0 && u32(b, at + 4) === 0) return rawField(name, label, 'time', 0, 'NULL', at, 8, { text: `${label}: NULL` });
  const secs = u32(b, at) - NTP_EPOCH_OFFSET;
  const nsecs = Math.floor((u32(b, at + 4) * 1e9) / 2 ** 32);
  const show = formatAbsTime({ secs, nsecs });
  return rawField(name, label, 'time', secs + nsecs / 1e9, show, at, 8, { text: `${label}: ${show}` });
}

/** The ntp mapper (over the `data` layer of a UDP datagram to or from port 123). */
export function mapNtp(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] | undefined {
  const b = ctx.frame;
  const off = layer.offset;
  const end = Math.min(layer.offset + layer.length, b.length);
  const flags = b[off];
  const mode = flags & 7;
  const vn = (flags >>> 3) & 7;
  const li = flags >>> 6;
  // Control and private messages have other layouts; a short datagram is no NTP header.
  if (end - off < 48 || mode === 0 || mode > 5) return undefined;
  const fields: Field[] = [
    uintHex('ntp.flags', 'Flags', flags, 2, off, 1, {
      text: `Flags: 0x${flags.toString(16).padStart(2, '0')}, Leap Indicator: ${LEAP[li]}, Version number: NTP Version ${vn}, Mode: ${MODES[mode]}`,
      children: [
        uintDec('ntp.flags.li', 'Leap Indicator', li, off, 1, { text: `${bitPattern(flags, 0xc0, 8)} = Leap Indicator: ${LEAP[li]} (${li})` }),
        uintDec('ntp.flags.vn', 'Version number', vn, off, 1, { text: `${bitPattern(flags, 0x38, 8)} = Version number: NTP Version ${vn} (${vn})` }),
        uintDec('ntp.flags.mode', 'Mode', mode, off, 1, { text: `${bitPattern(flags, 0x07, 8)} = Mode: ${MODES[mode]} (${mode})` }),
      ],
    }),
    uintDec('ntp.stratum', 'Peer Clock Stratum', b[off + 1], off + 1, 1),
    uintDec('ntp.ppoll', 'Peer Polling Interval', b[off + 2], off + 2, 1),
    uintDec('ntp.precision', 'Peer Clock Precision', b[off + 3], off + 3, 1),
    uintDec('ntp.rootdelay', 'Root Delay', u32(b, off + 4), off + 4, 4),
    uintDec('ntp.rootdispersion', 'Root Dispersion', u32(b, off + 8), off + 8, 4),
    bytesField('ntp.refid', 'Reference ID', b, off + 12, 4),
    timeField('ntp.reftime', 'Reference Timestamp', b, off + 16),
    timeField('ntp.org', 'Origin Timestamp', b, off + 24),
    timeField('ntp.rec', 'Receive Timestamp', b, off + 32),
    timeField('ntp.xmt', 'Transmit Timestamp', b, off + 40),
  ];
  const info = `NTP Version ${vn}, ${MODES[mode]}`;
  return [
    { proto: 'ntp', label: `Network Time Protocol (${info})`, offset: off, length: end - off, fields, malformed: [], columns: { protocol: 'NTP', info } },
  ];
}
