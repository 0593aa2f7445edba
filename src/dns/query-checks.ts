// Checks both DNS servers (authoritative and recursive) make on a decoded query before answering it,
// so that they refuse the same things the same way:
//
// EDNS (RFC 6891 §6.1.1, RFC 7873 §5.2.2), in the order BIND and Unbound apply them:
//   - more than one OPT record, or an OPT record outside the additional section: FORMERR;
//   - an OPT record whose owner is not the root: FORMERR (§6.1.2: NAME must be 0);
//   - an EDNS version above 0: BADVERS (extended RCODE 16, in an OPT of version 0; §6.1.3);
//   - a COOKIE option (code 10) that is not a client cookie of 8 bytes alone or followed by a server
//     cookie of 8 to 32 bytes (16 to 40 in all): FORMERR (RFC 7873 §5.2.2).
// Meta QTYPEs (RFC 6895 §3.1), as Unbound's worker answers them:
//   - AXFR and IXFR: REFUSED. Neither server transfers zones, over TCP or UDP; BIND too answers
//     REFUSED to a transfer its ACL denies, before it would look at the transport ("AXFR over UDP is
//     not possible" is a FORMERR only for a client allowed to transfer).
//   - OPT, TSIG, TKEY, MAILA, MAILB, and the rest of the meta range 128..248: FORMERR (a pseudo-type
//     or a transaction type is not something one can ask for).
// ANY is not refused here: each server answers it minimally (RFC 8482).

import { DNS_RCODE, DNS_TYPE, EDNS_OPTION, type DnsMessage } from '../wire/dns-types.ts';

export interface QueryProblem {
  rcode: number;
  /** What was wrong, for the server's query event. */
  reason: string;
}

/** Why the query's EDNS part must be refused, or undefined. */
export function ednsProblem(q: DnsMessage): QueryProblem | undefined {
  const stray = [...q.answers, ...q.authorities].filter((r) => r.type === DNS_TYPE.OPT).length;
  const extra = q.additionals.filter((r) => r.type === DNS_TYPE.OPT).length;
  if (stray > 0) return { rcode: DNS_RCODE.FORMERR, reason: 'an OPT record outside the additional section (RFC 6891 §6.1.1)' };
  if (extra > 0) return { rcode: DNS_RCODE.FORMERR, reason: `${extra + 1} OPT records (at most one, RFC 6891 §6.1.1)` };
  const e = q.edns;
  if (e === undefined) return undefined;
  if (e.name !== undefined && e.name !== '') return { rcode: DNS_RCODE.FORMERR, reason: `OPT record owned by '${e.name}' (must be the root, RFC 6891 §6.1.2)` };
  if (e.version > 0) return { rcode: DNS_RCODE.BADVERS, reason: `EDNS version ${e.version} (this server speaks 0)` };
  for (const o of e.options) {
    if (o.type !== 'raw' || o.code !== EDNS_OPTION.COOKIE) continue;
    const n = o.data.length;
    if (n !== 8 && (n < 16 || n > 40)) {
      const what = n < 8 ? `a client cookie of ${n} bytes (must be 8)` : `a server cookie of ${n - 8} bytes (must be 8 to 32)`;
      return { rcode: DNS_RCODE.FORMERR, reason: `malformed COOKIE option: ${what} (RFC 7873 §5.2.2)` };
    }
  }
  return undefined;
}

/** Why a query for this QTYPE is not answered with data, or undefined (ANY is answered, RFC 8482). */
export function metaTypeProblem(qtype: number): QueryProblem | undefined {
  if (qtype === DNS_TYPE.AXFR || qtype === DNS_TYPE.IXFR) return { rcode: DNS_RCODE.REFUSED, reason: 'zone transfers are not allowed' };
  if (qtype === DNS_TYPE.OPT || qtype === DNS_TYPE.TSIG || qtype === DNS_TYPE.TKEY || qtype === DNS_TYPE.MAILA || qtype === DNS_TYPE.MAILB || (qtype >= 128 && qtype <= 248)) {
    return { rcode: DNS_RCODE.FORMERR, reason: `type ${qtype} is a meta type, not one a query can ask for` };
  }
  return undefined;
}

/** The RDATA of the HINFO record RFC 8482 §4.2 synthesizes for ANY: CPU "RFC8482", OS empty. */
export const RFC8482_HINFO_RDATA = Uint8Array.from([7, 0x52, 0x46, 0x43, 0x38, 0x34, 0x38, 0x32, 0]);
