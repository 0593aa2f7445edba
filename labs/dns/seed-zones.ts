// A study guide's DNS, served on loopback: a root, the .com TLD and example.com, with a study guide's numbers
// (example.com A 192.0.2.1 with TTL 3600, www a CNAME to example.com, negative TTL 300 from the SOA),
// plus a 2-second record to watch a TTL run out. These names never leave the machine: the resolver's
// root hints point at the lab's own root on 127.53.0.1.

import { Zone } from '../../src/dns/index.ts';
import type { ServerSpec } from './servers.ts';

export const ROOT_ADDRESS = '127.53.0.1';
export const TLD_ADDRESS = '127.53.0.2';
export const AUTH_ADDRESS = '127.53.0.3';
export const RESOLVER_ADDRESS = '127.53.0.53';
export const STUB_ADDRESS = '127.53.0.100';

export const ROOT_NAME = 'a.root-servers.net';
export const TLD_NAME = 'a.gtld-servers.net';
export const AUTH_NAME = 'ns1.example.com';

/** A study guide's answer and TTLs. */
export const SEED = {
  name: 'www.example.com',
  target: 'example.com',
  address: '192.0.2.1',
  ttl: 3600,
  negativeTtl: 300,
  soaTtl: 3600,
  shortName: 'short.example.com',
  shortAddress: '192.0.2.2',
  shortTtl: 2,
  missing: 'nosuch.example.com',
} as const;

export function rootZone(tldAddress = TLD_ADDRESS): Zone {
  return Zone.fromText(
    '',
    `$TTL 86400
.                   SOA  ${ROOT_NAME}. nstld.verisign-grs.com. 2024010101 1800 900 604800 86400
.                   NS   ${ROOT_NAME}.
${ROOT_NAME}.  A    ${ROOT_ADDRESS}
com.         172800 NS   ${TLD_NAME}.
${TLD_NAME}. 172800 A    ${tldAddress}
`,
    'root.zone',
  );
}

/** The .com zone; `extra` adds delegations (the spoofing lab's attacker.com). */
export function comZone(authAddress = AUTH_ADDRESS, extra = ''): Zone {
  return Zone.fromText(
    'com',
    `$ORIGIN com.
$TTL 172800
@            SOA  ${TLD_NAME}. nstld.verisign-grs.com. 2024010101 1800 900 604800 86400
@            NS   ${TLD_NAME}.
example      NS   ns1.example
ns1.example  A    ${authAddress}
${extra}`,
    'com.zone',
  );
}

export function exampleZone(extra = ''): Zone {
  return Zone.fromText(
    'example.com',
    `$ORIGIN example.com.
$TTL ${SEED.ttl}
@      ${SEED.soaTtl} SOA ns1 hostmaster 2024010101 7200 3600 1209600 ${SEED.negativeTtl}
@      NS    ns1
ns1    A     ${AUTH_ADDRESS}
@      A     ${SEED.address}
www    CNAME @
short  ${SEED.shortTtl} A ${SEED.shortAddress}
${extra}`,
    'example.com.zone',
  );
}

export function seedServers(): ServerSpec[] {
  return [
    { name: ROOT_NAME, address: ROOT_ADDRESS, zones: [rootZone()] },
    { name: TLD_NAME, address: TLD_ADDRESS, zones: [comZone()] },
    { name: AUTH_NAME, address: AUTH_ADDRESS, zones: [exampleZone()] },
  ];
}
