// DNS over TCP (RFC 1035 §4.2.2, RFC 7766) through the dissector's TCP stream reassembly, as Wireshark
// runs it (tcp_dissect_pdus with the two-byte length): a message split over segments is dissected on
// the segment that completes it, under `[N Reassembled TCP Segments ...]`; several messages in one
// segment each get their own `dns` tree. Wireshark's DNS dissector writes the Info column afresh for
// each message, so a call over several messages leaves the last one's, and a completed message's
// Info is followed, with no separator, by that of the messages after it in the same segment.

import { decodeDnsTcp, DNS_PORT } from '../../wire/dns.ts';
import type { DissectContext } from '../context.ts';
import { type Field, type ProtoNode, uintDec } from '../field.ts';
import { expertField } from '../expert.ts';
import { registerFields } from '../known-fields.ts';
import type { TcpAppCall, TcpAppContext, TcpAppDissector, TcpAppOutput } from '../tcp-reassembly-apps.ts';
import { mapDns } from './dns.ts';

/** Length of the DNS message at the head of a TCP stream, prefix included (0: prefix not all there). */
export function dnsTcpPduLength(head: Uint8Array): number {
  return head.length < 2 ? 0 : 2 + ((head[0] << 8) | head[1]);
}

registerFields({ '_ws.unreassembled': 'FT_PROTOCOL', '_ws.unreassembled.expert': 'FT_NONE', 'tcp.pdu.size': 'FT_UINT32' });

/** `[BoundError Unreassembled Packet [incorrect TCP checksum]: DNS]` with its expert note. */
function unreassembledNode(at: number): ProtoNode {
  return {
    proto: '_ws.unreassembled',
    label: '[BoundError Unreassembled Packet [incorrect TCP checksum]: DNS]',
    offset: at,
    length: 0,
    malformed: [],
    fields: [expertField('_ws.unreassembled.expert', 'Unreassembled fragment (change preferences to enable reassembly)', 'Note', 'Reassemble', at, 0)],
  };
}

export const dnsTcpApp: TcpAppDissector = {
  name: 'dns',
  ports: new Set([DNS_PORT]),
  pduLength: dnsTcpPduLength,
  infoSeparator: '',
  partialWithoutReassembly: true,
  dissect(call: TcpAppCall, app: TcpAppContext): TcpAppOutput {
    const base: DissectContext = { ...app.ctx, frame: call.data, layers: [], index: 0, reassembled: call.reassembled };
    const nodes: ProtoNode[] = [];
    let info: string | undefined;
    // tcp_dissect_pdus puts `[PDU Size: N]` in the TCP tree for each PDU it hands on (an empty one and
    // one cut short included: N is what the length prefix says), before DNS looks at it.
    const tcpFields: Field[] = call.pdus.map((pdu) => {
      const size = Math.max(dnsTcpPduLength(call.data.subarray(pdu.offset, pdu.offset + 2)), pdu.length);
      return uintDec('tcp.pdu.size', 'PDU Size', size, call.reassembled ? 0 : pdu.offset, call.reassembled ? 0 : pdu.length, { generated: true });
    });
    for (const pdu of call.pdus) {
      // An empty message (a zero length prefix) is passed over without a tree, as Wireshark does.
      if (pdu.length <= 2) continue;
      // A PDU cut short (a segment not desegmented) is read only as far as the segment goes.
      const frame = call.data.subarray(0, pdu.offset + pdu.length);
      const step = decodeDnsTcp({ frame, layers: [], options: { fcsLength: 0, verifyChecksums: true } }, pdu.offset, pdu.offset + pdu.length);
      const cut = dnsTcpPduLength(call.data.subarray(pdu.offset, pdu.offset + 2)) > pdu.length;
      for (const node of mapDns(step.layer, { ...base, frame }, `t${app.stream}`)) {
        if (nodes.length > 0) node.unlisted = true;
        nodes.push(node);
        if (node.columns?.info !== undefined) info = node.columns.info;
        if (cut) {
          // Only a segment TCP would not desegment hands on a PDU cut short: Wireshark then reports the
          // end of the data as an unreassembled packet rather than a malformed one.
          node.malformed = [];
          nodes.push(unreassembledNode(pdu.offset + pdu.length));
          info = `${info ?? ''}[BoundErrorUnreassembled Packet [incorrect TCP checksum]]`;
        }
      }
    }
    return { nodes, info: info !== undefined ? [info] : [], protocol: 'DNS', tcpFields };
  },
};
