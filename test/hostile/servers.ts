// The two DNS servers the hostile-input tests attack, on 127.0.0.x with port 0: the authoritative
// server serving the example.test zone of the server tests, and the recursive server resolving
// through the in-memory hierarchy of the resolver tests (no upstream sockets). And a builder for
// queries whose OPT part a normal encoder would refuse to write.

import { AuthServer, type AuthServerOptions } from '../../src/dns/auth-server.ts';
import { RecursiveServer, type RecursiveServerOptions } from '../../src/dns/recursive-server.ts';
import { Resolver } from '../../src/dns/resolver.ts';
import { encodeDnsMessage } from '../../src/wire/dns-encode.ts';
import { dnsFlags, DNS_TYPE } from '../../src/wire/dns-types.ts';
import { exampleZone } from '../dns/zones.ts';
import { ROOT_HINTS, standardHierarchy } from '../resolver/fake-hierarchy.ts';

export async function startAuth(address = '127.0.0.1', o: Partial<AuthServerOptions> = {}): Promise<AuthServer> {
  const s = new AuthServer({ address, zones: [exampleZone()], ...o });
  await s.start();
  return s;
}

export async function startRecursive(address = '127.0.0.1', o: Partial<RecursiveServerOptions> = {}): Promise<RecursiveServer> {
  const resolver = new Resolver({ rootHints: ROOT_HINTS, transport: standardHierarchy() });
  const s = new RecursiveServer({ address, resolver, ...o });
  await s.start();
  return s;
}

/** One raw OPT record: owner wire bytes (root by default), UDP size, version, options (code, data). */
export function optRecord(o: { owner?: number[]; version?: number; options?: [number, Uint8Array][]; rdlengthExtra?: number } = {}): Uint8Array {
  const opts = (o.options ?? []).flatMap(([code, data]) => [code >> 8, code & 0xff, data.length >> 8, data.length & 0xff, ...data]);
  const rdlen = opts.length + (o.rdlengthExtra ?? 0);
  return Uint8Array.from([...(o.owner ?? [0]), 0, 41, 0x04, 0xd0, 0, o.version ?? 0, 0, 0, rdlen >> 8, rdlen & 0xff, ...opts]);
}

/** A query for name/type (RD set as given) followed by the given raw additional records. */
export function rawQuery(name: string, type: number, additionals: Uint8Array[], o: { id?: number; rd?: boolean; answerOpt?: boolean } = {}): Uint8Array {
  const base = encodeDnsMessage({ id: o.id ?? 0x2222, flags: dnsFlags({ rd: o.rd ?? false }), questions: [{ name, type, class: 1 }], answers: [], authorities: [], additionals: [] });
  const out = new Uint8Array(base.length + additionals.reduce((n, a) => n + a.length, 0));
  out.set(base);
  let p = base.length;
  for (const a of additionals) {
    out.set(a, p);
    p += a.length;
  }
  const count = additionals.length;
  if (o.answerOpt === true) out[7] = count; // the records are in the answer section
  else out[11] = count;
  return out;
}

export const A = DNS_TYPE.A;
