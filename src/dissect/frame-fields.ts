// The `frame` protocol: number, lengths, times, encapsulation, protocols in frame, comments.
// Times use seconds + nanoseconds arithmetic the way Wireshark's nstime does, never floats.

import type { CapturedPacket } from '../capture/types.ts';
import type { Malformation } from '../wire/layer.ts';
import type { DissectState } from './context.ts';
import { bool, type Field, type ProtoNode, rawField, stringField, uintDec } from './field.ts';

/** Wireshark's WTAP_ENCAP number for a pcap LINKTYPE (what frame.encap_type prints). */
export const WTAP_ENCAP: Readonly<Record<number, number>> = {
  0: 15, // NULL
  1: 1, // ETHERNET
  12: 7, // RAW (legacy DLT_RAW)
  14: 7,
  101: 7, // RAW_IP
  113: 25, // LINUX_SLL
  228: 129, // RAW_IP4
  229: 130, // RAW_IP6
  276: 210, // LINUX_SLL2
};

const ENCAP_NAME: Readonly<Record<number, string>> = {
  1: 'Ethernet', 7: 'Raw IP', 15: 'NULL/Loopback', 25: 'Linux cooked-mode capture v1',
  129: 'Raw IPv4', 130: 'Raw IPv6', 210: 'Linux cooked-mode capture v2',
};

export interface NsTime {
  secs: number;
  nsecs: number;
}

/** b - a, as Wireshark's nstime_delta computes it (keeps its sign conventions). */
export function nsDelta(b: NsTime, a: NsTime): NsTime {
  if (b.secs === a.secs) return { secs: 0, nsecs: b.nsecs - a.nsecs };
  let secs = b.secs - a.secs;
  let nsecs = b.nsecs - a.nsecs;
  if (b.secs < a.secs) {
    if (nsecs > 0) {
      nsecs -= 1e9;
      secs++;
    }
  } else if (nsecs < 0) {
    nsecs += 1e9;
    secs--;
  }
  return { secs, nsecs };
}

/** Formats a relative time as tshark prints FT_RELATIVE_TIME: `-?S.NNNNNNNNN`. */
export function formatRelTime(t: NsTime): string {
  const neg = t.secs < 0 || t.nsecs < 0;
  return `${neg ? '-' : ''}${Math.abs(t.secs)}.${String(Math.abs(t.nsecs)).padStart(9, '0')}`;
}

/** Formats an absolute time as tshark prints frame.time_epoch. */
export function formatEpoch(t: NsTime): string {
  return `${t.secs}.${String(t.nsecs).padStart(9, '0')}`;
}

interface FrameState {
  first?: NsTime;
  prev?: NsTime;
}

/** Builds the frame node; call after the protocol nodes exist (frame.protocols lists them). */
export function frameNode(packet: CapturedPacket, protos: readonly ProtoNode[], state: DissectState, malformed: readonly Malformation[]): ProtoNode {
  const fs = state.slot<FrameState>('frame', () => ({}));
  const now: NsTime = { secs: packet.tsSec, nsecs: packet.tsNsec };
  const first = fs.first ?? now;
  const prev = fs.prev ?? now;
  fs.first = first;
  fs.prev = now;
  const encap = WTAP_ENCAP[packet.iface.linkType] ?? -1;
  const len = packet.origLength;
  const cap = packet.data.length;
  const isPcapng = packet.iface.container === 'pcapng';
  const fields: Field[] = [];
  if (isPcapng) fields.push(uintDec('frame.interface_id', 'Interface id', packet.interfaceId, 0, 0));
  if (packet.iface.name !== undefined) fields.push(stringField('frame.interface_name', 'Interface name', packet.iface.name, 0, 0));
  fields.push(
    rawField('frame.encap_type', 'Encapsulation type', 'int', encap, String(encap), 0, 0, { text: `Encapsulation type: ${ENCAP_NAME[encap] ?? 'Unknown'} (${encap})` }),
    rawField('frame.time_epoch', 'Epoch Time', 'time', now.secs + now.nsecs / 1e9, formatEpoch(now), 0, 0, { text: `Epoch Time: ${formatEpoch(now)} seconds` }),
    rel('frame.time_delta', 'Time delta from previous captured frame', nsDelta(now, prev)),
    rel('frame.time_delta_displayed', 'Time delta from previous displayed frame', nsDelta(now, prev)),
    rel('frame.time_relative', 'Time since reference or first frame', nsDelta(now, first)),
    uintDec('frame.number', 'Frame Number', packet.number, 0, 0),
    uintDec('frame.len', 'Frame Length', len, 0, 0, { text: `Frame Length: ${len} bytes (${len * 8} bits)` }),
    uintDec('frame.cap_len', 'Capture Length', cap, 0, 0, { text: `Capture Length: ${cap} bytes (${cap * 8} bits)` }),
    bool('frame.marked', 'Frame is marked', false, 0, 0, { generated: true, text: '[Frame is marked: False]' }),
    bool('frame.ignored', 'Frame is ignored', false, 0, 0, { generated: true, text: '[Frame is ignored: False]' }),
  );
  const protocols = protos.map((p) => p.proto).join(':');
  fields.push(stringField('frame.protocols', 'Protocols in frame', protocols, 0, 0, { generated: true, text: `[Protocols in frame: ${protocols}]` }));
  for (const c of packet.comments) fields.push(stringField('frame.comment', 'Comment', c, 0, 0));
  const where = packet.iface.name ?? 'unknown';
  return {
    proto: 'frame',
    label: `Frame ${packet.number}: ${len} bytes on wire (${len * 8} bits), ${cap} bytes captured (${cap * 8} bits) on interface ${where}, id ${packet.interfaceId}`,
    offset: 0,
    length: cap,
    fields,
    malformed: [...malformed],
  };
}

function rel(name: string, label: string, t: NsTime): Field {
  const s = formatRelTime(t);
  return rawField(name, label, 'reltime', t.secs + t.nsecs / 1e9, s, 0, 0, { generated: true, text: `[${label}: ${s} seconds]` });
}
