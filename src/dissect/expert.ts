// Wireshark's expert info items: `[Expert Info (Severity/Group): message]` with the expert field, the
// message, the severity and the group beneath it, exactly as `-V` and `-T json` show them.

import { type Field, rawField, stringField, uintDec } from './field.ts';

export type ExpertSeverity = 'Comment' | 'Chat' | 'Note' | 'Warning' | 'Error';
export type ExpertGroup =
  | 'Checksum'
  | 'Sequence'
  | 'Response'
  | 'Request'
  | 'Undecoded'
  | 'Reassemble'
  | 'Malformed'
  | 'Debug'
  | 'Protocol'
  | 'Security'
  | 'Comment'
  | 'Decryption'
  | 'Assumption'
  | 'Deprecated';

/** Wireshark's PI_* severity values (what `_ws.expert.severity` prints). */
export const EXPERT_SEVERITY: Readonly<Record<ExpertSeverity, number>> = {
  Comment: 0x00100000,
  Chat: 0x00200000,
  Note: 0x00400000,
  Warning: 0x00600000,
  Error: 0x00800000,
};

/** Wireshark's PI_* group values (what `_ws.expert.group` prints). */
export const EXPERT_GROUP: Readonly<Record<ExpertGroup, number>> = {
  Checksum: 0x01000000,
  Sequence: 0x02000000,
  Response: 0x03000000,
  Request: 0x04000000,
  Undecoded: 0x05000000,
  Reassemble: 0x06000000,
  Malformed: 0x07000000,
  Debug: 0x08000000,
  Protocol: 0x09000000,
  Security: 0x0a000000,
  Comment: 0x0b000000,
  Decryption: 0x0c000000,
  Assumption: 0x0d000000,
  Deprecated: 0x0e000000,
};

/**
 * The `_ws.expert` subtree for one expert item. `name` is the expert field's filter name
 * (e.g. 'frame.comment.expert', '_ws.malformed.expert'); the item spans the bytes it is about.
 */
export function expertField(name: string, message: string, severity: ExpertSeverity, group: ExpertGroup, offset = 0, length = 0): Field {
  // -T fields prints an expert item as its text without the brackets, as tshark does.
  return rawField('_ws.expert', 'Expert Info', 'none', null, `Expert Info (${severity}/${group}): ${message}`, offset, length, {
    generated: true,
    text: `[Expert Info (${severity}/${group}): ${message}]`,
    children: [
      // The expert's own field is FT_NONE: tshark -T fields prints "1" for each occurrence.
      rawField(name, message, 'none', null, '1', offset, length, { generated: true, text: `[${message}]` }),
      stringField('_ws.expert.message', 'Message', message, 0, 0, { generated: true, hidden: true }),
      rawField('_ws.expert.severity', 'Severity level', 'uint', EXPERT_SEVERITY[severity], String(EXPERT_SEVERITY[severity]), 0, 0, {
        generated: true,
        text: `[Severity level: ${severity}]`,
      }),
      uintDec('_ws.expert.group', 'Group', EXPERT_GROUP[group], 0, 0, { generated: true, text: `[Group: ${group}]` }),
    ],
  });
}
