// Fault injection for the authoritative server, so labs and tests can show each failure a resolver
// meets and what it does about it:
// - 'tc': every UDP answer comes back truncated (TC=1, empty sections); TCP answers normally.
// - 'lame': the server is not authoritative after all: AA=0, no answer, and a "referral" to the
//   zone's own NS set (a referral that does not go down: resolvers call the server lame).
// - 'cname-loop': the name is a CNAME to loop-a.ZONE, and loop-a and loop-b point at each other.
// - 'pointer-loop': the answer's owner name is a compression pointer to itself (RFC 1035 §4.1.4
//   allows only backward pointers; a decoder that follows it never ends).
// - 'formerr': the server answers FORMERR (with `ednsOnly`, only to queries carrying EDNS, as
//   servers from before RFC 6891 did).
// - 'silence': no answer at all.
// A fault applies to names at or below `names` (every name when not given) and to `transport`.

import { DnsWriter, nameToLabels } from '../wire/dns-name.ts';
import { flagsToWord } from '../wire/dns-decode.ts';
import { DNS_CLASS, DNS_RCODE, DNS_TYPE, type DnsFlags, type DnsQuestion, type DnsRecord } from '../wire/dns-types.ts';
import { isSubdomain } from '../wire/dns-name.ts';
import { NetlabRangeError } from '../base/errors.ts';

export type FaultKind = 'tc' | 'lame' | 'cname-loop' | 'pointer-loop' | 'formerr' | 'silence';

export const FAULT_KINDS: readonly FaultKind[] = ['tc', 'lame', 'cname-loop', 'pointer-loop', 'formerr', 'silence'];

export interface FaultSpec {
  kind: FaultKind;
  /** Names the fault applies to (each with everything below it); every name when not given. */
  names?: readonly string[];
  /** Which transport (default both; 'tc' only ever touches UDP). */
  transport?: 'udp' | 'tcp' | 'both';
  /** 'formerr' only: answer FORMERR only to queries with EDNS. */
  ednsOnly?: boolean;
}

/** Checks a fault list; throws RangeError naming what is wrong. */
export function checkFaults(faults: readonly FaultSpec[]): void {
  for (const f of faults) {
    if (!FAULT_KINDS.includes(f.kind)) throw new NetlabRangeError(`unknown fault '${String(f.kind)}' (one of ${FAULT_KINDS.join(', ')})`);
    if (f.transport !== undefined && !['udp', 'tcp', 'both'].includes(f.transport))
      throw new NetlabRangeError(`fault ${f.kind}: transport must be udp, tcp or both`);
  }
}

/** The first fault that applies to this query. */
export function activeFault(faults: readonly FaultSpec[], qname: string, tcp: boolean, edns: boolean): FaultSpec | undefined {
  for (const f of faults) {
    const t = f.transport ?? 'both';
    if ((t === 'udp' && tcp) || (t === 'tcp' && !tcp)) continue;
    if (f.kind === 'tc' && tcp) continue;
    if (f.kind === 'formerr' && f.ednsOnly === true && !edns) continue;
    if (f.names !== undefined && !f.names.some((n) => isSubdomain(qname, n))) continue;
    return f;
  }
  return undefined;
}

/** The CNAME records of the loop fault for `qname` in `zone`. */
export function cnameLoopRecords(qname: string, zone: string, ttl: number): DnsRecord[] {
  const a = zone === '' ? 'loop-a' : `loop-a.${zone}`;
  const b = zone === '' ? 'loop-b' : `loop-b.${zone}`;
  const rec = (name: string, target: string): DnsRecord => ({ name, type: DNS_TYPE.CNAME, class: DNS_CLASS.IN, ttl, data: { type: 'CNAME', name: target } });
  const out: DnsRecord[] = [];
  const lower = qname.toLowerCase();
  if (lower !== a && lower !== b) out.push(rec(qname, a));
  if (lower === b) out.push(rec(b, a));
  out.push(rec(a, b));
  if (lower !== b) out.push(rec(b, a));
  return out;
}

/**
 * A response whose one answer record's owner is a compression pointer to itself: header, the
 * question as asked, then 0xC0 0xNN pointing at its own offset, then TYPE A, CLASS IN, TTL, 4 bytes.
 */
export function pointerLoopResponse(id: number, flags: DnsFlags, question: DnsQuestion): Uint8Array {
  const w = new DnsWriter();
  w.u16(id);
  w.u16(flagsToWord(flags));
  w.u16(1);
  w.u16(1);
  w.u16(0);
  w.u16(0);
  w.name(nameToLabels(question.name), false);
  w.u16(question.type);
  w.u16(question.class);
  const at = w.length;
  w.u16(0xc000 | at);
  w.u16(DNS_TYPE.A);
  w.u16(DNS_CLASS.IN);
  w.u32(60);
  w.u16(4);
  w.u32(0x7f000001);
  return w.finish();
}

export const FORMERR = DNS_RCODE.FORMERR;
