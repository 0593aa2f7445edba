// Frames of link types Wireshark reads but netlab does not decode, shown as tshark 4.0 shows them:
// a user link type (DLT 147-162) goes to `user_dlt`, which notes that no dissector is set for it
// and hands the bytes to `data`; a netlink frame (253) with no netlink dissector to take it shows
// no protocol at all. Other unknown link types stay netlab's malformed `data` (tshark refuses those
// files).

import type { CapturedPacket } from '../../capture/types.ts';
import { expertField } from '../expert.ts';
import type { ProtoNode } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { dataNode } from './data.ts';
import { LINKTYPE_NETLINK, LINKTYPE_USER0, LINKTYPE_USER15 } from './link-undissected-encap.ts';

registerFields({ user_dlt: 'FT_PROTOCOL', 'user_dlt.not_handled': 'FT_NONE' });

/** The nodes of a frame whose link type netlab does not decode, or undefined for one it does. */
export function undissectedLinkNodes(packet: CapturedPacket): ProtoNode[] | undefined {
  const lt = packet.iface.linkType;
  if (lt === LINKTYPE_NETLINK) return [];
  if (lt >= LINKTYPE_USER0 && lt <= LINKTYPE_USER15) {
    const msg = `User encapsulation not handled: DLT=${lt}, check your Preferences->Protocols->DLT_USER`;
    const user: ProtoNode = {
      proto: 'user_dlt',
      label: msg,
      offset: 0,
      length: packet.data.length,
      malformed: [],
      fields: [expertField('user_dlt.not_handled', msg, 'Warning', 'Undecoded', 0, packet.data.length)],
    };
    return packet.data.length > 0 ? [user, dataNode(packet.data, 0, packet.data.length)] : [user];
  }
  return undefined;
}
