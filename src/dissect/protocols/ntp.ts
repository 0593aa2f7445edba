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

/** Reference clock identifiers of primary (stratum 0 and 1) servers, as Wireshark 4.0 names them. */
const PRIMARY_SOURCES: Readonly<Record<string, string>> = {
  GOES: 'Geostationary Orbit Environment Satellite',
  'GPS\0': 'Global Position System',
  'GAL\0': 'Galileo Positioning System',
  'PPS\0': 'Generic pulse-per-second',
  IRIG: 'Inter-Range Instrumentation Group',
  WWVB: 'LF Radio WWVB Ft. Collins, CO 60 kHz',
  'DCF\0': 'LF Radio DCF77 Mainflingen, DE 77.5 kHz',
  'HBG\0': 'LF Radio HBG Prangins, HB 75 kHz',
  'MSF\0': 'LF Radio MSF Anthorn, UK 60 kHz',
  'JJY\0': 'LF Radio JJY Fukushima, JP 40 kHz, Saga, JP 60 kHz',
  LORC: 'MF Radio LORAN C station, 100 kHz',
  'TDF\0': 'MF Radio Allouis, FR 162 kHz',
  'CHU\0': 'HF Radio CHU Ottawa, Ontario',
  'WWV\0': 'HF Radio WWV Ft. Collins, CO',
  WWVH: 'HF Radio WWVH Kauai, HI',
  NIST: 'NIST telephone modem',
  ACTS: 'NIST telephone modem',
  USNO: 'USNO telephone modem',
  'PTB\0': 'European telephone modem',
  LOCL: 'uncalibrated local clock',
  CESM: 'calibrated Cesium clock',
  RBDM: 'calibrated Rubidium clock',
  OMEG: 'OMEGA radionavigation system',
  'DCN\0': 'DCN routing protocol',
  'TSP\0': 'TSP time protocol',
  'DTS\0': 'Digital Time Service',
  ATOM: 'Atomic clock (calibrated)',
  'VLF\0': 'VLF radio (OMEGA,, etc.)',
  '1PPS': 'External 1 PPS input',
  FREE: '(Internal clock)',
  INIT: '(Initialization)',
  '\0\0\0\0': 'NULL',
};

function stratumName(s: number): string {
  if (s === 0) return 'unspecified or invalid';
  if (s === 1) return 'primary reference';
  if (s <= 15) return 'secondary reference';
  return s === 16 ? 'unsynchronized' : 'reserved';
}

/** 2^e seconds as C's "%.6f" prints it (exact digits for large powers too). */
function powerOfTwo(e: number): string {
  return e >= 0 ? `${(2n ** BigInt(e)).toString()}.000000` : (2 ** e).toFixed(6);
}

/** The reference ID's text: a primary source's name (stratum 0 and 1), else an IPv4 address. */
function refidText(b: Uint8Array, at: number, stratum: number): string {
  const id = String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
  if (stratum <= 1) {
    const nul = id.indexOf('\0');
    return PRIMARY_SOURCES[id] ?? `Unidentified reference source '${nul < 0 ? id : id.slice(0, nul)}'`;
  }
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

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
    uintDec('ntp.stratum', 'Peer Clock Stratum', b[off + 1], off + 1, 1, { text: `Peer Clock Stratum: ${stratumName(b[off + 1])} (${b[off + 1]})` }),
    uintDec('ntp.ppoll', 'Peer Polling Interval', b[off + 2], off + 2, 1, {
      text: `Peer Polling Interval: ${b[off + 2] >= 4 && b[off + 2] <= 17 ? `${b[off + 2]} (${2 ** b[off + 2]} seconds)` : `invalid (${b[off + 2]})`}`,
    }),
    uintDec('ntp.precision', 'Peer Clock Precision', b[off + 3], off + 3, 1, { text: `Peer Clock Precision: ${powerOfTwo((b[off + 3] << 24) >> 24)} seconds` }),
    uintDec('ntp.rootdelay', 'Root Delay', u32(b, off + 4), off + 4, 4, { text: `Root Delay: ${(u32(b, off + 4) / 65536).toFixed(6)} seconds` }),
    uintDec('ntp.rootdispersion', 'Root Dispersion', u32(b, off + 8), off + 8, 4, { text: `Root Dispersion: ${(u32(b, off + 8) / 65536).toFixed(6)} seconds` }),
    bytesField('ntp.refid', 'Reference ID', b, off + 12, 4, { text: `Reference ID: ${refidText(b, off + 12, b[off + 1])}` }),
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
