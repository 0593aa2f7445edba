// The zones the server tests and the dig interop test serve.

import { Zone } from '../../src/dns/zone.ts';

/** 40 TXT strings of 60 characters: about 2.5 kB, over 512 and over 1232 bytes. */
const BIG_TXT = Array.from({ length: 40 }, (_, i) => `"${String(i).padStart(2, '0')}${'x'.repeat(58)}"`).join(' ');

export const EXAMPLE_ZONE = `$ORIGIN example.test.
$TTL 300
@       SOA   ns1 hostmaster ( 2024010101 7200 3600 1209600 60 )
        NS    ns1
        NS    ns2
        MX    10 mail
ns1     A     127.53.1.1
ns2     A     127.53.1.2
mail    A     127.53.1.25
www     A     127.10.0.1
        A     127.10.0.2
        A     127.10.0.3
        AAAA  fd00::1
alias   CNAME www
chain   CNAME alias
dangling CNAME gone
away    CNAME www.elsewhere.test.
loop1   CNAME loop2
loop2   CNAME loop1
*.wild  TXT   "wildcard"
host.wild A   127.10.0.9
big     TXT   ${BIG_TXT}
many    A     127.20.0.1
many    A     127.20.0.2
many    A     127.20.0.3
many    A     127.20.0.4
many    A     127.20.0.5
many    A     127.20.0.6
many    A     127.20.0.7
many    A     127.20.0.8
many    A     127.20.0.9
many    A     127.20.0.10
many    A     127.20.0.11
many    A     127.20.0.12
many    A     127.20.0.13
many    A     127.20.0.14
many    A     127.20.0.15
many    A     127.20.0.16
many    A     127.20.0.17
many    A     127.20.0.18
many    A     127.20.0.19
many    A     127.20.0.20
many    A     127.20.0.21
many    A     127.20.0.22
many    A     127.20.0.23
many    A     127.20.0.24
many    A     127.20.0.25
many    A     127.20.0.26
many    A     127.20.0.27
many    A     127.20.0.28
many    A     127.20.0.29
many    A     127.20.0.30
many    A     127.20.0.31
many    A     127.20.0.32
geo     A     127.30.0.1
app     A     127.40.0.1
        A     127.40.0.2
deep.empty TXT "below an empty non-terminal"
sub     NS    ns.sub
ns.sub  A     127.53.2.1
_sip._udp SRV 0 5 5060 mail
`;

export function exampleZone(): Zone {
  return Zone.fromText('example.test', EXAMPLE_ZONE, 'example.test.zone');
}
