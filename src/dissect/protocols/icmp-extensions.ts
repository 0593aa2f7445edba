// What follows some ICMP messages: Mobile IP extensions of router advertisements (RFC 5944) and the
// RFC 4884 extension structure of errors (MPLS label stack, interface information), as Wireshark
// 4.0 shows them.

import type { IcmpExtension, IcmpMobileExtension } from '../../wire/icmp.ts';
import { bool, bytesField, type Field, hex, ipv4Field, rawField, uintDec, uintHex } from '../field.ts';
import { expertField } from '../expert.ts';
import { registerFields } from '../known-fields.ts';
import { bitPattern } from './link-fields.ts';
import { checksumStatusField } from './udp.ts';

// Mobile IP extension fields (not in the base table), with their Wireshark 4.0 types.
registerFields({
  'icmp.ext.checksum_bad': 'FT_NONE',
  'icmp.mip.type': 'FT_UINT8',
  'icmp.mip.length': 'FT_UINT8',
  'icmp.mip.prefixlength': 'FT_UINT8',
  'icmp.mip.seq': 'FT_UINT16',
  'icmp.mip.life': 'FT_UINT16',
  'icmp.mip.flags': 'FT_UINT16',
  'icmp.mip.r': 'FT_BOOLEAN',
  'icmp.mip.b': 'FT_BOOLEAN',
  'icmp.mip.h': 'FT_BOOLEAN',
  'icmp.mip.f': 'FT_BOOLEAN',
  'icmp.mip.m': 'FT_BOOLEAN',
  'icmp.mip.g': 'FT_BOOLEAN',
  'icmp.mip.v': 'FT_BOOLEAN',
  'icmp.mip.rt': 'FT_BOOLEAN',
  'icmp.mip.u': 'FT_BOOLEAN',
  'icmp.mip.x': 'FT_BOOLEAN',
  'icmp.mip.reserved': 'FT_UINT16',
  'icmp.mip.coa': 'FT_IPv4',
  'icmp.mip.challenge': 'FT_BYTES',
  'icmp.mip.content': 'FT_BYTES',
});

const MIP_NAMES: Readonly<Record<number, string>> = {
  0: 'One byte padding extension',
  16: 'Mobility Agent Advertisement Extension',
  19: 'Prefix Lengths Extension',
  24: 'Challenge Extension',
};

const MIP_FLAGS: readonly [number, string, string][] = [
  [0x8000, 'icmp.mip.r', 'Registration Required'],
  [0x4000, 'icmp.mip.b', 'Busy'],
  [0x2000, 'icmp.mip.h', 'Home Agent'],
  [0x1000, 'icmp.mip.f', 'Foreign Agent'],
  [0x0800, 'icmp.mip.m', 'Minimal Encapsulation'],
  [0x0400, 'icmp.mip.g', 'GRE'],
  [0x0200, 'icmp.mip.v', 'VJ Comp'],
  [0x0100, 'icmp.mip.rt', 'Reverse tunneling'],
  [0x0080, 'icmp.mip.u', 'UDP tunneling'],
  [0x0040, 'icmp.mip.x', 'Revocation support'],
];

/** One Mobile IP extension ("Ext: ..."), as Wireshark shows it. */
export function mobileExtensionField(e: IcmpMobileExtension, b: Uint8Array): Field {
  const name = MIP_NAMES[e.type] ?? `Unknown ext ${e.type}`;
  const kids: Field[] = [
    uintDec('icmp.mip.type', 'Extension Type', e.type, e.offset, 1, { text: `Extension Type: ${MIP_NAMES[e.type] ?? 'Unknown'} (${e.type})` }),
  ];
  const p = e.offset + 2;
  if (e.type !== 0) kids.push(uintDec('icmp.mip.length', 'Length', e.length, e.offset + 1, 1));
  if (e.type === 16 && e.length >= 6) {
    const f = (b[p + 4] << 8) | b[p + 5];
    const set = MIP_FLAGS.filter(([bit]) => (f & bit) !== 0).map(([, , label]) => label);
    kids.push(
      uintDec('icmp.mip.seq', 'Sequence Number', (b[p] << 8) | b[p + 1], p, 2),
      uintDec('icmp.mip.life', 'Registration Lifetime', (b[p + 2] << 8) | b[p + 3], p + 2, 2),
      uintHex('icmp.mip.flags', 'Flags', f, 4, p + 4, 2, {
        text: `Flags: ${hex(f, 4)}${set.length ? ', ' + set.join(', ') : ''}`,
        children: [
          ...MIP_FLAGS.map(([bit, n, label]) =>
            bool(n, label, (f & bit) !== 0, p + 4, 2, { text: `${bitPattern(f, bit, 16)} = ${label}: ${f & bit ? 'True' : 'False'}` }),
          ),
          uintHex('icmp.mip.reserved', 'Reserved', f & 0x3f, 4, p + 4, 2, { text: `${bitPattern(f, 0x3f, 16)} = Reserved: ${hex(f & 0x3f, 2)}` }),
        ],
      }),
    );
    for (let q = p + 6; q + 4 <= p + e.length; q += 4) kids.push(ipv4Field('icmp.mip.coa', 'Care-Of-Address', b, q));
  } else if (e.type === 19) {
    for (let i = 0; i < e.length; i++) kids.push(uintDec('icmp.mip.prefixlength', 'Prefix Length', b[p + i], p + i, 1));
  } else if (e.type === 24) {
    kids.push(bytesField('icmp.mip.challenge', 'Challenge', b, p, e.length));
  } else if (e.type !== 0 && e.length > 4) {
    kids.push(bytesField('icmp.mip.content', 'Content', b, p, e.length - 4));
  }
  return textItemField(`Ext: ${name}`, e.offset, e.type === 0 ? 1 : e.length + 2, kids);
}

const EXT_CLASS_NAMES: Readonly<Record<number, string>> = {
  1: 'MPLS Label Stack Class',
  2: 'Interface Information Object',
  3: 'Interface Identification Object',
};

/** RFC 4884 multi-part extension structure: header, checksum, objects (MPLS label stack entries decoded). */
export function extensionFields(ext: IcmpExtension, b: Uint8Array, end: number): Field {
  const at = ext.offset;
  const children: Field[] = [
    uintDec('icmp.ext.version', 'Version', ext.version, at, 1),
    uintHex('icmp.ext.res', 'Reserved', ext.reserved, 4, at, 2, { text: `${bitPattern(ext.reserved, 0x0fff, 16)} = Reserved: ${hex(ext.reserved, 3)}` }),
  ];
  const value = hex(ext.checksum, 4);
  if (ext.checksum === 0) {
    children.push(
      uintHex('icmp.ext.checksum', 'Checksum', 0, 4, at + 2, 2, { generated: true, text: '[Checksum: [missing]]' }),
      checksumStatusField('icmp.ext.checksum.status', 3, at + 2),
    );
  } else if (ext.checksumStatus === 'good') {
    children.push(
      uintHex('icmp.ext.checksum', 'Checksum', ext.checksum, 4, at + 2, 2, { text: `Checksum: ${value} [correct]` }),
      checksumStatusField('icmp.ext.checksum.status', 1, at + 2),
    );
  } else {
    const want = checksumWithout(b, at, end);
    children.push(
      uintHex('icmp.ext.checksum', 'Checksum', ext.checksum, 4, at + 2, 2, {
        text: `Checksum: ${value} incorrect, should be ${hex(want, 4)}`,
        children: [expertField('icmp.ext.checksum_bad', `Bad checksum [should be ${hex(want, 4)}]`, 'Warning', 'Checksum', at + 2, 2)],
      }),
      checksumStatusField('icmp.ext.checksum.status', 0, at + 2),
    );
  }
  if (ext.version === 1 || ext.version === 2) {
    for (const o of ext.objects) {
      const objEnd = Math.min(o.offset + Math.max(o.length, 4), end);
      const kids: Field[] = [
        uintDec('icmp.ext.length', 'Length', o.length, o.offset, 2),
        uintDec('icmp.ext.class', 'Class', o.classNum, o.offset + 2, 1, { text: `Class: ${EXT_CLASS_NAMES[o.classNum] ?? 'Unknown'} (${o.classNum})` }),
        uintDec('icmp.ext.ctype', 'C-Type', o.cType, o.offset + 3, 1),
      ];
      let title = `Unknown object (${o.classNum}/${o.cType})`;
      if (o.length < 4) {
        title = 'Object with bad length';
        kids.pop();
      } else if (o.classNum === 1 && o.cType === 1) {
        title = 'MPLS Stack Entry';
        let p = o.offset + 4;
        for (; p + 4 <= objEnd; p += 4) {
          const label = (((b[p] << 8) | b[p + 1]) << 4) | (b[p + 2] >> 4);
          const exp = (b[p + 2] >> 1) & 7;
          const sBit = b[p + 2] & 1;
          const ttl = b[p + 3];
          const word = (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
          kids.push(
            textItemField(`Label: ${label}, Exp: ${exp}, S: ${sBit}, TTL: ${ttl}`, p, 4, [
              uintDec('icmp.mpls.label', 'Label', label, p, 3, { text: `${bitPattern(word, 0xfffff0, 24)} = Label: ${label}` }),
              uintDec('icmp.mpls.exp', 'Experimental', exp, p + 2, 1, { text: `${bitPattern(word, 0x00000e, 24)} = Experimental: ${exp}` }),
              bool('icmp.mpls.s', 'Stack bit', sBit === 1, p + 2, 1, { text: `${bitPattern(word, 0x000001, 24)} = Stack bit: ${sBit ? 'Set' : 'Not set'}` }),
              uintDec('icmp.mpls.ttl', 'Time to live', ttl, p + 3, 1),
            ]),
          );
        }
        if (p < objEnd) kids.push(bytesField('icmp.mpls.data', 'Data', b, p, objEnd - p));
      } else if (objEnd - o.offset > 4) {
        kids.push(bytesField('icmp.ext.data', 'Data', b, o.offset + 4, objEnd - o.offset - 4));
      }
      children.push(textItemField(`${title}${objEnd - o.offset < o.length ? ' (truncated)' : ''}`, o.offset, objEnd - o.offset, kids));
    }
  }
  const title = ext.version === 1 || ext.version === 2 ? 'ICMP Multi-Part Extensions' : 'ICMP Multi-Part Extensions (unsupported version)';
  const field = rawField('icmp.ext', 'ICMP Extensions', 'none', null, '1', at, end - at, { text: title, children });
  // tshark adds the extension to the ICMP tree after the quoted datagram's protocols.
  field.afterNested = true;
  return field;
}

/** The checksum the structure [at, end) should carry: its one's-complement sum with the checksum word as zero. */
function checksumWithout(b: Uint8Array, at: number, end: number): number {
  let sum = 0;
  for (let i = at; i < end; i += 2) if (i !== at + 2) sum += (b[i] << 8) | (i + 1 < end ? b[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function textItemField(text: string, offset: number, length: number, children: Field[]): Field {
  return rawField('', text, 'none', null, '', offset, length, { text, children });
}
