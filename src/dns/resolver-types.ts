// What the iterative resolver talks to (a transport that sends one query to one server and returns a
// validated response) and what it reports: every step as an event, for labs, tests and captures.

import type { DnsMessage, DnsQuestion, DnsRecord, EdnsOption } from '../wire/dns-types.ts';

export interface ServerAddress {
  address: string;
  port: number;
}

/** A name server: its name (from an NS record, or a root hint) and an address to ask. */
export interface NameServer extends ServerAddress {
  name: string;
}

export interface QueryRequest {
  server: ServerAddress;
  question: DnsQuestion;
  /** RD: recursion desired (false for iterative queries to authoritative servers). */
  rd: boolean;
  tcp: boolean;
  /** Add an OPT record (EDNS0) advertising a UDP payload size. */
  edns: boolean;
  /**
   * EDNS options of the query's OPT record (needs `edns`), e.g. a client subnet (RFC 7871) the way a
   * resolver that passes on its client's network sends it (dig +subnet).
   */
  ednsOptions?: readonly EdnsOption[];
  /** AD in the query: "I understand the AD bit" (RFC 6840 §5.7); dig sets it by default. */
  ad?: boolean;
  /** Why the query is sent, in words: written as the pcapng comment of the query when tapped. */
  note?: string;
}

export type QueryResult = { ok: true; message: DnsMessage; rttMs: number; tcp: boolean } | { ok: false; reason: string; malformed?: boolean };

/**
 * Sends one query and returns the response, already checked: it came from the server asked, to the
 * port the query left from, with the query's ID and question. Anything else is a failure with its
 * reason (timeout, refused, malformed, mismatched ID ...), never an exception.
 */
export interface ResolverTransport {
  query(req: QueryRequest): Promise<QueryResult>;
}

export type ResolverEvent =
  | { kind: 'cache-hit'; name: string; type: number; what: 'rrset' | 'NXDOMAIN' | 'NODATA'; ttl: number }
  | { kind: 'query'; server: NameServer; zone: string; name: string; type: number; tcp: boolean }
  | { kind: 'response'; server: NameServer; rcode: number; aa: boolean; tc: boolean; answers: number; authority: number; additional: number; rttMs: number }
  /** No usable answer: a timeout, an error, or (`malformed`) a reply that could not be decoded. */
  | { kind: 'no-response'; server: NameServer; reason: string; malformed?: boolean }
  /** The server answered FORMERR to a query with EDNS: asked once more without it (RFC 6891 §6.2.2). */
  | { kind: 'edns-fallback'; server: NameServer }
  | { kind: 'tcp-fallback'; server: NameServer }
  | { kind: 'referral'; from: string; to: string; nameServers: string[] }
  | { kind: 'glue'; name: string; address: string; accepted: boolean; reason: string }
  | { kind: 'out-of-bailiwick'; record: string; zone: string }
  | { kind: 'lame'; server: NameServer; zone: string; reason: string }
  | { kind: 'glueless'; nameServer: string }
  | { kind: 'cname'; from: string; to: string }
  | { kind: 'minimised'; sent: string; full: string }
  | { kind: 'answer'; rcode: number; records: number }
  | { kind: 'servfail'; reason: string };

export interface ResolveResult {
  /** NOERROR (0), NXDOMAIN (3) or SERVFAIL (2). */
  rcode: number;
  /** The answer: the CNAME chain, then the records of the type asked. */
  answers: DnsRecord[];
  /** The SOA of a negative answer. */
  authority: DnsRecord[];
  events: ResolverEvent[];
  /** Queries sent to servers for this resolution. */
  queries: number;
  /** True when no query was needed. */
  fromCache: boolean;
}
