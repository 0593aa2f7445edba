// The `frame` protocol: number, lengths, times, encapsulation, protocols in frame; and the
// `pkt_comment` node tshark puts before it for pcapng packet comments.
// Times use seconds + nanoseconds arithmetic the way Wireshark's nstime does, never floats.

import type { CapturedPacket } from '../capture/types.ts';
import type { Malformation } from '../wire/layer.ts';
import type { DissectState } from './context.ts';
import { expertField } from './expert.ts';
import { bool, type Field, type ProtoNode, rawField, stringField, uintDec } from './field.ts';
import { UNDISSECTED_ENCAP_NAME, UNDISSECTED_LINK_ENCAP } from './protocols/link-undissected-encap.ts';

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
  ...UNDISSECTED_LINK_ENCAP,
};

const ENCAP_NAME: Readonly<Record<number, string>> = {
  1: 'Ethernet',
  7: 'Raw IP',
  15: 'NULL/Loopback',
  25: 'Linux cooked-mode capture v1',
  129: 'Raw IPv4',
  130: 'Raw IPv6',
  210: 'Linux cooked-mode capture v2',
  ...UNDISSECTED_ENCAP_NAME,
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
  return `${neg ? '-' : ''}${Math.abs(t.secs)}.${nine(Math.abs(t.nsecs))}`;
}

/** A non-negative whole number as at least nine digits, zeros in front (`padStart(9, '0')`). */
function nine(n: number): string {
  // 1e9 + n has ten digits for n below 1e9: the nine after the leading 1 are the padded number.
  return n < 1e9 && Number.isInteger(n) ? String(1e9 + n).slice(1) : String(n).padStart(9, '0');
}

/** A relative time with `digits` decimals (truncated), as the summary's Time column shows it. */
export function formatRelTimePrecision(t: NsTime, digits: number): string {
  const neg = t.secs < 0 || t.nsecs < 0;
  const frac = String(Math.abs(t.nsecs)).padStart(9, '0').slice(0, digits);
  return `${neg ? '-' : ''}${Math.abs(t.secs)}${digits > 0 ? '.' + frac : ''}`;
}

/** Formats an absolute time as tshark prints frame.time_epoch (a negative part signs the whole). */
export function formatEpoch(t: NsTime): string {
  const neg = t.secs < 0 || t.nsecs < 0;
  return `${neg ? '-' : ''}${Math.abs(t.secs)}.${String(Math.abs(t.nsecs)).padStart(9, '0')}`;
}

/** A fraction as C's `%09d` prints it: a negative one keeps its sign inside the nine places. */
export function fraction9(nsecs: number): string {
  return nsecs < 0 ? `-${String(-nsecs).padStart(8, '0')}` : String(nsecs).padStart(9, '0');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const zoneFormats = new Map<string, Intl.DateTimeFormat>();
let zoneCache: { hour: number; name: string } | undefined;

/** The local time zone's abbreviation at a moment ("UTC", "CET", "PST"), as strftime's %Z. */
function zoneName(d: Date): string {
  // Zones change their abbreviation on the hour at most: one lookup per hour of capture time.
  const hour = Math.floor(d.getTime() / 3_600_000);
  if (zoneCache?.hour === hour) return zoneCache.name;
  const pick = (locale: string): string => {
    let f = zoneFormats.get(locale);
    if (f === undefined) {
      f = new Intl.DateTimeFormat(locale, { timeZoneName: 'short' });
      zoneFormats.set(locale, f);
    }
    return f.formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
  };
  const us = pick('en-US');
  const name = us.startsWith('GMT') && us !== 'GMT' ? pick('en-GB') : us;
  zoneCache = { hour, name };
  return name;
}

/** An absolute time as tshark prints FT_ABSOLUTE_TIME in local time: `Dec  8, 2020 19:10:03.986596000 UTC`. */
export function formatAbsTime(t: NsTime): string {
  // Consecutive frames mostly fall in the same second: the text up to the seconds is kept for it.
  if (absCache === undefined || absCache.secs !== t.secs) {
    const d = new Date(t.secs * 1000);
    if (Number.isNaN(d.getTime())) return 'Not representable';
    const two = (n: number): string => String(n).padStart(2, '0');
    const date = `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')}, ${d.getFullYear()}`;
    absCache = { secs: t.secs, head: `${date} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.`, zone: zoneName(d) };
  }
  return `${absCache.head}${fraction9(t.nsecs)} ${absCache.zone}`;
}

let absCache: { secs: number; head: string; zone: string } | undefined;

/** Digits of the Time column for an interface's timestamp resolution (1e6 -> 6, 1e9 -> 9). */
export function timePrecision(tsResolution: number): number {
  if (!(tsResolution > 1)) return 0;
  const digits = Math.ceil(Math.log10(tsResolution) - 1e-9);
  if (digits <= 3) return digits;
  return digits <= 6 ? 6 : 9;
}

interface FrameState {
  /** Seconds and nanoseconds of the first frame, the previous frame and the previous displayed one. */
  started: boolean;
  firstSecs: number;
  firstNsecs: number;
  prevSecs: number;
  prevNsecs: number;
  displayedSecs: number;
  displayedNsecs: number;
  /** True once a frame was displayed (with display tracking on). */
  displayedSeen: boolean;
  /** True once the caller reports which frames it displays (a display filter is in use). */
  tracksDisplay: boolean;
}

function frameState(state: DissectState): FrameState {
  return state.slot<FrameState>('frame', newFrameState);
}

function newFrameState(): FrameState {
  return {
    started: false,
    firstSecs: 0,
    firstNsecs: 0,
    prevSecs: 0,
    prevNsecs: 0,
    displayedSecs: 0,
    displayedNsecs: 0,
    displayedSeen: false,
    tracksDisplay: false,
  };
}

/**
 * Tells the frame dissector that this frame was displayed (passed the display filter), so the next
 * frame's frame.time_delta_displayed counts from it. Without calls, every frame counts as displayed.
 */
export function markDisplayed(state: DissectState, packet: CapturedPacket): void {
  const fs = frameState(state);
  fs.tracksDisplay = true;
  fs.displayedSeen = true;
  fs.displayedSecs = packet.tsSec;
  fs.displayedNsecs = packet.tsNsec;
}

/** Starts display tracking before the first frame (the first displayed frame then has delta 0). */
export function trackDisplayedFrames(state: DissectState): void {
  frameState(state).tracksDisplay = true;
}

/** The frame's time relative to the first frame of the capture (the summary's Time column). */
export function relativeTime(packet: CapturedPacket, state: DissectState): NsTime {
  const fs = frameState(state);
  const now: NsTime = { secs: packet.tsSec, nsecs: packet.tsNsec };
  return fs.started ? nsDelta(now, { secs: fs.firstSecs, nsecs: fs.firstNsecs }) : nsDelta(now, now);
}

/**
 * Builds the frame node; call after the protocol nodes exist (frame.protocols lists them, from
 * `protos[from]` on).
 */
export function frameNode(packet: CapturedPacket, protos: readonly ProtoNode[], state: DissectState, malformed: readonly Malformation[], from = 0): ProtoNode {
  const fs = frameState(state);
  const now: NsTime = { secs: packet.tsSec, nsecs: packet.tsNsec };
  if (!fs.started) {
    fs.started = true;
    fs.firstSecs = now.secs;
    fs.firstNsecs = now.nsecs;
    fs.prevSecs = now.secs;
    fs.prevNsecs = now.nsecs;
  }
  const first: NsTime = { secs: fs.firstSecs, nsecs: fs.firstNsecs };
  const prevSecs = fs.prevSecs;
  const prevNsecs = fs.prevNsecs;
  fs.prevSecs = now.secs;
  fs.prevNsecs = now.nsecs;
  const labels = state.labels;
  const len = packet.origLength;
  const cap = packet.data.length;
  const isPcapng = packet.iface.container === 'pcapng';
  const ifName = packet.iface.name ?? 'unknown';
  const fields: Field[] = [];
  // Each group is built when the output reads it (state.wants); frame.time_relative always is: the
  // summary's Time column reads it.
  if (state.selection === undefined) {
    frameFieldsBefore(packet, state, now, { secs: prevSecs, nsecs: prevNsecs }, fields);
  } else if (state.wants('frame.')) {
    frameFieldsBefore(packet, state, now, { secs: prevSecs, nsecs: prevNsecs }, fields);
  }
  fields.push(rel('frame.time_relative', 'Time since reference or first frame', nsDelta(now, first), labels));
  if (state.selection === undefined || state.wants('frame.')) frameFieldsAfter(packet, protos, state, fields, from);
  const where = labels && isPcapng ? ` on interface ${ifName}, id ${packet.interfaceId}` : '';
  return {
    proto: 'frame',
    label: labels ? `Frame ${packet.number}: ${len} bytes on wire (${len * 8} bits), ${cap} bytes captured (${cap * 8} bits)${where}` : '',
    offset: 0,
    length: cap,
    fields,
    malformed: malformed.length === 0 ? [] : [...malformed],
  };
}

/** The frame fields before frame.time_relative, those the output reads. */
function frameFieldsBefore(packet: CapturedPacket, state: DissectState, now: NsTime, prev: NsTime, fields: Field[]): void {
  const fs = frameState(state);
  const encap = WTAP_ENCAP[packet.iface.linkType] ?? -1;
  const isPcapng = packet.iface.container === 'pcapng';
  const ifName = packet.iface.name ?? 'unknown';
  const want = (prefix: string): boolean => state.wants(prefix);
  if (isPcapng && want('frame.section_number')) fields.push(uintDec('frame.section_number', 'Section number', 1, 0, 0));
  if (isPcapng && want('frame.interface')) {
    const ifChildren: Field[] = [stringField('frame.interface_name', 'Interface name', ifName, 0, 0)];
    if (packet.iface.description !== undefined) {
      ifChildren.push(stringField('frame.interface_description', 'Interface description', packet.iface.description, 0, 0));
    }
    fields.push(
      uintDec('frame.interface_id', 'Interface id', packet.interfaceId, 0, 0, {
        text: `Interface id: ${packet.interfaceId} (${ifName})`,
        children: ifChildren,
      }),
    );
  }
  const epochValue = now.secs + now.nsecs / 1e9;
  if (want('frame.encap_type')) {
    fields.push(
      rawField('frame.encap_type', 'Encapsulation type', 'int', encap, String(encap), 0, 0, {
        text: `Encapsulation type: ${ENCAP_NAME[encap] ?? 'Unknown'} (${encap})`,
      }),
    );
  }
  if (want('frame.time')) {
    fields.push(rawField('frame.time', 'Arrival Time', 'time', epochValue, formatAbsTime(now), 0, 0), ...invalidFraction(now));
  }
  if (want('frame.offset_shift')) fields.push(rel('frame.offset_shift', 'Time shift for this packet', { secs: 0, nsecs: 0 }, true));
  if (want('frame.time_epoch')) {
    const epoch = formatEpoch(now);
    fields.push(rawField('frame.time_epoch', 'Epoch Time', 'time', epochValue, epoch, 0, 0, { text: `Epoch Time: ${epoch} seconds` }));
  }
  if (want('frame.time_delta')) {
    // Before any frame was displayed, the delta counts from this frame itself (0).
    const prevDisplayed = fs.tracksDisplay ? (fs.displayedSeen ? { secs: fs.displayedSecs, nsecs: fs.displayedNsecs } : now) : prev;
    fields.push(
      rel('frame.time_delta', 'Time delta from previous captured frame', nsDelta(now, prev), true),
      rel('frame.time_delta_displayed', 'Time delta from previous displayed frame', nsDelta(now, prevDisplayed), true),
    );
  }
}

/** The frame fields after frame.time_relative, those the output reads. */
function frameFieldsAfter(packet: CapturedPacket, protos: readonly ProtoNode[], state: DissectState, fields: Field[], from: number): void {
  const len = packet.origLength;
  const cap = packet.data.length;
  const want = (prefix: string): boolean => state.wants(prefix);
  if (want('frame.number')) fields.push(uintDec('frame.number', 'Frame Number', packet.number, 0, 0));
  if (want('frame.len')) fields.push(uintDec('frame.len', 'Frame Length', len, 0, 0, { text: `Frame Length: ${len} bytes (${len * 8} bits)` }));
  if (want('frame.cap_len')) fields.push(uintDec('frame.cap_len', 'Capture Length', cap, 0, 0, { text: `Capture Length: ${cap} bytes (${cap * 8} bits)` }));
  if (want('frame.marked')) fields.push(bool('frame.marked', 'Frame is marked', false, 0, 0, { generated: true, text: '[Frame is marked: False]' }));
  if (want('frame.ignored')) fields.push(bool('frame.ignored', 'Frame is ignored', false, 0, 0, { generated: true, text: '[Frame is ignored: False]' }));
  if (want('frame.protocols')) {
    let protocols = '';
    for (let i = from; i < protos.length; i++) {
      const p = protos[i];
      // The reassembly tree is no protocol of its own: tshark leaves it out of frame.protocols.
      if (p.proto === 'tcp.segments') continue;
      if (!p.unlisted && !NOT_IN_PROTOCOLS.has(p.proto)) protocols += protocols === '' ? p.proto : ':' + p.proto;
      if (p.layers !== undefined) {
        for (const l of p.layers) if (!NOT_IN_PROTOCOLS.has(l)) protocols += protocols === '' ? l : ':' + l;
      }
    }
    fields.push(stringField('frame.protocols', 'Protocols in frame', protocols, 0, 0, { generated: true, text: `[Protocols in frame: ${protocols}]` }));
  }
}

/** Pseudo-protocols that tshark does not list in frame.protocols. */
const NOT_IN_PROTOCOLS = new Set(['pkt_comment', '_ws.malformed', '_ws.short', '_ws.expert', '_ws.unreassembled']);

/** tshark's `Packet comments` node (before the frame), or undefined when the packet has none. */
export function commentsNode(packet: CapturedPacket): ProtoNode | undefined {
  if (packet.comments.length === 0) return undefined;
  return {
    proto: 'pkt_comment',
    label: 'Packet comments',
    offset: 0,
    length: 0,
    malformed: [],
    fields: packet.comments.map((c) =>
      stringField('frame.comment', 'Comment', c, 0, 0, { text: c, children: [expertField('frame.comment.expert', c, 'Comment', 'Comment')] }),
    ),
  };
}

/** A fraction of a second out of range (a pcap microsecond field >= 1e6) gets tshark's note. */
function invalidFraction(t: NsTime): Field[] {
  if (t.nsecs >= 0 && t.nsecs < 1e9) return [];
  const msg = `Arrival Time: Fractional second ${fraction9(t.nsecs)} is invalid, the valid range is 0-1000000000`;
  return [expertField('frame.time_invalid', msg, 'Note', 'Sequence')];
}

/** A relative-time frame field; its `-V` text only when the output prints texts. */
function rel(name: string, label: string, t: NsTime, text: boolean): Field {
  const s = formatRelTime(t);
  if (!text) return { name, label, kind: 'reltime', value: t.secs + t.nsecs / 1e9, show: s, offset: 0, length: 0, generated: true };
  return rawField(name, label, 'reltime', t.secs + t.nsecs / 1e9, s, 0, 0, { generated: true, text: `[${label}: ${s} seconds]` });
}
