// A DNS response printed the way dig prints it (header, flags, OPT pseudosection, sections, query
// time, server), and a resolution's events printed as a `+trace` timeline.

import { dnsOpcodeName, dnsRcodeName, type DnsMessage } from '../wire/dns-types.ts';
import { questionText, recordText, typeText } from '../wire/dns-text.ts';
import type { ResolverEvent } from './resolver-types.ts';

export interface DigMeta {
  server: string;
  port: number;
  tcp: boolean;
  rttMs: number;
  size: number;
  when: Date;
}

function flagList(m: DnsMessage): string {
  const f = m.flags;
  return (['qr', 'aa', 'tc', 'rd', 'ra', 'ad', 'cd'] as const).filter((k) => f[k]).join(' ');
}

/** The whole dig-style text for one response. */
export function digText(m: DnsMessage, meta: DigMeta, command: string): string {
  const out: string[] = [];
  out.push(`; <<>> netlab dig <<>> ${command}`, ';; global options: +cmd', ';; Got answer:');
  out.push(`;; ->>HEADER<<- opcode: ${dnsOpcodeName(m.flags.opcode)}, status: ${dnsRcodeName(m.flags.rcode)}, id: ${m.id}`);
  const additional = m.additionals.length + (m.edns ? 1 : 0);
  out.push(
    `;; flags: ${flagList(m)}; QUERY: ${m.questions.length}, ANSWER: ${m.answers.length}, AUTHORITY: ${m.authorities.length}, ADDITIONAL: ${additional}`,
  );
  if (m.flags.rd && !m.flags.ra && m.flags.qr) out.push(';; WARNING: recursion requested but not available');
  out.push('');
  if (m.edns) {
    out.push(';; OPT PSEUDOSECTION:');
    out.push(`; EDNS: version: ${m.edns.version}, flags:${m.edns.do ? ' do' : ''}; udp: ${m.edns.udpSize}`);
    for (const o of m.edns.options) {
      if (o.type === 'client-subnet') out.push(`; CLIENT-SUBNET: ${o.address}/${o.sourcePrefixLength}/${o.scopePrefixLength}`);
      else out.push(`; OPT=${o.code}: ${Buffer.from(o.data).toString('hex').toUpperCase()}`);
    }
  }
  out.push(';; QUESTION SECTION:', ...m.questions.map(questionText), '');
  const section = (title: string, records: DnsMessage['answers']): void => {
    if (records.length === 0) return;
    out.push(`;; ${title} SECTION:`, ...records.map(recordText), '');
  };
  section('ANSWER', m.answers);
  section('AUTHORITY', m.authorities);
  section('ADDITIONAL', m.additionals);
  out.push(`;; Query time: ${Math.round(meta.rttMs)} msec`);
  out.push(`;; SERVER: ${meta.server}#${meta.port}(${meta.server}) (${meta.tcp ? 'TCP' : 'UDP'})`);
  out.push(`;; WHEN: ${meta.when.toUTCString()}`);
  out.push(`;; MSG SIZE  rcvd: ${meta.size}`, '');
  return out.join('\n');
}

/**
 * A resolution as a timeline, like `dig +trace` but with every step the resolver took: each server
 * asked, what it answered and in how long, referrals, glue taken or refused, cache hits.
 */
export function traceText(events: readonly ResolverEvent[]): string {
  const out: string[] = [];
  let elapsed = 0;
  for (const e of events) {
    switch (e.kind) {
      case 'query':
        out.push(
          `-> ${e.server.name} (${e.server.address}#${e.server.port})${e.tcp ? ' over TCP' : ''}: ${e.name || '.'} ${typeText(e.type)}?  [zone ${e.zone || '.'}]`,
        );
        break;
      case 'response':
        elapsed += e.rttMs;
        out.push(
          `   <- ${dnsRcodeName(e.rcode)}${e.aa ? ', authoritative' : ''}${e.tc ? ', truncated' : ''}: ${e.answers} answer, ${e.authority} authority, ${e.additional} additional in ${e.rttMs.toFixed(1)} ms (total ${elapsed.toFixed(1)} ms)`,
        );
        break;
      case 'no-response':
        out.push(`   <- ${e.malformed === true ? 'malformed reply' : 'no answer'}: ${e.reason}`);
        break;
      case 'edns-fallback':
        out.push('   FORMERR to an EDNS query: asking again without EDNS (RFC 6891 6.2.2)');
        break;
      case 'tcp-fallback':
        out.push('   answer truncated: asking again over TCP');
        break;
      case 'referral':
        out.push(`   referral: ${e.from} -> ${e.to} (${e.nameServers.join(', ')})`);
        break;
      case 'glue':
        out.push(`   glue ${e.name} ${e.address}: ${e.accepted ? 'used' : 'refused'} (${e.reason})`);
        break;
      case 'out-of-bailiwick':
        out.push(`   dropped ${e.record}: out of bailiwick of ${e.zone}`);
        break;
      case 'lame':
        out.push(`   lame server for ${e.zone}: ${e.reason}`);
        break;
      case 'glueless':
        out.push(`   no glue for ${e.nameServer}: resolving it first`);
        break;
      case 'cname':
        out.push(`   CNAME ${e.from} -> ${e.to}`);
        break;
      case 'minimised':
        out.push(`   (QNAME minimisation: asking for ${e.sent || '.'} instead of ${e.full})`);
        break;
      case 'cache-hit':
        out.push(`cache: ${e.name} ${typeText(e.type)} ${e.what}, ${e.ttl} s left`);
        break;
      case 'answer':
        out.push(`= ${dnsRcodeName(e.rcode)}, ${e.records} record(s)`);
        break;
      case 'servfail':
        out.push(`= SERVFAIL: ${e.reason}`);
        break;
    }
  }
  return out.join('\n') + '\n';
}
