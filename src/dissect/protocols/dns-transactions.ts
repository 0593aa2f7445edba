// DNS request/response matching as Wireshark 4.0 does it on its one pass: per transport conversation
// (a UDP address/port pair, a TCP stream), the transactions by ID in order of their requests. A request
// opens a transaction unless the newest one with its ID is still unanswered and at most 5 s old
// (Wireshark's dns.retransmission_timer): then it is a retransmission of that one. A response answers
// the newest transaction with its ID, or is a retransmitted response when that one was answered
// already, or is unsolicited when there is none.

import { expertField } from '../expert.ts';
import { bool, type Field, rawField } from '../field.ts';
import { type NsTime, nsDelta } from '../frame-fields.ts';
import type { DissectContext } from '../context.ts';
import { relTimeField } from './udp.ts';

interface Transaction {
  reqFrame: number;
  repFrame: number;
  reqTime: NsTime;
}

interface DnsConversations {
  /** Per conversation key: the newest transaction for each ID. */
  convs: Map<string, Map<number, Transaction>>;
}

/** Wireshark's dns.retransmission_timer: a request with the ID of an unanswered one is its
 * retransmission only this soon after it; later, it is a new request. */
const RETRANSMISSION_TIMER_NS = 5_000_000_000n;

function withinRetransmissionTimer(now: NsTime, then: NsTime): boolean {
  const d = nsDelta(now, then);
  return BigInt(d.secs) * 1_000_000_000n + BigInt(d.nsecs) <= RETRANSMISSION_TIMER_NS;
}

/** Conversations remembered (the oldest forgotten beyond it, so memory stays bounded). */
const MAX_CONVERSATIONS = 65536;

export interface DnsTracking {
  /** Children of the Transaction ID item (the retransmission's expert note). */
  idChildren: Field[];
  /** Items at the end of the DNS tree. */
  trailer: Field[];
}

function frameNumField(name: string, label: string, n: number): Field {
  return rawField(name, label, 'uint', n, String(n), 0, 0, { generated: true, text: `[${label}: ${n}]` });
}

function flag(name: string, label: string): Field {
  return bool(name, label, true, 0, 0, { generated: true, text: `[${label}: True]` });
}

/** Matches one DNS message in conversation `conv` and gives the items Wireshark shows for it. */
export function trackDns(ctx: DissectContext, conv: string, id: number, response: boolean): DnsTracking {
  const st = ctx.state.slot<DnsConversations>('dns-transactions', () => ({ convs: new Map() }));
  let byId = st.convs.get(conv);
  if (byId === undefined) {
    if (st.convs.size >= MAX_CONVERSATIONS) st.convs.delete(st.convs.keys().next().value as string);
    byId = new Map();
    st.convs.set(conv, byId);
  }
  const frame = ctx.packet.number;
  const now: NsTime = { secs: ctx.packet.tsSec, nsecs: ctx.packet.tsNsec };
  const out: DnsTracking = { idChildren: [], trailer: [] };
  let t = byId.get(id);
  let retransmission = false;
  if (!response) {
    if (t === undefined || t.repFrame > 0 || !withinRetransmissionTimer(now, t.reqTime)) {
      t = { reqFrame: frame, repFrame: 0, reqTime: now };
      byId.set(id, t);
    } else retransmission = true;
    if (retransmission) {
      const msg = `DNS query retransmission. Original request in frame ${t.reqFrame}`;
      out.idChildren.push(expertField('dns.retransmit_request', msg, 'Warning', 'Protocol'));
      out.trailer.push(frameNumField('dns.retransmit_request_in', 'Retransmitted request. Original request in', t.reqFrame));
      out.trailer.push(flag('dns.retransmission', 'Retransmission'));
    }
    return out;
  }
  if (t !== undefined) {
    if (t.repFrame === 0) t.repFrame = frame;
    else if (t.repFrame !== frame) retransmission = true;
  }
  if (t !== undefined && t.reqFrame > 0) {
    if (retransmission) {
      const msg = `DNS response retransmission. Original response in frame ${t.repFrame}`;
      out.idChildren.push(expertField('dns.retransmit_response', msg, 'Warning', 'Protocol'));
      out.trailer.push(frameNumField('dns.retransmit_response_in', 'Retransmitted response. Original response in', t.repFrame));
      out.trailer.push(flag('dns.retransmission', 'Retransmission'));
    }
    out.trailer.push(frameNumField('dns.response_to', 'Request In', t.reqFrame));
    out.trailer.push(relTimeField('dns.time', 'Time', nsDelta(now, t.reqTime), 0));
  } else if (!retransmission) {
    out.trailer.push(flag('dns.unsolicited', 'Unsolicited'));
  }
  return out;
}
