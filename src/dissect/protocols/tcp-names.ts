// TCP's value strings as Wireshark 4.0 prints them: the flag list and letters, the conversation
// completeness label, the option kinds, titles and subtree names.

import { hex } from '../field.ts';

const FLAG_NAMES: readonly [number, string][] = [
  [0x001, 'FIN'],
  [0x002, 'SYN'],
  [0x004, 'RST'],
  [0x008, 'PSH'],
  [0x010, 'ACK'],
  [0x020, 'URG'],
  [0x040, 'ECE'],
  [0x080, 'CWR'],
  [0x100, 'AE'],
  [0xe00, 'Reserved'],
];

/** Wireshark's flag list: "SYN, ACK", or "<None>". */
export function tcpFlagsText(flags: number): string {
  const key = flags & 0xfff;
  let text = flagTexts[key];
  if (text === undefined) {
    const names = FLAG_NAMES.filter(([bit]) => (key & bit) !== 0).map(([, n]) => n);
    text = names.length === 0 ? '<None>' : names.join(', ');
    flagTexts[key] = text;
  }
  return text;
}

/** The flag list of each of the 4096 flag values, built when first seen. */
const flagTexts: (string | undefined)[] = new Array(4096).fill(undefined);

/** Wireshark's `tcp.flags.str`: one letter per bit from bit 11 down, `·` when clear. */
export function tcpFlagsLetters(flags: number): string {
  const letters = 'RRRACEUAPRSF';
  let s = '';
  for (let i = 0; i < 12; i++) s += (flags >> (11 - i)) & 1 ? letters[i] : '\u00b7';
  return s;
}

/** Wireshark's label for a conversation completeness value. */
export function completenessText(v: number): string {
  if ((v & 0x07) === 0x07 && (v & 0x30) !== 0) return `Complete, ${v & 0x08 ? 'WITH_DATA' : 'NO_DATA'}`;
  const named: Record<number, string> = {
    1: 'Incomplete, SYN_SENT',
    3: 'Incomplete, CLIENT_ESTABLISHED',
    7: 'Incomplete, ESTABLISHED',
    15: 'Incomplete, DATA',
  };
  return named[v] ?? 'Incomplete';
}

export const KIND_NAMES: Readonly<Record<number, string>> = {
  0: 'End of Option List',
  1: 'No-Operation',
  2: 'Maximum Segment Size',
  3: 'Window Scale',
  4: 'SACK Permitted',
  5: 'SACK',
  6: 'Echo',
  7: 'Echo Reply',
  8: 'Time Stamp Option',
  9: 'Partial Order Connection Permitted',
  10: 'Partial Order Service Profile',
  11: 'CC',
  12: 'CC.NEW',
  13: 'CC.ECHO',
  14: 'TCP Alternate Checksum Request',
  15: 'TCP Alternate Checksum Data',
  16: 'Skeeter',
  17: 'Bubba',
  18: 'Trailer Checksum Option',
  19: 'MD5 Signature Option',
  20: 'SCPS Capabilities',
  21: 'Selective Negative Acknowledgements',
  22: 'Record Boundaries',
  23: 'Corruption experienced',
  24: 'SNAP',
  25: 'Unassigned',
  26: 'TCP Compression Filter',
  27: 'Quick-Start Response',
  28: 'User Timeout Option',
  29: 'The TCP Authentication Option',
  30: 'Multipath TCP',
  34: 'TCP Fast Open Cookie',
  76: 'Riverbed Probe',
  78: 'Riverbed Transparency',
  172: 'Accurate ECN Order 0',
  174: 'Accurate ECN Order 1',
  253: 'RFC3692-style Experiment 1',
  254: 'RFC3692-style Experiment 2',
};

/** The option names Wireshark uses in the "Options:" line and in its notes on bad lengths. */
const OPTION_TITLES: Readonly<Record<number, string>> = {
  0: 'End of Option List (EOL)',
  1: 'No-Operation (NOP)',
  2: 'Maximum segment size',
  3: 'Window scale',
  4: 'SACK permitted',
  5: 'SACK',
  8: 'Timestamps',
  253: 'Experimental',
  254: 'Experimental',
};

export function optionTitle(kind: number): string {
  return OPTION_TITLES[kind] ?? `Unknown (${hex(kind, 2)})`;
}

/** Filter name of the option's subtree. */
export function optionProto(kind: number): string {
  const names: Record<number, string> = {
    0: 'tcp.options.eol',
    1: 'tcp.options.nop',
    2: 'tcp.options.mss',
    3: 'tcp.options.wscale',
    4: 'tcp.options.sack_perm',
    5: 'tcp.options.sack',
    8: 'tcp.options.timestamp',
    253: 'tcp.options.experimental',
    254: 'tcp.options.experimental',
  };
  return names[kind] ?? 'tcp.options.unknown';
}
