// A crafted LDAP conversation for the LDAP dissector tests: a simple bind, a search with every filter
// choice and the paged-results control (critical), two entries and the done message cut across two
// segments, an extended operation and its response, an abandon and an unbind.

import { Conversation, writeFrames } from './tls-capture.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A BER TLV with a definite length (short or long form). */
function ber(tag: number, ...content: (Uint8Array | string)[]): Uint8Array {
  const parts = content.map((c) => (typeof c === 'string' ? text(c) : c));
  const len = parts.reduce((n, p) => n + p.length, 0);
  const head = len < 0x80 ? [tag, len] : len < 0x100 ? [tag, 0x81, len] : [tag, 0x82, len >> 8, len & 0xff];
  const out = new Uint8Array(head.length + len);
  out.set(head, 0);
  let at = head.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
const int = (n: number): Uint8Array => ber(0x02, Uint8Array.of(n));
const enm = (n: number): Uint8Array => ber(0x0a, Uint8Array.of(n));
const str = (s: string): Uint8Array => ber(0x04, s);
const msg = (id: number, op: Uint8Array, ...rest: Uint8Array[]): Uint8Array => ber(0x30, int(id), op, ...rest);
const result = (code: number, dn: string, err: string): Uint8Array[] => [enm(code), str(dn), str(err)];

/** A crafted LDAP conversation: filters, controls and operations beyond the captures'. */
export async function writeLdapCapture(path: string): Promise<void> {
  const frames: Uint8Array[] = [];
  const c = new Conversation(frames, 40000, 389);
  const filter = ber(
    0xa0,
    ber(0xa3, str('objectClass'), str('person')),
    ber(0xa1, ber(0xa4, str('cn'), ber(0x30, ber(0x80, 'ab'), ber(0x81, 'cd'), ber(0x82, 'ef'))), ber(0x87, 'sn')),
    ber(0xa2, ber(0xa5, str('uid'), str('m'))),
    ber(0xa6, str('mail'), str('z')),
    ber(0xa8, str('cn'), str('x')),
  );
  const search = ber(
    0x63,
    str('dc=example,dc=com'),
    enm(1),
    enm(0),
    int(10),
    int(5),
    ber(0x01, Uint8Array.of(0xff)),
    filter,
    ber(0x30, str('cn'), str('mail')),
  );
  const control = ber(
    0xa0,
    ber(0x30, str('1.2.840.113556.1.4.319'), ber(0x01, Uint8Array.of(0xff)), str(String.fromCharCode(0x30, 0x05, 0x02, 0x01, 0x0a, 0x04, 0x00))),
  );
  c.send('c', msg(1, ber(0x60, int(3), str('cn=admin'), ber(0x80, 'secret'))));
  c.send('s', msg(1, ber(0x61, ...result(0, '', ''))));
  c.send('c', msg(2, search, control));
  // Two entries and the done message in one stream, cut inside the second entry.
  const entry = (dn: string): Uint8Array => msg(2, ber(0x64, str(dn), ber(0x30, ber(0x30, str('cn'), ber(0x31, str('a'), ber(0x04, Uint8Array.of(1, 2, 3)))))));
  const answers = new Uint8Array([...entry('cn=a,dc=example,dc=com'), ...entry('cn=b,dc=example,dc=com'), ...msg(2, ber(0x65, ...result(0, '', '')))]);
  c.send('s', answers, [40]);
  c.send('c', msg(3, ber(0x77, ber(0x80, '1.3.6.1.4.1.4203.1.11.3'))));
  c.send('s', msg(3, ber(0x78, ...result(53, 'dc=example,dc=com', 'not now'), ber(0x8a, '1.3.6.1.4.1.4203.1.11.3'))));
  c.send('c', msg(4, ber(0x50, Uint8Array.of(2))));
  c.send('c', msg(5, ber(0x42)));
  await writeFrames(path, frames);
}
