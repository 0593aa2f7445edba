// The IPv4 options subtree as Wireshark 4.0 shows it: "Options: (N bytes), names", then one
// "IP Option - ..." item per option (ip.options.* pseudo-protocols whose -T fields value is the
// option's bytes) with the type byte split into copy/class/number, the length and the option's own
// fields. Source routes also carry the datagram's final destination (ip.dst), see sourceRouteTarget.

import type { Ipv4 } from '../../wire/ipv4.ts';
import type { Ipv4Option } from '../../wire/ipv4-options.ts';
import { expertField } from '../expert.ts';
import { bool, type Field, formatBytesHex, formatIpv4, hex, ipv4Field, rawField, stringField, uintDec } from '../field.ts';
import { bitPattern, textItem } from './link-fields.ts';

interface OptionName {
  /** Name in "IP Option - <name>" and in the Options summary. */
  name: string;
  /** The ip.options.* pseudo-protocol. */
  proto: string;
}

const OPTION_NAMES: Readonly<Record<number, OptionName>> = {
  0: { name: 'End of Options List (EOL)', proto: 'ip.options.eol' },
  1: { name: 'No-Operation (NOP)', proto: 'ip.options.nop' },
  7: { name: 'Record Route', proto: 'ip.options.record_route' },
  11: { name: 'MTU Probe', proto: 'ip.options.mtu_probe' },
  12: { name: 'MTU Reply', proto: 'ip.options.mtu_reply' },
  25: { name: 'Quick-Start', proto: 'ip.options.qs' },
  68: { name: 'Time Stamp', proto: 'ip.options.timestamp' },
  82: { name: 'Traceroute', proto: 'ip.options.traceroute' },
  130: { name: 'Security', proto: 'ip.options.security' },
  131: { name: 'Loose Source Route', proto: 'ip.options.route' },
  133: { name: 'Extended Security', proto: 'ip.options.ext_security' },
  134: { name: 'Commercial Security', proto: 'ip.options.cipso' },
  136: { name: 'Stream ID', proto: 'ip.options.sid' },
  137: { name: 'Strict Source Route', proto: 'ip.options.source_route' },
  148: { name: 'Router Alert', proto: 'ip.options.routeralert' },
  149: { name: 'Selective Directed Broadcast', proto: 'ip.options.sdb' },
};

/** The pseudo-protocol names of the options, for registration as known fields. */
export const IP_OPTION_PROTOS: readonly string[] = Object.values(OPTION_NAMES).map((n) => n.proto);

/** ip.opt.type.number names (by the 5-bit option number). */
const NUMBER_NAMES: Readonly<Record<number, string>> = {
  0: 'End of Option List (EOL)',
  1: 'No-Operation (NOP)',
  2: 'Security',
  3: 'Loose source route',
  4: 'Time stamp',
  5: 'Extended security',
  6: 'Commercial IP security option',
  7: 'Record route',
  8: 'Stream identifier',
  9: 'Strict source route',
  11: 'MTU probe',
  12: 'MTU reply',
  18: 'Traceroute',
  20: 'Router Alert',
  21: 'Selective Directed Broadcast',
  25: 'Quick-Start',
};
const CLASS_NAMES = ['Control', 'Reserved for future use', 'Debugging and measurement', 'Reserved for future use'];
const RA_NAMES: Readonly<Record<number, string>> = { 0: 'Router shall examine packet' };
const TS_FLAG_NAMES: Readonly<Record<number, string>> = { 0: 'Time stamps only', 1: 'Time stamp and address', 3: 'Time stamps for prespecified addresses' };
const CIPSO_TAG_NAMES: Readonly<Record<number, string>> = {
  1: 'Restrictive Category Bitmap',
  2: 'Enumerated Categories',
  5: 'Ranged Categories',
  6: 'Permissive Categories',
  7: 'Free Form',
};

function typeField(t: number, offset: number): Field {
  const copy = (t & 0x80) !== 0;
  const cls = (t >>> 5) & 0x3;
  const num = t & 0x1f;
  return uintDec('ip.opt.type', 'Type', t, offset, 1, {
    children: [
      bool('ip.opt.type.copy', 'Copy on fragmentation', copy, offset, 1, { text: `${bitPattern(t, 0x80, 8)} = Copy on fragmentation: ${copy ? 'Yes' : 'No'}` }),
      uintDec('ip.opt.type.class', 'Class', cls, offset, 1, { text: `${bitPattern(t, 0x60, 8)} = Class: ${CLASS_NAMES[cls]} (${cls})` }),
      uintDec('ip.opt.type.number', 'Number', num, offset, 1, { text: `${bitPattern(t, 0x1f, 8)} = Number: ${NUMBER_NAMES[num] ?? 'Unknown'} (${num})` }),
    ],
  });
}

function hostFields(name: string, label: string, frame: Uint8Array, at: number, text: string, hostName: string, hostLabel: string): Field[] {
  return [ipv4Field(name, label, frame, at, { text }), stringField(hostName, hostLabel, formatIpv4(frame, at), at, 4, { hidden: true })];
}

/** The final destination a source route option names while it is not exhausted, or undefined. */
export function sourceRouteTarget(ip: Ipv4): { address: Uint8Array; option: Ipv4Option } | undefined {
  for (const opt of ip.options) {
    if (opt.kind !== 'route' || (opt.type !== 131 && opt.type !== 137)) continue;
    if (opt.addresses.length === 0 || opt.pointer > opt.length) return undefined;
    return { address: opt.addresses[opt.addresses.length - 1], option: opt };
  }
  return undefined;
}

function routeEntries(opt: Extract<Ipv4Option, { kind: 'route' }>, frame: Uint8Array, dstFields: (at: number) => Field[]): Field[] {
  const out: Field[] = [];
  const next = (opt.pointer - 4) / 4;
  const isSourceRoute = opt.type !== 7;
  const active = isSourceRoute && opt.pointer <= opt.length;
  opt.addresses.forEach((a, i) => {
    const at = opt.offset + 3 + i * 4;
    const addr = formatIpv4(a);
    if (i < next || (isSourceRoute && !active)) {
      out.push(...hostFields('ip.rec_rt', 'Recorded Route', frame, at, `Recorded Route: ${addr}`, 'ip.rec_rt_host', 'Recorded Route Host'));
    } else if (isSourceRoute && i === opt.addresses.length - 1) {
      out.push(...dstFields(at));
    } else if (isSourceRoute) {
      out.push(
        ...hostFields('ip.src_rt', 'Source Route', frame, at, `Source Route: ${addr}${i === next ? ' <- (next)' : ''}`, 'ip.src_rt_host', 'Source Route Host'),
      );
    } else {
      out.push(
        ...hostFields('ip.empty_rt', 'Empty Route', frame, at, `Empty Route: ${addr}${i === next ? ' <- (next)' : ''}`, 'ip.empty_rt_host', 'Empty Route Host'),
      );
    }
  });
  return out;
}

function cipsoFields(opt: Ipv4Option, frame: Uint8Array): Field[] {
  const o = opt.offset;
  const end = o + opt.length;
  const out: Field[] = [];
  if (opt.length < 6) return out;
  const doi = ((frame[o + 2] << 24) | (frame[o + 3] << 16) | (frame[o + 4] << 8) | frame[o + 5]) >>> 0;
  out.push(uintDec('ip.cipso.doi', 'DOI', doi, o + 2, 4));
  let t = o + 6;
  while (t + 2 <= end) {
    const tagType = frame[t];
    const tagLen = frame[t + 1];
    if (tagLen < 2 || t + tagLen > end) break;
    out.push(uintDec('ip.cipso.tag_type', 'Tag Type', tagType, t, 1, { text: `Tag Type: ${CIPSO_TAG_NAMES[tagType] ?? 'Unknown'} (${tagType})` }));
    if ((tagType === 1 || tagType === 2 || tagType === 6) && tagLen >= 4) {
      out.push(uintDec('ip.cipso.sensitivity_level', 'Sensitivity Level', frame[t + 3], t + 3, 1));
      const cats: number[] = [];
      if (tagType === 2) {
        for (let c = t + 4; c + 2 <= t + tagLen; c += 2) cats.push((frame[c] << 8) | frame[c + 1]);
      } else {
        for (let c = t + 4; c < t + tagLen; c++) for (let bit = 0; bit < 8; bit++) if (frame[c] & (0x80 >>> bit)) cats.push((c - t - 4) * 8 + bit);
      }
      if (tagLen > 4) out.push(stringField('ip.cipso.categories', 'Categories', cats.join(','), t + 4, tagLen - 4));
    }
    t += tagLen;
  }
  return out;
}

/** The fields of one option, inside its "IP Option - ..." item. */
function optionFields(opt: Ipv4Option, frame: Uint8Array, dstFields: (at: number) => Field[]): Field[] {
  const o = opt.offset;
  const fields: Field[] = [typeField(opt.type, o)];
  if (opt.kind === 'eol' || opt.kind === 'nop') return fields;
  fields.push(uintDec('ip.opt.len', 'Length', opt.length, o + 1, 1));
  const word = (at: number): number => (frame[at] << 8) | frame[at + 1];
  switch (opt.kind) {
    case 'route':
      fields.push(uintDec('ip.opt.ptr', 'Pointer', opt.pointer, o + 2, 1), ...routeEntries(opt, frame, dstFields));
      break;
    case 'timestamp': {
      const b = frame[o + 3];
      fields.push(
        uintDec('ip.opt.ptr', 'Pointer', opt.pointer, o + 2, 1),
        uintDec('ip.opt.overflow', 'Overflow', opt.overflow, o + 3, 1, { text: `${bitPattern(b, 0xf0, 8)} = Overflow: ${opt.overflow}` }),
        rawField('ip.opt.flag', 'Flag', 'uint', opt.flag, hex(opt.flag, 2), o + 3, 1, {
          text: `${bitPattern(b, 0x0f, 8)} = Flag: ${TS_FLAG_NAMES[opt.flag] ?? 'Unknown'} (0x${opt.flag.toString(16)})`,
        }),
      );
      let at = o + 4;
      for (const e of opt.entries) {
        if (e.address !== undefined) {
          const zero = e.address.every((x) => x === 0);
          fields.push(ipv4Field('ip.opt.time_stamp_addr', 'Address', frame, at, { text: `Address: ${zero ? '-' : formatIpv4(e.address)}` }));
          at += 4;
        }
        fields.push(uintDec('ip.opt.time_stamp', 'Time stamp', e.timestamp, at, 4));
        at += 4;
      }
      break;
    }
    case 'router-alert':
      fields.push(uintDec('ip.opt.ra', 'Router Alert', opt.value, o + 2, 2, { text: `Router Alert: ${RA_NAMES[opt.value] ?? 'Reserved'} (${opt.value})` }));
      break;
    case 'unknown':
      if (opt.type === 134) fields.push(...cipsoFields(opt, frame));
      else if ((opt.type === 11 || opt.type === 12) && opt.length === 4) fields.push(uintDec('ip.opt.mtu', 'MTU', word(o + 2), o + 2, 2));
      else if (opt.type === 136 && opt.length === 4) fields.push(uintDec('ip.opt.sid', 'Stream Identifier', word(o + 2), o + 2, 2));
      break;
  }
  return fields;
}

/** The label of an option's item. */
function optionLabel(opt: Ipv4Option): string {
  const n = OPTION_NAMES[opt.type];
  if (n === undefined) return `Unknown (${hex(opt.type, 2)}) (${opt.length} bytes)`;
  if (opt.kind === 'eol' || opt.kind === 'nop') return `IP Option - ${n.name}`;
  const base = `IP Option - ${n.name} (${opt.length} bytes)`;
  if (opt.kind === 'router-alert') return `${base}: ${RA_NAMES[opt.value] ?? 'Reserved'} (${opt.value})`;
  return base;
}

/**
 * The "Options: (N bytes), ..." subtree. `dstFields` makes the ip.dst fields a live source route
 * shows as its last address. A bad option length ends the list with Wireshark's expert item.
 */
export function optionsTree(ip: Ipv4, ipOffset: number, frame: Uint8Array, dstFields: (at: number) => Field[]): Field {
  const start = ipOffset + 20;
  const len = ip.optionsBytes.length;
  const items: Field[] = [];
  const names: string[] = [];
  for (const opt of ip.options) {
    const n = OPTION_NAMES[opt.type];
    if (n !== undefined && opt.kind !== 'eol' && opt.kind !== 'nop') names.push(n.name);
    if (n === undefined) {
      items.push(textItem(optionLabel(opt), opt.offset, opt.length));
      continue;
    }
    const value = frame.slice(opt.offset, opt.offset + opt.length);
    items.push(
      rawField(n.proto, optionLabel(opt), 'bytes', value, formatBytesHex(value), opt.offset, opt.length, {
        text: optionLabel(opt),
        children: optionFields(opt, frame, dstFields),
      }),
    );
  }
  // An option whose length runs past the options: Wireshark names it and stops.
  const last = ip.options[ip.options.length - 1];
  const parsedEnd = last === undefined ? start : last.offset + last.length;
  if (parsedEnd < start + len && (last === undefined || last.kind !== 'eol')) {
    const t = frame[parsedEnd];
    const l = frame[parsedEnd + 1];
    const n = OPTION_NAMES[t]?.name ?? `Unknown (${hex(t, 2)})`;
    const msg =
      parsedEnd + 1 < start + len ? `${n} (option length = ${l} bytes says option goes past end of options)` : `${n} (length byte past end of options)`;
    items.push(textItem(msg, parsedEnd, Math.min(2, start + len - parsedEnd), [expertField('ip.opt.len.invalid', msg, 'Warning', 'Protocol', parsedEnd, 0)]));
  }
  const text = `Options: (${len} bytes)${names.length > 0 ? ', ' + names.join(', ') : ''}`;
  return textItem(text, start, len, items);
}
